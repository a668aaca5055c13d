"""Presenting canonical records: JSON, CSV and Rich tables share one value formatting."""

from __future__ import annotations

import base64
import csv
import itertools
import json
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


def write_csv(records: Iterable[dict[str, Any]], out: IO[str], columns: list[str] | None = None) -> int:
    iterator: Iterator[dict[str, Any]] = iter(records)
    first = next(iterator, None)
    header = columns or (list(first) if first else [])
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    if first is not None:
        for record in itertools.chain((first,), iterator):
            writer.writerow([cell(record.get(c)) for c in header])
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
