"""Rows to import: a CSV file or a database table, each row numbered for the reports.

Reading problems that concern the whole source (encoding, delimiter, header) stop before any row
is sent, with a message that says what to pass or fix; the rows themselves stream, so a file of a
million rows costs no more memory than a file of ten.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scorolink import output
from scorolink.errors import ConfigError, InvalidInput, UnknownName

DELIMITERS = (",", ";", "\t", "|")
# Python's csv module stops a whole file at a 128 KiB cell. Cells up to PARSE_LIMIT are read; a
# row with a cell over CELL_LIMIT is rejected alone, naming the column, its size and the limit.
CELL_LIMIT = 10 * 1024 * 1024
PARSE_LIMIT = 64 * 1024 * 1024
csv.field_size_limit(max(csv.field_size_limit(), PARSE_LIMIT))
# Columns a report adds (errors and results files); ignored on import so a fixed errors file can
# be imported again as it is.
REPORT_PREFIX = "scorolink_"


@dataclass
class SourceRow:
    number: int  # 1-based data row, as the reports name it
    line: int  # line of the file where the row starts (the header is line 1); 0 for tables
    values: dict[str, Any]


class Source:
    """What the importer reads: a header and numbered rows."""

    label: str
    header: list[str]

    def rows(self) -> Iterator[SourceRow]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class CsvSource(Source):
    """A CSV file. Cells that scorolink's CSV writer escaped against formulas (`'=x`) are read back
    as they were (`=x`) unless `unescape` is False (`--no-csv-escape`)."""

    def __init__(self, path: Path, *, encoding: str = "utf-8", delimiter: str | None = None,
                 unescape: bool | None = None) -> None:
        self.path = path
        self.label = str(path)
        self.unescape = output.csv_escape_default() if unescape is None else unescape
        if not path.is_file():
            raise InvalidInput(f"Cannot read {path}: no such file.")
        self.encoding = _codec(encoding)
        self._check_encoding()
        first = self._first_line()
        if not first.strip():
            raise InvalidInput(f"{path} is empty; the first line must be a header of field names, e.g. Id,Name.")
        self.delimiter = delimiter or _sniff_delimiter(first)
        header = next(csv.reader([first], delimiter=self.delimiter))
        self.header = _check_header(self._cells(header), path, self.delimiter, first)

    def _cells(self, cells: list[str]) -> list[str]:
        return [output.unescape_cell(c) for c in cells] if self.unescape else cells

    def _check_encoding(self) -> None:
        """Decode the whole file once, incrementally, so a bad byte on line 900,000 is found before
        row 1 is sent, and named with its line."""
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="strict")
        line = 1
        with self.path.open("rb") as raw:
            while chunk := raw.read(1 << 20):
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    line += chunk[:exc.start].count(b"\n")
                    raise InvalidInput(
                        f"{self.path} is not valid {self.encoding} (byte 0x{chunk[exc.start]:02x} near line {line}). "
                        "Save it as UTF-8, or pass --encoding with the file's encoding (e.g. --encoding cp1252)."
                    ) from exc
                line += text.count("\n")

    def _first_line(self) -> str:
        with self.path.open(encoding=self.encoding, newline="") as f:
            return f.readline().lstrip("\ufeff")

    def rows(self) -> Iterator[SourceRow]:
        with self.path.open(encoding=self.encoding, newline="") as f:
            reader = csv.reader(f, delimiter=self.delimiter, strict=True)
            next(reader, None)
            width = len(self.header)
            number = 0
            start = reader.line_num + 1
            try:
                for cells in reader:
                    if not cells or all(not c.strip() for c in cells):
                        start = reader.line_num + 1
                        continue  # blank lines are not rows
                    number += 1
                    values: dict[str, Any] = dict(zip(self.header, self._cells(cells), strict=False))
                    if len(cells) != width:
                        values = {"__shape__": f"has {len(cells)} cells but the header has {width}", **values}
                    long = [(h, len(v)) for h, v in values.items() if isinstance(v, str) and len(v) > CELL_LIMIT]
                    if long:
                        column, size = long[0]
                        values = {"__shape__": f"has a cell of {size:,} characters in column {column}, over the "
                                               f"limit of {CELL_LIMIT:,} per cell", **{k: "" for k in values}}
                    yield SourceRow(number, start, values)
                    start = reader.line_num + 1
            except csv.Error as exc:
                if "field limit" in str(exc):
                    raise InvalidInput(f"{self.path} line {reader.line_num}: a cell is over {PARSE_LIMIT:,} "
                                       "characters, more than a CSV cell can hold here (cells over "
                                       f"{CELL_LIMIT:,} reject their row only); split or shorten it.") from exc
                raise InvalidInput(f"{self.path} line {reader.line_num}: {exc}. Check the quoting of that line "
                                   "(a quote inside a cell is written twice: \"\").") from exc


def _codec(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError as exc:
        raise ConfigError(f"--encoding {encoding!r} is not an encoding Python knows; try utf-8, utf-8-sig, "
                          "cp1252 or latin-1.") from exc
    return "utf-8-sig" if name == "utf-8" else name  # a BOM is not part of the first column's name


def _sniff_delimiter(first: str) -> str:
    counts = {d: next(csv.reader([first], delimiter=d)).__len__() for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 1 else ","


def _check_header(header: list[str], path: Path, delimiter: str, first: str) -> list[str]:
    names = [h.strip() for h in header]
    if len(names) == 1:
        for other in DELIMITERS:
            if other != delimiter and other in first:
                raise InvalidInput(f"{path}: the header is one column {names[0][:60]!r} split by "
                                   f"{other!r}; pass --delimiter {other!r}.")
    blank = [i + 1 for i, n in enumerate(names) if not n]
    if blank:
        raise InvalidInput(f"{path}: header column(s) {', '.join(map(str, blank))} have no name; every column "
                           "needs a field name in the first line.")
    seen: dict[str, str] = {}
    dupes = []
    for name in names:
        if name.lower() in seen:
            first = seen[name.lower()]
            dupes.append(name if name == first else f"{name} (same as {first})")
        seen.setdefault(name.lower(), name)
    if dupes:
        raise InvalidInput(f"{path}: duplicate header column(s) {', '.join(dupes)}; field names ignore case and "
                           "each may appear once (rename or remove the extra column).")
    return names


# -- database tables -------------------------------------------------------------------------------
class SqlSource(Source):
    """Rows of one table of SQLite, PostgreSQL or DuckDB, streamed in batches."""

    BATCH = 1000

    def __init__(self, url: str, table: str) -> None:
        self.url = url
        self.label = f"{_redact(url)} table {table}"
        scheme = urlsplit(url).scheme.split("+")[0].lower()
        self.conn, self.paramstyle = _connect(url, scheme)
        tables = self._tables(scheme)
        lowered = {t.lower(): t for t in tables}
        if table.lower() not in lowered:
            self.close()
            raise UnknownName("table", table, tables, where=_redact(url))
        self.table = lowered[table.lower()]
        cur = self.conn.cursor()
        cur.execute(f"SELECT * FROM {_quote(self.table)} WHERE 1 = 0")
        self.header = [d[0] for d in cur.description]
        cur.close()

    def _tables(self, scheme: str) -> list[str]:
        cur = self.conn.cursor()
        if scheme == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
        else:
            cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        names = [r[0] for r in cur.fetchall()]
        cur.close()
        return names

    def rows(self) -> Iterator[SourceRow]:
        cur = self.conn.cursor()
        cur.execute(f"SELECT * FROM {_quote(self.table)}")
        number = 0
        while batch := cur.fetchmany(self.BATCH):
            for row in batch:
                number += 1
                yield SourceRow(number, 0, dict(zip(self.header, row, strict=True)))
        cur.close()

    def close(self) -> None:
        self.conn.close()


def _connect(url: str, scheme: str) -> tuple[Any, str]:
    if scheme == "sqlite":
        import sqlite3

        path = _file_of(url)
        if not Path(path).is_file():
            raise ConfigError(f"--from-sql {url!r}: no such SQLite file {path}.")
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True), "qmark"
    if scheme == "duckdb":
        import duckdb

        path = _file_of(url)
        if not Path(path).is_file():
            raise ConfigError(f"--from-sql {url!r}: no such DuckDB file {path}.")
        return duckdb.connect(path, read_only=True), "qmark"
    if scheme in ("postgres", "postgresql"):
        try:
            import psycopg
        except ImportError as exc:
            raise ConfigError("Reading PostgreSQL needs psycopg: pip install 'scorolink[postgres]'.") from exc
        try:
            return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=10), "format"
        except psycopg.Error as exc:
            raise ConfigError(f"Cannot reach {_redact(url)}: {str(exc).strip()}") from exc
    raise ConfigError(f"--from-sql {url!r} has an unsupported scheme; use sqlite:///file.db, "
                      "postgresql://user@host/db or duckdb:///file.duckdb.")


def _file_of(url: str) -> str:
    rest = url.split("://", 1)[1] if "://" in url else ""
    if not rest.startswith("/") or rest == "/":
        raise ConfigError(f"--from-sql {url!r} names no file; write sqlite:///relative.db or sqlite:////abs/path.db.")
    return rest[1:]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _redact(url: str) -> str:
    parts = urlsplit(url)
    return url.replace(f":{parts.password}@", ":***@") if parts.password else url


def open_source(path: str | None, *, from_sql: str | None = None, table: str | None = None,
                encoding: str = "utf-8", delimiter: str | None = None, csv_escape: bool | None = None) -> Source:
    if from_sql:
        if not table:
            raise ConfigError("--from-sql needs --table NAME: the table whose rows to import.")
        if path:
            raise ConfigError("Give either a FILE or --from-sql URL --table NAME, not both.")
        return SqlSource(from_sql, table)
    if not path:
        raise ConfigError("Name the CSV file to import, or use --from-sql URL --table NAME.")
    if delimiter is not None and len(delimiter.encode("unicode_escape").decode()) > 2 and delimiter != "\\t":
        raise ConfigError(f"--delimiter {delimiter!r} must be one character (use '\\t' for tab).")
    return CsvSource(Path(path), encoding=encoding, delimiter="\t" if delimiter == "\\t" else delimiter,
                     unescape=csv_escape)
