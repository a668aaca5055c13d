"""What every two-way sync's runtime operation shares (`xero_sync`, `quickbooks_sync`, `dbsync`): checking the
job's categories, running one sync on the runtime's state database (a run that finds its pair's sync busy
pauses the job instead of failing), and the job's log line and result from the sync's result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scorolink.errors import ConfigError
from scorolink.runtime.operations import Checkpoint, OperationResult, no_password

BUSY_PAUSE = 30.0  # seconds before a run that found its pair's sync busy is tried again


def check_sync_params(model: Any, order: tuple[str, ...], params: dict[str, Any]) -> dict[str, Any]:
    """The job's settings, checked by the operation's parameter model (runtime.params), its categories
    against the integration's."""
    parsed = model.parse(params)
    bad = [c for c in parsed.categories if c not in order]
    if bad:
        raise ConfigError(f"{model.operation} categories {', '.join(bad)}: use {', '.join(order)}.")
    no_password(parsed.state)
    dumped: dict[str, Any] = parsed.model_dump()
    return dumped


def run_sync_job(args: dict[str, Any], checkpoint: Checkpoint, run: Callable[[Any], Any], *, label: str,
                 errors_command: str, state: Callable[[Any], dict[str, Any]] | None = None,
                 panel: str | None = None) -> OperationResult:
    """One sync run, `run(store)`, on the sync state of `args["state"]` or the runtime's state database; its
    log line names what was done and the record errors left open (`errors_command` lists them). With `panel`,
    the result as that integration's page shows it is kept with the run (`view`), whichever worker ran it."""
    from scorolink.integrations.panel import run_view
    from scorolink.sync.report import job_line
    from scorolink.sync.store import SyncBusy, SyncStore

    store = SyncStore(args["state"] if args.get("state") else checkpoint.store)
    try:
        result = run(store)
        open_errors = len(store.errors(result.job))
    except SyncBusy as exc:
        checkpoint.log(str(exc), "warning")
        return OperationResult(done=False, state=dict(checkpoint.state or {}), pause_seconds=BUSY_PAUSE,
                               pause_reason="another run of this sync is going")
    finally:
        store.close()
    dry_run = bool(getattr(result, "dry_run", False))
    checkpoint.log(job_line(f"{label} dry run" if dry_run else label, result, open_errors, errors_command),
                   "warning" if open_errors or result.stopped or result.warnings else "info")
    view = run_view(panel, result, open_errors) if panel else None
    return sync_result(result, {"run": result.run_id, **(state(result) if state else {}),
                                **({"view": view} if view else {})})


def sync_result(result: Any, state: dict[str, Any]) -> OperationResult:
    """The job's result from a sync's: done unless it stopped (then paused for as long as it asks), the writes
    counted over every category, the records that failed."""
    counts: dict[str, Any] = {}
    for executed in ({} if getattr(result, "dry_run", False) else result.executed).values():  # a dry run writes nothing
        for key, n in executed.items():
            counts[key] = counts.get(key, 0) + n
    return OperationResult(done=result.stopped is None, state=state, counts=counts,
                           failed=[f"{result.failed} record(s)"] if result.failed else [],
                           succeeded=sum(counts.get(k, 0) for k in ("created", "updated", "deleted", "linked")),
                           pause_seconds=result.retry_after if result.stopped else None, pause_reason=result.stopped)
