"""The loader's write paths: a first load (no seen keys, relation indexes built once at the end),
new rows written by INSERT / COPY / JSON and changed ones by upsert, and every kind of value
arriving intact on each backend."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from scorolink.clients.errors import ApiError
from scorolink.replicate import state
from scorolink.replicate.destination import Destination, open_destination
from scorolink.replicate.engine import ReplicateOptions, replicate
from scorolink.replicate.schema import Column, Table
from tests.replicate.test_replicate import mirror_url, rows  # noqa: F401  (fixture)


def index_names(url: str, table: str) -> set[str]:
    dest = open_destination(url)
    try:
        if dest.scheme == "sqlite":
            return {r[0] for r in dest.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                              "AND sql IS NOT NULL", (table,))}
        if dest.scheme == "postgresql":
            return {r[0] for r in dest.query("SELECT indexname FROM pg_indexes WHERE tablename = %s", (table,))}
        return set()
    finally:
        dest.close()


def test_a_first_load_notes_no_seen_keys_and_ends_with_every_index(connector, mirror_url, monkeypatch):  # noqa: F811
    added: list[int] = []
    real_add_seen = state.add_seen
    monkeypatch.setattr(state, "add_seen", lambda dest, a, o, ids: (added.append(len(ids)), real_add_seen(dest, a, o, ids)))
    first = replicate(connector, mirror_url, ReplicateOptions(objects=["Invoices"], batch_size=2))
    assert first.failed == [] and first.objects["Invoices"].rows > 2
    assert added == []  # a first load: every row it leaves was written by it, none can be unseen
    if not mirror_url.startswith("duckdb"):
        names = index_names(mirror_url, "Invoices") | index_names(mirror_url, "Invoices_Lines")
        assert {"ix_Invoices_CompanyId", "ix_Invoices_ProjectId", "ix_Invoices_Lines_ProductId"} <= names
    # A full read into a mirror that has rows: seen keys are noted, and nothing is flagged deleted.
    again = replicate(connector, mirror_url, ReplicateOptions(objects=["Invoices"], full=True, batch_size=2))
    assert sum(added) == again.objects["Invoices"].read
    assert again.objects["Invoices"].rows == 0 and again.objects["Invoices"].deleted == 0


def test_a_first_load_that_fails_part_way_keeps_its_rows_indexed(connector, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    real_read = connector.read

    def failing_read(name: str, *args: Any, **kwargs: Any) -> Any:
        for i, record in enumerate(real_read(name, *args, **kwargs)):
            if i == 5:
                raise ApiError("the API went away", status=500)
            yield record

    monkeypatch.setattr(connector, "read", failing_read)
    summary = replicate(connector, url, ReplicateOptions(objects=["Invoices"], batch_size=2))
    assert summary.failed == ["Invoices"]
    assert rows(url, 'SELECT count(*) FROM "Invoices"')[0][0] == 2  # the batches committed before the error
    assert "ix_Invoices_CompanyId" in index_names(url, "Invoices")
    monkeypatch.setattr(connector, "read", real_read)
    done = replicate(connector, url, ReplicateOptions(objects=["Invoices"]))
    assert done.failed == [] and done.objects["Invoices"].mode == "full"
    assert rows(url, 'SELECT count(*) FROM "Invoices"')[0][0] == done.objects["Invoices"].read


def test_a_first_load_whose_last_transaction_fails_keeps_its_rows_indexed(connector, tmp_path, monkeypatch):
    """The indexes are built in the last batch's transaction; when that rolls back they are built anyway."""
    url = f"sqlite:///{tmp_path / 'm.db'}"

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(state, "write_state", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        replicate(connector, url, ReplicateOptions(objects=["Invoices"], batch_size=2, workers=1))
    assert rows(url, 'SELECT count(*) FROM "Invoices"')[0][0] > 0
    assert "ix_Invoices_CompanyId" in index_names(url, "Invoices")


VALUE_TABLE = Table("Values", "Values", (
    Column("RemoteAccount", "string", nullable=False), Column("RemoteID", "string", nullable=False),
    Column("Text", "string"), Column("Number", "integer"), Column("Money", "decimal"), Column("Flag", "boolean"),
    Column("Day", "date"), Column("Moment", "datetime"), Column("Doc", "json"), Column("Blob", "binary"),
), primary_key=("RemoteAccount", "RemoteID"))

VALUES = [
    ("a", "1", 'quote " and \' and , and\nnewline and Õunapuu 🍏', 9_007_199_254_740_993, Decimal("12345.6789"),
     True, date(2024, 2, 29), datetime(2024, 4, 16, 10, 26, 54, 120000, tzinfo=UTC), {"a": [1, "x"], "b": None},
     b"\x00\xffbytes"),
    ("a", "2", "", 0, Decimal("-0.5"), False, None, None, None, None),
    ("a", "3", None, None, None, None, None, None, [], b""),
    ("a", "4", "\\N", -1, Decimal("0"), None, date(1, 1, 1), datetime(2025, 1, 1, tzinfo=UTC), "just text", None),
]


def _ready(dest: Destination, row: tuple[Any, ...]) -> tuple[Any, ...]:
    convs = [dest.converter(c.type) for c in VALUE_TABLE.columns]
    return tuple(v if conv is None or v is None else conv(v) for conv, v in zip(convs, row, strict=True))


def _read_back(dest: Destination) -> list[tuple[Any, ...]]:
    got = dest.query(f'SELECT * FROM {dest.q("Values")} ORDER BY {dest.q("RemoteID")}')
    out = []
    for r in got:
        r = list(r)
        if isinstance(r[8], str) and dest.scheme != "postgresql":
            import json

            r[8] = json.loads(r[8])
        if isinstance(r[9], memoryview | bytearray):
            r[9] = bytes(r[9])
        out.append(tuple(r))
    return out


@pytest.mark.parametrize("mode", ["insert", "upsert"])
def test_every_kind_of_value_arrives_intact(mirror_url, mode):  # noqa: F811
    dest = open_destination(mirror_url)
    try:
        with dest.transaction():
            dest.create_table(VALUE_TABLE, False)
        cols = VALUE_TABLE.column_names
        sql = dest.insert_sql("Values", cols) if mode == "insert" else dest.upsert_sql("Values", cols, VALUE_TABLE.primary_key)
        with dest.transaction():
            dest.upsert(sql, [_ready(dest, r) for r in VALUES])
        if mode == "upsert":  # and once more over the same keys: updated in place
            with dest.transaction():
                dest.upsert(sql, [_ready(dest, r) for r in VALUES])
        got = _read_back(dest)
    finally:
        dest.close()
    assert len(got) == len(VALUES)
    for want, have in zip(VALUES, got, strict=True):
        assert have[:5] == want[:5] or (have[:4] == want[:4] and Decimal(str(have[4])) == want[4])
        assert (have[5] is None) == (want[5] is None) and (want[5] is None or bool(have[5]) == want[5])
        assert have[6] in (want[6], None if want[6] is None else want[6].isoformat())
        if want[7] is None:
            assert have[7] is None
        else:
            moment = have[7] if isinstance(have[7], datetime) else datetime.fromisoformat(have[7])
            assert moment == want[7]
        assert have[8] == want[8]
        assert have[9] == want[9]
