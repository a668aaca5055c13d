"""What the sync benchmarks (sync_xero.py, sync_quickbooks.py) share: the Scoro side in-process, a fresh state
file, one timed run on the counterpart sandbox's clock, the refusals left open, each size in its own process,
and the results table."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.scoro import ScoroConnector
from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox
from scorolink.session import sandbox_settings
from scorolink.sync.store import SyncStore


def scoro_account(size: int = 300, invoices: int | None = None) -> tuple[ScoroSandbox, ScoroConnector]:
    """A fresh Scoro sandbox (seed 1) of `size` records, its Invoices module holding exactly `invoices` when
    given, and a connector reaching it in-process."""
    scoro = ScoroSandbox(SandboxConfig(seed=1, size=size))
    if invoices is not None:
        scoro.set_count(scoro.default["site"], "invoices", invoices)
    connector = ScoroConnector(ScoroClient(sandbox_settings(scoro), transport=SyncASGITransport(scoro.app),
                                           sleep=lambda _s: None))
    return scoro, connector


@contextmanager
def fresh_state(prefix: str) -> Iterator[SyncStore]:
    """A sync state in a fresh SQLite file, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        store = SyncStore(f"sqlite:///{Path(tmp) / 'state.db'}")
        try:
            yield store
        finally:
            store.close()


def timed_run(counterpart: Any, scoro: ScoroSandbox, sleep: Any, run: Callable[[], Any]) -> dict[str, Any]:
    """One sync run from fresh request statistics: its result, real seconds, seconds on the counterpart
    sandbox's clock and of them simulated waits, the counterpart's statistics and Scoro's requests."""
    counterpart.reset_stats()
    scoro.reset_stats()
    clock0, waited0 = counterpart.clock.now(), sleep.elapsed
    started = time.perf_counter()
    result = run()
    real = time.perf_counter() - started
    stats = counterpart.stats()
    return {"result": result, "real": real, "clock": counterpart.clock.now() - clock0,
            "waited": sleep.elapsed - waited0, "stats": stats, "limited": sum(stats["rate_limited"].values()),
            "scoro": scoro.stats()["requests"]}


BLANK = re.compile(r"'[^']*'|\b\d+(\.\d+)?\b")


def refusals(store: SyncStore, job: str, *, most: int | None = None, width: int | None = None) -> dict[str, int]:
    """Records the sync refused or put off, by kind and message (ids and codes blanked)."""
    counts = Counter(f"{e['category']} {e['kind']}: {BLANK.sub('N', e['message'])[:width]}"
                     for e in store.errors(job) if e["resolved_at"] is None)
    return dict(counts.most_common(most))


def run_child(script: str, *args: str) -> dict[str, Any]:
    """`script` with `args` in its own process (its peak RSS is its own); the JSON it prints."""
    done = subprocess.run([sys.executable, str(Path(script).resolve()), *args], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"size {args[1] if len(args) > 1 else args} failed:\n{done.stderr[-3000:]}")
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def print_results(title: str, results: list[dict[str, Any]], shown: list[str]) -> None:
    table = Table(title=title)
    for column in shown:
        table.add_column(column.replace("_seconds", " s").replace("_", " "))
    for r in results:
        table.add_row(*("–" if r[c] is None else str(r[c]) for c in shown))
    Console(width=220).print(table)
