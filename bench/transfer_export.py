"""`scorolink export` of a large object: rows per second, requests against the minimum, and the
exporter's peak memory, with the sandbox served over loopback from this process.

    .venv/bin/python bench/transfer_export.py [--flat 10000,100000,1000000] [--nested 10000]
                                              [--rate-flat 20000] [--rate-nested 2000] [--json]

Each export runs as its own child process (`scorolink export OBJECT -o FILE --json`); the sandbox
and its generated rows live in this process. The child's peak memory is the `VmHWM` of its own
address space, which it writes on exit. (`ru_maxrss` of a child, from `wait4` or `RUSAGE_CHILDREN`,
is no use here: Linux carries the high-water mark of the address space the child had before
`exec`, the parent's, into it, so it reports this process's size, about 1 GB with 1M rows.)
CPU seconds are the child's own (`wait4`). Cases:

- flat: TimeEntries, every column (27 fields, nothing view-only), so plain list pages of 100;
- nested: Invoices, every column (Lines and other view-only data), so detailed pages of 25,
  once with `--nested json` (Lines as JSON cells) and once with `--nested flatten`
  (`FILE_Lines.csv` and the other nested fields as child CSVs).

The minimum for n rows at page size p is n // p + 1 (a short page ends the list, so a multiple of
p costs one empty page more). At Scoro's limit of 40 requests per 2 s, k requests need k / 20
seconds at the sustained rate (`bound s`), or (ceil(k / 40) - 1) * 2 seconds if the first window
is spent at once. `--rate-flat N` and `--rate-nested N` also run an N-row export against a sandbox
limited to 40 per 2 s, to see how close the exporter gets to that bound.

The sandbox answers a list page with SQLite `LIMIT ? OFFSET ?`, which walks `offset` index entries,
so the server's cost per page grows with the page number and a 1M-row export spends most of its
time in the sandbox (measured: 60 ms of server CPU per page at offset ~200k, on a loaded machine).
Real Scoro's cost per page is its own business. Unless `--offset-paging` is given, the bench
therefore lets the sandbox's store continue a page from the id where the previous page ended (the
same rows, in the same order: nothing is written during an export). The exporter, the client and
the requests are unchanged. `cpu s` is the export process's own CPU time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from scorolink.sandbox.scoro import RateLimit, SandboxConfig, ScoroSandbox
from scorolink.sandbox.scoro.store import Store

RATE = 40  # Scoro: requests per 2-second window
CASES = {  # name -> (object, module, page size, export options)
    "flat": ("TimeEntries", "timeEntries", 100, []),
    "nested-json": ("Invoices", "invoices", 25, ["--nested", "json"]),
    "nested-flatten": ("Invoices", "invoices", 25, ["--nested", "flatten"]),
}


CHILD = """
import atexit, os

def _peak():  # VmHWM: the peak RSS of this process's own address space (after exec)
    with open("/proc/self/status") as f:
        kb = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
    with open(os.environ["BENCH_PEAK_FILE"], "w") as f:
        f.write(kb)

atexit.register(_peak)
from scorolink.cli import main
main()
"""


def keyset_pages() -> None:
    """Let the sandbox continue a list page where the previous one ended instead of skipping
    `offset` rows again (see the module docstring)."""
    ends: dict[tuple, int] = {}  # (query, offset of the next page) -> last id of the page before
    offset_page = Store.page

    def page(self: Store, site: str, module: str, offset: int, limit: int, include_deleted: bool = False,
             scope: Any = Ellipsis, modified: tuple | None = None, rid: int | None = None) -> list[dict]:
        query = (id(self), site, module, include_deleted, repr(scope), modified, rid)
        last = ends.pop((query, offset), None)
        if last is None:
            if offset:
                return offset_page(self, site, module, offset, limit, include_deleted, scope, modified, rid)
        where, args = self._where(site, module, include_deleted, scope, modified, rid)
        rows = self._q(f"SELECT id, data FROM rows WHERE {where} AND id>? ORDER BY id LIMIT ?",
                       [*args, -(2**62) if last is None else last, limit])
        if rows:
            ends[(query, offset + len(rows))] = rows[-1][0]
        return [json.loads(data) for _, data in rows]

    Store.page = page  # type: ignore[method-assign]


def export_child(base_url: str, site: dict[str, Any], obj: str, options: list[str], folder: Path) -> dict[str, Any]:
    """Run `scorolink export` in a child process; return its summary, wall time and peak RSS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCORO_")}
    env.update(SCORO_BASE_URL=base_url, SCORO_API_KEY=site["api_key"],
               SCORO_COMPANY_ACCOUNT_ID=site["company_account_ids"][0])
    out = folder / f"{obj.lower()}.csv"
    peak_file = folder.parent / f"{folder.name}.peak"
    env["BENCH_PEAK_FILE"] = str(peak_file)
    args = [sys.executable, "-c", CHILD, "export", obj, "-o", str(out),
            *options, "--json"]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(args, env=env, cwd=folder, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own CPU time
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        if proc.returncode:
            raise RuntimeError(f"export {obj} failed ({proc.returncode}): {stderr.read().decode()[-2000:]}")
        summary = json.loads(stdout.read())
    size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    peak_kb = int(peak_file.read_text())
    peak_file.unlink()
    return {"summary": summary, "wall": wall, "peak_rss_mb": peak_kb / 1024,
            "cpu_seconds": usage.ru_utime + usage.ru_stime, "csv_mb": size / 1e6}


def measure(case: str, rows: int, rate: int | None = None) -> dict[str, Any]:
    obj, module, page, options = CASES[case]
    limit = RateLimit(per_window=rate) if rate else RateLimit()
    sb = ScoroSandbox(SandboxConfig(seed=7, size=300, rate_limit=limit))
    try:
        t = time.perf_counter()
        sb.set_count(sb.default["site"], module, rows)
        build = time.perf_counter() - t
        with sb.run_in_thread() as base_url, tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
            sb.reset_stats()
            run = export_child(base_url, sb.default, obj, options, Path(tmp))
            stats = sb.stats()["requests"]
    finally:
        sb.close()
    s = run["summary"]
    minimum = rows // page + 1
    list_calls = sum(v for k, v in stats["by_endpoint"].items() if k.startswith(f"{module}/list"))
    k = s["requests"]
    return {
        "case": case, "object": obj, "nested": options[1] if options else None, "rows": s["rows"],
        "files": len(s["files"]), "file_rows": sum(s["files"].values()), "csv_mb": round(run["csv_mb"], 1),
        "page_size": page, "list_requests": list_calls, "requests": k, "sandbox_requests": stats["total"],
        "minimum_requests": minimum, "requests_ratio": round(list_calls / minimum, 3),
        "requests_per_100_rows": round(100 * k / max(rows, 1), 2), "minimum_per_100_rows": round(100 * minimum / max(rows, 1), 2),
        "export_seconds": s["seconds"], "process_seconds": round(run["wall"], 2),
        "rows_per_second": round(s["rows"] / s["seconds"]) if s["seconds"] else None,
        "cpu_seconds": round(run["cpu_seconds"], 1), "rows_per_cpu_second": round(s["rows"] / run["cpu_seconds"]),
        "peak_rss_mb": round(run["peak_rss_mb"]),
        "rate_limit_per_2s": rate,
        "bound_seconds_at_40_per_2s": round(k / (RATE / 2), 1),
        "window_bound_seconds": (math.ceil(k / RATE) - 1) * 2.0,
        "time_over_bound": round(s["seconds"] / (k / (RATE / 2)), 3) if rate else None,
        "time_over_window_bound": round(s["seconds"] / ((math.ceil(k / RATE) - 1) * 2.0), 3)
        if rate and k > RATE else None,
        "sandbox_build_seconds": round(build, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flat", default="10000,100000,1000000", help="TimeEntries sizes, comma-separated")
    parser.add_argument("--nested", default="10000", help="Invoices sizes (json and flatten), comma-separated")
    parser.add_argument("--rate-flat", type=int, default=0, help="also export N TimeEntries at 40 requests per 2 s")
    parser.add_argument("--rate-nested", type=int, default=0, help="also export N Invoices (json) at 40 per 2 s")
    parser.add_argument("--offset-paging", action="store_true",
                        help="keep the sandbox's LIMIT/OFFSET pages (server cost grows with the page number)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.offset_paging:
        keyset_pages()
    results = []
    for n in [int(x) for x in args.flat.split(",") if x]:
        results.append(measure("flat", n))
    for n in [int(x) for x in args.nested.split(",") if x]:
        results.append(measure("nested-json", n))
        results.append(measure("nested-flatten", n))
    if args.rate_flat:
        results.append(measure("flat", args.rate_flat, rate=RATE))
    if args.rate_nested:
        results.append(measure("nested-json", args.rate_nested, rate=RATE))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    shown = ["case", "rows", "rate_limit_per_2s", "files", "csv_mb", "page_size", "list_requests", "minimum_requests",
             "requests", "requests_per_100_rows", "minimum_per_100_rows", "export_seconds", "rows_per_second",
             "cpu_seconds", "rows_per_cpu_second", "peak_rss_mb", "bound_seconds_at_40_per_2s", "time_over_bound", "time_over_window_bound"]
    table = Table(title="scorolink export over loopback (child process); bound = requests / 20 per s")
    for column in shown:
        table.add_column(column.replace("_seconds", " s").replace("_per_2s", "/2s").replace("_", " "))
    for r in results:
        table.add_row(*("–" if r[c] is None else str(r[c]) for c in shown))
    Console(width=220).print(table)


if __name__ == "__main__":
    main()
