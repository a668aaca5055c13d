"""Replication state kept in the destination itself, next to the rows it describes.

Keeping it there (as dlt does) means a cursor commits in the same transaction as the rows it
covers, and a fresh machine pointed at an existing mirror carries on where the last one
stopped. Names are fixed snake_case whatever naming the mirror uses.

- `_scorolink_state`: per account and object, the incremental cursor, the overlap it needs
  (the duration of the run that set it), when the last full read and reconcile finished, and
  for objects listed per parent, when every parent was last asked, the parents' own cursor and
  which parents near it were asked at which modification time;
- `_scorolink_seen`: keys read during a full read or a reconcile, to find records gone from
  Scoro; cleared before each use;
- `_scorolink_settings`: how the mirror was made (naming, nested mode...), so a later run with
  other options fails clearly instead of building a second, different mirror beside the first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scorolink.replicate.destination import Destination

STATE = "_scorolink_state"
SEEN = "_scorolink_seen"
SETTINGS = "_scorolink_settings"
INTERNAL_TABLES = (STATE, SEEN, SETTINGS)
# STATE columns added after its first release: added after CREATE, so older mirrors get them the same way.
ADDED_COLUMNS = ("last_sweep_at", "parent_cursor", "recent_parents", "pending_parents")


@dataclass(slots=True)
class ObjectState:
    cursor: datetime | None = None
    cursor_run_seconds: float = 0.0
    last_full_at: datetime | None = None
    last_reconcile_at: datetime | None = None
    last_sweep_at: datetime | None = None  # per-parent objects: when every parent was last asked
    parent_cursor: datetime | None = None  # per-parent objects: the newest parent modification seen
    recent_parents: dict[str, str] = field(default_factory=dict)  # parent id → its modification time when asked
    # per-parent objects: parents whose list failed every attempt, for the next run to resume with:
    # {"ids": [...], "since": cursor bound of the read or None, "full": whether it was a full read}
    pending_parents: dict[str, Any] = field(default_factory=dict)


def ensure_tables(dest: Destination) -> None:
    existing = dest.tables()
    if STATE not in existing:
        dest.execute(f"CREATE TABLE {STATE} (remote_account {dest.sql_type('string')} NOT NULL, "
                     f"object_name {dest.sql_type('string')} NOT NULL, cursor_value {dest.sql_type('string')}, "
                     f"cursor_run_seconds {dest.sql_type('decimal')}, last_full_at {dest.sql_type('string')}, "
                     f"last_reconcile_at {dest.sql_type('string')}, updated_at {dest.sql_type('string')}, "
                     "PRIMARY KEY (remote_account, object_name))")
    have = {c.lower() for c in dest.columns(STATE)}
    for column in ADDED_COLUMNS:
        if column not in have:
            dest.execute(f"ALTER TABLE {STATE} ADD COLUMN {column} {dest.sql_type('string')}")
    if SEEN not in existing:
        dest.execute(f"CREATE TABLE {SEEN} (remote_account {dest.sql_type('string')} NOT NULL, "
                     f"object_name {dest.sql_type('string')} NOT NULL, remote_id {dest.sql_type('string')} NOT NULL, "
                     "PRIMARY KEY (remote_account, object_name, remote_id))")
    if SETTINGS not in existing:
        dest.execute(f"CREATE TABLE {SETTINGS} (name {dest.sql_type('string')} NOT NULL PRIMARY KEY, "
                     f"value {dest.sql_type('string')})")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def read_state(dest: Destination, account: str, obj: str) -> ObjectState:
    p = dest.param
    rows = dest.query(f"SELECT cursor_value, cursor_run_seconds, last_full_at, last_reconcile_at, last_sweep_at, "
                      f"parent_cursor, recent_parents, pending_parents FROM {STATE} WHERE remote_account = {p} AND object_name = {p}",
                      (account, obj))
    if not rows:
        return ObjectState()
    cursor, seconds, full, reconcile, sweep, parent_cursor, recent, pending = rows[0]
    return ObjectState(_dt(cursor), float(seconds or 0), _dt(full), _dt(reconcile), _dt(sweep), _dt(parent_cursor),
                       json.loads(recent) if recent else {}, json.loads(pending) if pending else {})


def write_state(dest: Destination, account: str, obj: str, state: ObjectState) -> None:
    sql = dest.upsert_sql(STATE, ("remote_account", "object_name", "cursor_value", "cursor_run_seconds", "last_full_at",
                                  "last_reconcile_at", "last_sweep_at", "parent_cursor", "recent_parents",
                                  "pending_parents", "updated_at"), ("remote_account", "object_name"))
    dest.upsert(sql, [(account, obj, _iso(state.cursor), round(state.cursor_run_seconds, 3), _iso(state.last_full_at),
                       _iso(state.last_reconcile_at), _iso(state.last_sweep_at), _iso(state.parent_cursor),
                       json.dumps(state.recent_parents) if state.recent_parents else None,
                       json.dumps(state.pending_parents) if state.pending_parents else None, _iso(datetime.now(UTC)))])


def clear_seen(dest: Destination, account: str, obj: str) -> None:
    p = dest.param
    dest.execute(f"DELETE FROM {SEEN} WHERE remote_account = {p} AND object_name = {p}", (account, obj))


def add_seen(dest: Destination, account: str, obj: str, remote_ids: list[str]) -> None:
    sql = dest.upsert_sql(SEEN, ("remote_account", "object_name", "remote_id"), ("remote_account", "object_name", "remote_id"))
    dest.upsert(sql, [(account, obj, rid) for rid in remote_ids])


def read_settings(dest: Destination) -> dict[str, str]:
    return {name: value for name, value in dest.query(f"SELECT name, value FROM {SETTINGS}")}


def write_settings(dest: Destination, settings: dict[str, str]) -> None:
    sql = dest.upsert_sql(SETTINGS, ("name", "value"), ("name",))
    dest.upsert(sql, list(settings.items()))
