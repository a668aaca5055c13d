"""Wall time of a full replication against the bound a rate limit sets, for several worker counts.

    .venv/bin/python bench/replicate_walltime.py [--size 2000] [--rate 40] [--workers 4,8] [--objects A,B] [--json]

The sandbox account (`--size` records in all, default objects of `scorolink replicate`: every
readable object but Contacts, comment objects included) is served over real HTTP on loopback with
a limit of `--rate` requests per 2-second window. k requests cannot take less than
k / (rate / 2) seconds at the sustained rate (the issue's bound; the target is wall <= 1.15x it),
nor less than (ceil(k / rate) - 1) * 2 seconds if the first window is spent at once
(`window_bound`). Each run uses a fresh sandbox (so a fresh server-side window), a fresh client (so
a fresh client-side limiter) and a fresh SQLite file. A first run without any limit
shows what the same replication costs when nothing throttles it.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.scoro import ScoroConnector
from scorolink.replicate.engine import ReplicateOptions, replicate
from scorolink.sandbox.scoro import RateLimit, SandboxConfig, ScoroSandbox
from scorolink.session import sandbox_settings


def one_run(size: int, rate: int | None, workers: int, objects: list[str] | None) -> dict[str, Any]:
    limit = RateLimit(per_window=rate) if rate else RateLimit()
    sb = ScoroSandbox(SandboxConfig(seed=7, size=size, rate_limit=limit))
    try:
        with sb.run_in_thread() as base_url, tempfile.TemporaryDirectory(prefix="bench-walltime-") as tmp:
            with ScoroClient(sandbox_settings(sb, base_url=base_url)) as client:
                connector = ScoroConnector(client)
                started = time.perf_counter()
                summary = replicate(connector, f"sqlite:///{Path(tmp) / 'mirror.db'}",
                                    ReplicateOptions(objects=objects, workers=workers))
                wall = time.perf_counter() - started
                stats = client.stats
                waited = client.limiter.waited
    finally:
        sb.close()
    k = summary.requests
    per_second = rate / 2.0 if rate else None
    bound = k / per_second if per_second else None
    window_bound = (math.ceil(k / rate) - 1) * 2.0 if rate else None
    per_parent = sum(r.requests for n, r in summary.objects.items() if connector.spec(n).reader == "per_parent")
    slowest = max(summary.objects.values(), key=lambda r: r.seconds)
    return {
        "rate_limit_per_2s": rate, "workers": workers, "objects": len(summary.objects),
        "records": sum(r.read for r in summary.objects.values()), "requests": k,
        "per_parent_requests": per_parent, "wall_seconds": round(wall, 2),
        "bound_seconds": round(bound, 2) if bound else None,
        "window_bound_seconds": window_bound,
        "wall_over_bound": round(wall / bound, 3) if bound else None,
        "wall_over_window_bound": round(wall / window_bound, 3) if window_bound else None,
        "rate_limited_429": stats.rate_limited, "retries": stats.retries,
        "limiter_wait_thread_seconds": round(waited, 1),  # summed over the threads that waited
        "slowest_object": f"{slowest.name} {slowest.seconds:.1f}s",
        "failed": summary.failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000, help="records in the sandbox account")
    parser.add_argument("--rate", type=int, default=40, help="requests per 2-second window")
    parser.add_argument("--workers", default="4,8", help="ReplicateOptions.workers values, comma-separated")
    parser.add_argument("--objects", default=None, help="comma-separated objects (default: replicate's default)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run without a rate limit")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    objects = args.objects.split(",") if args.objects else None
    workers = [int(w) for w in args.workers.split(",")]
    results = []
    if not args.no_baseline:
        results.append(one_run(args.size, None, workers[0], objects))
    for w in workers:
        results.append(one_run(args.size, args.rate, w, objects))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    table = Table(title=f"full replication over loopback, sandbox size {args.size}; target wall <= 1.15x bound")
    shown = ["rate_limit_per_2s", "workers", "objects", "records", "requests", "per_parent_requests", "wall_seconds",
             "bound_seconds", "wall_over_bound", "window_bound_seconds", "wall_over_window_bound",
             "rate_limited_429", "retries", "slowest_object"]
    for column in shown:
        table.add_column(column.replace("_seconds", " s").replace("_per_2s", "/2s").replace("_", " "))
    for r in results:
        table.add_row(*("–" if r[c] is None else str(r[c]) for c in shown))
    Console(width=200).print(table)
    for r in results:
        if r["failed"]:
            print(f"!! workers {r['workers']}: failed objects {r['failed']}")


if __name__ == "__main__":
    main()
