"""Status lifecycle (A5, D): delete and void rules, payments, credit-note allocations, what a paid document
still lets you edit, accounts, tracking categories and options."""

from __future__ import annotations

from tests.sandbox_xero.xero_http import NET_DATE, Xero, new_invoice

NOT_VALID = "Invoice not of valid status for modification"
LOCKED = "This document cannot be edited as it has a payment or credit note allocated to it."
VOID_LOCKED = ("The status VOIDED cannot be applied to the invoice because it has payments or credit notes allocated "
               "to it.")


def messages(r) -> list[str]:
    return [m["Message"] for el in r.json()["Elements"] for m in el["ValidationErrors"]]


def invoice(xero: Xero, contact_id: str, status: str = "AUTHORISED", amount: float = 100.0, **extra) -> dict:
    return xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [new_invoice(contact_id, status, amount,
                                                                                   **extra)]})


def set_status(xero: Xero, inv: dict, status: str):
    return xero.post(f"/Invoices/{inv['InvoiceID']}", json={"Invoices": [{"InvoiceID": inv["InvoiceID"],
                                                                          "Status": status}]})


def pay(xero: Xero, inv: dict, amount: float, **extra):
    return xero.put("/Payments", json={"Payments": [{"Invoice": {"InvoiceID": inv["InvoiceID"]},
                                                     "Account": {"Code": "090"}, "Date": "2026-03-02",
                                                     "Amount": amount, **extra}]})


def test_draft_and_submitted_can_be_deleted_not_authorised(xero, contact_id):
    for status in ("DRAFT", "SUBMITTED"):
        inv = invoice(xero, contact_id, status)
        r = set_status(xero, inv, "DELETED")
        assert r.status_code == 200 and r.json()["Invoices"][0]["Status"] == "DELETED"
        assert messages(set_status(xero, inv, "DRAFT")) == [NOT_VALID]        # nothing comes back from DELETED
    inv = invoice(xero, contact_id, "AUTHORISED")
    assert messages(set_status(xero, inv, "DELETED")) == [NOT_VALID]


def test_void_only_from_authorised_without_payments(xero, contact_id):
    draft = invoice(xero, contact_id, "DRAFT")
    assert messages(set_status(xero, draft, "VOIDED")) == [NOT_VALID]
    inv = invoice(xero, contact_id)
    assert set_status(xero, inv, "VOIDED").json()["Invoices"][0]["Status"] == "VOIDED"
    assert messages(xero.post(f"/Invoices/{inv['InvoiceID']}", json={"Invoices": [{"Reference": "x"}]})) == [NOT_VALID]
    paid_part = invoice(xero, contact_id)
    assert pay(xero, paid_part, 10).status_code == 200
    assert messages(set_status(xero, paid_part, "VOIDED")) == [VOID_LOCKED]


def test_status_moves_forward_and_paid_is_set_by_xero(xero, contact_id):
    inv = invoice(xero, contact_id, "DRAFT")
    assert set_status(xero, inv, "SUBMITTED").json()["Invoices"][0]["Status"] == "SUBMITTED"
    assert set_status(xero, inv, "AUTHORISED").json()["Invoices"][0]["Status"] == "AUTHORISED"
    assert messages(set_status(xero, inv, "DRAFT")) == [NOT_VALID]
    assert set_status(xero, inv, "PAID").status_code == 400
    r = xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id, "PAID")]})
    assert r.status_code == 400
    r = xero.post(f"/Invoices/{inv['InvoiceID']}", json={"Invoices": [{"Type": "ACCPAY"}]})
    assert r.status_code == 400


def test_sent_to_contact_only_on_approved_invoices(xero, contact_id):
    draft = invoice(xero, contact_id, "DRAFT")
    r = xero.post(f"/Invoices/{draft['InvoiceID']}", json={"Invoices": [{"SentToContact": True}]})
    assert messages(r) == ["SentToContact can only be set on approved documents"]
    inv = invoice(xero, contact_id)
    sent = xero.one("POST", f"/Invoices/{inv['InvoiceID']}", "Invoices", json={"Invoices": [{"SentToContact": True}]})
    assert sent["SentToContact"] is True


def test_payments_reduce_amount_due_then_mark_paid_and_can_only_be_deleted(sb, xero, contact_id):
    inv = invoice(xero, contact_id, amount=100)
    r = pay(xero, inv, 100.01)
    assert messages(r) == ["Payment amount exceeds the amount outstanding on this document"]
    p1 = pay(xero, inv, 40, Reference="first").json()["Payments"][0]
    assert NET_DATE.match(p1["Date"]) and p1["Amount"] == 40 and p1["Invoice"]["InvoiceID"] == inv["InvoiceID"]
    assert p1["Invoice"]["Contact"]["ContactID"] == contact_id and p1["Account"]["Code"] == "090"
    now = xero.one("GET", f"/Invoices/{inv['InvoiceID']}", "Invoices")
    assert (now["AmountPaid"], now["AmountDue"], now["Status"]) == (40.0, 60.0, "AUTHORISED")
    assert [p["PaymentID"] for p in now["Payments"]] == [p1["PaymentID"]]
    p2 = pay(xero, inv, 60).json()["Payments"][0]
    now = xero.one("GET", f"/Invoices/{inv['InvoiceID']}", "Invoices")
    assert (now["AmountDue"], now["Status"]) == (0.0, "PAID") and now["FullyPaidOnDate"] == p2["Date"]
    assert messages(pay(xero, inv, 1)) == ["Payments can only be made against Authorised documents"]
    # a payment cannot be edited
    r = xero.post(f"/Payments/{p2['PaymentID']}", json={"Payments": [{"Amount": 50}]})
    assert r.status_code == 400
    # deleting it reopens the invoice
    gone = xero.one("POST", f"/Payments/{p2['PaymentID']}", "Payments", json={"Payments": [{"Status": "DELETED"}]})
    assert gone["Status"] == "DELETED"
    now = xero.one("GET", f"/Invoices/{inv['InvoiceID']}", "Invoices")
    assert (now["AmountDue"], now["Status"]) == (60.0, "AUTHORISED") and "FullyPaidOnDate" not in now
    assert xero.post(f"/Payments/{p2['PaymentID']}", json={"Status": "DELETED"}).status_code == 400
    assert [p["Status"] for p in xero.ok("GET", "/Payments", params={"where": f'PaymentID==Guid("{p2["PaymentID"]}")'}
                                         )["Payments"]] == ["DELETED"]


def test_payment_rules(xero, contact_id):
    draft = invoice(xero, contact_id, "DRAFT")
    assert pay(xero, draft, 1).status_code == 400
    inv = invoice(xero, contact_id)
    r = xero.put("/Payments", json={"Payments": [{"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Account": {"Code": "200"},
                                                  "Amount": 1}]})
    assert "not one" in messages(r)[0]
    by_number = xero.put("/Payments", json={"Payments": [{"Invoice": {"InvoiceNumber": inv["InvoiceNumber"]},
                                                          "Account": {"Code": "090"}, "Amount": 5}]})
    assert by_number.status_code == 200
    reconciled = pay(xero, inv, 5, IsReconciled=True).json()["Payments"][0]
    r = xero.post(f"/Payments/{reconciled['PaymentID']}", json={"Payments": [{"Status": "DELETED"}]})
    assert messages(r) == ["This payment has been reconciled and cannot be deleted"]
    bill = xero.one("PUT", "/Invoices", "Invoices", json={"Invoices": [{**new_invoice(contact_id), "Type": "ACCPAY"}]})
    assert pay(xero, bill, 5).json()["Payments"][0]["PaymentType"] == "ACCPAYPAYMENT"
    r = xero.post("/Payments", json={"Payments": [{"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Amount": 1,
                                                   "Account": {"Code": "090"}}] * 2})
    assert r.status_code == 400


def test_paid_documents_allow_only_a_few_edits(xero, contact_id):
    inv = invoice(xero, contact_id)
    pay(xero, inv, 100)
    line = inv["LineItems"][0]
    ok = xero.post(f"/Invoices/{inv['InvoiceID']}", json={"Invoices": [{
        "Reference": "new ref", "DueDate": "2026-04-01",
        "LineItems": [{"LineItemID": line["LineItemID"], "Description": "Renamed",
                       "Tracking": [{"Name": "Region", "Option": "North"}]}]}]})
    assert ok.status_code == 200
    got = ok.json()["Invoices"][0]
    assert got["Reference"] == "new ref" and got["LineItems"][0]["Description"] == "Renamed"
    assert got["Status"] == "PAID"
    r = xero.post(f"/Invoices/{inv['InvoiceID']}", json={"Invoices": [{
        "LineItems": [{"LineItemID": line["LineItemID"], "UnitAmount": 500}]}]})
    assert messages(r) == [LOCKED]
    r = xero.post(f"/Invoices/{inv['InvoiceID']}", json={"Invoices": [{"CurrencyCode": "USD"}]})
    assert messages(r) == [LOCKED]


def test_credit_note_allocation_reduces_amount_due_and_can_be_removed(xero, contact_id):
    inv = invoice(xero, contact_id, amount=100)
    cn = xero.one("PUT", "/CreditNotes", "CreditNotes", json={"CreditNotes": [{
        "Type": "ACCRECCREDIT", "Contact": {"ContactID": contact_id}, "Status": "AUTHORISED", "Date": "2026-03-01",
        "LineAmountTypes": "NoTax", "LineItems": [{"Description": "credit", "Quantity": 1, "UnitAmount": 30,
                                                   "AccountCode": "200"}]}]})
    assert cn["CreditNoteNumber"].startswith("CN-") and cn["RemainingCredit"] == 30
    r = xero.put(f"/CreditNotes/{cn['CreditNoteID']}/Allocations",
                 json={"Allocations": [{"Amount": 31, "Date": "2026-03-02", "Invoice": {"InvoiceID": inv["InvoiceID"]}}]})
    assert messages(r) == ["The amount allocated exceeds the remaining credit on the credit note"]
    alloc = xero.one("PUT", f"/CreditNotes/{cn['CreditNoteID']}/Allocations", "Allocations",
                     json={"Allocations": [{"Amount": 30, "Date": "2026-03-02",
                                            "Invoice": {"InvoiceID": inv["InvoiceID"]}}]})
    assert alloc["Amount"] == 30 and alloc["IsDeleted"] is False and NET_DATE.match(alloc["Date"])
    now = xero.one("GET", f"/Invoices/{inv['InvoiceID']}", "Invoices")
    assert (now["AmountCredited"], now["AmountDue"]) == (30.0, 70.0)
    assert now["CreditNotes"][0]["CreditNoteID"] == cn["CreditNoteID"]
    cn_now = xero.one("GET", f"/CreditNotes/{cn['CreditNoteID']}", "CreditNotes")
    assert cn_now["RemainingCredit"] == 0 and cn_now["Status"] == "PAID"
    assert cn_now["Allocations"][0]["Invoice"]["InvoiceNumber"] == inv["InvoiceNumber"]
    # a credited invoice cannot be voided
    assert messages(set_status(xero, inv, "VOIDED")) == [VOID_LOCKED]
    removed = xero.delete(f"/CreditNotes/{cn['CreditNoteID']}/Allocations/{alloc['AllocationID']}")
    assert removed.status_code == 200 and removed.json()["IsDeleted"] is True
    now = xero.one("GET", f"/Invoices/{inv['InvoiceID']}", "Invoices")
    assert (now["AmountCredited"], now["AmountDue"], now["CreditNotes"]) == (0.0, 100.0, [])
    cn_now = xero.one("GET", f"/CreditNotes/{cn['CreditNoteID']}", "CreditNotes")
    assert cn_now["RemainingCredit"] == 30 and cn_now["Status"] == "AUTHORISED" and cn_now["Allocations"] == []


def test_allocation_rules(xero, contact_id):
    other = xero.one("PUT", "/Contacts", "Contacts", json={"Contacts": [{"Name": "Someone Else"}]})["ContactID"]
    inv = invoice(xero, contact_id)
    cn = xero.one("PUT", "/CreditNotes", "CreditNotes", json={"CreditNotes": [{
        "Type": "ACCRECCREDIT", "Contact": {"ContactID": other}, "Status": "AUTHORISED", "LineAmountTypes": "NoTax",
        "LineItems": [{"Description": "c", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200"}]}]})
    r = xero.put(f"/CreditNotes/{cn['CreditNoteID']}/Allocations",
                 json={"Allocations": [{"Amount": 5, "Date": "2026-03-02", "Invoice": {"InvoiceID": inv["InvoiceID"]}}]})
    assert messages(r) == ["The credit note and the invoice must belong to the same contact"]
    assert xero.put("/CreditNotes/00000000-0000-0000-0000-000000000001/Allocations",
                    json={"Allocations": []}).status_code == 404
    refund = xero.put("/Payments", json={"Payments": [{"CreditNote": {"CreditNoteID": cn["CreditNoteID"]},
                                                       "Account": {"Code": "090"}, "Amount": 4}]})
    assert refund.json()["Payments"][0]["PaymentType"] == "ARCREDITPAYMENT"
    assert xero.one("GET", f"/CreditNotes/{cn['CreditNoteID']}", "CreditNotes")["RemainingCredit"] == 6


def test_accounts_archive_and_delete(xero, contact_id):
    acc = xero.one("PUT", "/Accounts", "Accounts", json={"Code": "455", "Name": "Software", "Type": "EXPENSE"})
    arch = xero.one("POST", f"/Accounts/{acc['AccountID']}", "Accounts", json={"Accounts": [{"Status": "ARCHIVED"}]})
    assert arch["Status"] == "ARCHIVED"
    r = xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id, LineItems=[
        {"Description": "x", "UnitAmount": 1, "AccountCode": "455"}])]})
    assert messages(r) == ["Account code '455' has been archived, or has been deleted. Each line item must reference "
                           "a valid account."]
    deleted = xero.one("DELETE", f"/Accounts/{acc['AccountID']}", "Accounts")
    assert deleted["Status"] == "DELETED"
    assert acc["AccountID"] not in {a["AccountID"] for a in xero.ok("GET", "/Accounts")["Accounts"]}
    used = next(a for a in xero.ok("GET", "/Accounts")["Accounts"] if a["Code"] == "200")
    assert xero.delete(f"/Accounts/{used['AccountID']}").status_code == 400
    debtors = next(a for a in xero.ok("GET", "/Accounts")["Accounts"] if a.get("SystemAccount") == "DEBTORS")
    assert xero.post(f"/Accounts/{debtors['AccountID']}", json={"Status": "ARCHIVED"}).status_code == 400


def test_tracking_categories_and_options(xero, contact_id):
    r = xero.put("/TrackingCategories", json={"Name": "Third"})
    assert messages(r) == ["You can have a maximum of 2 active tracking categories"]
    cats = {c["Name"]: c for c in xero.ok("GET", "/TrackingCategories")["TrackingCategories"]}
    dept = cats["Department"]
    xero.ok("POST", f"/TrackingCategories/{dept['TrackingCategoryID']}", json={"Status": "ARCHIVED"})
    third = xero.one("PUT", "/TrackingCategories", "TrackingCategories", json={"Name": "Third"})
    opts = xero.ok("PUT", f"/TrackingCategories/{third['TrackingCategoryID']}/Options",
                   json={"Options": [{"Name": "A"}, {"Name": "B"}]})["Options"]
    assert [o["Name"] for o in opts] == ["A", "B"] and all(o["Status"] == "ACTIVE" for o in opts)
    renamed = xero.one("POST", f"/TrackingCategories/{third['TrackingCategoryID']}/Options/{opts[0]['TrackingOptionID']}",
                       "Options", json={"Name": "AA"})
    assert renamed["Name"] == "AA"
    inv = invoice(xero, contact_id, LineItems=[{"Description": "x", "UnitAmount": 1, "AccountCode": "200",
                                                "Tracking": [{"TrackingCategoryID": third["TrackingCategoryID"],
                                                              "TrackingOptionID": opts[0]["TrackingOptionID"]}]}])
    assert inv["LineItems"][0]["Tracking"][0]["Option"] == "AA"
    # an option in use cannot be deleted; an unused one can
    r = xero.delete(f"/TrackingCategories/{third['TrackingCategoryID']}/Options/{opts[0]['TrackingOptionID']}")
    assert r.status_code == 400
    gone = xero.one("DELETE", f"/TrackingCategories/{third['TrackingCategoryID']}/Options/{opts[1]['TrackingOptionID']}",
                    "Options")
    assert gone["Status"] == "DELETED"
    cat = xero.one("GET", f"/TrackingCategories/{third['TrackingCategoryID']}", "TrackingCategories")
    assert [o["Name"] for o in cat["Options"]] == ["AA"]
    assert xero.delete(f"/TrackingCategories/{third['TrackingCategoryID']}").status_code == 400
    empty = xero.one("PUT", "/TrackingCategories", "TrackingCategories", json={"Name": "Spare", "Status": "ARCHIVED"})
    assert xero.one("DELETE", f"/TrackingCategories/{empty['TrackingCategoryID']}",
                    "TrackingCategories")["Status"] == "DELETED"


def test_period_lock_date(sb, xero, contact_id):
    old = invoice(xero, contact_id, Date="2026-01-10")
    draft = invoice(xero, contact_id, "DRAFT", Date="2026-01-12")
    sb.set_period_lock(xero.tenant, "2026-01-31")
    org = xero.one("GET", "/Organisation", "Organisations")
    assert org["PeriodLockDate"] == "/Date(1769817600000+0000)/"
    locked = "The date 2026-01-10 is on or before the period lock date 2026-01-31; locked periods cannot be changed"
    assert messages(xero.post(f"/Invoices/{old['InvoiceID']}", json={"Invoices": [{"Reference": "x"}]})) == [locked]
    assert messages(set_status(xero, old, "VOIDED")) == [locked]
    r = xero.put("/Payments", json={"Payments": [{"Invoice": {"InvoiceID": old["InvoiceID"]}, "Account": {"Code": "090"},
                                                  "Date": "2026-01-20", "Amount": 1}]})
    assert messages(r) == ["The date 2026-01-20 is on or before the period lock date 2026-01-31; locked periods "
                           "cannot be changed"]
    # a draft in the locked period may be edited, not approved; new approved documents need a later date
    assert xero.post(f"/Invoices/{draft['InvoiceID']}", json={"Invoices": [{"Reference": "ok"}]}).status_code == 200
    assert set_status(xero, draft, "AUTHORISED").status_code == 400
    assert xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id, Date="2026-01-05")]}).status_code == 400
    assert xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id, Date="2026-02-01")]}).status_code == 200
    sb.set_period_lock(xero.tenant, None)
    assert set_status(xero, draft, "AUTHORISED").status_code == 200


def test_a_paid_document_echoed_back_whole_is_not_an_edit(xero, contact_id):
    """An SDK sends unchanged fields in its own forms (/Date(ms)/, floats, totals): only real changes count."""
    inv = invoice(xero, contact_id)
    pay(xero, inv, 100)
    paid = xero.one("GET", f"/Invoices/{inv['InvoiceID']}", "Invoices")
    echo = {k: v for k, v in paid.items() if k not in ("Payments",)}
    echo["Reference"] = "changed"
    r = xero.post(f"/Invoices/{inv['InvoiceID']}", json={"Invoices": [echo]})
    assert r.status_code == 200 and r.json()["Invoices"][0]["Reference"] == "changed"
    echo["Date"] = "/Date(1767225600000+0000)/"      # 2026-01-01: a real change of a locked field
    assert messages(xero.post(f"/Invoices/{inv['InvoiceID']}", json={"Invoices": [echo]})) == [LOCKED]
