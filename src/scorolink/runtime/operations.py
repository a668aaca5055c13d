"""The operations a job can run, by kind. Each is a function

    operation(params, connection, checkpoint) -> OperationResult

that does a slice of work: it starts from `checkpoint.state` (None on the first slice), saves
progress with `checkpoint.save(state)` as it goes (a killed worker's successor resumes from there),
and stops when `checkpoint.spent()` says the slice budget is used, returning done=False.
Registered here: replicate (sliced by object group), export and import (one slice each; the import's
journal makes re-runs safe). Integrations register their own the same way, from the `operation`
module of their package (scorolink.integrations.<name>.operation), found on first use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from scorolink.errors import ConfigError
from scorolink.runtime.connections import OpenConnection
from scorolink.runtime.params import ExportParams, ImportParams, ReplicateParams
from scorolink.runtime.store import StateStore


@dataclass
class Budget:
    """How much one slice may spend before it checkpoints and is re-queued."""

    seconds: float | None = 300.0
    requests: int | None = None


class Checkpoint(Protocol):
    state: dict[str, Any] | None
    store: StateStore  # the runtime's state database (operations may keep their own state there)

    def save(self, state: dict[str, Any]) -> None: ...
    def spent(self) -> bool: ...
    def log(self, message: str, level: str = "info") -> None: ...


@dataclass
class OperationResult:
    done: bool  # False: more work remains (budget spent or paused); the run is re-queued
    state: dict[str, Any]  # the checkpoint to resume from
    counts: dict[str, Any] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)  # parts that failed for good (partially_failed)
    succeeded: int = 0  # parts that succeeded
    pause_seconds: float | None = None  # the connection is rate-limited for this long
    pause_reason: str | None = None


Operation = Callable[[dict[str, Any], OpenConnection, Checkpoint], OperationResult]
OPERATIONS: dict[str, Operation] = {}
CHECKS: dict[str, Callable[[dict[str, Any]], Any]] = {}  # params validation when a job is added


def register(kind: str, check: Callable[[dict[str, Any]], Any] | None = None) -> Callable[[Operation], Operation]:
    def add(fn: Operation) -> Operation:
        OPERATIONS[kind] = fn
        if check is not None:
            CHECKS[kind] = check
        return fn
    return add


def load_integrations() -> None:
    """Import the `operation` module of every integration package, which registers its operations."""
    import importlib
    from pathlib import Path

    with _loading:
        if _loaded:
            return
        import scorolink.integrations as integrations

        # every folder of the package (which may be a namespace package, whose folders pkgutil skips)
        names = {p.parent.name for folder in integrations.__path__ for p in Path(folder).glob("*/operation.py")}
        for name in sorted(names):
            importlib.import_module(f"scorolink.integrations.{name}.operation")
        _loaded.append(True)


_loading = threading.Lock()
_loaded: list[bool] = []


def check_params(kind: str, params: dict[str, Any]) -> None:
    get_operation(kind)
    if kind in CHECKS:
        CHECKS[kind](params)


def get_operation(kind: str) -> Operation:
    load_integrations()
    if kind not in OPERATIONS:
        raise ConfigError(f"Unknown operation {kind!r}; known: {', '.join(sorted(OPERATIONS))}.")
    return OPERATIONS[kind]


# -- replicate --------------------------------------------------------------------------------------

def replicate_options(params: dict[str, Any]) -> Any:
    parsed = ReplicateParams.parse(params)
    no_password(parsed.to)
    return parsed.options()


def no_password(url: Any) -> None:
    """Job settings are stored in the state database: a password in a URL would sit there in plaintext."""
    from urllib.parse import urlsplit

    if isinstance(url, str) and "://" in url and urlsplit(url).password:
        raise ConfigError("The destination URL carries a password, which would be stored in the state database: "
                          "remove it from the URL and give it through PGPASSWORD or ~/.pgpass instead.")


@register("replicate", check=replicate_options)
def replicate_operation(params: dict[str, Any], connection: OpenConnection,
                        checkpoint: Checkpoint) -> OperationResult:
    """Replicate in object groups (`group` objects at a time, default `workers`): the checkpoint lists
    the objects still to do and the result of each one done. Within an object the mirror's own
    cursors make a re-read after a crash write nothing twice (rows are keyed and hash-skipped)."""
    from scorolink.replicate.engine import default_objects, replicate

    options = replicate_options(params)
    to = params.get("to") or "sqlite:///scoro.db"
    state = dict(checkpoint.state or {})
    if "remaining" not in state:
        names = options.objects or default_objects(connection.connector.catalog, options.mirror.schema)
        state = {"remaining": [connection.connector.spec(n, with_custom=False).name for n in names], "done": {}}
    group = max(1, ReplicateParams.parse(params).group or options.workers)
    pause: tuple[float, str] | None = None
    while state["remaining"] and not checkpoint.spent():
        batch = state["remaining"][:group]
        options.objects = batch
        mark = time.monotonic()
        summary = replicate(connection.connector, to, options)
        block = connection.watch.block_since(mark)
        redo: list[str] = []
        for name, result in summary.objects.items():
            if result.error and block is not None:
                redo.append(name)  # refused by the rate limit, not failed: done after the pause
                continue
            state["done"][name] = {"mode": result.mode, "read": result.read, "rows": result.rows,
                                   "deleted": result.deleted, "requests": result.requests, "error": result.error}
        state["remaining"] = redo + state["remaining"][len(batch):]
        checkpoint.save(state)
        checkpoint.log(f"{', '.join(batch)}: read {sum(r.read for r in summary.objects.values())}, wrote "
                       f"{sum(r.rows for r in summary.objects.values())} rows, {summary.requests} requests"
                       + (f"; {', '.join(redo)} deferred" if redo else ""))
        if block is not None:
            pause = (block.retry_after, "daily request quota used up" if block.daily
                     else f"rate limited (Retry-After {block.retry_after:.0f}s)")
            break
    done = state["done"]
    failed = sorted(n for n, r in done.items() if r["error"])
    counts = {"objects": len(done), "read": sum(r["read"] for r in done.values()),
              "rows": sum(r["rows"] for r in done.values()), "deleted": sum(r["deleted"] for r in done.values()),
              "remaining": len(state["remaining"])}
    return OperationResult(done=not state["remaining"], state=state, counts=counts, failed=failed,
                           succeeded=len(done) - len(failed), pause_seconds=pause[0] if pause else None,
                           pause_reason=pause[1] if pause else None)


# -- export -----------------------------------------------------------------------------------------

def _export_args(params: dict[str, Any]) -> dict[str, Any]:
    from scorolink.connectors.base import parse_condition

    if not params.get("object") or not params.get("to"):
        raise ConfigError("An export job needs object (e.g. --param object=Invoices) and to (the CSV file, "
                          "e.g. --to invoices.csv).")
    parsed = ExportParams.parse(params)
    return {"where": [parse_condition(w) for w in parsed.where], "columns": parsed.columns, "nested": parsed.nested,
            "include_deleted": parsed.include_deleted, "limit": parsed.limit, "csv_escape": parsed.csv_escape}


@register("export", check=_export_args)
def export_operation(params: dict[str, Any], connection: OpenConnection, checkpoint: Checkpoint) -> OperationResult:
    """Export one object to a CSV file, rewritten whole each run (one slice: a re-run after a crash
    writes the same file again)."""
    from pathlib import Path

    from scorolink.transfer.export import Exporter

    summary = Exporter(connection.connector, params["object"], Path(params["to"]), **_export_args(params)).run()
    state = {"files": summary.files, "rows": summary.rows}
    checkpoint.log(f"{summary.object}: {summary.rows} rows to {params['to']}, {summary.requests} requests")
    return OperationResult(done=True, state=state, counts={"rows": summary.rows, "files": len(summary.files),
                                                            "binaries": summary.binaries}, succeeded=1)


# -- import -----------------------------------------------------------------------------------------

def _import_args(params: dict[str, Any]) -> Any:
    if not params.get("object") or not (params.get("file") or params.get("from_sql")):
        raise ConfigError("An import job needs object (e.g. --param object=Companies) and file (a CSV) or "
                          "from_sql with table.")
    parsed = ImportParams.parse(params)
    no_password(parsed.from_sql)
    return parsed


@register("import", check=_import_args)
def import_operation(params: dict[str, Any], connection: OpenConnection, checkpoint: Checkpoint) -> OperationResult:
    """Import a CSV file or table; its journal makes every re-run (a scheduled one, or a successor
    after a crash) skip finished rows, retry failed ones and never create a record twice."""
    from pathlib import Path

    from scorolink.transfer.importer import ImportOptions, run_import
    from scorolink.transfer.journal import default_journal_dir
    from scorolink.transfer.mapping import load_mapping
    from scorolink.transfer.sources import open_source

    p = _import_args(params)
    options = ImportOptions(
        mode=p.mode, key=p.key, mapping=load_mapping(p.map), nested_files={k: Path(v) for k, v in p.nested.items()},
        dry_run=p.dry_run, errors_path=Path(p.errors) if p.errors else None,
        results_path=Path(p.results) if p.results else None,
        journal_dir=Path(p.journal_dir) if p.journal_dir else default_journal_dir(),
        empty=p.empty, skip_unknown=p.skip_unknown_columns, workers=p.workers)
    source = open_source(p.file, from_sql=p.from_sql, table=p.table, encoding=p.encoding, delimiter=p.delimiter,
                         csv_escape=p.csv_escape)
    mark = time.monotonic()
    summary = run_import(connection.connector, p.object, source, options)
    counts = {k: getattr(summary, k) for k in ("rows", "inserted", "updated", "deleted", "failed", "already_done")}
    checkpoint.log(f"{summary.object} {summary.mode}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
                   + (f"; stopped: {summary.stopped}" if summary.stopped else ""))
    block = connection.watch.block_since(mark)
    return OperationResult(done=summary.stopped is None, state={"counts": counts}, counts=counts,
                           failed=[f"{summary.failed} row(s)"] if summary.failed else [],
                           succeeded=summary.inserted + summary.updated + summary.deleted,
                           pause_seconds=block.retry_after if block and summary.stopped else None,
                           pause_reason=summary.stopped)
