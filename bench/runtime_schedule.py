"""Many accounts on a schedule: schedule delay and throughput of `scorolink serve`'s runner with 1, 2
and 4 workers.

    .venv/bin/python bench/runtime_schedule.py [--accounts 200] [--size 30] [--every 300]
        [--minutes 15] [--speed 20] [--workers 1,2,4] [--objects A,B,...] [--json]

One Scoro sandbox with `--accounts` sites is served over loopback HTTP from its own process
(`scorolink sandbox scoro`). Each site is a connection in a generated scorolink.toml and has one job:
replicate `--objects` into its own SQLite mirror every `--every` seconds, the first due times spread
evenly over the first interval (as when accounts sign up at different times). The runner (`LocalRunner`:
dispatcher tick plus a thread pool, SQLite state) runs on a compressed clock: `--speed` simulated
seconds pass per real second, the dispatcher ticks every simulated second, and the run lasts
`--minutes` simulated minutes. Each worker count starts from a fresh state database and fresh mirrors,
so the first run of every job is a full read and later ones are incremental.

Reported per worker count: runs finished, runs/s (real), schedule delay (run start minus due time,
in simulated seconds: p50, p95, max), due times coalesced into a still-active run (a sign the
runner is behind), runs created but not yet started at the end, and API requests. The sandbox
server is one process, so on a small machine it is part of what is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from scorolink.runtime.connections import ConfiguredConnections
from scorolink.runtime.jobs import add_job, list_runs
from scorolink.runtime.local import LocalRunner
from scorolink.runtime.operations import Budget
from scorolink.runtime.store import StateStore

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class CompressedClock:
    """Simulated time that runs `speed` times faster than real time from T0."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.started = time.monotonic()

    def now(self) -> datetime:
        return T0 + timedelta(seconds=(time.monotonic() - self.started) * self.speed)


def _anchor(i: int, n: int, every: float) -> datetime:
    """Job i's schedule anchor: first due times spread evenly over the first interval from T0."""
    return T0 + timedelta(seconds=every * i / n - every)


def start_sandbox(accounts: int, size: int) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen([str(Path(sys.executable).parent / "scorolink"), "sandbox", "scoro", "--port", "0",
                             "--sites", str(accounts), "--size", str(size), "--seed", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    return proc, info


def write_config(folder: Path, info: dict[str, Any]) -> Path:
    lines = []
    for site in info["sites"]:
        lines += [f"[connections.{site['site']}]", f'base_url = "{site["base_url"]}"',
                  f'company_account_id = "{site["company_account_ids"][0]}"', f'api_key = "{site["api_key"]}"',
                  f'timezone = "{site["timezone"]}"', ""]
    path = folder / "scorolink.toml"
    path.write_text("\n".join(lines))
    return path


def one(info: dict[str, Any], config: Path, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-runtime-") as tmp:
        folder = Path(tmp)
        (folder / "mirrors").mkdir()
        store = StateStore(f"sqlite:///{folder / 'state.db'}")
        sites = info["sites"]
        for i, site in enumerate(sites):
            anchor = _anchor(i, len(sites), args.every)
            add_job(store, f"mirror-{site['site']}", operation="replicate", connection=site["site"],
                    schedule=f"every {args.every}s",
                    params={"to": f"sqlite:///{folder / 'mirrors' / (site['site'] + '.db')}",
                            "objects": args.objects, "workers": 1}, now=anchor)
        clock = CompressedClock(args.speed)
        # Leases and re-hands are in simulated seconds; keep them far above a slice's real duration
        # times the speed-up, or the compressed clock would expire live leases.
        runner = LocalRunner(store, ConfiguredConnections(str(config)), workers=workers, clock=clock,
                             budget=Budget(seconds=None), lease_seconds=86400, rehand_seconds=86400)
        end = T0 + timedelta(minutes=args.minutes)
        stop = threading.Event()
        started = time.monotonic()
        while clock.now() < end:
            runner.tick()
            stop.wait(1.0 / args.speed)  # one simulated second
        real = time.monotonic() - started
        runner.stop(wait=True)
        runs = list_runs(store, limit=1_000_000)
        store.dispose()
    end -= timedelta(seconds=5)  # due times in the last simulated seconds may not have been dispatched yet
    window = [r for r in runs if r["due_at"] <= end]
    finished = [r for r in window if r["finished_at"] and r["finished_at"] <= end]
    delays = sorted((r["started_at"] - r["due_at"]).total_seconds() for r in window if r["started_at"]
                    and r["started_at"] <= end)
    # every due time of every job inside the window, to count the ones folded into an active run
    expected = 0
    for i in range(len(info["sites"])):
        expected += int((end - _anchor(i, len(info["sites"]), args.every)).total_seconds() // args.every)
    failed = sum(r["state"] in ("failed", "partially_failed") for r in finished)
    return {
        "workers": workers, "accounts": len(info["sites"]), "simulated_minutes": args.minutes,
        "real_seconds": round(real, 1), "due": expected, "runs_started": len(delays), "runs_finished": len(finished),
        "failed": failed, "coalesced": expected - len(window), "waiting_at_end": len(window) - len(delays),
        "runs_per_second": round(len(finished) / real, 2),
        "delay_p50_s": round(statistics.median(delays), 1) if delays else None,
        "delay_p95_s": round(delays[int(0.95 * (len(delays) - 1))], 1) if delays else None,
        "delay_max_s": round(delays[-1], 1) if delays else None,
        "requests": sum(r["requests"] for r in finished),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--size", type=int, default=30, help="records per sandbox site (approximate)")
    parser.add_argument("--every", type=float, default=300, help="seconds between runs of each job")
    parser.add_argument("--minutes", type=float, default=15, help="simulated minutes per worker count")
    parser.add_argument("--speed", type=float, default=20, help="simulated seconds per real second")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--objects", default="Projects,Invoices,Tasks,Products")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.objects = [o.strip() for o in args.objects.split(",") if o.strip()]
    load_before = os.getloadavg()[0]
    proc, info = start_sandbox(args.accounts, args.size)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-runtime-config-") as tmp:
            config = write_config(Path(tmp), info)
            results = [one(info, config, int(w), args) for w in args.workers.split(",")]
    finally:
        proc.terminate()
        proc.wait(10)
    load = {"load_avg_1m_before": round(load_before, 1), "load_avg_1m_after": round(os.getloadavg()[0], 1),
            "cpus": os.cpu_count()}
    for r in results:
        r.update(load)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    table = Table(title=f"{args.accounts} accounts, a replication job each every {args.every:g}s, "
                        f"{args.minutes:g} simulated minutes at {args.speed:g}x")
    for key in results[0]:
        table.add_column(key.replace("_", " "))
    for r in results:
        table.add_row(*(str(v) for v in r.values()))
    Console().print(table)


if __name__ == "__main__":
    main()
