"""Replication against the sandbox into real SQLite, PostgreSQL and DuckDB databases.

Each backend runs the same checks: every object mirrored with the sandbox's row counts, nested
tables consistent with their parents, changes / new records / deletes arriving on the next
incremental run, an unchanged second run writing nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from scorolink.connectors.base import WriteOp
from scorolink.replicate.destination import open_destination
from scorolink.replicate.engine import ReplicateOptions, default_objects, replicate
from scorolink.replicate.schema import MirrorOptions, remote_id

BACKENDS = ["sqlite", "postgresql", "duckdb"]


@pytest.fixture(params=BACKENDS)
def mirror_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mirror.db'}"
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'mirror.duckdb'}"
    return request.getfixturevalue("postgres_url")


def rows(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    dest = open_destination(url)
    try:
        return dest.query(sql.replace("?", dest.param), params)
    finally:
        dest.close()


def count(url: str, table: str, where: str = "", params: tuple = ()) -> int:
    return int(rows(url, f'SELECT count(*) FROM "{table}" {where}', params)[0][0])


def test_every_object_is_mirrored_with_the_sandboxes_row_counts(connector, mirror_url):
    summary = replicate(connector, mirror_url, ReplicateOptions())
    assert summary.failed == []
    assert list(summary.objects) == default_objects(connector.catalog)
    for name in summary.objects:
        spec = connector.spec(name)
        expected = {remote_id(spec, r) for r in connector.read(name, include_deleted=spec.has_delete_flag)}
        assert count(mirror_url, name) == len(expected), name
        assert summary.objects[name].rows == len(expected), name
        assert summary.objects[name].mode == "full"
    deleted = count(mirror_url, "Invoices", 'WHERE "IsDeleted" = ?', (True,))
    assert deleted > 0, "the sandbox keeps some recently deleted invoices: they arrive flagged"


def test_nested_tables_match_their_parents(connector, mirror_url):
    replicate(connector, mirror_url, ReplicateOptions(objects=["Invoices", "People", "TimeOffs", "Projects"]))
    invoices = list(connector.read("Invoices", include_deleted=True))
    assert count(mirror_url, "Invoices_Lines") == sum(len(i["Lines"] or []) for i in invoices)
    assert count(mirror_url, "Invoices_Lines_Dates") == sum(
        len(line.get("Dates") or {}) for i in invoices for line in i["Lines"] or [])
    # Child rows carry their parent's key and the line's own id.
    inv = next(i for i in invoices if i["Lines"])
    got = rows(mirror_url, 'SELECT "Position", "Id", "ProductId" FROM "Invoices_Lines" WHERE "ParentRemoteID" = ? '
               'ORDER BY "Position"', (str(inv["Id"]),))
    assert [tuple(r) for r in got] == [(n, line["Id"], line["ProductId"]) for n, line in enumerate(inv["Lines"])]
    for child, parent in (("Invoices_Lines", "Invoices"), ("People_Email", "People"), ("TimeOffs_UsersDates",
                                                                                        "TimeOffs")):
        orphans = rows(mirror_url, f'SELECT count(*) FROM "{child}" c WHERE NOT EXISTS (SELECT 1 FROM "{parent}" p '
                       'WHERE p."RemoteAccount" = c."RemoteAccount" AND p."RemoteID" = c."ParentRemoteID")')
        assert orphans[0][0] == 0, child
    time_offs = list(connector.read("TimeOffs", include_deleted=True))
    assert count(mirror_url, "TimeOffs_UsersDates_Dates") == sum(
        len(u.get("Dates") or []) for t in time_offs for u in t["UsersDates"] or [])
    emails = Counter(r[0] for r in rows(mirror_url, 'SELECT "ParentRemoteID" FROM "People_Email"'))
    people = {str(p["Id"]): len(p["Email"] or []) for p in connector.read("People", include_deleted=True)}
    assert dict(emails) == {k: v for k, v in people.items() if v}


def test_an_unchanged_second_run_writes_nothing_and_costs_one_request_per_list_object(connector, mirror_url, sandbox):
    objects = ["Invoices", "Projects", "Tasks", "TimeEntries", "Companies", "People", "Users", "Categories"]
    replicate(connector, mirror_url, ReplicateOptions(objects=objects))
    stamps = rows(mirror_url, 'SELECT "RemoteID", "WhenUpsertedIntoDataStore" FROM "Invoices"')
    again = replicate(connector, mirror_url, ReplicateOptions(objects=objects))
    assert {n: r.rows for n, r in again.objects.items()} == dict.fromkeys(objects, 0)
    assert {n: r.mode for n, r in again.objects.items() if n in ("Invoices", "Projects", "Tasks")} == \
        dict.fromkeys(("Invoices", "Projects", "Tasks"), "incremental")
    assert all(r.requests == 1 for r in again.objects.values()), {n: r.requests for n, r in again.objects.items()}
    assert sorted(rows(mirror_url, 'SELECT "RemoteID", "WhenUpsertedIntoDataStore" FROM "Invoices"')) == sorted(stamps)


def test_changes_new_records_and_deletes_arrive_on_the_next_incremental_run(connector, mirror_url, sandbox):
    objects = ["Invoices", "Companies", "Tasks"]
    replicate(connector, mirror_url, ReplicateOptions(objects=objects))
    sandbox.advance_clock(120)
    invoice = next(i for i in connector.read("Invoices") if i["Lines"])
    task = next(iter(connector.read("Tasks")))
    changed = list(connector.write("Invoices", [WriteOp("update", {"Id": invoice["Id"], "Description": "changed"})]))
    created = list(connector.write("Companies", [WriteOp("insert", {"Name": "Brand New OÜ"})]))
    deleted = list(connector.write("Tasks", [WriteOp("delete", {"Id": task["Id"]})]))
    assert all(r.ok for r in changed + created + deleted)
    summary = replicate(connector, mirror_url, ReplicateOptions(objects=objects))
    assert {n: r.mode for n, r in summary.objects.items()} == dict.fromkeys(objects, "incremental")
    assert {n: r.rows for n, r in summary.objects.items()} == {"Invoices": 1, "Companies": 1, "Tasks": 1}
    assert rows(mirror_url, 'SELECT "Description" FROM "Invoices" WHERE "RemoteID" = ?',
                (str(invoice["Id"]),)) == [("changed",)]
    new_id = str(created[0].record["Id"])
    assert rows(mirror_url, 'SELECT "Name", "IsDeleted" FROM "Companies" WHERE "RemoteID" = ?', (new_id,)) == \
        [("Brand New OÜ", False)]
    assert rows(mirror_url, 'SELECT "IsDeleted" FROM "Tasks" WHERE "RemoteID" = ?', (str(task["Id"]),)) == [(True,)]
    # The changed invoice's lines were replaced, not duplicated.
    assert count(mirror_url, "Invoices_Lines", 'WHERE "ParentRemoteID" = ?', (str(invoice["Id"]),)) == \
        len(invoice["Lines"])


def test_reconcile_catches_deletes_older_than_the_api_window(connector, mirror_url, sandbox):
    replicate(connector, mirror_url, ReplicateOptions(objects=["Tasks"]))
    task = next(iter(connector.read("Tasks")))
    list(connector.write("Tasks", [WriteOp("delete", {"Id": task["Id"]})]))
    sandbox.advance_clock(31 * 86400)  # past the 30-day window: the deleted task is purged
    assert task["Id"] not in {t["Id"] for t in connector.read("Tasks", include_deleted=True)}
    quiet = replicate(connector, mirror_url, ReplicateOptions(objects=["Tasks"]))
    assert quiet.objects["Tasks"].deleted == 0 and not quiet.objects["Tasks"].reconciled
    assert rows(mirror_url, 'SELECT "IsDeleted" FROM "Tasks" WHERE "RemoteID" = ?', (str(task["Id"]),)) == [(False,)]
    summary = replicate(connector, mirror_url, ReplicateOptions(objects=["Tasks"], reconcile=True))
    assert summary.objects["Tasks"].reconciled and summary.objects["Tasks"].deleted == 1
    assert rows(mirror_url, 'SELECT "IsDeleted" FROM "Tasks" WHERE "RemoteID" = ?', (str(task["Id"]),)) == [(True,)]


def test_reconcile_runs_by_itself_when_the_last_one_is_older_than_the_setting(connector, tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    replicate(connector, url, ReplicateOptions(objects=["Tasks"]))
    assert not replicate(connector, url, ReplicateOptions(objects=["Tasks"])).objects["Tasks"].reconciled
    due = replicate(connector, url, ReplicateOptions(objects=["Tasks"], reconcile_days=0))
    assert due.objects["Tasks"].reconciled


def test_snake_naming_and_json_nesting(connector, mirror_url):
    replicate(connector, mirror_url, ReplicateOptions(objects=["Invoices"], mirror=MirrorOptions(
        naming="snake", nested="json")))
    dest = open_destination(mirror_url)
    try:
        tables = dest.tables()
        assert "invoices" in tables and not any(t.startswith("invoices_") for t in tables)
        cols = dest.columns("invoices")
        assert {"remote_id", "remote_account", "when_upserted_into_data_store", "when_created", "when_modified",
                "is_deleted", "lines", "document_number"} <= set(cols)
        (lines,) = dest.query('SELECT lines FROM invoices WHERE remote_id = ' + dest.param, ("1",))[0]
    finally:
        dest.close()
    lines = json.loads(lines) if isinstance(lines, str) else lines
    assert lines and {"Id", "ProductId", "Dates"} <= set(lines[0])


def test_metadata_columns_follow_synchub(connector, mirror_url):
    replicate(connector, mirror_url, ReplicateOptions(objects=["Projects"]))
    project = next(iter(connector.read("Projects")))
    (row,) = rows(mirror_url, 'SELECT "RemoteID", "RemoteAccount", "WhenUpsertedIntoDataStore", "WhenCreated", '
                  '"WhenModified", "IsDeleted", "Id" FROM "Projects" WHERE "RemoteID" = ?', (str(project["Id"]),))
    rid, account, upserted, created, modified, is_deleted, pid = row
    assert (rid, account, pid, bool(is_deleted)) == (str(project["Id"]), "demo", project["Id"], False)
    assert _as_utc(created) == project["CreatedDate"] and _as_utc(modified) == project["UpdatedDate"]
    assert abs((datetime.now(UTC) - _as_utc(upserted)).total_seconds()) < 300


def _as_utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def test_two_accounts_share_one_mirror(sandbox, tmp_path):
    from tests.conftest import make_connector

    url = f"sqlite:///{tmp_path / 'm.db'}"
    first = make_connector(sandbox)
    second = make_connector(sandbox, company_account_id=sandbox.default["company_account_ids"][1])
    a = replicate(first, url, ReplicateOptions(objects=["Products"]))
    b = replicate(second, url, ReplicateOptions(objects=["Products"]))
    assert a.account != b.account
    by_account = dict(rows(url, 'SELECT "RemoteAccount", count(*) FROM "Products" GROUP BY "RemoteAccount"'))
    assert by_account == {a.account: a.objects["Products"].rows, b.account: b.objects["Products"].rows}


def test_binary_fields_only_with_include_binary(connector, tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    plain = replicate(connector, url, ReplicateOptions(objects=["Files"]))
    assert "Content" not in open_destination(url).columns("Files")
    with_binary = replicate(connector, f"sqlite:///{tmp_path / 'b.db'}", ReplicateOptions(
        objects=["Files"], mirror=MirrorOptions(include_binary=True)))
    n = with_binary.objects["Files"].read
    assert with_binary.objects["Files"].requests == plain.objects["Files"].requests + n  # one download each
    contents = rows(f"sqlite:///{tmp_path / 'b.db'}", 'SELECT "Content" FROM "Files"')
    assert contents and all(isinstance(c, bytes) and c for (c,) in contents)


def test_per_parent_changed_asks_only_modified_parents_and_sweeps_every_parent_on_schedule(connector, sandbox,
                                                                                        mirror_url):
    """TaskComments costs a request per task. With per_parent="changed" an unchanged incremental run
    costs one request (the page of modified tasks); a comment on a modified task arrives at once,
    one on an untouched task (the sandbox, like the safest reading of Scoro, does not mark the task
    modified) at the next sweep."""
    url = mirror_url
    objects = ["Tasks", "TaskComments"]
    connector.facts.put("comments_by_module", False)  # a site that lists comments only per record

    def run(**options: Any) -> Any:
        summary = replicate(connector, url, ReplicateOptions(objects=objects, per_parent="changed", overlap_seconds=0,
                                                             **options))
        assert summary.failed == []
        return summary.objects["TaskComments"]

    tasks = [t["Id"] for t in connector.read("Tasks")]
    asked = len(list(connector.read("Tasks", columns=["Id"], include_deleted=True)))  # deleted ones too
    first = run()
    assert (first.mode, first.parents) == ("full", "all")
    assert first.requests == asked // 100 + 1 + asked
    quiet = run()
    assert (quiet.mode, quiet.parents, quiet.requests, quiet.rows) == ("incremental", "changed", 1, 0)

    sandbox.advance_clock(60)
    untouched, touched = tasks[0], tasks[1]
    added = list(connector.write("TaskComments", [
        WriteOp("insert", {"ObjectId": untouched, "Comment": "on an untouched task", "UserId": 1}),
        WriteOp("insert", {"ObjectId": touched, "Comment": "on a task edited since", "UserId": 1})]))
    assert all(r.ok for r in added), [r.error for r in added]
    edited = list(connector.write("Tasks", [WriteOp("update", {"Id": touched, "EventName": "edited"})]))
    assert edited[0].ok, edited[0].error
    after = run()
    assert (after.parents, after.requests, after.rows) == ("changed", 2, 1)  # the modified tasks' page + one task
    mirrored = rows(url, 'SELECT "ObjectId", "Comment" FROM "TaskComments" WHERE "Comment" LIKE ?', ("on a%",))
    assert mirrored == [(touched, "on a task edited since")]

    swept = run(sweep_days=0)
    assert (swept.parents, swept.rows) == ("all", 1)
    assert swept.requests == asked // 100 + 1 + asked
    assert count(url, "TaskComments", 'WHERE "Comment" = ?', ("on an untouched task",)) == 1
    every = replicate(connector, url, ReplicateOptions(objects=objects, per_parent="all")).objects["TaskComments"]
    assert (every.parents, every.rows) == ("all", 0)


def test_a_mirror_made_before_the_per_parent_state_columns_gets_them(connector, tmp_path):
    import sqlite3

    from scorolink.replicate.state import ADDED_COLUMNS, STATE

    url = f"sqlite:///{tmp_path / 'old.db'}"
    connector.facts.put("comments_by_module", False)  # a site that lists comments only per record
    replicate(connector, url, ReplicateOptions(objects=["Tasks"]))
    with sqlite3.connect(tmp_path / "old.db") as db:
        for column in ADDED_COLUMNS:
            db.execute(f"ALTER TABLE {STATE} DROP COLUMN {column}")
    again = replicate(connector, url, ReplicateOptions(objects=["Tasks", "TaskComments"], per_parent="changed"))
    assert again.failed == [] and again.objects["Tasks"].mode == "incremental"
    assert rows(url, f"SELECT count(*) FROM {STATE} WHERE object_name = ? AND parent_cursor IS NOT NULL",
                ("TaskComments",)) == [(1,)]
