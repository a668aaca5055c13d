"""The same field edited on both sides under each conflict policy, parked conflicts and their resolution,
and rows Scoro refuses: reported in Scoro's words, retried at growing intervals, never blocking the others
and never overwritten by the Scoro value."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from scorolink.catalog.scoro import CATALOG
from scorolink.connectors.base import Condition, WriteOp
from scorolink.integrations.database.objects import Capabilities
from scorolink.integrations.database.run import DbSyncOptions, TableSync, job_name
from scorolink.sync import tables as t
from scorolink.sync.store import SyncStore
from tests.integrations.database.conftest import execute, failures, query, sync, writes
from tests.integrations.database.test_every_object import EDIT, usable_ids

OBJ = "Companies"


def first_row(db_url: str) -> dict:
    return query(db_url, f'SELECT * FROM "{OBJ}" WHERE "Id" IS NOT NULL ORDER BY _row_id')[0]


def scoro_company(scoro, company_id) -> dict:
    [found] = scoro.read(OBJ, [Condition("Id", "=", company_id)], columns=["Id", "Name", "Comments"])
    return found


def edit_both(scoro, db_url, row, modified: str | None = None) -> None:
    stamp = ', "_modified_at" = ?' if modified else ""
    execute(db_url, f'UPDATE "{OBJ}" SET "Name" = ?, "Comments" = ?{stamp} WHERE _row_id = ?',
            ["Name from the table", "Comment from the table", *([modified] if modified else []), row["_row_id"]])
    assert list(scoro.write(OBJ, [WriteOp("update", {"Id": row["Id"], "Name": "Name from Scoro"})]))[0].ok


@pytest.mark.parametrize("policy,modified,winner", [
    ("scoro", None, "Name from Scoro"), ("db", None, "Name from the table"),
    ("newest", "2000-01-01 00:00:00+00:00", "Name from Scoro"),  # the table's edit is older
    ("newest", "2100-01-01 00:00:00+00:00", "Name from the table"),  # the table's edit is newer
])
def test_a_field_edited_on_both_sides_follows_the_policy(policy, modified, winner, scoro, db_url, state_url):
    assert failures(sync(scoro, db_url, state_url, [OBJ])) == []
    row = first_row(db_url)
    edit_both(scoro, db_url, row, modified)
    assert failures(sync(scoro, db_url, state_url, [OBJ], conflict=policy)) == []
    now = scoro_company(scoro, row["Id"])
    table = query(db_url, f'SELECT * FROM "{OBJ}" WHERE _row_id = ?', [row["_row_id"]])[0]
    assert now["Name"] == table["Name"] == winner
    # the field edited on one side only is merged, whatever the policy
    assert now["Comments"] == table["Comments"] == "Comment from the table"


def test_manual_parks_the_record_shows_both_values_and_resolves(scoro, small_sandbox, db_url, state_url):
    sync(scoro, db_url, state_url, [OBJ])
    row = first_row(db_url)
    edit_both(scoro, db_url, row)
    small_sandbox.reset_stats()
    result = sync(scoro, db_url, state_url, [OBJ], conflict="manual")
    assert writes(small_sandbox) == {}  # parked: nothing written on either side
    assert query(db_url, f'SELECT "Name" FROM "{OBJ}" WHERE _row_id = ?', [row["_row_id"]])[0]["Name"] == \
        "Name from the table"
    assert scoro_company(scoro, row["Id"])["Name"] == "Name from Scoro"
    [issue] = result.plans[OBJ].issues
    assert issue.kind == "conflict" and "Name from Scoro" in issue.message and "Name from the table" in issue.message
    store = SyncStore(state_url)
    try:
        [parked] = [e for e in store.errors(job_name(db_url)) if e["kind"] == "conflict"]
    finally:
        store.close()
    # parked stays parked on the next run
    sync(scoro, db_url, state_url, [OBJ], conflict="manual")
    assert scoro_company(scoro, row["Id"])["Name"] == "Name from Scoro"
    # settled with the table's values: Scoro follows, the conflict is gone
    with TableSync(scoro, DbSyncOptions(db=db_url, objects=[OBJ], state=state_url, conflict="manual")) as run:
        settled = run.engine.run(records=[(OBJ, "b", str(row["_row_id"]))])
        assert settled.failed == 0
        run.store.dismiss_error(run.job, parked["id"])
    assert scoro_company(scoro, row["Id"])["Name"] == "Name from the table"
    small_sandbox.reset_stats()
    again = sync(scoro, db_url, state_url, [OBJ], conflict="manual")
    assert again.plans[OBJ].issues == [] and writes(small_sandbox) == {}


def test_a_refused_row_is_reported_retried_later_and_blocks_nothing(scoro, small_sandbox, sqlite_url, state_url):
    db = sqlite_url
    sync(scoro, db, state_url, ["Invoices"])
    good = query(db, 'SELECT * FROM "Invoices" ORDER BY _row_id')[0]
    execute(db, 'INSERT INTO "Invoices" ("DocumentNumber", "CompanyId", "Currency", "Date") VALUES (?, ?, ?, ?)',
            ["BAD-1", 999999, "EUR", "2026-01-05"])
    execute(db, 'INSERT INTO "Invoices" ("DocumentNumber", "CompanyId", "Currency", "Date") VALUES (?, ?, ?, ?)',
            ["GOOD-1", good["CompanyId"], "EUR", "2026-01-05"])
    small_sandbox.reset_stats()
    result = sync(scoro, db, state_url, ["Invoices"])
    rows = {r["DocumentNumber"]: r for r in query(db, 'SELECT * FROM "Invoices"')}
    assert rows["GOOD-1"]["Id"] is not None  # the good row went through
    assert rows["BAD-1"]["Id"] is None
    assert result.executed["Invoices"]["failed"] == 1
    store = SyncStore(state_url)
    try:
        [error] = [e for e in store.errors(job_name(db)) if e["category"] == "Invoices"]
        # Scoro's own message, the row and the field
        assert "999999" in error["message"] and "field CompanyId" in error["message"]
        assert error["source_id"] == str(rows["BAD-1"]["_row_id"]) and error["side"] == "a"
        # an immediate rerun does not try it again ...
        small_sandbox.reset_stats()
        sync(scoro, db, state_url, ["Invoices"])
        assert writes(small_sandbox) == {}
        # ... five minutes later it does (then 10, 20, ...)
        with store.engine.begin() as conn:
            conn.execute(update(t.errors).where(t.errors.c.id == error["id"]).values(
                last_seen=error["last_seen"] - timedelta(minutes=6)))
        sync(scoro, db, state_url, ["Invoices"])
        assert writes(small_sandbox) == {"invoices/modify": 1}
        [again] = [e for e in store.errors(job_name(db)) if e["category"] == "Invoices"]
        assert again["attempts"] == 2
    finally:
        store.close()
    # fixed in the table: created on the next run, and the error is closed
    execute(db, 'UPDATE "Invoices" SET "CompanyId" = ? WHERE "DocumentNumber" = ?', [good["CompanyId"], "BAD-1"])
    assert failures(sync(scoro, db, state_url, ["Invoices"]), state_url) == []
    assert query(db, 'SELECT "Id" FROM "Invoices" WHERE "DocumentNumber" = ?', ["BAD-1"])[0]["Id"] is not None


def test_a_refused_edit_is_never_overwritten_by_the_scoro_value(scoro, sqlite_url, state_url):
    db = sqlite_url
    sync(scoro, db, state_url, ["Invoices"])
    row = query(db, 'SELECT * FROM "Invoices" WHERE "Id" IS NOT NULL ORDER BY _row_id')[0]
    execute(db, 'UPDATE "Invoices" SET "CompanyId" = ? WHERE _row_id = ?', [999999, row["_row_id"]])
    first = sync(scoro, db, state_url, ["Invoices"])
    assert first.executed["Invoices"]["failed"] == 1
    assert list(scoro.write("Invoices", [WriteOp("update", {"Id": row["Id"], "Description": "Changed in Scoro"})]))[0].ok
    sync(scoro, db, state_url, ["Invoices"], conflict="scoro")
    after = query(db, 'SELECT * FROM "Invoices" WHERE _row_id = ?', [row["_row_id"]])[0]
    assert after["CompanyId"] == 999999  # the table's value stays until the row is fixed


CURRENCY_PAIRS = [("SEK", "NOK"), ("USD", "GBP"), ("DKK", "CHF"), ("PLN", "JPY"), ("CAD", "AUD")]
WITH_UPDATE = sorted(o for o in EDIT if Capabilities.of(CATALOG.get(o)).update)


@pytest.mark.parametrize("obj", WITH_UPDATE)
def test_each_policy_on_every_object(obj, scoro, small_sandbox, db_url, state_url):
    """The same field edited on both sides of one record, for each policy in turn: scoro, db, newest (each
    side the newer once), then manual, which parks it (nothing written) with both values shown."""
    key, field = CATALOG.get(obj).key_fields[0], EDIT[obj]
    assert failures(sync(scoro, db_url, state_url, [obj])) == []
    usable = usable_ids(scoro, obj)
    row = next(r for r in query(db_url, f'SELECT * FROM "{obj}" ORDER BY _row_id') if str(r[key]) in usable)
    cases = [("scoro", None, "a"), ("db", None, "b"), ("newest", "2000-01-01 00:00:00+00:00", "a"),
             ("newest", "2100-01-01 00:00:00+00:00", "b"), ("manual", None, None)]
    for n, (policy, modified, winner) in enumerate(cases):
        # values never repeated: the same values at the same second would be the same change to the engine
        in_scoro, in_table = (CURRENCY_PAIRS[n] if obj == "ReceiptGroups"
                              else (f"{policy} {n} from Scoro", f"{policy} {n} from the table"))
        stamp = ', "_modified_at" = ?' if modified else ""
        execute(db_url, f'UPDATE "{obj}" SET "{field}" = ?{stamp} WHERE _row_id = ?',
                [in_table, *([modified] if modified else []), row["_row_id"]])
        assert list(scoro.write(obj, [WriteOp("update", {key: row[key], field: in_scoro})]))[0].ok
        small_sandbox.reset_stats()
        result = sync(scoro, db_url, state_url, [obj], conflict=policy)
        [now] = scoro.read(obj, [Condition(key, "=", row[key])], columns=[key, field])
        table = query(db_url, f'SELECT * FROM "{obj}" WHERE _row_id = ?', [row["_row_id"]])[0]
        if winner is None:  # parked: neither side written, both values shown
            assert writes(small_sandbox) == {} and (now[field], table[field]) == (in_scoro, in_table)
            [issue] = result.plans[obj].issues
            assert issue.kind == "conflict" and in_scoro in issue.message and in_table in issue.message
        else:
            assert failures(result) == [], policy
            assert now[field] == table[field] == (in_scoro if winner == "a" else in_table), (policy, modified)
