"""Many accounts on Celery: one replicate run per account queued at once, drained by W Celery worker
processes (Redis broker, PostgreSQL state), against `scorolink serve`'s local runner with W threads
on the same work.

    .venv/bin/python bench/runtime_celery.py [--accounts 60] [--size 30] [--workers 1,2,4]
        [--objects A,B,...] [--json]

One Scoro sandbox with `--accounts` sites is served over loopback HTTP from its own process, without
a rate limit. Each site is a connection with one manual job replicating `--objects` into its own
SQLite mirror (a first, full read). For each runner and worker count, a fresh PostgreSQL database
(a throwaway server, as the tests start it) and a flushed Redis hold the state and the queue; every
job is run-now'ed, then the dispatcher ticks every `--tick` seconds (what `scorolink beat` does)
until every run has finished. Celery workers are `scorolink worker --pool solo --concurrency 1`
processes, started and connected before the clock starts.

Reported: runs finished and failed, wall seconds from the first dispatch to the last finish, runs
per second, queue delay (started − queued: p50, p95), run time (finished − started: p50) and API
requests. The machine's cores are shared by the sandbox server, the workers and PostgreSQL, so on
a small machine they are all part of what is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from runtime_schedule import start_sandbox
from runtime_schedule import write_config as schedule_config

from scorolink.runtime.connections import ConfiguredConnections
from scorolink.runtime.jobs import add_job, list_runs, run_now
from scorolink.runtime.local import LocalRunner
from scorolink.runtime.store import StateStore, SystemClock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.services: the throwaway servers
from tests.services import create_database, start_postgres, start_redis  # noqa: E402

SCOROLINK = str(Path(sys.executable).parent / "scorolink")


def write_config(folder: Path, info: dict[str, Any], state: str, broker: str, tick: float) -> Path:
    """runtime_schedule's config (one connection per site) with a [runtime] table in front."""
    path = schedule_config(folder, info)
    runtime = ["[runtime]", f'state = "{state}"', f'broker = "{broker}"', f"tick_seconds = {tick}",
               "slice_seconds = 0", "", ""]
    path.write_text("\n".join(runtime) + path.read_text())
    return path


def start_workers(folder: Path, config: Path, count: int) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(count):
        log = folder / f"worker-{i}.log"
        procs.append(subprocess.Popen([SCOROLINK, "--config", str(config), "worker", "--pool", "solo",
                                       "--concurrency", "1"],
                                      cwd=folder, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                      start_new_session=True, env={**os.environ, "SCOROLINK_CONFIG": str(config)}))
    deadline = time.monotonic() + 60
    for i, proc in enumerate(procs):  # ready once connected to the broker
        log = folder / f"worker-{i}.log"
        while b"ready." not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                stop(procs)
                raise RuntimeError(f"worker {i} did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
    return procs


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def one(runner: str, workers: int, info: dict[str, Any], pg: Any, redis_url: str, args: argparse.Namespace
        ) -> dict[str, Any]:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    state = create_database(pg)
    with tempfile.TemporaryDirectory(prefix="bench-celery-") as tmp:
        folder = Path(tmp)
        (folder / "mirrors").mkdir()
        config = write_config(folder, info, state, redis_url, args.tick)
        store = StateStore(state)
        clock = SystemClock()
        names = []
        for site in info["sites"]:
            name = f"mirror-{site['site']}"
            add_job(store, name, operation="replicate", connection=site["site"], schedule="manual",
                    params={"to": f"sqlite:///{folder / 'mirrors' / (site['site'] + '.db')}",
                            "objects": args.objects, "workers": 1}, now=clock.now())
            names.append(name)
        procs: list[subprocess.Popen[bytes]] = []
        local = None
        if runner == "celery":
            from scorolink.runtime.celery_app import create_app
            from scorolink.runtime.settings import load_runtime_settings

            procs = start_workers(folder, config, workers)
            settings, _ = load_runtime_settings(str(config))
            dispatch = create_app(settings, str(config)).tasks["scorolink.dispatch_due"]
        else:
            local = LocalRunner(store, ConfiguredConnections(str(config)), workers=workers)
            dispatch = local.tick
        try:
            started = time.monotonic()
            for name in names:
                run_now(store, name, clock.now())
            deadline = started + args.timeout
            while True:
                dispatch()
                runs = list_runs(store, limit=1_000_000)
                if all(r["finished_at"] for r in runs) or time.monotonic() > deadline:
                    break
                time.sleep(args.tick)
            wall = max((r["finished_at"] for r in runs if r["finished_at"]), default=None)
        finally:
            stop(procs)
            if local is not None:
                local.stop(wait=True)
            store.dispose()
    finished = [r for r in runs if r["finished_at"]]
    first_queued = min(r["queued_at"] or r["due_at"] for r in runs)
    seconds = (wall - first_queued).total_seconds() if wall else None
    waits = sorted((r["started_at"] - (r["queued_at"] or r["due_at"])).total_seconds() for r in finished)
    durations = sorted((r["finished_at"] - r["started_at"]).total_seconds() for r in finished)
    return {
        "runner": runner, "workers": workers, "accounts": len(info["sites"]), "runs_finished": len(finished),
        "failed": sum(r["state"] != "succeeded" for r in finished), "seconds": round(seconds, 1) if seconds else None,
        "runs_per_second": round(len(finished) / seconds, 2) if seconds else None,
        "queue_p50_s": round(statistics.median(waits), 1) if waits else None,
        "queue_p95_s": round(waits[int(0.95 * (len(waits) - 1))], 1) if waits else None,
        "run_p50_s": round(statistics.median(durations), 2) if durations else None,
        "requests": sum(r["requests"] for r in finished),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=60)
    parser.add_argument("--size", type=int, default=30, help="records per sandbox site (approximate)")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--objects", default="Projects,Invoices,Tasks,Products")
    parser.add_argument("--tick", type=float, default=0.5, help="seconds between dispatcher ticks")
    parser.add_argument("--timeout", type=float, default=900, help="give up on a measurement after this long")
    parser.add_argument("--runners", default="local,celery")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sandbox, info = start_sandbox(args.accounts, args.size)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-celery-services-") as tmp:
        pg = start_postgres(Path(tmp) / "pg")
        redis_dir = Path(tmp) / "redis"
        redis_dir.mkdir()
        redis_proc, redis_url = start_redis(redis_dir)
        try:
            for workers in (int(w) for w in args.workers.split(",")):
                for runner in args.runners.split(","):
                    results.append(one(runner, workers, info, pg, redis_url, args))
        finally:
            redis_proc.terminate()
            pg.stop()
            sandbox.terminate()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    table = Table(title=f"{args.accounts} accounts, one replicate run each ({args.objects}), queued at once")
    columns = list(results[0])
    for c in columns:
        table.add_column(c.replace("_", " "))
    for r in results:
        table.add_row(*("" if r[c] is None else str(r[c]) for c in columns))
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
