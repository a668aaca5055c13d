"""The runtime's clocks, and the state database it keeps its jobs and runs in (scorolink.state)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

from scorolink.state.store import DEFAULT_STATE_URL, StateStore, normalize_url

__all__ = ["DEFAULT_STATE_URL", "Clock", "ManualClock", "StateStore", "SystemClock", "normalize_url"]


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to: schedules are tested against it instead of sleeping."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when
