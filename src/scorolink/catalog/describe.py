"""Catalog entries as plain JSON-ready dicts (`scorolink objects --json`, `describe --json`)."""

from __future__ import annotations

from typing import Any

from scorolink.catalog.model import OPERATIONS, Field, Nested, ObjectSpec


def object_summary(spec: ObjectSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "module": spec.module,
        "key": spec.key,
        "operations": [op for op in OPERATIONS if op in spec.operations],
        "incremental": spec.incremental,
        "sync": spec.sync,
        "read_only": spec.read_only,
        "insert_is_upsert": spec.insert_is_upsert,
        "nested": [n.field for n in spec.nested],
        "binary_fields": [f.name for f in spec.binary_fields],
        "reader": spec.reader,
        "skyvia": spec.skyvia,
        "module_confirmed": spec.module_known,
    }


def field_info(f: Field) -> dict[str, Any]:
    info: dict[str, Any] = {
        "name": f.name,
        "type": f.type.value,
        "api_key": f.api_key,
        "read_only": f.read_only,
        "filters": list(f.filters),
        "detail_only": f.detail_only,
        "custom": f.custom,
    }
    if f.datetime_style is not None:
        info["datetime_style"] = f.datetime_style.value
    if f.description:
        info["description"] = f.description
    return info


def nested_info(n: Nested) -> dict[str, Any]:
    return {
        "field": n.field,
        "type": n.type,
        "kind": n.kind,
        "api_key": n.api_key,
        "key": n.key,
        "detail_only": n.detail_only,
        "fields": [field_info(f) for f in n.fields],
        "nested": [nested_info(d) for d in n.nested],
    }


def describe_object(spec: ObjectSpec) -> dict[str, Any]:
    from scorolink.catalog.scoro import SEED_CUSTOM_FIELDS

    info = object_summary(spec)
    info["fields"] = [field_info(f) for f in spec.fields]
    info["nested"] = [nested_info(n) for n in spec.nested]
    info["relations"] = [{"field": r.field, "object": r.object, "target_field": r.target_field}
                         for r in spec.relations]
    info["seed_custom_fields"] = [field_info(f) for f in SEED_CUSTOM_FIELDS.get(spec.name, ())]
    if spec.parent is not None:
        info["parent"] = {"object": spec.parent.object, "module": spec.parent.module, "field": spec.parent.field}
    return info
