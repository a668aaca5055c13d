"""Live SQL: requests and wall time for a fixed query set, with pushdown against a baseline that
pushes nothing (no API filters, no LIMIT, no join lookups; the same columns), over loopback.

    .venv/bin/python bench/query_pushdown.py [--rows 2000] [--rate 40] [--json]

Both runs must return the same rows; the script checks it. `--rate` puts the sandbox under a
rate limit of that many requests per 2-second window, where requests become wall time.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.scoro import ScoroConnector
from scorolink.query.engine import QueryEngine
from scorolink.query.plan import QueryPlan, Ref
from scorolink.sandbox.scoro import RateLimit, SandboxConfig, ScoroSandbox
from scorolink.session import sandbox_settings


class NoPushdownEngine(QueryEngine):
    """The baseline: every condition, LIMIT and join is left to the local engine."""

    def _pushable(self, ref: Ref, conditions: list[Any]) -> list[bool]:
        super()._pushable(ref, conditions)  # values are still type-checked
        return [False] * len(conditions)

    def plan_select(self, statement: Any) -> QueryPlan:
        plan = super().plan_select(statement)
        for ref in plan.refs:
            ref.limit = None
            ref.lookup = None
        return plan


def queries(connector: ScoroConnector) -> list[tuple[str, str]]:
    invoices = sorted(connector.read("Invoices", columns=["Id", "Date"]), key=lambda r: r["Id"])
    dates = sorted(r["Date"] for r in invoices if r["Date"])
    mid = invoices[len(invoices) // 2]["Id"]
    some = ", ".join(str(r["Id"]) for r in invoices[10:15])
    recent = dates[int(len(dates) * 0.995)].isoformat()
    wider = dates[int(len(dates) * 0.97)].isoformat()
    month = dates[len(dates) // 2].replace(day=1)
    end = month.replace(month=month.month % 12 + 1, year=month.year + (month.month == 12))
    return [
        ("key equality", f"SELECT * FROM Invoices WHERE Id = {mid}"),
        ("date range", f"SELECT Id, Sum FROM Invoices WHERE Date >= '{month}' AND Date < '{end}'"),
        ("IN list (5 keys)", f"SELECT Id, DocumentNumber FROM Invoices WHERE Id IN ({some})"),
        ("status + aggregate", "SELECT CompanyId, COUNT(*), SUM(Sum) FROM Invoices WHERE Status = 'unpaid' "
                               "GROUP BY CompanyId"),
        ("not pushable (Sum >)", "SELECT Id FROM Invoices WHERE Sum > 1000"),
        ("LIMIT 10", "SELECT Id, DocumentNumber FROM Invoices LIMIT 10"),
        ("join, few keys", f"SELECT i.Id, c.Name FROM Invoices i JOIN Companies c ON c.Id = i.CompanyId "
                           f"WHERE i.Date >= '{recent}'"),
        ("join, many keys", f"SELECT i.Id, c.Name FROM Invoices i JOIN Companies c ON c.Id = i.CompanyId "
                            f"WHERE i.Date >= '{wider}'"),
        ("lines of one invoice", f"SELECT Id, Lines FROM Invoices WHERE Id = {mid}"),
    ]


def run(rows: int, rate: int | None) -> list[dict[str, Any]]:
    limit = RateLimit(per_window=rate) if rate else RateLimit()
    sb = ScoroSandbox(SandboxConfig(seed=7, size=300, rate_limit=limit))
    site = sb.default["site"]
    for module in ("contacts", "invoices"):
        sb.set_count(site, module, rows)
    results = []
    with sb.run_in_thread() as base_url:
        connector = ScoroConnector(ScoroClient(sandbox_settings(sb, base_url=base_url)))
        connector.custom_fields()
        for label, sql in queries(connector):
            row: dict[str, Any] = {"query": label, "sql": sql}
            answers = []
            for mode, engine in (("pushdown", QueryEngine(connector)), ("baseline", NoPushdownEngine(connector))):
                sb.reset_stats()
                started = time.perf_counter()
                result = engine.execute(sql)
                row[f"{mode}_seconds"] = round(time.perf_counter() - started, 3)
                row[f"{mode}_requests"] = sb.stats()["requests"]["total"]
                answers.append(sorted(map(repr, result.rows)))
                row["rows"] = len(result.rows)
            row["same_rows"] = answers[0] == answers[1]
            row["request_ratio"] = round(row["baseline_requests"] / max(1, row["pushdown_requests"]), 1)
            results.append(row)
    sb.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="invoices and contacts in the sandbox")
    parser.add_argument("--rate", type=int, default=None, help="requests per 2-second window")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args.rows, args.rate)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    table = Table(title=f"live SQL, {args.rows} invoices and contacts, rate limit {args.rate or 'none'}")
    for column in ("query", "rows", "pushdown_requests", "baseline_requests", "request_ratio",
                   "pushdown_seconds", "baseline_seconds", "same_rows"):
        table.add_column(column)
    for r in results:
        table.add_row(*(str(r[c]) for c in ("query", "rows", "pushdown_requests", "baseline_requests",
                                            "request_ratio", "pushdown_seconds", "baseline_seconds", "same_rows")))
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
