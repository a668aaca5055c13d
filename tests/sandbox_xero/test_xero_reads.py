"""Reads (A2, A6): envelope, .NET dates and their ISO twins, no nulls, Accept, paths in any case, paging,
If-Modified-Since, where, order and the list parameters."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from tests.sandbox_xero.xero_http import NET_DATE, Xero, find_nulls, new_invoice


def test_envelope_and_dates(xero):
    body = xero.ok("GET", "/Invoices", params={"page": 1})
    assert set(body) == {"Id", "Status", "ProviderName", "DateTimeUTC", "pagination", "Invoices"}
    assert body["Status"] == "OK" and body["ProviderName"] == "scorolink sandbox app"
    assert NET_DATE.match(body["DateTimeUTC"])
    inv = next(i for i in body["Invoices"] if i["Status"] == "PAID")
    for key in ("Date", "DueDate", "UpdatedDateUTC", "FullyPaidOnDate"):
        assert NET_DATE.match(inv[key]), (key, inv[key])
    # date-only values are midnight UTC, with an ISO twin
    ms = int(inv["Date"][6:-7])
    day = datetime.fromtimestamp(ms / 1000, UTC)
    assert (day.hour, day.minute, day.second) == (0, 0, 0)
    assert inv["DateString"] == day.strftime("%Y-%m-%dT00:00:00")
    assert inv["UpdatedDateUTCString"].endswith("Z")
    assert NET_DATE.match(inv["Payments"][0]["Date"])
    assert inv["AmountPaid"] > 0 and inv["AmountDue"] == 0


@pytest.mark.parametrize("coll", ["Invoices", "Contacts", "CreditNotes", "Payments", "Items", "Accounts", "TaxRates",
                                  "TrackingCategories", "Currencies", "Organisation"])
def test_no_nulls_anywhere(xero, coll):
    body = xero.ok("GET", f"/{coll}")
    assert find_nulls(body) == []


def test_json_only_with_accept_header(xero):
    r = xero.get("/Contacts", headers={"Accept": "*/*"})
    assert r.status_code == 406 and r.headers["content-type"].startswith("text/xml")
    assert xero.get("/Contacts", headers={"Accept": "application/json"}).status_code == 200


def test_paths_ignore_case(xero):
    a = xero.ok("GET", "/invoices", params={"page": 1})["Invoices"]
    b = xero.ok("GET", "/INVOICES", params={"page": 1})["Invoices"]
    assert [i["InvoiceID"] for i in a] == [i["InvoiceID"] for i in b]
    assert xero.get("/NoSuchThing").status_code == 404


def test_paging(sb, xero):
    everything = xero.ok("GET", "/Invoices", params={"pageSize": 1000})
    total = everything["pagination"]["itemCount"]
    assert total == len(everything["Invoices"]) == 30  # size 20: 20 sales invoices and 10 bills
    default = xero.ok("GET", "/Invoices")
    assert default["pagination"] == {"page": 1, "pageSize": 100, "pageCount": 1, "itemCount": total}
    seen = []
    for page in range(1, 5):
        body = xero.ok("GET", "/Invoices", params={"page": page, "pageSize": 8})
        assert body["pagination"] == {"page": page, "pageSize": 8, "pageCount": 4, "itemCount": total}
        seen += [i["InvoiceID"] for i in body["Invoices"]]
    assert len(seen) == len(set(seen)) == total
    assert xero.ok("GET", "/Invoices", params={"page": 5, "pageSize": 8})["Invoices"] == []
    # above the maximum the page size is cut, and pagination says so
    assert xero.ok("GET", "/Contacts", params={"pageSize": 5000})["pagination"]["pageSize"] == 1000
    assert xero.get("/Invoices", params={"pageSize": 0}).status_code == 400
    # paged results include line items; summaryOnly leaves them out
    assert all("LineItems" in i for i in everything["Invoices"])
    assert all("LineItems" not in i for i in xero.ok("GET", "/Invoices", params={"summaryOnly": "true"})["Invoices"])


def test_unpaged_collections_return_everything(xero):
    for coll in ("Items", "Accounts", "TaxRates", "TrackingCategories", "Currencies"):
        body = xero.ok("GET", f"/{coll}", params={"page": 1})
        assert "pagination" not in body and body[coll]
    assert len(xero.ok("GET", "/Items")["Items"]) == 12


def test_if_modified_since_iso_and_http_date(sb, xero, contact_id):
    sb.advance_clock(2)   # the header has whole seconds: keep the contact's stamp out of the cutoff's second
    before = sb.clock.now()
    sb.advance_clock(5)
    inv = xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [new_invoice(contact_id)]})
    since_iso = datetime.fromtimestamp(before, UTC).isoformat(timespec="seconds")
    rows = xero.ok("GET", "/Invoices", headers={"If-Modified-Since": since_iso})["Invoices"]
    assert [r["InvoiceID"] for r in rows] == [inv["InvoiceID"]]
    http_date = format_datetime(datetime.fromtimestamp(before, UTC), usegmt=True)
    assert len(xero.ok("GET", "/Invoices", headers={"If-Modified-Since": http_date})["Invoices"]) == 1
    # the contact was created before the cutoff, and IsCustomer changing does not bump UpdatedDateUTC
    assert xero.ok("GET", "/Contacts", headers={"If-Modified-Since": since_iso})["Contacts"] == []
    # TaxRates ignore the header
    assert xero.ok("GET", "/TaxRates", headers={"If-Modified-Since": since_iso})["TaxRates"]
    assert xero.get("/Invoices", headers={"If-Modified-Since": "yesterday"}).status_code == 400


def test_deleted_and_voided_documents_still_come_back(xero):
    statuses = {i["Status"] for i in xero.all("Invoices")}
    assert {"DELETED", "VOIDED", "PAID", "AUTHORISED", "DRAFT"} <= statuses


def where(xero: Xero, coll: str, expr: str, **params) -> list[dict]:
    return xero.ok("GET", f"/{coll}", params={"where": expr, "pageSize": 1000, **params})[coll]


def test_where_operators(xero):
    invoices = xero.all("Invoices")
    assert {i["Status"] for i in where(xero, "Invoices", 'Status=="AUTHORISED"')} == {"AUTHORISED"}
    assert "AUTHORISED" not in {i["Status"] for i in where(xero, "Invoices", 'Status!="AUTHORISED"')}
    sales_2026 = where(xero, "Invoices", 'Type=="ACCREC" AND Date>=DateTime(2026,01,01)')
    expected = [i for i in invoices if i["Type"] == "ACCREC" and i["DateString"] >= "2026-01-01"]
    assert {i["InvoiceID"] for i in sales_2026} == {i["InvoiceID"] for i in expected} and expected
    either = where(xero, "Invoices", 'Status=="DRAFT" OR Status=="VOIDED"')
    assert {i["Status"] for i in either} == {"DRAFT", "VOIDED"}
    grouped = where(xero, "Invoices", '(Status=="DRAFT" OR Status=="PAID") AND Type=="ACCREC"')
    assert {(i["Status"], i["Type"]) for i in grouped} <= {("DRAFT", "ACCREC"), ("PAID", "ACCREC")} and grouped
    due = where(xero, "Invoices", "AmountDue>0")
    assert due and all(i["AmountDue"] > 0 for i in due)
    assert len(where(xero, "Invoices", "AmountDue<=0")) + len(due) == len(invoices)
    some = invoices[0]
    cid = some["Contact"]["ContactID"]
    by_contact = where(xero, "Invoices", f'Contact.ContactID==Guid("{cid.upper()}")')
    assert by_contact and all(i["Contact"]["ContactID"] == cid for i in by_contact)
    by_name = where(xero, "Invoices", f'Contact.Name=="{some["Contact"]["Name"]}"')
    assert {i["InvoiceID"] for i in by_name} == {i["InvoiceID"] for i in by_contact}


def test_where_string_methods_and_booleans(xero, contact_id):
    contacts = xero.all("Contacts")
    word = contacts[0]["Name"].split()[1]
    found = where(xero, "Contacts", f'Name.Contains("{word.lower()}")')
    assert found and all(word.lower() in c["Name"].lower() for c in found)
    first = contacts[0]["Name"][:3]
    starts = where(xero, "Contacts", f'Name.StartsWith("{first}")')
    assert starts and all(c["Name"].startswith(first) for c in starts)
    assert where(xero, "Invoices", "HasAttachments==true") == []
    assert where(xero, "Contacts", 'EmailAddress==null')[0]["ContactID"] == contact_id


def test_where_strings_keep_non_ascii_letters_and_escaped_quotes(xero):
    made = xero.one("PUT", "/Contacts", "Contacts", json={"Contacts": [{"Name": 'Müller & Söhne "Ü" OÜ'}]})
    assert [c["ContactID"] for c in where(xero, "Contacts", r'Name=="Müller & Söhne \"Ü\" OÜ"')] == [made["ContactID"]]
    assert made["ContactID"] in {c["ContactID"] for c in where(xero, "Contacts", 'Name.Contains("söhne")')}


def test_where_and_order_errors(xero):
    r = xero.get("/Invoices", params={"where": 'NoSuchField=="x"'})
    assert r.status_code == 400 and "NoSuchField" in r.json()["Message"]
    assert xero.get("/Invoices", params={"where": 'Status=="AUTHORISED" AND'}).status_code == 400
    assert xero.get("/Invoices", params={"order": "Total SIDEWAYS"}).status_code == 400


def test_order(xero):
    rows = xero.ok("GET", "/Invoices", params={"order": "Total DESC", "pageSize": 1000})["Invoices"]
    assert [r["Total"] for r in rows] == sorted((r["Total"] for r in rows), reverse=True)
    rows = xero.ok("GET", "/Invoices", params={"order": "UpdatedDateUTC ASC", "pageSize": 1000})["Invoices"]
    stamps = [int(r["UpdatedDateUTC"][6:-7]) for r in rows]
    assert stamps == sorted(stamps)
    rows = xero.ok("GET", "/Contacts", params={"order": "Name"})["Contacts"]
    assert [r["Name"].lower() for r in rows] == sorted(r["Name"].lower() for r in rows)


def test_list_parameters(sb, xero):
    invoices = xero.all("Invoices")
    ids = [i["InvoiceID"] for i in invoices[:3]]
    assert {i["InvoiceID"] for i in xero.ok("GET", "/Invoices", params={"IDs": ",".join(ids)})["Invoices"]} == set(ids)
    numbers = [i["InvoiceNumber"] for i in invoices if i["Type"] == "ACCREC"][:2]
    got = xero.ok("GET", "/Invoices", params={"InvoiceNumbers": ",".join(numbers)})["Invoices"]
    assert sorted(i["InvoiceNumber"] for i in got) == sorted(numbers)
    cid = invoices[0]["Contact"]["ContactID"]
    got = xero.ok("GET", "/Invoices", params={"ContactIDs": cid})["Invoices"]
    assert got and all(i["Contact"]["ContactID"] == cid for i in got)
    got = xero.ok("GET", "/Invoices", params={"Statuses": "DRAFT,SUBMITTED"})["Invoices"]
    assert got and {i["Status"] for i in got} <= {"DRAFT", "SUBMITTED"}
    # seeded data was not created by this app
    assert xero.ok("GET", "/Invoices", params={"createdByMyApp": "true"})["Invoices"] == []
    # archived contacts need includeArchived
    active = xero.all("Contacts")
    everyone = xero.all("Contacts", includeArchived="true")
    assert len(everyone) == len(active) + 1 and {c["ContactStatus"] for c in everyone} == {"ACTIVE", "ARCHIVED"}
    some = active[2]
    hit = xero.ok("GET", "/Contacts", params={"searchTerm": some["EmailAddress"].upper()})["Contacts"]
    assert some["ContactID"] in {c["ContactID"] for c in hit}


def test_single_reads(xero):
    inv = xero.all("Invoices", where='Type=="ACCREC" AND Status=="AUTHORISED"')[0]
    one = xero.one("GET", f"/Invoices/{inv['InvoiceID']}", "Invoices")
    assert one["InvoiceID"] == inv["InvoiceID"] and "LineItems" in one
    assert xero.one("GET", f"/Invoices/{inv['InvoiceNumber']}", "Invoices")["InvoiceID"] == inv["InvoiceID"]
    contact = xero.all("Contacts")[0]
    assert xero.one("GET", f"/Contacts/{contact['ContactNumber']}", "Contacts")["ContactID"] == contact["ContactID"]
    assert xero.one("GET", "/Items/CONSULT", "Items")["Code"] == "CONSULT"
    assert xero.one("GET", "/TaxRates/OUTPUT", "TaxRates")["EffectiveRate"] == 24.0
    assert xero.get("/Invoices/00000000-0000-0000-0000-000000000009").status_code == 404
    pdf = xero.get(f"/Invoices/{inv['InvoiceID']}", headers={"Accept": "application/pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_unitdp(xero, contact_id):
    el = new_invoice(contact_id, status="DRAFT", amount=1.23456)
    two = xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [el]})
    assert two["LineItems"][0]["UnitAmount"] == 1.23
    four = xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [el]}, params={"unitdp": 4})
    assert four["LineItems"][0]["UnitAmount"] == 1.2346
    again = xero.one("GET", f"/Invoices/{four['InvoiceID']}", "Invoices", params={"unitdp": 4})
    assert again["LineItems"][0]["UnitAmount"] == 1.2346 and again["Total"] == 1.23


def test_reference_data(xero):
    org = xero.one("GET", "/Organisation", "Organisations")
    assert org["Version"] == "GLOBAL" and org["BaseCurrency"] == "EUR" and NET_DATE.match(org["CreatedDateUTC"])
    actions = xero.ok("GET", "/Organisation/Actions")["Actions"]
    assert {"Name": "UseMulticurrency", "Status": "ALLOWED"} in actions
    accounts = xero.ok("GET", "/Accounts")["Accounts"]
    bank = next(a for a in accounts if a["Type"] == "BANK")
    assert bank["Class"] == "ASSET" and bank["BankAccountNumber"]
    assert any(a.get("SystemAccount") == "DEBTORS" for a in accounts)
    cats = xero.ok("GET", "/TrackingCategories")["TrackingCategories"]
    region = next(c for c in cats if c["Name"] == "Region")
    assert {o["Name"] for o in region["Options"]} == {"North", "South", "East"}   # West is archived
    cats = xero.ok("GET", "/TrackingCategories", params={"includeArchived": "True"})["TrackingCategories"]
    region = next(c for c in cats if c["Name"] == "Region")
    assert {o["Name"]: o["Status"] for o in region["Options"]}["West"] == "ARCHIVED"
    assert {c["Code"] for c in xero.ok("GET", "/Currencies")["Currencies"]} == {"EUR", "USD", "GBP", "SEK"}
    rates = {t["TaxType"]: t for t in xero.ok("GET", "/TaxRates")["TaxRates"]}
    assert rates["OUTPUT"]["TaxComponents"][0]["Rate"] == 24.0


def test_items_paged_when_configured():
    from scorolink.sandbox.xero import RateLimit, XeroSandbox, XeroSandboxConfig

    x = Xero(XeroSandbox(XeroSandboxConfig(size=2, rate_limit=RateLimit.off(), items_paged=True)))
    body = x.ok("GET", "/Items", params={"page": 2, "pageSize": 5})
    assert body["pagination"] == {"page": 2, "pageSize": 5, "pageCount": 3, "itemCount": 12}
    assert len(body["Items"]) == 5


def test_size_zero_is_an_empty_organisation():
    from scorolink.sandbox.xero import RateLimit, XeroSandbox, XeroSandboxConfig

    x = Xero(XeroSandbox(XeroSandboxConfig(size=0, rate_limit=RateLimit.off())))
    for coll in ("Contacts", "Items", "Invoices", "CreditNotes", "Payments"):
        assert x.ok("GET", f"/{coll}", params={"includeArchived": "true"})[coll] == []
    assert x.ok("GET", "/Accounts")["Accounts"] and x.ok("GET", "/TaxRates")["TaxRates"]
    assert len(x.ok("GET", "/TrackingCategories")["TrackingCategories"]) == 2
