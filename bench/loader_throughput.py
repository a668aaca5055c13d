"""The loader alone, API stubbed: canonical records in memory → replicate() → SQL, rows per second
and peak memory.

    .venv/bin/python bench/loader_throughput.py [--records 100000] [--small 10000] [--duckdb]
        [--postgres auto|postgresql://user@host/db] [--profile] [--json]

A fake connector stands in for ScoroConnector: `spec()` returns the catalog's spec (no custom
fields), `read()` yields generated canonical records (ints, Decimals, aware UTC datetimes, dates,
strings, bools, like `record_from_wire` makes), and the engine runs as `scorolink replicate` would
on a first run: RowBuilder, mirror.prepare, ObjectLoader.load in batches of `--batch-size` records
(each its own transaction with the hash lookup, upserts and seen keys), then mark_unseen_deleted and
the state.

- flat: TimeEntries (27 fields, no nested data);
- parent: Invoices (57 fields) with 3 Lines each, every line with a `Dates` mapping of 2 days, and
  one id in QuoteId: per record 1 main row + 3 line rows + 6 date rows + 1 value row.

Records come from a pool of 1,000 distinct generated records, copied with a new Id, so generating
them costs little (measured on its own and reported) and never holds all records in memory.
Every (object, size, destination) runs in its own process so `ru_maxrss` is that run's peak;
`base_mb` is the process before the load (interpreter, imports, record pool). Besides wall time,
each run reports its process's CPU time and the load average when it ended: on a shared machine
the per-CPU-second figures are the steadier ones (for PostgreSQL they leave out the server's work).

Targets (issue): >= 100k flat rows/s and >= 50k parent rows/s with nesting into SQLite on 2 cores;
peak <= 200 MB for 1M records. `--profile` prints where the time goes (cProfile, top functions).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from scorolink.catalog.model import Field, FieldType, Nested, ObjectSpec
from scorolink.catalog.scoro import CATALOG
from scorolink.clients.http import RequestStats

POOL = 1000
OBJECTS = {"flat": "TimeEntries", "parent": "Invoices"}
LINES = 3
DATES_PER_LINE = 2


# -- generated canonical records -------------------------------------------------------------------
def _value(f: Field, r: random.Random, i: int) -> Any:
    t = f.type
    if t is FieldType.INTEGER:
        return r.randint(0, 5000)
    if t is FieldType.DECIMAL:
        return Decimal(r.randint(0, 10_000_000)) / 100
    if t is FieldType.BOOLEAN:
        return r.random() < 0.5
    if t is FieldType.DATETIME:
        return datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=r.randint(0, 40_000_000))
    if t is FieldType.DATE:
        return date(2024, 1, 1) + timedelta(days=r.randint(0, 900))
    if t is FieldType.TIME:
        return f"{r.randint(0, 9):02d}:{r.choice((0, 15, 30, 45)):02d}:00"
    if t is FieldType.JSON:
        return None  # Permissions and friends: absent unless asked for
    if f.name.startswith("Is") or f.name.endswith("Id"):
        return str(r.randint(0, 5000))
    return f"{f.name} {i} {r.choice(('alpha', 'beta', 'gamma', 'Õunapuu tänav 5'))}"


def _nested(n: Nested, r: random.Random, i: int) -> Any:
    if n.kind == "values":
        return [r.randint(1, 5000)] if n.field == "QuoteId" else []
    if n.kind == "mapping":
        start = date(2025, 1, 1) + timedelta(days=r.randint(0, 300))
        return {(start + timedelta(days=d)).isoformat(): float(r.randint(1, 8)) for d in range(DATES_PER_LINE)}
    if n.kind == "object":
        return _record(n.fields, n.nested, r, i)
    return [_record(n.fields, n.nested, r, i * 10 + k) for k in range(LINES)]


def _record(fields: tuple[Field, ...], nested: tuple[Nested, ...], r: random.Random, i: int) -> dict[str, Any]:
    out = {f.name: _value(f, r, i) for f in fields}
    if "Id" in out:
        out["Id"] = i
    if "IsDeleted" in out:
        out["IsDeleted"] = False
        out["DeletedDate"] = None
    for n in nested:
        out[n.field] = _nested(n, r, i)
    return out


def pool(spec: ObjectSpec) -> list[dict[str, Any]]:
    r = random.Random(7)
    return [_record(spec.fields, spec.nested, r, i) for i in range(POOL)]


def records(base: list[dict[str, Any]], n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        rec = base[i % POOL].copy()
        rec["Id"] = i + 1
        yield rec


# -- a connector that answers from memory -----------------------------------------------------------
class FakeConnector:
    """What replicate() uses of ScoroConnector: spec, read, catalog, client.stats, client.settings."""

    catalog = CATALOG

    def __init__(self, n: int, base: list[dict[str, Any]]):
        self.n = n
        self.base = base
        self.client = SimpleNamespace(stats=RequestStats(), settings=SimpleNamespace(company_account_id=1))

    def spec(self, name: str, *, with_custom: bool = True) -> ObjectSpec:
        spec = CATALOG.get(name)
        assert spec is not None
        return spec

    def read(self, name: str, where: Any = (), *, columns: Any = None, include_deleted: bool = False,
             limit: int | None = None) -> Iterator[dict[str, Any]]:
        return records(self.base, self.n)


# -- one measured run (in its own process) ----------------------------------------------------------
def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def table_rows(url: str, tables: list[str]) -> dict[str, int]:
    from scorolink.replicate.destination import open_destination

    dest = open_destination(url)
    try:
        return {t: int(dest.query(f"SELECT count(*) FROM {dest.q(t)}")[0][0]) for t in tables}
    finally:
        dest.close()


def measure(kind: str, n: int, url: str, batch_size: int, profile: bool = False,
            name: str | None = None) -> dict[str, Any]:
    from scorolink.replicate.engine import ReplicateOptions, replicate
    from scorolink.replicate.schema import build_tables

    name = name or OBJECTS[kind]
    spec = CATALOG.get(name)
    assert spec is not None
    base = pool(spec)
    started = time.perf_counter()
    for _ in records(base, n):
        pass
    gen_seconds = time.perf_counter() - started
    base_mb = rss_mb()
    connector = FakeConnector(n, base)
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    cpu_started = _cpu_seconds()
    if profiler:
        profiler.enable()
    summary = replicate(connector, url, ReplicateOptions(objects=[name], workers=1, batch_size=batch_size))  # type: ignore[arg-type]
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = summary.objects[name]
    counts = table_rows(url, [t.name for t in build_tables([spec])])
    rows = sum(counts.values())
    loader_seconds = max(seconds - gen_seconds, 1e-9)
    out = {
        "kind": kind, "object": name, "columns": len(build_tables([spec])[0].columns),
        "destination": url.split(":", 1)[0], "records": n,
        "written": result.rows, "rows_all_tables": rows, "child_rows": rows - counts[name],
        "seconds": round(seconds, 2), "generate_seconds": round(gen_seconds, 2),
        "records_per_s": round(n / seconds), "records_per_s_loader_only": round(n / loader_seconds),
        "rows_per_s": round(rows / seconds), "cpu_seconds": round(cpu, 2),
        "records_per_cpu_s": round(n / max(cpu, 1e-9)), "rows_per_cpu_s": round(rows / max(cpu, 1e-9)),
        "load_average": os.getloadavg()[0], "base_mb": round(base_mb, 1), "peak_rss_mb": round(peak_mb, 1),
        "error": result.error,
    }
    if profiler:
        buf = io.StringIO()
        stats = pstats.Stats(profiler, stream=buf).strip_dirs()
        stats.sort_stats("tottime").print_stats(18)
        stats.sort_stats("cumulative").print_stats(22)
        out["profile"] = buf.getvalue()
    return out


def _cpu_seconds() -> float:
    """This process's CPU time (user + system): on a machine shared with other work, wall time
    measures the neighbours too; CPU time does not (though it leaves out a database server's)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- destinations -------------------------------------------------------------------------------------
class Destinations:
    """A fresh, empty destination URL per run; cleans up what it made."""

    def __init__(self, tmp: Path, postgres: str | None):
        self.tmp = tmp
        self.pg_server: Any = None
        self.pg_url = postgres
        self.pg_databases: list[str] = []
        if postgres == "auto":
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
            from tests.services import start_postgres  # a throwaway server, as the tests use

            self.pg_server = start_postgres(tmp / "pg")
            self.pg_url = self.pg_server.url

    def url(self, scheme: str) -> str:
        token = uuid.uuid4().hex[:10]
        if scheme == "sqlite":
            return f"sqlite:///{self.tmp / f'{token}.db'}"
        if scheme == "duckdb":
            return f"duckdb:///{self.tmp / f'{token}.duckdb'}"
        import psycopg

        assert self.pg_url
        name = f"scorolink_bench_{token}"
        with psycopg.connect(self.pg_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.pg_databases.append(name)
        return self.pg_url.rsplit("/", 1)[0] + "/" + name

    def close(self) -> None:
        if self.pg_url and self.pg_databases:
            import psycopg

            with psycopg.connect(self.pg_url, autocommit=True) as conn:
                for name in self.pg_databases:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if self.pg_server is not None:
            self.pg_server.stop()


def run_child(kind: str, n: int, url: str, batch_size: int, name: str | None = None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", kind, "--records", str(n), "--url", url,
           "--batch-size", str(batch_size), *(["--object", name] if name else [])]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="records per object (the large size)")
    parser.add_argument("--small", type=int, default=None, help="the smaller size for the memory check "
                                                                 "(default: records / 10)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="records per transaction (default: ReplicateOptions().batch_size)")
    parser.add_argument("--duckdb", action="store_true", help="also load into DuckDB")
    parser.add_argument("--postgres", default=None,
                        help="also load into PostgreSQL: a server URL (a scratch database is created and "
                             "dropped per run) or 'auto' to start a throwaway server as the tests do")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile one SQLite load per object at the small size and print the top functions")
    parser.add_argument("--widths", default="",
                        help="also load these objects without nested data (comma-separated) at the large size "
                             "into SQLite: throughput by number of columns")
    parser.add_argument("--child", choices=list(OBJECTS), help=argparse.SUPPRESS)
    parser.add_argument("--object", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.batch_size is None:
        from scorolink.replicate.engine import ReplicateOptions

        args.batch_size = ReplicateOptions().batch_size
    if args.child:
        print(json.dumps(measure(args.child, args.records, args.url, args.batch_size, name=args.object)))
        return

    small = args.small or max(1, args.records // 10)
    schemes = ["sqlite"] + (["duckdb"] if args.duckdb else []) + (["postgresql"] if args.postgres else [])
    results: list[dict[str, Any]] = []
    profiles: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-loader-", dir=os.environ.get("BENCH_TMP")) as tmp:
        dests = Destinations(Path(tmp), args.postgres)
        try:
            for scheme in schemes:
                for kind in OBJECTS:
                    for n in (small, args.records):
                        results.append(run_child(kind, n, dests.url(scheme), args.batch_size))
            for name in filter(None, args.widths.split(",")):
                results.append(run_child("flat", args.records, dests.url("sqlite"), args.batch_size, name.strip()))
            if args.profile:
                for kind in OBJECTS:
                    p = measure(kind, small, dests.url("sqlite"), args.batch_size, profile=True)
                    profiles.append(f"== {OBJECTS[kind]} ({kind}), {small} records into SQLite, "
                                    f"{p['records_per_s']} records/s under cProfile ==\n{p['profile']}")
        finally:
            dests.close()
    if args.json:
        print(json.dumps({"batch_size": args.batch_size, "results": results, "profiles": profiles}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"loader throughput, API stubbed, {args.batch_size} records per transaction "
                        "(targets: flat >= 100k rows/s, parent >= 50k rows/s into SQLite; peak <= 200 MB at 1M)")
    shown = ["kind", "object", "columns", "destination", "records", "written", "child_rows", "seconds",
             "generate_seconds", "records_per_s", "records_per_s_loader_only", "rows_per_s", "cpu_seconds", "records_per_cpu_s",
             "rows_per_cpu_s", "load_average", "base_mb", "peak_rss_mb", "error"]
    for c in shown:
        table.add_column(c.replace("_per_s", "/s").replace("_seconds", " s").replace("_", " "))
    for r in results:
        table.add_row(*("" if r[c] is None else f"{r[c]:,}" if isinstance(r[c], int) else str(r[c]) for c in shown))
    Console(width=200).print(table)
    for r in results:
        if r["written"] != r["records"] or r["error"]:
            print(f"!! {r['object']} {r['records']} into {r['destination']}: wrote {r['written']}, error {r['error']}")
    for p in profiles:
        print(p)


if __name__ == "__main__":
    main()
