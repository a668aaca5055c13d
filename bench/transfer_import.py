"""`scorolink import`: requests per row against the floor for every mode, and wall time against
the bound Scoro's rate limit sets.

    .venv/bin/python bench/transfer_import.py [--rows 500] [--rate-rows 300] [--workers 1,4] [--json]

Scoro has no batch write, so the floor is one write request per row. On top of that:

- update by id: nothing (the id is in the row);
- upsert and delete by a natural key (Name): one read of the object's keys, list pages of 100,
  so `existing // 100 + 1` requests, whatever the number of rows;
- lookups (company name → CompanyId, VAT code → VatCodeId, product code → ProductId): one read of
  each lookup object, `count // 100 + 1` list pages each;
- Files: one request per 5,000,000 base64 characters of content, `ceil(4 * ceil(bytes / 3) / 5e6)`.

Request counts come from the sandbox's own per-endpoint statistics (in-process, same counts as over
HTTP), with the default number of workers. They include the one `customFields/list` a fresh
connector makes (the first import below), which the floor leaves out. The rate-limit part serves a fresh sandbox over loopback with Scoro's limit of 40 requests
per 2 s and inserts `--rate-rows` Companies, then upserts them by Name: k requests need k / 20 s at
the sustained rate (`bound s`), or (ceil(k / 40) - 1) * 2 s if the first window is spent at once.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.scoro import ScoroConnector
from scorolink.sandbox.scoro import RateLimit, SandboxConfig, ScoroSandbox
from scorolink.session import sandbox_settings
from scorolink.transfer.importer import ImportOptions, ImportSummary, run_import
from scorolink.transfer.mapping import parse_mapping
from scorolink.transfer.sources import CsvSource

RATE = 40  # Scoro: requests per 2-second window
B64_CHUNK = 5_000_000
HAS_WORKERS = any(f.name == "workers" for f in dataclasses.fields(ImportOptions))


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def pages(n: int, page: int = 100) -> int:
    return n // page + 1


def writes(by_endpoint: dict[str, int]) -> int:
    return sum(v for k, v in by_endpoint.items() if k.endswith(("/modify", "/delete")))


def reads(by_endpoint: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in by_endpoint.items() if not k.endswith(("/modify", "/delete"))}


class Bench:
    """A fresh in-process sandbox, a connector over it and a scratch folder."""

    def __init__(self, workers: int | None, sandbox: ScoroSandbox | None = None,
                 base_url: str | None = None) -> None:
        self.sb = sandbox or ScoroSandbox(SandboxConfig(seed=7, size=300))
        settings = sandbox_settings(self.sb, base_url=base_url)
        transport = None if base_url else SyncASGITransport(self.sb.app)
        self.connector = ScoroConnector(ScoroClient(settings, transport=transport))
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-import-")
        self.dir = Path(self.tmp.name)
        self.workers = workers
        self.runs = 0

    def count(self, obj: str) -> int:
        return sum(1 for _ in self.connector.read(obj, columns=[self.connector.spec(obj).key_fields[0]]))

    def run(self, obj: str, path: Path, mapping: dict[str, Any] | None = None,
            **options: Any) -> tuple[ImportSummary, dict[str, int], float]:
        self.runs += 1
        if mapping is not None:
            options["mapping"] = parse_mapping(mapping, base=path.parent)
        if HAS_WORKERS and self.workers is not None:
            options["workers"] = self.workers
        options = {"journal_dir": self.dir / "journal", "errors_path": self.dir / f"errors{self.runs}.csv",
                   "results_path": self.dir / f"results{self.runs}.csv", **options}
        self.sb.reset_stats()
        started = time.perf_counter()
        summary = run_import(self.connector, obj, CsvSource(path), ImportOptions(**options))
        wall = time.perf_counter() - started
        if summary.failed or summary.stopped:
            errors = (self.dir / f"errors{self.runs}.csv").read_text()[:2000]
            raise RuntimeError(f"{obj} import: {summary.failed} failed, stopped={summary.stopped}\n{errors}")
        return summary, dict(self.sb.stats()["requests"]["by_endpoint"]), wall

    def results(self) -> list[dict[str, str]]:
        with (self.dir / f"results{self.runs}.csv").open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    def close(self, own_sandbox: bool = True) -> None:
        self.connector.close()
        self.tmp.cleanup()
        if own_sandbox:
            self.sb.close()


@contextmanager
def bench(workers: int | None) -> Iterator[Bench]:
    b = Bench(workers)
    try:
        yield b
    finally:
        b.close()


def row(case: str, rows: int, summary: ImportSummary, by_endpoint: dict[str, int], floor_reads: int,
        floor_writes: int, wall: float, floor_note: str) -> dict[str, Any]:
    k = sum(by_endpoint.values())
    floor = floor_reads + floor_writes
    done = summary.inserted + summary.updated + summary.deleted
    return {"case": case, "rows": rows, "done": done, "requests": k, "client_requests": summary.requests,
            "reads": sum(reads(by_endpoint).values()), "writes": writes(by_endpoint),
            "floor": floor, "floor_reads": floor_reads, "floor_note": floor_note,
            "requests_per_row": round(k / rows, 3), "floor_per_row": round(floor / rows, 3),
            "ratio": round(k / floor, 3), "seconds": round(wall, 2), "rows_per_second": round(rows / wall),
            "read_endpoints": reads(by_endpoint)}


def request_counts(n: int, workers: int | None) -> list[dict[str, Any]]:
    out = []
    names = [f"Bench Co {i:06d}" for i in range(n)]
    with bench(workers) as b:
        path = write_csv(b.dir / "companies.csv", ["Name", "Comments"], [[name, "inserted"] for name in names])
        s, ep, wall = b.run("Companies", path)
        out.append(row("insert Companies", n, s, ep, 0, n, wall, "1 write per row"))
        ids = [r["scorolink_id"] for r in b.results()]

        path = write_csv(b.dir / "update.csv", ["Id", "Comments"], [[i, "updated by id"] for i in ids])
        s, ep, wall = b.run("Companies", path, mode="update")
        out.append(row("update Companies by Id", n, s, ep, 0, n, wall, "1 write per row"))

        existing = b.count("Companies")  # the key index reads them all
        half = n // 2  # upsert: half the rows exist, half are new
        upsert = [[name, "upserted"] for name in names[:half]] + \
                 [[f"Bench New {i:06d}", "upserted"] for i in range(n - half)]
        path = write_csv(b.dir / "upsert.csv", ["Name", "Comments"], upsert)
        s, ep, wall = b.run("Companies", path, mode="upsert", key="Name")
        assert (s.updated, s.inserted) == (half, n - half), s
        out.append(row("upsert Companies by Name (½ new)", n, s, ep, pages(existing), n, wall,
                       f"key read of {existing:,} Companies + 1 write per row"))

        existing = b.count("Companies")
        path = write_csv(b.dir / "delete.csv", ["Name"], [[name] for name in names])
        s, ep, wall = b.run("Companies", path, mode="delete", key="Name")
        out.append(row("delete Companies by Name", n, s, ep, pages(existing), n, wall,
                       f"key read of {existing:,} Companies + 1 write per row"))

    with bench(workers) as b:
        companies = [c["Name"] for c in b.connector.read("Companies", columns=["Id", "Name"])]
        unique = [c for c in companies if companies.count(c) == 1]
        vats = [v["VATCode"] for v in b.connector.read("VATCodes", columns=["Id", "VATCode"]) if v["VATCode"]]
        vats = [v for v in vats if vats.count(v) == 1]
        products = [p["Code"] for p in b.connector.read("Products", columns=["Id", "Code"]) if p["Code"]]
        products = [p for p in products if products.count(p) == 1]
        counts = {o: b.count(o) for o in ("Companies", "VATCodes", "Products")}
        rows = []
        for i in range(n):
            lines = [{"ProductCode": products[(i + j) % len(products)], "Qty": str(1 + j), "UnitPrice": "12.50",
                      "Comment": f"line {j}"} for j in range(3)]
            rows.append([unique[i % len(unique)], f"ref {i}", vats[i % len(vats)], json.dumps(lines)])
        path = write_csv(b.dir / "invoices.csv", ["Customer", "Ref", "Vat code", "Lines"], rows)
        mapping = {
            "columns": {"Description": "Ref"},
            "constants": {"Currency": "EUR", "Status": "draft"},
            "lookups": {"CompanyId": {"object": "Companies", "match": "Name", "from": "Customer"},
                        "VatCodeId": {"object": "VATCodes", "match": "VATCode", "from": "Vat code"}},
            "nested": {"Lines": {"column": "Lines", "columns": {"Amount": "Qty", "Price": "UnitPrice"},
                                 "lookups": {"ProductId": {"object": "Products", "match": "Code",
                                                           "from": "ProductCode"}}}},
        }
        s, ep, wall = b.run("Invoices", path, mapping=mapping)
        floor_reads = sum(pages(c) for c in counts.values())
        note = "1 read of " + ", ".join(f"{o} ({c:,})" for o, c in counts.items()) + " + 1 write per row"
        out.append(row("insert Invoices, 3 lookups, 3 Lines each", n, s, ep, floor_reads, n, wall, note))

    with bench(workers) as b:
        sizes = [1_000] * 10 + [4_000_000] * 3 + [8_000_000]  # base64: 1,336 / 5.33 M / 10.67 M characters
        file_rows, floor = [], 0
        for i, size in enumerate(sizes):
            (b.dir / f"f{i}.bin").write_bytes(bytes([i % 256]) * size)
            file_rows.append([f"f{i}.bin", f"f{i}.bin"])
            floor += math.ceil(4 * math.ceil(size / 3) / B64_CHUNK)
        path = write_csv(b.dir / "files.csv", ["FileName", "Content"], file_rows)
        s, ep, wall = b.run("Files", path)
        out.append(row("insert Files (10 × 1 KB, 3 × 4 MB, 1 × 8 MB)", len(sizes), s, ep, 0, floor, wall,
                       "1 write per 5,000,000 base64 characters"))
    return out


def rate_limited(n: int, workers: int | None) -> list[dict[str, Any]]:
    sb = ScoroSandbox(SandboxConfig(seed=7, size=300, rate_limit=RateLimit(per_window=RATE)))
    out = []
    try:
        with sb.run_in_thread() as base_url:
            b = Bench(workers, sandbox=sb, base_url=base_url)
            try:
                names = [f"Rate Co {i:05d}" for i in range(n)]
                path = write_csv(b.dir / "c.csv", ["Name", "Comments"], [[name, "x"] for name in names])
                time.sleep(2.1)  # start on a fresh server-side window
                s, ep, wall = b.run("Companies", path)
                out.append(_rate_row("insert Companies", n, s, ep, wall, workers, b))
                upsert = [[name, "y"] for name in names[: n // 2]] + [[f"Rate New {i:05d}", "y"] for i in range(n - n // 2)]
                path = write_csv(b.dir / "u.csv", ["Name", "Comments"], upsert)
                time.sleep(2.1)
                s, ep, wall = b.run("Companies", path, mode="upsert", key="Name")
                out.append(_rate_row("upsert Companies by Name", n, s, ep, wall, workers, b))
            finally:
                b.close(own_sandbox=False)
    finally:
        sb.close()
    return out


def _rate_row(case: str, n: int, s: ImportSummary, ep: dict[str, int], wall: float, workers: int | None,
              b: Bench) -> dict[str, Any]:
    k = sum(ep.values())
    bound = k / (RATE / 2)
    return {"case": case, "rows": n, "workers": workers, "requests": k, "seconds": round(wall, 2),
            "bound_seconds": round(bound, 2), "wall_over_bound": round(wall / bound, 3),
            "window_bound_seconds": (math.ceil(k / RATE) - 1) * 2.0,
            "rate_limited_429": b.connector.client.stats.rate_limited, "retries": b.connector.client.stats.retries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500, help="rows per import for the request counts")
    parser.add_argument("--rate-rows", type=int, default=300, help="rows per import at 40 requests per 2 s (0: skip)")
    parser.add_argument("--workers", default="1,4", help="ImportOptions.workers for the rate-limited runs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")] if HAS_WORKERS else [None]
    counts = request_counts(args.rows, None)  # ImportOptions' default workers, as the CLI runs it
    limited = [r for w in workers for r in rate_limited(args.rate_rows, w)] if args.rate_rows else []
    if args.json:
        print(json.dumps({"workers_option": HAS_WORKERS, "requests": counts, "rate_limited": limited}, indent=2))
        return
    console = Console(width=200)
    default_workers = ImportOptions().workers if HAS_WORKERS else 1
    table = Table(title=f"import requests against the floor (in-process sandbox, workers {default_workers})")
    shown = ["case", "rows", "done", "requests", "reads", "writes", "floor", "requests_per_row", "floor_per_row",
             "ratio", "seconds", "rows_per_second", "floor_note"]
    for column in shown:
        table.add_column(column.replace("_", " "))
    for r in counts:
        table.add_row(*(str(r[c]) for c in shown))
    console.print(table)
    if limited:
        table = Table(title=f"import wall time over loopback at {RATE} requests per 2 s; bound = requests / 20 per s")
        for column in limited[0]:
            table.add_column(column.replace("_seconds", " s").replace("_", " "))
        for r in limited:
            table.add_row(*("–" if v is None else str(v) for v in r.values()))
        console.print(table)


if __name__ == "__main__":
    main()
