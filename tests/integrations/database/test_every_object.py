"""Every one of the 22 synchronization objects, on SQLite and PostgreSQL: a first run each way, an edit, a
create and a delete on each side, and unchanged runs that write nothing on either side."""

from __future__ import annotations

from typing import Any

import pytest

from scorolink.catalog.scoro import CATALOG
from scorolink.connectors.base import Condition, WriteOp
from scorolink.integrations.database.objects import Capabilities, sync_objects
from scorolink.integrations.database.shared import scoro_shared, to_scoro
from scorolink.integrations.database.table import default_map
from tests.conftest import endpoint_counts
from tests.integrations.database.conftest import execute, failures, query, sync, writes

# A text field of each object that Scoro lets a client change freely.
EDIT = {
    "Bills": "Description", "Bookings": "Comment", "CalendarEvents": "Description", "ClientProfiles": "Name",
    "Companies": "Name", "Expenses": "Comment", "FinanceAccounts": "Name", "Invoices": "Description",
    "Orders": "Description", "People": "Position", "Prepayments": "Description", "Products": "Name",
    "Projects": "ProjectName", "PurchaseOrders": "Description", "Quotes": "Description", "ReceiptGroups": "Currency",
    "ScheduledInvoices": "Description", "Statuses": "StatusName", "TaskComments": "Comment", "Tasks": "EventName",
    "TimeEntries": "Description", "TimeOffs": "Comment",
}
NEW_VALUE = {"ReceiptGroups": "USD"}


def test_the_list_is_the_catalogs_and_the_seeds():
    from tests.catalog.seed_tables import tables

    assert sorted(sync_objects()) == sorted(EDIT) == sorted(tables().sync)


def scoro_ids(connector, obj: str) -> set[str]:
    key = CATALOG.get(obj).key_fields[0]
    return {str(r[key]) for r in connector.read(obj, columns=[key])}


def table_rows(db: str, obj: str) -> list[dict[str, Any]]:
    return query(db, f'SELECT * FROM "{obj}" ORDER BY _row_id')


def usable_ids(connector, obj: str) -> list[str]:
    """Records a client can save as they are (the generated data also holds records that refer to a deleted
    contact, which Scoro refuses to save: those are the refused-row test's business)."""
    spec = CATALOG.get(obj)
    key, field = spec.key_fields[0], EDIT[obj]
    if not Capabilities.of(spec).update:
        return sorted(scoro_ids(connector, obj))
    return [i for i in sorted(scoro_ids(connector, obj)) if list(connector.write(obj, [WriteOp("update", {
        key: i, field: next(iter(connector.read(obj, [Condition(key, "=", i)], columns=[field])))[field]})]))[0].ok]


def existing_contacts(connector, values: dict[str, Any]) -> dict[str, Any]:
    """A copy of a record's values pointing at a contact that exists (the generated data holds references
    to deleted contacts, which Scoro refuses on a create)."""
    company = min(int(i) for i in scoro_ids(connector, "Companies"))
    out = {k: v for k, v in values.items() if k != "PersonId"}
    for ref in ("CompanyId", "InterestedPartyId", "ContactId"):
        if out.get(ref):
            out[ref] = company
    return out


def snapshot(db: str, obj: str) -> list[dict[str, Any]]:
    table = default_map(CATALOG.get(obj))
    rows = table_rows(db, obj)
    for child in table.children:
        rows += query(db, f'SELECT * FROM "{child.table}" ORDER BY _row_id')
    return rows


@pytest.mark.parametrize("obj", sorted(EDIT))
def test_every_object_both_ways(obj, scoro, small_sandbox, db_url, state_url):
    spec = CATALOG.get(obj)
    caps = Capabilities.of(spec)
    key = spec.key_fields[0]
    field, value = EDIT[obj], NEW_VALUE.get(obj, "Edited in the table")

    usable = usable_ids(scoro, obj)
    if caps.insert and len(usable) < 3:  # a few more records like a good one
        [good] = scoro.read(obj, [Condition(key, "=", usable[0])])
        table = default_map(spec)
        values = {k: v for k, v in to_scoro(table, scoro_shared(table, good), None).items() if v not in (None, [])}
        for n in range(3 - len(usable)):
            made = list(scoro.write(obj, [WriteOp("insert", {**existing_contacts(scoro, values),
                                                             field: f"More {n}"})]))[0]
            assert made.ok, made.error
            usable.append(str(made.record[key]))
    assert len(usable) >= 3, usable

    # first run, Scoro → table: every record becomes a row, with its id
    first = sync(scoro, db_url, state_url, [obj])
    assert failures(first) == []
    rows = table_rows(db_url, obj)
    assert {str(r[key]) for r in rows} == scoro_ids(scoro, obj) and len(rows) == len(scoro_ids(scoro, obj))

    # unchanged: nothing written on either side, and Scoro asked once (the cursor window's one list page;
    # TaskComments: one module-wide comments list, the site answering it)
    small_sandbox.reset_stats()
    before = snapshot(db_url, obj)
    idle = sync(scoro, db_url, state_url, [obj])
    assert writes(small_sandbox) == {} and idle.executed.get(obj, {}) == {}
    assert snapshot(db_url, obj) == before
    assert sum(endpoint_counts(small_sandbox).values()) == 1, endpoint_counts(small_sandbox)

    # the table side: an edit, a create (a copy of a row without its id) and a delete
    good = [r for r in rows if str(r[key]) in usable]
    edited, source, doomed = good[0], good[1], good[-1]
    execute(db_url, f'UPDATE "{obj}" SET "{field}" = ? WHERE _row_id = ?', [value, edited["_row_id"]])
    writable = [c.column for c in default_map(spec).writable()]
    copy = {c: source[c] for c in writable if c != field}
    copy[field] = "Created in the table" if obj not in NEW_VALUE else "EUR"
    copy = existing_contacts(scoro, copy)
    cols = ", ".join(f'"{c}"' for c in copy)
    execute(db_url, f'INSERT INTO "{obj}" ({cols}) VALUES ({", ".join("?" * len(copy))})', list(copy.values()))
    execute(db_url, f'DELETE FROM "{obj}" WHERE _row_id = ?', [doomed["_row_id"]])
    small_sandbox.reset_stats()
    result = sync(scoro, db_url, state_url, [obj])
    issues = " ".join(failures(result, state_url))
    ids = scoro_ids(scoro, obj)
    new_row = table_rows(db_url, obj)[-1]
    if caps.update:
        [now] = scoro.read(obj, [Condition(key, "=", edited[key])], columns=[key, field])
        assert now[field] == value, issues
    else:
        assert "cannot change" in issues
    if caps.insert:
        assert new_row[key] is not None and str(new_row[key]) in ids, issues  # created, the id written back
    else:
        assert new_row[key] is None and "cannot create" in issues
    if caps.delete:
        assert str(doomed[key]) not in ids
    else:
        assert str(doomed[key]) in ids and "cannot delete" in issues
    expected_writes = caps.update + caps.insert + caps.delete
    assert sum(writes(small_sandbox).values()) == expected_writes

    # the Scoro side: an edit, a create and a delete (objects Scoro's API can write)
    if caps.insert and caps.update:
        linked = [r for r in table_rows(db_url, obj) if r[key] is not None and str(r[key]) in usable]
        target, gone = linked[0], linked[1]
        [full] = scoro.read(obj, [Condition(key, "=", target[key])])
        assert list(scoro.write(obj, [WriteOp("update", {key: target[key], field: "Edited in Scoro"})]))[0].ok
        values = existing_contacts(scoro, {c: full.get(c) for c in writable if c in full})
        made = list(scoro.write(obj, [WriteOp("insert", {**values, field: NEW_VALUE.get(obj, "Created in Scoro")})]))[0]
        assert made.ok, made.error
        assert list(scoro.write(obj, [WriteOp("delete", {key: gone[key]})]))[0].ok
        result = sync(scoro, db_url, state_url, [obj])
        assert failures(result) == []
        after = {str(r[key]): r for r in table_rows(db_url, obj)}
        assert after[str(target[key])][field] == "Edited in Scoro"
        assert str(made.record[key]) in after
        assert str(gone[key]) not in after
        assert set(after) == scoro_ids(scoro, obj)
    elif caps.insert:  # TaskComments: no update, and Scoro flags no deletes; a delete is seen all the same
        linked = [r for r in table_rows(db_url, obj) if r[key] is not None]
        assert list(scoro.write(obj, [WriteOp("delete", {key: linked[0][key]})]))[0].ok
        result = sync(scoro, db_url, state_url, [obj])
        assert str(linked[0][key]) not in {str(r[key]) for r in table_rows(db_url, obj)}

    # and again, unchanged: nothing written anywhere, nothing linked anew either (a table edit Scoro's API
    # cannot take, as for Statuses, stays reported as failed, without a request)
    small_sandbox.reset_stats()
    before = snapshot(db_url, obj)
    idle = sync(scoro, db_url, state_url, [obj])
    assert writes(small_sandbox) == {}
    assert {k: v for k, v in idle.executed.get(obj, {}).items() if k != "failed" or caps.update} == {}, idle.executed
    assert snapshot(db_url, obj) == before


def test_comments_listed_only_per_task_cost_a_request_per_task(scoro, small_sandbox, sqlite_url, state_url):
    """A site that does not answer a module-wide comments list: an unchanged run reads the tasks, then the
    comments of each (comments carry no delete flag, so they are read whole to see deletes)."""
    scoro.facts.put("comments_by_module", False)
    assert failures(sync(scoro, sqlite_url, state_url, ["TaskComments"])) == []
    tasks = len(scoro_ids(scoro, "Tasks"))
    small_sandbox.reset_stats()
    sync(scoro, sqlite_url, state_url, ["TaskComments"])
    assert writes(small_sandbox) == {}
    assert endpoint_counts(small_sandbox) == {"tasks/list": 1, "comments/list": tasks}
