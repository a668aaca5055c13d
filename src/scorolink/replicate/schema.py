"""The mirror's shape: catalog objects → tables, columns, keys, indexes and foreign keys.

Pure data, no I/O. One main table per object with SyncHub's metadata columns; with
`nested="separate"` every nested structure becomes a child table `<Object>_<Field>` (deeper
levels `<Object>_<Field>_<Field>`) keyed by the owning record's `ParentRemoteID`, the positions of
its ancestors and its own `Position`. With `nested="json"` nested values stay JSON columns.

Several Scoro accounts can share one mirror: `RemoteAccount` leads every primary key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from scorolink.catalog.model import FieldType, Nested, ObjectSpec

NESTED_MODES = ("separate", "json")
NAMINGS = ("pascal", "snake")
SCHEMAS = ("skyvia", "synchub")  # synchub: SyncHub's tables, names and types (replicate/synchub.py)

# Metadata columns (SyncHub's names) on every main table, in this order.
REMOTE_ACCOUNT = "RemoteAccount"
REMOTE_ID = "RemoteID"
UPSERTED = "WhenUpsertedIntoDataStore"
CREATED = "WhenCreated"
MODIFIED = "WhenModified"
IS_DELETED = "IsDeleted"
ROW_HASH = "RowHash"  # ours: lets a run skip rows whose content has not changed
PARENT_ID = "ParentRemoteID"
POSITION = "Position"
VALUE = "Value"
KEY = "Key"

# Logical column types beyond FieldType's.
TEXT = FieldType.STRING.value
INT32 = "int"  # SyncHub's `int` (its `long` is "integer")

# Roles of columns whose value is not a field of the record (only `--schema synchub` makes them):
# built with the row (and hashed with it) ...
CHILD_ID = "child_id"  # a child row's own RemoteID: the record's RemoteID and the child's id or positions
DELETED = "deleted"  # the owning record's deleted flag
PARENT_KEY = "parent_key"  # the owning record's key (ProjectPhase.ProjectID)
BUILT_ROLES = (CHILD_ID, DELETED, PARENT_KEY)
# ... or stamped by the loader when the row is written (never hashed) ...
STAMP = "stamp"  # WhenUpsertedIntoDataStore of a child row
MIRROR = "mirror"  # MirrorRemoteID
LOAD_ROLES = (STAMP, MIRROR)
# ... or never written (always NULL: a documented column Scoro gives no value for).
NULL = "null"
# The nested path under which rows.py hands a record's custom fields to their child table.
CUSTOM_FIELDS = "@CustomFields"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # a FieldType value
    nullable: bool = True
    source: str | None = None  # canonical field the value comes from (None: metadata or position)
    role: str = ""  # see the roles above; "" for metadata, positions and fields
    # a value of the record's type into the column's (SyncHub declares some columns narrower than Scoro)
    coerce: Callable[[Any], Any] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    object: str  # canonical object this table belongs to
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    path: tuple[str, ...] = ()  # nested field path from the object ((), ("Lines",), ("Lines", "Dates"))
    kind: str = "main"  # main | objects | object | values | mapping
    parent: str | None = None  # parent table name for child tables
    unique: tuple[tuple[str, ...], ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    children: tuple[str, ...] = field(default=(), compare=False)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True, slots=True)
class MirrorOptions:
    nested: str = "separate"
    naming: str = "pascal"
    include_binary: bool = False
    foreign_keys: bool = False
    schema: str = "skyvia"


class Namer:
    """Canonical PascalCase names, or mechanical snake_case for databases that prefer it."""

    def __init__(self, naming: str = "pascal"):
        if naming not in NAMINGS:
            raise ValueError(f"naming must be one of {', '.join(NAMINGS)}, not {naming!r}")
        self.snake = naming == "snake"

    def __call__(self, name: str) -> str:
        return snake_case(name) if self.snake else name


_BOUNDARY_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_BOUNDARY_2 = re.compile(r"([a-z0-9])([A-Z])")


def snake_case(name: str) -> str:
    """`WhenUpsertedIntoDataStore` → `when_upserted_into_data_store`, `RemoteID` → `remote_id`,
    `VATCodes` → `vat_codes`, `Invoices_Lines` → `invoices_lines`, `c_budget` unchanged."""
    s = _BOUNDARY_2.sub(r"\1_\2", _BOUNDARY_1.sub(r"\1_\2", name))
    return re.sub(r"_+", "_", s).lower()


def remote_id(spec: ObjectSpec, record: dict) -> str:
    """The Scoro id as text; composite keys joined with `|`."""
    return "|".join("" if record.get(k) is None else str(record.get(k)) for k in spec.key_fields)


def main_table_name(spec: ObjectSpec, namer: Namer) -> str:
    return namer(spec.name)


def build_tables(specs: Iterable[ObjectSpec], options: MirrorOptions = MirrorOptions()) -> list[Table]:
    """Tables for the given objects (with their custom fields already merged into `fields`)."""
    if options.nested not in NESTED_MODES:
        raise ValueError(f"nested must be one of {', '.join(NESTED_MODES)}, not {options.nested!r}")
    if options.schema != "skyvia":  # replicate/synchub.py maps these tables onto SyncHub's
        raise ValueError(f"build_tables makes the skyvia tables, not {options.schema!r}: use "
                         "engine.build_mirror_tables")
    specs = list(specs)
    namer = Namer(options.naming)
    present = {s.name for s in specs}
    tables: list[Table] = []
    for spec in specs:
        tables.extend(_object_tables(spec, namer, options, present))
    if options.foreign_keys:
        by_name = {t.name: t for t in tables}
        tables = [_with_relation_fks(t, by_name, specs, namer, present) for t in tables]
    return tables


def sourced(table: Table) -> list[Column]:
    """The columns whose value is a field of the record (or of the nested element)."""
    return [c for c in table.columns if c.source is not None and not c.role]


# The main table's columns in the order the loader writes them: the row's identity and stamps
# first (then MirrorRemoteID where the table has it), then what `RowBuilder.main_values` returns
# (the record's own metadata, then its fields).
IDENTITY = (REMOTE_ACCOUNT, REMOTE_ID, UPSERTED, ROW_HASH)
RECORD_META = (CREATED, MODIFIED, IS_DELETED)


def main_write_columns(table: Table, namer: Namer) -> tuple[str, ...]:
    mirror = tuple(c.name for c in table.columns if c.role == MIRROR)
    return (*map(namer, IDENTITY), *mirror, *map(namer, RECORD_META), *(c.name for c in sourced(table)))


def child_write_columns(table: Table) -> tuple[str, ...]:
    """A child table's columns in the order rows.py builds them and the loader writes them: the key
    (account, parent, positions), the fields, the built roles, then the loader's stamps."""
    return (*table.primary_key, *(c.name for c in sourced(table)),
            *(c.name for c in table.columns if c.role in BUILT_ROLES),
            *(c.name for c in table.columns if c.role in LOAD_ROLES))


def _object_tables(spec: ObjectSpec, namer: Namer, options: MirrorOptions, present: set[str]) -> list[Table]:
    n = namer
    name = main_table_name(spec, namer)
    cols = [
        Column(n(REMOTE_ACCOUNT), TEXT, nullable=False),
        Column(n(REMOTE_ID), TEXT, nullable=False),
        Column(n(UPSERTED), "datetime", nullable=False),
        Column(n(CREATED), "datetime"),
        Column(n(MODIFIED), "datetime"),
        Column(n(IS_DELETED), "boolean", nullable=False),
        Column(n(ROW_HASH), TEXT),
    ]
    taken = {c.name.lower() for c in cols}
    for f in spec.fields:
        if f.type is FieldType.BINARY and not options.include_binary:
            continue
        col = n(f.name)
        if col.lower() in taken:  # IsDeleted is both a field and a metadata column: one column
            continue
        taken.add(col.lower())
        cols.append(Column(col, f.type.value, source=f.name))
    children: list[Table] = []
    for nested in spec.nested:
        if options.nested == "json":
            col = n(nested.field)
            if col.lower() not in taken:
                taken.add(col.lower())
                cols.append(Column(col, FieldType.JSON.value, source=nested.field))
        else:
            children.extend(_child_tables(spec, nested, (nested.field,), name, namer, options))
    relation_cols = _relation_columns(spec, (), namer)
    key_cols = tuple(n(k) for k in spec.key_fields)
    unique = (((n(REMOTE_ACCOUNT),) + key_cols),) if all(c in {x.name for x in cols} for c in key_cols) else ()
    main = Table(
        name=name, object=spec.name, columns=tuple(cols), primary_key=(n(REMOTE_ACCOUNT), n(REMOTE_ID)),
        unique=unique,
        indexes=tuple((c,) for c in relation_cols if c in {x.name for x in cols}),
        children=tuple(c.name for c in children),
    )
    return [main, *children]


def _child_tables(spec: ObjectSpec, nested: Nested, path: tuple[str, ...], parent_table: str,
                  namer: Namer, options: MirrorOptions) -> list[Table]:
    n = namer
    name = n(f"{spec.name}_{'_'.join(path)}")
    ancestors = tuple(n(f"{p}{POSITION}") for p in path[:-1])
    head = [Column(n(REMOTE_ACCOUNT), TEXT, nullable=False), Column(n(PARENT_ID), TEXT, nullable=False)]
    head += [Column(a, "integer", nullable=False) for a in ancestors]
    head.append(Column(n(POSITION), "integer", nullable=False))
    taken = {c.name.lower() for c in head}
    body: list[Column] = []
    relation_cols = _relation_columns(spec, path, namer)
    if nested.kind == "values":
        value_type = _values_type(spec, path)
        body.append(Column(n(VALUE), value_type, source=VALUE))
    elif nested.kind == "mapping":
        body += [Column(n(KEY), TEXT, source=KEY), Column(n(VALUE), FieldType.DECIMAL.value, source=VALUE)]
    else:
        for f in nested.fields:
            col = n(f.name)
            if col.lower() in taken:
                col = n(f"{nested.field}{f.name}")
            taken.add(col.lower())
            body.append(Column(col, f.type.value, source=f.name))
    deeper: list[Table] = []
    for sub in nested.nested:
        deeper.extend(_child_tables(spec, sub, path + (sub.field,), name, namer, options))
    pk = (n(REMOTE_ACCOUNT), n(PARENT_ID), *ancestors, n(POSITION))
    # Level 1 points at the record (RemoteAccount, RemoteID); deeper levels at the parent row's key.
    parent_key = ((n(REMOTE_ACCOUNT), n(REMOTE_ID)) if not ancestors
                  else (n(REMOTE_ACCOUNT), n(PARENT_ID), *ancestors[:-1], n(POSITION)))
    fk_to_parent = ForeignKey((n(REMOTE_ACCOUNT), n(PARENT_ID), *ancestors), parent_table, parent_key)
    body_names = {c.name for c in body}
    table = Table(
        name=name, object=spec.name, columns=tuple(head + body), primary_key=pk, path=path, kind=nested.kind,
        parent=parent_table,
        indexes=tuple((c,) for c in relation_cols if c in body_names),
        foreign_keys=(fk_to_parent,) if options.foreign_keys else (),
        children=tuple(t.name for t in deeper if t.parent == name),
    )
    return [table, *deeper]


def _values_type(spec: ObjectSpec, path: tuple[str, ...]) -> str:
    """A list of ids takes the type of the key it points at (BusinessEntity ids are text); others are text."""
    from scorolink.catalog.scoro import CATALOG

    for rel in spec.relations:
        if tuple(rel.field.split(".")) == path:
            target = CATALOG.get(rel.object)
            key = target.field_named(rel.target_field) if target else None
            return key.type.value if key else "integer"
    return TEXT


def _relation_column(rel_field: str, path: tuple[str, ...], namer: Namer) -> str | None:
    """The column of the table at `path` that a catalog relation lands in, if it lands there:
    `CompanyId` in the main table, `Lines.ProductId` in the Lines table, and a nested list of ids
    (`CreditedInvoices`) in its child table's Value column."""
    parts = tuple(rel_field.split("."))
    if parts[:-1] == path:
        return namer(parts[-1])
    if path and parts == path:
        return namer(VALUE)
    return None


def _relation_columns(spec: ObjectSpec, path: tuple[str, ...], namer: Namer) -> list[str]:
    """Columns of the table at `path` that hold a relation of the catalog (callers keep the ones it has)."""
    return [c for rel in spec.relations if (c := _relation_column(rel.field, path, namer)) is not None]


# Relations aimed at the read-only Contacts union land on People or Companies when Contacts is not
# mirrored (the default).
_CONTACT_TARGETS = (("company", "Companies"), ("person", "People"), ("supplier", "Companies"))


def relation_target(rel_field: str, target: str, present: set[str]) -> str | None:
    if target in present:
        return target
    if target == "Contacts":
        lowered = rel_field.lower()
        for hint, obj in _CONTACT_TARGETS:
            if hint in lowered and obj in present:
                return obj
    return None


def _with_relation_fks(table: Table, by_name: dict[str, Table], specs: list[ObjectSpec], namer: Namer,
                       present: set[str]) -> Table:
    spec = next(s for s in specs if s.name == table.object)
    fks = list(table.foreign_keys)
    for rel in spec.relations:
        col = _relation_column(rel.field, table.path, namer)
        if col is None or table.column(col) is None:
            continue
        target = relation_target(rel.field, rel.object, present)
        target_spec = next((s for s in specs if s.name == target), None)
        if target_spec is None or target_spec.key_fields != (rel.target_field,):
            continue  # only keys can be referenced; the column keeps its index
        ref_table = by_name.get(namer(target_spec.name))
        if ref_table is None or not ref_table.unique:
            continue
        fks.append(ForeignKey((namer(REMOTE_ACCOUNT), col), ref_table.name, ref_table.unique[0]))
    return replace(table, foreign_keys=tuple(fks))
