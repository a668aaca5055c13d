from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scorolink.catalog.model import DatetimeStyle, Field, FieldType
from scorolink.connectors.base import Condition, matches, parse_condition
from scorolink.connectors.scoro_convert import coerce, from_wire, to_wire
from scorolink.connectors.scoro_filters import plan_filters
from scorolink.errors import InvalidValue, ScorolinkError

TALLINN = ZoneInfo("Europe/Tallinn")
RANGE = ("=", "<", "<=", ">", ">=")


@pytest.mark.parametrize(("text", "expected"), [
    ("Status = unpaid", Condition("Status", "=", "unpaid")),
    ("Date>=2024-01-01", Condition("Date", ">=", "2024-01-01")),
    ("Name like 'Acme%'", Condition("Name", "like", "Acme%")),
    ("Id IN (1, 2,3)", Condition("Id", "in", ("1", "2", "3"))),
    ("Name in ('a, b', \"c\")", Condition("Name", "in", ("a, b", "c"))),
    ("Deadline is null", Condition("Deadline", "is null")),
    ("Deadline IS NOT NULL", Condition("Deadline", "is not null")),
    ("Sum <> 0", Condition("Sum", "!=", "0")),
    ("CompanyName = \"O'Brien & Co\"", Condition("CompanyName", "=", "O'Brien & Co")),
])
def test_parse_condition(text, expected):
    assert parse_condition(text) == expected


@pytest.mark.parametrize("text", ["Status", "= 3", "Id in 1,2", "Name =", "Deadline is null x"])
def test_parse_condition_errors_say_how_to_write_it(text):
    with pytest.raises(ScorolinkError):
        parse_condition(text)


def test_wire_values_become_canonical():
    assert from_wire("0000-00-00", FieldType.DATE, UTC) is None
    assert from_wire("0000-00-00 00:00:00", FieldType.DATETIME, UTC) is None
    assert from_wire("2016-03-25T15:47:20+02:00", FieldType.DATETIME, UTC) == datetime(2016, 3, 25, 13, 47, 20,
                                                                                     tzinfo=UTC)
    # SQL-style datetimes are in the site's zone (Tallinn is UTC+2 in March)
    assert from_wire("2016-03-25 15:47:20", FieldType.DATETIME, TALLINN) == datetime(2016, 3, 25, 13, 47, 20,
                                                                                   tzinfo=UTC)
    assert from_wire(1, FieldType.BOOLEAN, UTC) is True and from_wire("0", FieldType.BOOLEAN, UTC) is False
    assert from_wire(19.9, FieldType.DECIMAL, UTC) == Decimal("19.9")
    assert from_wire("230300", FieldType.INTEGER, UTC) == 230300
    assert from_wire(230300, FieldType.STRING, UTC) == "230300"
    # Something that does not parse is kept, never dropped.
    assert from_wire("soon", FieldType.DATE, UTC) == "soon"


def test_canonical_values_go_out_in_the_fields_wire_style():
    moment = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
    iso = Field("UpdatedDate", "modified_date", FieldType.DATETIME, datetime_style=DatetimeStyle.ISO)
    sql = Field("UpdatedDate", "modified_date", FieldType.DATETIME, datetime_style=DatetimeStyle.SQL)
    assert to_wire(moment, iso, TALLINN) == "2024-06-01T12:00:00+03:00"
    assert to_wire(moment, sql, TALLINN) == "2024-06-01 12:00:00"
    assert to_wire(True, Field("IsSent", "is_sent", FieldType.BOOLEAN), UTC) == 1


@pytest.mark.parametrize(("ftype", "value", "expected"), [
    (FieldType.INTEGER, "42", 42),
    (FieldType.INTEGER, "42.0", 42),
    (FieldType.DECIMAL, "1 234.50", Decimal("1234.50")),
    (FieldType.BOOLEAN, "true", True),
    (FieldType.DATE, "2024-02-29", date(2024, 2, 29)),
    (FieldType.TIME, "1:30", "01:30:00"),
])
def test_coerce_user_input(ftype, value, expected):
    assert coerce(value, Field("F", "f", ftype)) == expected


@pytest.mark.parametrize(("ftype", "value"), [
    (FieldType.INTEGER, "4.5"), (FieldType.INTEGER, "x"), (FieldType.DECIMAL, "1,5x"),
    (FieldType.DATE, "2024-02-30"), (FieldType.BOOLEAN, "maybe"), (FieldType.TIME, "90 minutes"),
])
def test_coerce_names_the_field_on_bad_input(ftype, value):
    with pytest.raises(InvalidValue) as info:
        coerce(value, Field("Amount", "amount", ftype))
    assert "Amount" in str(info.value)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**9, max_value=10**9))
def test_decimal_round_trip(value):
    f = Field("Sum", "sum", FieldType.DECIMAL)
    assert from_wire(to_wire(value, f, UTC), FieldType.DECIMAL, UTC) == value


def test_plan_pushes_only_what_the_catalog_allows_and_keeps_everything_local():
    status = Field("Status", "status", FieldType.STRING, filters=("=",))
    date_f = Field("Date", "date", FieldType.DATE, filters=RANGE)
    comment = Field("Comment", "comment", FieldType.STRING)
    country = Field("CompanyAddressCountry", "company_address.country", FieldType.STRING, filters=("=",))
    conds = [(Condition("Status", "=", "paid"), status), (Condition("Date", ">", date(2024, 1, 31)), date_f),
             (Condition("Date", "<=", date(2024, 3, 1)), date_f), (Condition("Comment", "=", "x"), comment),
             (Condition("Status", "!=", "void"), status), (Condition("CompanyAddressCountry", "=", "EST"), country)]
    plan = plan_filters(conds, UTC)
    assert plan.filter == {"status": "paid", "date": {"from_date": "2024-02-01", "to_date": "2024-03-01"},
                           "company_address": {"country": "EST"}}
    assert [str(c) for c in plan.pushed] == ["Status = 'paid'", "Date > datetime.date(2024, 1, 31)",
                                             "Date <= datetime.date(2024, 3, 1)", "CompanyAddressCountry = 'EST'"]
    assert len(plan.local) == len(conds)


def test_datetime_ranges_widen_by_a_day_and_in_lists_fan_out():
    updated = Field("UpdatedDate", "modified_date", FieldType.DATETIME, filters=RANGE,
                    datetime_style=DatetimeStyle.ISO)
    ident = Field("Id", "id", FieldType.INTEGER, filters=("=",))
    plan = plan_filters([(Condition("UpdatedDate", ">=", datetime(2024, 5, 10, 23, 30, tzinfo=UTC)), updated),
                         (Condition("Id", "in", (1, 2, 3)), ident)], TALLINN)
    # 23:30 UTC is already May 11 in Tallinn; one day of slack below it
    assert plan.filter == {"modified_date": {"from_date": "2024-05-10"}}
    assert [f["id"] for f in plan.filters()] == [1, 2, 3]


def test_local_matching_follows_sql_null_semantics():
    record = {"Sum": Decimal("10"), "Name": "Acme Ltd", "Deadline": None}
    assert matches(record, [Condition("Sum", ">", Decimal("9")), Condition("Name", "like", "acme%")])
    assert not matches(record, [Condition("Deadline", "=", date(2024, 1, 1))])
    assert matches(record, [Condition("Deadline", "is null")])
    assert not matches(record, [Condition("Sum", "in", (Decimal("1"), Decimal("2")))])
