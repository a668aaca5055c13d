"""A value changed back and forth faster than a side's change stamp moves (A, then B, then A again, each
synced) is still carried, on SQLite, PostgreSQL and DuckDB.

The failing case this guards: a change was identified by the record's change stamp (the table's
`_modified_at`, Scoro's `UpdatedDate`, both to the second) plus its values, and a change identified so
that had been written once was never written again. So a row set to A (synced), then B (synced), then back
to A within one second left Scoro at B for good: the third change looked like the first. On DuckDB, whose
`_modified_at` an outside tool's edit does not move, it did not even take the same second. A change is now
identified by what was last agreed for the record (the link's settled generation), and the table keeps a
change counter `_version` (a trigger bumps it on SQLite and PostgreSQL; on DuckDB the sync bumps it)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any

import pytest

from scorolink.connectors.base import Condition, WriteOp
from scorolink.integrations.database.db_side import DatabaseSide
from scorolink.integrations.database.run import DbSyncOptions, TableSync
from scorolink.replicate.destination import open_destination
from tests.integrations.database.conftest import execute, failures, query, sync, writes

OBJ = "Companies"
SECOND = "2026-06-01 12:00:00"  # every table edit below is stamped within this one second


@pytest.fixture(params=["sqlite", "postgresql", "duckdb"])
def any_db(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/tables.db"
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path}/tables.duckdb"
    return str(request.getfixturevalue("postgres_url"))


def scoro_name(scoro, company_id) -> str:
    [found] = scoro.read(OBJ, [Condition("Id", "=", company_id)], columns=["Name"])
    return str(found["Name"])


def first_row(db: str) -> dict[str, Any]:
    return query(db, f'SELECT * FROM "{OBJ}" WHERE "Id" IS NOT NULL ORDER BY _row_id')[0]


def test_a_row_set_back_to_a_value_synced_within_the_same_second_reaches_scoro(scoro, small_sandbox, any_db,
                                                                                state_url):
    assert failures(sync(scoro, any_db, state_url, [OBJ])) == []
    row = first_row(any_db)
    for n, name in enumerate(["Value A", "Value B", "Value A"]):
        execute(any_db, f'UPDATE "{OBJ}" SET "Name" = ?, "_modified_at" = ? WHERE _row_id = ?',
                [name, f"{SECOND}.{n + 1}00+00:00", row["_row_id"]])
        small_sandbox.reset_stats()
        assert failures(sync(scoro, any_db, state_url, [OBJ], conflict="db"), state_url) == []
        assert writes(small_sandbox) == {"contacts/modify": 1}, (n, name)
        assert scoro_name(scoro, row["Id"]) == name, (n, name)
    small_sandbox.reset_stats()
    sync(scoro, any_db, state_url, [OBJ])
    assert writes(small_sandbox) == {}  # and once agreed, nothing more is written


def test_a_scoro_record_set_back_within_the_same_second_reaches_the_table(scoro, small_sandbox, any_db, state_url,
                                                                          monkeypatch):
    assert failures(sync(scoro, any_db, state_url, [OBJ])) == []
    row = first_row(any_db)
    frozen = small_sandbox.clock.now()
    monkeypatch.setattr(small_sandbox.clock, "now", lambda: frozen)  # Scoro's UpdatedDate stays on one second
    for n, name in enumerate(["Value A", "Value B", "Value A"]):
        assert list(scoro.write(OBJ, [WriteOp("update", {"Id": row["Id"], "Name": name})]))[0].ok
        assert failures(sync(scoro, any_db, state_url, [OBJ]), state_url) == []
        assert query(any_db, f'SELECT "Name" FROM "{OBJ}" WHERE _row_id = ?', [row["_row_id"]])[0]["Name"] == name, \
            (n, name)


def test_the_change_counter_moves_on_every_edit(scoro, any_db, state_url):
    """`_version` goes up by at least one on each update, whoever makes it: the database's trigger on SQLite
    and PostgreSQL, the sync's own writes on DuckDB (which has no triggers)."""
    assert failures(sync(scoro, any_db, state_url, [OBJ])) == []
    row = first_row(any_db)
    assert row["_version"] >= 1
    execute(any_db, f'UPDATE "{OBJ}" SET "Name" = ? WHERE _row_id = ?', ["Counted", row["_row_id"]])
    edited = first_row(any_db)["_version"]
    if not any_db.startswith("duckdb"):
        assert edited == row["_version"] + 1
        execute(any_db, f'UPDATE "{OBJ}" SET "Name" = ?, "_version" = ? WHERE _row_id = ?',
                ["Counted again", 0, row["_row_id"]])  # a tool that writes the column cannot move it back
        assert first_row(any_db)["_version"] == edited + 1
    assert list(scoro.write(OBJ, [WriteOp("update", {"Id": row["Id"], "Comments": "From Scoro"})]))[0].ok
    before = first_row(any_db)["_version"]
    assert failures(sync(scoro, any_db, state_url, [OBJ]), state_url) == []
    assert first_row(any_db)["_version"] > before  # the sync's own write counts too


def test_a_table_made_by_an_earlier_version_gets_the_counter(scoro, small_sandbox, any_db, state_url):
    """Tables created before `_version` existed: the next run adds the column (and, on SQLite and PostgreSQL,
    the trigger that keeps it), and syncing goes on with nothing rewritten."""
    assert failures(sync(scoro, any_db, state_url, [OBJ])) == []
    _as_made_before_the_counter(any_db)
    assert "_version" not in first_row(any_db)
    small_sandbox.reset_stats()
    assert failures(sync(scoro, any_db, state_url, [OBJ]), state_url) == []
    assert writes(small_sandbox) == {}  # the migration is no change to either side
    row = first_row(any_db)
    assert row["_version"] >= 1
    execute(any_db, f'UPDATE "{OBJ}" SET "Name" = ? WHERE _row_id = ?', ["After the upgrade", row["_row_id"]])
    if not any_db.startswith("duckdb"):
        assert first_row(any_db)["_version"] == row["_version"] + 1
    assert failures(sync(scoro, any_db, state_url, [OBJ]), state_url) == []
    assert scoro_name(scoro, row["Id"]) == "After the upgrade"
    with TableSync(scoro, DbSyncOptions(db=any_db, objects=[OBJ], state=state_url)) as run:
        assert run.made == []  # nothing left to add on a later run


def _as_made_before_the_counter(db: str) -> None:
    """Put the table back as earlier versions made it: no `_version`, the old `_modified_at` trigger."""
    dest = open_destination(db)
    q, t = dest.q, dest.q(OBJ)
    try:
        with dest.transaction():
            if dest.scheme == "sqlite":
                dest.execute(f"DROP TRIGGER IF EXISTS {q(OBJ + '_modified')}")
                dest.execute(f"ALTER TABLE {t} DROP COLUMN \"_version\"")
                dest.execute(f"CREATE TRIGGER {q(OBJ + '_modified')} AFTER UPDATE ON {t} FOR EACH ROW "
                             "WHEN NEW._modified_at IS OLD._modified_at BEGIN UPDATE " + t + " SET _modified_at = "
                             "strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') WHERE _row_id = NEW._row_id; END")
            elif dest.scheme == "postgresql":
                dest.execute(f"ALTER TABLE {t} DROP COLUMN \"_version\"")
                dest.execute(f"CREATE OR REPLACE FUNCTION {q(OBJ + '_touch')}() RETURNS trigger AS $$ BEGIN "
                             "IF NEW._modified_at IS NOT DISTINCT FROM OLD._modified_at THEN NEW._modified_at := now(); "
                             "END IF; RETURN NEW; END $$ LANGUAGE plpgsql")
            else:  # DuckDB cannot drop a column an index follows: the table again from its DDL, less the column
                [(ddl,)] = dest.query("SELECT sql FROM duckdb_tables() WHERE table_name = ?", [OBJ])
                old = re.sub(r',\s*"?_version"?\s+BIGINT DEFAULT\(1\) NOT NULL', "", ddl, flags=re.I)
                assert old != ddl, ddl
                columns = ", ".join(q(c) for c in dest.columns(OBJ) if c != "_version")
                dest.execute(f"ALTER TABLE {t} RENAME TO {q(OBJ + '_new')}")
                dest.execute(old)
                dest.execute(f"INSERT INTO {t} ({columns}) SELECT {columns} FROM {q(OBJ + '_new')}")
                dest.execute(f"DROP TABLE {q(OBJ + '_new')}")
    finally:
        dest.close()


def test_an_edit_made_right_after_the_syncs_write_is_still_a_change(scoro, any_db, state_url, monkeypatch):
    """The sync writes Scoro's change into a row and reads the row back for its record of what was agreed.
    Read back after its commit, an edit another program made in between was taken as agreed and never went
    to Scoro; read back before the commit, it is a change like any other."""
    assert failures(sync(scoro, any_db, state_url, [OBJ])) == []
    row = first_row(any_db)
    assert list(scoro.write(OBJ, [WriteOp("update", {"Id": row["Id"], "Name": "From Scoro"})]))[0].ok
    written = DatabaseSide.write

    def write_then_another_program_edits(side, requests):
        commit = side.db.transaction

        @contextmanager
        def transaction():
            with commit():
                yield
            execute(any_db, f'UPDATE "{OBJ}" SET "Comments" = ? WHERE _row_id = ?', ["Typed right after",
                                                                                   row["_row_id"]])

        side.db.transaction = transaction
        try:
            return written(side, requests)
        finally:
            del side.db.transaction

    monkeypatch.setattr(DatabaseSide, "write", write_then_another_program_edits)
    assert failures(sync(scoro, any_db, state_url, [OBJ]), state_url) == []
    monkeypatch.undo()
    assert first_row(any_db)["Comments"] == "Typed right after"
    assert failures(sync(scoro, any_db, state_url, [OBJ]), state_url) == []
    [now] = scoro.read(OBJ, [Condition("Id", "=", row["Id"])], columns=["Name", "Comments"])
    assert (now["Name"], now["Comments"]) == ("From Scoro", "Typed right after")
