"""Client-side pacing that learns the server's window from its headers.

Scoro reports a short window (`x-ratelimit-limit/remaining/reset`, about 2 seconds) and a
daily quota (`x-daily-requests-*`). The limiter keeps a local count of what is left in
the current window, takes the smaller of that and what the server last said, and makes
callers wait for the window to roll over instead of provoking 429s. It is thread-safe so
one limiter paces every thread that talks to one account.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class WindowState:
    limit: int | None = None
    remaining: int | None = None
    reset_at: float = 0.0
    daily_remaining: int | None = None
    daily_reset_at: float = 0.0


class RateLimiter:
    def __init__(
        self,
        *,
        per_window: int | None = None,
        window_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.window_seconds = window_seconds
        self._configured = per_window
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self.state = WindowState(limit=per_window, remaining=per_window)
        self.waited = 0.0  # seconds spent waiting, for progress and benchmarks

    def acquire(self) -> None:
        """Block until a request may be sent within the current window."""
        while True:
            with self._lock:
                now = self._clock()
                s = self.state
                if now >= s.reset_at:
                    # A new window: we know the allowance only if the server told us once.
                    s.remaining = s.limit
                    s.reset_at = now + self.window_seconds
                if s.remaining is None or s.remaining > 0:
                    if s.remaining is not None:
                        s.remaining -= 1
                    return
                wait = s.reset_at - now
            self.waited += wait
            self._sleep(wait)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """The HTTP layer's pacing hook (clients/http.py): wait for a turn, then send."""
        self.acquire()
        yield

    def observe(self, headers: Mapping[str, str]) -> None:
        """Fold the server's rate-limit headers into the local state."""
        limit = _int(headers.get("x-ratelimit-limit"))
        remaining = _int(headers.get("x-ratelimit-remaining"))
        reset = _float(headers.get("x-ratelimit-reset"))
        daily_remaining = _int(headers.get("x-daily-requests-remaining"))
        daily_reset = _float(headers.get("x-daily-requests-reset"))
        with self._lock:
            now = self._clock()
            s = self.state
            if limit is not None:
                s.limit = min(limit, self._configured) if self._configured else limit
            if remaining is not None:
                s.remaining = remaining if s.remaining is None else min(s.remaining, remaining)
            if reset is not None and remaining is not None and remaining <= 0:
                # The server says the window is spent. Its reset comes in whole seconds, rounded up,
                # so the window really ends within the last second of it: wait for the later of our
                # own window's end and that earliest end, not a whole extra second each window (a
                # 429 from a slightly early request is refused, not processed, and paused on).
                earliest = now + reset - 1.0 if reset >= 1 and reset == int(reset) else now + reset
                own = s.reset_at + 0.05 if s.reset_at > now else now
                s.reset_at = max(own, earliest)
            if daily_remaining is not None:
                s.daily_remaining = daily_remaining
                if daily_reset is not None:
                    s.daily_reset_at = now + daily_reset

    def pause(self, seconds: float) -> None:
        """After a 429: nobody sends until `seconds` have passed."""
        with self._lock:
            s = self.state
            s.remaining = 0
            s.reset_at = max(s.reset_at, self._clock() + seconds)


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
