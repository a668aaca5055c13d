"""Schedules as people write them, and the next due time of each kind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scorolink.errors import ConfigError
from scorolink.runtime.schedules import parse_schedule

T = datetime(2026, 3, 2, 9, 7, 30, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize("text, kind, after, expected", [
    ("every 5m", "interval", T, datetime(2026, 3, 2, 9, 12, 30, tzinfo=UTC)),
    ("every 90s", "interval", datetime(2026, 3, 2, 9, 10, 30, tzinfo=UTC), datetime(2026, 3, 2, 9, 12, tzinfo=UTC)),
    ("hourly", "hourly", T, datetime(2026, 3, 2, 10, 0, tzinfo=UTC)),
    ("hourly :15", "hourly", T, datetime(2026, 3, 2, 9, 15, tzinfo=UTC)),
    ("daily 02:30", "daily", T, datetime(2026, 3, 3, 2, 30, tzinfo=UTC)),
    ("weekly mon 09:00", "weekly", T, datetime(2026, 3, 9, 9, 0, tzinfo=UTC)),
    ("weekly friday", "weekly", T, datetime(2026, 3, 6, 0, 0, tzinfo=UTC)),
    ("cron */10 * * * *", "cron", T, datetime(2026, 3, 2, 9, 10, tzinfo=UTC)),
])
def test_next_due_time(text, kind, after, expected):
    schedule = parse_schedule(text)
    assert schedule.kind == kind
    assert schedule.next_after(after, anchor=T) == expected


def test_interval_counts_from_the_anchor_and_skips_missed_times():
    every = parse_schedule("every 5m")
    # stopped for 47 minutes: the next due time is the first one after now, not the nine missed ones
    assert every.next_after(datetime(2026, 3, 2, 9, 54, 31, tzinfo=UTC), anchor=T) == datetime(
        2026, 3, 2, 9, 57, 30, tzinfo=UTC)
    # exactly on a due time: the next one, strictly after
    assert every.next_after(datetime(2026, 3, 2, 9, 12, 30, tzinfo=UTC), anchor=T) == datetime(
        2026, 3, 2, 9, 17, 30, tzinfo=UTC)


def test_manual_has_no_due_time():
    assert parse_schedule("manual").next_after(T, anchor=T) is None
    assert parse_schedule("every 5m").describe() == "every 5m"


@pytest.mark.parametrize("text", ["", "every", "every 5 parsecs", "every 0s", "hourly :75", "daily 25:00",
                                  "weekly someday", "cron * * *", "cron 61 * * * *", "sometimes", "manual later"])
def test_bad_schedules_say_what_is_accepted(text):
    with pytest.raises(ConfigError, match="every 5m"):
        parse_schedule(text)
