"""The one place where Xero's wire values become canonical values and back.

Wire facts (accounting-apis.md A2, official-sdk-behaviour.md):
- dates and datetimes arrive as `/Date(1439434356790)/` or `/Date(1419937200000+0000)/`: milliseconds
  since the epoch in UTC, the offset only informative (the official SDK ignores it too); date-only
  values are midnight UTC. ISO text is accepted as well, for the `…String` twins;
- money is a JSON number, kept as `Decimal` (parsed from the number's text, never through float);
- keys are absent rather than `null`;
- on writes `Date`/`DueDate` go as `YYYY-MM-DD`, datetimes as ISO 8601 in UTC.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from scorolink.catalog.model import Field, FieldType, Nested
from scorolink.errors import InvalidValue, UnknownName
from scorolink.integrations.xero.catalog import XeroObject

_NET_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{2,4})?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


# -- dates ---------------------------------------------------------------------------------
def parse_xero_datetime(value: Any) -> datetime | None:
    """`/Date(ms[+hhmm])/` or ISO 8601 -> aware UTC datetime (naive ISO text is taken as UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        match = _NET_DATE.match(text)
        if match:
            return _EPOCH + timedelta(milliseconds=int(match.group(1)))
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_xero_date(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value.strip()) == 10 and not value.startswith("/"):
        return date.fromisoformat(value.strip())
    moment = parse_xero_datetime(value)
    return moment.date() if moment is not None else None


def format_xero_date(value: date | datetime) -> str:
    return (value.astimezone(UTC).date() if isinstance(value, datetime) else value).isoformat()


def format_xero_datetime(value: datetime) -> str:
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


# -- single values -------------------------------------------------------------------------
def from_wire(value: Any, ftype: FieldType) -> Any:
    """Lenient: a value Xero sends that does not parse is kept as it came, never dropped."""
    if value is None:
        return None
    try:
        if ftype is FieldType.DECIMAL:
            return value if isinstance(value, Decimal) else Decimal(str(value))
        if ftype is FieldType.INTEGER:
            return int(value)
        if ftype is FieldType.BOOLEAN:
            return _bool(value)
        if ftype is FieldType.DATE:
            return parse_xero_date(value)
        if ftype is FieldType.DATETIME:
            return parse_xero_datetime(value)
    except (ValueError, InvalidOperation, TypeError):
        return value
    return value


def coerce(value: Any, field: Field) -> Any:
    """A value given by a caller (typed or text from a command line) -> the field's canonical type."""
    if value is None:
        return None
    try:
        t = field.type
        if t is FieldType.DECIMAL:
            if isinstance(value, float):
                return Decimal(repr(value))
            return Decimal(str(value).strip())
        if t is FieldType.INTEGER:
            return int(str(value).strip())
        if t is FieldType.BOOLEAN:
            return _bool(value)
        if t is FieldType.DATE:
            result = parse_xero_date(value)
        elif t is FieldType.DATETIME:
            result = parse_xero_datetime(value)
        elif t is FieldType.BINARY:
            return value if isinstance(value, bytes) else str(value).encode()
        elif t is FieldType.STRING:
            return value if isinstance(value, str) else str(value)
        else:
            return value
    except (ValueError, InvalidOperation, TypeError) as exc:
        raise InvalidValue(field.name, value, t.value) from exc
    return result


def to_wire(value: Any, field: Field) -> Any:
    if value is None:
        return None
    value = coerce(value, field)
    if field.type is FieldType.DATE:
        return format_xero_date(value)
    if field.type is FieldType.DATETIME:
        return format_xero_datetime(value)
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(value)


# -- records -------------------------------------------------------------------------------
def record_from_wire(spec: XeroObject, row: dict[str, Any], columns: Iterable[str] | None = None) -> dict[str, Any]:
    """A Xero element -> a canonical record: every catalog field (None when absent) and nested structure."""
    wanted = {c.lower() for c in columns} if columns is not None else None
    out: dict[str, Any] = {}
    for fld in spec.fields:
        if wanted is None or fld.name.lower() in wanted:
            out[fld.name] = from_wire(row.get(fld.api_key), fld.type) if fld.type is not FieldType.BINARY else None
    for n in spec.nested:
        if wanted is None or n.field.lower() in wanted:
            out[n.field] = _nested_from_wire(n, row.get(n.api_key))
    return out


def _nested_from_wire(n: Nested, value: Any) -> Any:
    if value is None:
        return [] if n.kind == "objects" else None
    if n.kind == "object":
        return _struct_from_wire(n, value) if isinstance(value, dict) else value
    return [_struct_from_wire(n, v) if isinstance(v, dict) else v for v in value] if isinstance(value, list) else value


def _struct_from_wire(n: Nested, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fld in n.fields:
        if fld.api_key in row:
            out[fld.name] = from_wire(row[fld.api_key], fld.type)
    for child in n.nested:
        if child.api_key in row:
            out[child.field] = _nested_from_wire(child, row[child.api_key])
    return out


def record_to_wire(spec: XeroObject, record: dict[str, Any], *, keep_key: bool = True) -> dict[str, Any]:
    """A canonical record -> a Xero element. Read-only fields and None values are left out (Xero never
    takes `null`); the key is kept so POST updates the right record. Unknown names are an error."""
    out: dict[str, Any] = {}
    for name, value in record.items():
        fld = spec.field_named(name)
        if fld is not None:
            if fld.type is FieldType.BINARY:
                continue
            if fld.name == spec.key and keep_key:
                if value not in (None, ""):
                    out[fld.api_key] = to_wire(value, fld)
                continue
            if fld.read_only or value is None:
                continue
            out[fld.api_key] = to_wire(value, fld)
            continue
        n = spec.nested_named(name)
        if n is None:
            raise UnknownName("field", name, [x.name for x in spec.fields] + [x.field for x in spec.nested],
                              where=spec.name)
        if n.read_only or value is None:
            continue
        out[n.api_key] = _nested_to_wire(n, value)
    return out


def _nested_to_wire(n: Nested, value: Any) -> Any:
    if n.kind == "object":
        return _struct_to_wire(n, value) if isinstance(value, dict) else value
    if not isinstance(value, (list, tuple)):
        raise InvalidValue(n.field, value, "list of objects")
    return [_struct_to_wire(n, v) if isinstance(v, dict) else v for v in value]


def _struct_to_wire(n: Nested, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        fld = n.field_named(name)
        if fld is not None:
            if value is not None and not (fld.read_only and fld.name != n.key):
                out[fld.api_key] = to_wire(value, fld)
            continue
        child = next((c for c in n.nested if c.field.lower() == name.lower()), None)
        if child is None:
            raise UnknownName("field", name, [x.name for x in n.fields] + [c.field for c in n.nested],
                              where=n.field)
        if value is not None and not child.read_only:
            out[child.api_key] = _nested_to_wire(child, value)
    return out


# -- where expressions ---------------------------------------------------------------------
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_guid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return bool(_GUID.match(str(value)))


def where_literal(value: Any, field: Field) -> str:
    """A typed value as a literal of Xero's `where` language."""
    if field.type is FieldType.BOOLEAN:
        return "true" if value else "false"
    if field.type in (FieldType.DECIMAL, FieldType.INTEGER):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    if field.type is FieldType.DATE:
        return f"DateTime({value.year}, {value.month:02d}, {value.day:02d})"
    if field.type is FieldType.DATETIME:
        m = value.astimezone(UTC)
        return f"DateTime({m.year}, {m.month:02d}, {m.day:02d}, {m.hour:02d}, {m.minute:02d}, {m.second:02d})"
    text = str(value)
    if field.name.endswith("ID") and is_guid(text):
        return f'Guid("{text}")'
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
