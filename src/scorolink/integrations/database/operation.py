"""`dbsync` as a runtime operation: one sync run per job run (`scorolink jobs add NAME --operation dbsync
--param db=... --param objects=Companies,Invoices`), settings from [dbsync] in scorolink.toml under the
job's parameters. The sync's own links, cursors and outbox make a re-run after a crash safe."""

from __future__ import annotations

from typing import Any

from scorolink.runtime.connections import OpenConnection
from scorolink.runtime.operations import Checkpoint, OperationResult, no_password, register
from scorolink.runtime.sync_operation import sync_result

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
    outcome = sync_result(result, {"run": result.run_id})
    checkpoint.log(f"dbsync run {result.run_id}: "
                   + (", ".join(f"{k} {v}" for k, v in outcome.counts.items()) or "no changes")
                   + (f"; stopped: {result.stopped}" if result.stopped else ""))
    return outcome
