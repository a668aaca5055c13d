"""The runtime's `quickbooks_sync` operation: Scoro's "automatic" synchronisation is this job on its schedule
(hourly, daily or weekly; `scorolink quickbooks configure --mode automatic` keeps the jobs `quickbooks-sync`
and `quickbooks-background`), registered like every other operation and found by the runtime in this package.

Its sync state lives in the runtime's state database (unless `state` names another), so every worker shares
the links and the outbox; the QuickBooks credentials come from the job's connection
(`[connections.NAME.quickbooks]`), else from [quickbooks] / QUICKBOOKS_* as for the CLI.
"""

from __future__ import annotations

from typing import Any

from scorolink.commands.counterpart import parse_object
from scorolink.runtime.connections import OpenConnection
from scorolink.runtime.operations import Checkpoint, OperationResult, register
from scorolink.runtime.sync_operation import check_sync_params, run_sync_job


def check(params: dict[str, Any]) -> dict[str, Any]:
    """The job's settings, checked by the operation's parameter model (runtime.params.QuickBooksSyncParams)."""
    from scorolink.integrations.quickbooks.integration import ORDER
    from scorolink.runtime.params import QuickBooksSyncParams

    args = check_sync_params(QuickBooksSyncParams, ORDER, params)
    if args.get("record"):
        parse_object(args["record"], "quickbooks")  # a mistyped record is refused when the run is queued
    return args


@register("quickbooks_sync", check=check)
def quickbooks_sync_operation(params: dict[str, Any], connection: OpenConnection,
                              checkpoint: Checkpoint) -> OperationResult:
    """One sync run; the sync's own state makes a re-run after a crash resume without duplicates."""
    from scorolink.integrations.quickbooks import session as qb_session
    from scorolink.integrations.quickbooks.run import SyncRequest, run_quickbooks_sync
    from scorolink.integrations.settings_file import QUICKBOOKS, load

    args = check(params)
    config = load(QUICKBOOKS, args.get("config"), connection.name)  # [quickbooks_sync](.NAME) of its account
    request = SyncRequest(only=args["categories"] or None, background=bool(args["background"]), dry_run=args["dry_run"],
                          record=parse_object(args["record"], "quickbooks") if args.get("record") else None)

    def run(store: Any) -> Any:
        with qb_session.open_quickbooks(connection.system("quickbooks") or None, args.get("config"),
                                        account=connection.name) as session:
            return run_quickbooks_sync(store, connection.connector, session, config, request, wait=float(args["wait"]))

    return run_sync_job(args, checkpoint, run, label="quickbooks sync", errors_command="scorolink quickbooks errors",
                        panel="quickbooks")
