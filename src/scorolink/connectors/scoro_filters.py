"""Which conditions Scoro can filter natively, and how they go on the wire.

The catalog (from the seed's Filtering Specifics table) says which field accepts which
operator. Scoro filters are coarse: equality on scalars and `{from_date, to_date}` ranges
that compare by calendar date, inclusive (reference §6.1). So a pushed condition narrows
what comes back, and every condition is still checked locally on the rows — a pushed
filter that Scoro ignores or applies by date only never lets a wrong row through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from scorolink.catalog.model import Field, FieldType
from scorolink.connectors.base import Condition
from scorolink.connectors.scoro_convert import set_path, to_wire

RANGE_OPS = ("<", "<=", ">", ">=")


@dataclass
class FilterPlan:
    """What one read sends: a filter (or several, one per IN value) plus what stays local."""

    filter: dict[str, Any] = field(default_factory=dict)
    fan_out: list[tuple[Field, tuple[Any, ...]]] = field(default_factory=list)
    pushed: list[Condition] = field(default_factory=list)
    local: list[Condition] = field(default_factory=list)
    include_deleted: bool = False
    bookmark: Any = None  # a saved Scoro view applied by the list call (`bookmark.bookmark_id`)
    beside: dict[str, Any] = field(default_factory=dict)  # wire filter keys sent as they are, beside the bookmark
    # Per-parent reads: when a dict, a parent whose list fails every attempt is recorded here
    # (parent id → error) and the read goes on with the others; when None, the failure is raised.
    parent_failures: dict[Any, str] | None = None

    def filters(self) -> list[dict[str, Any]]:
        """One filter per request series; an IN list becomes one series per value
        (whether Scoro accepts arrays is unknown, so equality per value is the safe reading)."""
        if not self.fan_out:
            return [self.filter]
        f, values = self.fan_out[0]
        out = []
        for value in values:
            variant = _deep_copy(self.filter)
            set_path(variant, f.api_key, value)
            out.append(variant)
        return out


def pushable(f: Field, op: str) -> bool:
    if op == "in":
        return "=" in f.filters
    return op in f.filters


def plan_filters(conditions: list[tuple[Condition, Field]], tz: tzinfo) -> FilterPlan:
    plan = FilterPlan()
    for cond, f in conditions:
        plan.local.append(cond)
        if f.name == "IsDeleted" and cond.op == "=" and cond.value:
            plan.include_deleted = True  # deleted rows are only listed when asked for
        if not pushable(f, cond.op) or cond.value is None:
            continue
        if cond.op == "in":
            if plan.fan_out or f.type in (FieldType.DATE, FieldType.DATETIME):
                continue  # one fan-out per read; the rest is filtered locally
            plan.fan_out.append((f, tuple(to_wire(v, f, tz) for v in cond.value)))
        elif f.type in (FieldType.DATE, FieldType.DATETIME):
            _merge_range(plan.filter, f, cond.op, cond.value, tz)
        else:
            set_path(plan.filter, f.api_key, to_wire(cond.value, f, tz))
        plan.pushed.append(cond)
    return plan


def _merge_range(target: dict[str, Any], f: Field, op: str, value: Any, tz: tzinfo) -> None:
    low, high = _date_bounds(f, op, value, tz)
    current = _get(target, f.api_key)
    if not isinstance(current, dict):
        current = {}
    if low is not None:
        prev = current.get("from_date")
        current["from_date"] = max(prev, low.isoformat()) if prev else low.isoformat()
    if high is not None:
        prev = current.get("to_date")
        current["to_date"] = min(prev, high.isoformat()) if prev else high.isoformat()
    set_path(target, f.api_key, current)


def _date_bounds(f: Field, op: str, value: Any, tz: tzinfo) -> tuple[date | None, date | None]:
    """Inclusive calendar-date bounds that contain every row the condition can match."""
    if f.type is FieldType.DATETIME and isinstance(value, datetime):
        # Scoro compares by the site's local date; a day of slack on each side keeps a
        # mis-set site time zone from hiding rows (the local check trims the excess).
        day = value.astimezone(tz).date()
        one = timedelta(days=1)
        return {"=": (day - one, day + one), ">": (day - one, None), ">=": (day - one, None),
                "<": (None, day + one), "<=": (None, day + one)}[op]
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    one = timedelta(days=1)
    return {"=": (day, day), ">": (day + one, None), ">=": (day, None),
            "<": (None, day - one), "<=": (None, day)}[op]


def _get(row: dict[str, Any], dotted: str) -> Any:
    current: Any = row
    for part in dotted.split("."):
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    return value
