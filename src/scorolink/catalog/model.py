"""The shape of a catalog: objects, fields, nested structures and relations.

Pure data. Nothing here performs I/O; the client, connector, replication and query
layers all read the same description, the way stripe-python generates its services
from one machine-readable spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


class FieldType(StrEnum):
    """Canonical value types. Wire conversion lives in `scorolink.clients.scoro_types`."""

    INTEGER = "integer"
    DECIMAL = "decimal"  # money, quantities, percentages: Decimal end to end
    STRING = "string"
    BOOLEAN = "boolean"  # 0/1 on the wire
    DATE = "date"  # YYYY-mm-dd, "0000-00-00" is null
    DATETIME = "datetime"  # ISO 8601 with offset or SQL style; aware UTC in records
    TIME = "time"  # HH:ii:ss durations, kept as text
    JSON = "json"  # free-form structure kept as-is (dicts, lists of scalars)
    BINARY = "binary"  # bytes fetched by an extra request, only when selected


class DatetimeStyle(StrEnum):
    """How Scoro writes a datetime field (reference §7.2): both families exist in v2."""

    ISO = "iso"  # 2016-03-25T15:47:20+02:00
    SQL = "sql"  # 2016-03-25 15:47:20 in the site's time zone


Operation = str  # "select" | "insert" | "update" | "delete"
OPERATIONS: tuple[Operation, ...] = ("select", "insert", "update", "delete")

RANGE_OPERATORS: tuple[str, ...] = ("=", "<", "<=", ">", ">=")
EQUALITY: tuple[str, ...] = ("=",)


@dataclass(frozen=True, slots=True)
class Field:
    """One field of an object or of a nested structure."""

    name: str  # canonical (Skyvia) name, e.g. DocumentNumber
    api_key: str  # Scoro JSON key, e.g. no
    type: FieldType
    read_only: bool = False
    filters: tuple[str, ...] = ()  # operators the API filters natively, from the seed table
    datetime_style: DatetimeStyle | None = None  # only for DATETIME fields
    detail_only: bool = False  # absent (null) on plain lists; present on view / detailed list
    custom: bool = False  # a custom field discovered from customFields/list
    description: str = ""

    @property
    def filterable(self) -> bool:
        return bool(self.filters)


@dataclass(frozen=True, slots=True)
class Nested:
    """A nested structure of an object: `Lines`, `Addresses`, `Phases`, means of contact...

    `kind` says how the value sits on the wire:
      - "objects": a list of dicts described by `fields` (and deeper `nested`);
      - "object": a single dict described by `fields`;
      - "values": a list of scalars (tags, related user ids, means of contact strings);
      - "mapping": a dict of key -> value (line `Dates`: {"2024-01-31": 2.0}).
    """

    field: str  # canonical name, e.g. Lines
    api_key: str  # wire key, e.g. lines; dotted for keys inside a dict (means_of_contact.email)
    type: str  # the seed's nested type name, e.g. InvoiceLinesType, ValueType
    kind: str = "objects"
    fields: tuple[Field, ...] = ()
    nested: tuple[Nested, ...] = ()
    key: str | None = None  # canonical name of the child's own id, when the API gives one
    detail_only: bool = False  # only on view / detailed lists (lines, custom fields...)
    read_only: bool = False

    def field_named(self, name: str) -> Field | None:
        lowered = name.lower()
        return next((f for f in self.fields if f.name.lower() == lowered), None)


@dataclass(frozen=True, slots=True)
class Relation:
    """A foreign key: `field` of this object points at `target_field` of `object`.

    `field` may be dotted, `Lines.ProductId`: a field of a nested structure. It may also name
    a nested list of scalars (`kind="values"`), each value pointing at the target.
    """

    field: str
    object: str
    target_field: str = "Id"


@dataclass(frozen=True, slots=True)
class Parent:
    """Objects listed per parent record (comments, contact relations).

    Scoro's comments list needs `request.module` and `request.object_id`; reading
    all comments of a module therefore walks the parent object's ids.
    """

    object: str  # canonical parent object, e.g. Bills
    module: str  # the module name the child request carries, e.g. bills
    field: str  # canonical field of the child holding the parent id, e.g. ObjectId


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """One Scoro object as scorolink exposes it."""

    name: str  # canonical, e.g. Invoices
    module: str  # Scoro API module path, e.g. invoices
    key: str  # canonical name of the primary key field(s), comma-separated when composite
    fields: tuple[Field, ...]
    operations: frozenset[Operation] = frozenset({"select"})
    incremental: str | None = None  # canonical cursor field (UpdatedDate, CreatedDate)
    sync: bool = False
    nested: tuple[Nested, ...] = ()
    relations: tuple[Relation, ...] = ()
    # constant filter that carves this object out of its module (People: contact_type=person)
    fixed_filter: tuple[tuple[str, str], ...] = ()
    # constant values written on insert (People: contact_type=person)
    fixed_values: tuple[tuple[str, str], ...] = ()
    parent: Parent | None = None
    insert_is_upsert: bool = False  # ContactRelations, LaborCost
    detailed_list: bool = True  # list accepts detailed_response (view-level rows, 25 per page)
    has_view: bool = True  # module has view/{id}
    has_delete_flag: bool = True  # records carry is_deleted / deleted_date; include_deleted works
    custom_fields: bool = False  # custom fields (customFields/list modules[]) attach here
    custom_field_module: str | None = None  # module name customFields/list uses, if not `module`
    skyvia: bool = True  # listed by the Skyvia connector (False: objects we add beyond it)
    module_known: bool = True  # False: the module path is not confirmed by any source (configurable)
    reader: str = "list"  # list | per_parent | labor_cost | company_account
    description: str = ""

    # -- derived -------------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        return self.operations == frozenset({"select"})

    @property
    def key_fields(self) -> tuple[str, ...]:
        return tuple(k.strip() for k in self.key.split(","))

    @property
    def binary_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.type is FieldType.BINARY)

    def field_named(self, name: str) -> Field | None:
        lowered = name.lower()
        return next((f for f in self.fields if f.name.lower() == lowered), None)

    def field_by_api_key(self, api_key: str) -> Field | None:
        return next((f for f in self.fields if f.api_key == api_key), None)

    def nested_named(self, name: str) -> Nested | None:
        lowered = name.lower()
        return next((n for n in self.nested if n.field.lower() == lowered), None)

    def allows(self, operation: Operation) -> bool:
        return operation in self.operations

    def with_custom_fields(self, extra: tuple[Field, ...]) -> ObjectSpec:
        known = {f.name.lower() for f in self.fields}
        added = tuple(f for f in extra if f.name.lower() not in known)
        return replace(self, fields=self.fields + added)


@dataclass(frozen=True, slots=True)
class Catalog:
    """All objects of one system, looked up case-insensitively by canonical name."""

    system: str
    objects: tuple[ObjectSpec, ...]
    _index: dict[str, ObjectSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for spec in self.objects:
            self._index[spec.name.lower()] = spec

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.objects)

    def __len__(self) -> int:
        return len(self.objects)

    def get(self, name: str) -> ObjectSpec | None:
        return self._index.get(name.lower())

    def names(self) -> list[str]:
        return [o.name for o in self.objects]
