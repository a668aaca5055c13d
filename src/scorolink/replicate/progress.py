"""A Rich progress line per object: records read, rows written, rate and requests."""

from __future__ import annotations

import threading
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from scorolink.replicate.engine import ObjectResult


class RichProgress:
    def __init__(self, console: Console, *, disable: bool = False):
        self.bar = Progress(
            SpinnerColumn(finished_text="[green]✓[/green]"),
            TextColumn("{task.description:<24}"),
            TextColumn("{task.fields[mode]:<11}"),
            TextColumn("{task.completed:>8.0f} read"),
            TextColumn("{task.fields[written]:>8} written"),
            TextColumn("{task.fields[rate]:>9}"),
            TextColumn("{task.fields[requests]:>6} req"),
            TimeElapsedColumn(),
            console=console, disable=disable,
        )
        self.tasks: dict[str, TaskID] = {}
        self.lock = threading.Lock()

    def __enter__(self) -> RichProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)

    def start(self, name: str, mode: str) -> None:
        with self.lock:
            self.tasks[name] = self.bar.add_task(name, total=None, mode=mode, written=0, rate="", requests=0)

    def advance(self, name: str, read: int, written: int, requests: int) -> None:
        task = self.tasks.get(name)
        if task is None:
            return
        elapsed = self.bar.tasks[task].elapsed or 0
        rate = f"{read / elapsed:,.0f}/s" if elapsed > 0.05 else ""
        self.bar.update(task, completed=read, written=written, rate=rate, requests=requests)

    def done(self, name: str, result: ObjectResult) -> None:
        with self.lock:
            task = self.tasks.get(name)
            if task is None:
                task = self.tasks[name] = self.bar.add_task(name, total=None, mode=result.mode, written=0,
                                                            rate="", requests=0)
        mode = "[red]failed[/red]" if result.error else result.mode
        self.bar.update(task, completed=result.read, total=result.read, mode=mode, written=result.rows,
                        requests=result.requests)
