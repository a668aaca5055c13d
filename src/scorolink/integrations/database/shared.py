"""The shared values a table row and a Scoro record are compared by, from the table's map.

Shared values are the *writable* fields the map binds (and the writable fields of each line), so a
read-only field Scoro recomputes is never a change and never a conflict. Two carried keys ride along
outside the comparison (the engine neither hashes nor merges keys that start with an underscore):
`_id`, the Scoro id (it matches a row that already carries one), and, from Scoro only, `_ro`, the
read-only values the table is refreshed with.
"""

from __future__ import annotations

from typing import Any

from scorolink.integrations.database.table import ChildMap, TableMap
from scorolink.integrations.database.values import typed


def scoro_shared(table: TableMap, record: dict[str, Any]) -> dict[str, Any]:
    shared: dict[str, Any] = {c.field: typed(record.get(c.field), c.type) for c in table.writable()}
    ro: dict[str, Any] = {c.field: typed(record.get(c.field), c.type) for c in table.read_only()}
    for child in table.children:
        lines = record.get(child.nested) or []
        shared[child.nested] = [line_values(child, line, writable=True) for line in lines] or None
        ro[child.nested] = [line_values(child, line, writable=False) for line in lines] or None
    shared["_id"] = record.get(table.scoro_key)
    shared["_ro"] = ro
    return shared


def line_values(child: ChildMap, line: dict[str, Any], *, writable: bool) -> dict[str, Any]:
    columns = child.writable() if writable else [c for c in child.columns if c.read_only]
    values = {c.field: typed(line.get(c.field), c.type) for c in columns}
    if not writable and child.scoro_key:
        values["_id"] = line.get(child.scoro_key)
    return values


def to_scoro(table: TableMap, shared: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """The Scoro record to write: every bound value (None clears a field; a create leaves Nones out), or,
    knowing Scoro's record now (the plan's preview), only what differs from it."""
    record: dict[str, Any] = {}
    now = scoro_shared(table, current) if current is not None else None
    for c in table.writable():
        value = typed(shared.get(c.field), c.type, f"{table.table}.{c.column}")
        if now is not None and _same(now.get(c.field), value, c.type):
            continue
        record[c.field] = value
    for child in table.children:
        lines = [{c.field: typed(line.get(c.field), c.type, f"{child.table}.{c.column}") for c in child.writable()}
                 for line in shared.get(child.nested) or []]
        if now is not None and _same_lines(child, now.get(child.nested), lines):
            continue
        record[child.nested] = [{k: v for k, v in line.items() if v is not None} for line in lines]
    return record


def _same(a: Any, b: Any, kind: str) -> bool:
    from scorolink.sync.model import shared_value

    return bool(shared_value(typed(a, kind)) == shared_value(b))


def _same_lines(child: ChildMap, now: Any, lines: list[dict[str, Any]]) -> bool:
    from scorolink.sync.model import shared_value

    return bool(shared_value(now or []) == shared_value([{k: v for k, v in line.items()} for line in lines]))
