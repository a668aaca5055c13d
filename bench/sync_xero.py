"""Scoro → Xero initial sync of n invoices: Xero calls against the minimum that batches of 50 allow,
and wall time under Xero's 60-calls-per-minute limit against the bound that limit sets.

    .venv/bin/python bench/sync_xero.py [--sizes 1000,10000] [--rate 60] [--json]
    .venv/bin/python bench/sync_xero.py --scoro-size 20000 [--rate 60] [--json]

With --scoro-size: a dry run, then a real first sync on the same fresh state, against a Scoro sandbox
of that many records (seed 1, as generated) and the same Xero sandbox: requests on each side against
the minimum (Xero: as below; Scoro: each module listed once in pages — 25 rows where the sync needs
lines, else 100 — plus one request per record written), sandbox-clock time against the Xero bound, and whether the dry run planned exactly
what the first sync did.

Each size runs in its own process (so its peak RSS is its own) with a fresh Scoro sandbox (seed 1,
size 300) whose Invoices module holds exactly n fresh invoices, a fresh Xero sandbox (seed 1, size
60) limiting the tenant to `--rate` calls a minute (5 concurrent, 5,000 a day), and a fresh SQLite
state file. Both sandboxes run in-process. The Xero client waits on the sandbox's clock: a wait
for the limit advances that clock instead of sleeping, so the limit costs no real time, and the
sandbox-clock time of the run (real time spent plus simulated waits) is the wall time the run
would take against a Xero that answers instantly.

Categories: tax rates and accounts (Xero → Scoro), contacts, products and invoices (Scoro → Xero);
bills and receipts are off. The minimum number of Xero calls is one read per category and page
(1,000 a page on paged lists) plus ceil(written / 50) writes per category written to Xero. The
bound is that minimum at `--rate` calls a minute, spent evenly. A second run with no changes
follows each first run on the same state.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the Xero sandbox client helpers of tests/

from bench.sync_bench import fresh_state, print_results, refusals, run_child, scoro_account, timed_run  # noqa: E402
from tests.integrations.xero.conftest import SandboxSleep, make_client, make_sandbox  # noqa: E402

from scorolink.connectors.scoro import ScoroConnector  # noqa: E402
from scorolink.integrations.xero.connector import XeroConnector  # noqa: E402
from scorolink.integrations.xero.integration import XeroSyncConfig, xero_engine  # noqa: E402
from scorolink.sandbox.xero import RateLimit  # noqa: E402
from scorolink.sync.scoro_categories import DOCUMENT_COLUMNS, SALES_COLUMNS  # noqa: E402
from scorolink.sync.scoro_contacts import COLUMNS  # noqa: E402
from scorolink.sync.store import SyncStore  # noqa: E402

SETTINGS = {"default_sales_account": "200", "default_expense_account": "400",
            "tax_map": {"VAT22": "TAX001", "VAT9": "OUTPUT2", "VAT0": "NONE"},
            "bills": {"enabled": False}, "receipts": {"enabled": False}}
XERO_OBJECTS = {  # category -> (Xero object, paged list)
    "tax_rates": ("TaxRates", False), "accounts": ("Accounts", False), "contacts": ("Contacts", True),
    "products": ("Items", False), "invoices": ("Invoices", True)}
TO_XERO = ("contacts", "products", "invoices")
PAGE = 1000  # XeroSettings.page_size
BATCH = 50
WRITTEN = ("created", "updated", "adopted")


def endpoint_calls(stats: dict[str, Any]) -> dict[str, int]:
    """API calls per endpoint; the identity server (token refresh) is not the rate-limited API."""
    by = stats["requests"]["by_endpoint"]
    return {k: v for k, v in sorted(by.items()) if not k.startswith("POST connect")}


def minimum_calls(result: Any, start_counts: dict[str, int]) -> dict[str, int]:
    """One read per category and page of what Xero held, plus one write per 50 records written to Xero."""
    out = {}
    for category, (obj, paged) in XERO_OBJECTS.items():
        reads = max(1, math.ceil(start_counts[obj] / PAGE)) if paged else 1
        written = sum(result.executed.get(category, {}).get(k, 0) for k in WRITTEN) if category in TO_XERO else 0
        out[category] = reads + math.ceil(written / BATCH)
    return out


def one_size(n: int, rate: int) -> dict[str, Any]:
    build_started = time.perf_counter()
    scoro, sc = scoro_account(invoices=n)
    xsb = make_sandbox(rate_limit=RateLimit(per_minute=rate))
    sleep = SandboxSleep(xsb)
    client = make_client(xsb, sleep=sleep)
    xc = XeroConnector(client)
    start_counts = {obj: sum(1 for _ in xc.read(obj)) for obj, _ in XERO_OBJECTS.values()}
    build_seconds = time.perf_counter() - build_started
    config = XeroSyncConfig.from_dict(SETTINGS)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with fresh_state("bench-sync-xero-") as store:
        try:
            runs = [{**done, "calls": endpoint_calls(done["stats"])} for done in (
                timed_run(xsb, scoro, sleep, lambda: xero_engine(store, "xero", sc, xc, config).run())
                for _label in ("first", "second"))]
            return size_report(n, rate, runs, store, start_counts, build_seconds, base_rss)
        finally:
            client.close()
            xsb.close()
            scoro.close()


def size_report(n: int, rate: int, runs: list[dict[str, Any]], store: SyncStore, start_counts: dict[str, int],
                build_seconds: float, base_rss: float) -> dict[str, Any]:
    """The first run's calls against the minimum and its time against the bound; the second run's calls."""
    first, second = runs
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res = first["result"]
    minimum = minimum_calls(res, start_counts)
    total_calls = sum(first["calls"].values())
    total_min = sum(minimum.values())
    synced = {c: sum(v for k, v in counts.items() if k in WRITTEN) for c, counts in res.executed.items()}
    invoice_puts = first["calls"].get("PUT Invoices", 0)
    second_res = second["result"]
    return {
        "invoices": n, "rate_per_minute": rate, "xero_at_start": start_counts,
        "xero_calls": total_calls, "xero_calls_by_endpoint": first["calls"],
        "minimum_calls": total_min, "minimum_by_category": minimum,
        "calls_over_minimum": round(total_calls / total_min, 3),
        "synced_by_category": synced, "records_synced": sum(synced.values()),
        "records_per_call": round(sum(synced.values()) / total_calls, 2),
        "invoices_planned": {k: v for k, v in res.plans["invoices"].counts().items() if v},
        "invoices_executed": res.executed.get("invoices", {}),
        "invoices_per_put": round(synced.get("invoices", 0) / invoice_puts, 2) if invoice_puts else None,
        "refused": refusals(store, "xero"), "stopped": res.stopped,
        "sandbox_clock_seconds": round(first["clock"], 1), "simulated_wait_seconds": round(first["waited"], 1),
        "bound_seconds": round(total_min * 60 / rate, 1),
        "clock_over_bound": round(first["clock"] / (total_min * 60 / rate), 2),
        "rate_limited_429": first["limited"], "real_seconds": round(first["real"], 1),
        "scoro_requests": first["scoro"]["total"], "scoro_by_endpoint": first["scoro"]["by_endpoint"],
        "second_run": {"xero_calls": sum(second["calls"].values()), "xero_calls_by_endpoint": second["calls"],
                       "xero_writes": sum(v for k, v in second["calls"].items()
                                          if k.startswith(("PUT", "POST", "DELETE"))),
                       "scoro_requests": second["scoro"]["total"],
                       "scoro_by_endpoint": second["scoro"]["by_endpoint"],
                       "scoro_writes": sum(v for k, v in second["scoro"]["by_endpoint"].items()
                                           if k.endswith(("/modify", "/delete"))),
                       "executed": second_res.executed, "stopped": second_res.stopped,
                       "sandbox_clock_seconds": round(second["clock"], 1), "real_seconds": round(second["real"], 1)},
        "build_seconds": round(build_seconds, 1), "base_rss_mb": round(base_rss), "peak_rss_mb": round(peak_rss),
    }


# -- a dry run and a first sync against a whole Scoro account ---------------------------------------------
SCORO_OBJECTS = {  # module -> (object, the columns the sync reads it with)
    "vatCodes": ("VATCodes", None), "financeAccounts": ("FinanceAccounts", None), "contacts": ("Contacts", COLUMNS),
    "products": ("Products", None), "invoices": ("Invoices", SALES_COLUMNS), "bills": ("Bills", DOCUMENT_COLUMNS)}


def scoro_pages(sc: ScoroConnector, obj: str, columns: list[str] | None) -> int:
    """Rows per page of the list the sync reads `obj` with: 25 when it needs detail fields (lines), else 100."""
    spec = sc.spec(obj)
    detailed = sc.needs_detail(spec, sc.selected(spec, columns)) and spec.detailed_list
    return sc.client.settings.detailed_page_size if detailed else sc.client.settings.page_size


def scoro_minimum(by_endpoint: dict[str, int], rows: dict[str, int], pages: dict[str, int],
                  scoro_writes: int) -> dict[str, int]:
    """Each Scoro module the run lists, read once in pages, plus one request per record written
    (Scoro has no batch write)."""
    out = {}
    for endpoint in by_endpoint:
        module, _, action = endpoint.partition("/")
        if action == "list":
            out[endpoint] = max(1, math.ceil(rows.get(module, 0) / pages.get(module, 100)))
    out["writes"] = scoro_writes
    return out


def one_account(size: int, rate: int) -> dict[str, Any]:
    """A dry run, then a real first sync on fresh state, against a Scoro sandbox of `size` records."""
    from scorolink.integrations.xero.run import SyncRequest, run_xero_sync

    build_started = time.perf_counter()
    scoro, sc = scoro_account(size)
    xsb = make_sandbox(rate_limit=RateLimit(per_minute=rate))
    sleep = SandboxSleep(xsb)
    client = make_client(xsb, sleep=sleep)
    xc = XeroConnector(client)
    rows = {module: sum(1 for _ in sc.read(obj, columns=["Id"])) for module, (obj, _c) in SCORO_OBJECTS.items()}
    pages = {module: scoro_pages(sc, obj, columns) for module, (obj, columns) in SCORO_OBJECTS.items()}
    start_counts = {obj: sum(1 for _ in xc.read(obj)) for obj, _ in XERO_OBJECTS.values()}
    build_seconds = time.perf_counter() - build_started

    class Session:  # an open Xero session, as `scorolink xero sync` has one
        client, connector, oauth = xc.client, xc, xc.client.oauth

    config = XeroSyncConfig.from_dict(SETTINGS)
    runs: dict[str, Any] = {}
    with fresh_state("bench-sync-xero-") as store:
        try:
            for label, dry in (("dry_run", True), ("first_sync", False)):
                request = SyncRequest(dry_run=dry)
                done = timed_run(xsb, scoro, sleep, lambda: run_xero_sync(store, sc, Session, config, request))  # noqa: B023
                runs[label] = account_run(done, dry, rate, rows, pages, start_counts)
        finally:
            client.close()
            xsb.close()
            scoro.close()
    dry_run, first = runs["dry_run"], runs["first_sync"]
    same = all(dry_run["planned"].get(c) == first["planned"].get(c) for c in first["planned"]) and \
        dry_run["executed"] == first["executed"]
    return {"scoro_size": size, "rate_per_minute": rate, "scoro_rows": rows, "scoro_page_rows": pages,
            "xero_at_start": start_counts,
            "dry_run_plans_the_first_sync": same, **runs, "build_seconds": round(build_seconds, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def account_run(done: dict[str, Any], dry: bool, rate: int, rows: dict[str, int], pages: dict[str, int],
                start_counts: dict[str, int]) -> dict[str, Any]:
    """One run's requests on each side against their minimum, and its time against the Xero bound."""
    result, clock = done["result"], done["clock"]
    calls = endpoint_calls(done["stats"])
    scoro_by = dict(done["scoro"]["by_endpoint"])
    minimum = minimum_calls(result, start_counts)
    if dry:  # a dry run sends no write: its minimum is the reads
        minimum = {c: max(1, math.ceil(start_counts[o] / PAGE)) if p else 1 for c, (o, p) in XERO_OBJECTS.items()}
    x_total, x_min = sum(calls.values()), sum(minimum.values())
    scoro_written = sum(v for k, v in scoro_by.items() if k.endswith(("/modify", "/delete")))
    s_min = scoro_minimum(scoro_by, rows, pages, scoro_written)
    return {
        "planned": {c: {k: v for k, v in p.counts().items() if v} for c, p in result.plans.items()},
        "executed": result.executed, "stopped": result.stopped,
        "xero_calls": x_total, "xero_minimum": x_min, "xero_over_minimum": round(x_total / x_min, 2),
        "xero_by_endpoint": calls, "xero_minimum_by_category": minimum,
        "scoro_requests": sum(scoro_by.values()), "scoro_minimum": sum(s_min.values()),
        "scoro_over_minimum": round(sum(scoro_by.values()) / sum(s_min.values()), 2),
        "scoro_by_endpoint": scoro_by, "scoro_minimum_by_endpoint": s_min,
        "sandbox_clock_seconds": round(clock, 1), "simulated_wait_seconds": round(done["waited"], 1),
        "bound_seconds": round(x_min * 60 / rate, 1), "clock_over_bound": round(clock / (x_min * 60 / rate), 2),
        "rate_limited_429": done["limited"], "real_seconds": round(done["real"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="invoice counts, comma-separated")
    parser.add_argument("--rate", type=int, default=60, help="Xero calls per minute the sandbox allows")
    parser.add_argument("--scoro-size", type=int, default=None,
                        help="instead: a dry run and a first sync against a Scoro sandbox of this many records")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child-account", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(one_size(args.child, args.rate), default=str))
        return
    if args.child_account is not None:
        print(json.dumps(one_account(args.child_account, args.rate), default=str))
        return
    if args.scoro_size is not None:
        account = run_child(__file__, "--child-account", str(args.scoro_size), "--rate", str(args.rate))
        if args.json:
            print(json.dumps(account, indent=2))
        else:
            print_account(account)
        return
    results = [run_child(__file__, "--child", n, "--rate", str(args.rate)) for n in args.sizes.split(",")]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print_results(f"Scoro → Xero initial sync, Xero limited to {args.rate} calls a minute (clock: sandbox clock, "
                  "waits simulated)", results,
                  ["invoices", "records_synced", "xero_calls", "minimum_calls", "calls_over_minimum",
                   "records_per_call", "invoices_per_put", "sandbox_clock_seconds", "simulated_wait_seconds",
                   "bound_seconds", "clock_over_bound", "rate_limited_429", "real_seconds", "scoro_requests",
                   "peak_rss_mb"])
    for r in results:
        second = r["second_run"]
        print(f"{r['invoices']:,} invoices: Xero calls {r['xero_calls_by_endpoint']}")
        print(f"  invoices planned {r['invoices_planned']}, executed {r['invoices_executed']}")
        print(f"  refused or put off: {r['refused']}")
        print(f"  second run: {second['xero_calls']} Xero calls ({second['xero_writes']} writes), "
              f"{second['scoro_requests']} Scoro requests ({second['scoro_writes']} writes), "
              f"executed {second['executed']}, {second['real_seconds']} s")


def print_account(r: dict[str, Any]) -> None:
    table = Table(title=f"Scoro sandbox of {r['scoro_size']:,} records → Xero, Xero limited to {r['rate_per_minute']} "
                        "calls a minute (clock: sandbox clock, waits simulated)")
    shown = ["xero_calls", "xero_minimum", "xero_over_minimum", "scoro_requests", "scoro_minimum",
             "scoro_over_minimum", "sandbox_clock_seconds", "simulated_wait_seconds", "bound_seconds",
             "clock_over_bound", "rate_limited_429", "real_seconds"]
    table.add_column("run")
    for column in shown:
        table.add_column(column.replace("_seconds", " s").replace("_", " "))
    for label in ("dry_run", "first_sync"):
        table.add_row(label.replace("_", " "), *(str(r[label][c]) for c in shown))
    Console(width=220).print(table)
    print(f"Scoro rows: {r['scoro_rows']}; dry run plans the first sync: {r['dry_run_plans_the_first_sync']}")
    for label in ("dry_run", "first_sync"):
        print(f"{label}: planned {r[label]['planned']}")
        print(f"  Xero {r[label]['xero_by_endpoint']}")
        print(f"  Scoro {r[label]['scoro_by_endpoint']}")


if __name__ == "__main__":
    main()
