"""dbsync settings: the `[dbsync]` table of scorolink.toml, under command-line flags or job parameters.

    [dbsync]
    db = "postgresql://sync@localhost/crm"   # the password comes from PGPASSWORD or ~/.pgpass
    objects = ["Companies", "Invoices"]
    conflict = "manual"                       # scoro | db | newest | manual
    map = "dbsync-map.toml"                   # optional: bind existing tables
    on_scoro_delete = "flag"                  # remove (default) | flag
    state = "sqlite:///.scorolink/state.db"   # where links, cursors and the outbox are kept
    [dbsync.keys]                             # natural keys that match rows on the first run
    Companies = ["Name", "VATNumber"]
"""

from __future__ import annotations

from typing import Any

from scorolink.errors import ConfigError
from scorolink.integrations.database.run import DEFAULT_STATE, DbSyncOptions

SETTINGS = {"db", "objects", "conflict", "map", "keys", "on_scoro_delete", "state", "overlap"}


def split(value: Any) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(i).strip() for i in items if str(i).strip()]


def options_from(file_settings: dict[str, Any], overrides: dict[str, Any], where: str = "[dbsync]") -> DbSyncOptions:
    """`overrides` (flags or job parameters, None meaning unset) over the file's [dbsync] table."""
    merged = {**file_settings, **{k: v for k, v in overrides.items() if v not in (None, [], "")}}
    unknown = sorted(set(merged) - SETTINGS)
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(SETTINGS))}.")
    keys = merged.get("keys") or {}
    if not isinstance(keys, dict):
        raise ConfigError(f"{where} keys must be a table: Object = [\"Field\", ...].")
    try:
        overlap = float(merged.get("overlap", 300))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where} overlap must be a number of seconds.") from exc
    return DbSyncOptions(db=str(merged.get("db") or ""), objects=split(merged.get("objects")),
                         conflict=str(merged.get("conflict") or "scoro"), mapping=merged.get("map"),
                         keys={str(k): tuple(split(v)) for k, v in keys.items()},
                         on_scoro_delete=str(merged.get("on_scoro_delete") or "remove"),
                         state=str(merged.get("state") or DEFAULT_STATE), overlap_seconds=overlap)
