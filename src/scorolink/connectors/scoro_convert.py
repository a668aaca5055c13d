"""The one place where Scoro's wire values become canonical values and back.

Wire facts (reference §7.2): booleans arrive as 0/1 and are accepted as 0/1, "0"/"1" or
true/false; unset dates are "0000-00-00"; datetimes come in two families, ISO 8601 with an
offset and SQL style in the site's time zone; money is a JSON number (Decimal here); ids are
ints but numeric strings turn up. Canonical values: int, Decimal, str, bool, date, aware UTC
datetime, "HH:MM:SS" text for durations, plain JSON structures, bytes for binaries.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from scorolink.catalog.model import DatetimeStyle, Field, FieldType, Nested, ObjectSpec
from scorolink.errors import InvalidValue, UnknownName

# Integers Scoro and every mirror database hold (signed 64-bit): a larger one is refused here,
# naming its field, instead of being sent.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
ZERO_DATES = ("0000-00-00", "0000-00-00 00:00:00", "0000-00-00T00:00:00")
_TIME = re.compile(r"^\d{1,3}:\d{2}(:\d{2})?$")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}


# -- single values --------------------------------------------------------------------------
def from_wire(value: Any, ftype: FieldType, tz: tzinfo) -> Any:
    """Lenient: a value Scoro sends that does not parse is kept as it came, never dropped."""
    if value is None:
        return None
    try:
        return _from_wire(value, ftype, tz)
    except (ValueError, InvalidOperation, TypeError):
        return value


def _from_wire(value: Any, ftype: FieldType, tz: tzinfo) -> Any:
    if ftype is FieldType.INTEGER:
        if value == "" or isinstance(value, bool):
            return None if value == "" else int(value)
        return int(value) if isinstance(value, int) else int(Decimal(str(value)))
    if ftype is FieldType.DECIMAL:
        return None if value == "" else Decimal(str(value))
    if ftype is FieldType.BOOLEAN:
        return _bool(value)
    if ftype is FieldType.DATE:
        text = str(value).strip()
        return None if not text or text in ZERO_DATES else date.fromisoformat(text[:10])
    if ftype is FieldType.DATETIME:
        return parse_datetime(value, tz)
    if ftype in (FieldType.STRING, FieldType.TIME):
        return value if isinstance(value, str) else str(value) if not isinstance(value, (dict, list)) else value
    return value


def parse_datetime(value: Any, tz: tzinfo) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        if not text or text in ZERO_DATES:
            return None
        moment = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)  # SQL-style datetimes are in the site's zone
    return moment.astimezone(UTC)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(value)


def to_wire(value: Any, f: Field, tz: tzinfo) -> Any:
    """A canonical value as Scoro expects it in `request` and `filter`."""
    if value is None:
        return None
    t = f.type
    if t is FieldType.BOOLEAN:
        return 1 if value else 0
    if t is FieldType.DATE:
        return value.isoformat() if isinstance(value, date) else str(value)
    if t is FieldType.DATETIME:
        moment = value.astimezone(tz) if isinstance(value, datetime) else value
        if not isinstance(moment, datetime):
            return str(value)
        if f.datetime_style is DatetimeStyle.SQL:
            return moment.strftime("%Y-%m-%d %H:%M:%S")
        return moment.isoformat(timespec="seconds")
    if t is FieldType.INTEGER:
        return int(value)
    if t is FieldType.BINARY:
        return value
    return value


def coerce(value: Any, f: Field, tz: tzinfo = UTC) -> Any:
    """Turn user input (text from a command line or a CSV cell, or a Python value) into the
    field's canonical type, or raise InvalidValue naming the field."""
    if value is None:
        return None
    t = f.type
    try:
        if t is FieldType.INTEGER:
            if isinstance(value, bool):
                raise ValueError
            number = Decimal(value) if isinstance(value, int) else Decimal(str(value).strip())
            if number != number.to_integral_value() or not INT_MIN <= number <= INT_MAX:
                raise ValueError
            return int(number)
        if t is FieldType.DECIMAL:
            if isinstance(value, float):
                return Decimal(repr(value))
            return Decimal(str(value).strip().replace(" ", ""))
        if t is FieldType.BOOLEAN:
            return _bool(value)
        if t is FieldType.DATE:
            if isinstance(value, datetime):
                return value.date()
            if isinstance(value, date):
                return value
            return date.fromisoformat(str(value).strip()[:10])
        if t is FieldType.DATETIME:
            if isinstance(value, date) and not isinstance(value, datetime):
                value = datetime(value.year, value.month, value.day)
            moment = parse_datetime(value, tz)
            if moment is None:
                raise ValueError
            return moment
        if t is FieldType.TIME:
            text = str(value).strip()
            if not _TIME.match(text):
                raise ValueError
            parts = text.split(":")
            return ":".join(p.zfill(2) for p in (parts + ["00"])[:3])
        if t is FieldType.BINARY:
            return value if isinstance(value, bytes) else str(value).encode()
        if t is FieldType.STRING:
            return str(value)
        return value
    except (ValueError, InvalidOperation, TypeError) as exc:
        expected = {FieldType.DATE: "date (YYYY-MM-DD)", FieldType.DATETIME: "datetime (YYYY-MM-DD HH:MM:SS, "
                    "with an offset or in the site time zone)", FieldType.TIME: "duration (HH:MM:SS)",
                    FieldType.BOOLEAN: "boolean (1/0, true/false)",
                    FieldType.INTEGER: f"integer (whole, from {INT_MIN} to {INT_MAX})"}.get(t, t.value)
        raise InvalidValue(f.name, value, expected) from exc


# -- records --------------------------------------------------------------------------------
def get_path(row: dict[str, Any], dotted: str) -> Any:
    current: Any = row
    for part in dotted.split("."):
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


def set_path(row: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        row = row.setdefault(part, {})
    row[parts[-1]] = value


def record_from_wire(spec: ObjectSpec, row: dict[str, Any], tz: tzinfo,
                     columns: frozenset[str] | None = None) -> dict[str, Any]:
    """Canonical record from one Scoro row. Custom fields come from `custom_fields`."""
    record: dict[str, Any] = {}
    customs = _custom_values(row)
    for f in spec.fields:
        if columns is not None and f.name not in columns:
            continue
        if f.type is FieldType.BINARY:
            # Fetched by the connector only when selected; until then the wire value (a link) stands in.
            if columns is not None:
                record[f.name] = get_path(row, f.api_key)
            continue
        raw = customs.get(f.api_key) if f.custom else get_path(row, f.api_key)
        record[f.name] = from_wire(raw, f.type, tz)
    for n in spec.nested:
        if columns is not None and n.field not in columns:
            continue
        record[n.field] = nested_from_wire(n, get_path(row, n.api_key), tz)
    return record


def _custom_values(row: dict[str, Any]) -> dict[str, Any]:
    raw = row.get("custom_fields")
    if isinstance(raw, list):
        return {str(c.get("id")): c.get("value") for c in raw if isinstance(c, dict)}
    if isinstance(raw, dict):  # v1-era clients saw a plain map
        return {str(k): (v.get("value") if isinstance(v, dict) else v) for k, v in raw.items()}
    return {}


def nested_from_wire(n: Nested, value: Any, tz: tzinfo) -> Any:
    if value is None:
        return None
    if n.kind == "values":
        if isinstance(value, list):
            return value
        return [value] if value != "" else []
    if n.kind == "mapping":
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value  # an empty list stands for an empty map on the wire
    if n.kind == "object":
        return _child_from_wire(n, value, tz) if isinstance(value, dict) else value
    if isinstance(value, dict):  # keyed objects {"id": {...}}
        value = list(value.values())
    if not isinstance(value, list):
        return value
    return [_child_from_wire(n, item, tz) if isinstance(item, dict) else item for item in value]


def _child_from_wire(n: Nested, item: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    if not n.fields:
        return dict(item)
    child = {f.name: from_wire(get_path(item, f.api_key), f.type, tz) for f in n.fields}
    for deeper in n.nested:
        child[deeper.field] = nested_from_wire(deeper, get_path(item, deeper.api_key), tz)
    return child


def resolve_field(spec: ObjectSpec, name: str) -> Field:
    f = spec.field_named(name)
    if f is None:
        raise UnknownName("field", name, [x.name for x in spec.fields] + [n.field for n in spec.nested],
                          where=spec.name)
    return f


def record_to_wire(spec: ObjectSpec, record: dict[str, Any], tz: tzinfo, *,
                   include_read_only: bool = False) -> dict[str, Any]:
    """Scoro `request` body for a canonical record. Read-only fields are left out; custom fields
    go to `custom_fields: [{id, value}]` (a flat key would be silently ignored by Scoro)."""
    request: dict[str, Any] = {}
    customs: list[dict[str, Any]] = []
    for name, value in record.items():
        n = spec.nested_named(name)
        if n is not None:
            if not n.read_only:
                set_path(request, n.api_key, nested_to_wire(n, value, tz))
            continue
        f = resolve_field(spec, name)
        if (f.read_only and not include_read_only) or f.type is FieldType.BINARY:
            continue
        wire = to_wire(coerce(value, f, tz), f, tz)
        if f.custom:
            customs.append({"id": f.api_key, "value": wire})
        else:
            set_path(request, f.api_key, wire)
    if customs:
        request["custom_fields"] = customs
    return request


def nested_to_wire(n: Nested, value: Any, tz: tzinfo) -> Any:
    if value is None or n.kind in ("values", "mapping"):
        return value
    if n.kind == "object":
        return _child_to_wire(n, value, tz) if isinstance(value, dict) else value
    return [_child_to_wire(n, item, tz) if isinstance(item, dict) else item for item in value]


def _child_to_wire(n: Nested, item: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    if not n.fields:
        return dict(item)
    out: dict[str, Any] = {}
    for name, value in item.items():
        deeper = next((d for d in n.nested if d.field.lower() == name.lower()), None)
        if deeper is not None:
            set_path(out, deeper.api_key, nested_to_wire(deeper, value, tz))
            continue
        f = n.field_named(name)
        if f is None:
            raise UnknownName("field", name, [x.name for x in n.fields], where=n.field)
        if f.read_only and f.name != n.key:
            continue
        set_path(out, f.api_key, to_wire(coerce(value, f, tz), f, tz))
    return out
