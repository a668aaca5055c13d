"""Connector reads against the sandbox over loopback: requests spent against the theoretical
minimum, rows per second, and wall time against the bound a rate limit sets.

    .venv/bin/python bench/read_requests.py [--rows 5000] [--rate 40] [--json]

The minimum for a list read of n rows at page size p is n // p + 1 (a short page ends the list,
so a multiple of p costs one empty page more). Under a limit of r requests per 2 seconds, k
requests cannot finish in less than (ceil(k / r) - 1) * 2 seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import replace

from rich.console import Console
from rich.table import Table

from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.scoro import ScoroConnector
from scorolink.sandbox.scoro import RateLimit, SandboxConfig, ScoroSandbox
from scorolink.session import sandbox_settings

CASES = [  # object, module, columns (None: all, so detailed pages for view-only data), page size
    ("Projects", "projects", ["Id", "ProjectName", "Status"], 100),
    ("TimeEntries", "timeEntries", ["Id", "Duration", "UserId"], 100),
    ("Invoices", "invoices", None, 25),
]


def run(rows: int, rate: int | None) -> list[dict]:
    results = []
    for name, module, columns, page in CASES:
        limit = RateLimit(per_window=rate) if rate else RateLimit()
        sb = ScoroSandbox(SandboxConfig(seed=7, size=300, rate_limit=limit))
        sb.set_count(sb.default["site"], module, rows)
        with sb.run_in_thread() as base_url:
            settings = replace(sandbox_settings(sb, base_url=base_url))
            connector = ScoroConnector(ScoroClient(settings))
            connector.custom_fields()
            sb.reset_stats()
            started = time.perf_counter()
            count = sum(1 for _ in connector.read(name, columns=columns))
            seconds = time.perf_counter() - started
            spent = sb.stats()["requests"]["total"]
        minimum = rows // page + 1
        bound = (math.ceil(minimum / rate) - 1) * 2.0 if rate else 0.0
        results.append({"object": name, "rows": count, "page_size": page, "requests": spent,
                        "minimum_requests": minimum, "requests_ratio": round(spent / minimum, 3),
                        "seconds": round(seconds, 2), "rows_per_second": round(count / seconds),
                        "rate_limit_per_2s": rate, "bound_seconds": bound,
                        "time_ratio": round(seconds / bound, 3) if bound else None,
                        "rate_limited_429": connector.client.stats.rate_limited})
        sb.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--rate", type=int, default=None, help="requests per 2-second window")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args.rows, args.rate)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    table = Table(title=f"connector reads, {args.rows} rows per object, rate limit {args.rate or 'none'}")
    for column in results[0]:
        table.add_column(column)
    for r in results:
        table.add_row(*(str(v) for v in r.values()))
    Console().print(table)


if __name__ == "__main__":
    main()
