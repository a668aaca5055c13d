"""Running a plan: fetch each table reference into the local SQLite engine, then run the statement.

Two sources fill the local tables: `LiveSource` asks Scoro through the connector (pushed
conditions, selected columns, join keys in batches, LIMIT when it is safe), `ReplicaSource`
reads a mirror made by `scorolink replicate`. The statement runs the same way over either.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from scorolink.connectors.base import Condition, Record
from scorolink.connectors.scoro_convert import coerce
from scorolink.errors import InvalidInput, InvalidValue
from scorolink.query.cache import cacheable
from scorolink.query.parse import DIALECT
from scorolink.query.plan import QueryPlan, Ref
from scorolink.query.values import SQL_TYPES, from_sql, to_sql
from scorolink.replicate.state import SETTINGS as SETTINGS_TABLE

LOOKUP_BATCH = 100  # join keys per connector read


class QueryFailed(InvalidInput):
    """The local engine refused the statement (a function it lacks, a column of a derived table...)."""


@cacheable
@dataclass
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    rowcount: int = -1
    requests: int = 0
    by_endpoint: dict[str, int] = field(default_factory=dict)
    cached: bool = False
    notes: list[str] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


class Source(Protocol):
    def load(self, db: sqlite3.Connection, plan: QueryPlan) -> list[str]: ...


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_table(db: sqlite3.Connection, ref: Ref) -> list[str]:
    cols = ref.column_list()
    ddl = ", ".join(f"{quote(c)} {SQL_TYPES[ref.column_type(c)]}" for c in cols)
    db.execute(f"CREATE TEMP TABLE {quote(ref.table)} ({ddl})")
    return cols


def insert_records(db: sqlite3.Connection, ref: Ref, cols: list[str], records: Iterable[Record]) -> None:
    marks = ", ".join("?" for _ in cols)
    db.executemany(f"INSERT INTO {quote(ref.table)} VALUES ({marks})",
                   ([to_sql(r.get(c)) for c in cols] for r in records))


class LiveSource:
    """Fetches from Scoro through the connector."""

    def __init__(self, connector: Any, lookup_limit: int = 50, sizes: dict[str, int] | None = None) -> None:
        self.connector = connector
        self.lookup_limit = lookup_limit
        # rows per object seen by unfiltered scans: a lookup costing more requests than such a scan
        # would is replaced by the scan
        self.sizes = sizes if sizes is not None else {}

    def load(self, db: sqlite3.Connection, plan: QueryPlan) -> list[str]:
        notes: list[str] = []
        fetched: dict[int, list[Record]] = {}
        for ref in plan.order:
            cols = create_table(db, ref)
            records = self.fetch(ref, fetched, notes)
            fetched[id(ref)] = records
            insert_records(db, ref, cols, records)
        return notes

    def fetch(self, ref: Ref, fetched: dict[int, list[Record]], notes: list[str]) -> list[Record]:
        where = [c for c, _ in ref.pushed]
        if ref.lookup is not None:
            mine, driver, theirs = ref.lookup
            keys = self._keys(ref, mine, fetched.get(id(driver), []), theirs)
            if len(keys) <= self._lookup_limit(ref):
                notes.append(f"{ref.alias}: looked up by {mine} for {len(keys)} key(s) from {driver.alias}")
                out: list[Record] = []
                for i in range(0, len(keys), LOOKUP_BATCH):
                    batch = tuple(keys[i:i + LOOKUP_BATCH])
                    out += self._read(ref, [Condition(mine, "in", batch), *where], None)
                return out
            notes.append(f"{ref.alias}: {len(keys)} join keys from {driver.alias} exceed the lookup limit "
                         f"({self._lookup_limit(ref)}); scanned instead")
        records = self._read(ref, where, ref.limit)
        if not where and ref.limit is None:
            self.sizes[ref.name] = len(records)
        return records

    def _lookup_limit(self, ref: Ref) -> int:
        known = self.sizes.get(ref.name)
        if known is None:
            return self.lookup_limit
        scan_requests = known // self.connector.client.settings.page_size + 1
        return min(self.lookup_limit, scan_requests)

    def _keys(self, ref: Ref, mine: str, driver_rows: list[Record], theirs: str) -> list[Any]:
        f = ref.spec.field_named(mine)
        # Scoro writes 0 for "no reference", and no record has id 0
        skip_zero = mine in ref.spec.key_fields
        keys: list[Any] = []
        seen: set[Any] = set()
        for row in driver_rows:
            value = row.get(theirs)
            if value is None or value == "" or (skip_zero and value == 0):
                continue
            try:
                value = coerce(value, f, self.connector.tz) if f is not None else value
            except InvalidValue:
                continue  # a key of another type can match nothing
            if value not in seen:
                seen.add(value)
                keys.append(value)
        return keys

    def _read(self, ref: Ref, where: list[Condition], limit: int | None) -> list[Record]:
        return list(self.connector.read(ref.name, where, columns=ref.column_list(), limit=limit))


class ReplicaSource:
    """Reads a replication mirror: each object's main table without the rows marked IsDeleted. The mirror's
    naming (pascal: Invoices.DocumentNumber, or snake: invoices.document_number) is found from its tables;
    a `--schema synchub` mirror (its settings say so) is read through SyncHub's names (Invoice.DocumentNumber),
    each column found by the catalog field it holds. SQLite mirrors are attached; other databases are read
    through SQLAlchemy."""

    def __init__(self, url: str) -> None:
        self.url = url if "://" in url else f"sqlite:///{url}"
        self.schema = "skyvia"

    def _learn_schema(self, query: Callable[[str], Iterable[tuple[Any, ...]]]) -> None:
        """The mirror's own record of how it was made; a mirror without one is read as the default schema."""
        try:
            settings = dict(query(f"SELECT name, value FROM {SETTINGS_TABLE}"))  # noqa: S608 - a constant
        except Exception:  # noqa: BLE001 - no settings table: an older or hand-made mirror
            settings = {}
        self.schema = str(settings.get("schema") or "skyvia")

    def load(self, db: sqlite3.Connection, plan: QueryPlan) -> list[str]:
        if self.url.startswith("sqlite:///"):
            self._attach(db, self.url.removeprefix("sqlite:///"))
            self._learn_schema(lambda sql: db.execute(sql.replace(" FROM ", " FROM mirror.")).fetchall())
            for ref in plan.order:
                self._view(db, ref)
        elif self.url.startswith("duckdb:///"):
            self._copy_duckdb(db, plan, self.url.removeprefix("duckdb:///"))
        else:
            self._copy(db, plan)
        return [f"read from the replica {self._label()}"]

    def _label(self) -> str:
        return self.url.split("@")[-1] if "@" in self.url else self.url

    def _attach(self, db: sqlite3.Connection, path: str) -> None:
        import os

        if not os.path.exists(path):
            raise InvalidInput(f"--replica {self.url}: no such file. Make it with `scorolink replicate --to "
                               f"{self.url}`.")
        if not any(r[1] == "mirror" for r in db.execute("PRAGMA database_list")):
            db.execute("ATTACH DATABASE ? AS mirror", (path,))

    def _columns(self, db: sqlite3.Connection, table: str) -> dict[str, str]:
        rows = db.execute(f"PRAGMA mirror.table_info({quote(table)})").fetchall()
        return {r[1].lower(): r[1] for r in rows}

    def _table(self, ref: Ref, columns_of: Any) -> tuple[str, dict[str, str]]:
        """The object's table in either naming, and its columns (lower-case name -> name)."""
        from scorolink.replicate import synchub
        from scorolink.replicate.schema import MirrorOptions, snake_case

        if self.schema == synchub.NAME:
            main = synchub.build_tables([ref.spec], MirrorOptions(schema=synchub.NAME))[0]
            present = columns_of(main.name)
            by_field = {c.source.lower(): present[c.name.lower()] for c in main.columns
                        if c.source and c.name.lower() in present}
            return main.name, {**present, **by_field} if present else {}
        present = columns_of(ref.name)
        if present:
            return ref.name, present
        snake = snake_case(ref.name)
        return snake, columns_of(snake)

    @staticmethod
    def _col(present: dict[str, str], column: str) -> str | None:
        from scorolink.replicate.schema import snake_case

        return present.get(column.lower()) or present.get(snake_case(column))

    def _check(self, ref: Ref, table: str, present: dict[str, str]) -> None:
        if not present:
            named, schema = (ref.name, "") if self.schema == "skyvia" else (table, f" --schema {self.schema}")
            raise InvalidInput(f"The replica has no table {named}; replicate it with "
                               f"`scorolink replicate --to {self.url} --objects {ref.name}{schema}`.")
        missing = [c for c in ref.column_list() if self._col(present, c) is None]
        if missing:
            nested = [c for c in missing if ref.spec.nested_named(c)]
            hint = (f" Nested values are columns only in mirrors made with --nested json; otherwise query "
                    f"{ref.name}_{nested[0]}." if nested else " Binary fields need --include-binary.")
            raise InvalidInput(f"The replica's {ref.name} table has no column(s) {', '.join(missing)}.{hint}")

    def _deleted_filter(self, ref: Ref, present: dict[str, str]) -> str:
        asks = any(c.field == "IsDeleted" for c, _ in ref.pushed + [(c, "") for c, _ in ref.conditions])
        return "" if asks else f" WHERE {quote(self._col(present, 'IsDeleted') or 'IsDeleted')} = 0"

    def _view(self, db: sqlite3.Connection, ref: Ref) -> None:
        table, present = self._table(ref, lambda name: self._columns(db, name))
        self._check(ref, table, present)
        def column(c: str) -> str:
            name = quote(self._col(present, c) or c)
            # SyncHub declares some text fields as numbers (DocumentNumber as long): read them as Scoro's text
            return f"CAST({name} AS TEXT)" if self.schema != "skyvia" and ref.column_type(c) == "string" else name

        select = ", ".join(f"{column(c)} AS {quote(c)}" for c in ref.column_list())
        db.execute(f"CREATE TEMP VIEW {quote(ref.table)} AS SELECT {select} FROM mirror.{quote(table)}"
                   f"{self._deleted_filter(ref, present)}")

    def _copy_duckdb(self, db: sqlite3.Connection, plan: QueryPlan, path: str) -> None:
        import os

        import duckdb

        if not os.path.exists(path):
            raise InvalidInput(f"--replica {self.url}: no such file. Make it with `scorolink replicate --to "
                               f"{self.url}`.")
        conn = duckdb.connect(path, read_only=True)
        try:
            self._learn_schema(lambda sql: conn.execute(sql).fetchall())
            for ref in plan.order:
                def duck_columns(name: str) -> dict[str, str]:
                    found = conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                                         [name]).fetchall()
                    return {r[0].lower(): r[0] for r in found}

                table, present = self._table(ref, duck_columns)
                self._check(ref, table, present)
                cols = create_table(db, ref)
                select = ", ".join(quote(self._col(present, c) or c) for c in cols)
                where = self._deleted_filter(ref, present).replace("= 0", "= false")
                rows = conn.execute(f"SELECT {select} FROM {quote(table)}{where}").fetchall()
                insert_records(db, ref, cols, (dict(zip(cols, r, strict=True)) for r in rows))
        finally:
            conn.close()

    def _copy(self, db: sqlite3.Connection, plan: QueryPlan) -> None:
        import sqlalchemy as sa

        try:
            engine = sa.create_engine(self.url)
        except Exception as exc:  # noqa: BLE001 - an unusable URL is the user's to fix
            raise InvalidInput(f"--replica {self._label()}: {exc}") from None
        try:
            with engine.connect() as conn:
                inspector = sa.inspect(conn)
                if inspector.has_table(SETTINGS_TABLE):
                    self._learn_schema(lambda sql: conn.execute(sa.text(sql)).fetchall())
                for ref in plan.order:
                    def sa_columns(name: str) -> dict[str, str]:
                        return ({c["name"].lower(): c["name"] for c in inspector.get_columns(name)}
                                if inspector.has_table(name) else {})

                    table, present = self._table(ref, sa_columns)
                    self._check(ref, table, present)
                    cols = create_table(db, ref)
                    select = ", ".join(quote(self._col(present, c) or c) for c in cols)
                    where = self._deleted_filter(ref, present).replace("= 0", "= false")
                    rows = conn.execute(sa.text(f"SELECT {select} FROM {quote(table)}{where}"))
                    insert_records(db, ref, cols, (dict(zip(cols, r, strict=True)) for r in rows))
        finally:
            engine.dispose()


def local_limits() -> tuple[float, int]:
    """Seconds and rows the local part of a statement may take: SCOROLINK_SQL_TIMEOUT (default 60)
    and SCOROLINK_SQL_MAX_ROWS (default 1,000,000), so a recursive CTE with no end stops."""
    try:
        return (float(os.environ.get("SCOROLINK_SQL_TIMEOUT") or 60),
                int(os.environ.get("SCOROLINK_SQL_MAX_ROWS") or 1_000_000))
    except ValueError as exc:
        raise InvalidInput(f"SCOROLINK_SQL_TIMEOUT / SCOROLINK_SQL_MAX_ROWS must be numbers: {exc}.") from None


def run_local(db: sqlite3.Connection, plan: QueryPlan) -> tuple[list[str], list[tuple[Any, ...]]]:
    sql = plan.statement.sql(dialect=DIALECT)
    seconds, max_rows = local_limits()
    deadline = time.monotonic() + seconds
    db.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)  # a true result interrupts
    try:
        cursor = db.execute(sql)
        columns = [d[0] for d in cursor.description or ()]
        rows = cursor.fetchmany(max_rows + 1)
    except sqlite3.OperationalError as exc:
        if time.monotonic() > deadline:
            raise QueryFailed(f"The statement ran longer than {seconds:g} s locally and was stopped (a recursive "
                              "CTE without an end?). Add a LIMIT or an end condition, or raise "
                              "SCOROLINK_SQL_TIMEOUT.") from None
        raise QueryFailed(f"The local SQL engine refused the statement: {exc}.") from None
    except sqlite3.Error as exc:
        raise QueryFailed(f"The local SQL engine refused the statement: {exc}.") from None
    finally:
        db.set_progress_handler(None, 0)
    if len(rows) > max_rows:
        raise QueryFailed(f"The statement returns more than {max_rows:,} rows and was stopped (a recursive CTE "
                          "without an end?). Add a LIMIT, or raise SCOROLINK_SQL_MAX_ROWS.")
    types = plan.output_types
    if types is None or len(types) != len(columns):
        types = _types_by_name(plan, columns)
    return columns, [tuple(from_sql(v, t) for v, t in zip(row, types, strict=True)) for row in rows]


def _types_by_name(plan: QueryPlan, columns: list[str]) -> list[str | None]:
    known: dict[str, set[str]] = {}
    for ref in plan.refs:
        for c in ref.columns:
            known.setdefault(c.lower(), set()).add(ref.column_type(c))
    out: list[str | None] = []
    for c in columns:
        kinds = known.get(c.lower(), set())
        out.append(next(iter(kinds)) if len(kinds) == 1 else None)
    return out


def execute_plan(plan: QueryPlan, source: Source) -> Result:
    db = sqlite3.connect(":memory:")
    try:
        notes = source.load(db, plan)
        columns, rows = run_local(db, plan)
    finally:
        db.close()
    return Result(columns, rows, rowcount=len(rows), notes=notes)
