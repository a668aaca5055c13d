"""Writes (B3, B6, B7, B11): name rules, one currency per contact, item and account rules, class tracking,
SyncToken and the stale-object Fault, full versus sparse updates, the delete and void matrix, payments."""

from __future__ import annotations

from scorolink.sandbox.quickbooks import QuickBooksSandbox
from tests.sandbox_quickbooks.qbo_http import QBO, invoice_body


def test_create_customer_and_name_rules(qbo: QBO, customer: dict) -> None:
    assert customer["Id"].isdigit() and customer["SyncToken"] == "0" and customer["Active"] is True
    assert customer["CurrencyRef"]["value"] == "USD" and customer["FullyQualifiedName"] == "Test Customer LLC"
    dup = qbo.fault("POST", "/customer", "6240", json={"DisplayName": "test customer llc"})
    assert dup["Message"] == "Duplicate Name Exists Error" and "customer, vendor or employee" in dup["Detail"]
    # unique across customers and vendors
    assert qbo.fault("POST", "/vendor", "6240", json={"DisplayName": "Test Customer LLC"})
    assert qbo.fault("POST", "/customer", "6080", json={"CompanyName": "Only A Company"})
    named = qbo.create("Customer", {"GivenName": "Mary", "FamilyName": "Jones"})
    assert named["DisplayName"] == "Mary Jones"
    assert qbo.fault("POST", "/customer", "2010", json={"DisplayName": "Colon: not allowed"})
    # the SDK's defaults: "" means not sent; read-only fields are ignored; SyncToken may be an integer
    sdk = qbo.create("Customer", {"DisplayName": "SDK Style", "Title": "", "Balance": 0, "FullyQualifiedName": "",
                                  "IsProject": False, "Level": 0, "SyncToken": 0, "sparse": False, "domain": "QBO"})
    assert "Title" not in sdk and sdk["FullyQualifiedName"] == "SDK Style"


def test_contact_currency_is_fixed_once_set(qbo: QBO, uk: QBO) -> None:
    euro = uk.create("Customer", {"DisplayName": "Euro Client GmbH", "CurrencyRef": {"value": "EUR"}})
    assert euro["CurrencyRef"]["value"] == "EUR"
    err = uk.fault("POST", "/customer", "6000", json={"Id": euro["Id"], "SyncToken": euro["SyncToken"],
                                                      "sparse": True, "CurrencyRef": {"value": "USD"}})
    assert "EUR" in err["Detail"] and "USD" in err["Detail"]
    # a full update that leaves CurrencyRef out keeps it
    full = uk.create("Customer", {"Id": euro["Id"], "SyncToken": euro["SyncToken"], "DisplayName": "Euro Client"})
    assert full["CurrencyRef"]["value"] == "EUR"
    # multicurrency off: only the home currency
    err = qbo.fault("POST", "/vendor", "6000", json={"DisplayName": "Foreign Vendor", "CurrencyRef": {"value": "EUR"}})
    assert "Multicurrency is off" in err["Detail"]


def test_transaction_currency_must_match_its_contact(uk: QBO) -> None:
    euro = uk.create("Customer", {"DisplayName": "Euro Buyer SA", "CurrencyRef": {"value": "EUR"}})
    item = uk.first("Item", "where Type = 'Service'")
    body = invoice_body(euro["Id"], item["Id"], 100)
    assert uk.fault("POST", "/invoice", "2020", json=body)["element"] == "CurrencyRef"   # multicurrency on
    err = uk.fault("POST", "/invoice", "6000", json={**body, "CurrencyRef": {"value": "GBP"}})
    assert "GBP" in err["Detail"] and "EUR" in err["Detail"]
    inv = uk.create("Invoice", {**body, "CurrencyRef": {"value": "EUR"}, "ExchangeRate": 0.85})
    assert inv["ExchangeRate"] == 0.85 and inv["HomeTotalAmt"] == round(inv["TotalAmt"] * 0.85, 2)


def test_items_need_their_accounts(qbo: QBO) -> None:
    income = qbo.first("Account", "where AccountType = 'Income'")
    assert qbo.fault("POST", "/item", "2020", json={"Name": "Svc", "Type": "Service"})["element"] == \
        "IncomeAccountRef"
    svc = qbo.create("Item", {"Name": "New service", "Type": "Service", "IncomeAccountRef": {"value": income["Id"]}})
    assert svc["IncomeAccountRef"] == {"value": income["Id"], "name": income["Name"]}
    assert qbo.fault("POST", "/item", "6240", json={"Name": "New service", "Type": "NonInventory"})
    err = qbo.fault("POST", "/item", "2020", json={"Name": "Stock", "Type": "Inventory",
                                                   "IncomeAccountRef": {"value": income["Id"]}})
    assert err["element"] == "ExpenseAccountRef"
    cogs = qbo.first("Account", "where AccountType = 'Cost of Goods Sold'")
    asset = qbo.first("Account", "where AccountSubType = 'Inventory'")
    stock = qbo.create("Item", {"Name": "Stock", "Type": "Inventory", "IncomeAccountRef": {"value": income["Id"]},
                                "ExpenseAccountRef": {"value": cogs["Id"]}, "AssetAccountRef": {"value": asset["Id"]},
                                "QtyOnHand": 10, "InvStartDate": "2026-01-01"})
    assert stock["TrackQtyOnHand"] is True
    assert qbo.fault("POST", "/item", "2500", json={"Name": "Bad ref", "Type": "Service",
                                                    "IncomeAccountRef": {"value": "99999"}})


def test_accounts_types_and_deactivation_suffix(qbo: QBO) -> None:
    assert qbo.fault("POST", "/account", "6010", json={"Name": "Typeless"})
    acct = qbo.create("Account", {"Name": "Marketing", "AccountSubType": "AdvertisingPromotional"})
    assert acct["AccountType"] == "Expense" and acct["Classification"] == "Expense"
    assert qbo.fault("POST", "/account", "6240", json={"Name": "Marketing", "AccountType": "Expense"})
    off = qbo.create("Account", {"Id": acct["Id"], "SyncToken": acct["SyncToken"], "sparse": True, "Active": False})
    assert off["Name"] == "Marketing (deleted)" and off["Active"] is False and off["CurrentBalance"] == 0
    again = qbo.create("Account", {"Name": "Marketing", "AccountType": "Expense"})   # the name is free again
    assert again["Id"] != acct["Id"]


def test_classes_need_class_tracking(qbo: QBO, uk: QBO, sb: QuickBooksSandbox, service_item: dict,
                                     customer: dict) -> None:
    cls = qbo.create("Class", {"Name": "Events"})
    body = invoice_body(customer["Id"], service_item["Id"])
    body["Line"][0]["SalesItemLineDetail"]["ClassRef"] = {"value": cls["Id"]}
    inv = qbo.create("Invoice", body)
    assert inv["Line"][0]["SalesItemLineDetail"]["ClassRef"]["name"] == "Events"
    err = uk.fault("POST", "/class", "6000", json={"Name": "Events"})
    assert "class tracking" in err["Detail"]
    sb.set_preferences(sb.realm_ids[0], ClassTrackingPerTxnLine=False)
    assert "ClassTrackingPerTxnLine" in qbo.fault("POST", "/invoice", "6000", json=body)["Detail"]


def test_stale_synctoken_gets_the_stale_object_fault(qbo: QBO, customer: dict) -> None:
    first = qbo.create("Customer", {**customer, "Notes": "one"})
    assert first["SyncToken"] == "1"
    err = qbo.fault("POST", "/customer", "5010", json={**customer, "Notes": "two"})
    assert err["Message"] == "Stale Object Error" and err["element"] == "SyncToken"
    assert qbo.read("Customer", customer["Id"])["Notes"] == "one"
    assert qbo.fault("POST", "/customer", "610", json={"Id": "99999", "SyncToken": "0", "DisplayName": "x"})


def test_full_update_clears_what_it_leaves_out_sparse_keeps_it(qbo: QBO, customer: dict) -> None:
    sparse = qbo.create("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "kept?"})
    assert sparse["PrimaryEmailAddr"] == {"Address": "t@ex.com"} and sparse["Notes"] == "kept?"
    full = qbo.create("Customer", {"Id": customer["Id"], "SyncToken": "1", "DisplayName": "Test Customer LLC"})
    assert "PrimaryEmailAddr" not in full and "Notes" not in full and full["SyncToken"] == "2"
    assert full["MetaData"]["CreateTime"] == customer["MetaData"]["CreateTime"]


def test_sparse_update_replaces_line_arrays_whole(qbo: QBO, customer: dict, service_item: dict) -> None:
    body = invoice_body(customer["Id"], service_item["Id"], 100)
    body["Line"].append({"DetailType": "SalesItemLineDetail", "Amount": 50, "Description": "second",
                         "SalesItemLineDetail": {"ItemRef": {"value": service_item["Id"]}}})
    inv = qbo.create("Invoice", body)
    assert inv["TotalAmt"] == 150 and len([ln for ln in inv["Line"] if ln["DetailType"] != "SubTotalLineDetail"]) == 2
    one = qbo.create("Invoice", {"Id": inv["Id"], "SyncToken": inv["SyncToken"], "sparse": True,
                                 "Line": [inv["Line"][0]]})
    assert one["TotalAmt"] == 100
    assert [ln["DetailType"] for ln in one["Line"]] == ["SalesItemLineDetail", "SubTotalLineDetail"]
    assert one["CustomerRef"]["value"] == customer["Id"]


def test_bill_needs_vendorref_on_every_write(qbo: QBO) -> None:
    bill = qbo.first("Bill")
    err = qbo.fault("POST", "/bill", "2020", json={"Id": bill["Id"], "SyncToken": bill["SyncToken"], "sparse": True,
                                                   "PrivateNote": "x"})
    assert err["element"] == "VendorRef"
    ok = qbo.create("Bill", {"Id": bill["Id"], "SyncToken": bill["SyncToken"], "sparse": True, "PrivateNote": "x",
                             "VendorRef": bill["VendorRef"]})
    assert ok["PrivateNote"] == "x" and ok["TotalAmt"] == bill["TotalAmt"]


def test_name_lists_are_not_deleted(qbo: QBO, customer: dict) -> None:
    err = qbo.fault("POST", "/customer", "500", params={"operation": "delete"},
                    json={"Id": customer["Id"], "SyncToken": customer["SyncToken"]})
    assert err["Message"] == "Unsupported Operation" and "Active" in err["Detail"]
    assert qbo.read("Customer", customer["Id"])["Active"] is True


def test_delete_transactions_and_linked_payments(qbo: QBO, customer: dict, service_item: dict) -> None:
    inv = qbo.create("Invoice", invoice_body(customer["Id"], service_item["Id"], 200))
    pay = qbo.create("Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 80, "Line": [
        {"Amount": 80, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}]})
    after = qbo.read("Invoice", inv["Id"])
    assert after["Balance"] == after["TotalAmt"] - 80
    assert after["LinkedTxn"] == [{"TxnId": pay["Id"], "TxnType": "Payment"}]
    assert qbo.read("Customer", customer["Id"])["Balance"] == after["Balance"]
    assert qbo.fault("POST", "/invoice", "6000", params={"operation": "delete"},
                     json={"Id": inv["Id"], "SyncToken": after["SyncToken"]})
    assert qbo.fault("POST", "/payment", "5010", params={"operation": "delete"},
                     json={"Id": pay["Id"], "SyncToken": "7"})
    gone = qbo.ok("POST", "/payment", params={"operation": "delete"},
                  json={"Id": pay["Id"], "SyncToken": pay["SyncToken"]})
    assert gone["Payment"] == {"status": "Deleted", "domain": "QBO", "Id": pay["Id"]}
    assert qbo.read("Invoice", inv["Id"])["Balance"] == after["TotalAmt"]
    assert qbo.fault("GET", f"/payment/{pay['Id']}", "610")
    fresh = qbo.read("Invoice", inv["Id"])
    assert qbo.ok("POST", "/invoice", params={"operation": "delete"},
                  json={"Id": inv["Id"], "SyncToken": fresh["SyncToken"]})["Invoice"]["status"] == "Deleted"


def test_void_matrix(qbo: QBO, customer: dict, service_item: dict) -> None:
    inv = qbo.create("Invoice", invoice_body(customer["Id"], service_item["Id"], 120))
    voided = qbo.ok("POST", "/invoice", params={"operation": "void"},
                    json={"Id": inv["Id"], "SyncToken": inv["SyncToken"]})["Invoice"]
    assert voided["TotalAmt"] == 0 and voided["Balance"] == 0 and "Voided" in voided["PrivateNote"]
    assert voided["SyncToken"] == "1"

    inv2 = qbo.create("Invoice", invoice_body(customer["Id"], service_item["Id"], 300))
    pay = qbo.create("Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 300, "Line": [
        {"Amount": 300, "LinkedTxn": [{"TxnId": inv2["Id"], "TxnType": "Invoice"}]}]})
    assert qbo.read("Invoice", inv2["Id"])["Balance"] == inv2["TotalAmt"] - 300
    v = qbo.ok("POST", "/payment", params={"operation": "void"},
               json={"Id": pay["Id"], "SyncToken": pay["SyncToken"]})["Payment"]
    assert v["TotalAmt"] == 0 and qbo.read("Invoice", inv2["Id"])["Balance"] == inv2["TotalAmt"]
    pay2 = qbo.create("Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 50, "Line": [
        {"Amount": 50, "LinkedTxn": [{"TxnId": inv2["Id"], "TxnType": "Invoice"}]}]})
    assert qbo.ok("POST", "/payment", params={"operation": "update", "include": "void"},
                  json={"Id": pay2["Id"], "SyncToken": pay2["SyncToken"], "sparse": True})["Payment"]["TotalAmt"] == 0

    bill = qbo.first("Bill", "where Balance > '0'")
    bank = qbo.first("Account", "where AccountType = 'Bank'")
    bp = qbo.create("BillPayment", {"VendorRef": bill["VendorRef"], "TotalAmt": 10, "PayType": "Check",
                                    "CheckPayment": {"BankAccountRef": {"value": bank["Id"]}},
                                    "Line": [{"Amount": 10, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]})
    assert qbo.read("Bill", bill["Id"])["Balance"] == round(bill["Balance"] - 10, 2)
    err = qbo.fault("POST", "/billpayment", "500", params={"operation": "void"},
                    json={"Id": bp["Id"], "SyncToken": bp["SyncToken"]})
    assert err["Detail"] == "Operation void is not supported."
    assert qbo.ok("POST", "/billpayment", params={"operation": "update", "include": "void"},
                  json={"Id": bp["Id"], "SyncToken": bp["SyncToken"], "sparse": True})["BillPayment"]["TotalAmt"] == 0
    assert qbo.read("Bill", bill["Id"])["Balance"] == bill["Balance"]

    fresh_bill = qbo.read("Bill", bill["Id"])
    r = qbo.request("POST", "/bill", params={"operation": "void"},
                    json={"Id": bill["Id"], "SyncToken": fresh_bill["SyncToken"]})
    assert r.status_code == 200 and r.json()["Fault"]["type"] == "SystemFault"     # a Fault inside HTTP 200
    assert r.json()["Fault"]["Error"][0]["code"] == "10000"
    cm = qbo.first("CreditMemo")
    assert qbo.fault("POST", "/creditmemo", "500", params={"operation": "void"},
                     json={"Id": cm["Id"], "SyncToken": cm["SyncToken"]})


def test_payments_apply_credit_memos_and_keep_the_unapplied_rest(qbo: QBO, customer: dict,
                                                                  service_item: dict) -> None:
    inv = qbo.create("Invoice", invoice_body(customer["Id"], service_item["Id"], 500))
    cm = qbo.create("CreditMemo", invoice_body(customer["Id"], service_item["Id"], 100))
    assert cm["RemainingCredit"] == cm["TotalAmt"]
    pay = qbo.create("Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 450, "Line": [
        {"Amount": inv["TotalAmt"], "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]},
        {"Amount": cm["TotalAmt"], "LinkedTxn": [{"TxnId": cm["Id"], "TxnType": "CreditMemo"}]}]})
    assert pay["UnappliedAmt"] == round(450 - (inv["TotalAmt"] - cm["TotalAmt"]), 2)
    assert qbo.read("Invoice", inv["Id"])["Balance"] == 0
    assert qbo.read("CreditMemo", cm["Id"])["RemainingCredit"] == 0
    other = qbo.create("Customer", {"DisplayName": "Someone Else"})
    assert qbo.fault("POST", "/payment", "6000", json={"CustomerRef": {"value": other["Id"]}, "TotalAmt": 1, "Line": [
        {"Amount": 1, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}]})
    assert qbo.fault("POST", "/payment", "6000", json={"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 1,
                                                       "Line": [{"Amount": 1, "LinkedTxn": [
                                                           {"TxnId": inv["Id"], "TxnType": "Invoice"}]}]})


def test_invoice_rules(qbo: QBO, customer: dict, service_item: dict, uk: QBO) -> None:
    assert qbo.fault("POST", "/invoice", "2020", json={"CustomerRef": {"value": customer["Id"]}})
    assert qbo.fault("POST", "/invoice", "2500", json=invoice_body("99999", service_item["Id"]))
    inv = qbo.create("Invoice", invoice_body(customer["Id"], service_item["Id"], 100, DocNumber="A-1"))
    assert qbo.fault("POST", "/invoice", "6140", json=invoice_body(customer["Id"], service_item["Id"],
                                                                   DocNumber="A-1"))
    assert qbo.fault("POST", "/invoice", "2050", json=invoice_body(customer["Id"], service_item["Id"],
                                                                   DocNumber="X" * 22))
    auto = qbo.create("Invoice", invoice_body(customer["Id"], service_item["Id"]))
    assert auto["DocNumber"].isdigit() and auto["DueDate"] > auto["TxnDate"]
    assert inv["Line"][0]["SalesItemLineDetail"]["ItemAccountRef"] == service_item["IncomeAccountRef"]
    # tax outside the US: TaxCodeRef on lines, TaxExcluded by default
    gb_customer = uk.create("Customer", {"DisplayName": "London Client Ltd"})
    gb_item = uk.first("Item", "where Type = 'Service'")
    standard = uk.first("TaxCode", "where Name = '20.0% S'")
    body = invoice_body(gb_customer["Id"], gb_item["Id"], 100, CurrencyRef={"value": "GBP"})
    body["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] = {"value": standard["Id"]}
    taxed = uk.create("Invoice", body)
    assert taxed["GlobalTaxCalculation"] == "TaxExcluded"
    assert taxed["TxnTaxDetail"]["TotalTax"] == 20 and taxed["TotalAmt"] == 120
    inclusive = uk.create("Invoice", {**body, "GlobalTaxCalculation": "TaxInclusive"})
    assert inclusive["TotalAmt"] == 100 and inclusive["TxnTaxDetail"]["TotalTax"] == 16.67
    assert uk.fault("POST", "/taxcode", "500", json={"Name": "New code"})
