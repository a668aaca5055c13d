"""Xero's wire forms: .NET JSON dates, GUIDs, money rounding, envelopes and error bodies (A2, A9)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from email.utils import parsedate_to_datetime
from typing import Any

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
_NET_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{2,4})?\)/$")


class Invalid(Exception):
    """A validation error of one element; the messages go into its ValidationErrors."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


class NotFound(Exception):
    pass


def net_datetime(ts: float) -> str:
    return f"/Date({int(round(ts * 1000))}+0000)/"


def net_date(day: str) -> str:
    """A date-only value as midnight UTC (the SDK turns it into a UTC date)."""
    d = date.fromisoformat(day)
    return net_datetime(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def iso_date_string(day: str) -> str:
    return f"{day}T00:00:00"


def iso_utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


def parse_date(value: Any, field_name: str) -> str:
    """A request date: ``YYYY-MM-DD``, an ISO datetime, or ``/Date(ms[+hhmm])/`` -> ``YYYY-MM-DD``."""
    if isinstance(value, str):
        s = value.strip()
        m = _NET_DATE.match(s)
        if m:
            ms = int(m.group(1))
            return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()
        try:
            return datetime.fromisoformat(s.replace("Z", "+00:00")).date().isoformat() if "T" in s \
                else date.fromisoformat(s[:10]).isoformat()
        except ValueError:
            pass
    raise Invalid(f"{field_name} '{value}' is not a valid date (use YYYY-MM-DD or /Date(ms)/)")


def parse_if_modified_since(value: str) -> float | None:
    """ISO 8601 (what xero-python sends) or an RFC 1123 HTTP-date; naive values are UTC."""
    s = value.strip()
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        try:
            dt = parsedate_to_datetime(s)
        except (TypeError, ValueError):
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def money(value: Any, dp: int = 2) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP)


def to_decimal(value: Any, field_name: str) -> Decimal:
    if isinstance(value, bool):
        raise Invalid(f"{field_name} must be a number")
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise Invalid(f"{field_name} '{value}' is not a valid number") from None


def is_guid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def truthy(value: str | None) -> bool:
    """Query-string booleans arrive Python-cased from the SDK (``False``, ``True``)."""
    return str(value).strip().lower() in ("true", "1", "yes")


def problem(status: int, title: str, detail: str) -> dict:
    """The ASP.NET problem shape Xero uses for 401/403 (A1, A9)."""
    return {"Type": None, "Title": title, "Status": status, "Detail": detail, "Instance": str(uuid.uuid4()),
            "Extensions": {}}


def validation_error(elements: list[dict]) -> dict:
    return {"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
            "Elements": elements}


def simple_error(status: int, kind: str, message: str) -> dict:
    return {"ErrorNumber": {400: 10, 404: 17, 405: 14, 412: 18, 500: 500}.get(status, status), "Type": kind,
            "Message": message}


def strip_none(value: Any) -> Any:
    """Never emit JSON null (xero-python turns it into errors or the string 'None'): drop such keys."""
    if isinstance(value, dict):
        return {k: strip_none(v) for k, v in value.items() if v is not None and not k.startswith("_")}
    if isinstance(value, list):
        return [strip_none(v) for v in value]
    return value
