"""Sync progress on stderr, through replicate's display (replicate.progress.RichProgress, handed in by
the command): in a terminal a live line per category being read, planned or written (records read,
written, requests) under a summary line; outside a terminal plain lines, one per finished category
and a summary every 10 s."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from scorolink.clients.http import RequestStats

TICK = 100  # records read between updates of the display


@dataclass
class CategoryDone:
    """A finished category as the display shows a finished object (replicate's ObjectResult fields)."""

    name: str
    mode: str
    read: int = 0
    rows: int = 0  # written (or, in a dry run, that would be)
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None


class SyncProgress:
    """Told by the engine what each category reads and writes; counts the requests of the run."""

    def __init__(self, display: Any, *, dry_run: bool = False) -> None:
        self.display = display  # replicate.progress.RichProgress
        self.dry_run = dry_run
        self.requests: Counter[str] = Counter()
        self._state: dict[str, dict[str, Any]] = {}

    @contextmanager
    def run(self) -> Iterator[None]:
        """Around a run: every request sent inside it (either side's client) is counted."""
        with RequestStats.scope() as counter:
            self.requests = counter
            yield

    def _total(self) -> int:
        return sum(self.requests.values())

    def start(self, name: str, phase: str) -> None:
        """A category starts a phase (reading, writing); its line runs from the first to `done`."""
        if name not in self._state:
            self._state[name] = {"read": 0, "written": 0, "requests": self._total(), "started": time.monotonic()}
            self.display.start(name, "dry run" if self.dry_run else "sync")

    def read(self, name: str, n: int) -> None:
        state = self._state.get(name)
        if state is not None:
            state["read"] += n
            self._advance(name)

    def written(self, name: str, n: int) -> None:
        state = self._state.get(name)
        if state is not None:
            state["written"] += n
            self._advance(name)

    def _advance(self, name: str) -> None:
        state = self._state[name]
        self.display.advance(name, state["read"], state["written"], self._total() - state["requests"])

    def done(self, name: str) -> None:
        state = self._state.pop(name, None)
        if state is None:
            return
        mode = "dry run" if self.dry_run else "synced"
        self.display.done(name, CategoryDone(name, mode, read=state["read"], rows=state["written"],
                                             requests=self._total() - state["requests"],
                                             seconds=time.monotonic() - state["started"]))

    def done_all(self) -> None:
        for name in list(self._state):
            self.done(name)
