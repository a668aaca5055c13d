"""Credit memos applied to the invoices they credit, both ways, end to end between the Scoro sandbox and the
QuickBooks sandbox's euro company: in QuickBooks a Payment (TotalAmt 0) linking the Invoice and the CreditMemo,
in Scoro the credit invoice's CreditedInvoices. Applied once, whatever crashes or reruns in between."""
# ruff: noqa: F811 - the fixtures come from test_sync

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from scorolink.connectors.base import Condition, WriteOp
from scorolink.integrations.quickbooks.credits import CreditApplications, application_id, linked
from scorolink.sync.store import SyncStore
from tests.integrations.quickbooks.test_sync import (  # noqa: F401 - fixtures among them
    config,
    errors,
    only,
    qb,
    qb_rows,
    qb_writes,
    run,
    scoro,
    scoro_writes,
    store,
)

INVOICES = {"invoices": {}, "tax_rates": {}}


def sent_invoice(state: SyncStore, sc: Any, session: Any) -> tuple[dict, dict]:
    """A Scoro invoice synced to QuickBooks with something still due there, and its QuickBooks copy."""
    for link in state.links("quickbooks", "invoices").by["a"].values():
        [copy] = session.connector.fetch("Invoice", [link.b_id])
        if copy["Balance"] > 20:
            [mine] = sc.read("Invoices", [Condition("Id", "=", int(link.a_id))],
                             columns=["Id", "CompanyId", "PersonId", "Currency", "Date", "Lines"])
            return mine, copy
    raise AssertionError("no synced invoice with a balance")


def credit_invoice(sc: Any, original: dict, number: str = "CR-1") -> dict:
    """A Scoro credit invoice for one unit of the original's first line (Scoro writes it negative)."""
    first = original["Lines"][0]
    [made] = list(sc.write("Invoices", [WriteOp("insert", {
        "DocumentNumber": number, "CompanyId": original["CompanyId"] or original["PersonId"],
        "Currency": original["Currency"], "Date": original["Date"], "Deadline": original["Date"], "IsSent": True,
        "CreditedInvoices": [original["Id"]],
        "Lines": [{"ProductId": first["ProductId"], "Comment": "returned", "Amount": -1, "Price": first["Price"],
                   "VatCodeId": first["VatCodeId"], "FinanceAccountId": first["FinanceAccountId"]}]})]))
    assert made.ok, made.error
    return made.record


def applications_of(session: Any, memo_id: str) -> list[dict]:
    return [p for p in qb_rows(session, "Payment") if any(i == memo_id for i, _a in linked(p, "CreditMemo"))]


# -- Scoro → QuickBooks ------------------------------------------------------------------------------------
def test_a_scoro_credit_invoice_becomes_a_credit_memo_applied_to_its_invoice(scoro, qb, store):
    ssb, sc = scoro
    qsb, session = qb
    chosen = only(**INVOICES)
    run(store, sc, session, chosen)
    original, before = sent_invoice(store, sc, session)
    credit = credit_invoice(sc, original)
    ssb.advance_clock(5)
    result = run(store, sc, session, chosen)
    assert result.executed["credit_notes"] == {"created": 1}, errors(store)
    assert result.executed["credit_applications"] == {"created": 1}, errors(store)
    memo_id = store.counterpart("quickbooks", "credit_notes", "a", str(credit["Id"]))
    [memo] = session.connector.fetch("CreditMemo", [memo_id])
    [after] = session.connector.fetch("Invoice", [before["Id"]])
    # the whole credit is used, and the invoice's balance goes down by it
    assert memo["RemainingCredit"] == 0 and memo["TotalAmt"] > 0
    assert after["Balance"] == before["Balance"] - memo["TotalAmt"]
    [payment] = applications_of(session, memo_id)
    assert payment["TotalAmt"] == 0  # no cash: the credit covers it
    assert linked(payment, "Invoice") == [(before["Id"], memo["TotalAmt"])]
    assert store.counterpart("quickbooks", "credit_applications", "a", str(credit["Id"])) == application_id(payment["Id"], memo_id)
    assert not store.links("quickbooks", "invoices").get("a", str(credit["Id"]))  # not also sent as an invoice
    # a rerun finds the application linked: nothing is written on either side
    qsb.reset_stats()
    ssb.reset_stats()
    again = run(store, sc, session, chosen)
    assert qb_writes(qsb) == 0 and scoro_writes(ssb) == 0, again.executed
    assert len(applications_of(session, memo_id)) == 1


def test_the_category_invoices_brings_its_credit_memos_and_their_application(scoro, qb, store):
    ssb, sc = scoro
    _qsb, session = qb
    run(store, sc, session, only(**INVOICES))
    original, _before = sent_invoice(store, sc, session)
    credit = credit_invoice(sc, original)
    ssb.advance_clock(5)
    run(store, sc, session, only(**INVOICES), only=["invoices"])
    memo_id = store.counterpart("quickbooks", "credit_notes", "a", str(credit["Id"]))
    assert memo_id and len(applications_of(session, memo_id)) == 1


@pytest.mark.parametrize("when", ["before the send", "after the send"])
def test_a_crash_around_the_application_applies_it_once(scoro, qb, store, monkeypatch, when):
    ssb, sc = scoro
    _qsb, session = qb
    chosen = only(**INVOICES)
    run(store, sc, session, chosen)
    original, before = sent_invoice(store, sc, session)
    credit = credit_invoice(sc, original)
    ssb.advance_clock(5)
    real = CreditApplications.write

    def crash(self, requests):
        if when == "after the send":  # the Payment is made, the answer never recorded
            real(self, requests)
        raise KeyboardInterrupt(f"killed {when}")

    monkeypatch.setattr(CreditApplications, "write", crash)
    with pytest.raises(KeyboardInterrupt):
        run(store, sc, session, chosen)
    monkeypatch.setattr(CreditApplications, "write", real)
    memo_id = store.counterpart("quickbooks", "credit_notes", "a", str(credit["Id"]))
    assert memo_id  # the credit memo was made and recorded before the crash
    result = run(store, sc, session, chosen)
    executed = result.executed["credit_applications"]
    if when == "after the send":  # the Payment made before the crash is found and linked, not made again
        assert executed.get("adopted") == 1 and "created" not in executed, executed
    else:
        assert executed == {"created": 1}, errors(store)
    [payment] = applications_of(session, memo_id)
    [memo] = session.connector.fetch("CreditMemo", [memo_id])
    [after] = session.connector.fetch("Invoice", [before["Id"]])
    assert memo["RemainingCredit"] == 0 and after["Balance"] == before["Balance"] - memo["TotalAmt"]
    assert store.counterpart("quickbooks", "credit_applications", "a", str(credit["Id"])) == application_id(payment["Id"], memo_id)
    assert not errors(store, "credit_applications")


def test_a_fresh_state_links_the_application_and_applies_nothing_again(scoro, qb, tmp_path):
    ssb, sc = scoro
    qsb, session = qb
    first = SyncStore(f"sqlite:///{tmp_path}/first.db")
    run(first, sc, session, only(**INVOICES))
    original, _before = sent_invoice(first, sc, session)
    credit_invoice(sc, original)
    ssb.advance_clock(5)
    run(first, sc, session, only(**INVOICES))
    first.close()
    qsb.reset_stats()
    fresh = SyncStore(f"sqlite:///{tmp_path}/fresh.db")
    result = run(fresh, sc, session, only(**INVOICES))
    assert result.executed.get("credit_applications") == {"linked": 1}, result.executed
    assert not qsb.stats()["writes"].get("Payment")
    fresh.close()


def test_a_credit_larger_than_what_is_due_applies_what_is_due(scoro, qb, store):
    ssb, sc = scoro
    _qsb, session = qb
    chosen = only(**INVOICES)
    run(store, sc, session, chosen)
    original, before = sent_invoice(store, sc, session)
    [part] = list(session.connector.write("Payment", [WriteOp("insert", {
        "CustomerRef": before["CustomerRef"], "CurrencyRef": before.get("CurrencyRef"), "TotalAmt": before["Balance"] - 1,
        "Line": [{"Amount": before["Balance"] - 1, "LinkedTxn": [{"TxnId": before["Id"], "TxnType": "Invoice"}]}]})]))
    assert part.ok, part.error
    credit = credit_invoice(sc, original)
    ssb.advance_clock(5)
    run(store, sc, session, chosen)
    memo_id = store.counterpart("quickbooks", "credit_notes", "a", str(credit["Id"]))
    [memo] = session.connector.fetch("CreditMemo", [memo_id])
    [after] = session.connector.fetch("Invoice", [before["Id"]])
    assert after["Balance"] == 0 and memo["RemainingCredit"] == memo["TotalAmt"] - 1  # 1 was still due


# -- QuickBooks → Scoro ------------------------------------------------------------------------------------
TO_SCORO = {c: {"direction": "to-scoro"} for c in ("contacts", "products", "invoices", "receipts")}


def apply_in_quickbooks(session: Any, memo: dict, invoice: dict) -> dict:
    amount = min(memo["RemainingCredit"], invoice["Balance"])
    [made] = list(session.connector.write("Payment", [WriteOp("insert", {
        "CustomerRef": invoice["CustomerRef"], "CurrencyRef": invoice.get("CurrencyRef"), "TotalAmt": 0,
        "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]},
                 {"Amount": amount, "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]}]})]))
    assert made.ok, made.error
    return made.record


def new_memo(session: Any, invoice: dict, units: int = 1) -> dict:
    """A QuickBooks credit memo for the customer of `invoice`, for a few units of its first line."""
    detail = invoice["Line"][0]["SalesItemLineDetail"]
    [made] = list(session.connector.write("CreditMemo", [WriteOp("insert", {
        "CustomerRef": invoice["CustomerRef"], "CurrencyRef": invoice.get("CurrencyRef"),
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": detail["UnitPrice"] * units,
                  "SalesItemLineDetail": {**detail, "Qty": units}}]})]))
    assert made.ok, made.error
    return made.record


def credited_in_scoro(state: SyncStore, sc: Any, memo_id: str) -> dict:
    scoro_id = state.counterpart("quickbooks", "credit_notes", "b", memo_id)
    assert scoro_id, f"credit memo {memo_id} did not come into Scoro"
    [credit] = sc.read("Invoices", [Condition("Id", "=", int(scoro_id))],
                       columns=["Id", "Lines", "CreditedInvoices"])
    return credit


def test_a_credit_memo_applied_in_quickbooks_arrives_as_a_credit_invoice_of_that_invoice(scoro, qb, store):
    ssb, sc = scoro
    qsb, session = qb
    qsb.set_preferences(session.client.realm_id, ClassTrackingPerTxnLine=False)  # (accounting objects aside)
    open_invoices = [r for r in qb_rows(session, "Invoice") if r["Balance"] > 20 and r.get("CustomerRef")]
    applied_first, applied_later = open_invoices[0], open_invoices[1]
    memo = new_memo(session, applied_first)
    payment = apply_in_quickbooks(session, memo, applied_first)
    cfg = config(**TO_SCORO, sync_without_tax=True)
    run(store, sc, session, cfg)
    credit = credited_in_scoro(store, sc, memo["Id"])
    invoice_id = store.counterpart("quickbooks", "invoices", "b", applied_first["Id"])
    assert credit["CreditedInvoices"] == [int(invoice_id)]
    assert all(line["Amount"] < 0 for line in credit["Lines"])  # Scoro writes a credit invoice negative
    assert store.counterpart("quickbooks", "credit_applications", "b",
                             application_id(payment["Id"], memo["Id"])) == str(credit["Id"])
    assert not store.counterpart("quickbooks", "receipts", "b", f"p{payment['Id']}")  # a credit, not a receipt
    assert not errors(store, "credit_applications"), errors(store, "credit_applications")
    # a memo that came over unapplied, applied in QuickBooks afterwards: its credit invoice follows
    later = new_memo(session, applied_later)
    qsb.advance_clock(5)
    run(store, sc, session, cfg)
    assert credited_in_scoro(store, sc, later["Id"])["CreditedInvoices"] == []
    [later] = session.connector.fetch("CreditMemo", [later["Id"]])
    apply_in_quickbooks(session, later, applied_later)
    qsb.advance_clock(5)
    result = run(store, sc, session, cfg)
    assert result.executed["credit_applications"] == {"created": 1}, result.executed  # onto the credit invoice
    later_invoice = store.counterpart("quickbooks", "invoices", "b", applied_later["Id"])
    assert credited_in_scoro(store, sc, later["Id"])["CreditedInvoices"] == [int(later_invoice)]
    # and a rerun writes nothing
    qsb.reset_stats()
    ssb.reset_stats()
    run(store, sc, session, cfg)
    assert qb_writes(qsb) == 0 and scoro_writes(ssb) == 0


def test_a_payment_with_cash_and_credit_is_a_receipt_of_the_cash(scoro, qb, store):
    _ssb, sc = scoro
    qsb, session = qb
    qsb.set_preferences(session.client.realm_id, ClassTrackingPerTxnLine=False)
    invoice = next(r for r in qb_rows(session, "Invoice") if r["Balance"] > 50)
    memo = new_memo(session, invoice)
    cash = Decimal("10.00")
    [made] = list(session.connector.write("Payment", [WriteOp("insert", {
        "CustomerRef": invoice["CustomerRef"], "CurrencyRef": invoice.get("CurrencyRef"), "TotalAmt": cash,
        "Line": [{"Amount": memo["TotalAmt"] + cash, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]},
                 {"Amount": memo["TotalAmt"], "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]}]})]))
    assert made.ok, made.error
    run(store, sc, session, config(**TO_SCORO, sync_without_tax=True))
    receipt = store.counterpart("quickbooks", "receipts", "b", f"p{made.record['Id']}")
    assert receipt, errors(store, "receipts")
    [group] = sc.read("ReceiptGroups", [Condition("Id", "=", int(receipt))], columns=["Id", "Sum"])
    assert Decimal(str(group["Sum"])) == cash
    assert credited_in_scoro(store, sc, memo["Id"])["CreditedInvoices"] == [
        int(store.counterpart("quickbooks", "invoices", "b", invoice["Id"]))]


def lose_the_answer_to(qsb: Any, session: Any, monkeypatch: Any, entity: str) -> None:
    """The first batch writing `entity` is done by QuickBooks, and its answer lost on the way back."""
    client, lost = session.client, []
    real = client.batch

    def lossy(items: list[dict], **kw: Any) -> Any:
        if not lost and any(entity in item for item in items):
            lost.append(entity)
            qsb.inject("lost_ack")
        return real(items, **kw)

    monkeypatch.setattr(client, "batch", lossy)


def test_a_lost_answer_to_the_application_applies_it_once(scoro, qb, store, monkeypatch):
    ssb, sc = scoro
    qsb, session = qb
    chosen = only(**INVOICES)
    run(store, sc, session, chosen)
    original, before = sent_invoice(store, sc, session)
    credit = credit_invoice(sc, original)
    ssb.advance_clock(5)
    lose_the_answer_to(qsb, session, monkeypatch, "Payment")
    run(store, sc, session, chosen)
    run(store, sc, session, chosen)  # what a run could not settle, the next one does
    assert qsb.stats()["faults_injected"].get("lost_ack") == 1
    memo_id = store.counterpart("quickbooks", "credit_notes", "a", str(credit["Id"]))
    [payment] = applications_of(session, memo_id)
    [after] = session.connector.fetch("Invoice", [before["Id"]])
    [memo] = session.connector.fetch("CreditMemo", [memo_id])
    assert after["Balance"] == before["Balance"] - memo["TotalAmt"]
    assert store.counterpart("quickbooks", "credit_applications", "a", str(credit["Id"])) == application_id(payment["Id"], memo_id)


def test_a_credit_memo_whose_credit_is_used_is_not_changed_from_scoro(scoro, qb, store):
    ssb, sc = scoro
    _qsb, session = qb
    chosen = only(**INVOICES)
    run(store, sc, session, chosen)
    original, _before = sent_invoice(store, sc, session)
    credit = credit_invoice(sc, original)
    ssb.advance_clock(5)
    run(store, sc, session, chosen)
    list(sc.write("Invoices", [WriteOp("update", {"Id": credit["Id"], "Description": "changed afterwards"})]))
    ssb.advance_clock(5)
    result = run(store, sc, session, chosen)
    assert "updated" not in result.executed.get("credit_notes", {})
    [gated] = [e for e in errors(store, "credit_notes") if e["source_id"] == str(credit["Id"])]
    assert gated["kind"] == "gated" and "applied in QuickBooks" in gated["message"]
