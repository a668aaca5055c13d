"""The runtime's `xero_sync` operation (Scoro's "automatic" sync type is this job every five minutes),
registered like every other operation and found by the runtime in this package.

Its sync state lives in the runtime's state database (unless `state` names another), so every worker
shares the links and the outbox; the Xero credentials come from the job's connection
(`[connections.NAME.xero]`), else from [xero] / XERO_* as for the CLI.
"""

from __future__ import annotations

from typing import Any

from scorolink.integrations.xero import session as xero_session
from scorolink.runtime.connections import OpenConnection
from scorolink.runtime.operations import Checkpoint, OperationResult, register
from scorolink.runtime.sync_operation import check_sync_params, run_sync_job


def check(params: dict[str, Any]) -> dict[str, Any]:
    """The job's settings, checked by the operation's parameter model (runtime.params.XeroSyncParams)."""
    from scorolink.integrations.xero.integration import ORDER
    from scorolink.integrations.xero.sync_commands import parse_object
    from scorolink.runtime.params import XeroSyncParams

    args = check_sync_params(XeroSyncParams, ORDER, params)
    if args.get("record"):
        parse_object(args["record"])  # a mistyped record is refused when the run is queued
    return args


@register("xero_sync", check=check)
def xero_sync_operation(params: dict[str, Any], connection: OpenConnection, checkpoint: Checkpoint) -> OperationResult:
    """One sync run. The sync's own state makes a re-run after a crash resume without duplicates; a
    rate limit past the wait budget, or another run of the same pair's sync, pauses the connection."""
    from scorolink.integrations.settings_file import XERO, load
    from scorolink.integrations.xero.run import SyncRequest, run_xero_sync
    from scorolink.integrations.xero.sync_commands import parse_object

    args = check(params)
    config = load(XERO, args.get("config"), connection.name)  # [xero_sync], or [xero_sync.NAME] for its account
    request = SyncRequest(only=args["categories"] or None, dry_run=bool(args["dry_run"]),
                          record=parse_object(args["record"]) if args["record"] else None,
                          allow_different_tax_rates=bool(args["allow_different_tax_rates"]))

    def run(store: Any) -> Any:
        with xero_session.open_xero(connection.system("xero") or None, args.get("config"),
                                    account=connection.name) as xero:
            return run_xero_sync(store, connection.connector, xero, config, request, wait=float(args["wait"]))

    return run_sync_job(args, checkpoint, run, label="xero sync", errors_command="scorolink xero errors",
                        state=lambda result: {"done": categories_done(result)}, panel="xero")


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
