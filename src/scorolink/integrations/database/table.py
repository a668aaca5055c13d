"""The table a Scoro object syncs with: which column holds which field, and creating it.

By default (`--table-per-object`) scorolink creates one table per object, named after it, with the
object's fields under their canonical names. Writable fields are plain columns; read-only fields
(sums, names Scoro derives, stamps) are columns too, refreshed from Scoro on every write, marked
`/* read-only */` in the table's DDL (SQLite keeps the CREATE text) and by a column comment
(PostgreSQL, DuckDB); edits made to them are never carried. Lists of records (an invoice's lines) go
to a child table `<Table>_<Nested>`, one row per line in order; other nested values are JSON columns.

Metadata columns, all starting with an underscore:
- `_row_id`: the table's own key (rows typed in without a Scoro id need one);
- `_modified_at`: when the row last changed, for the `newest` conflict policy (set by a trigger on
  SQLite and PostgreSQL; DuckDB has no triggers, so there it is set on insert and by the sync, and an
  edit made elsewhere should set it too);
- `_version`: a change counter, one up on every update of the row (the same trigger; on DuckDB the
  sync's own updates). It is the row's version, exact where a timestamp is not (two edits in one
  second); what is a change is still decided by the row's values (db_side.py);
- `_deleted`: with `on_scoro_delete = "flag"`, a row whose record was deleted in Scoro is flagged
  here instead of being removed.
A mapping file binds an existing table instead (see mapping.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scorolink.catalog.model import FieldType, Nested, ObjectSpec
from scorolink.replicate.destination import Destination

ROW_KEY, PARENT_KEY, POSITION, MODIFIED, DELETED = "_row_id", "_parent_row_id", "_position", "_modified_at", "_deleted"
VERSION = "_version"


@dataclass(frozen=True)
class ColumnMap:
    field: str  # canonical field name (of the object, or of a line)
    column: str  # the table's column
    type: str  # logical type: integer, decimal, string, time, boolean, date, datetime, json
    read_only: bool = False


@dataclass
class ChildMap:
    """A nested list of records (lines) as rows of a child table."""

    nested: str  # canonical nested name, e.g. Lines
    table: str
    columns: list[ColumnMap]
    key: str = ROW_KEY
    parent: str = PARENT_KEY
    position: str = POSITION
    scoro_id: str | None = "Id"  # the column of the line's own Scoro id, read-only
    scoro_key: str | None = "Id"  # the line's key field in Scoro

    def writable(self) -> list[ColumnMap]:
        return [c for c in self.columns if not c.read_only]


@dataclass
class TableMap:
    object: str
    table: str
    columns: list[ColumnMap]
    scoro_id: str  # the column holding the Scoro record's key
    scoro_key: str = "Id"  # the object's key field in Scoro
    scoro_id_type: str = "integer"
    key: str = ROW_KEY
    modified: str | None = MODIFIED
    deleted: str | None = DELETED
    version: str | None = VERSION  # the change counter (None: a bound table has none; `modified` is its version)
    children: list[ChildMap] = field(default_factory=list)
    natural_key: tuple[str, ...] = ()
    created: bool = True  # made by scorolink (False: bound by a mapping file)

    def writable(self) -> list[ColumnMap]:
        return [c for c in self.columns if not c.read_only]

    def read_only(self) -> list[ColumnMap]:
        return [c for c in self.columns if c.read_only]


def logical(ftype: FieldType) -> str:
    return "string" if ftype is FieldType.BINARY else ftype.value


def default_map(spec: ObjectSpec, natural_key: tuple[str, ...] = ()) -> TableMap:
    """The object's own table: every field but the key and binary content, canonical names."""
    key = spec.key_fields[0]
    key_field = spec.field_named(key)
    columns = [ColumnMap(f.name, f.name, logical(f.type), f.read_only) for f in spec.fields
               if f.name != key and f.type is not FieldType.BINARY and not f.custom]
    children = []
    for nested in spec.nested:
        if _child_table(nested):
            children.append(_child_map(spec.name, nested))
        else:
            columns.append(ColumnMap(nested.field, nested.field, "json", nested.read_only))
    id_type = logical(key_field.type) if key_field else "integer"
    return TableMap(spec.name, spec.name, columns, scoro_id=key, scoro_key=key, scoro_id_type=id_type, children=children,
                    natural_key=natural_key)


def _child_table(nested: Nested) -> bool:
    return nested.kind == "objects" and not nested.read_only and bool(nested.fields)


def _child_map(table: str, nested: Nested) -> ChildMap:
    own = nested.key if nested.key and nested.field_named(nested.key) else None
    columns = [ColumnMap(f.name, f.name, logical(f.type), f.read_only or f.name == own) for f in nested.fields
               if f.type is not FieldType.BINARY and f.name != own]
    columns += [ColumnMap(n.field, n.field, "json", n.read_only) for n in nested.nested]
    return ChildMap(nested.field, f"{table}_{nested.field}", columns, scoro_id=own, scoro_key=own)


# -- DDL ----------------------------------------------------------------------------------------------
def ensure_tables(db: Destination, table: TableMap) -> list[str]:
    """Create the table and its child tables where missing; a bound table must exist. Returns what was made."""
    from scorolink.errors import ConfigError

    made: list[str] = []
    existing = {t.lower() for t in db.tables()}
    if not table.created:
        for name in [table.table, *(c.table for c in table.children)]:
            if name.lower() not in existing:
                raise ConfigError(f"Table {name!r} named in the mapping file does not exist in {db.url}; create it "
                                  "or drop --map to let scorolink create its own table.")
        return made
    if table.table.lower() not in existing:
        _create(db, table.table, [*_meta(db, table.table),
                                  f"{db.q(table.scoro_id)} {db.sql_type(table.scoro_id_type)} UNIQUE"],
                table.columns, _row_key_sql(db, table.table))
        _change_trigger(db, table.table)
        made.append(table.table)
    elif not _has_counter(db, table.table):  # made by an earlier version: add the counter and its trigger
        with db.transaction():
            db.execute(f"ALTER TABLE {db.q(table.table)} ADD COLUMN {db.q(VERSION)} {db.sql_type('integer')} "
                       "DEFAULT 1")
            db.execute(f"UPDATE {db.q(table.table)} SET {db.q(VERSION)} = 1 WHERE {db.q(VERSION)} IS NULL")
        _change_trigger(db, table.table)
        made.append(f"{table.table}.{VERSION}")
    for child in table.children:
        if child.table.lower() not in existing:
            own = [f"{db.q(child.scoro_id)} {db.sql_type('integer')}"] if child.scoro_id else []
            _create(db, child.table, [f"{db.q(PARENT_KEY)} {db.sql_type('integer')} NOT NULL",
                                      f"{db.q(POSITION)} {db.sql_type('integer')} NOT NULL", *own],
                    child.columns, _row_key_sql(db, child.table))
            made.append(child.table)
    return made


def _meta(db: Destination, table: str) -> list[str]:
    now = "CURRENT_TIMESTAMP"
    return [f"{db.q(MODIFIED)} {db.sql_type('datetime')} DEFAULT {now}",
            f"{db.q(DELETED)} {db.sql_type('boolean')} DEFAULT FALSE",
            f"{db.q(VERSION)} {db.sql_type('integer')} NOT NULL DEFAULT 1"]


def _has_counter(db: Destination, table: str) -> bool:
    return VERSION.lower() in {c.lower() for c in db.columns(table)}


def _row_key_sql(db: Destination, table: str) -> str:
    if db.scheme == "sqlite":
        return f"{db.q(ROW_KEY)} INTEGER PRIMARY KEY"
    if db.scheme == "postgresql":
        return f"{db.q(ROW_KEY)} BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    sequence = f"{table}_row_id_seq"
    db.execute(f"CREATE SEQUENCE IF NOT EXISTS {db.q(sequence)}")
    return f"{db.q(ROW_KEY)} BIGINT PRIMARY KEY DEFAULT nextval('{sequence}')"


def _create(db: Destination, name: str, meta: list[str], columns: list[ColumnMap], key_sql: str) -> None:
    parts = [key_sql, *meta]
    for c in columns:
        parts.append(f"{db.q(c.column)} {db.sql_type(c.type)}" + (" /* read-only */" if c.read_only else ""))
    body = ",\n  ".join(parts)
    with db.transaction():
        db.execute(f"CREATE TABLE {db.q(name)} (\n  {body}\n)")
        if db.scheme in ("postgresql", "duckdb"):
            for c in columns:
                if c.read_only:
                    db.execute(f"COMMENT ON COLUMN {db.q(name)}.{db.q(c.column)} IS "
                               "'read-only: set by Scoro, refreshed by scorolink dbsync; edits are not carried'")


def _change_trigger(db: Destination, table: str) -> None:
    """On every update: `_version` one up from the row's previous value (whatever the writer set it to,
    so it never goes back), and `_modified_at` now unless the writer set it (SQLite, PostgreSQL; DuckDB
    has no triggers). Replaces the `_modified_at`-only trigger of tables made by earlier versions."""
    t, m, v, k = db.q(table), db.q(MODIFIED), db.q(VERSION), db.q(ROW_KEY)
    name = db.q(table + "_modified")
    with db.transaction():
        if db.scheme == "sqlite":  # the trigger's own UPDATE does not fire it again (recursive_triggers is off)
            db.execute(f"DROP TRIGGER IF EXISTS {name}")
            db.execute(f"CREATE TRIGGER {name} AFTER UPDATE ON {t} FOR EACH ROW BEGIN UPDATE {t} SET "
                       f"{v} = coalesce(OLD.{v}, 0) + 1, {m} = CASE WHEN NEW.{m} IS OLD.{m} THEN "
                       f"strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') ELSE NEW.{m} END WHERE {k} = NEW.{k}; END")
        elif db.scheme == "postgresql":
            fn = db.q(table + "_touch")
            db.execute(f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger AS $$ BEGIN "
                       f"NEW.{v} := coalesce(OLD.{v}, 0) + 1; "
                       f"IF NEW.{m} IS NOT DISTINCT FROM OLD.{m} THEN NEW.{m} := now(); END IF; RETURN NEW; END $$ "
                       "LANGUAGE plpgsql")
            db.execute(f"DROP TRIGGER IF EXISTS {name} ON {t}")
            db.execute(f"CREATE TRIGGER {name} BEFORE UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {fn}()")
