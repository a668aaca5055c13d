"""Dry runs that plan exactly what the real run then does.

A dry run is the real run — planner and executor, batches, builds at write time, dependencies
brought along — with two things swapped: the sync state is a throwaway copy (`shadow_store`), and
each side's connector keeps its writes instead of sending them (`DryConnector`). A kept write
answers as the remote would (a new id, the record as written), and later reads of that object see
it, so a product created earlier in the run has its code when an invoice line asks, and a contact
planned for creation is linked when its invoice is built. What only the remote could refuse (its
own validation) is the one thing a dry run cannot know.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select

from scorolink.connectors.base import Condition, Record, WriteOp, WriteResult, matches
from scorolink.sync import tables as t
from scorolink.sync.store import SyncStore

OPEN_OPS = ("pending", "inflight", "deferred")


@contextmanager
def shadow_store(store: SyncStore, job: str) -> Iterator[SyncStore]:
    """A temporary SQLite copy of one sync's state (links, cursors, open outbox, errors) and of every
    pair's settings (the one-organisation-one-account check reads them): the dry run writes there."""
    with tempfile.TemporaryDirectory(prefix="scorolink-dry-run-") as folder:
        shadow = SyncStore(f"sqlite:///{Path(folder) / 'state.db'}")
        event.listen(shadow.engine, "connect", _throwaway)
        shadow.engine.dispose()  # the connections opened from here on skip the flushes to disk
        try:
            with store.engine.connect() as source, shadow.engine.begin() as target:
                for table in (t.links, t.cursors, t.outbox, t.errors, t.settings):
                    query = select(table)
                    if table is not t.settings:
                        query = query.where(table.c.job == job)
                    if table is t.outbox:
                        query = query.where(table.c.state.in_(OPEN_OPS))
                    rows = [dict(r._mapping) for r in source.execute(query)]
                    for start in range(0, len(rows), 500):
                        target.execute(insert(table), rows[start:start + 500])
            yield shadow
        finally:
            shadow.close()


def _throwaway(dbapi_conn: Any, _record: Any) -> None:
    """A dry run's copy of the state outlives nothing: no waiting for the disk at each commit."""
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


@dataclass(frozen=True)
class Unique:
    """A value the system keeps unique (Xero: a contact's name, an item's code), refused as it refuses it."""

    field: str
    message: str  # the system's own words; {value} is the value
    applies: Callable[[Record], bool] = lambda _r: True
    fold: bool = False  # compared ignoring case and outer spaces

    def key(self, record: Record) -> str | None:
        value = record.get(self.field)
        if value in (None, "") or not self.applies(record):
            return None
        return str(value).strip().lower() if self.fold else str(value)


class DryConnector:
    """A connector whose writes are kept, not sent; reads are the real ones plus what was kept.

    `key` names an object's id field; `aliases` maps a written object to the one it is read as (Scoro
    writes Companies and People, reads Contacts), with the fields that tell them apart there;
    `new_id` makes the id of a created record; `stamp` is the change-time field set on kept records;
    `unique` holds the system's uniqueness rules, checked against every record this run has read or
    kept (first-sync matching reads the whole target, so no request is added for them)."""

    def __init__(self, real: Any, *, key: Callable[[str], str], new_id: Callable[[int], Any],
                 stamp: str | None, aliases: dict[str, tuple[str, dict[str, Any]]] | None = None,
                 unique: dict[str, Unique] | None = None) -> None:
        self.real = real
        self.key = key
        self.new_id = new_id
        self.stamp = stamp
        self.aliases = aliases or {}
        self.unique = unique or {}
        self.kept: dict[str, dict[str, Record]] = {}  # object read -> id -> record as it now reads
        self._taken: dict[str, dict[str, str]] = {}  # object -> unique value -> id holding it
        self._ids = itertools.count(1)

    def _seen(self, obj: str, record: Record, key: str) -> None:
        rule = self.unique.get(obj)
        value = rule.key(record) if rule is not None else None
        if value is not None:
            self._taken.setdefault(obj, {}).setdefault(value, str(record.get(key)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def read(self, obj: str, where: Iterable[Condition] = (), *, columns: Iterable[str] | None = None,
             **options: Any) -> Iterator[Record]:
        where = list(where)
        kept = self.kept.get(obj, {})
        key = self.key(obj)
        seen = set()
        for record in self.real.read(obj, where, columns=columns if columns is None or not kept
                                     else [*columns, key], **options):
            rid = str(record.get(key))
            if rid in kept:
                seen.add(rid)
                record = {**record, **kept[rid]}
                if record.get("_deleted"):
                    continue
            self._seen(obj, record, key)
            yield _select(record, columns)
        for rid, record in kept.items():
            if rid not in seen and not record.get("_deleted") and "_created" in record \
                    and all(_matches(record, c) for c in where):
                yield _select(record, columns)

    def write(self, obj: str, ops: Iterable[WriteOp], **_options: Any) -> Iterator[WriteResult]:
        read_as, fixed = self.aliases.get(obj, (obj, {}))
        key = self.key(read_as)
        kept = self.kept.setdefault(read_as, {})
        for op in ops:
            action = op.action.lower()
            record = dict(op.record)
            rid = record.get(key)
            if action in ("insert", "upsert") and rid in (None, ""):
                rid = self.new_id(next(self._ids))
                record = {**record, key: rid, "_created": True}
            record.update(fixed)
            if self.stamp:
                record[self.stamp] = datetime.now(UTC)
            if action in ("delete", "void"):
                record["_deleted"] = True
            refused = self._refused(read_as, {**kept.get(str(rid), {}), **record}, str(rid))
            if refused is not None:
                yield WriteResult(op, False, error=refused, field_errors=[refused])
                continue
            kept[str(rid)] = {**kept.get(str(rid), {}), **record}
            yield WriteResult(op, True, record={k: v for k, v in kept[str(rid)].items() if not k.startswith("_")})

    def _refused(self, obj: str, record: Record, rid: str) -> str | None:
        rule = self.unique.get(obj)
        value = rule.key(record) if rule is not None and not record.get("_deleted") else None
        if rule is None or value is None:
            return None
        holder = self._taken.setdefault(obj, {}).setdefault(value, rid)
        return None if holder == rid else rule.message.format(value=record.get(rule.field))


def _matches(record: Record, cond: Condition) -> bool:
    value: Any = record
    for part in cond.field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if cond.op == "in":  # ids kept as given (an int here, its text there)
        return str(value) in {str(v) for v in cond.value}
    return matches({"v": value}, [Condition("v", cond.op, cond.value)])


def _select(record: Record, columns: Iterable[str] | None) -> Record:
    clean = {k: v for k, v in record.items() if not k.startswith("_")}
    if columns is None:
        return clean
    wanted = {c.lower() for c in columns}
    return {k: v for k, v in clean.items() if k.lower() in wanted}


def scoro_dry(scoro: Any) -> DryConnector:
    """Scoro's connector in a dry run: ids are numbers (negative, so never a real one)."""
    return DryConnector(scoro, key=lambda _obj: "Id", new_id=lambda n: -n, stamp="UpdatedDate",
                        aliases={"Companies": ("Contacts", {"ContactType": "company"}),
                                 "People": ("Contacts", {"ContactType": "person"})})

