"""Fault plan: which API request fails how. Injected faults come first, in order; otherwise each API request
fails with probability ``Faults.rate`` from a seeded RNG, so a run's fault sequence is reproducible."""

from __future__ import annotations

import random
import threading
from collections import deque

from .config import FAULT_KINDS, Faults


class SandboxConnectionDropped(ConnectionResetError):
    """Raised inside the ASGI app to cut a response short (drop, lost_ack)."""


class FaultPlan:
    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)
        self._queue: deque[str] = deque()
        self._lock = threading.Lock()

    def inject(self, *kinds: str) -> None:
        unknown = [k for k in kinds if k not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {list(FAULT_KINDS)}")
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
