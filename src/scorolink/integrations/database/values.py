"""One typed form for a value read from either side, so equal meanings compare equal.

A database hands back what its driver makes of a column (SQLite: text and floats for dates and
numbers, PostgreSQL and DuckDB: Decimal, aware datetimes, parsed JSON); Scoro's connector hands back
canonical records. Both go through `typed` by the field's logical type before they become shared
values; empty text and empty lists are None on both sides (a table's NULL is Scoro's "").
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from scorolink.errors import InvalidInput


def typed(value: Any, kind: str, where: str = "") -> Any:
    if value is None or value == "" or value == [] or value == {}:
        return None
    try:
        return _CONVERT.get(kind, _text)(value)
    except (ValueError, TypeError, InvalidOperation, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{where or 'value'}: {value!r} is not a valid {kind}") from exc


def _text(value: Any) -> Any:
    return value if isinstance(value, str) else str(value)


def _integer(value: Any) -> int:
    return int(Decimal(str(value)))


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _boolean(value: Any) -> bool:
    if isinstance(value, str):
        if value.strip().lower() in ("1", "true", "t", "yes", "y"):
            return True
        if value.strip().lower() in ("0", "false", "f", "no", "n"):
            return False
        raise ValueError(value)
    return bool(value)


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip()[:10])


def _datetime(value: Any) -> datetime:
    if not isinstance(value, datetime):
        if isinstance(value, date):
            value = datetime(value.year, value.month, value.day)
        else:
            value = datetime.fromisoformat(str(value).strip().replace(" ", "T", 1).replace("Z", "+00:00"))
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def _json(value: Any) -> Any:
    if isinstance(value, str):
        value = json.loads(value)
    return None if value in ([], {}) else value


_CONVERT = {"integer": _integer, "decimal": _decimal, "boolean": _boolean, "date": _date, "datetime": _datetime,
            "json": _json, "string": _text, "time": _text}
