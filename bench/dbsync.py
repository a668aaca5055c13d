"""dbsync: Scoro requests for n records changed in a table, against the minimum, and the wall time
against the bound Scoro's rate limit sets; then the requests of an unchanged run, per object.

    .venv/bin/python bench/dbsync.py [--rows 10000] [--rate 40] [--json]

Part 1 (Products, a fresh in-process Scoro sandbox, seed 1, size 20, and fresh SQLite files for the
table and the state): n rows typed into the table are created in Scoro (first run), then every row is
edited in the table and synced (second run), then a run with nothing changed. Scoro has no batch write,
so the minimum for n rows is n writes plus the reads of the cursor window: window // page + 1 list pages
(Products read 25 a page, detailed, for their nested values; our own writes come back through the
cursor and are recognised as no change). The edited run also reads the records it updates (their
values now, for the field-level diff), from the list pages once more than 10 ids are asked for. The bound is the
minimum at `--rate` requests per 2 seconds (Scoro's short window; 40 for Pro plans by Scoro's own text,
reference §7.1): `(ceil(k / rate) - 1) * 2` seconds for k requests. The sync sends one request at a
time, so the unlimited wall time shows how much of the bound is spent on our side; the time spent inside
Scoro requests (here the in-process sandbox answering them) is measured apart, and the rest is ours.

Part 2: every one of the 22 objects synced once (sandbox size 20), then a run with nothing changed:
its requests per object (reads only; no writes on either side).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import make_connector  # noqa: E402

from scorolink.integrations.database.objects import sync_objects  # noqa: E402
from scorolink.integrations.database.run import DbSyncOptions, TableSync  # noqa: E402
from scorolink.replicate.destination import open_destination  # noqa: E402
from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox  # noqa: E402


def requests(sandbox: ScoroSandbox) -> Counter[str]:
    return Counter(sandbox.stats()["requests"]["by_endpoint"])


class ScoroTime:
    """Seconds spent inside Scoro requests (here the in-process sandbox answering them), so that the wall
    time can be split into Scoro's part and ours."""

    def __init__(self, connector: Any) -> None:
        self.seconds = 0.0
        call = connector.client.call

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        connector.client.call = timed


def timed_run(sandbox: ScoroSandbox, connector: Any, options: DbSyncOptions, clock: ScoroTime,
              label: str) -> dict[str, Any]:
    sandbox.reset_stats()
    in_scoro = clock.seconds
    started = time.perf_counter()
    with TableSync(connector, options) as sync:
        result = sync.run()
    seconds = time.perf_counter() - started
    in_scoro = clock.seconds - in_scoro
    counts = requests(sandbox)
    counts.pop("customFields/list", None)  # once per connection, not per run
    writes = sum(v for k, v in counts.items() if k.endswith(("/modify", "/delete")))
    print(f"  {label}: {sum(counts.values())} requests, {seconds:.1f} s", file=sys.stderr, flush=True)
    return {"executed": {k: v for k, v in result.executed.items() if v}, "requests": sum(counts.values()),
            "writes": writes, "reads": sum(counts.values()) - writes, "seconds": round(seconds, 2),
            "scoro_seconds": round(in_scoro, 2), "our_seconds": round(seconds - in_scoro, 2)}


def bound(k: int, rate: int) -> float:
    return max(math.ceil(k / rate) - 1, 0) * 2.0


def changed_rows(rows: int, rate: int, folder: Path) -> dict[str, Any]:
    sandbox = ScoroSandbox(SandboxConfig(seed=1, size=20))
    connector = make_connector(sandbox)
    options = DbSyncOptions(db=f"sqlite:///{folder}/tables.db", objects=["Products"],
                            state=f"sqlite:///{folder}/state.db")
    clock = ScoroTime(connector)
    first_sync = timed_run(sandbox, connector, options, clock, "first sync")  # the sandbox's own products into the table
    db = open_destination(options.db)
    with db.transaction():
        db.executemany('INSERT INTO "Products" ("Code", "Name", "Price") VALUES (?, ?, ?)',
                       [(f"B{i:05d}", f"Bench product {i}", f"{i % 97}.50") for i in range(rows)])
    created = timed_run(sandbox, connector, options, clock, "created")
    with db.transaction():
        db.execute('UPDATE "Products" SET "Name" = "Name" || \' v2\', "Price" = "Price" + 1 WHERE "Code" LIKE \'B%\'')
    db.close()
    edited = timed_run(sandbox, connector, options, clock, "edited")
    idle = timed_run(sandbox, connector, options, clock, "unchanged")
    out: dict[str, Any] = {"rows": rows, "rate": rate, "initial": first_sync}
    spec = connector.spec("Products")
    page = 25 if connector.needs_detail(spec, connector.selected(spec, None)) else 100
    total = len(list(connector.read("Products", columns=["Id"])))  # every product once the rows are in
    # the writes, and the reads of the cursor window: before the creates, the sandbox's few products; before
    # the edits, every product (our own creates are in the window)
    for name, run, window in (("created", created, total - rows), ("edited", edited, total)):
        minimum = rows + window // page + 1
        run.update(minimum=minimum, ratio=round(run["requests"] / minimum, 3), bound_seconds=bound(run["requests"], rate))
        out[name] = run
    out["unchanged"] = idle
    out["page"] = page
    connector.close()
    sandbox.close()
    return out


def unchanged_per_object(folder: Path) -> dict[str, int]:
    sandbox = ScoroSandbox(SandboxConfig(seed=1, size=20))
    connector = make_connector(sandbox)
    options = DbSyncOptions(db=f"sqlite:///{folder}/all.db", objects=sync_objects(), state=f"sqlite:///{folder}/s2.db")
    with TableSync(connector, options) as sync:
        sync.run()
    per: dict[str, int] = {}
    for name in sync_objects():
        sandbox.reset_stats()
        with TableSync(connector, DbSyncOptions(db=options.db, objects=[name], state=options.state)) as sync:
            result = sync.run()
        assert not result.executed.get(name), result.executed
        counts = requests(sandbox)
        counts.pop("customFields/list", None)
        assert not any(k.endswith(("/modify", "/delete")) for k in counts), counts
        per[name] = sum(counts.values())
    connector.close()
    sandbox.close()
    return per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--rate", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = {"changed": changed_rows(args.rows, args.rate, Path(tmp)), "unchanged_per_object":
                  unchanged_per_object(Path(tmp))}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    changed = report["changed"]
    print(f"{args.rows} rows, rate {args.rate} per 2 s")
    for name in ("created", "edited"):
        run = changed[name]
        print(f"  {name}: requests {run['requests']} (writes {run['writes']}, reads {run['reads']}), minimum "
              f"{run['minimum']}, ratio {run['ratio']}; wall {run['seconds']} s unlimited (in Scoro "
              f"{run['scoro_seconds']} s, ours {run['our_seconds']} s), bound {run['bound_seconds']} s")
    print(f"  unchanged: requests {changed['unchanged']['requests']}, writes {changed['unchanged']['writes']}")
    print("unchanged run, requests per object:", report["unchanged_per_object"])


if __name__ == "__main__":
    main()
