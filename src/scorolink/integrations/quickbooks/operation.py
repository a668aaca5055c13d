"""The runtime's `quickbooks_sync` operation: Scoro's "automatic" synchronisation is this job on its schedule
(hourly, daily or weekly; `scorolink quickbooks configure --mode automatic` keeps the jobs `quickbooks-sync`
and `quickbooks-background`), registered like every other operation and found by the runtime in this package.

Its sync state lives in the runtime's state database (unless `state` names another), so every worker shares
the links and the outbox; the QuickBooks credentials come from the job's connection
(`[connections.NAME.quickbooks]`), else from [quickbooks] / QUICKBOOKS_* as for the CLI.
"""

from __future__ import annotations

from typing import Any

from scorolink.errors import ConfigError
from scorolink.runtime.connections import OpenConnection
from scorolink.runtime.operations import Checkpoint, OperationResult, no_password, register

BUSY_PAUSE = 30.0  # seconds before a run that found its pair's sync busy is tried again


def check(params: dict[str, Any]) -> dict[str, Any]:
    """The job's settings, checked by the operation's parameter model (runtime.params.QuickBooksSyncParams)."""
    from scorolink.integrations.quickbooks.integration import ORDER
    from scorolink.runtime.params import QuickBooksSyncParams

    parsed = QuickBooksSyncParams.parse(params)
    bad = [c for c in parsed.categories if c not in ORDER]
    if bad:
        raise ConfigError(f"quickbooks_sync categories {', '.join(bad)}: use {', '.join(ORDER)}.")
    no_password(parsed.state)
    return parsed.model_dump()


@register("quickbooks_sync", check=check)
def quickbooks_sync_operation(params: dict[str, Any], connection: OpenConnection,
                              checkpoint: Checkpoint) -> OperationResult:
    """One sync run; the sync's own state makes a re-run after a crash resume without duplicates."""
    from scorolink.config import config_path, read_config_file
    from scorolink.integrations.panel import run_view
    from scorolink.integrations.quickbooks.integration import QuickBooksSyncConfig
    from scorolink.integrations.quickbooks.run import SyncRequest, run_quickbooks_sync
    from scorolink.integrations.quickbooks.session import open_quickbooks
    from scorolink.sync.store import SyncBusy, SyncStore

    args = check(params)
    table = read_config_file(config_path(args.get("config"))).get("quickbooks_sync", {})
    config = QuickBooksSyncConfig.from_dict(table)
    record = tuple(args["record"].split(":", 2)) if args.get("record") else None
    request = SyncRequest(only=args["categories"] or None, background=bool(args["background"]), dry_run=args["dry_run"],
                          record=(record[0], "b", record[2]) if record and len(record) == 3 else
                          (record[0], "a", record[1]) if record else None)
    store = SyncStore(args["state"] if args.get("state") else checkpoint.store)
    try:
        with open_quickbooks(connection.system("quickbooks") or None, args.get("config"),
                             account=connection.name) as session:
            result = run_quickbooks_sync(store, connection.connector, session, config, request,
                                         wait=float(args["wait"]))
        open_errors = len(store.errors(result.job))
    except SyncBusy as exc:
        checkpoint.log(str(exc), "warning")
        return OperationResult(done=False, state=dict(checkpoint.state or {}), pause_seconds=BUSY_PAUSE,
                               pause_reason="another run of this sync is going")
    finally:
        store.close()
    counts: dict[str, Any] = {}
    for executed in result.executed.values():
        for key, n in executed.items():
            counts[key] = counts.get(key, 0) + n
    done = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items())
    checkpoint.log(f"quickbooks sync run {result.run_id}: " + (done or ("nothing written" if open_errors else
                                                                       "no changes"))
                   + (f"; {open_errors} record error(s) open (`scorolink quickbooks errors`)" if open_errors else "")
                   + (f"; stopped: {result.stopped}" if result.stopped else ""),
                   "warning" if open_errors or result.stopped else "info")
    return OperationResult(done=result.stopped is None, counts=counts,
                           state={"run": result.run_id, "view": run_view("quickbooks", result, open_errors)},
                           failed=[f"{result.failed} record(s)"] if result.failed else [],
                           succeeded=sum(counts.get(k, 0) for k in ("created", "updated", "deleted", "linked")),
                           pause_seconds=result.retry_after if result.stopped else None, pause_reason=result.stopped)
