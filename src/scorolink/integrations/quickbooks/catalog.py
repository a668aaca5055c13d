"""The QuickBooks Online entities the integration reads and writes (accounting-apis.md B3, B5, B7): pure data.

- name lists (Customer, Vendor, Item, Account, Class) are never deleted: "delete" is `Active: false`, and
  a query lists only active ones unless it filters on Active;
- transactions (Invoice, CreditMemo, Bill, Payment, BillPayment) are deleted with `operation=delete`;
- TaxCode and TaxRate are read only, and CDC does not cover them: they are always queried in full.
"""

from __future__ import annotations

from dataclasses import dataclass

NAME_LIST, TRANSACTION, READ_ONLY = "name_list", "transaction", "read_only"


@dataclass(frozen=True)
class Entity:
    name: str
    kind: str
    cdc: bool = True
    label: str = ""  # the field people know the record by (DisplayName, Name, DocNumber)

    @property
    def name_list(self) -> bool:
        return self.kind == NAME_LIST


ENTITIES = {e.name: e for e in (
    Entity("Account", NAME_LIST, label="Name"),
    Entity("Class", NAME_LIST, label="Name"),
    Entity("Customer", NAME_LIST, label="DisplayName"),
    Entity("Vendor", NAME_LIST, label="DisplayName"),
    Entity("Item", NAME_LIST, label="Name"),
    Entity("Invoice", TRANSACTION, label="DocNumber"),
    Entity("CreditMemo", TRANSACTION, label="DocNumber"),
    Entity("Bill", TRANSACTION, label="DocNumber"),
    Entity("Payment", TRANSACTION),
    Entity("BillPayment", TRANSACTION),
    Entity("Attachable", TRANSACTION, label="FileName"),
    Entity("TaxCode", READ_ONLY, cdc=False, label="Name"),
    Entity("TaxRate", READ_ONLY, cdc=False, label="Name"),
)}


def entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise KeyError(f"QuickBooks entity {name!r} is not one the integration uses; known: "
                       f"{', '.join(ENTITIES)}") from None
