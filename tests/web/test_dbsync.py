"""The database-sync page: the configured tables and last runs, a conflict parked by the manual policy
and settled from the page with the code `scorolink dbsync resolve` runs."""

from __future__ import annotations

import re

from scorolink.connectors.base import WriteOp
from scorolink.integrations.database.config import options_from
from scorolink.integrations.database.run import TableSync
from scorolink.runtime.connections import ConfiguredConnections
from scorolink.web import accounts
from tests.integrations.database.conftest import execute, query
from tests.web.conftest import post


def test_tables_runs_and_a_conflict_settled_from_the_page(client, home, store):
    db = f"sqlite:///{home}/tables.db"
    config = home / "scorolink.toml"
    config.write_text(config.read_text() + f'\n[dbsync]\ndb = "{db}"\nconflict = "manual"\nobjects = ["Companies"]\n'
                      '[dbsync.keys]\nCompanies = ["Name"]\n')
    options = options_from({"db": db, "conflict": "manual", "objects": ["Companies"], "keys": {"Companies": ["Name"]}},
                           {})
    with ConfiguredConnections(str(config)).open("default") as conn:
        with TableSync(conn.connector, options) as sync:
            sync.run()
        row = query(db, 'SELECT * FROM "Companies" ORDER BY _row_id')[0]
        execute(db, 'UPDATE "Companies" SET "Name" = ? WHERE _row_id = ?', ["Table side", row["_row_id"]])
        assert list(conn.connector.write("Companies", [WriteOp("update", {"Id": row["Id"], "Name": "Scoro side"})]))[0].ok
        with TableSync(conn.connector, options) as sync:
            sync.run()
    page = client.get("/dbsync")
    assert page.status_code == 200
    assert "Companies" in page.text and "manual" in page.text and "No run yet" not in page.text
    [conflict_id] = re.findall(r'<tr id="conflict-(\d+)">', page.text)
    assert "Scoro side" in page.text and "Table side" in page.text
    no_choice = post(client, f"/dbsync/conflicts/{conflict_id}/resolve", {}, page="/dbsync")
    assert no_choice.status_code == 400 and "choose whose values win" in no_choice.text
    settled = post(client, f"/dbsync/conflicts/{conflict_id}/resolve", {"take": "scoro", "connection": "default"},
                   page="/dbsync")
    assert settled.status_code == 303
    assert query(db, 'SELECT "Name" FROM "Companies" WHERE _row_id = ?', [row["_row_id"]])[0]["Name"] == "Scoro side"
    assert "No parked conflict." in client.get("/dbsync").text
    assert any(r["action"] == "dbsync conflict resolved" for r in accounts.audit_log(store))


def test_without_a_database_the_page_says_how_to_name_one(client):
    page = client.get("/dbsync")
    assert page.status_code == 200 and "No database is configured" in page.text
