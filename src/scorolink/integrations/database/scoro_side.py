"""Scoro's side of a table sync: any of the 22 synchronization objects, read through its cursor and
written one record per request (Scoro has no batch write), with the saved record taken from the
write's own answer (no second request to read it back)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from scorolink.catalog.model import ObjectSpec
from scorolink.clients.errors import RateLimited
from scorolink.connectors.base import Condition, WriteOp
from scorolink.errors import InvalidInput
from scorolink.integrations.database.objects import Capabilities
from scorolink.integrations.database.shared import scoro_shared, to_scoro
from scorolink.integrations.database.table import TableMap
from scorolink.integrations.database.values import typed
from scorolink.sync.model import Refused, Resolver, SideRecord, WriteOutcome, WriteRequest, shared_value

FETCH_ONE_BY_ONE = 10  # ids read with one request each; more are picked from the object's list pages
LOST_CREATE_WINDOW = timedelta(days=1)  # a lost create is looked for among changes since a day before the cursor


@dataclass
class Hooks:
    """What the Scoro side tells the table side: a row Scoro refused (by its shared values), and the
    records written for rows (their ids and read-only values go back into the rows)."""

    refused: Callable[[dict[str, Any]], None]
    written: Callable[[list[tuple[WriteRequest, SideRecord]]], None]


class ScoroObjectSide:
    def __init__(self, connector: Any, spec: ObjectSpec, table: TableMap, hooks: Hooks,
                 linked: Callable[[], set[str]] = set,
                 planned: Callable[[list[int]], dict[int, Any]] = lambda _refs: {},
                 seen: Callable[[], datetime | None] = lambda: None) -> None:
        self.connector = connector
        self.spec = spec
        self.table = table
        self.caps = Capabilities.of(spec)
        self.hooks = hooks
        self.linked = linked  # Scoro ids of the active links
        self.planned = planned  # the payloads planned for outbox rows: what differed from Scoro then
        self.seen = seen  # the newest Scoro change time the sync has recorded (its cursor), if any
        self.key = table.scoro_key
        self.key_type = table.scoro_id_type
        self.cursor = spec.incremental

    def read(self, since: datetime | None) -> Iterator[SideRecord]:
        """Changes since the cursor, deleted records flagged. Objects whose records carry no delete flag
        (comments, statuses) are read whole instead, and a linked record that is gone counts as deleted."""
        incremental = since is not None and self.cursor is not None and self.caps.deletes_visible
        where = [Condition(self.cursor, ">=", since)] if incremental and self.cursor else []
        seen = set()
        for record in self.connector.read(self.spec.name, where, include_deleted=incremental):
            found = self.record(record)
            seen.add(found.id)
            if incremental or since is None or found.modified is None or found.modified >= since \
                    or found.id not in self.linked():
                yield found
        if since is not None and not incremental:
            for gone in sorted(self.linked() - seen):
                yield SideRecord(gone, {}, deleted=True)

    def record(self, record: dict[str, Any]) -> SideRecord:
        modified = record.get(self.cursor) if self.cursor else None
        modified = modified if isinstance(modified, datetime) else None
        return SideRecord(str(record.get(self.key)), scoro_shared(self.table, record),
                          version=modified.isoformat() if modified else None, modified=modified,
                          deleted=bool(record.get("IsDeleted")), native=record)

    def fetch(self, ids: list[str]) -> list[SideRecord]:
        wanted = tuple(typed(i, self.key_type) for i in ids if i not in (None, ""))
        if not wanted:
            return []
        if len(wanted) > FETCH_ONE_BY_ONE:  # Scoro filters ids one at a time: past a few, list pages are cheaper
            keep = {str(i) for i in wanted}
            return [self.record(r) for r in self.connector.read(self.spec.name) if str(r.get(self.key)) in keep]
        return [self.record(r) for r in self.connector.read(self.spec.name, [Condition(self.key, "in", wanted)])]

    def build(self, shared: dict[str, Any], resolver: Resolver, current: SideRecord | None) -> dict[str, Any]:
        refusal = self.caps.refusal(self.spec, "create" if current is None else "update")
        try:
            if refusal:
                raise Refused(refusal)
            return to_scoro(self.table, shared, current.native if current else None)
        except (Refused, InvalidInput) as exc:
            self.hooks.refused(shared)
            raise Refused(str(exc)) from exc

    def write(self, requests: list[WriteRequest]) -> list[WriteOutcome]:
        """One request per record; the records written go back to their rows in one go at the end."""
        outcomes: list[WriteOutcome] = []
        written: list[tuple[WriteRequest, SideRecord]] = []
        planned = self.planned([r.ref for r in requests if r.op == "update"])
        try:
            for i, request in enumerate(requests):
                try:
                    outcomes.append(self._write_one(request, planned.get(request.ref), written))
                except RateLimited as exc:
                    if not outcomes:  # nothing of the batch sent: the run stops, every op stays queued
                        raise
                    # the records before were written and are settled; the rest waits (refused, not processed)
                    outcomes += [WriteOutcome(r.ref, False, error=str(exc), kind="transient") for r in requests[i:]]
                    break
        finally:
            if written:
                self.hooks.written(written)
        return outcomes

    def _write_one(self, request: WriteRequest, planned: dict[str, Any] | None,
                   written: list[tuple[WriteRequest, SideRecord]]) -> WriteOutcome:
        refusal = self.caps.refusal(self.spec, request.op)
        if refusal:
            return WriteOutcome(request.ref, False, error=refusal)
        record = dict(request.payload)
        if request.op == "create":
            record = {k: v for k, v in record.items() if v is not None and v != []}
        elif request.op == "update":
            record = self._changed(record, planned)
        if request.op in ("update", "delete"):
            record[self.key] = typed(request.target_id, self.key_type)
        action = {"create": "insert"}.get(request.op, request.op)
        [result] = list(self.connector.write(self.spec.name, [WriteOp(action, record)]))
        if not result.ok:
            kind = "unknown_outcome" if result.outcome_unknown else "validation"
            if kind == "validation":
                self.hooks.refused(request.shared)
            return WriteOutcome(request.ref, False, error=self._refusal(result), kind=kind)
        if request.op == "delete":
            return WriteOutcome(request.ref, True)
        saved = result.record or {}
        fresh: SideRecord | None
        if saved.get(self.key) not in (None, "") and saved.get(self.cursor or self.key):
            fresh = self.record(saved)
        else:  # the answer lacked the record: read it back
            found = self.fetch([str(saved.get(self.key, request.target_id))])
            fresh = found[0] if found else None
        if fresh is not None:
            written.append((request, fresh))
        return WriteOutcome(request.ref, True, record=fresh)

    @staticmethod
    def _changed(record: dict[str, Any], planned: dict[str, Any] | None) -> dict[str, Any]:
        """Only the fields the plan found different from Scoro's record: Scoro refuses some fields on an
        update even unchanged (a task's parent), and a smaller request leaves the rest alone."""
        if planned is None:
            return record
        return {k: v for k, v in record.items() if k in planned}

    def _refusal(self, result: Any) -> str:
        """Scoro's own words, with the wire names of the fields it blamed turned into the table's fields
        (`company_id: contact 9 does not exist`, `comment is required`, `duration must be ...`)."""
        text = str(result.error or "refused")
        named = []
        for f in self.spec.fields:
            if re.search(rf"(?<![\w.]){re.escape(f.api_key)}(?::| is | must )", text) and f.name not in named:
                named.append(f.name)
        return text + (f" (field {', '.join(named)})" if named else "")

    def find(self, shared: dict[str, Any]) -> SideRecord | None:
        """The record a create whose answer was lost made: by the natural key where there is one, else
        by content among the records changed since a day before the cursor. The cursor is Scoro's own
        time (the newest change the sync has seen), so this holds whatever the two clocks say; before a
        first cursor, every record is looked through."""
        keys = [k for k in self.table.natural_key if shared.get(k) not in (None, "")]
        column = {c.field: c for c in self.table.columns}
        where: list[Condition] = []
        if keys:
            where = [Condition(k, "=", typed(shared[k], column[k].type if k in column else "string")) for k in keys]
        elif self.cursor and (seen := self.seen()) is not None:
            where = [Condition(self.cursor, ">=", seen - LOST_CREATE_WINDOW)]
        wanted = {k: shared_value(v) for k, v in shared.items()
                  if not k.startswith("_") and v is not None and not isinstance(v, list)}
        found = [r for r in (self.record(x) for x in self.connector.read(self.spec.name, where))
                 if not r.deleted and all(shared_value(r.shared.get(k)) == v for k, v in wanted.items())]
        return max(found, key=lambda r: (r.modified or datetime.min.replace(tzinfo=UTC), r.id)) if found else None
