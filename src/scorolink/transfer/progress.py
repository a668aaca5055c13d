"""Progress of an export or import on stderr: rows done, rows failed, requests, rate.

In a terminal, one live Rich line. Outside a terminal (a log, CI, a pipe), plain lines instead of a redrawn
display: one every PLAIN_EVERY seconds while rows move, and one at the end.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

PLAIN_EVERY = 10.0  # seconds between lines outside a terminal


class TransferProgress:
    def __init__(self, console: Console, label: str, *, disable: bool = False, plain: bool | None = None,
                 every: float = PLAIN_EVERY) -> None:
        self.console = console
        self.label = label
        self.disable = disable
        self.plain = (not console.is_terminal) if plain is None else plain
        self.every = every
        self.started = time.monotonic()
        self._last_line = self.started
        self._counts = (0, 0, 0)
        self._printed: tuple[int, int, int] | None = None
        self.bar = Progress(
            SpinnerColumn(finished_text="✓"),
            TextColumn("{task.description}", markup=False),
            TextColumn("{task.completed:>9.0f} rows"),
            TextColumn("{task.fields[failed]:>7} failed"),
            TextColumn("{task.fields[requests]:>7} req"),
            TextColumn("{task.fields[rate]:>9}"),
            TimeElapsedColumn(),
            console=console, disable=disable or self.plain,
        )
        self.task = self.bar.add_task(label, total=None, failed=0, requests=0, rate="")

    def __enter__(self) -> TransferProgress:
        self.started = self._last_line = time.monotonic()
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)
        if self.plain and not self.disable and self._printed != self._counts:
            self._line()

    def update(self, rows: int, failed: int, requests: int) -> None:
        self._counts = (rows, failed, requests)
        if self.plain:
            if not self.disable and time.monotonic() - self._last_line >= self.every:
                self._line()
            return
        elapsed = self.bar.tasks[0].elapsed or 0
        rate = f"{rows / elapsed:,.0f}/s" if elapsed > 0.05 else ""
        self.bar.update(self.task, completed=rows, failed=failed, requests=requests, rate=rate)

    def _line(self) -> None:
        rows, failed, requests = self._counts
        elapsed = time.monotonic() - self.started
        rate = f", {rows / elapsed:,.0f}/s" if elapsed > 0.05 else ""
        self.console.print(f"{self.label}: {rows:,} rows, {failed:,} failed, {requests:,} requests{rate} "
                           f"({elapsed:.0f} s)", markup=False, highlight=False)
        self._last_line = time.monotonic()
        self._printed = self._counts
