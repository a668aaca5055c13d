"""Sub-accounts and sub-classes (ParentRef, FullyQualifiedName), and the account a bill payment is paid from."""

from __future__ import annotations

import pytest

from tests.sandbox_quickbooks.qbo_http import QBO


@pytest.mark.parametrize(("entity", "flag", "extra"), [("Account", "SubAccount", {"AccountType": "Expense"}),
                                                       ("Class", "SubClass", {})])
def test_a_parent_ref_nests_the_name(qbo: QBO, entity: str, flag: str, extra: dict) -> None:
    parent = qbo.create(entity, {"Name": "Trips", **extra})
    assert parent[flag] is False and parent["FullyQualifiedName"] == "Trips"
    child = qbo.create(entity, {"Name": "Flights", "ParentRef": {"value": parent["Id"]}, **extra})
    assert child[flag] is True and child["FullyQualifiedName"] == "Trips:Flights"
    assert child["ParentRef"]["value"] == parent["Id"]
    assert qbo.fault("POST", f"/{entity.lower()}", "2500",
                     json={"Name": "Hotels", "ParentRef": {"value": "99999"}, **extra})


@pytest.mark.parametrize(("pay_type", "detail", "field", "wrong_type", "needed"), [
    ("Check", "CheckPayment", "BankAccountRef", "Credit Card", "Bank"),
    ("CreditCard", "CreditCardPayment", "CCAccountRef", "Bank", "Credit Card")])
def test_a_bill_payment_is_paid_from_an_account_of_its_kind(qbo: QBO, pay_type: str, detail: str, field: str,
                                                            wrong_type: str, needed: str) -> None:
    bill = qbo.first("Bill", "where Balance > '0'")
    right = qbo.create("Account", {"Name": f"Paid from {needed}", "AccountType": needed})
    wrong = qbo.create("Account", {"Name": f"Not {needed}", "AccountType": wrong_type})
    body = {"VendorRef": bill["VendorRef"], "TotalAmt": 5, "PayType": pay_type,
            "Line": [{"Amount": 5, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]}
    err = qbo.fault("POST", "/billpayment", "6000", json={**body, detail: {field: {"value": wrong["Id"]}}})
    assert err["Detail"].endswith(f"{detail}.{field} must be a {needed} account")
    assert err["element"] == f"{detail}.{field}"
    paid = qbo.create("BillPayment", {**body, detail: {field: {"value": right["Id"]}}})
    assert paid[detail][field]["value"] == right["Id"]
