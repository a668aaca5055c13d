"""Replication requests against the sandbox: a full run, then an incremental run with no changes,
per object against the theoretical minimum.

    .venv/bin/python bench/replicate_requests.py [--sizes 130,250,1000] [--comments 300] [--recent K]
        [--per-parent all|changed] [--loopback] [--json]

Each size n gets a fresh sandbox whose list objects (Invoices, Projects, TimeEntries, Tasks,
Products) hold exactly n live records, plus `--comments` comments spread over the commentable
parents. A list read of n records at page size p needs at least n // p + 1 requests (a short page
ends the list, so a multiple of p costs one empty page more); p is 25 when the replicated fields
include view-only data (the connector's `needs_detail`: lines, custom fields...), else 100.

Comment objects are listed per parent record: their minimum is the parent's key pages
(parents // 100 + 1) plus one request per parent, whatever the number of comments. With
`--per-parent changed` an incremental run asks only the parents modified since the parents'
cursor (less those already asked at the same modification time): an unchanged run needs one
page of them, and no parent.

The incremental run reads `cursor >= last cursor - overlap` (one hour): its minimum is
read // p + 1 for what that window returns. Scoro filters `modified_date` by calendar day, so the
window reaches back to the start of the day before: `--recent K` edits K records of each list
object just before the first run (as a busy account does during a day), and the unchanged second
run then reads those K again, K // p + 1 requests. Objects whose cursor the API cannot filter
(TimeEntries: modified_date is not a filter) are read in full again.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.base import WriteOp
from scorolink.connectors.scoro import ScoroConnector
from scorolink.connectors.site_facts import SiteFacts
from scorolink.replicate.destination import open_destination
from scorolink.replicate.engine import ReplicateOptions, ReplicationSummary, replicate
from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox
from scorolink.session import sandbox_settings

LISTS = [("Invoices", "invoices"), ("Projects", "projects"), ("TimeEntries", "timeEntries"),
         ("Tasks", "tasks"), ("Products", "products")]
PER_PARENT = ["InvoiceComments", "ProjectComments", "TaskComments"]


def page_size(connector: ScoroConnector, name: str) -> int:
    spec = connector.spec(name)
    detailed = connector.needs_detail(spec, connector.selected(spec, None)) and spec.detailed_list
    return 25 if detailed else 100


def list_minimum(n: int, page: int) -> int:
    return n // page + 1


def live_rows(url: str, table: str) -> int:
    dest = open_destination(url)
    try:
        return int(dest.query(f'SELECT count(*) FROM {dest.q(table)} WHERE "IsDeleted" = ?', (False,))[0][0])
    finally:
        dest.close()


def edit_recent(connector: ScoroConnector, k: int) -> None:
    """Change the description of k records of each list object: modified today, as in a busy account.
    TimeEntries is left alone: it has no filterable cursor and is read in full on every run anyway."""
    for name, _ in LISTS:
        if name == "TimeEntries":
            continue
        keys = [r["Id"] for r in connector.read(name, columns=["Id"], limit=k)]
        results = connector.write(name, [WriteOp("update", {"Id": i, "Description": f"edited {i}"}) for i in keys])
        failed = [r for r in results if not r.ok]
        if failed:
            raise RuntimeError(f"{name}: could not edit {len(failed)} records: {failed[0]}")


def run_size(n: int, comments: int, loopback: bool, workers: int, recent: int = 0,
             per_parent: str = "all") -> list[dict[str, Any]]:
    sb = ScoroSandbox(SandboxConfig(seed=7, size=300))
    site = sb.default["site"]
    for _, module in LISTS:
        sb.set_count(site, module, n)
    sb.set_count(site, "comments", comments)  # after the parents, so every comment points at one of them
    objects = [name for name, _ in LISTS] + PER_PARENT
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-replicate-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'mirror.db'}"

        def one_run(connector: ScoroConnector) -> tuple[ReplicationSummary, float]:
            started = time.perf_counter()
            summary = replicate(connector, url, ReplicateOptions(objects=objects, workers=workers,
                                                                 per_parent=per_parent))
            return summary, time.perf_counter() - started

        if loopback:
            ctx: Any = sb.run_in_thread()
            base_url = ctx.__enter__()
            make = lambda: ScoroClient(sandbox_settings(sb, base_url=base_url))  # noqa: E731
        else:
            ctx = None
            make = lambda: ScoroClient(sandbox_settings(sb), transport=SyncASGITransport(sb.app))  # noqa: E731
        try:
            facts = SiteFacts()  # what the site taught the first run, the second keeps (as CLI runs on a site do)
            with make() as client:
                connector = ScoroConnector(client, facts=facts)
                if recent:
                    edit_recent(connector, recent)
                sb.reset_stats()
                full, full_s = one_run(connector)
                full_server = sb.stats()["requests"]["total"]
            with make() as client:  # a later run: a new process would start with a new client
                connector = ScoroConnector(client, facts=facts)
                sb.reset_stats()
                incr, incr_s = one_run(connector)
                incr_server = sb.stats()["requests"]["total"]
            pages = {name: page_size(connector, name) for name in objects}
            parent_of = {name: connector.spec(name).parent for name in PER_PARENT}
            mirrored = {name: live_rows(url, name) for name in objects}
        finally:
            if ctx is not None:
                ctx.__exit__(None, None, None)
    sb.close()

    for name in objects:
        f, i = full.objects[name], incr.objects[name]
        parent = parent_of.get(name)
        if parent is not None:
            parents = n  # every parent object holds n records
            kind, page = f"per parent ({parent.object})", 100
            minimum = list_minimum(parents, 100) + parents
            # "all": every parent is asked again, changed or not; "changed": one page of modified parents
            incr_minimum = minimum if i.parents == "all" else 1
            per_parent = round((f.requests - list_minimum(parents, 100)) / parents, 3) if parents else None
        else:
            kind, page = "list", pages[name]
            minimum = list_minimum(f.read, page)
            incr_minimum = list_minimum(i.read, page)
            per_parent = None
        results.append({
            "size": n, "object": name, "kind": kind, "page": page, "records": f.read, "mirrored": mirrored[name],
            "requests": f.requests, "minimum": minimum, "ratio": round(f.requests / minimum, 3),
            "per_parent_requests": per_parent, "seconds": round(f.seconds, 2),
            "incr_mode": i.mode, "incr_read": i.read, "incr_written": i.rows, "incr_requests": i.requests,
            "incr_minimum": incr_minimum, "incr_ratio": round(i.requests / incr_minimum, 3),
            "errors": [e for e in (f.error, i.error) if e],
        })
    results.append({
        "size": n, "object": "(run total)", "kind": "", "page": None, "records": sum(r.read for r in full.objects.values()),
        "mirrored": None, "requests": full.requests, "minimum": None, "ratio": None, "per_parent_requests": None,
        "seconds": round(full_s, 2), "incr_mode": "", "incr_read": sum(r.read for r in incr.objects.values()),
        "incr_written": sum(r.rows for r in incr.objects.values()), "incr_requests": incr.requests,
        "incr_minimum": None, "incr_ratio": None,
        "errors": [f"server counted {full_server} / {incr_server} requests"]
        if (full_server, incr_server) != (full.requests, incr.requests) else [],
    })
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="130,250,1000",
                        help="records per list object, comma-separated (include multiples of 25 and 100)")
    parser.add_argument("--comments", type=int, default=300, help="comments in the sandbox, spread over parents")
    parser.add_argument("--recent", type=int, default=0,
                        help="edit this many records of each list object just before the first run")
    parser.add_argument("--per-parent", choices=["all", "changed"], default="all",
                        help="which parents an incremental run asks for the comment objects")
    parser.add_argument("--workers", type=int, default=ReplicateOptions().workers)
    parser.add_argument("--loopback", action="store_true", help="serve the sandbox over HTTP on 127.0.0.1")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    for n in (int(s) for s in args.sizes.split(",")):
        results += run_size(n, args.comments, args.loopback, args.workers, args.recent, args.per_parent)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    table = Table(title=f"replication requests ({'loopback' if args.loopback else 'in-process'}, "
                        f"{args.workers} workers, per parent: {args.per_parent}); incr = second run, nothing changed")
    columns = ["size", "object", "kind", "page", "records", "mirrored", "requests", "minimum", "ratio",
               "per_parent_requests", "seconds", "incr_mode", "incr_read", "incr_written", "incr_requests",
               "incr_minimum", "incr_ratio"]
    for c in columns:
        table.add_column(c.replace("_requests", " req").replace("per_parent", "per parent"))
    for r in results:
        table.add_row(*("" if r[c] is None else str(r[c]) for c in columns))
    Console(width=220).print(table)
    bad = [r for r in results if r["object"] != "(run total)" and (r["incr_written"] or r["errors"]
                                                                  or r["records"] != r["mirrored"])]
    for r in bad:
        print(f"!! size {r['size']} {r['object']}: incremental wrote {r['incr_written']} rows, "
              f"{r['records']} read vs {r['mirrored']} mirrored, errors {r['errors']}")
    for r in results:
        if r["object"] == "(run total)" and r["errors"]:
            print(f"!! size {r['size']}: {r['errors'][0]}")


if __name__ == "__main__":
    main()
