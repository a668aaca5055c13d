"""A Rich progress line for exports and imports: rows done, rows failed, requests, rate."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class TransferProgress:
    def __init__(self, console: Console, label: str, *, disable: bool = False) -> None:
        self.bar = Progress(
            SpinnerColumn(finished_text="[green]✓[/green]"),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:>9.0f} rows"),
            TextColumn("{task.fields[failed]:>7} failed"),
            TextColumn("{task.fields[requests]:>7} req"),
            TextColumn("{task.fields[rate]:>9}"),
            TimeElapsedColumn(),
            console=console, disable=disable,
        )
        self.task = self.bar.add_task(label, total=None, failed=0, requests=0, rate="")

    def __enter__(self) -> TransferProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)

    def update(self, rows: int, failed: int, requests: int) -> None:
        elapsed = self.bar.tasks[0].elapsed or 0
        rate = f"{rows / elapsed:,.0f}/s" if elapsed > 0.05 else ""
        self.bar.update(self.task, completed=rows, failed=failed, requests=requests, rate=rate)
