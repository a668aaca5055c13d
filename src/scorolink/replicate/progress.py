"""Replication progress on stderr, fitted to where it goes.

In a terminal: a live line per object being read (records read, rows written, rate, requests) under a
summary line; a finished object leaves the live area as one printed line, so the live area never grows
past the objects running at once and fits a short terminal. Outside a terminal (a log, CI, a pipe): plain
lines, one per finished object and a summary every PLAIN_EVERY seconds, never a redrawn display.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from rich.console import Console, RenderableType
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from scorolink.replicate.engine import ObjectResult

PLAIN_EVERY = 10.0  # seconds between summary lines outside a terminal


class _LiveArea(Progress):
    """The objects being read under one summary line."""

    def __init__(self, *columns: Any, summary: Callable[[], str], **options: Any) -> None:
        self._summary = summary  # before Progress starts rendering
        super().__init__(*columns, **options)

    def get_renderables(self) -> Iterable[RenderableType]:
        yield Text(self._summary(), style="dim", no_wrap=True, overflow="ellipsis")
        if self.tasks:
            yield self.make_tasks_table(self.tasks)


class RichProgress:
    def __init__(self, console: Console, *, disable: bool = False, plain: bool | None = None,
                 every: float = PLAIN_EVERY):
        self.console = console
        self.disable = disable
        self.plain = (not console.is_terminal) if plain is None else plain
        self.every = every
        self.lock = threading.Lock()
        self.running: dict[str, dict[str, Any]] = {}  # name -> mode, read, written, requests, started
        self.finished: dict[str, ObjectResult] = {}
        self.started = time.monotonic()
        self._last_line = self.started
        self.bar = _LiveArea(
            SpinnerColumn(),
            TextColumn("{task.description:<24}", markup=False),
            TextColumn("{task.fields[mode]:<11}", markup=False),
            TextColumn("{task.completed:>8.0f} read"),
            TextColumn("{task.fields[written]:>8} written"),
            TextColumn("{task.fields[rate]:>9}"),
            TextColumn("{task.fields[requests]:>6} req"),
            TimeElapsedColumn(),
            console=console, disable=disable or self.plain, transient=True, summary=self.summary_line,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)

    # -- the engine's calls ------------------------------------------------------------------------------
    def start(self, name: str, mode: str) -> None:
        # Never call the live area while holding self.lock: its refresh thread holds its own lock and asks
        # summary_line, which takes self.lock.
        task = None if self.plain else self.bar.add_task(name, total=None, mode=mode, written=0, rate="",
                                                          requests=0)
        with self.lock:
            self.running[name] = {"mode": mode, "read": 0, "written": 0, "requests": 0, "started": time.monotonic()}
            if task is not None:
                self.tasks[name] = task
        self._tick()

    def advance(self, name: str, read: int, written: int, requests: int) -> None:
        with self.lock:
            state = self.running.get(name)
            if state is None:
                return
            state.update(read=read, written=written, requests=requests)
            task = self.tasks.get(name)
        if task is not None:
            elapsed = time.monotonic() - state["started"]
            rate = f"{read / elapsed:,.0f}/s" if elapsed > 0.05 else ""
            self.bar.update(task, completed=read, written=written, rate=rate, requests=requests)
        self._tick()

    def done(self, name: str, result: ObjectResult) -> None:
        with self.lock:
            self.running.pop(name, None)
            self.finished[name] = result
            task = self.tasks.pop(name, None)
        if task is not None:
            self.bar.remove_task(task)
        if not self.disable:
            mark = "failed" if result.error else "done"
            self.console.print(f"{mark:<6} {name:<24} {result.mode:<11} {result.read:>8} read {result.rows:>8} "
                               f"written {result.requests:>6} req {result.seconds:>7.1f}s", markup=False,
                               highlight=False, style="red" if result.error else None)
        self._tick()

    # -- summary -----------------------------------------------------------------------------------------
    def summary_line(self) -> str:
        with self.lock:
            done = len(self.finished)
            read = sum(r.read for r in self.finished.values()) + sum(s["read"] for s in self.running.values())
            written = sum(r.rows for r in self.finished.values()) + sum(s["written"] for s in self.running.values())
            running = list(self.running)
        now = f", reading {', '.join(running)}" if running else ""
        return (f"{done} object(s) done, {read} read, {written} written in "
                f"{time.monotonic() - self.started:.0f}s{now}")

    def _tick(self) -> None:
        if self.disable:
            return
        if not self.plain:
            return  # the live area redraws the summary itself
        now = time.monotonic()
        if now - self._last_line >= self.every:
            self._last_line = now
            self.console.print(self.summary_line(), markup=False, highlight=False)

    def interrupted_report(self) -> str:
        """What an interrupted run got done, and that running it again carries on."""
        with self.lock:
            finished = [n for n, r in self.finished.items() if not r.error]
            running = list(self.running)
        parts = [f"Interrupted: {len(finished)} object(s) finished"]
        if running:
            parts.append(f"{', '.join(running)} cut off mid-read")
        return ("; ".join(parts) + ". What was written is kept and checkpointed: run the same command again to "
                "resume where it stopped.")
