"""Parse the Skyvia Scoro connector's capability tables from the vendored copy of their lines.

`data/skyvia_tables.txt` holds, verbatim, the seed document's nested objects table, its
incremental and synchronization lists, its "Filtering Specifics" table and its "DML Operations
support" table. They are the catalog's specification; `test_catalog.py` checks that the copy
still matches the seed, of which `data/skyvia-scoro-connector.txt` is a verbatim copy shipped with
the tests (so no test reads a path outside the repository).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "skyvia_tables.txt"
SEED = Path(__file__).parent / "data" / "skyvia-scoro-connector.txt"

_FILTER_ITEM = re.compile(r"(\w+) \(([^)]*)\)")


@dataclass(frozen=True)
class NestedRow:
    owner: str  # an object (People) or a nested type (InvoiceLinesType)
    field: str  # "" for the seed's blank-named rows
    type: str

    @property
    def owner_is_type(self) -> bool:
        return self.owner.endswith("Type")


@dataclass(frozen=True)
class SeedTables:
    filters: dict[str, dict[str, tuple[str, ...]]]  # object -> field -> operators
    dml: dict[str, frozenset[str]]  # object -> lower-case operations (without select)
    incremental: frozenset[str]
    sync: frozenset[str]
    nested: tuple[NestedRow, ...]

    @property
    def objects(self) -> frozenset[str]:
        """Every object any of the tables names."""
        owners = {row.owner for row in self.nested if not row.owner_is_type}
        return frozenset(self.filters) | frozenset(self.dml) | self.incremental | self.sync | owners


def lines() -> list[str]:
    return DATA.read_text(encoding="utf-8").splitlines()


def _cells(line: str) -> list[str]:
    cells = [c.strip() for c in line.split("|")]
    if cells and cells[-1] == "":
        cells.pop()
    return cells


def _names(text: str) -> frozenset[str]:
    return frozenset(n.strip() for n in text.split(",") if n.strip())


def _parse_nested(block: list[str]) -> tuple[NestedRow, ...]:
    rows: list[NestedRow] = []
    owner = ""
    for line in block:
        cells = _cells(line) + ["", "", ""]
        a, b, c = cells[0], cells[1].strip("* ").strip(), cells[2]
        if c:  # "People | *Address * | AddressType |": a new owner
            owner = a
            rows.append(NestedRow(owner, b, c))
        elif b:  # "Addresses | AddressType | |": another field of the same owner
            rows.append(NestedRow(owner, a.strip("* ").strip(), b))
        else:  # "ValueType | ||": a row whose field name the seed leaves blank
            rows.append(NestedRow(owner, "", a))
    return tuple(rows)


def _parse_filters(block: list[str]) -> dict[str, dict[str, tuple[str, ...]]]:
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for line in block:
        cells = _cells(line)
        obj, spec = cells[0], cells[1]
        fields: dict[str, tuple[str, ...]] = {}
        for name, ops in _FILTER_ITEM.findall(spec):
            fields[name] = tuple(op.strip() for op in ops.split(",") if op.strip())
        assert fields, f"no filters parsed for {obj}: {line!r}"
        out[obj] = fields
    return out


def _parse_dml(block: list[str]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for line in block:
        ops_text, objects_text = _cells(line)[:2]
        ops = frozenset(op.lower() for op in _names(ops_text))
        for obj in _names(objects_text):
            out[obj] = ops
    return out


def _block(all_lines: list[str], header: str, stop: str) -> list[str]:
    start = all_lines.index(header) + 1
    if all_lines[start].startswith("---"):
        start += 1
    end = next(i for i in range(start, len(all_lines)) if all_lines[i].startswith(stop))
    return all_lines[start:end]


@cache
def tables() -> SeedTables:
    all_lines = lines()
    nested = _parse_nested(
        _block(all_lines, "Object or Nested Object | Field | Nested Object |", "Replication")
    )
    filters = _parse_filters(_block(all_lines, "Object | Fields and Operators |", "DML Operations support"))
    dml_header = all_lines.index("Operation | Object |")
    dml = _parse_dml([ln for ln in all_lines[dml_header + 2 :] if "|" in ln])

    incremental_line = next(ln for ln in all_lines if ln.startswith("Replication with Incremental Updates"))
    incremental = _names(incremental_line.split("objects:", 1)[1].split(". Note", 1)[0])
    sync_line = next(ln for ln in all_lines if ln.startswith("Synchronization is typically"))
    sync = _names(sync_line.split("support synchronization:", 1)[1].rstrip(". "))
    return SeedTables(filters=filters, dml=dml, incremental=incremental, sync=sync, nested=nested)
