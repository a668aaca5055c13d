"""Three-way merge of shared values when both sides changed a linked record.

Against the base (the values both sides last agreed on), a field changed on one side only takes
that side's value; a field changed on both sides to different values is a conflict, settled by the
category's policy: `a_wins` (Scoro), `b_wins`, `newest` (the side with the later change time), or
`manual` (parked for a person; nothing is written).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scorolink.sync.model import SideRecord, carried, shared_value

POLICIES = ("a_wins", "b_wins", "newest", "manual")


@dataclass
class Merge:
    values: dict[str, Any]
    conflicts: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field: (a value, b value)
    unresolved: bool = False  # manual policy with conflicts: write nothing


def three_way(base: dict[str, Any] | None, a: SideRecord, b: SideRecord, policy: str) -> Merge:
    base = base or {}
    merged: dict[str, Any] = {}
    conflicts: dict[str, tuple[Any, Any]] = {}
    for key in sorted(set(a.shared) | set(b.shared)):
        if carried(key):  # not merged: Scoro's copy where it has one
            merged[key] = a.shared[key] if key in a.shared else b.shared.get(key)
            continue
        av, bv, was = (shared_value(x.get(key)) for x in (a.shared, b.shared, base))
        if av == bv:
            merged[key] = a.shared.get(key)
        elif av == was:
            merged[key] = b.shared.get(key)
        elif bv == was:
            merged[key] = a.shared.get(key)
        else:
            conflicts[key] = (a.shared.get(key), b.shared.get(key))
            merged[key] = _winner(policy, a, b).shared.get(key)
    return Merge(merged, conflicts, unresolved=bool(conflicts) and policy == "manual")


def _winner(policy: str, a: SideRecord, b: SideRecord) -> SideRecord:
    if policy == "b_wins":
        return b
    if policy == "newest" and a.modified and b.modified:
        return b if b.modified > a.modified else a
    return a
