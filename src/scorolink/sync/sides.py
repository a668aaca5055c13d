"""Generic side adapters: a category's mapping functions over one object of a system (ScoroSide here;
each integration keeps its own, e.g. integrations/xero/sides.py).

References between records (an invoice's contact, a line's tax rate) are carried in shared values
as the *Scoro* id when the pair is linked, else as `b:<other id>`; so shared values of a linked
pair compare equal on both sides, and an unlinked reference still says which record it needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scorolink.connectors.base import Condition, WriteOp
from scorolink.sync.model import Deferred, Resolver, SideRecord, WriteOutcome, WriteRequest

Record = dict[str, Any]


class Refs:
    """Cross-side references, answered from the link table (bound by the engine at run start)."""

    def __init__(self) -> None:
        self.resolver: Resolver | None = None
        self.collecting: list[tuple[str, str, str]] | None = None  # discovery mode: gather needs, raise none
        self.listeners: list[Callable[[str, str], None]] = []  # told (system, object) after each write

    def written(self, system: str, obj: str) -> None:
        """Caches of codes and ids drop what a write may have changed."""
        for listener in self.listeners:
            listener(system, obj)

    def need(self, message: str, needs: tuple[str, str, str]) -> None:
        """A record this one cannot be written without: Deferred, or noted while discovering."""
        if self.collecting is None:
            raise Deferred(message, needs=needs)
        if needs not in self.collecting:
            self.collecting.append(needs)

    def discover(self, build: Callable[[], Any]) -> list[tuple[str, str, str]]:
        """Every record a build needs (not just the first it stops at)."""
        self.collecting = []
        try:
            build()
        except Exception:  # noqa: BLE001 - the build is only run to see what it asks for
            pass
        finally:
            found, self.collecting = self.collecting, None
        return found

    def shared(self, category: str, side: str, record_id: Any) -> str | None:
        """A reference as shared values hold it."""
        if record_id in (None, "", 0, "0"):
            return None
        if side == "a":
            return str(record_id)
        assert self.resolver is not None, "refs used before the engine bound them"
        scoro = self.resolver.counterpart(category, "b", str(record_id))
        return scoro if scoro is not None else f"b:{record_id}"

    def on(self, category: str, side: str, ref: str | None, *, required: bool = True) -> str | None:
        """The id `side` uses for a shared reference; Deferred (naming the record) when unlinked."""
        if ref in (None, ""):
            return None
        assert self.resolver is not None, "refs used before the engine bound them"
        text = str(ref)
        if text.startswith("b:"):
            if side == "b":
                return text[2:]
            found = self.resolver.counterpart(category, "b", text[2:])
            needs = (category, "b", text[2:])
        else:
            if side == "a":
                return text
            found = self.resolver.counterpart(category, "a", text)
            needs = (category, "a", text)
        if found is None and required:
            self.need(f"needs {category} record {needs[2]} to be synced first", needs)
        return found


@dataclass
class Mapping:
    """How one side's records of a category map to shared values and back."""

    to_shared: Callable[[Record, Refs], dict[str, Any]]
    from_shared: Callable[[dict[str, Any], Refs, Record | None], Record]  # raises Deferred / Refused
    in_scope: Callable[[Record], bool] = lambda _r: True
    # which records may be a first-sync match (default: those in scope); wider than in_scope where the
    # scope is a status (a Xero draft is not carried, but is the same document and must not be re-created)
    candidate: Callable[[Record], bool] | None = None
    gate: Callable[[Record], str | None] = lambda _r: None
    find_by: tuple[str, str] | None = None  # (field on this side, shared key): lookup before re-create
    deleted: Callable[[Record], bool] = lambda r: bool(r.get("IsDeleted"))
    # a deleted record the system still holds (a voided Xero invoice keeps its number): still a first-sync match,
    # so the same record is linked rather than refused as a duplicate on every run
    held: Callable[[Record], bool] = lambda _r: False
    # a second step after a create (allocating a credit note); returns a problem to report, or None
    after_create: Callable[[Record, dict[str, Any], Refs], str | None] | None = None


def side_record(mapping: Mapping, refs: Refs, record: Record, key: str, cursor: str | None) -> SideRecord:
    """One record of a side as the engine sees it: its id, shared values and change time."""
    modified = record.get(cursor) if cursor else None
    return SideRecord(str(record.get(key)), mapping.to_shared(record, refs),
                      version=modified.isoformat() if isinstance(modified, datetime) else None,
                      modified=modified if isinstance(modified, datetime) else None,
                      deleted=mapping.deleted(record), gate=mapping.gate(record), native=record)


def scoro_ids(ids: list[str]) -> list[int]:
    """Scoro ids among `ids` (whole numbers; a dry run's planned records have negative ones)."""
    return [int(i) for i in ids if str(i).lstrip("-").isdigit()]


# Scoro filters one id per request (whether it takes arrays is unknown), so records asked for by id come
# one request each up to this many, and beyond it from one paged listing kept locally: requests bounded
# by pages, not by records.
BY_ID_MAX = 20


def read_by_ids(connector: Any, obj: str, ids: list[str], columns: list[str] | None,
                key: str = "Id") -> Iterator[Record]:
    wanted = scoro_ids(ids)
    if not wanted:
        return iter(())
    if len(wanted) <= BY_ID_MAX:
        return connector.read(obj, [Condition(key, "in", tuple(wanted))], columns=columns)
    keep = set(wanted)
    return (r for r in connector.read(obj, [], columns=columns) if r.get(key) in keep)


def failure(ref: int, result: Any) -> WriteOutcome:
    kind = "unknown_outcome" if result.outcome_unknown else "validation"
    return WriteOutcome(ref, False, error=result.error, kind=kind)


def lookup_value(mapping: Mapping, shared: dict[str, Any]) -> tuple[str, Any] | None:
    """(field, value) to look a lost create up by, when the mapping names one and it has a value."""
    if mapping.find_by is None:
        return None
    field_name, key = mapping.find_by
    return None if shared.get(key) in (None, "") else (field_name, shared[key])


def _plain_read(connector: Any, obj: str, where: list[Condition], **kw: Any) -> Iterator[Record]:
    return connector.read(obj, where, **kw)  # type: ignore[no-any-return]


@dataclass
class ScoroSide:
    connector: Any  # ScoroConnector
    object: str
    mapping: Mapping
    refs: Refs
    columns: list[str] | None = None
    key: str = "Id"
    cursor: str | None = "UpdatedDate"  # None: the object has no change time; read in full and diffed
    bookmark: Any = None  # a saved Scoro view that limits what is read (and so pushed): scoro_categories.Bookmark

    def read(self, since: datetime | None) -> Iterator[SideRecord]:
        incremental = since is not None and self.cursor is not None
        where = [Condition(self.cursor, ">=", since)] if incremental and self.cursor else []
        reader = self.bookmark.read if self.bookmark else _plain_read
        for record in reader(self.connector, self.object, where, columns=self.columns, include_deleted=incremental):
            if self.mapping.in_scope(record) or self.mapping.deleted(record):
                yield self.side_record(record)

    def candidates(self) -> Iterator[SideRecord]:
        keep = self.mapping.candidate or self.mapping.in_scope
        for record in self.connector.read(self.object, [], columns=self.columns):
            if keep(record) and not self.mapping.deleted(record):
                yield self.side_record(record)

    def fetch(self, ids: list[str]) -> list[SideRecord]:
        return [self.side_record(r) for r in read_by_ids(self.connector, self.object, ids, self.columns, self.key)]

    def side_record(self, record: Record) -> SideRecord:
        return side_record(self.mapping, self.refs, record, self.key, self.cursor)

    def build(self, shared: dict[str, Any], resolver: Resolver, current: SideRecord | None) -> Record:
        return self.mapping.from_shared(shared, self.refs, current.native if current else None)

    def write(self, requests: list[WriteRequest]) -> list[WriteOutcome]:
        outcomes = [self.write_one(request) for request in requests]  # Scoro has no batch write: one each
        self.refs.written("scoro", self.object)
        return outcomes

    def write_one(self, request: WriteRequest) -> WriteOutcome:
        record = dict(request.payload)
        if request.op in ("update", "delete"):
            record[self.key] = int(str(request.target_id))
        return self.send(request.ref, "insert" if request.op == "create" else request.op, record,
                         read_back=request.op != "delete", known_id=request.target_id)

    def send(self, ref: Any, action: str, record: Record, *, read_back: bool = True,
             known_id: Any = None) -> WriteOutcome:
        """One write, then the record read back as a list read gives it (what the next run compares with:
        the modify answer's shape is not documented to match)."""
        [result] = list(self.connector.write(self.object, [WriteOp(action, record)]))
        if not result.ok:
            return failure(ref, result)
        saved = result.record or {}
        fresh = self.fetch([str(saved.get(self.key, known_id))]) if read_back else []
        return WriteOutcome(ref, True, record=fresh[0] if fresh else None)

    def find(self, shared: dict[str, Any]) -> SideRecord | None:
        by = lookup_value(self.mapping, shared)
        if by is None:
            return None
        found = [self.side_record(r) for r in self.connector.read(
            self.object, [Condition(by[0], "=", by[1])], columns=self.columns)]
        return max(found, key=lambda r: int(r.id)) if found else None
