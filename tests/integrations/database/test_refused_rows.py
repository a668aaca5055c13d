"""A row Scoro refuses, for every one of the 22 objects, on SQLite and PostgreSQL: reported in Scoro's own
words with the row and the field, never blocking the other rows, retried at growing intervals (not on the
next run, then 5 minutes on), its table value never overwritten by the Scoro value, and closed once the row
is set right. Each object gets a refusal the Scoro sandbox really makes from its validation rules: a
reference that does not exist, a required field left out, a value outside an
enumeration. Statuses cannot be written through the API at all: there the refusal is the sync's own, made
without a request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from scorolink.catalog.scoro import CATALOG
from scorolink.connectors.base import Condition, WriteOp
from scorolink.integrations.database.objects import Capabilities
from scorolink.integrations.database.run import job_name
from scorolink.integrations.database.table import default_map
from scorolink.sync import tables as t
from scorolink.sync.store import SyncStore
from tests.integrations.database.conftest import execute, failures, query, sync, writes
from tests.integrations.database.test_every_object import EDIT, existing_contacts, table_rows, usable_ids

MISSING = 999999  # an id no record has
# object: (field, the value Scoro refuses, words of Scoro's answer)
BAD: dict[str, tuple[str, Any, str]] = {
    "Bills": ("CompanyId", MISSING, f"{MISSING} does not exist"),
    "Bookings": ("ProjectId", MISSING, f"{MISSING} does not exist"),
    "CalendarEvents": ("ProjectId", MISSING, f"{MISSING} does not exist"),
    "ClientProfiles": ("VatCodeId", MISSING, f"{MISSING} does not exist"),
    "Companies": ("ClientProfileId", MISSING, f"{MISSING} does not exist"),
    "Expenses": ("ProjectId", MISSING, f"{MISSING} does not exist"),
    "FinanceAccounts": ("ParentId", MISSING, f"{MISSING} does not exist"),
    "Invoices": ("CompanyId", MISSING, f"{MISSING} does not exist"),
    "Orders": ("ProjectId", MISSING, f"{MISSING} does not exist"),
    "People": ("ManagerId", MISSING, f"{MISSING} does not exist"),
    "Prepayments": ("CompanyId", MISSING, f"{MISSING} does not exist"),
    "Products": ("SupplierId", MISSING, f"{MISSING} does not exist"),
    "Projects": ("CompanyId", MISSING, f"{MISSING} does not exist"),
    "PurchaseOrders": ("ProjectId", MISSING, f"{MISSING} does not exist"),
    "Quotes": ("CompanyId", MISSING, f"{MISSING} does not exist"),
    "ReceiptGroups": ("ContactId", MISSING, f"{MISSING} does not exist"),
    "ScheduledInvoices": ("ProjectId", MISSING, f"{MISSING} does not exist"),
    "Statuses": ("StatusName", "Renamed in the table", "Scoro's API cannot change Statuses"),
    "TaskComments": ("Comment", None, "comment is required"),  # no update: a new row without its text
    "Tasks": ("ProjectId", MISSING, f"{MISSING} does not exist"),
    "TimeEntries": ("ActivityId", MISSING, f"{MISSING} does not exist"),
    "TimeOffs": ("Type", "holiday", "is not a time off type"),
}
GOOD = {"ReceiptGroups": "NOK"}  # the good edit made beside the bad one (else a text)


def open_errors(state: str, db: str, obj: str, side: str | None = "a") -> list[dict[str, Any]]:
    """Open errors of the object; side a: rows Scoro refused (None: any, the Scoro edits held back too)."""
    store = SyncStore(state)
    try:
        return [e for e in store.errors(job_name(db)) if e["category"] == obj and side in (None, e["side"])]
    finally:
        store.close()


def age_errors(state: str, db: str, obj: str, by: timedelta) -> None:
    store = SyncStore(state)
    try:
        for error in open_errors(state, db, obj, None):
            with store.engine.begin() as conn:
                conn.execute(update(t.errors).where(t.errors.c.id == error["id"]).values(
                    last_seen=error["last_seen"] - by))
    finally:
        store.close()


def scoro_value(scoro, obj: str, record_id: Any, field: str) -> Any:
    key = CATALOG.get(obj).key_fields[0]
    [found] = scoro.read(obj, [Condition(key, "=", record_id)], columns=[key, field])
    return found.get(field)


def row(db: str, obj: str, row_id: Any) -> dict[str, Any]:
    return query(db, f'SELECT * FROM "{obj}" WHERE _row_id = ?', [row_id])[0]


@pytest.mark.parametrize("obj", sorted(BAD))
def test_a_refused_row_on_every_object(obj, scoro, small_sandbox, db_url, state_url):
    spec = CATALOG.get(obj)
    caps = Capabilities.of(spec)
    key, (field, bad, words) = spec.key_fields[0], BAD[obj]
    assert sorted(BAD) == sorted(EDIT)
    assert failures(sync(scoro, db_url, state_url, [obj])) == []
    usable = usable_ids(scoro, obj)
    rows = [r for r in table_rows(db_url, obj) if str(r[key]) in usable]
    good_value = GOOD.get(obj, "Good edit beside a refused one")

    # the bad row, and beside it a good one, in the same run
    if caps.update:
        refused, good = rows[0], rows[1]
        original = refused[field]
        execute(db_url, f'UPDATE "{obj}" SET "{field}" = ? WHERE _row_id = ?', [bad, refused["_row_id"]])
        execute(db_url, f'UPDATE "{obj}" SET "{EDIT[obj]}" = ? WHERE _row_id = ?', [good_value, good["_row_id"]])
    else:
        writable = [c.column for c in default_map(spec).writable()]
        source = existing_contacts(scoro, {c: rows[0][c] for c in writable})
        for value in (bad, good_value) if caps.insert else ():
            values = {**source, field: value}
            cols = ", ".join(f'"{c}"' for c in values)
            execute(db_url, f'INSERT INTO "{obj}" ({cols}) VALUES ({", ".join("?" * len(values))})',
                    list(values.values()))
        if caps.insert:
            refused, good = table_rows(db_url, obj)[-2:]
        else:  # Statuses: an edit the API cannot take
            refused, good = rows[0], None
            original = refused[field]
            execute(db_url, f'UPDATE "{obj}" SET "{field}" = ? WHERE _row_id = ?', [bad, refused["_row_id"]])
    small_sandbox.reset_stats()
    result = sync(scoro, db_url, state_url, [obj])
    [error] = open_errors(state_url, db_url, obj)
    assert words in error["message"], error["message"]  # Scoro's own words (Statuses: why it cannot go)
    if caps.update or caps.insert:
        assert f"(field {field})" in error["message"], error["message"]  # the field, in the table's name
    assert error["source_id"] == str(refused["_row_id"]) and error["side"] == "a"  # the row
    assert error["kind"] == "validation"
    sent = writes(small_sandbox)
    if good is not None:  # the good row went through in the same run: the bad one blocks nothing
        assert result.executed[obj].get("failed") == 1, result.executed
        if caps.update:
            assert scoro_value(scoro, obj, good[key], EDIT[obj]) == good_value
        else:
            assert row(db_url, obj, good["_row_id"])[key] is not None
            assert row(db_url, obj, refused["_row_id"])[key] is None
        assert sum(sent.values()) == 2, sent  # one request each: the refused one and the good one
    else:
        assert sent == {}  # the API cannot take it: nothing is sent
    if caps.update:
        assert str(scoro_value(scoro, obj, refused[key], field)) == str(original)  # Scoro kept its value

    # an immediate rerun does not try it again
    small_sandbox.reset_stats()
    sync(scoro, db_url, state_url, [obj])
    assert writes(small_sandbox) == {}
    assert [e["attempts"] for e in open_errors(state_url, db_url, obj)] == [1]

    # Scoro changes the refused record meanwhile: the table's value is not overwritten
    if caps.update:
        changed = "SEK" if obj == "ReceiptGroups" else "Changed in Scoro"
        assert list(scoro.write(obj, [WriteOp("update", {key: refused[key], EDIT[obj]: changed})]))[0].ok
        sync(scoro, db_url, state_url, [obj], conflict="scoro")
        assert str(row(db_url, obj, refused["_row_id"])[field]) == str(bad)

    # five minutes on it is tried again, once (then 10, 20, ... minutes: retry_interval)
    age_errors(state_url, db_url, obj, timedelta(minutes=6))
    small_sandbox.reset_stats()
    sync(scoro, db_url, state_url, [obj], conflict="scoro")
    retried = writes(small_sandbox)
    assert sum(retried.values()) == (1 if caps.update or caps.insert else 0), retried
    [again] = open_errors(state_url, db_url, obj)
    assert again["attempts"] == 2 and words in again["message"]
    assert str(row(db_url, obj, refused["_row_id"])[field]) == str(bad)  # still the table's value

    # set right in the table: carried on the next run, and the error is closed
    if caps.insert and not caps.update:
        execute(db_url, f'UPDATE "{obj}" SET "{field}" = ? WHERE _row_id = ?', ["Now with its text",
                                                                                refused["_row_id"]])
    else:
        execute(db_url, f'UPDATE "{obj}" SET "{field}" = ? WHERE _row_id = ?', [original, refused["_row_id"]])
    fixed = sync(scoro, db_url, state_url, [obj])
    assert open_errors(state_url, db_url, obj, None) == [], failures(fixed, state_url)
    if caps.insert and not caps.update:
        assert row(db_url, obj, refused["_row_id"])[key] is not None  # created, its id written back
    if caps.update:  # the Scoro edit held back meanwhile reaches the row now
        assert row(db_url, obj, refused["_row_id"])[EDIT[obj]] == changed
    small_sandbox.reset_stats()
    sync(scoro, db_url, state_url, [obj])
    assert writes(small_sandbox) == {}


@pytest.mark.parametrize("obj,field,bad,words", [
    ("Tasks", "ProjectId", "not a number", "Tasks.ProjectId: 'not a number' is not a valid integer"),
    ("TimeEntries", "Duration", "1.5h", "Field Duration: '1.5h' is not a valid duration (HH:MM:SS)"),
])
def test_a_value_of_the_wrong_type_is_refused_before_any_request(obj, field, bad, words, scoro, small_sandbox,
                                                                   sqlite_url, state_url):
    """A value Scoro cannot take in that field's type (text in an id column, a duration not HH:MM:SS) is
    refused before it is sent, and reported like Scoro's refusals: the row, the field, why; the other rows
    go on."""
    key = CATALOG.get(obj).key_fields[0]
    assert failures(sync(scoro, sqlite_url, state_url, [obj])) == []
    usable = usable_ids(scoro, obj)
    refused, good = [r for r in table_rows(sqlite_url, obj) if str(r[key]) in usable][:2]
    execute(sqlite_url, f'UPDATE "{obj}" SET "{field}" = ? WHERE _row_id = ?', [bad, refused["_row_id"]])
    execute(sqlite_url, f'UPDATE "{obj}" SET "{EDIT[obj]}" = ? WHERE _row_id = ?', ["Good beside", good["_row_id"]])
    small_sandbox.reset_stats()
    sync(scoro, sqlite_url, state_url, [obj])
    [error] = open_errors(state_url, sqlite_url, obj)
    assert words in error["message"] and error["source_id"] == str(refused["_row_id"]), error["message"]
    assert sum(writes(small_sandbox).values()) == 1  # only the good row's request
    assert scoro_value(scoro, obj, good[key], EDIT[obj]) == "Good beside"
    assert row(sqlite_url, obj, refused["_row_id"])[field] == bad  # the table keeps what was typed
