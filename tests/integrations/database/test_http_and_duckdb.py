"""dbsync against the sandbox over real HTTP on loopback, and on DuckDB (including its one-writer rule)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.base import Condition, WriteOp
from scorolink.connectors.scoro import ScoroConnector
from scorolink.errors import ConfigError
from scorolink.session import sandbox_settings
from tests.integrations.database.conftest import execute, failures, query, sync, writes


@pytest.mark.loopback
def test_both_ways_over_http_on_loopback(small_sandbox, sqlite_url, state_url):
    with small_sandbox.run_in_thread() as base_url:
        scoro = ScoroConnector(ScoroClient(replace(sandbox_settings(small_sandbox, base_url=base_url), timeout=5),
                                           sleep=lambda _s: None, backoff_base=0.01))
        try:
            assert failures(sync(scoro, sqlite_url, state_url, ["Invoices"])) == []
            row = query(sqlite_url, 'SELECT * FROM "Invoices" WHERE "Id" IS NOT NULL ORDER BY _row_id')[0]
            lines = query(sqlite_url, 'SELECT * FROM "Invoices_Lines" WHERE _parent_row_id = ? ORDER BY _position',
                          [row["_row_id"]])
            [scoro_invoice] = scoro.read("Invoices", [Condition("Id", "=", row["Id"])])
            assert len(lines) == len(scoro_invoice["Lines"]) and lines[0]["Id"] == scoro_invoice["Lines"][0]["Id"]
            # a line edited in the child table goes to Scoro, and Scoro's new sum comes back to the row
            execute(sqlite_url, 'UPDATE "Invoices_Lines" SET "Amount" = "Amount" + 1 WHERE _row_id = ?',
                    [lines[0]["_row_id"]])
            assert failures(sync(scoro, sqlite_url, state_url, ["Invoices"])) == []
            [after] = scoro.read("Invoices", [Condition("Id", "=", row["Id"])])
            assert after["Lines"][0]["Amount"] == scoro_invoice["Lines"][0]["Amount"] + 1
            again = query(sqlite_url, 'SELECT "Sum" FROM "Invoices" WHERE _row_id = ?', [row["_row_id"]])[0]
            assert str(again["Sum"]).rstrip("0").rstrip(".") == format(after["Sum"].normalize(), "f").rstrip(".")
            small_sandbox.reset_stats()
            sync(scoro, sqlite_url, state_url, ["Invoices"])
            assert writes(small_sandbox) == {}
        finally:
            scoro.close()


def test_duckdb_first_run_edit_and_unchanged_run(scoro, small_sandbox, tmp_path, state_url):
    db = f"duckdb:///{tmp_path}/tables.duckdb"
    assert failures(sync(scoro, db, state_url, ["Companies", "Invoices"])) == []
    row = query(db, 'SELECT * FROM "Companies" WHERE "Id" IS NOT NULL ORDER BY _row_id')[0]
    execute(db, 'UPDATE "Companies" SET "Name" = ? WHERE _row_id = ?', ["Edited in DuckDB", row["_row_id"]])
    execute(db, 'INSERT INTO "Companies" ("Name", "ContactType", "IsClient") VALUES (?, ?, ?)',
            ["Typed into DuckDB", "company", True])
    assert failures(sync(scoro, db, state_url, ["Companies", "Invoices"])) == []
    [now] = scoro.read("Companies", [Condition("Id", "=", row["Id"])], columns=["Name"])
    assert now["Name"] == "Edited in DuckDB"
    new = query(db, 'SELECT "Id" FROM "Companies" WHERE "Name" = ?', ["Typed into DuckDB"])[0]
    assert new["Id"] is not None
    assert list(scoro.write("Companies", [WriteOp("update", {"Id": row["Id"], "Comments": "From Scoro"})]))[0].ok
    sync(scoro, db, state_url, ["Companies", "Invoices"])
    assert query(db, 'SELECT "Comments" FROM "Companies" WHERE _row_id = ?', [row["_row_id"]])[0]["Comments"] == \
        "From Scoro"
    small_sandbox.reset_stats()
    sync(scoro, db, state_url, ["Companies", "Invoices"])
    assert writes(small_sandbox) == {}


def test_duckdb_allows_one_writer_and_says_so(scoro, tmp_path, state_url):
    import duckdb

    path = tmp_path / "held.duckdb"
    holder = duckdb.connect(str(path))  # another program holds the file open
    try:
        import subprocess
        import sys

        code = ("from types import SimpleNamespace\n"
                "from scorolink.catalog.scoro import CATALOG\n"
                "from scorolink.integrations.database.run import DbSyncOptions, TableSync\n"
                "from scorolink.errors import ConfigError\n"
                "try:\n"
                f"    TableSync(SimpleNamespace(catalog=CATALOG), DbSyncOptions(db='duckdb:///{path}', objects=['Companies'], state='{state_url}'))\n"
                "except ConfigError as exc:\n"
                "    print('refused:', exc)\n")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert out.stdout.startswith("refused:") and "one writing process" in out.stdout, out.stdout + out.stderr
    finally:
        holder.close()
    with pytest.raises(ConfigError, match="Unknown object"):
        sync(scoro, f"duckdb:///{path}", state_url, ["Nope"])
