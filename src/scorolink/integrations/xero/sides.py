"""Xero's side adapter: one Xero object (filtered by `where`, e.g. Type == ACCREC) with a category's
mapping functions; batched writes, each batch under one Idempotency-Key derived from its ops' keys."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scorolink.connectors.base import Condition, WriteOp
from scorolink.sync.model import Resolver, SideRecord, WriteOutcome, WriteRequest
from scorolink.sync.sides import Mapping, Record, Refs, failure, lookup_value, side_record


@dataclass
class XeroSide:
    connector: Any  # XeroConnector
    object: str
    key: str
    mapping: Mapping
    refs: Refs
    where: list[Condition] = field(default_factory=list)  # e.g. Type == ACCREC
    cursor: str | None = "UpdatedDateUTC"  # None: no change time; read in full and diffed
    fixed: dict[str, Any] = field(default_factory=dict)  # values every written record carries

    def read(self, since: datetime | None) -> Iterator[SideRecord]:
        since = since if self.cursor else None
        for record in self.connector.read(self.object, self.where, modified_since=since,
                                          include_archived=since is not None):
            if self.mapping.in_scope(record) or self.mapping.deleted(record):
                yield self.side_record(record)

    def candidates(self) -> Iterator[SideRecord]:
        keep = self.mapping.candidate or self.mapping.in_scope
        for record in self.connector.read(self.object, self.where):
            if not keep(record) or self.mapping.deleted(record) and not self.mapping.held(record):
                continue
            found = self.side_record(record)
            found.deleted = False  # a held one (voided) is matched like any other: linked, never made again
            yield found

    def fetch(self, ids: list[str]) -> list[SideRecord]:
        if not ids:
            return []
        found = self.connector.read(self.object, [Condition(self.key, "in", tuple(ids))], include_archived=True)
        return [self.side_record(r) for r in found]

    def side_record(self, record: Record) -> SideRecord:
        return side_record(self.mapping, self.refs, record, self.key, self.cursor)

    def build(self, shared: dict[str, Any], resolver: Resolver, current: SideRecord | None) -> Record:
        return {**self.fixed, **self.mapping.from_shared(shared, self.refs, current.native if current else None)}

    def write(self, requests: list[WriteRequest]) -> list[WriteOutcome]:
        ops = []
        for request in requests:
            record = dict(request.payload)
            if request.op in ("update", "delete"):
                record[self.key] = request.target_id
            ops.append(WriteOp({"create": "insert"}.get(request.op, request.op), record, ref=request.ref))
        keys = {r.ref: r.idem_key for r in requests}
        by_ref = {r.ref: r for r in requests}
        outcomes = []
        for result in self.connector.write(self.object, ops, idempotency_key=lambda label, batch: _batch_key(
                label, [keys[op.ref] for op in batch])):
            ref = int(result.op.ref)
            if result.ok:
                saved = self.side_record(result.record) if result.record and result.record.get(self.key) else None
                warning = None
                if saved is not None and by_ref[ref].op == "create" and self.mapping.after_create is not None:
                    warning = self.mapping.after_create(saved.native, by_ref[ref].shared, self.refs)
                outcomes.append(WriteOutcome(ref, True, record=saved, error=warning))
            else:
                outcomes.append(failure(ref, result))
        self.refs.written("xero", self.object)
        return outcomes

    def find(self, shared: dict[str, Any]) -> SideRecord | None:
        by = lookup_value(self.mapping, shared)
        if by is None:
            return None
        found = [self.side_record(r) for r in self.connector.read(self.object, [*self.where, Condition(by[0], "=", by[1])])]
        return found[0] if len(found) == 1 else None


def _batch_key(label: str, keys: list[str]) -> str:
    """One Idempotency-Key per request, derived from its ops' keys: a retried batch replays."""
    return hashlib.sha256("|".join([label, *keys]).encode()).hexdigest()[:64]
