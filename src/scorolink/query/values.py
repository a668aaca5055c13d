"""Canonical values ↔ the local SQLite engine, in the same representation the replication mirror
uses (so a query gives identical results live and on a replica): money as NUMERIC text, dates as
ISO text, datetimes as UTC ISO text with offset, nested values as compact JSON text."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from scorolink.catalog.model import FieldType

SQL_TYPES = {
    "integer": "INTEGER", "decimal": "NUMERIC", "string": "TEXT", "time": "TEXT", "boolean": "BOOLEAN",
    "date": "DATE", "datetime": "DATETIME", "json": "TEXT", "binary": "BLOB",
}


def dumps_json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


def to_sql(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str, bytes)):
        return int(value) if isinstance(value, bool) else value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, dict, tuple)):
        return dumps_json(value)
    return str(value)


def from_sql(value: Any, ftype: str | None) -> Any:
    """A value from the local engine in its canonical type; values that do not parse stay as they are."""
    if value is None or ftype is None:
        return value
    try:
        if ftype == FieldType.DECIMAL:
            if isinstance(value, float):
                return Decimal(repr(round(value, 9)))
            return Decimal(str(value)) if isinstance(value, (int, str)) else value
        if ftype == FieldType.BOOLEAN and isinstance(value, int):
            return bool(value)
        if ftype == FieldType.DATE and isinstance(value, str):
            return date.fromisoformat(value[:10])
        if ftype == FieldType.DATETIME and isinstance(value, str):
            moment = datetime.fromisoformat(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if ftype == FieldType.JSON and isinstance(value, str):
            return json.loads(value)
    except (ValueError, InvalidOperation, TypeError):
        return value
    return value
