"""Per-site request limits: a short window (Scoro's 2 seconds, real time) and a daily quota that resets at
midnight UTC of the sandbox clock (so advance_clock can roll it over)."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from .config import RateLimit

DAY = 86400


@dataclass
class Verdict:
    allowed: bool
    headers: dict[str, str]
    retry_after: int = 0


class RateLimiter:
    def __init__(self, limits: RateLimit) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._window: dict[str, tuple[float, int]] = {}  # site -> (window start, count)
        self._daily: dict[str, tuple[int, int]] = {}     # site -> (day number, count)

    def check(self, site: str, sandbox_now: float) -> Verdict:
        lim, headers = self.limits, {}
        allowed, retry = True, 0
        with self._lock:
            now = time.monotonic()
            start, used = self._window.get(site, (now, 0))
            if now - start >= lim.window_seconds:
                start, used = now, 0
            day = int(sandbox_now // DAY)
            dday, dused = self._daily.get(site, (day, 0))
            if dday != day:
                dday, dused = day, 0
            window_reset = max(0.0, lim.window_seconds - (now - start))
            daily_reset = (day + 1) * DAY - sandbox_now
            if lim.daily is not None and dused >= lim.daily:
                allowed, retry = False, math.ceil(daily_reset)
            elif lim.per_window is not None and used >= lim.per_window:
                allowed, retry = False, max(1, math.ceil(window_reset))
            if allowed:
                used, dused = used + 1, dused + 1
            self._window[site] = (start, used)
            self._daily[site] = (dday, dused)
        if lim.per_window is not None:
            headers.update({"x-ratelimit-limit": str(lim.per_window),
                            "x-ratelimit-remaining": str(max(0, lim.per_window - used)),
                            "x-ratelimit-reset": str(max(1, math.ceil(window_reset)))})
        if lim.daily is not None:
            headers.update({"x-daily-requests-limit": str(lim.daily),
                            "x-daily-requests-remaining": str(max(0, lim.daily - dused)),
                            "x-daily-requests-reset": str(math.ceil(daily_reset))})
        return Verdict(allowed, headers, retry)

    def reset(self) -> None:
        with self._lock:
            self._window.clear()
            self._daily.clear()
