"""Presenting canonical records: JSON, CSV and Rich tables share one value formatting."""

from __future__ import annotations

import base64
import csv
import itertools
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from rich.console import Console
from rich.table import Table


def json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(value: Any, **kw: Any) -> str:
    return json.dumps(value, default=json_default, ensure_ascii=False, **kw)


def cell(value: Any) -> str:
    """One value as text for a CSV cell or a table: nested values as JSON, NULL as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return dumps(value)
    if isinstance(value, (Decimal, datetime, date, bytes)):
        return str(json_default(value))
    return str(value)


def write_json_lines(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """A JSON array written as it streams, so memory stays flat for any size."""
    count = 0
    out.write("[")
    for record in records:
        out.write(("," if count else "") + "\n  " + dumps(record))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


# -- CSV that is safe to open in a spreadsheet ------------------------------------------------------
# A cell starting with one of these opens as a formula in Excel, LibreOffice or Google Sheets
# (`=cmd|' /C calc'!A0`, `@SUM(A1:A2)`); written with a leading apostrophe it opens as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_ESCAPE_ENV = "SCOROLINK_CSV_ESCAPE"
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _formula_like(text: str) -> bool:
    """Would open as a formula: starts with a formula character and is not a plain number (a
    negative amount stays a number), or is such a cell already escaped once (so escaping can be
    undone exactly: `'=x` is written `''=x`)."""
    if text[:1] in FORMULA_START:
        return _NUMBER.fullmatch(text) is None
    return text[:1] == "'" and _formula_like(text[1:])


def escape_cell(text: str) -> str:
    return "'" + text if _formula_like(text) else text


def unescape_cell(text: str) -> str:
    """The exact inverse of escape_cell: import reads back what export wrote."""
    return text[1:] if text[:1] == "'" and _formula_like(text[1:]) else text


def csv_escape_default() -> bool:
    """On unless SCOROLINK_CSV_ESCAPE is 0/false/no/off (the --no-csv-escape of every CSV command)."""
    return os.environ.get(CSV_ESCAPE_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


class CsvWriter:
    """The one CSV writer of every command: RFC 4180, CRLF, values through `cell`, and cells that
    would open as formulas neutralised unless `escape` is False."""

    def __init__(self, out: IO[str], escape: bool | None = None) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")
        self.escape = csv_escape_default() if escape is None else escape

    def writerow(self, values: Iterable[Any]) -> None:
        cells = [cell(v) for v in values]
        self._writer.writerow([escape_cell(c) for c in cells] if self.escape else cells)


def write_csv(records: Iterable[dict[str, Any]], out: IO[str], columns: list[str] | None = None,
              escape: bool | None = None) -> int:
    iterator: Iterator[dict[str, Any]] = iter(records)
    first = next(iterator, None)
    header = columns or (list(first) if first else [])
    writer = CsvWriter(out, escape)
    writer.writerow(header)
    count = 0
    if first is not None:
        for record in itertools.chain((first,), iterator):
            writer.writerow([record.get(c) for c in header])
            count += 1
    return count


def stdout_console() -> Console:
    """Stdout console; when piped, wide enough that tables are not squeezed to 80 columns."""
    return Console() if sys.stdout.isatty() else Console(width=200)


def print_table(records: list[dict[str, Any]], title: str | None = None, console: Console | None = None,
                max_width: int = 40) -> None:
    console = console or stdout_console()
    columns = list(records[0]) if records else []
    table = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="ellipsis", max_width=max_width, no_wrap=True)
    for record in records:
        table.add_row(*(cell(record.get(c)) for c in columns))
    console.print(table)
