"""SQL destinations of the mirror: SQLite (stdlib), PostgreSQL (psycopg 3) and DuckDB.

A thin layer over each DB-API driver rather than SQLAlchemy: the loader's hot path is a
prepared `INSERT ... ON CONFLICT DO UPDATE` run with `executemany` (on DuckDB, whose bound
parameters are slow, one JSON text per few thousand rows, cast to the columns' types), and the
schema work needs only CREATE, ALTER and a look at the catalog tables. (duckdb-engine's
reflection fails against DuckDB 2.0 with SQLAlchemy 2.1, which settled it.)

Every dialect answers the same questions: which tables and columns exist, with which types
and primary key; how to create, add, widen; how to write rows. Values arrive DB-ready from
`converters`, built once per column.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from scorolink.errors import ConfigError
from scorolink.files import made_private, private_file
from scorolink.replicate.schema import Column, Table

SCHEMES = ("sqlite", "postgresql", "duckdb")

# Narrow to wide: a column only ever moves right (or to string), so no value is lost.
_NUMERIC_RANK = {"boolean": 0, "int": 1, "integer": 2, "decimal": 3}
_TEMPORAL_RANK = {"date": 0, "datetime": 1}


def widest(existing: str, wanted: str) -> str:
    """The type that holds both an existing column's values and the values now arriving."""
    if existing == wanted:
        return existing
    if existing in _NUMERIC_RANK and wanted in _NUMERIC_RANK:
        return max(existing, wanted, key=_NUMERIC_RANK.__getitem__)
    if existing in _TEMPORAL_RANK and wanted in _TEMPORAL_RANK:
        return max(existing, wanted, key=_TEMPORAL_RANK.__getitem__)
    if existing == "binary" or wanted == "binary":
        return "binary" if existing == wanted else "string"
    return "string"


def _json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (list, dict)):
        return _json(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _string(value: Any) -> Any:
    return value if value is None or type(value) is str else _text(value)


def _json_text(value: Any) -> Any:
    return None if value is None else _json(value)


def _decimal_text(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _date_text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _utc_text(value: Any) -> Any:
    """ISO 8601 in UTC with its offset ('2024-04-16 10:26:54+00:00'), which SQLite's date functions read."""
    if value is None:
        return None
    if type(value) is datetime and value.tzinfo is UTC:
        return value.isoformat(" ")
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _bool_int(value: Any) -> Any:
    return int(value) if type(value) is bool else value


class _DayText(dict[int, str]):
    """'YYYY-MM-DD ' by proleptic ordinal, filled on first use: a mirror's dates repeat a lot."""

    def __missing__(self, ordinal: int) -> str:
        text = self[ordinal] = date.fromordinal(ordinal).isoformat() + " "
        return text


_DAY_TEXT = _DayText()
_HOUR_MINUTE_TEXT = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
_SECOND_TEXT = tuple(f"{s:02d}+00:00" for s in range(60))

# Converters the row builder writes out inline for the common case, calling the converter ({c})
# only for the rest: a template over the value ({v}, never None there) and the names it uses.
INLINE: dict[Callable[[Any], Any], tuple[str, dict[str, Any]]] = {
    _string: ("{v} if type({v}) is str else {c}({v})", {}),
    # Whole-second UTC datetimes, the usual case, are put together from three small tables of text:
    # the same text as isoformat(" ") ('2024-04-16 10:26:54+00:00') in a fifth of the time, which
    # matters with half a dozen datetimes per record.
    _utc_text: ("(_day_text[{v}.toordinal()] + _hm_text[{v}.hour * 60 + {v}.minute] + _s_text[{v}.second]) "
                "if type({v}) is _dt and {v}.tzinfo is _UTC and not {v}.microsecond else {c}({v})",
                {"_dt": datetime, "_UTC": UTC, "_day_text": _DAY_TEXT, "_hm_text": _HOUR_MINUTE_TEXT,
                 "_s_text": _SECOND_TEXT}),
    _decimal_text: ("str({v}) if type({v}) is _Decimal else {c}({v})", {"_Decimal": Decimal}),
    # sqlite3 binds exact ints directly but sends a bool through its adapter lookup, about 0.6 µs a
    # value; as 0/1 (what SQLite stores either way) a 33-column row with six flags inserts 40 % faster.
    _bool_int: ("(1 if {v} else 0) if type({v}) is bool else {c}({v})", {}),
}


class Destination:
    """One open database. Not thread-safe: the replication engine serialises writes."""

    scheme = ""
    param = "?"
    types: dict[str, str] = {}
    supports_foreign_keys = True
    supports_indexes = True

    def __init__(self, url: str, conn: Any):
        self.url = url
        self.conn = conn

    # -- naming -----------------------------------------------------------------------------------
    @staticmethod
    def q(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def sql_type(self, logical: str) -> str:
        return self.types[logical]

    def logical_type(self, declared: str) -> str:
        """Map a declared column type back to our logical types (unknown types count as string)."""
        d = declared.lower()
        for logical, decl in self.types.items():
            if decl.lower() == d:
                return logical
        return "string"

    # -- statements -------------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        cur = self.conn.cursor()
        cur.execute(sql, params)
        return cur

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.conn.cursor().executemany(sql, rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.execute(sql, params).fetchall())

    def prepare_writes(self) -> None:
        """Called once the mirror's checks passed, before its first write: a refused destination is
        left exactly as it was (SQLite is switched to WAL only here)."""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.begin()
        try:
            yield
        except BaseException:
            self.conn.rollback()
            raise
        else:
            self.conn.commit()

    def begin(self) -> None:
        pass  # drivers open a transaction implicitly

    def close(self) -> None:
        self.conn.close()

    def analyze(self, table: str) -> None:
        """Refresh planner statistics where a growing table would otherwise be planned as empty."""

    # -- introspection ----------------------------------------------------------------------------
    def tables(self) -> set[str]:
        return {r[0] for r in self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}

    def columns(self, table: str) -> dict[str, str]:
        """Existing columns: name → declared type."""
        return {r[0]: r[1] for r in self.query(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() "
            f"AND table_name = {self.param} ORDER BY ordinal_position", (table,))}

    def primary_key(self, table: str) -> tuple[str, ...]:
        raise NotImplementedError

    def foreign_key_count(self, table: str) -> int:
        return 0

    # -- DDL ----------------------------------------------------------------------------------------
    def column_ddl(self, col: Column) -> str:
        return f"{self.q(col.name)} {self.sql_type(col.type)}" + ("" if col.nullable else " NOT NULL")

    inline_foreign_keys = True  # declared in CREATE TABLE; False: added after each load instead

    def create_table(self, table: Table, with_foreign_keys: bool) -> None:
        parts = [self.column_ddl(c) for c in table.columns]
        parts.append(f"PRIMARY KEY ({', '.join(map(self.q, table.primary_key))})")
        if with_foreign_keys and self.inline_foreign_keys:
            parts += [self.foreign_key_ddl(table, i) for i in range(len(table.foreign_keys))]
        self.execute(f"CREATE TABLE {self.q(table.name)} ({', '.join(parts)})")

    def foreign_key_ddl(self, table: Table, i: int) -> str:
        fk = table.foreign_keys[i]
        return (f"CONSTRAINT {self.q(fk_name(table, i))} FOREIGN KEY ({', '.join(map(self.q, fk.columns))}) "
                f"REFERENCES {self.q(fk.table)} ({', '.join(map(self.q, fk.ref_columns))})")

    def create_indexes(self, table: Table) -> None:
        if not self.supports_indexes:
            return
        for cols in table.unique:
            name = index_name(table.name, cols, "uq")
            self.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {self.q(name)} ON {self.q(table.name)} "
                         f"({', '.join(map(self.q, cols))})")
        for cols in table.indexes:
            name = index_name(table.name, cols, "ix")
            self.execute(f"CREATE INDEX IF NOT EXISTS {self.q(name)} ON {self.q(table.name)} "
                         f"({', '.join(map(self.q, cols))})")

    def drop_indexes(self, table: Table) -> None:
        """Drop the relation indexes `create_indexes` makes (not the unique ones, which keys reference)."""
        for cols in table.indexes:
            self.execute(f"DROP INDEX IF EXISTS {self.q(index_name(table.name, cols, 'ix'))}")

    def add_column(self, table: str, col: Column) -> None:
        col = Column(col.name, col.type)  # added columns are nullable: existing rows have no value
        self.execute(f"ALTER TABLE {self.q(table)} ADD COLUMN {self.column_ddl(col)}")

    def widen_column(self, table: str, column: str, logical: str) -> bool:
        """Change a column's declared type; False when the database needs no change to hold the values."""
        raise NotImplementedError

    def missing_foreign_keys(self, table: Table) -> list[int]:
        raise NotImplementedError

    def add_foreign_keys_by_rebuild(self, table: Table, missing: list[int]) -> None:
        """Only for destinations that declare foreign keys inline (inline_foreign_keys True)."""
        raise NotImplementedError

    def drop_foreign_keys(self, table: str) -> None:
        """Only for destinations that declare foreign keys after loading (inline_foreign_keys False)."""
        raise NotImplementedError

    def add_foreign_keys(self, table: Table) -> None:
        raise NotImplementedError

    # -- writing ----------------------------------------------------------------------------------------
    def upsert_sql(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        cols = ", ".join(map(self.q, columns))
        marks = ", ".join([self.param] * len(columns))
        updates = ", ".join(f"{self.q(c)} = excluded.{self.q(c)}" for c in columns if c not in key)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        return (f"INSERT INTO {self.q(table)} ({cols}) VALUES ({marks}) "
                f"ON CONFLICT ({', '.join(map(self.q, key))}) {action}")

    def insert_sql(self, table: str, columns: Sequence[str]) -> str:
        return (f"INSERT INTO {self.q(table)} ({', '.join(map(self.q, columns))}) "
                f"VALUES ({', '.join([self.param] * len(columns))})")

    IN_CHUNK = 400  # keys per in_list(): well under every driver's parameter limit

    def in_list(self, keys: Sequence[str]) -> tuple[str, list[Any]]:
        """`IN (...)` over text keys, and its parameters."""
        return "(" + ", ".join([self.param] * len(keys)) + ")", list(keys)

    def upsert(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run an insert or upsert statement over many rows."""
        self.executemany(sql, rows)

    def converter(self, logical: str) -> Callable[[Any], Any] | None:
        """None means the driver takes the canonical value as it is."""
        if logical == "json":
            return _json_text
        if logical == "string" or logical == "time":
            return _string
        return None


def fk_name(table: Table, i: int) -> str:
    return index_name(table.name, table.foreign_keys[i].columns + (table.foreign_keys[i].table,), "fk")


def index_name(table: str, cols: Sequence[str], prefix: str) -> str:
    name = f"{prefix}_{table}_{'_'.join(cols)}"
    if len(name) > 60:  # PostgreSQL truncates identifiers at 63 bytes; keep names unique and stable
        name = name[:50] + "_" + hashlib.blake2b(name.encode(), digest_size=4).hexdigest()
    return name


class SQLiteDestination(Destination):
    scheme = "sqlite"
    types = {"integer": "INTEGER", "int": "INT", "decimal": "NUMERIC", "string": "TEXT", "time": "TEXT", "boolean": "BOOLEAN",
             "date": "DATE", "datetime": "DATETIME", "json": "TEXT", "binary": "BLOB"}

    def prepare_writes(self) -> None:
        self.execute("PRAGMA journal_mode=WAL")

    def begin(self) -> None:
        self.conn.execute("BEGIN")

    def tables(self) -> set[str]:
        return {r[0] for r in self.query("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def columns(self, table: str) -> dict[str, str]:
        return {r[1]: r[2] for r in self.query(f"PRAGMA table_info({self.q(table)})")}

    def primary_key(self, table: str) -> tuple[str, ...]:
        rows = sorted((r[5], r[1]) for r in self.query(f"PRAGMA table_info({self.q(table)})") if r[5])
        return tuple(name for _, name in rows)

    def foreign_key_count(self, table: str) -> int:
        return len(self.query(f"PRAGMA foreign_key_list({self.q(table)})"))

    def create_indexes(self, table: Table) -> None:
        # An index built over a loaded table sorts every row; the sorter may use as much memory as the
        # page cache, so shrink the cache while it runs (a 1M-invoice first load peaked at 205 MB).
        self.execute("PRAGMA cache_size=-16384")
        try:
            super().create_indexes(table)
        finally:
            self.execute(f"PRAGMA cache_size={SQLITE_CACHE_KB}")

    IN_CHUNK = 5000

    def in_list(self, keys: Sequence[str]) -> tuple[str, list[Any]]:
        # One JSON array instead of a parameter per key: half the time for keys that exist.
        return "(SELECT value FROM json_each(?))", [_json(list(keys))]

    def missing_foreign_keys(self, table: Table) -> list[int]:
        """Indexes into `table.foreign_keys` of the constraints the existing table lacks."""
        have: dict[int, list[tuple[str, str, str]]] = {}
        for r in self.query(f"PRAGMA foreign_key_list({self.q(table.name)})"):
            have.setdefault(r[0], []).append((r[2], r[3], r[4]))  # id → (ref table, column, ref column)
        existing = {(refs[0][0].lower(), tuple(c.lower() for _, c, _ in refs), tuple((rc or "").lower()
                     for _, _, rc in refs)) for refs in have.values()}
        return [i for i, fk in enumerate(table.foreign_keys)
                if (fk.table.lower(), tuple(c.lower() for c in fk.columns),
                    tuple(c.lower() for c in fk.ref_columns)) not in existing]

    def add_foreign_keys_by_rebuild(self, table: Table, missing: list[int]) -> None:
        """SQLite has no ALTER TABLE ... ADD CONSTRAINT: make the table again with the constraints and
        move the rows over (SQLite's own recipe: create, copy, drop, rename), inside the caller's
        transaction. The new table is the old one's own CREATE statement with the constraints
        appended, so columns added over time, their types and order, and the key stay as they were;
        its indexes and triggers are made again from their stored statements."""
        name = table.name
        stored = self.query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        create = stored[0][0].rstrip().rstrip(";").rstrip()
        if not create.endswith(")") or "(" not in create:
            raise ConfigError(f"Cannot add foreign keys to SQLite table {name}: its definition could not be read.")
        others = [sql for (sql,) in self.query(
            "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ? AND sql IS NOT NULL "
            "ORDER BY type, name", (name,))]
        temp = f"{name}__scorolink_rebuild"
        body = create[create.index("("):-1]
        constraints = ", ".join(self.foreign_key_ddl(table, i) for i in missing)
        self.execute(f"DROP TABLE IF EXISTS {self.q(temp)}")
        self.execute(f"CREATE TABLE {self.q(temp)} {body}, {constraints})")
        self.execute(f"INSERT INTO {self.q(temp)} SELECT * FROM {self.q(name)}")
        self.execute(f"DROP TABLE {self.q(name)}")
        # Legacy mode: the rename leaves views and triggers of other tables alone instead of re-checking them.
        self.execute("PRAGMA legacy_alter_table = ON")
        try:
            self.execute(f"ALTER TABLE {self.q(temp)} RENAME TO {self.q(name)}")
        finally:
            self.execute("PRAGMA legacy_alter_table = OFF")
        for sql in others:
            self.execute(sql)

    def widen_column(self, table: str, column: str, logical: str) -> bool:
        # SQLite stores any value in any column; the declared type only guides affinity, and
        # changing it needs a table rebuild that buys nothing here. Values are never lost.
        return False

    def converter(self, logical: str) -> Callable[[Any], Any] | None:
        if logical == "decimal":
            return _decimal_text
        if logical == "date":
            return _date_text
        if logical == "datetime":
            return _utc_text
        if logical == "boolean":
            return _bool_int
        return super().converter(logical)


class PostgresDestination(Destination):
    scheme = "postgresql"
    param = "%s"
    types = {"integer": "BIGINT", "int": "INTEGER", "decimal": "NUMERIC", "string": "TEXT", "time": "TEXT", "boolean": "BOOLEAN",
             "date": "DATE", "datetime": "TIMESTAMPTZ", "json": "JSONB", "binary": "BYTEA"}
    _declared = {"bigint": "integer", "integer": "int", "numeric": "decimal", "text": "string",
                 "boolean": "boolean", "date": "date", "timestamp with time zone": "datetime", "jsonb": "json",
                 "bytea": "binary", "character varying": "string"}
    inline_foreign_keys = False  # added NOT VALID after each load: mirror.finish()

    def logical_type(self, declared: str) -> str:
        return self._declared.get(declared.lower(), "string")

    def primary_key(self, table: str) -> tuple[str, ...]:
        return tuple(r[0] for r in self.query(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(%s) AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)", (self.q(table),)))

    def foreign_key_count(self, table: str) -> int:
        return int(self.query("SELECT count(*) FROM pg_constraint WHERE conrelid = to_regclass(%s) "
                              "AND contype = 'f'", (self.q(table),))[0][0])

    def widen_column(self, table: str, column: str, logical: str) -> bool:
        c, target = self.q(column), self.sql_type(logical)
        existing = self.logical_type(self.columns(table).get(column, "text"))
        using = f"{c}::int::{target}" if existing == "boolean" and logical != "string" else f"{c}::{target}"
        self.execute(f"ALTER TABLE {self.q(table)} ALTER COLUMN {c} TYPE {target} USING {using}")
        return True

    def converter(self, logical: str) -> Callable[[Any], Any] | None:
        if logical == "json":
            from psycopg.types.json import Jsonb

            return lambda v: None if v is None else Jsonb(v, dumps=_json)
        return super().converter(logical)

    IN_CHUNK = 5000

    def in_list(self, keys: Sequence[str]) -> tuple[str, list[Any]]:
        return "(SELECT unnest(%s::text[]))", [list(keys)]

    def insert_sql(self, table: str, columns: Sequence[str]) -> str:
        # Rows known to be new go in with COPY: several times cheaper per row than INSERT.
        return f"COPY {self.q(table)} ({', '.join(map(self.q, columns))}) FROM STDIN"

    def upsert(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not sql.startswith("COPY "):
            return super().upsert(sql, rows)
        if rows:
            with self.conn.cursor() as cur, cur.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        return None

    def analyze(self, table: str) -> None:
        # Without statistics the per-batch hash lookup scans the whole account (measured: 9.3k → 1.0k
        # records/s between 5k and 100k rows). Called between batches, outside their transactions.
        self.execute(f"ANALYZE {self.q(table)}")
        self.conn.commit()

    def drop_foreign_keys(self, table: str) -> None:
        for (name,) in self.query("SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) "
                                  "AND contype = 'f'", (self.q(table),)):
            self.execute(f"ALTER TABLE {self.q(table)} DROP CONSTRAINT {self.q(name)}")

    def add_foreign_keys(self, table: Table) -> None:
        for i in range(len(table.foreign_keys)):
            # NOT VALID: declared for tools and the ERD, never checked against Scoro's data, which
            # references purged records and uses 0 for "none".
            self.execute(f"ALTER TABLE {self.q(table.name)} ADD {self.foreign_key_ddl(table, i)} NOT VALID")


def _duckdb_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()  # BLOB columns read it back with unhex()
    return str(value)  # Decimal, datetime, date: their text is what DuckDB's casts read


_duckdb_json = json.JSONEncoder(default=_duckdb_default, ensure_ascii=False, separators=(",", ":")).encode


class DuckDBDestination(Destination):
    scheme = "duckdb"
    types = {"integer": "BIGINT", "int": "INTEGER", "decimal": "DECIMAL(38,10)", "string": "VARCHAR", "time": "VARCHAR",
             "boolean": "BOOLEAN", "date": "DATE", "datetime": "TIMESTAMP WITH TIME ZONE", "json": "JSON",
             "binary": "BLOB"}
    supports_foreign_keys = False  # DuckDB cannot update a row another table references
    supports_indexes = False  # ART indexes slow bulk upserts; a columnar scan needs none

    def begin(self) -> None:
        self.conn.execute("BEGIN TRANSACTION")

    def primary_key(self, table: str) -> tuple[str, ...]:
        rows = self.query("SELECT constraint_column_names FROM duckdb_constraints() "
                          "WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'", (table,))
        return tuple(rows[0][0]) if rows else ()

    def logical_type(self, declared: str) -> str:
        d = declared.upper()
        if d.startswith("DECIMAL"):
            return "decimal"
        if d.startswith("TIMESTAMP"):
            return "datetime"
        return {"BIGINT": "integer", "INTEGER": "int", "VARCHAR": "string", "BOOLEAN": "boolean",
                "DATE": "date", "JSON": "json", "BLOB": "binary"}.get(d, "string")

    def widen_column(self, table: str, column: str, logical: str) -> bool:
        self.execute(f"ALTER TABLE {self.q(table)} ALTER {self.q(column)} TYPE {self.sql_type(logical)}")
        return True

    # Rows travel as one JSON text per statement, unnested and cast to the columns' types by DuckDB:
    # bound parameters cost about 0.2 ms per row in DuckDB 2.0 (measured: 1.7k rows/s for multi-row
    # VALUES, a few hundred for executemany); parsed once into lists of text and cast, about 13k rows/s.
    ROWS_PER_STATEMENT = 5000

    def insert_sql(self, table: str, columns: Sequence[str]) -> str:
        return f"INSERT INTO {self.q(table)} ({', '.join(map(self.q, columns))}) {self._from_json(table, columns)}"

    def upsert_sql(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        updates = ", ".join(f"{self.q(c)} = excluded.{self.q(c)}" for c in columns if c not in key)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        return f"{self.insert_sql(table, columns)} ON CONFLICT ({', '.join(map(self.q, key))}) {action}"

    def _from_json(self, table: str, columns: Sequence[str]) -> str:
        declared = {name.lower(): decl for name, decl in self.columns(table).items()}
        casts = []
        for i, col in enumerate(columns):
            decl = declared.get(col.lower(), "VARCHAR")
            value = f"r[{i + 1}]"
            casts.append(f"unhex({value})" if decl.upper() == "BLOB" else f"CAST({value} AS {decl})")
        # One parse into lists of text (JSON null → NULL), then a cast per column.
        return f"SELECT {', '.join(casts)} FROM (SELECT unnest(from_json(?, '[[\"VARCHAR\"]]')) AS r)"

    IN_CHUNK = 5000

    def in_list(self, keys: Sequence[str]) -> tuple[str, list[Any]]:
        return "(SELECT unnest(from_json(?, '[\"VARCHAR\"]')))", [_json(list(keys))]

    def upsert(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        for start in range(0, len(rows), self.ROWS_PER_STATEMENT):
            payload = _duckdb_json(rows[start:start + self.ROWS_PER_STATEMENT])
            self.conn.execute(sql, [payload])

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        # Not conn.cursor(): a DuckDB cursor is a second connection with its own transaction.
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            self.conn.execute(sql, row)


def open_destination(url: str) -> Destination:
    """Open a destination by URL, with errors that say what to fix before any data moves."""
    scheme = urlsplit(url).scheme.split("+")[0].lower()
    if scheme in ("postgres", "postgresql"):
        return _open_postgres(url)
    if scheme == "sqlite":
        return _open_sqlite(url, *_sqlite_target(url))
    if scheme == "duckdb":
        return _open_duckdb(url, _file_path(url, "duckdb"))
    raise ConfigError(f"Destination {url!r} has an unsupported scheme {scheme or '(none)'!r}. Use "
                      "sqlite:///path/file.db, postgresql://user@host/db or duckdb:///path/file.duckdb.")


def _file_path(url: str, scheme: str) -> str:
    rest = url.split("://", 1)[1] if "://" in url else ""
    if not rest.startswith("/") or rest == "/":
        raise ConfigError(f"Destination {url!r} names no file. Use {scheme}:///relative.db or "
                          f"{scheme}:////absolute/path.db.")
    if rest[1:] == ":memory:":
        raise ConfigError(f"Destination {url!r} is a database in memory, gone when the command ends: nothing "
                          f"would be kept. Give a file, e.g. {scheme}:///scoro.db.")
    return rest[1:]


def _sqlite_target(url: str) -> tuple[str, dict[str, str]]:
    """The file of a SQLite URL and its URI parameters (`?mode=ro`), which are not part of the name."""
    return _file_path(url.split("?", 1)[0], "sqlite"), dict(parse_qsl(url.partition("?")[2]))


def _check_writable_file(url: str, path: str) -> None:
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ConfigError(f"Destination {url!r}: folder {parent} does not exist; create it first.")
    target = p if p.exists() else parent
    if not os.access(target, os.W_OK):
        raise ConfigError(f"Destination {url!r} is read-only ({target} is not writable); choose a writable "
                          "file or fix its permissions.")


SQLITE_CACHE_KB = -65536  # 64 MB (negative: KiB): index pages of a growing mirror stay in memory


def _open_sqlite(url: str, path: str, params: dict[str, str] | None = None) -> Destination:
    if (params or {}).get("mode") == "ro":
        raise ConfigError(f"Destination {url!r} asks for read-only access (?mode=ro): a mirror is written to. "
                          "Drop ?mode=ro here; `scorolink query --replica` reads a mirror read-only.")
    _check_writable_file(url, path)
    private_file(path)  # a new mirror is the user's alone (0600); an existing file keeps its mode
    try:
        conn = sqlite3.connect(f"file:{quote(path)}?{urlencode(params)}" if params else path,
                               isolation_level=None, check_same_thread=False, uri=bool(params))
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA cache_size={SQLITE_CACHE_KB}")
        # temp_store stays FILE: building the relation indexes after a first load sorts every row, and
        # in memory that sort took a 1M-invoice load from 150 to 300 MB.
    except sqlite3.Error as exc:
        raise ConfigError(f"Cannot open SQLite destination {url!r}: {exc}.") from exc
    return SQLiteDestination(url, _SQLiteConn(conn))


class _SQLiteConn:
    """sqlite3 in autocommit mode with explicit BEGIN, so DDL is transactional too."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def cursor(self) -> sqlite3.Cursor:
        return self._conn.cursor()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, params)

    def commit(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")

    def rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def close(self) -> None:
        self._conn.close()


def _open_postgres(url: str) -> Destination:
    try:
        import psycopg
    except ImportError as exc:
        raise ConfigError("PostgreSQL destinations need psycopg: pip install 'scorolink[postgres]'.") from exc
    try:
        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=10)
    except psycopg.Error as exc:
        raise ConfigError(f"Cannot reach PostgreSQL destination {_redact(url)}: {str(exc).strip()}") from exc
    dest = PostgresDestination(url, conn)
    try:
        readonly = dest.query("SHOW transaction_read_only")[0][0] == "on"
        can_create = dest.query("SELECT has_schema_privilege(current_schema(), 'CREATE')")[0][0]
    finally:
        conn.rollback()
    if readonly or not can_create:
        conn.close()
        raise ConfigError(f"PostgreSQL destination {_redact(url)} is read-only for this user (cannot create "
                          "tables in its schema); grant CREATE or use another database.")
    return dest


def _open_duckdb(url: str, path: str) -> Destination:
    try:
        import duckdb
    except ImportError as exc:
        raise ConfigError("DuckDB destinations need duckdb: pip install 'scorolink[duckdb]'.") from exc
    _check_writable_file(url, path)
    existed = os.path.exists(path)
    try:
        conn = duckdb.connect(path)
    except duckdb.Error as exc:
        raise ConfigError(f"Cannot open DuckDB destination {url!r}: {exc}.") from exc
    made_private(path, existed)
    return DuckDBDestination(url, conn)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
