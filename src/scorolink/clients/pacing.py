"""Client-side pacing over rolling windows: at most N sends in any rolling window (a minute, a second),
at most `concurrent` in flight, and pauses after a 429 — what Xero (60/min, 5 in flight) and QuickBooks
(500/min, 10/s, 10 in flight; batch 40/min) ask of one tenant. Thread-safe; clock and sleep injectable."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx


class RollingLimiter:
    """`windows` maps a window length in seconds to the sends allowed in it (None: no limit)."""

    def __init__(self, windows: dict[float, int | None], *, concurrent: int | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.windows = {float(k): v for k, v in windows.items() if v}
        self._longest = max(self.windows, default=0.0)
        self._slots = threading.BoundedSemaphore(max(1, concurrent)) if concurrent else None
        self._sent: collections.deque[list[float]] = collections.deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self.waited = 0.0  # seconds spent waiting, for progress and benchmarks

    def _wait_needed(self, now: float) -> float:
        while self._sent and now - self._sent[0][0] >= self._longest:
            self._sent.popleft()
        wait = max(0.0, self._paused_until - now)
        if wait:
            return wait
        for length, limit in self.windows.items():
            inside = [s[0] for s in self._sent if now - s[0] < length]
            if limit is not None and len(inside) >= limit:
                wait = max(wait, length - (now - inside[-limit]))
        return wait

    def _wait_turn(self) -> list[float]:
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait_needed(now)
                if wait <= 0:
                    stamp = [now]
                    self._sent.append(stamp)
                    return stamp
            self.waited += wait
            self._sleep(wait)

    @contextmanager
    def slot(self) -> Iterator[None]:
        stamp = self._wait_turn()
        try:
            if self._slots is None:
                yield
            else:
                with self._slots:
                    yield
        finally:
            # The server counted the call somewhere between sending and answering: the answer's time is the
            # one that never lets a rolling window hold more than the limit on the server's side.
            stamp[0] = self._clock()

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def observe(self, headers: httpx.Headers) -> None:
        """What the server says of its limits; a subclass reads its own headers."""
