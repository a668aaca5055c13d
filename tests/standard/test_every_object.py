"""The standard suite: one set of checks run over every catalog object against the sandbox.

The catalog (from the seed documents) and the sandbox (from the wire reference) are two
independent readings of Scoro; these tests are where they must agree: types, keys, paging
edges, every native filter operator, deleted records, and every allowed write — while the
operations an object does not allow are refused with the list of what it does allow.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from scorolink.catalog.model import FieldType, ObjectSpec
from scorolink.catalog.scoro import CATALOG
from scorolink.connectors.base import Condition, WriteOp, matches
from scorolink.connectors.scoro import ScoroConnector
from scorolink.errors import OperationNotAllowed
from tests.conftest import endpoint_counts

ALL = [spec.name for spec in CATALOG]
WRITABLE = [spec.name for spec in CATALOG if spec.operations - {"select"}]
# Objects whose rows are the only rows of their module, so the module's row count is theirs.
# Users is left out: the default users list hides customer-portal users (reference §4.6).
OWN_MODULE = [spec.name for spec in CATALOG if spec.reader == "list" and not spec.fixed_filter
              and spec.name not in ("Contacts", "Users")] + ["Contacts"]

_TIME = re.compile(r"^\d{2,3}:\d{2}:\d{2}$")
_PYTHON_TYPES: dict[FieldType, tuple[type, ...]] = {
    FieldType.INTEGER: (int,), FieldType.DECIMAL: (Decimal,), FieldType.STRING: (str,),
    FieldType.BOOLEAN: (bool,), FieldType.DATE: (date,), FieldType.DATETIME: (datetime,),
    FieldType.TIME: (str,), FieldType.BINARY: (bytes,),
}


def _check_types(spec: ObjectSpec, record: dict[str, Any]) -> list[str]:
    problems = []
    for f in spec.fields:
        value = record.get(f.name)
        if value is None or f.type is FieldType.JSON or f.name not in record:
            continue
        expected = _PYTHON_TYPES[f.type]
        if not isinstance(value, expected) or (f.type is FieldType.INTEGER and isinstance(value, bool)):
            problems.append(f"{f.name}={value!r} is not {f.type.value}")
        elif f.type is FieldType.DATETIME and value.tzinfo is None:
            problems.append(f"{f.name} is a naive datetime")
        elif f.type is FieldType.TIME and not _TIME.match(value):
            problems.append(f"{f.name}={value!r} is not HH:MM:SS")
    return problems


@pytest.mark.parametrize("name", ALL)
def test_reads_typed_records_with_unique_keys(connector: ScoroConnector, name: str) -> None:
    spec = connector.spec(name)
    records = list(connector.read(name))
    assert records, f"the sandbox has no {name}"
    problems = [p for r in records for p in _check_types(spec, r)]
    assert not problems, problems[:10]
    keys = [tuple(r[k] for k in spec.key_fields) for r in records]
    assert all(all(part is not None for part in key) for key in keys)
    assert len(set(keys)) == len(keys), "duplicate keys"
    for n in spec.nested:
        for record in records:
            value = record.get(n.field)
            if value is not None and n.kind == "objects":
                assert isinstance(value, list), f"{n.field} is {type(value).__name__}"


@pytest.mark.parametrize("name", OWN_MODULE)
@pytest.mark.parametrize("size", [0, 1, 100, 101])
def test_paging_edges_take_the_minimum_requests(sandbox, connector: ScoroConnector, name: str, size: int) -> None:
    spec = connector.spec(name)
    sandbox.set_count(sandbox.default["site"], spec.module, size)
    connector.custom_fields()  # discovered once, outside the count
    sandbox.reset_stats()
    rows = list(connector.read(name, columns=list(spec.key_fields)))
    assert len(rows) == size
    # A short page ends the list, so a multiple of the page size costs one empty page more.
    assert endpoint_counts(sandbox) == {f"{spec.module}/list": size // 100 + 1}


def _sample_value(spec: ObjectSpec, records: list[dict[str, Any]], field: str) -> Any:
    values = [r.get(field) for r in records if r.get(field) not in (None, "")]
    if values:
        return values[len(values) // 2]
    f = spec.field_named(field)
    assert f is not None
    return {FieldType.INTEGER: 1, FieldType.DECIMAL: Decimal("1"), FieldType.BOOLEAN: True,
            FieldType.DATE: date(2024, 1, 1), FieldType.DATETIME: datetime(2024, 1, 1, tzinfo=datetime.now().astimezone().tzinfo),
            FieldType.TIME: "01:00:00"}.get(f.type, "no such value")


def _filter_cases() -> list[tuple[str, str, str]]:
    cases = []
    for spec in CATALOG:
        for f in spec.fields:
            for op in f.filters:
                cases.append((spec.name, f.name, op))
    return cases


def _carried(filter_: dict[str, Any], api_key: str) -> bool:
    current: Any = filter_
    for part in api_key.split("."):
        if not isinstance(current, dict) or part not in current:
            return False
        current = current[part]
    return True


@pytest.mark.parametrize(("name", "field", "op"), _filter_cases())
def test_every_native_filter_is_pushed_and_correct(sandbox, connector: ScoroConnector, name: str, field: str,
                                                   op: str) -> None:
    spec = connector.spec(name)
    f = spec.field_named(field)
    assert f is not None
    everything = list(connector.read(name, include_deleted=f.name == "IsDeleted"))
    value = _sample_value(spec, everything, f.name)
    cond = Condition(f.name, op, value)
    sandbox.reset_stats()
    got = list(connector.read(name, [cond], include_deleted=f.name == "IsDeleted"))
    expected = [r for r in everything if matches(r, [cond])]
    key = spec.key_fields
    assert sorted(tuple(str(r[k]) for k in key) for r in got) == sorted(tuple(str(r[k]) for k in key) for r in expected)
    sent = [e for e in sandbox.recent_requests(200) if e["module"] == spec.module and e["action"] == "list"]
    assert sent, "no list request was sent"
    assert all(_carried(e["body"].get("filter") or {}, f.api_key) for e in sent), \
        f"{f.api_key} was not in the filter: {[e['body'].get('filter') for e in sent][:2]}"


SEED_CUSTOM = [(obj, f.name, op) for obj, fields in __import__("scorolink.catalog.scoro", fromlist=["x"])
               .SEED_CUSTOM_FIELDS.items() for f in fields for op in f.filters]


@pytest.mark.parametrize(("name", "field", "op"), SEED_CUSTOM)
def test_seed_custom_field_filters_are_discovered_and_pushed(sandbox, connector: ScoroConnector, name: str,
                                                             field: str, op: str) -> None:
    spec = connector.spec(name)
    f = spec.field_named(field)
    assert f is not None and f.custom, f"custom field {field} was not discovered on {name}"
    assert op in f.filters
    everything = list(connector.read(name))
    value = _sample_value(spec, everything, f.name)
    cond = Condition(f.name, op, value)
    sandbox.reset_stats()
    got = list(connector.read(name, [cond]))
    assert len(got) == len([r for r in everything if matches(r, [cond])])
    sent = [e for e in sandbox.recent_requests(50) if e["module"] == spec.module and e["action"] == "list"]
    assert sent and all(_carried(e["body"].get("filter") or {}, f.api_key) for e in sent)


@pytest.mark.parametrize("name", [s.name for s in CATALOG if s.has_delete_flag])
def test_include_deleted_shows_soft_deleted_records(sandbox, connector: ScoroConnector, name: str) -> None:
    spec = connector.spec(name)
    live = list(connector.read(name, columns=list(spec.key_fields) + ["IsDeleted"]))
    if spec.allows("delete"):
        victim = live[0]
        results = list(connector.write(name, [WriteOp("delete", dict(victim))]))
        assert results[0].ok, results[0].error
        live_after = list(connector.read(name, columns=list(spec.key_fields)))
        assert victim[spec.key_fields[0]] not in {r[spec.key_fields[0]] for r in live_after}
    with_deleted = list(connector.read(name, columns=list(spec.key_fields) + ["IsDeleted"], include_deleted=True))
    assert len(with_deleted) >= len(live)
    deleted = [r for r in with_deleted if r["IsDeleted"]]
    assert deleted, f"no deleted {name} visible with include_deleted"
    assert all(r["IsDeleted"] is False for r in connector.read(name, columns=["IsDeleted"]))


# -- writes -------------------------------------------------------------------------------------
UNIQUE = ("Name", "EventName", "ProjectName", "Comment", "Description", "FileName", "Code", "Title")


def _clone_for_insert(spec: ObjectSpec, source: dict[str, Any], tag: str) -> dict[str, Any]:
    """A valid new record built from an existing one: writable fields only, children without ids."""
    record: dict[str, Any] = {}
    for f in spec.fields:
        if f.read_only or f.type is FieldType.BINARY or f.name in spec.key_fields and spec.reader == "list":
            continue
        if source.get(f.name) is not None:
            record[f.name] = source[f.name]
    for n in spec.nested:
        value = source.get(n.field)
        if n.read_only or value is None:
            continue
        if n.kind == "objects" and isinstance(value, list):
            value = [{k: v for k, v in item.items() if k != n.key and not _child_read_only(n, k)} for item in value]
        record[n.field] = value
    for name in UNIQUE:
        if spec.field_named(name) and not spec.field_named(name).read_only and isinstance(record.get(name), str):
            record[name] = f"{record[name]} {tag}"
            break
    return record


def _child_read_only(n: Any, name: str) -> bool:
    f = n.field_named(name)
    return f is not None and f.read_only


# Reference fields of lines and documents, and the object their ids must exist in.
# (Users are left out: the API cannot delete them.)
REFERENCES = {"ProductId": "Products", "VatCodeId": "VATCodes", "ProjectId": "Projects", "SupplierId": "Contacts",
              "FinanceAccountId": "FinanceAccounts", "FinanceObjectId": "AccountingObjects",
              "CompanyId": "Contacts", "PersonId": "Contacts", "RelatedObjectId": "Contacts"}


def _drop_dead_references(connector: ScoroConnector, record: dict[str, Any]) -> None:
    """A copied record may point at rows deleted since; Scoro refuses those, so leave such ids out."""
    live: dict[str, set[Any]] = {}

    def scrub(row: dict[str, Any]) -> None:
        for name, target in REFERENCES.items():
            if row.get(name):
                if target not in live:
                    live[target] = {r["Id"] for r in connector.read(target, columns=["Id"])}
                if row[name] not in live[target]:
                    row.pop(name)
        for value in row.values():
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        scrub(item)

    scrub(record)


def _insert_case(connector: ScoroConnector, spec: ObjectSpec) -> dict[str, Any]:
    source = next(iter(connector.read(spec.name)))
    if spec.name == "LaborCost":
        return {"UserId": source["UserId"], "Date": date(2031, 1, 1), "HourCost": Decimal("42.50")}
    if spec.name == "ContactRelations":
        first, second = [r["Id"] for r in connector.read("Contacts", columns=["Id"], limit=2)]
        relation = next(iter(connector.read("RelationTypes")))["RelationName"]
        return {"ObjectId": first, "RelatedObjectId": second, "Relation": relation, "Comment": "suite"}
    record = _clone_for_insert(spec, source, "copy")
    _drop_dead_references(connector, record)
    if spec.name == "Files":
        record.update(FileName="standard-suite.txt", Content=b"hello from the standard suite\n" * 10)
    return record


@pytest.mark.parametrize("name", [n for n in WRITABLE if CATALOG.get(n).allows("insert")])
def test_insert_returns_the_saved_record(sandbox, connector: ScoroConnector, name: str) -> None:
    spec = connector.spec(name)
    before = sum(1 for _ in connector.read(name, columns=list(spec.key_fields)))
    record = _insert_case(connector, spec)
    [result] = list(connector.write(name, [WriteOp("insert", record)]))
    assert result.ok, result.error
    assert result.record
    after = list(connector.read(name))
    assert len(after) == before + 1
    if spec.insert_is_upsert:  # inserting the same key again updates it in place
        [again] = list(connector.write(name, [WriteOp("insert", record)]))
        assert again.ok, again.error
        assert sum(1 for _ in connector.read(name, columns=list(spec.key_fields))) == before + 1
    if spec.name == "Files":
        saved = result.record
        content = next(iter(connector.read(name, [Condition("Id", "=", saved["Id"])], columns=["Id", "Content"])))
        assert content["Content"] == record["Content"]


def _editable_string(spec: ObjectSpec) -> str | None:
    for name in UNIQUE + ("Comments", "Comment2", "Position", "Address", "Unit", "Color"):
        f = spec.field_named(name)
        if f is not None and not f.read_only and f.type is FieldType.STRING and not f.custom:
            return f.name
    return next((f.name for f in spec.fields if f.type is FieldType.STRING and not f.read_only and not f.custom
                 and "." not in f.api_key and f.name not in spec.key_fields and not f.name.endswith("Email")), None)


@pytest.mark.parametrize("name", [n for n in WRITABLE if CATALOG.get(n).allows("update")])
def test_update_changes_only_what_was_sent(sandbox, connector: ScoroConnector, name: str) -> None:
    spec = connector.spec(name)
    field = _editable_string(spec)
    assert field, f"{name} has no editable text field to update"
    target = next(iter(connector.read(name)))
    key = spec.key_fields[0]
    [result] = list(connector.write(name, [WriteOp("update", {key: target[key], field: "changed by the suite"})]))
    assert result.ok, result.error
    [after] = list(connector.read(name, [Condition(key, "=", target[key])]))
    assert after[field] == "changed by the suite"
    assert after["UpdatedDate"] >= target["UpdatedDate"] if "UpdatedDate" in after and target.get("UpdatedDate") else True
    unchanged = {k: v for k, v in target.items() if k not in (field, "UpdatedDate") and spec.field_named(k)
                 and not spec.field_named(k).read_only}
    assert {k: after.get(k) for k in unchanged} == unchanged


@pytest.mark.parametrize("name", [n for n in WRITABLE if CATALOG.get(n).allows("delete")])
def test_delete_removes_the_record(sandbox, connector: ScoroConnector, name: str) -> None:
    spec = connector.spec(name)
    key = spec.key_fields[0]
    target = next(iter(connector.read(name, columns=list(spec.key_fields))))
    [result] = list(connector.write(name, [WriteOp("delete", dict(target))]))
    assert result.ok, result.error
    assert target[key] not in {r[key] for r in connector.read(name, columns=[key])}


@pytest.mark.parametrize("name", ALL)
def test_operations_not_allowed_are_refused_with_the_allowed_list(sandbox, connector: ScoroConnector,
                                                                  name: str) -> None:
    spec = connector.spec(name)
    refused = [op for op in ("insert", "update", "delete") if not spec.allows(op)]
    for op in refused:
        with pytest.raises(OperationNotAllowed) as info:
            list(connector.write(name, [WriteOp(op, {spec.key_fields[0]: 1})]))
        assert all(allowed in str(info.value) for allowed in spec.operations)
    assert endpoint_counts(sandbox).get(f"{spec.module}/modify", 0) == 0
    assert endpoint_counts(sandbox).get(f"{spec.module}/delete", 0) == 0


def test_binary_fields_cost_one_request_per_record_and_only_when_selected(sandbox, connector) -> None:
    connector.custom_fields()
    sandbox.reset_stats()
    contacts = list(connector.read("Contacts"))
    assert "PictureContent" not in contacts[0]
    assert set(endpoint_counts(sandbox)) == {"contacts/list"}
    sandbox.reset_stats()
    with_pictures = list(connector.read("Contacts", columns=["Id", "PictureContent"]))
    assert any(isinstance(p["PictureContent"], bytes) and p["PictureContent"] for p in with_pictures)
    assert endpoint_counts(sandbox) == {"contacts/list": 1}
    # one extra request (a GET of the picture link) per record that has a picture, none for the others
    assert connector.client.stats.by_endpoint["picture/get"] == sum(
        1 for p in with_pictures if p["PictureContent"] is not None)


def test_reading_changes_since_a_moment_uses_the_cursor_filter(sandbox, connector) -> None:
    everything = list(connector.read("Tasks"))
    since = max(r["UpdatedDate"] for r in everything) - timedelta(days=30)
    sandbox.reset_stats()
    recent = list(connector.read("Tasks", [Condition("UpdatedDate", ">=", since)]))
    assert {r["Id"] for r in recent} == {r["Id"] for r in everything if r["UpdatedDate"] >= since}
    [request] = [e for e in sandbox.recent_requests(10) if e["module"] == "tasks"]
    assert "from_date" in request["body"]["filter"]["modified_date"]
