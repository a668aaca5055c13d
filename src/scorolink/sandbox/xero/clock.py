"""The sandbox clock: a fixed base instant + real time elapsed since + seconds added by ``advance``.

The base comes from configuration (or a data file), so generated data does not depend on the day the sandbox
runs, while successive writes still get increasing timestamps. Token lifetimes, rate-limit windows,
If-Modified-Since and idempotency retention all read this clock, so tests can jump over them."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    def __init__(self, base_ts: float) -> None:
        self._base = base_ts
        self._started = time.monotonic()
        self._advanced = 0.0
        self._lock = threading.Lock()

    @property
    def base(self) -> float:
        return self._base

    def now(self) -> float:
        with self._lock:
            return self._base + (time.monotonic() - self._started) + self._advanced

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._advanced += float(seconds)
        return self.now()


def parse_utc(value: str) -> float:
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
