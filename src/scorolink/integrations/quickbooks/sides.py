"""QuickBooks' side adapters: one category over one or more QuickBooks entities (receipts are Payments and
BillPayments; contacts are Customers and Vendors), with ids prefixed by entity where several share a
category (`c12`, `v7`, `p3`, `bp4`). Writes go in batches of up to 30 under one requestid derived from
the ops' idempotency keys, so a batch sent again after a crash or a lost answer is answered, not redone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scorolink.connectors.base import Condition, WriteOp
from scorolink.integrations.quickbooks.client import request_key
from scorolink.sync.model import Resolver, SideRecord, WriteOutcome, WriteRequest
from scorolink.sync.sides import Mapping, Record, Refs, failure, lookup_value, side_record

ENTITY = "_entity"  # which entity a built record goes to, when a category has several


@dataclass
class Part:
    """One entity of a category: its id prefix ('' when alone) and the mapping of its records."""

    entity: str
    mapping: Mapping
    prefix: str = ""
    where: list[Condition] = field(default_factory=list)
    keep: Callable[[Record], bool] = lambda _r: True  # e.g. Customer rows that are projects (or are not)


@dataclass
class QuickBooksSide:
    connector: Any  # QuickBooksConnector
    parts: list[Part]
    refs: Refs
    cursor: str | None = "LastUpdatedTime"  # None: no change feed (TaxCode): read in full and diffed

    def _part(self, side_id: str) -> tuple[Part, str]:
        for part in self.parts:
            if part.prefix and side_id.startswith(part.prefix) and side_id[len(part.prefix):].isdigit():
                return part, side_id[len(part.prefix):]
        return self.parts[0], side_id

    def _entity_part(self, entity: str | None) -> Part:
        return next((p for p in self.parts if p.entity == entity), self.parts[0])

    def side_record(self, part: Part, record: Record) -> SideRecord:
        found = side_record(part.mapping, self.refs, {**record, "Id": f"{part.prefix}{record.get('Id')}"}, "Id",
                            self.cursor)
        found.native = record
        return found

    def read(self, since: datetime | None) -> Iterator[SideRecord]:
        since = since if self.cursor else None
        for part in self.parts:
            for record in self.connector.read(part.entity, part.where, since=since):
                if not (part.keep(record) or record.get("Deleted")):
                    continue
                if part.mapping.in_scope(record) or part.mapping.deleted(record):
                    yield self.side_record(part, record)

    def candidates(self) -> Iterator[SideRecord]:
        for part in self.parts:
            keep = part.mapping.candidate or part.mapping.in_scope
            for record in self.connector.read(part.entity, part.where):
                if part.keep(record) and keep(record) and not part.mapping.deleted(record):
                    yield self.side_record(part, record)

    def fetch(self, ids: list[str]) -> list[SideRecord]:
        out = []
        for part in self.parts:
            mine = [self._part(i)[1] for i in ids if self._part(i)[0] is part]
            out += [self.side_record(part, r) for r in self.connector.fetch(part.entity, mine) if part.keep(r)]
        return out

    def build(self, shared: dict[str, Any], resolver: Resolver, current: SideRecord | None) -> Record:
        part = self._entity_part(current.native.get(ENTITY) if current else None)
        if current is not None:
            part = self._part(current.id)[0]
        record = part.mapping.from_shared(shared, self.refs, current.native if current else None)
        record.setdefault(ENTITY, part.entity)
        return record

    def write(self, requests: list[WriteRequest]) -> list[WriteOutcome]:
        outcomes: list[WriteOutcome] = []
        groups: dict[str, list[WriteRequest]] = {}
        for request in requests:
            entity = request.payload.get(ENTITY) or (self._part(request.target_id)[0].entity if request.target_id
                                                     else self.parts[0].entity)
            groups.setdefault(str(entity), []).append(request)
        for entity, group in groups.items():
            part = self._entity_part(entity)
            outcomes += self._write(part, group)
        return outcomes

    def _write(self, part: Part, requests: list[WriteRequest]) -> list[WriteOutcome]:
        ops = []
        keys = {r.ref: r.idem_key for r in requests}
        by_ref = {r.ref: r for r in requests}
        for request in requests:
            record = {k: v for k, v in request.payload.items() if k != ENTITY}
            if request.op in ("update", "delete"):
                record["Id"] = self._part(str(request.target_id))[1]
            ops.append(WriteOp({"create": "insert"}.get(request.op, request.op), record, ref=request.ref))
        outcomes = []
        for result in self.connector.write(part.entity, ops, request_id=lambda label, batch: request_key(
                label, *[keys[op.ref] for op in batch])):
            ref = int(result.op.ref)
            if result.ok:
                saved = self.side_record(part, result.record) if result.record and result.record.get("Id") else None
                warning = None
                if saved is not None and by_ref[ref].op == "create" and part.mapping.after_create is not None:
                    warning = part.mapping.after_create(saved.native, by_ref[ref].shared, self.refs)
                outcomes.append(WriteOutcome(ref, True, record=saved, error=warning))
            else:
                outcomes.append(failure(ref, result))
        self.refs.written("quickbooks", part.entity)
        return outcomes

    def find(self, shared: dict[str, Any]) -> SideRecord | None:
        for part in self.parts:
            by = lookup_value(part.mapping, shared)
            if by is None:
                continue
            found = [self.side_record(part, r) for r in self.connector.read(
                part.entity, [*part.where, Condition(by[0], "=", by[1])], include_inactive=True) if part.keep(r)]
            if len(found) == 1:
                return found[0]
        return None
