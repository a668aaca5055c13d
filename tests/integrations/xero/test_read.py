"""Reading every object through the connector: paging, If-Modified-Since, where and IDs pushed to
Xero, conditions Xero cannot evaluate checked locally, canonical types; request counts from the
sandbox's own stats."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from scorolink.connectors.base import Condition, WriteOp
from scorolink.errors import InvalidInput, UnknownName
from scorolink.integrations.xero.catalog import CATALOG
from scorolink.integrations.xero.connector import XeroConnector
from tests.integrations.xero.conftest import endpoint_counts, make_client


def test_every_object_reads_with_canonical_types(xsb, xconn):
    for spec in CATALOG:
        if spec.name == "Attachments":
            continue
        rows = list(xconn.read(spec.name))
        assert rows, spec.name
        for row in rows:
            assert row[spec.key], (spec.name, row)
    invoice = next(xconn.read("Invoices", [Condition("Status", "=", "PAID")]))
    assert isinstance(invoice["Total"], Decimal) and isinstance(invoice["Date"], date)
    assert invoice["UpdatedDateUTC"].tzinfo is UTC or invoice["UpdatedDateUTC"].utcoffset() == timedelta(0)
    assert invoice["Total"] == invoice["SubTotal"] + invoice["TotalTax"]
    assert sum((p["Amount"] for p in invoice["Payments"]), Decimal(0)) == invoice["AmountPaid"]
    assert invoice["LineItems"] and isinstance(invoice["LineItems"][0]["LineAmount"], Decimal)
    org = list(xconn.read("Organisation"))
    assert len(org) == 1 and org[0]["BaseCurrency"]


@pytest.mark.parametrize("obj", ["Invoices", "Contacts", "CreditNotes", "Payments"])
def test_paged_objects_take_one_request_per_page(xsb, obj):
    client = make_client(xsb)
    everything = list(XeroConnector(client).read(obj))
    xsb.reset_stats()
    size = 7
    client.settings.page_size = size
    paged = list(XeroConnector(client).read(obj))
    assert [r[CATALOG.require(obj).key] for r in paged] == [r[CATALOG.require(obj).key] for r in everything]
    pages = math.ceil(len(paged) / size)  # a full last page ends on pagination.pageCount, not an empty page
    assert endpoint_counts(xsb) == {f"GET {obj}": pages}


def test_unpaged_objects_take_one_request(xsb, xconn):
    for obj in ("Items", "Accounts", "TaxRates", "TrackingCategories", "Currencies", "Organisation"):
        xsb.reset_stats()
        assert list(xconn.read(obj))
        assert endpoint_counts(xsb) == {f"GET {obj}": 1}


def test_limit_asks_for_a_small_page(xsb, xconn):
    rows = list(xconn.read("Invoices", limit=3))
    assert len(rows) == 3
    assert endpoint_counts(xsb) == {"GET Invoices": 1}


@pytest.mark.parametrize("obj", ["Contacts", "Invoices", "Items", "Accounts", "CreditNotes", "Payments"])
def test_modified_since_reads_only_changes(xsb, xconn, obj):
    everything = list(xconn.read(obj))
    cursor = max(r["UpdatedDateUTC"] for r in everything)
    xsb.advance_clock(5)
    assert list(xconn.read(obj, modified_since=cursor + timedelta(seconds=1))) == []
    changed = _change_one(xconn, obj, everything)
    if changed is None:
        pytest.skip(f"{obj}: nothing editable in the seed")
    again = list(xconn.read(obj, modified_since=cursor + timedelta(seconds=1)))
    assert [r[CATALOG.require(obj).key] for r in again] == [changed]


def _change_one(conn: XeroConnector, obj: str, rows: list[dict]) -> str | None:
    spec = CATALOG.require(obj)
    if obj == "Payments":
        invoice = next(r for r in conn.read("Invoices", [Condition("Status", "=", "AUTHORISED"),
                                                         Condition("Type", "=", "ACCREC")]))
        account = next(r for r in conn.read("Accounts", [Condition("Type", "=", "BANK")]))
        result = next(conn.write("Payments", [WriteOp("insert", {
            "Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Account": {"AccountID": account["AccountID"]},
            "Amount": Decimal("1.00"), "Date": date.today()})]))
        assert result.ok, result.error
        return str(result.record["PaymentID"])
    if obj in ("Invoices", "CreditNotes"):
        row = next(r for r in rows if r["Status"] not in ("DELETED", "VOIDED") and r["Type"].startswith("ACCREC"))
        change = {"Reference": "changed"}
    elif obj == "Contacts":
        row = next(r for r in rows if r["ContactStatus"] == "ACTIVE")
        change = {"EmailAddress": "changed@example.com"}
    elif obj == "Accounts":
        row = next(r for r in rows if not r["SystemAccount"] and r["Type"] == "EXPENSE")
        change = {"Description": "changed"}
    else:
        row = rows[0]
        change = {"Description": "changed"}
    result = next(conn.write(obj, [WriteOp("update", {spec.key: row[spec.key], **change})]))
    assert result.ok, result.error
    return str(row[spec.key])


def test_modified_since_sends_the_header_only_where_supported(xsb, xconn):
    since = datetime(2020, 1, 1, tzinfo=UTC)
    assert len(list(xconn.read("TaxRates", modified_since=since))) == len(list(xconn.read("TaxRates")))


def test_where_is_pushed_to_xero(xsb, xconn):
    everything = list(xconn.read("Invoices"))
    xsb.reset_stats()
    authorised = list(xconn.read("Invoices", [Condition("Status", "=", "AUTHORISED"), Condition("Type", "=", "ACCREC")]))
    assert authorised and {(r["Status"], r["Type"]) for r in authorised} == {("AUTHORISED", "ACCREC")}
    assert len(authorised) == sum(1 for r in everything if r["Status"] == "AUTHORISED" and r["Type"] == "ACCREC")
    log = xsb.recent_requests(1)[0]
    assert 'Status=="AUTHORISED"' in str(log) or "Status%3D%3D" in str(log)

    contact_id = everything[0]["Contact"]["ContactID"]
    by_contact = list(xconn.read("Invoices", [Condition("Contact.ContactID", "=", contact_id)]))
    assert by_contact and all(r["Contact"]["ContactID"] == contact_id for r in by_contact)
    assert len(by_contact) == sum(1 for r in everything if r["Contact"]["ContactID"] == contact_id)

    cutoff = sorted(r["Date"] for r in everything)[len(everything) // 2]
    recent = list(xconn.read("Invoices", [Condition("Date", ">=", cutoff.isoformat())]))
    assert len(recent) == sum(1 for r in everything if r["Date"] >= cutoff)

    big = list(xconn.read("Invoices", [Condition("Total", ">", "1000")]))
    assert len(big) == sum(1 for r in everything if r["Total"] > 1000)
    assert endpoint_counts(xsb) == {"GET Invoices": 4}


def test_like_and_in_and_ids(xsb, xconn):
    contacts = list(xconn.read("Contacts", include_archived=True))
    name = contacts[3]["Name"]
    starts = list(xconn.read("Contacts", [Condition("Name", "like", name[:4] + "%")]))
    assert name in {r["Name"] for r in starts} and all(r["Name"].startswith(name[:4]) for r in starts)
    inside = list(xconn.read("Contacts", [Condition("Name", "like", "%" + name[2:6] + "%")]))
    assert name in {r["Name"] for r in inside}
    # A pattern Xero cannot express is checked locally, never dropped.
    odd = list(xconn.read("Contacts", [Condition("Name", "like", name[0] + "_" + name[2:])]))
    assert [r["Name"] for r in odd] == [name]
    statuses = list(xconn.read("Invoices", [Condition("Status", "in", ("DRAFT", "VOIDED"))]))
    assert statuses and {r["Status"] for r in statuses} <= {"DRAFT", "VOIDED"}
    ids = [c["ContactID"] for c in contacts[:5]]
    xsb.reset_stats()
    picked = list(xconn.read("Contacts", [Condition("ContactID", "in", tuple(ids))]))
    assert sorted(r["ContactID"] for r in picked) == sorted(ids)
    assert endpoint_counts(xsb) == {"GET Contacts": 1}
    assert "IDs" in str(xsb.recent_requests(1)[0])


def test_many_ids_are_split_into_requests_of_fifty(xsb):
    client = make_client(xsb)
    conn = XeroConnector(client)
    new = [WriteOp("insert", {"Name": f"Bulk contact {i}"}) for i in range(70)]
    ids = [r.record["ContactID"] for r in conn.write("Contacts", new)]
    xsb.reset_stats()
    assert len(list(conn.read("Contacts", [Condition("ContactID", "in", tuple(ids))]))) == 70
    assert endpoint_counts(xsb) == {"GET Contacts": 2}


def test_archived_contacts_only_when_asked(xsb, xconn):
    active = list(xconn.read("Contacts"))
    every = list(xconn.read("Contacts", include_archived=True))
    assert all(r["ContactStatus"] != "ARCHIVED" for r in active)
    assert any(r["ContactStatus"] == "ARCHIVED" for r in every) and len(every) > len(active)


def test_children_and_columns(xsb, xconn):
    options = list(xconn.read("TrackingOptions", include_archived=True))
    assert options and all(o["TrackingCategoryID"] and o["TrackingOptionID"] for o in options)
    allocations = list(xconn.read("Allocations"))
    assert allocations and all(a["CreditNoteID"] and a["Invoice"]["InvoiceID"] for a in allocations)
    slim = next(xconn.read("Invoices", columns=["InvoiceID", "Total"]))
    assert set(slim) == {"InvoiceID", "Total"}


def test_bad_names_and_attachment_reads_say_what_to_fix(xconn):
    with pytest.raises(UnknownName, match="Invoice"):
        list(xconn.read("Invoice"))
    with pytest.raises(UnknownName, match="Status"):
        list(xconn.read("Invoices", [Condition("Statuss", "=", "PAID")]))
    with pytest.raises(InvalidInput, match="ParentObject"):
        list(xconn.read("Attachments"))
