"""The runtime's `xero_sync` operation (Scoro's "automatic" sync type is this job every five minutes),
registered like every other operation and found by the runtime in this package.

Its sync state lives in the runtime's state database (unless `state` names another), so every worker
shares the links and the outbox; the Xero credentials come from the job's connection
(`[connections.NAME.xero]`), else from [xero] / XERO_* as for the CLI.
"""

from __future__ import annotations

from typing import Any

from scorolink.errors import ConfigError
from scorolink.integrations.xero import session as xero_session
from scorolink.runtime.connections import OpenConnection
from scorolink.runtime.operations import Checkpoint, OperationResult, no_password, register
from scorolink.sync.report import job_line

BUSY_PAUSE = 30.0  # seconds before a run that found its pair's sync busy is tried again


def check(params: dict[str, Any]) -> dict[str, Any]:
    """The job's settings, checked by the operation's parameter model (runtime.params.XeroSyncParams)."""
    from scorolink.integrations.xero.integration import ORDER
    from scorolink.integrations.xero.sync_commands import parse_object
    from scorolink.runtime.params import XeroSyncParams

    parsed = XeroSyncParams.parse(params)
    bad = [c for c in parsed.categories if c not in ORDER]
    if bad:
        raise ConfigError(f"xero_sync categories {', '.join(bad)}: use {', '.join(ORDER)}.")
    no_password(parsed.state)
    if parsed.record:
        parse_object(parsed.record)  # a mistyped record is refused when the run is queued
    return parsed.model_dump()


@register("xero_sync", check=check)
def xero_sync_operation(params: dict[str, Any], connection: OpenConnection, checkpoint: Checkpoint) -> OperationResult:
    """One sync run. The sync's own state makes a re-run after a crash resume without duplicates; a
    rate limit past the wait budget, or another run of the same pair's sync, pauses the connection."""
    from scorolink.config import config_path, read_config_file
    from scorolink.integrations.panel import run_view
    from scorolink.integrations.xero.integration import XeroSyncConfig
    from scorolink.integrations.xero.run import SyncRequest, run_xero_sync
    from scorolink.integrations.xero.sync_commands import parse_object
    from scorolink.sync.store import SyncBusy, SyncStore

    args = check(params)
    config = XeroSyncConfig.from_dict(read_config_file(config_path(args.get("config"))).get("xero_sync", {}))
    store = SyncStore(args["state"] if args.get("state") else checkpoint.store)
    try:
        with xero_session.open_xero(connection.system("xero") or None, args.get("config"),
                                    account=connection.name) as xero:
            result = run_xero_sync(store, connection.connector, xero, config,
                                   SyncRequest(only=args["categories"] or None, dry_run=bool(args["dry_run"]),
                                               record=parse_object(args["record"]) if args["record"] else None,
                                               allow_different_tax_rates=bool(args["allow_different_tax_rates"])),
                                   wait=float(args["wait"]))
        open_errors = len(store.errors(result.job))
    except SyncBusy as exc:
        checkpoint.log(str(exc), "warning")
        return OperationResult(done=False, state=dict(checkpoint.state or {}), pause_seconds=BUSY_PAUSE,
                               pause_reason="another run of this sync is going")
    finally:
        store.close()
    counts: dict[str, Any] = {}
    for executed in ({} if result.dry_run else result.executed).values():  # a dry run writes nothing
        for key, n in executed.items():
            counts[key] = counts.get(key, 0) + n
    checkpoint.log(job_line("xero sync dry run" if result.dry_run else "xero sync", result, open_errors,
                            "scorolink xero errors"),
                   "warning" if open_errors or result.stopped or result.warnings else "info")
    return OperationResult(done=result.stopped is None, state={"run": result.run_id, "done": categories_done(result),
                                                               "view": run_view("xero", result, open_errors)},
                           counts=counts,
                           failed=[f"{result.failed} record(s)"] if result.failed else [],
                           succeeded=sum(counts.get(k, 0) for k in ("created", "updated", "deleted", "linked")),
                           pause_seconds=result.retry_after if result.stopped else None, pause_reason=result.stopped)


def categories_done(result: Any) -> dict[str, dict[str, Any]]:
    """Each category's line on the run's page (the shape replicate's objects have there)."""
    done = {}
    for name, plan in result.plans.items():
        executed = {} if result.dry_run else result.executed.get(name, {})  # a preview wrote nothing
        failed = executed.get("failed", 0) + executed.get("deferred", 0)
        done[name] = {"mode": "preview" if result.dry_run else "sync", "read": plan.read["a"] + plan.read["b"],
                      "rows": sum(executed.get(k, 0) for k in ("created", "updated", "linked")),
                      "deleted": executed.get("deleted", 0), "requests": "",
                      "error": f"{failed} record(s) not carried (`scorolink xero errors`)" if failed else None}
    return done
