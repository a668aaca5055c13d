"""QuickBooks' throttles per realm and app (B10): requests per rolling minute and per second, batch calls
per minute, and calls in flight, on the sandbox clock (so ``advance_clock`` rolls them over). A refused
call does not count."""

from __future__ import annotations

import threading
from collections import deque

from .config import RateLimit


class RateLimiter:
    def __init__(self, limits: RateLimit) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = {}
        self._batches: dict[str, deque[float]] = {}
        self._inflight: dict[str, int] = {}

    def acquire(self, key: str, now: float, batch: bool = False) -> str | None:
        """None when the call may go ahead (release it afterwards), else which limit refused it."""
        lim = self.limits
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            batches = self._batches.setdefault(key, deque())
            for q in (calls, batches):
                while q and q[0] <= now - 60:
                    q.popleft()
            if lim.concurrent is not None and self._inflight.get(key, 0) >= lim.concurrent:
                return "concurrent"
            if lim.per_minute is not None and len(calls) >= lim.per_minute:
                return "minute"
            if lim.per_second is not None and sum(1 for t in calls if t > now - 1) >= lim.per_second:
                return "second"
            if batch and lim.batch_per_minute is not None and len(batches) >= lim.batch_per_minute:
                return "batch"
            calls.append(now)
            if batch:
                batches.append(now)
            self._inflight[key] = self._inflight.get(key, 0) + 1
            return None

    def release(self, key: str) -> None:
        with self._lock:
            self._inflight[key] = max(0, self._inflight.get(key, 0) - 1)

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._batches.clear()
