"""Xero's wire values <-> canonical values: /Date(...)/ in both forms, date-only values, Decimal money,
where literals, and records both ways."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scorolink.errors import InvalidValue, UnknownName
from scorolink.integrations.xero.catalog import CATALOG
from scorolink.integrations.xero.client import json_default, modified_since_header
from scorolink.integrations.xero.convert import (
    parse_xero_date,
    parse_xero_datetime,
    record_from_wire,
    record_to_wire,
    where_literal,
)


def test_net_dates_in_both_forms():
    assert parse_xero_datetime("/Date(1439434356790)/") == datetime(2015, 8, 13, 2, 52, 36, 790000, tzinfo=UTC)
    # The offset is informative: the milliseconds are UTC already (as the official SDK reads them).
    assert parse_xero_datetime("/Date(1419937200000+0000)/") == datetime(2014, 12, 30, 11, 0, tzinfo=UTC)
    assert parse_xero_datetime("/Date(1419937200000+1300)/") == datetime(2014, 12, 30, 11, 0, tzinfo=UTC)
    assert parse_xero_datetime("/Date(-86400000)/") == datetime(1969, 12, 31, tzinfo=UTC)
    assert parse_xero_datetime("2026-11-21T10:00:00Z") == datetime(2026, 11, 21, 10, tzinfo=UTC)
    assert parse_xero_date("/Date(1795219200000+0000)/") == date(2026, 11, 21)
    assert parse_xero_date("2026-11-21") == date(2026, 11, 21)


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1)))
def test_net_date_round_trip(moment):
    aware = moment.replace(tzinfo=UTC, microsecond=moment.microsecond // 1000 * 1000)
    ms = (aware - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)  # exact, no float
    assert parse_xero_datetime(f"/Date({ms}+0000)/") == aware


def test_record_from_wire_types_and_absent_keys():
    spec = CATALOG.require("Invoices")
    rec = record_from_wire(spec, {"InvoiceID": "x", "Total": 10.1, "Date": "/Date(1795219200000+0000)/",
                                  "UpdatedDateUTC": "/Date(1795219200000+0000)/", "SentToContact": True,
                                  "LineItems": [{"Quantity": 1.5, "UnitAmount": 2, "Tracking": [{"Name": "R"}]}]})
    assert rec["Total"] == Decimal("10.1") and rec["Date"] == date(2026, 11, 21)
    assert rec["UpdatedDateUTC"] == datetime(2026, 11, 21, tzinfo=UTC)
    assert rec["LineItems"][0]["Quantity"] == Decimal("1.5") and rec["LineItems"][0]["Tracking"] == [{"Name": "R"}]
    assert rec["Reference"] is None and rec["Payments"] == [] and rec["Contact"] is None


def test_record_to_wire_leaves_out_read_only_and_none():
    spec = CATALOG.require("Invoices")
    wire = record_to_wire(spec, {"InvoiceID": "abc", "Total": Decimal("5"), "Reference": None,
                                 "Date": date(2026, 1, 31), "Contact": {"ContactID": "c"},
                                 "LineItems": [{"LineItemID": "l", "UnitAmount": "12.345"}], "Payments": [{}]})
    assert wire == {"InvoiceID": "abc", "Date": "2026-01-31", "Contact": {"ContactID": "c"},
                    "LineItems": [{"LineItemID": "l", "UnitAmount": Decimal("12.345")}]}
    with pytest.raises(UnknownName, match="Refrence"):
        record_to_wire(spec, {"Refrence": "x"})
    with pytest.raises(InvalidValue, match="Date"):
        record_to_wire(spec, {"Date": "31/01/2026"})


def test_money_goes_as_exact_json_numbers():
    assert json_default(Decimal("10.50")) == 10.5
    assert json_default(Decimal("0.1234")) == 0.1234
    assert json_default(Decimal("12345678901234567.89")) == "12345678901234567.89"


def test_where_literals():
    spec = CATALOG.require("Invoices")
    f = spec.field_named
    assert where_literal(date(2024, 1, 31), f("Date")) == "DateTime(2024, 01, 31)"
    assert where_literal('He said "hi"', f("Reference")) == '"He said \\"hi\\""'
    assert where_literal("6b2c8352-52a2-4f4d-a529-5d0e6acfeb17", f("InvoiceID")) == \
        'Guid("6b2c8352-52a2-4f4d-a529-5d0e6acfeb17")'
    assert where_literal(Decimal("10.00"), f("Total")) == "10.00"
    assert where_literal(True, f("HasAttachments")) == "true"


def test_if_modified_since_is_utc_to_the_second():
    from datetime import timezone

    moment = datetime(2026, 11, 21, 21, 41, 51, 999999, tzinfo=timezone(timedelta(hours=2)))
    assert modified_since_header(moment) == "2026-11-21T19:41:51+00:00"
