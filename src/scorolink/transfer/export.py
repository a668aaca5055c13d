"""Export any readable object to CSV: UTF-8, RFC 4180, a header of canonical field names,
streamed record by record so memory stays flat for any size.

Nested values are JSON cells (`--nested json`), or (`--nested flatten`) one more CSV per nested
field next to the main one — `invoices_Lines.csv` with `Parent.Id`, `Position` and the child's
fields — which `scorolink import --nested Lines=invoices_Lines.csv` reads back. Binary fields are
fetched only when named and saved as files beside the CSV, the cell holding the relative path.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from scorolink import output
from scorolink.catalog.model import FieldType, Nested, ObjectSpec
from scorolink.connectors.base import Condition
from scorolink.connectors.scoro import ScoroConnector
from scorolink.errors import ConfigError
from scorolink.transfer.children import PARENT_PREFIX, POSITION

NESTED_MODES = ("json", "flatten")


@dataclass
class ExportSummary:
    object: str
    rows: int = 0
    files: dict[str, int] = field(default_factory=dict)  # CSV path -> data rows
    binaries: int = 0
    requests: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Csv:
    def __init__(self, path: Path | None, header: list[str], stream: IO[str] | None = None,
                 escape: bool | None = None) -> None:
        self.path = path
        self.file = stream or path.open("w", encoding="utf-8", newline="")  # type: ignore[union-attr]
        self.writer = output.CsvWriter(self.file, escape)
        self.writer.writerow(header)
        self.rows = 0

    def write(self, cells: Iterable[Any]) -> None:
        self.writer.writerow(cells)
        self.rows += 1

    def close(self) -> None:
        if self.path is not None:
            self.file.close()


class Exporter:
    def __init__(self, connector: ScoroConnector, obj: str, out: Path | None, *, where: list[Condition] | None = None,
                 columns: list[str] | None = None, nested: str = "json", include_deleted: bool = False,
                 limit: int | None = None, csv_escape: bool | None = None) -> None:
        if nested not in NESTED_MODES:
            raise ConfigError(f"--nested {nested!r}: use json (nested values as JSON cells) or flatten (one CSV "
                              "per nested field).")
        self.connector = connector
        self._requests_before = connector.client.stats.total  # the custom-field read of spec() counts too
        self.spec: ObjectSpec = connector.spec(obj)
        self.out = out
        self.where = where or []
        self.nested_mode = nested
        self.include_deleted = include_deleted
        self.limit = limit
        self.csv_escape = csv_escape
        self.columns = self._columns(columns)
        self.binaries = [c for c in self.columns if (f := self.spec.field_named(c)) and f.type is FieldType.BINARY]
        self.flattened = [n for n in self.spec.nested if n.field in self.columns] if nested == "flatten" else []
        if out is None and (self.binaries or self.flattened):
            raise ConfigError("Binary columns and --nested flatten write files next to the CSV: give -o FILE.csv.")
        self.key = self.spec.key_fields[0]

    def _columns(self, columns: list[str] | None) -> list[str]:
        """Canonical names in the order asked, or every field (binaries excluded) then nested ones."""
        if columns is None:
            return [f.name for f in self.spec.fields if f.type is not FieldType.BINARY] + \
                   [n.field for n in self.spec.nested]
        selected = self.connector.selected(self.spec, columns)
        ordered = []
        for c in columns:
            n = self.spec.nested_named(c)
            f = self.spec.field_named(c)
            name = n.field if n else f.name if f else c
            if name in selected and name not in ordered:
                ordered.append(name)
        return ordered

    def run(self, on_progress: Callable[[ExportSummary], None] | None = None) -> ExportSummary:
        started = time.monotonic()
        requests_before = self._requests_before
        summary = ExportSummary(self.spec.name)
        main_columns = [c for c in self.columns if c not in {n.field for n in self.flattened}]
        fetch = list(dict.fromkeys([*self.columns, self.key])) if self.flattened or self.binaries else self.columns
        main = _Csv(self.out, main_columns, None if self.out else sys.stdout, self.csv_escape)
        children = {n.field: _Csv(self._sibling(f"_{n.field}.csv"), _child_header(n, self.key),
                                    escape=self.csv_escape)
                    for n in self.flattened}
        files_dir = self._sibling("_files") if self.binaries else None
        if files_dir is not None:
            files_dir.mkdir(parents=True, exist_ok=True)
        try:
            records = self.connector.read(self.spec.name, self.where, columns=fetch,
                                          include_deleted=self.include_deleted, limit=self.limit)
            for record in records:
                if files_dir is not None:
                    summary.binaries += self._save_binaries(record, files_dir)
                main.write(record.get(c) for c in main_columns)
                for n in self.flattened:
                    for cells in _child_rows(n, record.get(n.field), record.get(self.key)):
                        children[n.field].write(cells)
                summary.rows += 1
                if on_progress and summary.rows % 100 == 0:
                    summary.requests = self.connector.client.stats.total - requests_before
                    on_progress(summary)
        finally:
            main.close()
            for child in children.values():
                child.close()
        summary.files = {str(self.out or "-"): main.rows, **{str(c.path): c.rows for c in children.values()}}
        summary.requests = self.connector.client.stats.total - requests_before
        summary.seconds = round(time.monotonic() - started, 3)
        if on_progress:
            on_progress(summary)
        return summary

    def _sibling(self, suffix: str) -> Path:
        assert self.out is not None
        return self.out.with_name(self.out.stem + suffix)

    def _save_binaries(self, record: dict[str, Any], folder: Path) -> int:
        saved = 0
        for name in self.binaries:
            content = record.get(name)
            if not isinstance(content, bytes):
                record[name] = None
                continue
            label = record.get("FileName") if self.spec.name == "Files" else name
            path = folder / _safe_name(f"{record.get(self.key)}-{label or name}")
            path.write_bytes(content)
            record[name] = str(path.relative_to(self.out.parent) if self.out else path)  # type: ignore[union-attr]
            saved += 1
        return saved


def _child_header(n: Nested, key: str) -> list[str]:
    link = [PARENT_PREFIX + key, POSITION]
    if n.kind == "values":
        return [*link, "Value"]
    if n.kind == "mapping":
        return [*link, "Key", "Value"]
    if not n.fields:
        return [*link, "Value"]
    return [*link, *(f.name for f in n.fields), *(d.field for d in n.nested)]


def _child_rows(n: Nested, value: Any, parent_key: Any) -> Iterable[list[Any]]:
    if value is None:
        return
    if n.kind == "values":
        for position, item in enumerate(value if isinstance(value, list) else [value], start=1):
            yield [parent_key, position, item]
    elif n.kind == "mapping":
        for position, (k, v) in enumerate((value or {}).items() if isinstance(value, dict) else [], start=1):
            yield [parent_key, position, k, v]
    else:
        items = [value] if isinstance(value, dict) else value if isinstance(value, list) else []
        for position, item in enumerate(items, start=1):
            if not n.fields or not isinstance(item, dict):
                yield [parent_key, position, item]
            else:
                yield [parent_key, position, *(item.get(f.name) for f in n.fields),
                       *(item.get(d.field) for d in n.nested)]


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", name).strip("._")[:150] or "file"
