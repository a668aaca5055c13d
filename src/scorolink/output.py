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
from rich.text import Text


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
    """Stdout console. When piped it takes COLUMNS if set, else 200 columns, so tables are not squeezed to 80.
    Text is never read as Rich markup here: data and messages may hold brackets."""
    if sys.stdout.isatty():
        return Console(markup=False, highlight=False)
    columns = os.environ.get("COLUMNS", "")
    return Console(width=int(columns) if columns.isdigit() and int(columns) > 0 else 200, markup=False,
                   highlight=False)


# Column names that name a record for a person, best first: shown right after the key.
NAME_COLUMNS = ("Name", "name", "CompanyName", "FullName", "DocumentNumber", "No", "Title", "title", "Subject",
                "Code", "Username", "Email", "object", "job", "field")
KEY_COLUMNS = ("Id", "id", "ID", "run")
MIN_WIDTH = 6  # narrower than this, a column shows nothing useful: leave it out instead
SQUEEZE_TO = 12  # the last column that fits only in part is shown this wide at least, cut with …
BLOCKS_UP_TO = 3  # this few records that do not fit as a table read better one per block


def lead_columns(columns: list[str], keys: list[str] | None = None) -> list[str]:
    """The key column(s) and one name column: shown first and never left out."""
    lead = [k for k in (keys or []) if k in columns]
    if not lead:
        lead = [next((c for c in KEY_COLUMNS if c in columns), columns[0] if columns else "")]
    name = next((c for c in NAME_COLUMNS if c in columns and c not in lead), None)
    return [c for c in [*lead, name] if c]


def _width(records: list[dict[str, Any]], column: str, cap: int) -> int:
    return min(cap, max([len(column), *(len(cell(r.get(column))) for r in records)]))


def fit_columns(records: list[dict[str, Any]], columns: list[str], lead: list[str], width: int,
                cap: int) -> dict[str, int]:
    """Column -> width: the lead columns, then as many of the others, in order, as fit `width` at their
    natural widths (up to `cap`), a column that fits only in part cut to the room left (at least SQUEEZE_TO);
    a column that does not fit is left out whole rather than squeezed to nothing."""
    shown = {c: _width(records, c, cap) for c in lead}
    used = 1 + sum(w + 3 for w in shown.values())  # "│ value │": 3 characters of border a column
    for column in columns:
        if column in shown:
            continue
        natural = max(MIN_WIDTH, _width(records, column, cap))
        room = width - used - 3
        if natural <= room or room >= SQUEEZE_TO:
            shown[column] = min(natural, room)
            used += shown[column] + 3
    return {c: shown[c] for c in [*lead, *(c for c in columns if c in shown and c not in lead)]}


def print_table(records: list[dict[str, Any]], title: str | None = None, console: Console | None = None,
                max_width: int = 40, keys: list[str] | None = None) -> None:
    """Records as a table: the key and name columns first, then as many columns as the terminal holds,
    and a note of how many were left out. A few records that do not fit print one per block instead."""
    console = console or stdout_console()
    all_columns = list(records[0]) if records else []
    lead = lead_columns(all_columns, keys)
    rest = [c for c in all_columns if c not in lead]
    # columns that say something (not all empty, zero or false) come before those that do not
    filled = [c for c in rest if any(cell(r.get(c)) not in ("", "0", "0.0", "false") for r in records)]
    ordered = [*lead, *filled, *(c for c in rest if c not in filled)]
    columns = fit_columns(records, ordered, lead, console.width, max_width)
    left_out = len(all_columns) - len(columns)
    if left_out and 0 < len(records) <= BLOCKS_UP_TO:
        print_blocks(records, ordered, title, console)
        return
    table = Table(title=Text(title) if title else None, show_lines=False, header_style="bold")
    for column, width in columns.items():
        table.add_column(Text(column), overflow="ellipsis", max_width=width, no_wrap=True, min_width=width)
    for record in records:
        table.add_row(*(Text(cell(record.get(c))) for c in columns))
    console.print(table)
    if left_out:
        note = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)
        note.print(f"{left_out} of {len(all_columns)} columns left out to fit {console.width} columns; "
                   "--columns picks them, --format json shows all.", style="dim")


def print_blocks(records: list[dict[str, Any]], columns: list[str], title: str | None, console: Console) -> None:
    """One record per block, `Field: value` a line, empty fields left out (and counted)."""
    if title:
        console.print(Text(title, style="bold"))
    label = max((len(c) for c in columns), default=0)
    room = max(10, console.width - label - 2)
    for number, record in enumerate(records, 1):
        console.print(Text(f"── {number} ──", style="dim"))
        empty = 0
        for column in columns:
            value = cell(record.get(column))
            if not value:
                empty += 1
                continue
            if len(value) > room:
                value = value[: room - 1] + "…"
            console.print(Text(f"{column:<{label}}  {value}"), no_wrap=True, overflow="ellipsis")
        if empty:
            console.print(Text(f"({empty} empty field(s) left out)", style="dim"))
