"""`dbsync` as a runtime operation: one sync run per job run (`scorolink jobs add NAME --operation dbsync
--param db=... --param objects=Companies,Invoices`), settings from [dbsync] in scorolink.toml under the
job's parameters. The sync's own links, cursors and outbox make a re-run after a crash safe."""

from __future__ import annotations

from typing import Any

from scorolink.runtime.connections import OpenConnection
from scorolink.runtime.operations import Checkpoint, OperationResult, no_password, register

PARAMS = {"db", "objects", "conflict", "map", "keys", "on_scoro_delete", "state", "overlap", "config"}


def _options(params: dict[str, Any]) -> Any:
    from scorolink.config import config_path, read_config_file
    from scorolink.errors import ConfigError
    from scorolink.integrations.database.config import options_from
    from scorolink.integrations.database.objects import resolve

    unknown = sorted(set(params) - PARAMS)
    if unknown:
        raise ConfigError(f"Unknown dbsync setting(s): {', '.join(unknown)}. Known: {', '.join(sorted(PARAMS))}.")
    file_settings = read_config_file(config_path(params.get("config"))).get("dbsync", {})
    options = options_from(file_settings, {k: v for k, v in params.items() if k != "config"},
                           where="dbsync job")
    options.check()
    resolve(options.objects)
    no_password(options.db)
    no_password(options.state)
    return options


@register("dbsync", check=_options)
def dbsync_operation(params: dict[str, Any], connection: OpenConnection, checkpoint: Checkpoint) -> OperationResult:
    from scorolink.integrations.database.run import TableSync

    with TableSync(connection.connector, _options(params)) as sync:
        result = sync.run()
    counts: dict[str, Any] = {}
    for done in result.executed.values():
        for key, n in done.items():
            counts[key] = counts.get(key, 0) + n
    checkpoint.log(f"dbsync run {result.run_id}: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or "no changes")
                   + (f"; stopped: {result.stopped}" if result.stopped else ""))
    return OperationResult(done=result.stopped is None, state={"run": result.run_id}, counts=counts,
                           failed=[f"{result.failed} record(s)"] if result.failed else [],
                           succeeded=sum(counts.get(k, 0) for k in ("created", "updated", "deleted", "linked")),
                           pause_seconds=result.retry_after if result.stopped else None, pause_reason=result.stopped)
