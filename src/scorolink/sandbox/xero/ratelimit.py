"""Xero's limits per tenant and app (A8): calls in flight, calls per rolling minute, calls per day, and the
app-wide minute limit, on the sandbox clock (so ``advance_clock`` rolls them over). Refused calls do not count."""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field

from .config import RateLimit

DAY = 86400


@dataclass
class Verdict:
    allowed: bool
    headers: dict[str, str] = field(default_factory=dict)
    problem: str | None = None
    retry_after: int = 0


class RateLimiter:
    def __init__(self, limits: RateLimit) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._minute: dict[str, deque[float]] = {}
        self._day: dict[str, deque[float]] = {}          # rolling window: call times
        self._fixed_day: dict[str, tuple[int, int]] = {}  # fixed window: (day number, count)
        self._app: dict[str, deque[float]] = {}
        self._inflight: dict[str, int] = {}

    def acquire(self, tenant: str, app: str, now: float) -> Verdict:
        lim = self.limits
        key = f"{app}:{tenant}"
        with self._lock:
            minute = self._minute.setdefault(key, deque())
            appq = self._app.setdefault(app, deque())
            for q in (minute, appq):
                while q and q[0] <= now - 60:
                    q.popleft()
            day_used, day_reset = self._day_state(key, now)
            verdict = Verdict(True)
            if lim.daily is not None and day_used >= lim.daily:
                verdict = Verdict(False, problem="day", retry_after=max(1, math.ceil(day_reset)))
            elif lim.concurrent is not None and self._inflight.get(key, 0) >= lim.concurrent:
                verdict = Verdict(False, problem="concurrent", retry_after=1)
            elif lim.per_minute is not None and len(minute) >= lim.per_minute:
                verdict = Verdict(False, problem="minute", retry_after=max(1, math.ceil(minute[0] + 60 - now)))
            elif lim.app_per_minute is not None and len(appq) >= lim.app_per_minute:
                verdict = Verdict(False, problem="appminute", retry_after=max(1, math.ceil(appq[0] + 60 - now)))
            if verdict.allowed:
                minute.append(now)
                appq.append(now)
                self._count_day(key, now)
                day_used += 1
                self._inflight[key] = self._inflight.get(key, 0) + 1
            verdict.headers = {
                "X-DayLimit-Remaining": str(max(0, (lim.daily or 0) - day_used)) if lim.daily is not None else "",
                "X-MinLimit-Remaining": str(max(0, (lim.per_minute or 0) - len(minute)))
                if lim.per_minute is not None else "",
                "X-AppMinLimit-Remaining": str(max(0, (lim.app_per_minute or 0) - len(appq)))
                if lim.app_per_minute is not None else "",
            }
            verdict.headers = {k: v for k, v in verdict.headers.items() if v}
            if not verdict.allowed:
                verdict.headers["X-Rate-Limit-Problem"] = str(verdict.problem)
                # Retry-After is documented for the minute and day limits; for calls in flight it is not
                # known, so it is left out: a client must cope without it.
                if verdict.problem != "concurrent":
                    verdict.headers["Retry-After"] = str(verdict.retry_after)
        return verdict

    def release(self, tenant: str, app: str) -> None:
        key = f"{app}:{tenant}"
        with self._lock:
            self._inflight[key] = max(0, self._inflight.get(key, 0) - 1)

    def _day_state(self, key: str, now: float) -> tuple[int, float]:
        if self.limits.daily_window == "fixed":
            day = int(now // DAY)
            dday, used = self._fixed_day.get(key, (day, 0))
            return (used if dday == day else 0), (day + 1) * DAY - now
        q = self._day.setdefault(key, deque())
        while q and q[0] <= now - DAY:
            q.popleft()
        return len(q), (q[0] + DAY - now) if q else DAY

    def _count_day(self, key: str, now: float) -> None:
        if self.limits.daily_window == "fixed":
            day = int(now // DAY)
            dday, used = self._fixed_day.get(key, (day, 0))
            self._fixed_day[key] = (day, (used if dday == day else 0) + 1)
        elif self.limits.daily is not None:
            self._day.setdefault(key, deque()).append(now)

    def reset(self) -> None:
        with self._lock:
            self._minute.clear()
            self._day.clear()
            self._fixed_day.clear()
            self._app.clear()
