"""Every catalog object is queryable, and every native filter of the seed's table reaches Scoro when
written in SQL (checked in the request the sandbox received), with the same rows as the connector."""

from __future__ import annotations

import pytest

from scorolink.catalog.scoro import CATALOG
from scorolink.connectors.base import Condition, matches
from scorolink.query.plan import plain_columns
from tests.standard.test_every_object import _carried, _filter_cases, _sample_value

ALL = [spec.name for spec in CATALOG]
SQL_OPS = {"=": "=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@pytest.mark.parametrize("name", ALL)
def test_every_object_is_queryable(connector, engine, name):
    spec = connector.spec(name)
    result = engine.execute(f"SELECT * FROM {name.lower()}")
    expected = list(connector.read(name, columns=sorted(plain_columns(spec) | set(spec.key_fields))))
    assert result.rows, f"the sandbox has no {name}"
    assert len(result.rows) == len(expected)
    assert set(result.columns) == plain_columns(spec) | set(spec.key_fields)
    keys = [result.columns.index(k) for k in spec.key_fields]
    assert sorted(tuple(str(r[i]) for i in keys) for r in result.rows) == \
        sorted(tuple(str(r[k]) for k in spec.key_fields) for r in expected)
    count = engine.execute(f"SELECT COUNT(*) FROM {name.upper()}", use_cache=False)
    assert count.rows == [(len(expected),)]


@pytest.mark.parametrize(("name", "field", "op"), _filter_cases())
def test_every_native_filter_is_pushed_from_sql(sandbox, connector, engine, name, field, op):
    spec = connector.spec(name)
    f = spec.field_named(field)
    deleted = f.name == "IsDeleted"
    everything = list(connector.read(name, include_deleted=deleted))
    value = _sample_value(spec, everything, f.name)
    sandbox.reset_stats()
    keys = ", ".join(spec.key_fields)
    result = engine.execute(f"SELECT {keys} FROM {name} WHERE {field} {SQL_OPS[op]} ?", [value])
    sent = [e for e in sandbox.recent_requests(200) if e["module"] == spec.module and e["action"] == "list"]
    assert sent, "no list request was sent"
    assert all(_carried(e["body"].get("filter") or {}, f.api_key) for e in sent), \
        f"{f.api_key} was not in the filter: {[e['body'].get('filter') for e in sent][:2]}"
    expected = [r for r in everything if matches(r, [Condition(f.name, op, value)])]
    assert sorted(tuple(str(v) for v in row) for row in result.rows) == \
        sorted(tuple(str(r[k]) for k in spec.key_fields) for r in expected)
