"""The sync engine's vocabulary: records as a side presents them, categories, and the plan.

A category (contacts, products, invoices, ...) knows both sides of one kind of record: how to
read changes, how to map a record into the *shared* values the sync carries (plain JSON:
strings, numbers as strings, ISO dates), how to build a record for the other side from shared
values, and how to write. The engine knows none of that; it compares shared values, keeps the
links, plans and executes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

SIDES = ("a", "b")  # a is Scoro; b is the other system
DIRECTIONS = ("a_to_b", "b_to_a", "both")


def other(side: str) -> str:
    return "b" if side == "a" else "a"


def shared_value(value: Any) -> Any:
    """Values in a canonical JSON form, so equal meanings hash equally on both sides."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text if "." not in text else text.rstrip("0").rstrip(".")
    if isinstance(value, (int, float)):
        return shared_value(Decimal(str(value)))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return {str(k): shared_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [shared_value(v) for v in value]
    return str(value)


def carried(key: str) -> bool:
    """Keys starting with an underscore ride along with the shared values (ids, read-only values a
    counterpart keeps) but are never compared, hashed or merged."""
    return key.startswith("_")


def digest(shared: dict[str, Any]) -> str:
    compared = {k: v for k, v in shared.items() if not carried(k)}
    text = json.dumps(shared_value(compared), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class SideRecord:
    """One record of one side, with its shared values."""

    id: str
    shared: dict[str, Any]
    version: str | None = None  # the side's change token (Scoro modified_date, Xero UpdatedDateUTC)
    modified: datetime | None = None  # the side's own time of the change, for the cursor
    deleted: bool = False
    gate: str | None = None  # why this record must not be written to (an approved Xero invoice)
    native: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # JSON-native from here on: what is compared, hashed, stored in the outbox and built from
        self.shared = shared_value(self.shared)

    @property
    def hash(self) -> str:
        return digest(self.shared)


class Deferred(Exception):
    """A record refers to one the other side does not have yet (an invoice's contact).
    `needs` names it as (category, side, id), so the engine can bring it over first."""

    def __init__(self, message: str, needs: tuple[str, str, str] | None = None) -> None:
        super().__init__(message)
        self.needs = needs


class Refused(Exception):
    """A record the category will not write, with the reason people should see (gate, validation)."""

    def __init__(self, message: str, kind: str = "validation") -> None:
        super().__init__(message)
        self.kind = kind


class Resolver(Protocol):
    """Ids across sides, from the link table: what the other side calls a record of a category."""

    def counterpart(self, category: str, side: str, record_id: Any) -> str | None: ...


@dataclass
class WriteRequest:
    op: str  # create | update | delete
    target_id: str | None
    payload: dict[str, Any]
    idem_key: str
    ref: int  # outbox row id
    shared: dict[str, Any] = field(default_factory=dict)  # the shared values the payload was built from


@dataclass
class WriteOutcome:
    ref: int
    ok: bool
    record: SideRecord | None = None  # the saved record as the target returned it
    error: str | None = None  # why it failed; on a success, a problem with a second step to report
    kind: str = "validation"  # validation | permission | transient | unknown_outcome


class Category(Protocol):
    name: str
    batch_size: int

    def read(self, side: str, since: datetime | None) -> Iterable[SideRecord]:
        """Records changed since `since` (None: all in scope), deleted ones flagged."""
        ...

    def fetch(self, side: str, ids: list[str]) -> list[SideRecord]:
        """Current records by id (gone ones omitted)."""
        ...

    def candidates(self, side: str) -> Iterable[SideRecord]:
        """Every record of the side that could be the counterpart of a record of the other side, whatever
        its status (a draft counts), for first-sync matching."""
        ...

    def build(self, target: str, shared: dict[str, Any], resolver: Resolver, current: SideRecord | None) -> dict[str, Any]:
        """The target-side record to write; raises Deferred or Refused."""
        ...

    def match_keys(self, shared: dict[str, Any]) -> list[str]:
        """Natural keys for first-sync matching, e.g. 'name+vat:acme|ee123'; empty: never matched."""
        ...

    def matches(self, shared: dict[str, Any], candidate: dict[str, Any]) -> bool:
        """Whether a candidate found by a key can be the same record (no conflicting VAT number)."""
        ...

    def dependencies(self, target: str, shared: dict[str, Any]) -> list[tuple[str, str, str]]:
        """Every (category, side, id) writing `shared` to `target` needs first."""
        ...

    def write(self, target: str, requests: list[WriteRequest]) -> list[WriteOutcome]: ...

    def find(self, target: str, shared: dict[str, Any]) -> SideRecord | None:
        """The record a create with a lost answer may have made (lookup before re-create)."""
        ...


@dataclass
class PlannedOp:
    category: str
    target: str
    op: str  # create | update | delete | link
    source_id: str | None
    target_id: str | None
    shared: dict[str, Any]
    source_version: str | None
    source_hash: str
    payload: dict[str, Any] | None = None
    diff: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field: (target now, proposed)
    target_version: str | None = None  # link ops: the matched record as it is now
    target_hash: str | None = None
    target_total: Any = None  # link ops of documents: the matched one's total, compared with the source's
    basis: str | None = None  # the link's settled generation the change was planned against (Link.basis)

    def idem_key(self, job: str) -> str:
        """Deterministic: the same change of the same record always gets the same key, so a write
        re-planned after a crash is recognised (by us, and by Xero's Idempotency-Key). The change is
        identified by what it starts from (the link's settled generation) as well as by the record's
        version and values: a version stamp to the second (Scoro's UpdatedDate) or one an outside edit
        does not move would make A → B → A → B within a second the same change twice, and a change
        already written is never written again."""
        parts: tuple[object, ...] = (job, self.category, self.target, self.source_id, self.op, self.source_version,
                                     self.source_hash)
        if self.basis is not None:
            parts += (self.basis,)
        text = "|".join(str(x) for x in parts)
        return hashlib.sha256(text.encode()).hexdigest()[:40]


@dataclass
class Issue:
    """Something planning found that needs a person: ambiguous matches, conflicts, refusals."""

    category: str
    side: str
    source_id: str | None
    kind: str  # ambiguous | conflict | gated | deferred | validation
    message: str
    op: str | None = None
    target_id: str | None = None


@dataclass
class CategoryPlan:
    category: str
    ops: list[PlannedOp] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    unchanged: int = 0
    out_of_scope: int = 0  # records that refer to what the sync does not carry
    read: dict[str, int] = field(default_factory=lambda: {"a": 0, "b": 0})
    cursor: dict[str, datetime | None] = field(default_factory=dict)  # new cursor per source side
    # records with open errors found back at what was last agreed (a refused edit undone): their errors close
    settled: list[tuple[str, str]] = field(default_factory=list)  # (source side, id)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for op in self.ops:
            key = f"{op.op}_{op.target}"
            out[key] = out.get(key, 0) + 1
        for issue in self.issues:
            out[issue.kind] = out.get(issue.kind, 0) + 1
        out["unchanged"] = self.unchanged
        if self.out_of_scope:
            out["out_of_scope"] = self.out_of_scope
        return out
