"""`--schema synchub`: the mirror under SyncHub's table names, column names, types and foreign keys.

A mapping over the tables `schema.build_tables` makes (separate nested tables, PascalCase), not a
second engine: every column keeps the catalog field it is read from (`Column.source`), so rows,
incremental runs, deletes and schema evolution work as for the default schema. What changes:

- the 29 tables SyncHub documents (`synchub_model.txt`, from the seed) get its names, its columns in
  its order with its types, and its foreign keys; the catalog's other fields follow under their
  names (a trailing `Id` written `ID`, `UpdatedDate` as `ModifiedDate`), so nothing Scoro gives is
  dropped;
- every other object gets the closest equivalent: a singular PascalCase table (`Bills` → `Bill`,
  its lines `BillLine`), the same renames and the same metadata columns;
- the metadata columns are SyncHub's: `RemoteID`, `WhenUpsertedIntoDataStore`, `MirrorRemoteID`,
  `IsDeleted`, `WhenCreated`, `WhenModified` on every table, child tables included, where a child
  row's `RemoteID` is its record's joined to its own id (or position) and `<Parent>RemoteID` links
  it to the record. `RemoteAccount` and `RowHash` stay, after them: the key and the skip of
  unchanged rows need them;
- custom field values are also rows of `<Table>CustomField` (ID, <Table>ID, Value), as SyncHub keeps them.

`MirrorRemoteID` is read as the number of the mirrored account within this database (1 for the
first account replicated into it, 2 for the next `--account` ...), kept in the mirror's settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from scorolink.catalog.model import FieldType, Nested, ObjectSpec
from scorolink.errors import ConfigError
from scorolink.replicate import schema, state
from scorolink.replicate.destination import Destination
from scorolink.replicate.schema import (
    CHILD_ID,
    CREATED,
    CUSTOM_FIELDS,
    DELETED,
    INT32,
    IS_DELETED,
    MIRROR,
    MODIFIED,
    NULL,
    PARENT_KEY,
    POSITION,
    REMOTE_ACCOUNT,
    REMOTE_ID,
    ROW_HASH,
    STAMP,
    TEXT,
    UPSERTED,
    Column,
    ForeignKey,
    MirrorOptions,
    Table,
    relation_target,
)

NAME = "synchub"
MODEL_FILE = Path(__file__).with_name("synchub_model.txt")
MIRROR_REMOTE_ID = "MirrorRemoteID"
METADATA = (REMOTE_ID, UPSERTED, MIRROR_REMOTE_ID, IS_DELETED, CREATED, MODIFIED)

# SyncHub's column types → the mirror's logical types (destination.py maps those to each dialect).
TYPES = {"string": TEXT, "long": FieldType.INTEGER.value, "int": INT32, "decimal": FieldType.DECIMAL.value,
         "boolean": FieldType.BOOLEAN.value, "datetime": FieldType.DATETIME.value}

# Objects whose records SyncHub's tables already hold: not mirrored by default under this schema
# (Contact holds People and Companies, ProjectPhase the projects' phases). `Contacts` is.
COVERED = ("People", "Companies", "ProjectPhases")

_IRREGULAR = {"People": "Person", "RolesWithPrices": "RoleWithPrices", "TriggersAndActions": "TriggerAndAction"}


@dataclass(frozen=True, slots=True)
class ModelColumn:
    name: str
    type: str  # SyncHub's: string, long, int, decimal, boolean, datetime
    relates: tuple[str, str] | None = None  # (table, column)
    source: str | None = None  # None: the field of the same name; "-": none; "@parent": the record's key


@dataclass(frozen=True, slots=True)
class ModelTable:
    name: str
    object: str  # catalog object
    path: tuple[str, ...]  # () for the object's own table, (nested field,) or (CUSTOM_FIELDS,)
    columns: tuple[ModelColumn, ...]


_COLUMN = re.compile(r"(\w+) (\w+)(?: -> (\w+)\.(\w+))?(?: =(\S+))?$")


@cache
def model() -> tuple[ModelTable, ...]:
    tables: list[ModelTable] = []
    head: list[str] | None = None
    cols: list[ModelColumn] = []

    def close() -> None:
        if head is not None:
            tables.append(ModelTable(head[0], head[1], tuple(head[2:3]), tuple(cols)))

    for raw in MODEL_FILE.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if not line.startswith(" "):
            close()
            head, cols = line.split(), []
            continue
        m = _COLUMN.match(line.strip())
        if m is None:
            raise ValueError(f"{MODEL_FILE.name}: cannot read {raw!r}")
        name, typ, rel_table, rel_col, source = m.groups()
        cols.append(ModelColumn(name, typ, (rel_table, rel_col) if rel_table else None, source))
    close()
    return tuple(tables)


def default_objects(names: list[str]) -> list[str]:
    """The default objects of the default schema, less those SyncHub's tables already hold, plus Contacts."""
    return [n for n in names if n not in COVERED] + ["Contacts"]


def singular(name: str) -> str:
    if name in _IRREGULAR:
        return _IRREGULAR[name]
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith(("sses", "uses", "xes")):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


def column_name(field: str) -> str:
    """A catalog field's column outside SyncHub's documented ones: `CompanyId` → `CompanyID`,
    `UpdatedDate` → `ModifiedDate` (SyncHub's spelling of both)."""
    if field == "UpdatedDate":
        return "ModifiedDate"
    return field[:-2] + "ID" if field.endswith("Id") else field


# -- values SyncHub declares narrower than Scoro gives them -------------------------------------------------
def _to_int(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, (Decimal, float)):
        return int(v) if v == int(v) else None
    text = str(v).strip()
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else None  # "INV-12" has no integer: NULL


def _to_bool(v: Any) -> Any:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, Decimal, float)):
        return v != 0
    text = str(v).strip().lower()
    return True if text in ("1", "true", "yes", "t", "y") else False if text in ("0", "false", "no", "f", "n", "") \
        else None


def _to_decimal(v: Any) -> Any:
    if isinstance(v, (bool, int, Decimal)):
        return Decimal(int(v)) if isinstance(v, bool) else v
    try:
        return Decimal(str(v).strip())
    except InvalidOperation:
        return None


def _to_datetime(v: Any) -> Any:
    """A date as midnight UTC (not the database session's midnight)."""
    return datetime(v.year, v.month, v.day, tzinfo=UTC) if type(v) is date else v


_COERCE = {"integer": _to_int, INT32: _to_int, "boolean": _to_bool, "decimal": _to_decimal, "datetime": _to_datetime}


def _coercion(have: str, want: str) -> Any:
    """How a catalog value of type `have` goes into a column SyncHub types `want` (None: as it is)."""
    if have == want or want == TEXT or (have == "integer" and want in (INT32, "decimal")):
        return None
    return _COERCE.get(want)


# -- tables ----------------------------------------------------------------------------------------------------
def build_tables(specs: Iterable[ObjectSpec], options: MirrorOptions) -> list[Table]:
    """The mirror's tables under SyncHub's schema (module doc), for objects whose custom fields are merged."""
    if options.naming != "pascal" or options.nested != "separate":
        raise ConfigError("--schema synchub keeps SyncHub's names and child tables: use it without --naming snake "
                         "and --nested json")
    specs = list(specs)
    base = schema.build_tables(specs, replace(options, schema="skyvia", foreign_keys=False))
    documented = {(t.object, t.path): t for t in model()}
    reserved = {t.name for t in model()}
    present = {s.name for s in specs}
    out: list[Table] = []
    for spec in specs:
        own = [t for t in base if t.object == spec.name]
        main_doc = documented.get((spec.name, ()))
        main_name = main_doc.name if main_doc else _closest(spec.name, reserved)
        names: dict[tuple[str, ...], str] = {(): main_name}
        out.append(_main_table(spec, own[0], main_name, main_doc))
        for child in own[1:]:
            doc = documented.get((spec.name, child.path))
            above, field = names[child.path[:-1]], child.path[-1]
            name = doc.name if doc else above + column_name(singular(field))
            if name in names.values() or name in reserved and doc is None:  # Contacts: Address and Addresses
                name = above + column_name(field)
            names[child.path] = name
            out.append(_child_table(spec, child, name, above, main_name, doc))
        if spec.custom_fields:
            doc = documented.get((spec.name, (CUSTOM_FIELDS,)))
            out.append(_custom_table(spec, main_name, doc))
    if options.foreign_keys:
        out = _with_foreign_keys(out, specs, present)
    return out


def _closest(obj: str, reserved: set[str]) -> str:
    """An undocumented object's table: singular, unless SyncHub's tables use that name (ProjectPhases)."""
    name = column_name(singular(obj))
    return obj if name in reserved else name


def _metadata(child: bool, parent_column: str | None = None) -> list[Column]:
    """SyncHub's metadata columns, in its order (a child's `<Parent>RemoteID` second)."""
    cols = [Column(REMOTE_ID, TEXT, nullable=False, role=CHILD_ID if child else "")]
    if parent_column:
        cols.append(Column(parent_column, TEXT, nullable=False))
    cols += [
        Column(UPSERTED, "datetime", nullable=False, role=STAMP if child else ""),
        Column(MIRROR_REMOTE_ID, INT32, role=MIRROR),
        Column(IS_DELETED, "boolean", nullable=False, role=DELETED if child else ""),
        Column(CREATED, "datetime", role=NULL if child else ""),
        Column(MODIFIED, "datetime", role=NULL if child else ""),
    ]
    return cols


def _documented(doc: ModelTable, fields: dict[str, tuple[str, str]], key: str | None) -> list[Column]:
    """The documented columns after the metadata: each with its source field and SyncHub's type.
    `fields`: lower-cased name → (catalog name, catalog type)."""
    out = []
    for mc in doc.columns:
        if mc.name in METADATA or (mc.relates and mc.relates[1] == REMOTE_ID):  # <Parent>RemoteID: made by caller
            continue
        want = TYPES[mc.type]
        if mc.source == "@parent":
            out.append(Column(mc.name, want, role=PARENT_KEY, source=key))
            continue
        found = None if mc.source == "-" else fields.get((mc.source or re.sub("ID$", "Id", mc.name)).lower()) \
            or fields.get(mc.name.lower())
        if found is None:
            out.append(Column(mc.name, want, role=NULL))
            continue
        out.append(Column(mc.name, want, source=found[0], coerce=_coercion(found[1], want)))
    return out


def _rest(base: Table, cols: list[Column], skip_sources: set[str]) -> list[Column]:
    """The catalog's fields SyncHub does not document, after its columns."""
    taken = {c.name.lower() for c in cols}
    out = []
    for c in base.columns:
        if c.source is None or c.source in skip_sources:
            continue
        name = column_name(c.name)
        if name.lower() in taken:
            continue
        taken.add(name.lower())
        out.append(replace(c, name=name))
    return out


def _main_table(spec: ObjectSpec, base: Table, name: str, doc: ModelTable | None) -> Table:
    cols = _metadata(child=False)
    fields = {c.source.lower(): (c.source, c.type) for c in base.columns if c.source}
    if doc is not None:
        cols += _documented(doc, fields, spec.key_fields[0])
    used = {c.source for c in cols if c.source}
    cols += [Column(REMOTE_ACCOUNT, TEXT, nullable=False), Column(ROW_HASH, TEXT)]
    cols += _rest(base, cols, used)
    return Table(name=name, object=spec.name, columns=tuple(cols), primary_key=(REMOTE_ACCOUNT, REMOTE_ID))


def _nested_at(spec: ObjectSpec, path: tuple[str, ...]) -> Nested | None:
    level: tuple[Nested, ...] = spec.nested
    found = None
    for part in path:
        found = next((n for n in level if n.field == part), None)
        if found is None:
            return None
        level = found.nested
    return found


def _child_table(spec: ObjectSpec, base: Table, name: str, parent: str, main: str, doc: ModelTable | None) -> Table:
    """A nested structure's table. Its `<Main>RemoteID` holds the record's RemoteID at every level;
    deeper levels also carry their ancestors' positions, as in the default schema."""
    parent_column = f"{main}{REMOTE_ID}"
    nested = _nested_at(spec, base.path)
    key = nested.key if nested is not None and nested.kind in ("objects", "object") else None
    cols = _metadata(child=True, parent_column=parent_column)
    cols[0] = replace(cols[0], source=key)
    fields = {c.source.lower(): (c.source, c.type) for c in base.columns if c.source}
    if doc is not None:
        cols += _documented(doc, fields, spec.key_fields[0])
    used = {c.source for c in cols if c.source and not c.role}
    positions = [c for c in base.columns if c.name in base.primary_key[2:]]
    cols += [Column(REMOTE_ACCOUNT, TEXT, nullable=False), *positions]
    cols += _rest(base, cols, used)
    pk = (REMOTE_ACCOUNT, parent_column, *base.primary_key[2:])
    return Table(name=name, object=spec.name, columns=tuple(cols), primary_key=pk, path=base.path, kind=base.kind,
                 parent=parent)


def _custom_table(spec: ObjectSpec, main: str, doc: ModelTable | None) -> Table:
    """Custom field values as rows: (ID, <Main>ID, Value), from the list rows.py builds under CUSTOM_FIELDS."""
    parent_column = f"{main}{REMOTE_ID}"
    cols = _metadata(child=True, parent_column=parent_column)
    cols[0] = replace(cols[0], source="ID")
    if doc is not None:
        cols += _documented(doc, {"id": ("ID", TEXT), "value": ("Value", TEXT)}, spec.key_fields[0])
    else:
        cols += [Column("ID", TEXT, source="ID"), Column(f"{main}ID", "integer", role=PARENT_KEY,
                                                           source=spec.key_fields[0]),
                 Column("Value", TEXT, source="Value")]
    cols += [Column(REMOTE_ACCOUNT, TEXT, nullable=False), Column(POSITION, "integer", nullable=False)]
    return Table(name=f"{main}CustomField" if doc is None else doc.name, object=spec.name, columns=tuple(cols),
                 primary_key=(REMOTE_ACCOUNT, parent_column, POSITION), path=(CUSTOM_FIELDS,), kind="objects",
                 parent=main)


# -- foreign keys ------------------------------------------------------------------------------------------------
def _with_foreign_keys(tables: list[Table], specs: list[ObjectSpec], present: set[str]) -> list[Table]:
    """SyncHub's documented foreign keys; for other tables the catalog's relations; every child table
    to its parent. A referenced column other than RemoteID gets a unique index with RemoteAccount."""
    by_name = {t.name: t for t in tables}
    main_of = {t.object: t for t in tables if not t.path}
    documented = {(m.object, m.path): m for m in model()}
    fks: dict[str, list[ForeignKey]] = {t.name: [] for t in tables}
    unique: dict[str, set[tuple[str, ...]]] = {t.name: set() for t in tables}

    def link(table: Table, column: str, target: str, ref: str) -> None:
        if target not in by_name or by_name[target].column(ref) is None or table.column(column) is None:
            return
        fks[table.name].append(ForeignKey((REMOTE_ACCOUNT, column), target, (REMOTE_ACCOUNT, ref)))
        if ref != REMOTE_ID:
            unique[target].add((REMOTE_ACCOUNT, ref))

    for t in tables:
        doc = documented.get((t.object, t.path))
        if t.parent is not None:  # the record (level 1) or the parent row (deeper)
            parent = by_name[t.parent]
            if len(t.primary_key) == 3:
                fks[t.name].append(ForeignKey(t.primary_key[:2], parent.name, (REMOTE_ACCOUNT, REMOTE_ID)))
            else:
                fks[t.name].append(ForeignKey(t.primary_key[:-1], parent.name, parent.primary_key))
        if doc is not None:
            for mc in doc.columns:
                if mc.relates and mc.relates[1] != REMOTE_ID:
                    link(t, mc.name, *mc.relates)
            continue
        spec = next(s for s in specs if s.name == t.object)
        for rel in spec.relations:
            parts = tuple(rel.field.split("."))
            if parts[:-1] != t.path:
                continue
            target_obj = relation_target(rel.field, rel.object, present)
            target = main_of.get(target_obj or "")
            if target is None or next(s for s in specs if s.name == target_obj).key_fields != (rel.target_field,):
                continue
            ref = next((c.name for c in target.columns if c.source == rel.target_field and not c.role), None)
            col = next((c.name for c in t.columns if c.source == parts[-1] and not c.role), None)
            if ref and col:
                link(t, col, target.name, ref)
    out = []
    for t in tables:
        keys = tuple(sorted(unique[t.name]))
        indexed = tuple(fk.columns for fk in fks[t.name] if fk.columns != t.primary_key[:len(fk.columns)])
        out.append(replace(t, foreign_keys=tuple(fks[t.name]), unique=keys, indexes=tuple(dict.fromkeys(indexed))))
    return out


# -- MirrorRemoteID --------------------------------------------------------------------------------------------
_MIRROR_SETTING = "mirror_remote_id:"  # account -> its number
_MIRROR_CLAIM = "mirror_remote_id#"  # number -> the account that claimed it


def mirror_remote_id(dest: Destination, account: str) -> int:
    """This account's number in the mirror: kept once given, the next free number for a new account.
    A number is claimed by inserting its own settings row, which only one writer can do: two accounts
    replicated into a new database at the same moment get different numbers."""
    settings = state.read_settings(dest)
    known = settings.get(_MIRROR_SETTING + account)
    if known is not None:
        return int(known)
    value = 1 + max((int(v) for k, v in settings.items() if k.startswith(_MIRROR_SETTING)), default=0)
    claim = f"INSERT INTO {state.SETTINGS} (name, value) VALUES ({dest.param}, {dest.param}) ON CONFLICT (name) DO NOTHING"
    while True:
        with dest.transaction():
            dest.execute(claim, (f"{_MIRROR_CLAIM}{value}", account))
        if state.read_settings(dest).get(f"{_MIRROR_CLAIM}{value}") == account:
            break
        value += 1
    with dest.transaction():
        state.write_settings(dest, {_MIRROR_SETTING + account: str(value)})
    return value
