"""Records → rows: the generated per-table functions unwind nested values exactly, skip malformed
elements, convert values for the database, and hash equal records equally."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from scorolink.catalog.scoro import CATALOG
from scorolink.replicate.destination import _utc_text, open_destination
from scorolink.replicate.rows import RowBuilder
from scorolink.replicate.schema import RECORD_META, build_tables


def builder(obj: str, tmp_path) -> RowBuilder:
    spec = CATALOG.get(obj)
    assert spec is not None
    tables = build_tables([spec])
    dest = open_destination(f"sqlite:///{tmp_path / 'rows.db'}")
    types = {t.name: {c.name: c.type for c in t.columns} for t in tables}
    return RowBuilder(spec, tables, dest, types, "acct")


def column(b: RowBuilder, table: str, name: str) -> int:
    """Index of a column in a child row (rows carry every column of the table, in order)."""
    t = next(t for t in b.children if t.name == table)
    return t.column_names.index(name)


def test_nested_levels_unwind_with_positions_and_malformed_elements_are_skipped(tmp_path):
    b = builder("Invoices", tmp_path)
    record = {
        "Id": 7, "QuoteId": [11, {"id": 12}], "OrderId": None, "CreditedInvoices": "not a list",
        "Lines": [
            {"Id": 1, "ProductId": 5, "Dates": {"2025-01-01": Decimal("2.5"), "2025-01-02": 1}},
            "garbage",  # not a dict: no row, and its position is still counted
            {"Id": 3, "Dates": ["not", "a", "mapping"]},
        ],
    }
    built = b.build(record)
    assert built.remote_id == "7"
    assert built.children["Invoices_QuoteId"] == [("acct", "7", 0, 11), ("acct", "7", 1, 12)]
    assert built.children["Invoices_OrderId"] == []
    assert built.children["Invoices_CreditedInvoices"] == []
    lines = built.children["Invoices_Lines"]
    assert [r[:3] for r in lines] == [("acct", "7", 0), ("acct", "7", 2)]
    assert [r[column(b, "Invoices_Lines", "Id")] for r in lines] == [1, 3]
    assert lines[0][column(b, "Invoices_Lines", "ProductId")] == 5
    # Lines_Dates: (account, parent, line position, position, key, value as text for SQLite's NUMERIC)
    assert built.children["Invoices_Lines_Dates"] == [("acct", "7", 0, 0, "2025-01-01", "2.5"),
                                                      ("acct", "7", 0, 1, "2025-01-02", 1)]


def test_single_objects_and_lists_of_objects_in_lists(tmp_path):
    b = builder("TimeOffs", tmp_path)
    record = {"Id": 1, "UsersDates": [{"UserId": 4, "Dates": [{"Date": date(2025, 1, 2)}, None]}, None]}
    built = b.build(record)
    assert [r[:3] for r in built.children["TimeOffs_UsersDates"]] == [("acct", "1", 0)]
    dates = built.children["TimeOffs_UsersDates_Dates"]
    assert [r[:4] for r in dates] == [("acct", "1", 0, 0)]
    assert "2025-01-02" in dates[0]
    people = builder("People", tmp_path)
    got = people.build({"Id": 2, "Address": {"City": "Tartu"}, "Addresses": {"City": "not a list"}})
    assert [r[:3] for r in got.children["People_Address"]] == [("acct", "2", 0)]
    assert "Tartu" in got.children["People_Address"][0]
    assert got.children["People_Addresses"] == []


@pytest.mark.parametrize("value", [
    datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2025, 1, 2, 3, 4, 5, 120, tzinfo=UTC),
    datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))), datetime(2025, 1, 2, 3, 4, 5),
    datetime(999, 1, 1, tzinfo=UTC), "2025-01-01 00:00:00", None,
])
def test_inline_datetime_conversion_equals_the_converter(tmp_path, value):
    b = builder("TimeEntries", tmp_path)
    sources = [c.source for c in b.main.columns if c.source is not None]
    got = b.main_values({"StartDatetime": value})[len(RECORD_META) + sources.index("StartDatetime")]
    assert got == _utc_text(value)


def test_equal_records_hash_equally_and_any_change_changes_the_hash(tmp_path):
    b = builder("Invoices", tmp_path)
    record = {"Id": 3, "Sum": Decimal("10.50"), "Date": date(2025, 1, 1), "IsSent": True,
              "Lines": [{"Id": 1, "Comment": "a", "Dates": {"2025-01-01": 1.0}}], "QuoteId": [4]}
    same = copy.deepcopy(record)  # equal values, other objects
    assert b.build(record).hash == b.build(same).hash
    for change in ({"IsSent": False}, {"Sum": Decimal("10.5")}, {"QuoteId": [4, 5]}, {"Comment": None}):
        other = copy.deepcopy(record)
        if "Comment" in change:
            other["Lines"][0]["Comment"] = "None"  # the text "None" is not a missing value
        else:
            other.update(change)
        assert b.build(other).hash != b.build(record).hash, change


def test_sqlite_gets_flags_as_integers_and_the_record_metadata_first(tmp_path):
    """sqlite3 binds exact ints directly (bools go through its adapter lookup); SQLite stores 0/1
    either way. The main values start with WhenCreated, WhenModified and IsDeleted."""
    b = builder("Invoices", tmp_path)
    created = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    values = b.build({"Id": 1, "IsSent": True, "IsDeleted": True, "CreatedDate": created}).values
    assert values[:len(RECORD_META)] == ("2025-01-02 03:04:05+00:00", None, 1)
    sources = [c.source for c in b.main.columns if c.source is not None]
    sent = values[len(RECORD_META) + sources.index("IsSent")]
    assert sent == 1 and type(sent) is int
    assert b.build({"Id": 1}).values[2] == 0  # no IsDeleted in the record: not deleted
