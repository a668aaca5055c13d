"""The Scoro catalog checked against the Skyvia seed's own tables (vendored in data/)."""

from __future__ import annotations

from collections import Counter

import pytest
from seed_tables import DATA, SEED, NestedRow, lines, tables

from scorolink.catalog.model import Field, FieldType, Nested, ObjectSpec
from scorolink.catalog.scoro import CATALOG, SEED_CUSTOM_FIELDS

SEED_TABLES = tables()

# The seed's nested table leaves three means-of-contact rows of People, Companies and Contacts
# without a name (type ValueType only). The reference names `email`; the other two are our
# reading of the rows that follow Fax. These catalog entries stand for the blank rows.
BLANK_ROW_FILL = {
    "People": ("Email", "Linkedin", "Twitter"),
    "Companies": ("Email", "Linkedin", "Twitter"),
    "Contacts": ("Email", "Linkedin", "Twitter"),
}
# The seed calls CalendarEvents.Users "UserType" and describes its children under "UsersType".
TYPE_ALIASES = {"UsersType": "UserType"}

OBJECTS = list(CATALOG)
IDS = [o.name for o in OBJECTS]


def _obj(name: str) -> ObjectSpec:
    spec = CATALOG.get(name)
    assert spec is not None, f"catalog has no object {name}"
    return spec


def _walk_nested(nested: tuple[Nested, ...]):  # type: ignore[no-untyped-def]
    for n in nested:
        yield n
        yield from _walk_nested(n.nested)


# -- the vendored spec is still the seed ------------------------------------------------------------
def test_vendored_lines_are_verbatim_from_seed() -> None:
    seed_lines = SEED.read_text(encoding="utf-8").splitlines()
    position = 0
    for line in lines():
        try:
            position = seed_lines.index(line, position) + 1
        except ValueError:
            pytest.fail(f"{DATA.name}: line not found (in order) in the seed: {line!r}")


def test_seed_tables_parse() -> None:
    assert len(SEED_TABLES.filters) == 53
    assert sum(len(fields) for fields in SEED_TABLES.filters.values()) == 495
    assert len(SEED_TABLES.nested) == 79
    assert len(SEED_TABLES.dml) == 36
    assert len(SEED_TABLES.incremental) == 38
    assert len(SEED_TABLES.sync) == 22
    assert NestedRow("InvoiceLinesType", "Dates", "KeyValueType") in SEED_TABLES.nested
    assert NestedRow("People", "Address", "AddressType") in SEED_TABLES.nested


# -- objects ---------------------------------------------------------------------------------------
def test_every_seed_object_exists_and_is_marked_skyvia() -> None:
    missing = sorted(SEED_TABLES.objects - set(CATALOG.names()))
    assert not missing
    assert {o.name for o in CATALOG if o.skyvia} == SEED_TABLES.objects


def test_objects_beyond_skyvia() -> None:
    extra = {o.name for o in CATALOG if not o.skyvia}
    assert extra == {
        "LocalPriceLists",
        "Notifications",
        "Bookmarks",
        "Tags",
        "CustomFields",
        "CustomModules",
        "Webhooks",
    }


def test_object_names_unique() -> None:
    counts = Counter(n.lower() for n in CATALOG.names())
    assert [n for n, c in counts.items() if c > 1] == []


# -- filters ---------------------------------------------------------------------------------------
def test_filters_match_seed_exactly() -> None:
    problems = []
    for obj_name, fields in SEED_TABLES.filters.items():
        spec = _obj(obj_name)
        custom = {f.name: f for f in SEED_CUSTOM_FIELDS.get(obj_name, ())}
        for field_name, ops in fields.items():
            fld = custom.get(field_name) if field_name.startswith("fk_") else None
            if not field_name.startswith("fk_"):
                fld = next((f for f in spec.fields if f.name == field_name), None)
            if fld is None:
                problems.append(f"{obj_name}.{field_name}: missing")
            elif fld.filters != ops:
                problems.append(f"{obj_name}.{field_name}: {fld.filters} != seed {ops}")
    assert problems == []


def test_no_filter_beyond_seed() -> None:
    problems = []
    for spec in CATALOG:
        seed = SEED_TABLES.filters.get(spec.name, {})
        for fld in spec.fields:
            if fld.filters and fld.name not in seed:
                problems.append(f"{spec.name}.{fld.name}")
            assert not fld.name.startswith("fk_"), f"{spec.name}.{fld.name}: custom fields are discovered"
        for n in _walk_nested(spec.nested):
            problems += [f"{spec.name}.{n.field}.{f.name}" for f in n.fields if f.filters]
    for obj_name, fields in SEED_CUSTOM_FIELDS.items():
        seed = SEED_TABLES.filters.get(obj_name, {})
        problems += [f"{obj_name}.{f.name}" for f in fields if f.name not in seed]
    assert problems == []


def test_seed_custom_fields_shape() -> None:
    for obj_name, fields in SEED_CUSTOM_FIELDS.items():
        assert CATALOG.get(obj_name) is not None
        assert _obj(obj_name).custom_fields, f"{obj_name} carries custom fields"
        for fld in fields:
            assert fld.custom and fld.api_key == fld.name and fld.name.startswith("fk_")
            assert fld.filters
    types = {f.name: f.type for f in SEED_CUSTOM_FIELDS["People"]}
    assert types["fk_dateTime"] is FieldType.DATETIME
    assert types["fk_date"] is FieldType.DATE
    assert types["fk_checkbox"] is FieldType.BOOLEAN
    assert types["fk_money"] is FieldType.DECIMAL
    assert types["fk_number_range_2"] is FieldType.DECIMAL
    assert types["fk_duration_avg"] is FieldType.TIME
    # image custom fields hold a file reference, read as text like the connector's runtime discovery
    assert types["fk_imageId"] is FieldType.STRING
    assert types["fk_relation_comp"] is FieldType.INTEGER
    assert types["fk_numbering"] is FieldType.STRING


# -- operations, incremental, sync --------------------------------------------------------------------
@pytest.mark.parametrize("spec", OBJECTS, ids=IDS)
def test_operations_match_dml_table(spec: ObjectSpec) -> None:
    expected = frozenset({"select"}) | SEED_TABLES.dml.get(spec.name, frozenset())
    assert spec.operations == expected


def test_upserting_inserts() -> None:
    assert {o.name for o in CATALOG if o.insert_is_upsert} == {"ContactRelations", "LaborCost"}


def test_incremental_matches_seed() -> None:
    assert {o.name for o in CATALOG if o.incremental} == SEED_TABLES.incremental
    for spec in CATALOG:
        if spec.incremental is None:
            continue
        assert spec.incremental == ("CreatedDate" if spec.name == "Files" else "UpdatedDate")
        cursor = spec.field_named(spec.incremental)
        assert cursor is not None and cursor.type is FieldType.DATETIME, spec.name


def test_sync_matches_seed() -> None:
    assert {o.name for o in CATALOG if o.sync} == SEED_TABLES.sync


# -- nested ------------------------------------------------------------------------------------------
def _nested_by_type(type_name: str) -> list[Nested]:
    wanted = TYPE_ALIASES.get(type_name, type_name)
    return [n for spec in CATALOG for n in _walk_nested(spec.nested) if n.type == wanted]


def test_nested_table_present() -> None:
    problems = []
    blank_rows: Counter[str] = Counter()
    for row in SEED_TABLES.nested:
        if not row.field:
            blank_rows[row.owner] += 1
            continue
        if row.owner_is_type:
            holders = _nested_by_type(row.owner)
            if not holders:
                problems.append(f"no nested of type {row.owner}")
            for holder in holders:
                child = next((c for c in holder.nested if c.field == row.field), None)
                if child is None or child.type != row.type:
                    problems.append(f"{row.owner}.{row.field}: want {row.type}")
        else:
            n = next((x for x in _obj(row.owner).nested if x.field == row.field), None)
            if n is None or n.type != row.type:
                problems.append(f"{row.owner}.{row.field}: want {row.type}, have {n and n.type}")
    assert problems == []
    assert dict(blank_rows) == {k: len(v) for k, v in BLANK_ROW_FILL.items()}
    for owner, names in BLANK_ROW_FILL.items():
        for name in names:
            n = _obj(owner).nested_named(name)
            assert n is not None and n.type == "ValueType" and n.kind == "values", f"{owner}.{name}"


@pytest.mark.parametrize("spec", OBJECTS, ids=IDS)
def test_nested_shapes(spec: ObjectSpec) -> None:
    for n in _walk_nested(spec.nested):
        assert n.kind in {"objects", "object", "values", "mapping"}, n.field
        if n.kind in {"values", "mapping"}:
            assert not n.fields and not n.nested, n.field
        else:
            assert n.fields, f"{spec.name}.{n.field} describes its fields"
        if n.key is not None:
            assert n.field_named(n.key) is not None, f"{spec.name}.{n.field} key {n.key}"
        _assert_unique(f"{spec.name}.{n.field}", n.fields, n.nested)


# -- fields, keys, relations ----------------------------------------------------------------------------
def _assert_unique(where: str, fields: tuple[Field, ...], nested: tuple[Nested, ...]) -> None:
    names = Counter([f.name.lower() for f in fields] + [n.field.lower() for n in nested])
    assert [n for n, c in names.items() if c > 1] == [], f"{where}: duplicate names"
    # a BINARY field names the wire key its bytes are fetched from (PictureContent <- contact_picture)
    keys = Counter(
        [f.api_key for f in fields if f.type is not FieldType.BINARY] + [n.api_key for n in nested]
    )
    assert [k for k, c in keys.items() if c > 1] == [], f"{where}: duplicate api keys"


@pytest.mark.parametrize("spec", OBJECTS, ids=IDS)
def test_names_and_api_keys_unique(spec: ObjectSpec) -> None:
    _assert_unique(spec.name, spec.fields, spec.nested)


@pytest.mark.parametrize("spec", OBJECTS, ids=IDS)
def test_keys_exist(spec: ObjectSpec) -> None:
    for name in spec.key_fields:
        assert spec.field_named(name) is not None, f"{spec.name} key {name}"


@pytest.mark.parametrize("spec", OBJECTS, ids=IDS)
def test_datetime_styles(spec: ObjectSpec) -> None:
    every = list(spec.fields) + [f for n in _walk_nested(spec.nested) for f in n.fields]
    for fld in every:
        if fld.type is FieldType.DATETIME:
            assert fld.datetime_style is not None, f"{spec.name}.{fld.name}"
        else:
            assert fld.datetime_style is None, f"{spec.name}.{fld.name}"


def _resolves(fields: tuple[Field, ...], nested: tuple[Nested, ...], path: str) -> bool:
    head, _, rest = path.partition(".")
    if not rest:
        return any(f.name == head for f in fields) or any(
            n.field == head and n.kind == "values" for n in nested
        )
    child = next((n for n in nested if n.field == head), None)
    return child is not None and _resolves(child.fields, child.nested, rest)


@pytest.mark.parametrize("spec", OBJECTS, ids=IDS)
def test_relations_resolve(spec: ObjectSpec) -> None:
    for rel in spec.relations:
        assert _resolves(spec.fields, spec.nested, rel.field), f"{spec.name}.{rel.field}"
        target = _obj(rel.object)
        assert target.field_named(rel.target_field) is not None, f"{rel.object}.{rel.target_field}"


@pytest.mark.parametrize("spec", OBJECTS, ids=IDS)
def test_object_behaviours(spec: ObjectSpec) -> None:
    assert spec.reader in {"list", "per_parent", "labor_cost", "company_account"}
    if spec.reader == "per_parent":
        assert spec.parent is not None
        assert CATALOG.get(spec.parent.object) is not None
        assert spec.field_named(spec.parent.field) is not None
    else:
        assert spec.parent is None
    for fld in spec.binary_fields:
        assert fld.name in {"PictureContent", "Content"}
    # custom fields are discovered at runtime, never declared
    assert not any(f.custom for f in spec.fields)


def test_contacts_split() -> None:
    assert _obj("People").fixed_filter == (("contact_type", "person"),)
    assert _obj("People").fixed_values == (("contact_type", "person"),)
    assert _obj("Companies").fixed_filter == (("contact_type", "company"),)
    assert _obj("Companies").fixed_values == (("contact_type", "company"),)
    assert _obj("Contacts").read_only and not _obj("Contacts").fixed_filter
    for name in ("People", "Companies", "Contacts"):
        pic = _obj(name).field_named("PictureContent")
        assert pic is not None and pic.type is FieldType.BINARY and pic.read_only
        assert pic.api_key == "contact_picture"
    content = _obj("Files").field_named("Content")
    assert content is not None and content.type is FieldType.BINARY


def test_comment_objects() -> None:
    comments = [o for o in CATALOG if o.name.endswith("Comments")]
    assert len(comments) == 10
    for spec in comments:
        assert spec.module == "comments" and spec.reader == "per_parent"
        assert spec.parent is not None and spec.parent.field == "ObjectId"
        assert spec.field_named("Id") is not None and spec.field_named("Id").api_key == "comment_id"  # type: ignore[union-attr]


def test_unconfirmed_modules() -> None:
    assert {o.name for o in CATALOG if not o.module_known} == {
        "Bookings",
        "TimeOffs",
        "RevenueForecastPeriods",
    }


def test_canonical_name_mapping_examples() -> None:
    pairs = {
        ("Invoices", "DocumentNumber"): "no",
        ("Invoices", "UpdatedDate"): "modified_date",
        ("Invoices", "VATSum"): "vat_sum",
        ("Invoices", "Id"): "id",
        ("Projects", "Id"): "project_id",
        ("Tasks", "Id"): "event_id",
        ("People", "Id"): "contact_id",
        ("Companies", "VATNumber"): "vatno",
        ("Tasks", "DateTimeDue"): "datetime_due",
        ("Bills", "CompanyAddressZipCode"): "company_address.zipcode",
        ("Orders", "CompanyAddressZipcode"): "company_address.zipcode",
    }
    for (obj, name), api_key in pairs.items():
        fld = next(f for f in _obj(obj).fields if f.name == name)
        assert fld.api_key == api_key
    inv = _obj("Invoices").field_named("UpdatedDate")
    task = _obj("Tasks").field_named("UpdatedDate")
    assert inv is not None and inv.datetime_style == "sql"
    assert task is not None and task.datetime_style == "iso"


@pytest.mark.parametrize("spec", OBJECTS, ids=IDS)
def test_delete_flag_matches_fields(spec: ObjectSpec) -> None:
    assert spec.has_delete_flag == (spec.field_named("IsDeleted") is not None)


@pytest.mark.parametrize("spec", OBJECTS, ids=IDS)
def test_detail_only_data_is_reachable(spec: ObjectSpec) -> None:
    detail = [f.name for f in spec.fields if f.detail_only] + [n.field for n in spec.nested if n.detail_only]
    if detail:
        assert spec.detailed_list or spec.has_view, f"{spec.name}: {detail} need a view or a detailed list"


@pytest.mark.parametrize("spec", OBJECTS, ids=IDS)
def test_read_only_objects_and_key_fields(spec: ObjectSpec) -> None:
    if spec.key == "Id":
        key = spec.field_named("Id")
        assert key is not None and key.read_only, f"{spec.name}.Id is assigned by Scoro"
    for name in ("CreatedDate", "UpdatedDate", "DeletedDate", "IsDeleted", "SearchName", "PictureContent"):
        fld = spec.field_named(name)
        assert fld is None or fld.read_only, f"{spec.name}.{name}"
