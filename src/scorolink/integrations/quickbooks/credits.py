"""Credit memos applied to the invoices they credit (part of the invoices category, as in Scoro).

QuickBooks applies a credit memo through a Payment whose lines link the Invoice and the CreditMemo
(accounting-apis.md B3): the invoice's line takes the amount applied, the credit memo's line the credit used,
and `TotalAmt` is the cash received — 0 for an application alone. The invoice's Balance and the credit memo's
RemainingCredit go down by the amount.

Scoro keeps the same fact on the credit invoice (`CreditedInvoices`), so the `credit_applications` category
pairs a Scoro credit invoice with its credit memo's application in a QuickBooks Payment. A Payment may apply
several credit memos, to several invoices: each memo is a record of its own (`application_id`), crediting the
invoices its credit went to (`Allocation`). Being a category of its
own, an application gets what every write of the engine gets: a deterministic outbox key (the Payment's
`requestid` derives from it, so a lost answer is replayed, not redone), an inflight create looked up before
it is sent again after a crash (`find`), a first-sync match on the pair it links, and a rerun that finds it
linked and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from scorolink.integrations.quickbooks.sides import ENTITY, Part, QuickBooksSide
from scorolink.sync.model import Refused, SideRecord
from scorolink.sync.scoro_categories import dec
from scorolink.sync.sides import Mapping, Record, Refs, side_record


def linked(record: Record, kind: str) -> list[tuple[str, Decimal]]:
    """(document id, amount) of each payment line linking a document of `kind`."""
    return [(str(t.get("TxnId")), dec(line.get("Amount")) or Decimal(0)) for line in record.get("Line") or []
            for t in line.get("LinkedTxn") or [] if t.get("TxnType") == kind]


@dataclass
class Allocation:
    """How a Payment's lines split between credit and cash. QuickBooks pools a Payment's credits: its lines
    say what each invoice gets and what each credit memo gives, not which memo pays which invoice. The
    credits are taken in line order and fill the invoices in line order; what an invoice line gets beyond
    the credit is cash."""

    credits: dict[str, list[str]]  # credit memo -> the invoices its credit went to, in line order
    cash: list[tuple[str, Decimal]]  # (invoice, cash applied to it), in line order

    @classmethod
    def of(cls, record: Record) -> Allocation:
        lines = linked(record, "Invoice")
        left = [amount for _invoice, amount in lines]  # of each invoice line, once the credits before are used
        credits: dict[str, list[str]] = {}
        at = 0
        for memo, amount in linked(record, "CreditMemo"):
            went = credits.setdefault(memo, [])
            while amount > 0 and at < len(lines):
                used = min(amount, left[at])
                if used > 0 and lines[at][0] not in went:
                    went.append(lines[at][0])
                amount, left[at] = amount - used, left[at] - used
                if left[at] <= 0:
                    at += 1
            if not went:  # a line of 0, or more credit than the invoice lines take: nothing applied
                del credits[memo]
        return cls(credits, [(invoice, cash) for (invoice, _amount), cash in zip(lines, left, strict=True)])


def applies_credit(record: Record) -> bool:
    """A Payment that applies a credit memo to an invoice (alone, or beside cash)."""
    return bool(Allocation.of(record).credits)


def cash_applied(record: Record) -> tuple[str | None, Decimal | None]:
    """The invoice a Payment applies cash to (the first one that gets any, else its first invoice) and the
    cash it gets: the invoice line less the credit used on it. Without an invoice line: none, and TotalAmt."""
    cash = Allocation.of(record).cash
    if not cash:
        return None, dec(record.get("TotalAmt"))
    return next(((i, a) for i, a in cash if a > 0), cash[0])


def _ref(record: Record, key: str) -> str | None:
    found = record.get(key)
    return str(found.get("value")) if isinstance(found, dict) and found.get("value") not in (None, "") else None


MEMO = "_memo"  # which of a Payment's credit memos a record of the category is about


def application_id(payment_id: Any, memo_id: Any) -> str:
    """The category's record: one credit memo's application in one Payment (a Payment may apply several)."""
    return f"{payment_id}:{memo_id}"


def split_id(side_id: str) -> tuple[str, str]:
    """(Payment id, credit memo id) of an `application_id`."""
    payment, _, memo = str(side_id).partition(":")
    return payment, memo


def applications(connector: Any) -> Mapping:
    """One credit memo a Payment applies (`MEMO` on the record), and the invoices its credit went to."""

    def qb_in(r: Record, refs: Refs) -> dict[str, Any]:
        memo = r.get(MEMO)
        return {"credit_note": refs.shared("credit_notes", "b", memo) if memo else None,
                "invoices": sorted(str(refs.shared("invoices", "b", i)) for i in Allocation.of(r).credits.get(
                    str(memo), []))}

    def qb_out(s: dict[str, Any], refs: Refs, current: Record | None) -> Record:
        memo_id = refs.on("credit_notes", "b", s.get("credit_note"))
        invoice_ids = [refs.on("invoices", "b", i) for i in s.get("invoices") or []]
        if memo_id is None or not invoice_ids or None in invoice_ids:
            raise Refused("a credit application needs its credit memo and the invoice it credits")
        if current is not None and ({i for i, _a in linked(current, "CreditMemo")} != {memo_id}
                                    or cash_applied(current)[1]):
            raise Refused(f"QuickBooks Payment {current.get('Id')} also applies other credit memos or cash: change "
                          "which invoices the credit goes to in QuickBooks")
        [memo] = connector.fetch("CreditMemo", [memo_id]) or [None]
        invoices = {str(r["Id"]): r for r in connector.fetch("Invoice", [str(i) for i in invoice_ids])}
        if memo is None or len(invoices) < len(set(invoice_ids)):
            gone = f"credit memo {memo_id}" if memo is None else "invoice " + ", ".join(
                str(i) for i in invoice_ids if str(i) not in invoices)
            raise Refused(f"the QuickBooks {gone} of this credit application is gone (deleted in QuickBooks?)")
        label = f"credit memo {memo.get('DocNumber') or memo_id}"
        # what this Payment applies already counts as open again when it is the one being changed
        before = {i: a for i, a in linked(current, "Invoice")} if current is not None else {}
        credit = (dec(memo.get("RemainingCredit") if memo.get("RemainingCredit") is not None else memo.get("Balance"))
                  or Decimal(0)) + sum((a for _i, a in linked(current or {}, "CreditMemo")), Decimal(0))
        lines: list[Record] = []
        targets: list[tuple[Record, str]] = []
        used = Decimal(0)
        for invoice_id in dict.fromkeys(str(i) for i in invoice_ids):
            invoice = invoices[invoice_id]
            target = f"invoice {invoice.get('DocNumber') or invoice_id}"
            if _ref(memo, "CustomerRef") != _ref(invoice, "CustomerRef"):
                raise Refused(f"{label} and {target} are for different customers in QuickBooks, which applies a "
                              "credit only to the same customer's invoices; credit an invoice of the same client in "
                              "Scoro")
            if (_ref(memo, "CurrencyRef") or "") != (_ref(invoice, "CurrencyRef") or ""):
                raise Refused(f"{label} is in {_ref(memo, 'CurrencyRef')} and {target} in "
                              f"{_ref(invoice, 'CurrencyRef')}: a credit applies only in the invoice's currency")
            amount = min(credit, (dec(invoice.get("Balance")) or Decimal(0)) + before.get(invoice_id, Decimal(0)))
            if amount > 0:
                lines.append({"Amount": amount, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]})
                targets.append((invoice, target))
                credit, used = credit - amount, used + amount
        if not lines:
            why = f"{label} has no credit left" if credit <= 0 else (
                "the invoices it credits are" if len(invoices) > 1 else f"{target} is") + " fully paid"
            raise Refused(f"{why} in QuickBooks: nothing to apply (applied or paid there already?)")
        first = targets[0][0]
        record: Record = {
            ENTITY: "Payment", "CustomerRef": first.get("CustomerRef"), "TotalAmt": Decimal(0),
            "TxnDate": max(str(memo.get("TxnDate") or ""), *(str(i.get("TxnDate") or "") for i, _t in targets))
            or None, "CurrencyRef": first.get("CurrencyRef"),
            "PrivateNote": f"{label} applied to {', '.join(t for _i, t in targets)}",
            "Line": [*lines, {"Amount": used, "LinkedTxn": [{"TxnId": memo_id, "TxnType": "CreditMemo"}]}]}
        return {k: v for k, v in record.items() if v is not None}

    return Mapping(to_shared=qb_in, from_shared=qb_out, in_scope=lambda r: not r.get("Deleted") and "Voided" not in str(
        r.get("PrivateNote") or ""), deleted=lambda r: bool(r.get("Deleted")))


class CreditApplications(QuickBooksSide):
    """Each credit memo a Payment applies is a record of its own (`application_id`): a Payment applying two
    memos credits two Scoro credit invoices. A create whose answer was lost is found through the invoice's
    linked payments (QuickBooks' query cannot filter on a payment's lines)."""

    def _part(self, side_id: str) -> tuple[Part, str]:
        return self.parts[0], split_id(side_id)[0]

    def records(self, part: Part, payment: Record) -> list[SideRecord]:
        """One record per credit memo the Payment applies (a deleted Payment: its tombstone)."""
        if part.mapping.deleted(payment):
            return [super().side_record(part, payment)]
        return [self.application(part, payment, memo) for memo in Allocation.of(payment).credits]

    def application(self, part: Part, payment: Record, memo: str) -> SideRecord:
        found = side_record(part.mapping, self.refs, {**payment, "Id": application_id(payment.get("Id"), memo),
                                                      MEMO: memo}, "Id", self.cursor)
        found.native = {**payment, MEMO: memo}
        return found

    def side_record(self, part: Part, record: Record) -> SideRecord:
        """A Payment as written by this category: it applies one credit memo."""
        memos = list(Allocation.of(record).credits)
        return self.application(part, record, str(record.get(MEMO) or (memos[0] if memos else "")))

    def read(self, since: datetime | None) -> Iterator[SideRecord]:
        part = self.parts[0]
        for record in self.connector.read(part.entity, part.where, since=since if self.cursor else None):
            if part.mapping.deleted(record) or (part.keep(record) and part.mapping.in_scope(record)):
                yield from self.records(part, record)

    def candidates(self) -> Iterator[SideRecord]:
        part = self.parts[0]
        for record in self.connector.read(part.entity, part.where):
            if part.keep(record) and part.mapping.in_scope(record) and not part.mapping.deleted(record):
                yield from self.records(part, record)

    def fetch(self, ids: list[str]) -> list[SideRecord]:
        part, wanted = self.parts[0], [split_id(i) for i in ids]
        payments = {str(r.get("Id")): r for r in self.connector.fetch(part.entity, list(dict.fromkeys(
            p for p, _m in wanted))) if part.keep(r)}
        return [self.application(part, payments[p], memo) for p, memo in wanted
                if p in payments and memo in Allocation.of(payments[p]).credits]

    def find(self, shared: dict[str, Any]) -> SideRecord | None:
        memo_id = self.refs.on("credit_notes", "b", shared.get("credit_note"), required=False)
        invoice_ids = [self.refs.on("invoices", "b", i, required=False) for i in shared.get("invoices") or []]
        if memo_id is None or not invoice_ids or invoice_ids[0] is None:
            return None
        [invoice] = self.connector.fetch("Invoice", [invoice_ids[0]]) or [{}]
        payments = [t.get("TxnId") for t in invoice.get("LinkedTxn") or [] if t.get("TxnType") == "Payment"]
        part = self.parts[0]
        found = [r for r in self.connector.fetch("Payment", [str(p) for p in payments])
                 if memo_id in Allocation.of(r).credits]
        return self.application(part, max(found, key=lambda r: int(r["Id"])), memo_id) if found else None
