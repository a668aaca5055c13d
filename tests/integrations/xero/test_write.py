"""Writing every writable object: batches of up to 50 with summarizeErrors=false (one result per op,
some failing), updates, upserts, deletes and voids by status, allocations, tracking options,
attachments; Idempotency-Key replay after a lost answer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from scorolink.connectors.base import Condition, WriteOp
from scorolink.errors import OperationNotAllowed
from tests.integrations.xero.conftest import endpoint_counts


def one(conn, obj, action, record, **kw):
    results = list(conn.write(obj, [WriteOp(action, record)], **kw))
    assert len(results) == 1
    return results[0]


def sales_account(conn) -> str:
    return next(a["Code"] for a in conn.read("Accounts", [Condition("Type", "in", ("REVENUE", "SALES"))]))


def expense_account(conn) -> str:
    return next(a["Code"] for a in conn.read("Accounts", [Condition("Type", "=", "EXPENSE")]))


def new_contact(conn, name="Scorolink Test Ltd") -> str:
    r = one(conn, "Contacts", "insert", {"Name": name})
    assert r.ok, r.error
    return r.record["ContactID"]


def invoice(contact_id, account, *, status="DRAFT", kind="ACCREC", amount="100.00", **extra):
    return {"Type": kind, "Contact": {"ContactID": contact_id}, "Date": date(2026, 3, 1), "DueDate": date(2026, 3, 31),
            "Status": status, "LineAmountTypes": "Exclusive",
            "LineItems": [{"Description": "Consulting", "Quantity": Decimal("2"), "UnitAmount": Decimal(amount),
                           "AccountCode": account}], **extra}


def test_contacts_batch_with_a_failing_element(xsb, xconn):
    taken = next(xconn.read("Contacts"))["Name"]
    ops = [WriteOp("insert", {"Name": "Alpha OÜ", "EmailAddress": "a@example.com",
                              "Addresses": [{"AddressType": "STREET", "City": "Tallinn"}],
                              "Phones": [{"PhoneType": "MOBILE", "PhoneNumber": "5551234"}]}, ref=1),
           WriteOp("insert", {"Name": taken}, ref=2),
           WriteOp("insert", {"Name": "Gamma AS"}, ref=3)]
    xsb.reset_stats()
    results = list(xconn.write("Contacts", ops))
    assert [r.op.ref for r in results] == [1, 2, 3]
    assert [r.ok for r in results] == [True, False, True]
    assert "already assigned to another contact" in results[1].error
    assert results[1].field_errors
    saved = results[0].record
    assert saved["ContactID"] and saved["Addresses"][0]["City"] == "Tallinn"
    assert saved["Phones"][0]["PhoneNumber"] == "5551234"
    assert endpoint_counts(xsb) == {"PUT Contacts": 1}
    names = {c["Name"] for c in xconn.read("Contacts")}
    assert {"Alpha OÜ", "Gamma AS"} <= names


def test_writes_go_in_batches_of_fifty(xsb, xconn):
    xsb.reset_stats()
    results = list(xconn.write("Contacts", [WriteOp("insert", {"Name": f"Batch {i}"}) for i in range(120)]))
    assert all(r.ok for r in results) and len({r.record["ContactID"] for r in results}) == 120
    assert endpoint_counts(xsb) == {"PUT Contacts": 3}
    assert xsb.stats()["writes"]["Contacts"]["created"] == 120


def test_contact_update_upsert_and_archive(xsb, xconn):
    cid = new_contact(xconn)
    r = one(xconn, "Contacts", "update", {"ContactID": cid, "EmailAddress": "new@example.com"})
    assert r.ok and r.record["EmailAddress"] == "new@example.com"
    # POST upserts: a known id updates, a new name creates.
    results = list(xconn.write("Contacts", [WriteOp("upsert", {"ContactID": cid, "FirstName": "Mari"}),
                                            WriteOp("upsert", {"Name": "Upserted Ltd"})]))
    assert all(r.ok for r in results)
    assert results[0].record["ContactID"] == cid and results[0].record["FirstName"] == "Mari"
    assert results[1].record["ContactID"] != cid
    r = one(xconn, "Contacts", "delete", {"ContactID": cid})
    assert r.ok and r.record["ContactStatus"] == "ARCHIVED"
    assert cid not in {c["ContactID"] for c in xconn.read("Contacts")}
    assert cid in {c["ContactID"] for c in xconn.read("Contacts", include_archived=True)}


def test_items_create_update_delete(xsb, xconn):
    account = sales_account(xconn)
    results = list(xconn.write("Items", [
        WriteOp("insert", {"Code": "SCORO-1", "Name": "Widget", "SalesDetails": {"UnitPrice": Decimal("12.50"),
                                                                                 "AccountCode": account}}),
        WriteOp("insert", {"Code": next(xconn.read("Items"))["Code"], "Name": "Dup"}),
    ]))
    assert results[0].ok and results[0].record["SalesDetails"]["UnitPrice"] == Decimal("12.50")
    assert not results[1].ok and "already exists" in results[1].error
    item_id = results[0].record["ItemID"]
    r = one(xconn, "Items", "update", {"ItemID": item_id, "Name": "Widget v2"})
    assert r.ok and r.record["Name"] == "Widget v2"
    xsb.reset_stats()
    r = one(xconn, "Items", "delete", {"ItemID": item_id})
    assert r.ok and endpoint_counts(xsb) == {"DELETE Items/{id}": 1}
    assert item_id not in {i["ItemID"] for i in xconn.read("Items")}


def test_invoices_and_bills_in_one_batch_with_failures(xsb, xconn):
    cid = new_contact(xconn)
    sales, expense = sales_account(xconn), expense_account(xconn)
    taken_number = next(xconn.read("Invoices", [Condition("Type", "=", "ACCREC"),
                                                Condition("Status", "=", "AUTHORISED")]))["InvoiceNumber"]
    ops = [WriteOp("insert", invoice(cid, sales)),
           WriteOp("insert", invoice(cid, "476")),  # no such account
           WriteOp("insert", invoice(cid, expense, kind="ACCPAY", status="AUTHORISED", InvoiceNumber="B-1")),
           WriteOp("insert", invoice(cid, sales, InvoiceNumber=taken_number))]
    xsb.reset_stats()
    results = list(xconn.write("Invoices", ops))
    assert [r.ok for r in results] == [True, False, True, False]
    assert "476" in results[1].error
    assert "must be unique" in results[3].error
    draft, bill = results[0].record, results[2].record
    assert draft["Status"] == "DRAFT" and draft["Total"] > Decimal("200") and draft["InvoiceNumber"]
    assert bill["Type"] == "ACCPAY" and bill["Status"] == "AUTHORISED" and bill["AmountDue"] == bill["Total"]
    assert draft["LineItems"][0]["LineItemID"]
    assert endpoint_counts(xsb) == {"PUT Invoices": 1}


def test_invoice_update_keeps_lines_and_status_transitions(xsb, xconn):
    cid = new_contact(xconn)
    draft = one(xconn, "Invoices", "insert", invoice(cid, sales_account(xconn))).record
    line = draft["LineItems"][0]
    r = one(xconn, "Invoices", "update", {"InvoiceID": draft["InvoiceID"], "Status": "AUTHORISED",
                                          "LineItems": [{"LineItemID": line["LineItemID"], "Quantity": Decimal("3"),
                                                         "UnitAmount": line["UnitAmount"],
                                                         "AccountCode": line["AccountCode"],
                                                         "Description": line["Description"]}]})
    assert r.ok, r.error
    assert r.record["Status"] == "AUTHORISED" and r.record["LineItems"][0]["LineItemID"] == line["LineItemID"]
    assert r.record["SubTotal"] == Decimal("300.00")


def test_delete_and_void_follow_the_status(xsb, xconn):
    cid = new_contact(xconn)
    account = sales_account(xconn)
    made = list(xconn.write("Invoices", [WriteOp("insert", invoice(cid, account)),
                                         WriteOp("insert", invoice(cid, account, status="AUTHORISED")),
                                         WriteOp("insert", invoice(cid, account, status="AUTHORISED"))]))
    draft, authorised, paid = (r.record for r in made)
    bank = next(a for a in xconn.read("Accounts", [Condition("Type", "=", "BANK")]))
    pay = one(xconn, "Payments", "insert", {"Invoice": {"InvoiceID": paid["InvoiceID"]},
                                            "Account": {"AccountID": bank["AccountID"]},
                                            "Amount": paid["Total"], "Date": date(2026, 3, 5)})
    assert pay.ok, pay.error
    xsb.reset_stats()
    results = list(xconn.write("Invoices", [WriteOp("delete", {"InvoiceID": i["InvoiceID"]})
                                            for i in (draft, authorised, paid)]))
    assert [r.ok for r in results] == [True, True, False]
    assert results[0].record["Status"] == "DELETED" and results[1].record["Status"] == "VOIDED"
    assert "PAID" in results[2].error
    # One read of the current statuses, one POST for the two that can go.
    assert endpoint_counts(xsb) == {"GET Invoices": 1, "POST Invoices": 1}
    again = one(xconn, "Invoices", "delete", {"InvoiceID": draft["InvoiceID"]})
    assert again.ok  # already deleted: nothing to do
    voided = one(xconn, "Invoices", "void", {"InvoiceID": draft["InvoiceID"]})
    assert not voided.ok


def test_payments_create_refuse_overpayment_and_delete(xsb, xconn):
    cid = new_contact(xconn)
    inv = one(xconn, "Invoices", "insert", invoice(cid, sales_account(xconn), status="AUTHORISED")).record
    bank = next(a for a in xconn.read("Accounts", [Condition("Type", "=", "BANK")]))
    results = list(xconn.write("Payments", [
        WriteOp("insert", {"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Account": {"AccountID": bank["AccountID"]},
                           "Amount": Decimal("50.00"), "Date": date(2026, 3, 5), "Reference": "part"}),
        WriteOp("insert", {"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Account": {"AccountID": bank["AccountID"]},
                           "Amount": inv["Total"] * 10, "Date": date(2026, 3, 5)}),
    ]))
    assert results[0].ok and results[0].record["Amount"] == Decimal("50.00")
    assert results[0].record["PaymentType"] == "ACCRECPAYMENT"
    assert not results[1].ok and "exceeds the amount outstanding" in results[1].error
    updated = next(xconn.read("Invoices", [Condition("InvoiceID", "=", inv["InvoiceID"])]))
    assert updated["AmountPaid"] == Decimal("50.00")
    with pytest.raises(OperationNotAllowed):
        list(xconn.write("Payments", [WriteOp("update", {"PaymentID": results[0].record["PaymentID"]})]))
    xsb.reset_stats()
    r = one(xconn, "Payments", "delete", {"PaymentID": results[0].record["PaymentID"]})
    assert r.ok and r.record["Status"] == "DELETED"
    assert endpoint_counts(xsb) == {"POST Payments/{id}": 1}
    assert next(xconn.read("Invoices", [Condition("InvoiceID", "=", inv["InvoiceID"])]))["AmountPaid"] == 0


def test_credit_notes_and_allocations(xsb, xconn):
    cid = new_contact(xconn)
    account = sales_account(xconn)
    inv = one(xconn, "Invoices", "insert", invoice(cid, account, status="AUTHORISED")).record
    note = one(xconn, "CreditNotes", "insert", {
        "Type": "ACCRECCREDIT", "Contact": {"ContactID": cid}, "Date": date(2026, 3, 2), "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "LineItems": [{"Description": "Refund", "Quantity": Decimal("1"), "UnitAmount": Decimal("40"),
                       "AccountCode": account}]})
    assert note.ok, note.error
    credit = note.record
    assert credit["RemainingCredit"] == credit["Total"]
    xsb.reset_stats()
    alloc = one(xconn, "Allocations", "insert", {"CreditNoteID": credit["CreditNoteID"], "Amount": Decimal("10.00"),
                                                 "Date": date(2026, 3, 3), "Invoice": {"InvoiceID": inv["InvoiceID"]}})
    assert alloc.ok, alloc.error
    assert endpoint_counts(xsb) == {"PUT CreditNotes/{id}/Allocations": 1}
    assert alloc.record["Amount"] == Decimal("10.00") and alloc.record["CreditNoteID"] == credit["CreditNoteID"]
    after = next(xconn.read("Invoices", [Condition("InvoiceID", "=", inv["InvoiceID"])]))
    assert after["AmountCredited"] == Decimal("10.00") and after["AmountDue"] == inv["Total"] - Decimal("10.00")
    too_much = one(xconn, "Allocations", "insert", {"CreditNoteID": credit["CreditNoteID"], "Amount": Decimal("9999"),
                                                    "Date": date(2026, 3, 3), "Invoice": {"InvoiceID": inv["InvoiceID"]}})
    assert not too_much.ok and too_much.error
    gone = one(xconn, "Allocations", "delete", {"CreditNoteID": credit["CreditNoteID"],
                                                "AllocationID": alloc.record["AllocationID"]})
    assert gone.ok
    assert next(xconn.read("Invoices", [Condition("InvoiceID", "=", inv["InvoiceID"])]))["AmountCredited"] == 0


def test_accounts_one_per_request(xsb, xconn):
    xsb.reset_stats()
    results = list(xconn.write("Accounts", [WriteOp("insert", {"Code": "771", "Name": "Scoro sales", "Type": "SALES"}),
                                            WriteOp("insert", {"Code": "772", "Name": "Scoro sales", "Type": "SALES"}),
                                            WriteOp("insert", {"Code": "773", "Name": "Scoro other", "Type": "SALES"})]))
    assert [r.ok for r in results] == [True, False, True]
    assert "unique" in results[1].error.lower()
    assert endpoint_counts(xsb) == {"PUT Accounts": 3}
    aid = results[0].record["AccountID"]
    r = one(xconn, "Accounts", "update", {"AccountID": aid, "Name": "Scoro sales (EU)"})
    assert r.ok and r.record["Name"] == "Scoro sales (EU)"
    r = one(xconn, "Accounts", "update", {"AccountID": aid, "Status": "ARCHIVED"})
    assert r.ok and r.record["Status"] == "ARCHIVED"
    assert one(xconn, "Accounts", "delete", {"AccountID": results[2].record["AccountID"]}).ok
    assert results[2].record["AccountID"] not in {a["AccountID"] for a in xconn.read("Accounts")}


def test_tax_rates_create_update_delete(xsb, xconn):
    r = one(xconn, "TaxRates", "insert", {"Name": "Scoro 9%", "TaxComponents": [{"Name": "VAT", "Rate": Decimal("9")}]})
    assert r.ok, r.error
    tax_type = r.record["TaxType"]
    assert tax_type.startswith("TAX") and r.record["EffectiveRate"] == Decimal("9")
    r = one(xconn, "TaxRates", "update", {"TaxType": tax_type, "Name": "Scoro 9 percent",
                                          "TaxComponents": [{"Name": "VAT", "Rate": Decimal("9")}]})
    assert r.ok and r.record["Name"] == "Scoro 9 percent"
    r = one(xconn, "TaxRates", "delete", {"TaxType": tax_type})
    assert r.ok and r.record["Status"] == "DELETED"


def test_tracking_categories_and_options(xsb, xconn):
    existing = list(xconn.read("TrackingCategories"))
    archived = one(xconn, "TrackingCategories", "update", {"TrackingCategoryID": existing[1]["TrackingCategoryID"],
                                                           "Status": "ARCHIVED"})
    assert archived.ok, archived.error
    made = one(xconn, "TrackingCategories", "insert", {"Name": "Project"})
    assert made.ok, made.error
    cat = made.record["TrackingCategoryID"]
    opt = one(xconn, "TrackingOptions", "insert", {"TrackingCategoryID": cat, "Name": "Website relaunch"})
    assert opt.ok, opt.error
    oid = opt.record["TrackingOptionID"]
    assert opt.record["TrackingCategoryID"] == cat
    renamed = one(xconn, "TrackingOptions", "update", {"TrackingCategoryID": cat, "TrackingOptionID": oid,
                                                       "Name": "Website relaunch 2"})
    assert renamed.ok and renamed.record["Name"] == "Website relaunch 2"
    options = list(xconn.read("TrackingOptions", [Condition("TrackingCategoryID", "=", cat)]))
    assert [o["Name"] for o in options] == ["Website relaunch 2"]
    assert one(xconn, "TrackingOptions", "delete", {"TrackingCategoryID": cat, "TrackingOptionID": oid}).ok
    r = one(xconn, "TrackingCategories", "update", {"TrackingCategoryID": cat, "Name": "Projects"})
    assert r.ok and r.record["Name"] == "Projects"
    assert one(xconn, "TrackingCategories", "delete", {"TrackingCategoryID": cat}).ok
    assert cat not in {c["TrackingCategoryID"] for c in xconn.read("TrackingCategories", include_archived=True)}


def test_currencies(xsb, xconn):
    have = {c["Code"] for c in xconn.read("Currencies")}
    code = next(c for c in ("SEK", "NOK", "DKK", "CHF", "PLN") if c not in have)
    r = one(xconn, "Currencies", "insert", {"Code": code})
    assert r.ok, r.error
    assert code in {c["Code"] for c in xconn.read("Currencies")}


def test_attachments_add_replace_and_download(xsb, xconn):
    cid = new_contact(xconn)
    inv = one(xconn, "Invoices", "insert", invoice(cid, sales_account(xconn))).record
    r = one(xconn, "Attachments", "insert", {"ParentObject": "Invoices", "ParentID": inv["InvoiceID"],
                                             "FileName": "scope of work.pdf", "Content": b"%PDF-1 first",
                                             "MimeType": "application/pdf", "IncludeOnline": True})
    assert r.ok, r.error
    assert r.record["AttachmentID"] and r.record["ContentLength"] == len(b"%PDF-1 first")
    r = one(xconn, "Attachments", "update", {"ParentObject": "Invoices", "ParentID": inv["InvoiceID"],
                                             "FileName": "scope of work.pdf", "Content": b"%PDF-1 second version"})
    assert r.ok, r.error
    files = list(xconn.read("Attachments", [Condition("ParentObject", "=", "Invoices"),
                                            Condition("ParentID", "=", inv["InvoiceID"])],
                            columns=["FileName", "Content", "ContentLength"]))
    assert files == [{"FileName": "scope of work.pdf", "Content": b"%PDF-1 second version",
                      "ContentLength": len(b"%PDF-1 second version")}]


def test_lost_answer_is_replayed_by_idempotency_key_without_a_duplicate(xsb, xconn):
    cid = new_contact(xconn)
    body = invoice(cid, sales_account(xconn), Reference="once")
    xsb.reset_stats()
    xsb.inject("lost_ack")  # the invoice is saved, then the connection drops before the answer
    r = one(xconn, "Invoices", "insert", body)
    assert r.ok, r.error
    stats = xsb.stats()
    assert stats["requests"]["by_endpoint"]["PUT Invoices"] == 2
    assert stats["idempotent_replays"] == 1
    assert stats["writes"]["Invoices"]["created"] == 1
    assert len(list(xconn.read("Invoices", [Condition("Reference", "=", "once")]))) == 1


def test_caller_keys_make_a_rerun_replay(xsb, xconn):
    cid = new_contact(xconn)
    op = WriteOp("insert", invoice(cid, sales_account(xconn), Reference="rerun"))
    first = list(xconn.write("Invoices", [op], idempotency_key="job-7-run-1"))
    second = list(xconn.write("Invoices", [op], idempotency_key="job-7-run-1"))
    assert first[0].record["InvoiceID"] == second[0].record["InvoiceID"]
    assert len(list(xconn.read("Invoices", [Condition("Reference", "=", "rerun")]))) == 1
    assert xsb.stats()["idempotent_replays"] == 1


def test_every_write_carries_an_idempotency_key_kept_across_retries(xsb):
    import httpx

    from scorolink.clients.asgi_bridge import SyncASGITransport
    from scorolink.integrations.xero.client import XeroClient
    from scorolink.integrations.xero.connector import XeroConnector
    from tests.integrations.xero.conftest import SandboxSleep, make_oauth, xero_settings

    seen: list[tuple[str, str | None]] = []
    inner = SyncASGITransport(xsb.app)

    class Spy(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if "/api.xro/" in request.url.path:
                seen.append((request.method, request.headers.get("idempotency-key")))
            return inner.handle_request(request)

    settings = xero_settings(xsb)
    sleep = SandboxSleep(xsb)
    conn = XeroConnector(XeroClient(settings, make_oauth(xsb, settings, Spy()), transport=Spy(), sleep=sleep,
                                    clock=sleep.now))
    xsb.inject("http_503")
    list(conn.write("Contacts", [WriteOp("insert", {"Name": f"Keyed {i}"}) for i in range(3)]))
    list(conn.write("Items", [WriteOp("insert", {"Code": "K-1", "Name": "Keyed item"})]))
    writes = [(m, k) for m, k in seen if m in ("PUT", "POST")]
    assert len(writes) == 3 and all(k and len(k) <= 128 for _, k in writes)
    assert writes[0][1] == writes[1][1]  # the retry after the 503 reused its key
    assert writes[2][1] != writes[0][1]


def test_a_key_reused_for_a_different_request_is_reported_per_op(xsb, xconn):
    list(xconn.write("Contacts", [WriteOp("insert", {"Name": "First body"})], idempotency_key="same"))
    results = list(xconn.write("Contacts", [WriteOp("insert", {"Name": "Other body"})], idempotency_key="same"))
    assert not results[0].ok and "different request" in results[0].error
