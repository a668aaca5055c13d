"""Credit memos applied to the invoices they credit (part of the invoices category, as in Scoro).

QuickBooks applies a credit memo through a Payment whose lines link the Invoice and the CreditMemo
(accounting-apis.md B3): the invoice's line takes the amount applied, the credit memo's line the credit used,
and `TotalAmt` is the cash received — 0 for an application alone. The invoice's Balance and the credit memo's
RemainingCredit go down by the amount.

Scoro keeps the same fact on the credit invoice (`CreditedInvoices`), so the `credit_applications` category
pairs a Scoro credit invoice with the QuickBooks Payment that applies its credit memo. Being a category of its
own, an application gets what every write of the engine gets: a deterministic outbox key (the Payment's
`requestid` derives from it, so a lost answer is replayed, not redone), an inflight create looked up before
it is sent again after a crash (`find`), a first-sync match on the pair it links, and a rerun that finds it
linked and writes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from scorolink.integrations.quickbooks.sides import ENTITY, QuickBooksSide
from scorolink.sync.model import Refused, SideRecord
from scorolink.sync.scoro_categories import dec
from scorolink.sync.sides import Mapping, Record, Refs


def linked(record: Record, kind: str) -> list[tuple[str, Decimal]]:
    """(document id, amount) of each payment line linking a document of `kind`."""
    return [(str(t.get("TxnId")), dec(line.get("Amount")) or Decimal(0)) for line in record.get("Line") or []
            for t in line.get("LinkedTxn") or [] if t.get("TxnType") == kind]


def applies_credit(record: Record) -> bool:
    """A Payment that applies a credit memo (alone, or beside cash)."""
    return bool(linked(record, "CreditMemo")) and bool(linked(record, "Invoice"))


def cash_applied(record: Record) -> Decimal | None:
    """What a Payment applies to its (first) invoice in cash: the invoice line less the credit used."""
    invoices = linked(record, "Invoice")
    if not invoices:
        return dec(record.get("TotalAmt"))
    return invoices[0][1] - sum((amount for _id, amount in linked(record, "CreditMemo")), Decimal(0))


def _ref(record: Record, key: str) -> str | None:
    found = record.get(key)
    return str(found.get("value")) if isinstance(found, dict) and found.get("value") not in (None, "") else None


def applications(connector: Any) -> Mapping:
    """The first credit memo a Payment applies, and the invoice it is applied to."""

    def qb_in(r: Record, refs: Refs) -> dict[str, Any]:
        memos, invoices = linked(r, "CreditMemo"), linked(r, "Invoice")
        return {"credit_note": refs.shared("credit_notes", "b", memos[0][0]) if memos else None,
                "invoice": refs.shared("invoices", "b", invoices[0][0]) if invoices else None}

    def qb_out(s: dict[str, Any], refs: Refs, current: Record | None) -> Record:
        memo_id = refs.on("credit_notes", "b", s.get("credit_note"))
        invoice_id = refs.on("invoices", "b", s.get("invoice"))
        if memo_id is None or invoice_id is None:
            raise Refused("a credit application needs its credit memo and the invoice it credits")
        memos, invoices = connector.fetch("CreditMemo", [memo_id]), connector.fetch("Invoice", [invoice_id])
        if not memos or not invoices:
            gone = f"credit memo {memo_id}" if not memos else f"invoice {invoice_id}"
            raise Refused(f"the QuickBooks {gone} of this credit application is gone (deleted in QuickBooks?)")
        memo, invoice = memos[0], invoices[0]
        label = f"credit memo {memo.get('DocNumber') or memo_id}"
        target = f"invoice {invoice.get('DocNumber') or invoice_id}"
        if _ref(memo, "CustomerRef") != _ref(invoice, "CustomerRef"):
            raise Refused(f"{label} and {target} are for different customers in QuickBooks, which applies a credit "
                          "only to the same customer's invoices; credit an invoice of the same client in Scoro")
        if (_ref(memo, "CurrencyRef") or "") != (_ref(invoice, "CurrencyRef") or ""):
            raise Refused(f"{label} is in {_ref(memo, 'CurrencyRef')} and {target} in "
                          f"{_ref(invoice, 'CurrencyRef')}: a credit applies only in the invoice's currency")
        # what this Payment applies already counts as open again when it is the one being changed
        credit = dec(memo.get("RemainingCredit") if memo.get("RemainingCredit") is not None else memo.get("Balance"))
        due = dec(invoice.get("Balance"))
        if current is not None:
            credit = (credit or Decimal(0)) + sum((a for i, a in linked(current, "CreditMemo") if i == memo_id),
                                                  Decimal(0))
            due = (due or Decimal(0)) + sum((a for i, a in linked(current, "Invoice") if i == invoice_id), Decimal(0))
        amount = min(credit or Decimal(0), due or Decimal(0))
        if amount <= 0:
            why = f"{label} has no credit left" if not credit or credit <= 0 else f"{target} is fully paid"
            raise Refused(f"{why} in QuickBooks: nothing to apply (applied or paid there already?)")
        record: Record = {
            ENTITY: "Payment", "CustomerRef": invoice.get("CustomerRef"), "TotalAmt": Decimal(0),
            "TxnDate": max(str(memo.get("TxnDate") or ""), str(invoice.get("TxnDate") or "")) or None,
            "CurrencyRef": invoice.get("CurrencyRef"), "PrivateNote": f"{label} applied to {target}",
            "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]},
                     {"Amount": amount, "LinkedTxn": [{"TxnId": memo_id, "TxnType": "CreditMemo"}]}]}
        return {k: v for k, v in record.items() if v is not None}

    return Mapping(to_shared=qb_in, from_shared=qb_out, in_scope=lambda r: not r.get("Deleted") and "Voided" not in str(
        r.get("PrivateNote") or ""), deleted=lambda r: bool(r.get("Deleted")))


class CreditApplications(QuickBooksSide):
    """Payments that apply a credit memo; a create whose answer was lost is found through the invoice's
    linked payments (QuickBooks' query cannot filter on a payment's lines)."""

    def find(self, shared: dict[str, Any]) -> SideRecord | None:
        memo_id = self.refs.on("credit_notes", "b", shared.get("credit_note"), required=False)
        invoice_id = self.refs.on("invoices", "b", shared.get("invoice"), required=False)
        if memo_id is None or invoice_id is None:
            return None
        [invoice] = self.connector.fetch("Invoice", [invoice_id]) or [{}]
        payments = [t.get("TxnId") for t in invoice.get("LinkedTxn") or [] if t.get("TxnType") == "Payment"]
        part = self.parts[0]
        found = [r for r in self.connector.fetch("Payment", [str(p) for p in payments])
                 if any(i == memo_id for i, _a in linked(r, "CreditMemo"))]
        return self.side_record(part, max(found, key=lambda r: int(r["Id"]))) if found else None

