"""Schedules: `every 5m`, `hourly [:MM]`, `daily [HH:MM]`, `weekly DAY [HH:MM]`, `cron EXPR`, `manual`.

All times are UTC. Every kind reduces to "the next due time strictly after t": intervals count from
the job's anchor (its creation time), the calendar kinds are cron expressions evaluated by croniter.
Because the dispatcher always asks for the next due time after *now*, runs missed while nothing was
running (a stopped `scorolink serve`) collapse into one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import croniter

from scorolink.errors import ConfigError

KINDS = ("interval", "hourly", "daily", "weekly", "cron", "manual")
_DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 0}
_UNITS = {"s": 1, "sec": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "minute": 60, "minutes": 60,
          "h": 3600, "hour": 3600, "hours": 3600, "d": 86400, "day": 86400, "days": 86400}
HELP = ("use 'every 5m' (s, m, h, d), 'hourly' or 'hourly :15', 'daily 02:30', 'weekly mon 09:00', "
        "'cron */5 * * * *' or 'manual' (times in UTC)")


@dataclass(frozen=True)
class Schedule:
    kind: str
    expr: str  # seconds for interval, a cron expression for the calendar kinds, "" for manual

    def next_after(self, after: datetime, anchor: datetime) -> datetime | None:
        """The first due time strictly after `after`; None for manual jobs."""
        if self.kind == "manual":
            return None
        if self.kind == "interval":
            every = float(self.expr)
            steps = max(0, math.floor((after - anchor).total_seconds() / every) + 1)
            return anchor + timedelta(seconds=steps * every)
        return croniter(self.expr, after.astimezone(UTC)).get_next(datetime).astimezone(UTC)

    def describe(self) -> str:
        if self.kind == "interval":
            return f"every {_human(float(self.expr))}"
        return self.kind if self.kind == "manual" else f"{self.kind} ({self.expr})"


def parse_schedule(text: str) -> Schedule:
    """Parse a schedule as a person writes it; a clear error names what is wrong."""
    words = text.strip().split()
    if not words:
        raise ConfigError(f"Empty schedule: {HELP}.")
    kind, rest = words[0].lower(), words[1:]
    try:
        if kind == "manual" and not rest:
            return Schedule("manual", "")
        if kind == "every":
            return Schedule("interval", str(_seconds(" ".join(rest))))
        if kind == "hourly":
            minute = int(rest[0].lstrip(":")) if rest else 0
            _check(0 <= minute < 60 and len(rest) <= 1, "minute")
            return Schedule("hourly", f"{minute} * * * *")
        if kind == "daily":
            hour, minute = _clock(rest[0]) if rest else (0, 0)
            _check(len(rest) <= 1, "time")
            return Schedule("daily", f"{minute} {hour} * * *")
        if kind == "weekly":
            _check(1 <= len(rest) <= 2 and rest[0][:3].lower() in _DAYS, "day")
            hour, minute = _clock(rest[1]) if len(rest) > 1 else (0, 0)
            return Schedule("weekly", f"{minute} {hour} * * {_DAYS[rest[0][:3].lower()]}")
        if kind == "cron":
            expr = " ".join(rest)
            _check(len(rest) == 5 and croniter.is_valid(expr), "cron expression (five fields)")
            return Schedule("cron", expr)
    except ValueError:
        pass
    raise ConfigError(f"Schedule {text!r} is not understood: {HELP}.")


def _seconds(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", text.lower())
    if not match or match.group(2) not in _UNITS:
        raise ValueError(text)
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    _check(seconds >= 1, "interval")
    return seconds


def _clock(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    _check(match is not None, "time")
    assert match is not None
    hour, minute = int(match.group(1)), int(match.group(2))
    _check(hour < 24 and minute < 60, "time")
    return hour, minute


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(what)


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
