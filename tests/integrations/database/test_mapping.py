"""A mapping file binds an existing, populated table with its own column names: the first run links the
rows that match by the natural key (no duplicate on either side), creates the rest both ways, and writes
the Scoro ids into the table's own id column."""

from __future__ import annotations

from collections import Counter

import pytest

from scorolink.errors import ConfigError
from tests.integrations.database.conftest import execute, failures, query, sync, writes

MAP = """
[Companies]
table = "crm_accounts"
key = "account_id"
scoro_id = "scoro_id"
natural_key = ["Name"]
[Companies.columns]
Name = "account_name"
VATNumber = "vat"
"""


def test_a_mapped_existing_table_syncs_without_duplicates(scoro, small_sandbox, sqlite_url, state_url, tmp_path):
    execute(sqlite_url, "CREATE TABLE crm_accounts (account_id INTEGER PRIMARY KEY, scoro_id INTEGER, "
                        "account_name TEXT, vat TEXT, owner TEXT)")
    existing = [r["Name"] for r in scoro.read("Companies", columns=["Name"])]
    execute(sqlite_url, "INSERT INTO crm_accounts (account_name, owner) VALUES (?, ?)", [existing[0], "ours"])
    execute(sqlite_url, "INSERT INTO crm_accounts (account_name, vat, owner) VALUES (?, ?, ?)",
            ["Only In The CRM Oy", "EE123", "ours"])
    mapping = tmp_path / "map.toml"
    mapping.write_text(MAP)
    result = sync(scoro, sqlite_url, state_url, ["Companies"], mapping=str(mapping))
    assert failures(result) == []
    # the one row matching by name is linked, and counted, once (read on both sides, planned once)
    assert result.executed["Companies"]["linked"] == 1, result.executed
    planned = result.plans["Companies"].counts()
    assert planned.get("link_a", 0) + planned.get("link_b", 0) == 1, planned
    rows = query(sqlite_url, "SELECT * FROM crm_accounts")
    in_scoro = Counter(r["Name"] for r in scoro.read("Companies", columns=["Name"]))
    assert Counter(r["account_name"] for r in rows) == in_scoro  # the same companies, none twice
    assert all(r["scoro_id"] is not None for r in rows)
    assert [r["owner"] for r in rows[:2]] == ["ours", "ours"]  # columns the map leaves out are left alone
    small_sandbox.reset_stats()
    sync(scoro, sqlite_url, state_url, ["Companies"], mapping=str(mapping))
    assert writes(small_sandbox) == {}


def test_mapping_mistakes_are_named(scoro, sqlite_url, state_url, tmp_path):
    mapping = tmp_path / "map.toml"
    mapping.write_text(MAP.replace("VATNumber", "VatNo"))
    with pytest.raises(ConfigError, match="Companies has no field 'VatNo'"):
        sync(scoro, sqlite_url, state_url, ["Companies"], mapping=str(mapping))
    mapping.write_text(MAP)
    with pytest.raises(ConfigError, match="'crm_accounts' named in the mapping file does not exist"):
        sync(scoro, sqlite_url, state_url, ["Companies"], mapping=str(mapping))
    with pytest.raises(ConfigError, match="no \\[Invoices\\] section"):
        sync(scoro, sqlite_url, state_url, ["Invoices"], mapping=str(mapping))


def test_a_mapped_tables_own_change_counter_moves_with_the_syncs_writes(scoro, sqlite_url, state_url, tmp_path):
    """`version = "row_version"`: a counter the table's own application keeps; scorolink's writes add one too,
    so the application sees them as changes like its own."""
    from scorolink.connectors.base import WriteOp

    execute(sqlite_url, "CREATE TABLE crm_accounts (account_id INTEGER PRIMARY KEY, scoro_id INTEGER, "
                        "account_name TEXT, vat TEXT, row_version INTEGER NOT NULL DEFAULT 0)")
    mapping = tmp_path / "map.toml"
    mapping.write_text(MAP.replace("natural_key", 'version = "row_version"\nnatural_key'))
    assert failures(sync(scoro, sqlite_url, state_url, ["Companies"], mapping=str(mapping))) == []
    row = query(sqlite_url, "SELECT * FROM crm_accounts ORDER BY account_id")[0]
    assert list(scoro.write("Companies", [WriteOp("update", {"Id": row["scoro_id"], "Name": "Renamed in Scoro"})]))[0].ok
    assert failures(sync(scoro, sqlite_url, state_url, ["Companies"], mapping=str(mapping)), state_url) == []
    after = query(sqlite_url, "SELECT * FROM crm_accounts WHERE account_id = ?", [row["account_id"]])[0]
    assert after["account_name"] == "Renamed in Scoro" and after["row_version"] == row["row_version"] + 1
