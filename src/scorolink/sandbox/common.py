"""What both sandboxes need alike: their clock and their fault plan. Pure Python; the sandboxes
import nothing of scorolink's clients, connectors or catalog."""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any


class Clock:
    """Sandbox time = a base instant + real time elapsed since + seconds added by ``advance``.

    The base comes from configuration (or a data file), so generated data does not depend on the day the
    sandbox runs, while successive writes still get increasing timestamps. Token lifetimes, rate-limit
    windows, change filters and retention all read this clock, so tests can jump over them."""

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


class SandboxConnectionDropped(ConnectionResetError):
    """Raised inside an ASGI app to cut a response short (drop, lost_ack)."""


class FaultPlan:
    """Which request fails how. Injected faults come first, in order; otherwise each API request fails
    with probability ``faults.rate`` from a seeded RNG, so a run's fault sequence is reproducible."""

    def __init__(self, faults: Any, known: Iterable[str]) -> None:
        self.faults = faults  # a Faults config: rate, kinds, seed
        self.known = tuple(known)
        self._rng = random.Random(faults.seed)
        self._queue: deque[str] = deque()
        self._lock = threading.Lock()

    def inject(self, *kinds: str) -> None:
        unknown = [k for k in kinds if k not in self.known]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {list(self.known)}")
        with self._lock:
            self._queue.extend(kinds)

    def next(self) -> str | None:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            if self.faults.rate > 0 and self.faults.kinds and self._rng.random() < self.faults.rate:
                return self._rng.choice(self.faults.kinds)
        return None

    def pending(self) -> list[str]:
        with self._lock:
            return list(self._queue)
