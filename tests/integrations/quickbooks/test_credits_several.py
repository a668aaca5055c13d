"""QuickBooks Payments that apply several credit memos at once (to one invoice or to several, with or without
cash): every memo's credit invoice in Scoro credits the invoice(s) its credit went to, once, whatever reruns or
fresh states follow; and the other way, two Scoro credit invoices of one invoice are both applied."""
# ruff: noqa: F811 - the fixtures come from test_sync

from __future__ import annotations

from decimal import Decimal
from typing import Any

from scorolink.connectors.base import Condition, WriteOp
from scorolink.integrations.quickbooks.credits import application_id, linked
from scorolink.sync.store import SyncStore
from tests.integrations.quickbooks.test_credits import (
    INVOICES,
    TO_SCORO,
    applications_of,
    credit_invoice,
    credited_in_scoro,
    new_memo,
    sent_invoice,
)
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


def pay_with_credits(session: Any, invoices: list[tuple[dict, Decimal]], memos: list[dict],
                     cash: Decimal = Decimal(0)) -> dict:
    """One QuickBooks Payment: each (invoice, amount) applied, every memo's whole credit used, `cash` received."""
    [made] = list(session.connector.write("Payment", [WriteOp("insert", {
        "CustomerRef": invoices[0][0]["CustomerRef"], "CurrencyRef": invoices[0][0].get("CurrencyRef"),
        "TotalAmt": cash,
        "Line": [*({"Amount": amount, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}
                   for inv, amount in invoices),
                 *({"Amount": memo["TotalAmt"], "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]}
                   for memo in memos)]})]))
    assert made.ok, made.error
    return made.record


def two_open_invoices_of_one_customer(session: Any) -> tuple[dict, dict]:
    by_customer: dict[str, list[dict]] = {}
    for r in qb_rows(session, "Invoice"):
        if r["Balance"] > 40 and r.get("CustomerRef"):
            by_customer.setdefault(str(r["CustomerRef"]["value"]), []).append(r)
    for found in by_customer.values():
        if len(found) >= 2:
            return found[0], found[1]
    raise AssertionError("no customer with two open invoices")


def scoro_invoice(state: SyncStore, qb_invoice: dict) -> int:
    found = state.counterpart("quickbooks", "invoices", "b", qb_invoice["Id"])
    assert found, f"invoice {qb_invoice['Id']} did not come into Scoro"
    return int(found)


def settled(state: SyncStore, sc: Any, session: Any, cfg: Any, qsb: Any, ssb: Any) -> None:
    """A rerun applies nothing again, and the run after it writes nothing at all (the second run of a sync to
    Scoro may still refresh a contact, whatever the credits)."""
    assert run(state, sc, session, cfg).executed["credit_applications"] == {}
    qsb.reset_stats()
    ssb.reset_stats()
    again = run(state, sc, session, cfg)
    assert qb_writes(qsb) == 0 and scoro_writes(ssb) == 0, again.executed


def test_a_payment_applying_two_credit_memos_to_one_invoice_credits_it_from_both(scoro, qb, store, tmp_path):
    ssb, sc = scoro
    qsb, session = qb
    qsb.set_preferences(session.client.realm_id, ClassTrackingPerTxnLine=False)
    invoice = next(r for r in qb_rows(session, "Invoice") if r["Balance"] > 60 and r.get("CustomerRef"))
    first, second = new_memo(session, invoice), new_memo(session, invoice)
    credit = first["TotalAmt"] + second["TotalAmt"]
    assert credit <= invoice["Balance"]
    payment = pay_with_credits(session, [(invoice, credit)], [first, second])
    [after] = session.connector.fetch("Invoice", [invoice["Id"]])
    assert after["Balance"] == invoice["Balance"] - credit
    assert [m["RemainingCredit"] for m in session.connector.fetch("CreditMemo", [first["Id"], second["Id"]])] == [0, 0]
    cfg = config(**TO_SCORO, sync_without_tax=True)
    result = run(store, sc, session, cfg)
    assert result.executed["credit_applications"] == {"created": 2}, (result.executed, errors(store))
    target = scoro_invoice(store, invoice)
    for memo in (first, second):
        assert credited_in_scoro(store, sc, memo["Id"])["CreditedInvoices"] == [target]
    assert not errors(store, "credit_applications")
    assert not store.counterpart("quickbooks", "receipts", "b", f"p{payment['Id']}")  # no cash: no receipt
    # a rerun writes nothing, and a fresh state links both applications instead of writing them again
    settled(store, sc, session, cfg, qsb, ssb)
    fresh = SyncStore(f"sqlite:///{tmp_path}/fresh.db")
    again = run(fresh, sc, session, cfg)
    assert again.executed.get("credit_applications") == {"linked": 2}, again.executed
    assert qb_writes(qsb) == 0
    fresh.close()


def test_a_payment_applying_credit_memos_to_two_invoices_credits_each_memos_invoices(scoro, qb, store, tmp_path):
    ssb, sc = scoro
    qsb, session = qb
    qsb.set_preferences(session.client.realm_id, ClassTrackingPerTxnLine=False)
    one, two = two_open_invoices_of_one_customer(session)
    first, second = new_memo(session, one), new_memo(session, two)
    cash = Decimal("5.00")
    # QuickBooks pools a Payment's credits: the lines say what each invoice gets (credit and cash), not which
    # memo pays which invoice; the first memo's credit goes to the first invoice, the rest to the next
    payment = pay_with_credits(session, [(one, first["TotalAmt"]), (two, second["TotalAmt"] + cash)],
                               [first, second], cash)
    cfg = config(**TO_SCORO, sync_without_tax=True)
    result = run(store, sc, session, cfg)
    assert result.executed["credit_applications"] == {"created": 2}, (result.executed, errors(store))
    assert credited_in_scoro(store, sc, first["Id"])["CreditedInvoices"] == [scoro_invoice(store, one)]
    assert credited_in_scoro(store, sc, second["Id"])["CreditedInvoices"] == [scoro_invoice(store, two)]
    assert not errors(store, "credit_applications")
    # the cash is the receipt's (on the invoice that got it), the credit the applications'
    receipt = store.counterpart("quickbooks", "receipts", "b", f"p{payment['Id']}")
    assert receipt, errors(store, "receipts")
    [group] = sc.read("ReceiptGroups", [Condition("Id", "=", int(receipt))], columns=["Id", "Sum", "Receipts"])
    assert Decimal(str(group["Sum"])) == cash and group["Receipts"][0]["InvoiceId"] == scoro_invoice(store, two)
    settled(store, sc, session, cfg, qsb, ssb)
    fresh = SyncStore(f"sqlite:///{tmp_path}/fresh.db")
    again = run(fresh, sc, session, cfg)
    assert again.executed.get("credit_applications") == {"linked": 2}, again.executed
    fresh.close()


def test_a_memo_whose_credit_spans_two_invoices_credits_both(scoro, qb, store):
    _ssb, sc = scoro
    qsb, session = qb
    qsb.set_preferences(session.client.realm_id, ClassTrackingPerTxnLine=False)
    one, two = two_open_invoices_of_one_customer(session)
    big, small = new_memo(session, one, units=2), new_memo(session, two)
    part = big["TotalAmt"] - 1  # the big memo fills the first invoice's line and spills 1 onto the second
    pay_with_credits(session, [(one, part), (two, small["TotalAmt"] + 1)], [big, small])
    run(store, sc, session, config(**TO_SCORO, sync_without_tax=True))
    assert credited_in_scoro(store, sc, big["Id"])["CreditedInvoices"] == sorted(
        [scoro_invoice(store, one), scoro_invoice(store, two)])
    assert credited_in_scoro(store, sc, small["Id"])["CreditedInvoices"] == [scoro_invoice(store, two)]
    assert not errors(store, "credit_applications")


def test_memos_applied_together_after_they_came_over_follow(scoro, qb, store):
    ssb, sc = scoro
    qsb, session = qb
    qsb.set_preferences(session.client.realm_id, ClassTrackingPerTxnLine=False)
    invoice = next(r for r in qb_rows(session, "Invoice") if r["Balance"] > 60 and r.get("CustomerRef"))
    first, second = new_memo(session, invoice), new_memo(session, invoice)
    cfg = config(**TO_SCORO, sync_without_tax=True)
    run(store, sc, session, cfg)
    assert credited_in_scoro(store, sc, first["Id"])["CreditedInvoices"] == []
    pay_with_credits(session, [(invoice, first["TotalAmt"] + second["TotalAmt"])], [first, second])
    qsb.advance_clock(5)
    result = run(store, sc, session, cfg)
    assert result.executed["credit_applications"] == {"created": 2}, (result.executed, errors(store))
    target = scoro_invoice(store, invoice)
    assert [credited_in_scoro(store, sc, m["Id"])["CreditedInvoices"] for m in (first, second)] == [[target]] * 2
    settled(store, sc, session, cfg, qsb, ssb)


def test_a_memo_applied_in_a_second_payment_is_reported_not_swapped_in(scoro, qb, store):
    """Scoro keeps one application per credit invoice: a memo whose credit is used in two payments keeps its
    first one, and the second is an open error saying so (reruns do not flip the credit invoice between them)."""
    _ssb, sc = scoro
    qsb, session = qb
    qsb.set_preferences(session.client.realm_id, ClassTrackingPerTxnLine=False)
    one, two = two_open_invoices_of_one_customer(session)
    memo = new_memo(session, one, units=2)
    half = (Decimal(str(memo["TotalAmt"])) / 2).quantize(Decimal("0.01"))
    pay_with_credits(session, [(one, half)], [{**memo, "TotalAmt": half}])
    cfg = config(**TO_SCORO, sync_without_tax=True)
    run(store, sc, session, cfg)
    assert credited_in_scoro(store, sc, memo["Id"])["CreditedInvoices"] == [scoro_invoice(store, one)]
    [memo] = session.connector.fetch("CreditMemo", [memo["Id"]])
    second = pay_with_credits(session, [(two, memo["RemainingCredit"])], [{**memo, "TotalAmt": memo["RemainingCredit"]}])
    qsb.advance_clock(5)
    for _ in range(2):
        run(store, sc, session, cfg)
        assert credited_in_scoro(store, sc, memo["Id"])["CreditedInvoices"] == [scoro_invoice(store, one)]
    [refused] = errors(store, "credit_applications")
    assert refused["source_id"] == application_id(second["Id"], memo["Id"])
    assert "already carries another application" in refused["message"]


# -- Scoro → QuickBooks --------------------------------------------------------------------------------------
def test_two_scoro_credit_invoices_of_one_invoice_are_both_applied(scoro, qb, store):
    ssb, sc = scoro
    qsb, session = qb
    chosen = only(**INVOICES)
    run(store, sc, session, chosen)
    original, before = sent_invoice(store, sc, session)
    credits = [credit_invoice(sc, original, "CR-1"), credit_invoice(sc, original, "CR-2")]
    ssb.advance_clock(5)
    result = run(store, sc, session, chosen)
    assert result.executed["credit_applications"] == {"created": 2}, errors(store)
    memos = [store.counterpart("quickbooks", "credit_notes", "a", str(c["Id"])) for c in credits]
    total = Decimal(0)
    for memo_id in memos:
        [payment] = applications_of(session, memo_id)
        [memo] = session.connector.fetch("CreditMemo", [memo_id])
        assert memo["RemainingCredit"] == 0 and linked(payment, "Invoice") == [(before["Id"], memo["TotalAmt"])]
        total += memo["TotalAmt"]
    [after] = session.connector.fetch("Invoice", [before["Id"]])
    assert after["Balance"] == before["Balance"] - total
    qsb.reset_stats()
    ssb.reset_stats()
    run(store, sc, session, chosen)
    assert qb_writes(qsb) == 0 and scoro_writes(ssb) == 0


def test_a_payment_applying_several_memos_is_not_rewritten_for_one_of_them(scoro, qb, tmp_path):
    """Linked on a fresh state to a QuickBooks payment that applies two memos, a Scoro credit invoice that then
    credits another invoice is refused (rewriting the payment would undo the other memo), saying where to change
    it."""
    ssb, sc = scoro
    _qsb, session = qb
    chosen = only(**INVOICES)
    first = SyncStore(f"sqlite:///{tmp_path}/first.db")
    run(first, sc, session, chosen)
    original, before = sent_invoice(first, sc, session)
    credits = [credit_invoice(sc, original, "CR-1"), credit_invoice(sc, original, "CR-2")]
    ssb.advance_clock(5)
    run(first, sc, session, chosen)
    memos = [first.counterpart("quickbooks", "credit_notes", "a", str(c["Id"])) for c in credits]
    elsewhere = next(int(link.a_id) for link in first.links("quickbooks", "invoices").by["a"].values()
                     if link.b_id != before["Id"])
    first.close()
    for memo_id in memos:  # the two applications undone in QuickBooks, and made again as one payment
        [payment] = applications_of(session, memo_id)
        [gone] = list(session.connector.write("Payment", [WriteOp("delete", {"Id": payment["Id"],
                                                                              "SyncToken": payment["SyncToken"]})]))
        assert gone.ok, gone.error
    [invoice] = session.connector.fetch("Invoice", [before["Id"]])
    together = pay_with_credits(session, [(invoice, sum((Decimal(str(m["TotalAmt"])) for m in session.connector.fetch(
        "CreditMemo", memos)), Decimal(0)))], session.connector.fetch("CreditMemo", memos))
    state = SyncStore(f"sqlite:///{tmp_path}/fresh.db")
    assert run(state, sc, session, chosen).executed["credit_applications"] == {"linked": 2}
    list(sc.write("Invoices", [WriteOp("update", {"Id": credits[0]["Id"], "CreditedInvoices": [elsewhere]})]))
    ssb.advance_clock(5)
    run(state, sc, session, chosen)
    [refused] = errors(state, "credit_applications")
    assert refused["source_id"] == str(credits[0]["Id"]) and "also applies other credit memos" in refused["message"]
    [unchanged] = session.connector.fetch("Payment", [together["Id"]])
    assert unchanged["Line"] == together["Line"]
    state.close()


# -- the sandbox: a Payment's lines together -----------------------------------------------------------------
def test_quickbooks_refuses_lines_that_together_take_more_than_a_document_has_open(qb):
    _qsb, session = qb
    invoice = next(r for r in qb_rows(session, "Invoice") if r["Balance"] > 60 and r.get("CustomerRef"))
    memo = new_memo(session, invoice)

    def pay(lines: list[tuple[dict, str, Decimal]], cash: Decimal = Decimal(0)) -> Any:
        [made] = list(session.connector.write("Payment", [WriteOp("insert", {
            "CustomerRef": invoice["CustomerRef"], "CurrencyRef": invoice.get("CurrencyRef"), "TotalAmt": cash,
            "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": doc["Id"], "TxnType": kind}]}
                     for doc, kind, amount in lines]})]))
        return made

    credit, due = Decimal(str(memo["TotalAmt"])), Decimal(str(invoice["Balance"]))
    twice = pay([(invoice, "Invoice", 2 * credit), (memo, "CreditMemo", credit), (memo, "CreditMemo", credit)])
    assert not twice.ok and "open balance" in twice.error  # one memo's credit used twice over
    over = pay([(invoice, "Invoice", due), (invoice, "Invoice", due)], 2 * due)
    assert not over.ok and "open balance" in over.error  # one invoice paid twice over
    beyond = pay([(invoice, "Invoice", Decimal(1)), (memo, "CreditMemo", credit)])
    assert not beyond.ok and "more than the charges" in beyond.error  # credit beyond what it pays
    assert session.connector.fetch("CreditMemo", [memo["Id"]])[0]["RemainingCredit"] == credit
    assert session.connector.fetch("Invoice", [invoice["Id"]])[0]["Balance"] == due
    # within what is open, a memo on two lines and an invoice on two lines are fine
    half = (credit / 2).quantize(Decimal("0.01"))
    split = pay([(invoice, "Invoice", half), (invoice, "Invoice", credit - half), (memo, "CreditMemo", half),
                 (memo, "CreditMemo", credit - half)])
    assert split.ok, split.error
    assert session.connector.fetch("CreditMemo", [memo["Id"]])[0]["RemainingCredit"] == 0
    assert session.connector.fetch("Invoice", [invoice["Id"]])[0]["Balance"] == due - credit
