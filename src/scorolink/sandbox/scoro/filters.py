"""List filters (reference section 6): equality, IN lists, ``%`` wildcards, {from_date,to_date} ranges
compared by date (inclusive), nested dicts on dict or list-of-dict sub-fields, custom fields by id.
Unknown keys are ignored. String comparison is case-insensitive, like MySQL's default collation."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

RANGE_KEYS = {"from_date", "to_date"}


def norm(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip().lower()


@lru_cache(maxsize=256)
def _like(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(p) for p in pattern.lower().split("%")) + "$", re.S)


def _scalar(value: Any, cond: Any) -> bool:
    if isinstance(value, list):
        return any(_scalar(v, cond) for v in value)
    if value is None:
        return cond in (None, "", 0, "0")
    if isinstance(cond, str) and "%" in cond:
        return bool(_like(cond).match(norm(value)))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(value) == float(cond)
        except (TypeError, ValueError):
            return False
    return norm(value) == norm(cond)


def in_range(value: Any, cond: dict) -> bool:
    if not value or not isinstance(value, str) or value.startswith("0000-00-00"):
        return False
    day = value[:10]
    lo, hi = cond.get("from_date"), cond.get("to_date")
    return (not lo or day >= str(lo)[:10]) and (not hi or day <= str(hi)[:10])


def match_value(value: Any, cond: Any) -> bool:
    if isinstance(cond, dict):
        if cond.keys() & RANGE_KEYS:
            return in_range(value, cond)
        items = value if isinstance(value, list) else [value]
        return any(isinstance(v, dict) and matches(v, cond) for v in items)
    if isinstance(cond, list):
        return any(match_value(value, c) for c in cond)
    return _scalar(value, cond)


def matches(row: dict, flt: dict, custom: dict | None = None) -> bool:
    """True when ``row`` passes every known key of ``flt``. ``custom``: the row's custom field values."""
    for key, cond in flt.items():
        if key in row:
            value = row[key]
        elif custom is not None and key in custom:
            value = custom[key]
        else:
            continue
        if not match_value(value, cond):
            return False
    return True


def literals(flt: dict) -> list[str]:
    """Lower-case texts every matching row's raw JSON must contain: the longest literal part of each
    plain string condition. Numbers, empty values and IN lists give none (their stored text may differ)."""
    out = []
    for cond in flt.values():
        if isinstance(cond, dict) and not cond.keys() & RANGE_KEYS:
            out += literals(cond)
        elif isinstance(cond, str):
            part = max(cond.split("%"), key=len).lower()
            if len(part) >= 2 and part.isascii() and part.isprintable() and not any(ch in part for ch in '"\\/'):
                try:
                    float(part)
                except ValueError:
                    out.append(part)
    return out
