"""Canonical records → DB-ready rows for an object's main table and its child tables.

Converters are chosen once per column from the column's type as it exists in the database
(which may be wider than the catalog's after schema evolution), so the per-record work is a
tuple comprehension. The row hash covers the main row's values and every child row; a record
whose hash matches the stored one is not written again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from scorolink.catalog.model import ObjectSpec
from scorolink.replicate.destination import Destination
from scorolink.replicate.schema import KEY, Table, remote_id

Converter = Callable[[Any], Any] | None


@dataclass(slots=True)
class BuiltRecord:
    remote_id: str
    values: tuple[Any, ...]  # the main table's field columns, DB-ready
    children: dict[str, list[tuple[Any, ...]]]  # child table → rows (account and positions included)
    created: Any
    modified: Any
    is_deleted: bool
    hash: str


def _getters(table: Table, types: dict[str, str], dest: Destination) -> list[tuple[str, Converter]]:
    return [(c.source, dest.converter(types.get(c.name, c.type))) for c in table.columns if c.source is not None]


def _compile(getters: list[tuple[str, Converter]], kind: str) -> Callable[[Any], tuple[Any, ...]]:
    """One generated function per table turning an element into its column values: the loader's hot
    path, where a plain loop over (field, converter) pairs costs several times more per record."""
    env: dict[str, Any] = {}
    parts = []
    for i, (source, conv) in enumerate(getters):
        if kind == "mapping":  # the element is a (key, value) pair
            expr = "item[0]" if source == KEY else "item[1]"
        elif kind == "values":  # the element is the value itself
            expr = "item"
        else:
            expr = f"get({source!r})"
        if conv is not None:
            env[f"c{i}"] = conv
            expr = f"c{i}({expr})"
        parts.append(expr)
    head = "    get = item.get\n" if kind not in ("mapping", "values") else ""
    code = f"def values(item):\n{head}    return ({', '.join(parts)}{',' if parts else ''})\n"
    exec(code, env)  # noqa: S102 - the code is built from catalog field names, quoted with repr()
    return env["values"]  # type: ignore[no-any-return]


def _items(value: Any, kind: str) -> Iterator[tuple[int, Any]]:
    """(position, element) pairs of a nested value of the given kind."""
    if value is None:
        return iter(())
    if kind == "object":
        return iter([(0, value)] if isinstance(value, dict) else ())
    if kind == "mapping":
        return enumerate(value.items()) if isinstance(value, dict) else iter(())
    return enumerate(value) if isinstance(value, list) else iter(())


class RowBuilder:
    """Builds rows for one object, given its tables and the column types the database has."""

    def __init__(self, spec: ObjectSpec, tables: list[Table], dest: Destination,
                 types: dict[str, dict[str, str]], account: str):
        self.spec = spec
        self.account = account
        self.main = tables[0]
        self.children = tables[1:]
        self.main_values = _compile(_getters(self.main, types.get(self.main.name, {}), dest), "objects")
        self.datetime = dest.converter("datetime")  # WhenCreated / WhenModified: metadata, never widened
        by_name = {t.name: t for t in tables}
        self.child_plans = []
        for t in self.children:
            chain = []  # (nested field, kind) from the record down to this table
            node: Table | None = t
            while node is not None and node.kind != "main":
                chain.append((node.path[-1], node.kind))
                node = by_name.get(node.parent) if node.parent else None
            values = _compile(_getters(t, types.get(t.name, {}), dest), t.kind)
            self.child_plans.append((t.name, tuple(reversed(chain)), values))
        self.has_deleted_flag = spec.field_named("IsDeleted") is not None
        self.keys = spec.key_fields

    def build(self, record: dict[str, Any]) -> BuiltRecord:
        values = self.main_values(record)
        children: dict[str, list[tuple[Any, ...]]] = {}
        keys = self.keys
        rid = str(record.get(keys[0])) if len(keys) == 1 and record.get(keys[0]) is not None \
            else remote_id(self.spec, record)
        for name, chain, child_values in self.child_plans:
            rows: list[tuple[Any, ...]] = []
            self._walk(record, chain, (self.account, rid), child_values, rows)
            children[name] = rows
        digest = hashlib.blake2b(repr((values, children)).encode(), digest_size=10).hexdigest()
        conv = self.datetime
        created = record.get("CreatedDate")
        modified = record.get("UpdatedDate")
        return BuiltRecord(
            remote_id=rid, values=values, children=children,
            created=conv(created) if conv else created, modified=conv(modified) if conv else modified,
            is_deleted=bool(record.get("IsDeleted")) if self.has_deleted_flag else False, hash=digest,
        )

    def _walk(self, container: Any, chain: tuple[tuple[str, str], ...], prefix: tuple[Any, ...],
              values: Callable[[Any], tuple[Any, ...]], out: list[tuple[Any, ...]]) -> None:
        (field, kind), rest = chain[0], chain[1:]
        value = container.get(field) if isinstance(container, dict) else None
        for pos, item in _items(value, kind):
            if kind in ("objects", "object") and not isinstance(item, dict):
                continue  # a malformed element: nothing to unwind
            if rest:
                self._walk(item, rest, prefix + (pos,), values, out)
            else:
                if kind == "values" and isinstance(item, dict) and len(item) == 1:
                    item = next(iter(item.values()))  # project_accounts is [{"id": "acct"}]
                out.append(prefix + (pos,) + values(item))
