"""Writes (A4, A7, A9): PUT creates and POST upserts, uniqueness rules, batches that are not all-or-nothing
with summarizeErrors, totals from lines and tax rates, line items, tracking, currencies, and bodies as
xero-python sends them."""

from __future__ import annotations

from tests.sandbox_xero.xero_http import NET_DATE, new_invoice

VALIDATION_KEYS = {"ErrorNumber", "Type", "Message", "Elements"}


def messages(r) -> list[str]:
    return [m["Message"] for el in r.json()["Elements"] for m in el["ValidationErrors"]]


def test_put_creates_and_refuses_a_duplicate_contact_name(xero):
    made = xero.one("PUT", "/Contacts", "Contacts", json={"Contacts": [{"Name": "Acme Ltd", "EmailAddress": "a@x.io"}]})
    assert made["ContactStatus"] == "ACTIVE" and made["IsCustomer"] is False
    r = xero.put("/Contacts", json={"Contacts": [{"Name": "Acme Ltd"}]})
    assert r.status_code == 400 and set(r.json()) == VALIDATION_KEYS
    body = r.json()
    assert body["ErrorNumber"] == 10 and body["Type"] == "ValidationException"
    assert messages(r) == ["The contact name Acme Ltd is already assigned to another contact. The contact name must "
                           "be unique across all active contacts."]
    assert body["Elements"][0]["ContactID"] == "00000000-0000-0000-0000-000000000000"
    # an archived contact frees its name
    xero.ok("POST", f"/Contacts/{made['ContactID']}", json={"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    assert xero.put("/Contacts", json={"Contacts": [{"Name": "Acme Ltd"}]}).status_code == 200


def test_post_upserts_contacts_by_id_number_or_name(xero):
    made = xero.one("PUT", "/Contacts", "Contacts", json={"Contacts": [{"Name": "Up Co", "ContactNumber": "K-1"}]})
    by_name = xero.one("POST", "/Contacts", "Contacts", json={"Contacts": [{"Name": "Up Co", "EmailAddress": "u@x.io"}]})
    assert by_name["ContactID"] == made["ContactID"] and by_name["EmailAddress"] == "u@x.io"
    by_number = xero.one("POST", "/Contacts", "Contacts",
                         json={"Contacts": [{"ContactNumber": "K-1", "Name": "Up Company"}]})
    assert by_number["ContactID"] == made["ContactID"] and by_number["Name"] == "Up Company"
    by_id = xero.one("POST", f"/Contacts/{made['ContactID']}", "Contacts", json={"Contacts": [{"FirstName": "Ann"}]})
    assert by_id["Name"] == "Up Company" and by_id["FirstName"] == "Ann" and by_id["EmailAddress"] == "u@x.io"
    created = xero.one("POST", "/Contacts", "Contacts", json={"Contacts": [{"Name": "Brand New"}]})
    assert created["ContactID"] != made["ContactID"]
    r = xero.post("/Contacts/00000000-0000-0000-0000-000000000042", json={"Contacts": [{"Name": "X"}]})
    assert r.status_code == 400 and messages(r) == ["The document with the supplied id was not found for this endpoint."]
    assert xero.put("/Contacts", json={"Contacts": [{"Name": "P", "ContactPersons": [{}] * 6}]}).status_code == 400


def test_items_code_unique_post_upserts_delete_204(xero):
    r = xero.put("/Items", json={"Items": [{"Code": "CONSULT", "Name": "Dup"}]})
    assert r.status_code == 400 and messages(r) == ["Price List Item with Code 'CONSULT' already exists"]
    item = xero.one("PUT", "/Items", "Items", json={"Items": [{"Code": "NEW-1", "Name": "New thing",
                                                                "SalesDetails": {"UnitPrice": 12.5,
                                                                                 "AccountCode": "200"}}]})
    assert item["IsSold"] is True and item["IsPurchased"] is False and item["SalesDetails"]["UnitPrice"] == 12.5
    same = xero.one("POST", "/Items", "Items", json={"Items": [{"Code": "NEW-1", "Name": "Renamed"}]})
    assert same["ItemID"] == item["ItemID"] and same["Name"] == "Renamed"
    assert xero.put("/Items", json={"Items": [{"Code": "X" * 31}]}).status_code == 400
    bad = xero.put("/Items", json={"Items": [{"Code": "BAD", "SalesDetails": {"AccountCode": "999"}}]})
    assert messages(bad) == ["Account code '999' has been removed as it does not match a recognised account."]
    r = xero.delete(f"/Items/{item['ItemID']}")
    assert r.status_code == 204 and r.content == b""
    assert xero.get(f"/Items/{item['ItemID']}").status_code == 404


def test_accounts_one_per_call_unique_name_and_code(xero):
    acc = xero.one("PUT", "/Accounts", "Accounts", json={"Code": "201", "Name": "Consulting income",
                                                         "Type": "REVENUE"})
    assert acc["Class"] == "REVENUE" and acc["Status"] == "ACTIVE"
    r = xero.put("/Accounts", json={"Code": "202", "Name": "consulting income", "Type": "REVENUE"})
    assert messages(r) == ["Please enter a unique Name."]
    r = xero.put("/Accounts", json={"Code": "201", "Name": "Other", "Type": "REVENUE"})
    assert messages(r) == ["Please enter a unique Code."]
    r = xero.put("/Accounts", json={"Accounts": [{"Code": "1", "Name": "a", "Type": "SALES"},
                                                 {"Code": "2", "Name": "b", "Type": "SALES"}]})
    assert r.status_code == 400
    r = xero.put("/Accounts", json={"Code": "203", "Name": "Wrong", "Type": "INCOME"})
    assert messages(r) == ["Account Type 'INCOME' is not valid"]


def test_batch_with_summarize_errors_saves_the_valid_elements(xero, contact_id):
    good, bad = new_invoice(contact_id, Reference="good one"), {"Type": "ACCREC", "Reference": "no contact"}
    r = xero.put("/Invoices", json={"Invoices": [good, bad, {**good, "Reference": "good two"}]})
    assert r.status_code == 400
    body = r.json()
    assert len(body["Elements"]) == 1 and body["Elements"][0]["Reference"] == "no contact"
    assert body["Elements"][0]["ValidationErrors"] == [{"Message": "A Contact must be specified for this type of "
                                                                   "transaction"}]
    saved = xero.ok("GET", "/Invoices", params={"ContactIDs": contact_id})["Invoices"]
    assert sorted(i["Reference"] for i in saved) == ["good one", "good two"]


def test_batch_without_summarize_errors_reports_each_element(sb, xero, contact_id):
    els = [new_invoice(contact_id, Reference="a"), {"Type": "ACCREC"}, new_invoice(contact_id, Reference="c")]
    r = xero.put("/Invoices", json={"Invoices": els}, params={"summarizeErrors": "False"})
    assert r.status_code == 200
    out = r.json()["Invoices"]
    assert [e["StatusAttributeString"] for e in out] == ["OK", "ERROR", "OK"]
    assert out[1]["HasErrors"] is True and out[1]["InvoiceID"] == "00000000-0000-0000-0000-000000000000"
    assert out[1]["ValidationErrors"][0]["Message"].startswith("A Contact must be specified")
    assert out[0]["InvoiceID"] != out[2]["InvoiceID"] and out[0]["InvoiceNumber"] != out[2]["InvoiceNumber"]
    assert sb.stats()["writes"]["Invoices"] == {"created": 2, "updated": 0}


def test_invoice_numbers_unique_for_sales_auto_numbered_free_for_bills(xero, contact_id):
    one = xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [new_invoice(contact_id)]})
    assert one["InvoiceNumber"].startswith("INV-")
    r = xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id, InvoiceNumber=one["InvoiceNumber"])]})
    assert messages(r) == ["Invoice # must be unique."]
    bill = {**new_invoice(contact_id), "Type": "ACCPAY", "InvoiceNumber": "SUP-77"}
    b1 = xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [bill]})
    b2 = xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [bill]})
    assert b1["InvoiceNumber"] == b2["InvoiceNumber"] == "SUP-77" and b1["InvoiceID"] != b2["InvoiceID"]
    assert "Reference" not in xero.one("PUT", "/Invoices", "Invoices",
                                       json={"Invoices": [{**bill, "Reference": "ignored on bills"}]})
    # POST without an InvoiceID is a create (matching by number is off by default: the safest reading)
    r = xero.post("/Invoices", json={"Invoices": [new_invoice(contact_id, InvoiceNumber=one["InvoiceNumber"])]})
    assert messages(r) == ["Invoice # must be unique."]


def test_post_batch_updates_elements_with_ids_and_creates_the_others(sb, xero, contact_id):
    one = xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [new_invoice(contact_id, status="DRAFT")]})
    out = xero.ok("POST", "/Invoices", json={"Invoices": [{"InvoiceID": one["InvoiceID"], "Reference": "updated"},
                                                          new_invoice(contact_id, Reference="created")]})["Invoices"]
    assert out[0]["InvoiceID"] == one["InvoiceID"] and out[0]["Reference"] == "updated"
    assert out[1]["InvoiceID"] != one["InvoiceID"] and out[1]["Reference"] == "created"
    assert sb.stats()["writes"]["Invoices"] == {"created": 2, "updated": 1}
    r = xero.put("/Invoices", json={"Invoices": [{"InvoiceID": one["InvoiceID"], "Reference": "x"}]})
    assert r.status_code == 400                                     # PUT never updates


def test_post_matches_invoice_number_when_configured(contact_id):
    from scorolink.sandbox.xero import RateLimit, XeroSandbox, XeroSandboxConfig
    from tests.sandbox_xero.xero_http import Xero

    sb = XeroSandbox(XeroSandboxConfig(size=4, rate_limit=RateLimit.off(), post_matches_invoice_number=True))
    x = Xero(sb)
    cid = x.one("PUT", "/Contacts", "Contacts", json={"Contacts": [{"Name": "Num Co"}]})["ContactID"]
    one = x.one("PUT", "/Invoices", "Invoices", json={"Invoices": [new_invoice(cid, status="DRAFT")]})
    same = x.one("POST", "/Invoices", "Invoices", json={"Invoices": [{"InvoiceNumber": one["InvoiceNumber"],
                                                                       "Reference": "matched"}]})
    assert same["InvoiceID"] == one["InvoiceID"] and same["Reference"] == "matched"


def test_totals_follow_line_amount_types_and_tax_rates(xero, contact_id):
    def total(lat, **line):
        el = new_invoice(contact_id, status="DRAFT", LineAmountTypes=lat)
        el["LineItems"] = [{"Description": "x", "Quantity": 2, "UnitAmount": 62, "AccountCode": "200",
                            "TaxType": "OUTPUT", **line}]
        return xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [el]})

    ex = total("Exclusive")
    assert (ex["SubTotal"], ex["TotalTax"], ex["Total"]) == (124.0, 29.76, 153.76)
    assert ex["LineItems"][0]["LineAmount"] == 124.0 and ex["LineItems"][0]["TaxAmount"] == 29.76
    inc = total("Inclusive")
    assert (inc["SubTotal"], inc["TotalTax"], inc["Total"]) == (100.0, 24.0, 124.0)
    no = total("NoTax")
    assert (no["SubTotal"], no["TotalTax"], no["Total"]) == (124.0, 0.0, 124.0)
    disc = total("Exclusive", DiscountRate=10)
    assert disc["LineItems"][0]["LineAmount"] == 111.6 and disc["TotalDiscount"] == 12.4 and disc["IsDiscounted"]
    r = xero.put("/Invoices", json={"Invoices": [{**new_invoice(contact_id), "Type": "ACCPAY", "LineItems": [
        {"Description": "x", "Quantity": 1, "UnitAmount": 5, "AccountCode": "429", "DiscountRate": 5}]}]})
    assert r.status_code == 400
    r = xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id, LineItems=[
        {"Description": "x", "Quantity": 2, "UnitAmount": 5, "AccountCode": "200", "LineAmount": 11}])]})
    assert messages(r) == ["The line total 11 does not match the expected line total 10.00"]


def test_line_items_from_items_and_tracking(xero, contact_id):
    el = new_invoice(contact_id, status="DRAFT", LineItems=[
        {"ItemCode": "CONSULT", "Quantity": 3, "Tracking": [{"Name": "Region", "Option": "North"},
                                                             {"Name": "Department", "Option": "Design"}]}])
    inv = xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [el]})
    line = inv["LineItems"][0]
    assert (line["UnitAmount"], line["AccountCode"], line["Description"]) == (95.0, "200", "Consulting hour")
    assert {(t["Name"], t["Option"]) for t in line["Tracking"]} == {("Region", "North"), ("Department", "Design")}
    assert all(t["TrackingCategoryID"] and t["TrackingOptionID"] for t in line["Tracking"])
    three = [{"Name": "Region", "Option": "North"}] * 3
    r = xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id, LineItems=[
        {"Description": "x", "UnitAmount": 1, "AccountCode": "200", "Tracking": three}])]})
    assert messages(r) == ["A line item can have a maximum of 2 tracking categories"]
    r = xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id, LineItems=[
        {"Description": "x", "UnitAmount": 1, "AccountCode": "200", "Tracking": [{"Name": "Region",
                                                                                  "Option": "West"}]}])]})
    assert messages(r) == ["The tracking option 'West' is archived and cannot be used"]
    r = xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id, LineItems=[
        {"ItemCode": "NOPE", "Quantity": 1}])]})
    assert messages(r) == ["Item code 'NOPE' is not valid"]
    r = xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id, LineItems=[
        {"Description": "x", "Quantity": 1, "UnitAmount": 1, "AccountCode": "476"}])]})
    assert messages(r) == ["Account code '476' is not a valid code for this document."]


def test_line_item_ids_keep_lines_and_lines_without_ids_are_new(xero, contact_id):
    el = new_invoice(contact_id, status="DRAFT")
    el["LineItems"].append({"Description": "Second", "Quantity": 1, "UnitAmount": 5, "AccountCode": "200"})
    inv = xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [el]})
    first, second = inv["LineItems"]
    upd = xero.one("POST", f"/Invoices/{inv['InvoiceID']}", "Invoices", json={"Invoices": [{"LineItems": [
        {"LineItemID": first["LineItemID"], "Quantity": 2}, {"Description": "Second", "Quantity": 1,
                                                             "UnitAmount": 5, "AccountCode": "200"}]}]})
    assert upd["LineItems"][0]["LineItemID"] == first["LineItemID"] and upd["LineItems"][0]["LineAmount"] == 200.0
    assert upd["LineItems"][1]["LineItemID"] != second["LineItemID"]   # sent without its id: dropped and re-created
    assert upd["Total"] == 205.0
    # a POST without LineItems keeps them
    kept = xero.one("POST", f"/Invoices/{inv['InvoiceID']}", "Invoices", json={"Invoices": [{"Reference": "r"}]})
    assert [li["LineItemID"] for li in kept["LineItems"]] == [li["LineItemID"] for li in upd["LineItems"]]


def test_invoice_with_a_new_contact_name_creates_the_contact_and_contact_fields_update_it(xero, contact_id):
    inv = xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [{**new_invoice(contact_id),
                                                                       "Contact": {"Name": "Walk-in Customer"}}]})
    made = xero.one("GET", f"/Contacts/{inv['Contact']['ContactID']}", "Contacts")
    assert made["Name"] == "Walk-in Customer" and made["IsCustomer"] is True
    xero.ok("PUT", "/Invoices", json={"Invoices": [{**new_invoice(contact_id),
                                                    "Contact": {"ContactID": contact_id, "EmailAddress": "b@x.io"}}]})
    assert xero.one("GET", f"/Contacts/{contact_id}", "Contacts")["EmailAddress"] == "b@x.io"


def test_currencies_must_be_enabled_and_rates_default(xero, contact_id):
    r = xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id, CurrencyCode="NOK")]})
    assert r.status_code == 400 and "NOK" in messages(r)[0]
    assert xero.one("PUT", "/Currencies", "Currencies", json={"Code": "NOK"}) == {"Code": "NOK",
                                                                                  "Description": "Norwegian Krone"}
    inv = xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [new_invoice(contact_id, CurrencyCode="NOK")]})
    assert inv["CurrencyCode"] == "NOK" and inv["CurrencyRate"] == 11.5
    inv = xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [new_invoice(contact_id, CurrencyCode="USD",
                                                                                  CurrencyRate=1.1)]})
    assert inv["CurrencyRate"] == 1.1
    assert xero.put("/Currencies", json={"Code": "XYZ"}).status_code == 400


def test_accepts_what_xero_python_sends(xero, contact_id):
    """Dates as /Date(ms)/, read-only defaults, Python-cased booleans in the query string."""
    el = {"Type": "ACCREC", "Contact": {"ContactID": contact_id, "HasValidationErrors": False},
          "Date": "/Date(1795219200000)/", "DueDate": "/Date(1795219200000+0000)/", "Status": "DRAFT",
          "LineAmountTypes": "Exclusive", "HasAttachments": False, "HasErrors": False,
          "LineItems": [{"Description": "x", "Quantity": 1.0, "UnitAmount": 10.0, "AccountCode": "200"}]}
    r = xero.put("/Invoices", json={"Invoices": [el]}, params={"summarizeErrors": "False"},
                 headers={"Content-Type": "application/json"})
    inv = r.json()["Invoices"][0]
    assert inv["StatusAttributeString"] == "OK"
    assert inv["DateString"] == "2026-11-21T00:00:00" and NET_DATE.match(inv["DueDate"])
    payment = {"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": 1.0,
               "Date": "/Date(1795219200000)/"}
    xero.ok("POST", f"/Invoices/{inv['InvoiceID']}", json={"Invoices": [{"Status": "AUTHORISED"}]})
    pay = xero.one("POST", "/Payments", "Payments", json=payment)       # a bare Payment object
    assert pay["Status"] == "AUTHORISED" and pay["PaymentType"] == "ACCRECPAYMENT"


def test_approved_documents_need_lines_with_accounts(xero, contact_id):
    r = xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id, LineItems=[])]})
    assert messages(r) == ["At least one line item is required to approve a document"]
    r = xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id, LineItems=[{"Description": "x",
                                                                                     "UnitAmount": 3}])]})
    assert messages(r) == ["Account code must be specified for every line item on an approved document"]
    draft = xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [new_invoice(contact_id, status="DRAFT",
                                                                                    LineItems=[])]})
    assert draft["Total"] == 0.0 and draft["LineItems"] == []


def test_tax_rates_created_and_updated(xero):
    rate = xero.one("PUT", "/TaxRates", "TaxRates", json={"TaxRates": [{"Name": "Compound", "TaxComponents": [
        {"Name": "A", "Rate": 10}, {"Name": "B", "Rate": 5, "IsCompound": True}]}]})
    assert rate["TaxType"].startswith("TAX") and rate["EffectiveRate"] == 15.5
    upd = xero.one("POST", "/TaxRates", "TaxRates", json={"TaxRates": [{"TaxType": rate["TaxType"],
                                                                        "Status": "ARCHIVED"}]})
    assert upd["Status"] == "ARCHIVED"
    assert xero.put("/TaxRates", json={"TaxRates": [{"Name": "Compound", "TaxComponents": [{"Rate": 1}]}]}
                    ).status_code == 400
