"""Scoro → QuickBooks initial sync of n invoices: QuickBooks calls against the minimum that batches of 30
allow, wall time against the bound QuickBooks' limits set (500 calls a minute per company, 40 of them batches),
and peak memory; then a second run with nothing changed.

    .venv/bin/python bench/sync_quickbooks.py [--sizes 1000,10000] [--json]

Each size runs in its own process (its peak RSS is its own) with a fresh Scoro sandbox (seed 1, size 300) whose
Invoices module holds exactly n fresh invoices, a fresh QuickBooks sandbox (seed 1, size 12, four companies;
the euro one is used) enforcing QuickBooks' limits (500 a minute, 10 a second, 10 in flight, 40 batches a
minute), and a fresh SQLite state file, all in-process. The client paces itself on the sandbox's clock: a wait
advances that clock instead of sleeping, so the sandbox-clock time of the run (real time plus simulated waits)
is what the run would take against a QuickBooks that answers instantly.

Categories: tax rates and accounts (QuickBooks → Scoro), contacts, products and invoices (Scoro → QuickBooks).
Minimum calls: one query per entity read and page (1,000 a page) plus ceil(written / 30) batches per entity
written, plus one upload per attachment of a synced invoice (files go one by one). Bound: the larger of (minimum calls / 500) and (minimum batches / 40) minutes.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the sandbox client helpers of tests/

from tests.integrations.quickbooks.conftest import SandboxSleep, make_sandbox, make_session  # noqa: E402

from scorolink.clients.asgi_bridge import SyncASGITransport  # noqa: E402
from scorolink.clients.scoro import ScoroClient  # noqa: E402
from scorolink.connectors.scoro import ScoroConnector  # noqa: E402
from scorolink.integrations.quickbooks.integration import QuickBooksSyncConfig  # noqa: E402
from scorolink.integrations.quickbooks.run import SyncRequest, run_quickbooks_sync  # noqa: E402
from scorolink.sandbox.quickbooks import RateLimit  # noqa: E402
from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox  # noqa: E402
from scorolink.session import sandbox_settings  # noqa: E402
from scorolink.sync.store import SyncStore  # noqa: E402

SETTINGS = {"mode": "manual", "default_income_account": "4100", "default_expense_account": "6000",
            "tax_map": {"VAT22": "23% S", "VAT9": "13.5% R", "VAT0": "0% Z", "EU": "Exempt"},
            "tax_rates": {}, "accounts": {}, "contacts": {}, "products": {}, "invoices": {}}
TO_QB = {"contacts": ("Customer", "Vendor"), "products": ("Item",), "invoices": ("Invoice", "CreditMemo")}
BATCH, PAGE, PER_MINUTE, BATCHES_PER_MINUTE = 30, 1000, 500, 40
BLANK = re.compile(r"'[^']*'|\b\d+(\.\d+)?\b")


def refusals(store: SyncStore) -> dict[str, int]:
    counts = Counter(f"{e['category']} {e['kind']}: {BLANK.sub('N', e['message'])[:160]}"
                     for e in store.errors("quickbooks") if e["resolved_at"] is None)
    return dict(counts.most_common(8))


def one_size(n: int) -> dict[str, Any]:
    build_started = time.perf_counter()
    scoro = ScoroSandbox(SandboxConfig(seed=1, size=300))
    scoro.set_count(scoro.default["site"], "invoices", n)
    qsb = make_sandbox(rate_limit=RateLimit(per_minute=PER_MINUTE, per_second=10, concurrent=10,
                                            batch_per_minute=BATCHES_PER_MINUTE))
    sleep = SandboxSleep(qsb)
    session = make_session(qsb, sleep=sleep)
    sc = ScoroConnector(ScoroClient(sandbox_settings(scoro), transport=SyncASGITransport(scoro.app),
                                    sleep=lambda _s: None))
    realm = session.client.realm_id
    at_start = {e: len(qsb.company(realm).store.all(realm, e)) for e in
                ("TaxCode", "TaxRate", "Account", "Customer", "Vendor", "Item", "Invoice", "CreditMemo")}
    build_seconds = time.perf_counter() - build_started
    tmp = tempfile.TemporaryDirectory(prefix="bench-sync-quickbooks-")
    store = SyncStore(f"sqlite:///{Path(tmp.name) / 'state.db'}")
    config = QuickBooksSyncConfig.from_dict(SETTINGS)
    try:
        runs = []
        for _label in ("first", "second"):
            qsb.reset_stats()
            scoro.reset_stats()
            clock0, waited0 = qsb.clock.now(), sleep.elapsed
            started = time.perf_counter()
            result = run_quickbooks_sync(store, sc, session, config, SyncRequest())
            real = time.perf_counter() - started
            stats = qsb.stats()
            calls = {k: v for k, v in sorted(stats["requests"]["by_endpoint"].items()) if k.split(" ")[1:2] != [
                "discovery"] and not k.startswith("POST token")}
            runs.append({"result": result, "real": real, "clock": qsb.clock.now() - clock0,
                         "waited": sleep.elapsed - waited0, "calls": calls, "writes": stats["writes"],
                         "limited": sum(stats["rate_limited"].values()), "batch_items": stats["batch_items"],
                         "scoro": scoro.stats()["requests"]})
        first, second = runs
        res = first["result"]
        written = {c: sum(res.executed.get(c, {}).get(k, 0) for k in ("created", "updated", "adopted"))
                   for c in ("tax_rates", "accounts", "contacts", "products", "invoices", "credit_notes")}
        by_entity = {e: sum(first["writes"].get(e, {}).values()) for e in ("Customer", "Vendor", "Item", "Invoice",
                                                                            "CreditMemo")}
        min_batches = sum(math.ceil(v / BATCH) for v in by_entity.values())
        reads = {"TaxCode": 1, "TaxRate": 1, "Account": 1, "Class": 1, "Customer": 1, "Vendor": 1, "Item": 1,
                 "Invoice": 1, "CreditMemo": 1, "Preferences": 1}
        min_reads = sum(max(1, math.ceil(at_start.get(e, 0) / PAGE)) if k else 0 for e, k in reads.items())
        uploads = first["calls"].get("POST upload", 0)  # one per attachment: QuickBooks takes files one by one
        minimum = min_reads + min_batches + uploads
        total = sum(first["calls"].values())
        batches = first["calls"].get("POST batch", 0)
        bound = max(minimum / PER_MINUTE, min_batches / BATCHES_PER_MINUTE) * 60
        second_calls = second["calls"]
        return {
            "invoices": n, "quickbooks_at_start": at_start, "written": written, "written_by_entity": by_entity,
            "quickbooks_calls": total, "quickbooks_calls_by_endpoint": first["calls"], "minimum_calls": minimum,
            "calls_over_minimum": round(total / minimum, 3), "batches": batches, "minimum_batches": min_batches,
            "attachments_uploaded": uploads,
            "items_per_batch": round(first["batch_items"] / batches, 1) if batches else None,
            "invoices_executed": res.executed.get("invoices", {}), "refused": refusals(store),
            "stopped": res.stopped, "sandbox_clock_seconds": round(first["clock"], 1),
            "simulated_wait_seconds": round(first["waited"], 1), "bound_seconds": round(bound, 1),
            "clock_over_bound": round(first["clock"] / bound, 2) if bound else None,
            "rate_limited_429": first["limited"], "real_seconds": round(first["real"], 1),
            "scoro_requests": first["scoro"]["total"],
            "second_run": {"quickbooks_calls": sum(second_calls.values()), "calls_by_endpoint": second_calls,
                           "quickbooks_writes": sum(n for e in second["writes"].values() for n in e.values()),
                           "scoro_requests": second["scoro"]["total"],
                           "scoro_writes": sum(v for k, v in second["scoro"]["by_endpoint"].items()
                                               if k.endswith(("/modify", "/delete"))),
                           "executed": second["result"].executed, "real_seconds": round(second["real"], 1)},
            "build_seconds": round(build_seconds, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
    finally:
        store.close()
        tmp.cleanup()
        session.client.close()
        qsb.close()
        scoro.close()


def run_child(n: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(n)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"size {n} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="invoice counts, comma-separated")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(one_size(args.child), default=str))
        return
    results = [run_child(int(n)) for n in args.sizes.split(",")]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    table = Table(title="Scoro → QuickBooks initial sync under QuickBooks' limits (clock: sandbox clock, waits "
                        "simulated)")
    shown = ["invoices", "quickbooks_calls", "minimum_calls", "calls_over_minimum", "batches", "minimum_batches",
             "items_per_batch", "sandbox_clock_seconds", "bound_seconds", "clock_over_bound", "rate_limited_429",
             "real_seconds", "scoro_requests", "peak_rss_mb"]
    for column in shown:
        table.add_column(column.replace("_seconds", " s").replace("_", " "))
    for r in results:
        table.add_row(*("–" if r[c] is None else str(r[c]) for c in shown))
    Console(width=220).print(table)
    for r in results:
        print(f"{r['invoices']:,} invoices: calls {r['quickbooks_calls_by_endpoint']}; written {r['written_by_entity']}")
        print(f"  refused or put off: {r['refused']}")
        print(f"  second run: {r['second_run']['quickbooks_calls']} calls, {r['second_run']['quickbooks_writes']} "
              f"writes; Scoro {r['second_run']['scoro_requests']} requests, {r['second_run']['scoro_writes']} writes")


if __name__ == "__main__":
    main()
