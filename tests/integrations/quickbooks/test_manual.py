"""Manual sync of one object, as Scoro's "Send to QuickBooks" action allows it: a bill until a payment is
attached, receipts pulled for an invoice until it is fully received, a contact."""
# ruff: noqa: F811 - the fixtures come from test_sync

from __future__ import annotations

from decimal import Decimal

import pytest

from scorolink.connectors.base import Condition, WriteOp
from scorolink.errors import ConfigError
from tests.integrations.quickbooks.test_sync import (  # noqa: F401 - fixtures among them
    errors,
    only,
    qb,
    qb_rows,
    run,
    scoro,
    store,
)


def test_one_bill_can_be_sent_until_a_payment_is_attached(scoro, qb, store):
    _ssb, sc = scoro
    qsb, session = qb
    chosen = only(bills={}, tax_rates={}, accounts={})
    sent = None
    for bill in sc.read("Bills", columns=["Id", "Currency"]):
        if bill["Currency"] != "EUR":
            continue
        qsb.reset_stats()
        run(store, sc, session, chosen, record=("bills", "a", str(bill["Id"])))
        sent = store.counterpart("quickbooks", "bills", "a", str(bill["Id"]))
        if sent:
            assert qsb.stats()["writes"]["Bill"] == {"create": 1}  # that bill only
            break
    assert sent, errors(store, "bills")
    [copy] = session.connector.fetch("Bill", [sent])
    [bank] = [a for a in qb_rows(session, "Account") if a.get("AccountType") == "Bank"][:1]
    [paid] = list(session.connector.write("BillPayment", [WriteOp("insert", {
        "VendorRef": copy["VendorRef"], "CurrencyRef": copy.get("CurrencyRef"), "TotalAmt": 1, "PayType": "Check",
        "CheckPayment": {"BankAccountRef": {"value": bank["Id"]}},
        "Line": [{"Amount": 1, "LinkedTxn": [{"TxnId": sent, "TxnType": "Bill"}]}]})]))
    assert paid.ok, paid.error
    with pytest.raises(ConfigError, match="payment attached.*receipts:"):
        run(store, sc, session, chosen, record=("bills", "a", str(bill["Id"])))


def pay(session, invoice: dict, amount: Decimal) -> str:
    [made] = list(session.connector.write("Payment", [WriteOp("insert", {
        "CustomerRef": invoice["CustomerRef"], "CurrencyRef": invoice.get("CurrencyRef"), "TotalAmt": amount,
        "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]})]))
    assert made.ok, made.error
    return str(made.record["Id"])


def test_receipts_are_pulled_for_an_invoice_until_it_is_fully_received(scoro, qb, store):
    _ssb, sc = scoro
    _qsb, session = qb
    chosen = only(invoices={}, tax_rates={}, receipts={"direction": "to-scoro"})
    run(store, sc, session, chosen)
    link = next(link for link in store.links("quickbooks", "invoices").by["a"].values()
                if session.connector.fetch("Invoice", [link.b_id])[0]["Balance"] > 10)
    [invoice] = session.connector.fetch("Invoice", [link.b_id])
    half = (invoice["Balance"] / 2).quantize(Decimal("0.01"))
    first = pay(session, invoice, half)
    result = run(store, sc, session, chosen, record=("receipts", "a", link.a_id))
    assert result.executed["receipts"] == {"created": 1}, errors(store)
    receipt = store.counterpart("quickbooks", "receipts", "b", f"p{first}")
    [group] = sc.read("ReceiptGroups", [Condition("Id", "=", int(receipt))], columns=["Id", "Sum", "Receipts"])
    assert Decimal(str(group["Sum"])) == half and group["Receipts"][0]["InvoiceId"] == int(link.a_id)
    [invoice] = session.connector.fetch("Invoice", [link.b_id])
    rest = pay(session, invoice, invoice["Balance"])
    again = run(store, sc, session, chosen, record=("receipts", "a", link.a_id))
    assert again.executed["receipts"] == {"created": 1}  # the new one only
    assert store.counterpart("quickbooks", "receipts", "b", f"p{rest}")
    with pytest.raises(ConfigError, match="fully received"):
        run(store, sc, session, chosen, record=("receipts", "a", link.a_id))


def test_pulling_receipts_needs_receipts_synced_to_scoro(scoro, qb, store):
    _ssb, sc = scoro
    _qsb, session = qb
    chosen = only(invoices={}, tax_rates={})
    run(store, sc, session, chosen)
    invoice = next(iter(store.links("quickbooks", "invoices").by["a"]))
    with pytest.raises(ConfigError, match="--category receipts --enable --direction to-scoro"):
        run(store, sc, session, chosen, record=("receipts", "a", invoice))


def test_one_contact_can_be_sent(scoro, qb, store):
    _ssb, sc = scoro
    qsb, session = qb
    [made] = list(sc.write("Companies", [WriteOp("insert", {"Name": "Single Send OÜ", "IsClient": True})]))
    qsb.reset_stats()
    run(store, sc, session, only(invoices={}), record=("contacts", "a", str(made.record["Id"])))
    assert [r["DisplayName"] for r in qb_rows(session, "Customer", DisplayName="Single Send OÜ")] == ["Single Send OÜ"]
    assert qsb.stats()["writes"] == {"Customer": {"create": 1}}  # that contact alone
