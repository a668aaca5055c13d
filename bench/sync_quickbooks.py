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
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the sandbox client helpers of tests/

from bench.sync_bench import fresh_state, print_results, refusals, run_child, scoro_account, timed_run  # noqa: E402
from tests.integrations.quickbooks.conftest import SandboxSleep, make_sandbox, make_session  # noqa: E402

from scorolink.integrations.quickbooks.integration import QuickBooksSyncConfig  # noqa: E402
from scorolink.integrations.quickbooks.run import SyncRequest, run_quickbooks_sync  # noqa: E402
from scorolink.sandbox.quickbooks import RateLimit  # noqa: E402
from scorolink.sync.store import SyncStore  # noqa: E402

SETTINGS = {"mode": "manual", "default_income_account": "4100", "default_expense_account": "6000",
            "tax_map": {"VAT22": "23% S", "VAT9": "13.5% R", "VAT0": "0% Z", "EU": "Exempt"},
            "tax_rates": {}, "accounts": {}, "contacts": {}, "products": {}, "invoices": {}}
TO_QB = {"contacts": ("Customer", "Vendor"), "products": ("Item",), "invoices": ("Invoice", "CreditMemo")}
BATCH, PAGE, PER_MINUTE, BATCHES_PER_MINUTE = 30, 1000, 500, 40


def one_size(n: int) -> dict[str, Any]:
    build_started = time.perf_counter()
    scoro, sc = scoro_account(invoices=n)
    qsb = make_sandbox(rate_limit=RateLimit(per_minute=PER_MINUTE, per_second=10, concurrent=10,
                                            batch_per_minute=BATCHES_PER_MINUTE))
    sleep = SandboxSleep(qsb)
    session = make_session(qsb, sleep=sleep)
    realm = session.client.realm_id
    at_start = {e: len(qsb.company(realm).store.all(realm, e)) for e in
                ("TaxCode", "TaxRate", "Account", "Customer", "Vendor", "Item", "Invoice", "CreditMemo")}
    build_seconds = time.perf_counter() - build_started
    config = QuickBooksSyncConfig.from_dict(SETTINGS)
    with fresh_state("bench-sync-quickbooks-") as store:
        try:
            return measure(n, qsb, scoro, sleep, store, lambda: run_quickbooks_sync(store, sc, session, config,
                                                                                    SyncRequest()), at_start,
                           build_seconds)
        finally:
            session.client.close()
            qsb.close()
            scoro.close()


def measure(n: int, qsb: Any, scoro: Any, sleep: Any, store: SyncStore, run: Any, at_start: dict[str, int],
            build_seconds: float) -> dict[str, Any]:
    runs = []
    for _label in ("first", "second"):
        done = timed_run(qsb, scoro, sleep, run)
        stats = done["stats"]
        calls = {k: v for k, v in sorted(stats["requests"]["by_endpoint"].items()) if k.split(" ")[1:2] != [
            "discovery"] and not k.startswith("POST token")}
        runs.append({**done, "calls": calls, "writes": stats["writes"], "batch_items": stats["batch_items"]})
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
        "invoices_executed": res.executed.get("invoices", {}),
        "refused": refusals(store, "quickbooks", most=8, width=160),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="invoice counts, comma-separated")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(one_size(args.child), default=str))
        return
    results = [run_child(__file__, "--child", n) for n in args.sizes.split(",")]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print_results("Scoro → QuickBooks initial sync under QuickBooks' limits (clock: sandbox clock, waits simulated)",
                  results, ["invoices", "quickbooks_calls", "minimum_calls", "calls_over_minimum", "batches",
                            "minimum_batches", "items_per_batch", "sandbox_clock_seconds", "bound_seconds",
                            "clock_over_bound", "rate_limited_429", "real_seconds", "scoro_requests", "peak_rss_mb"])
    for r in results:
        print(f"{r['invoices']:,} invoices: calls {r['quickbooks_calls_by_endpoint']}; written {r['written_by_entity']}")
        print(f"  refused or put off: {r['refused']}")
        print(f"  second run: {r['second_run']['quickbooks_calls']} calls, {r['second_run']['quickbooks_writes']} "
              f"writes; Scoro {r['second_run']['scoro_requests']} requests, {r['second_run']['scoro_writes']} writes")


if __name__ == "__main__":
    main()
