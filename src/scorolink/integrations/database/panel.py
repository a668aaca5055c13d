"""The dashboard's database-sync page, in the terms `scorolink dbsync` uses: the settings as the CLI
reads them ([dbsync] under the page's database), the last runs, the refused rows and the parked
conflicts, and settling one conflict with the code of `scorolink dbsync resolve ID --take scoro|db`."""

from __future__ import annotations

import os
from typing import Any

from scorolink.config import config_path, read_config_file
from scorolink.integrations.database.commands import parked, resolve, side_words
from scorolink.integrations.database.config import options_from
from scorolink.integrations.database.run import DbSyncOptions, job_name
from scorolink.sync.store import SyncStore


def options(config_file: str | None, db: str | None) -> DbSyncOptions:
    """Flags (here the page's database) over [dbsync], the state from SCOROLINK_STATE_URL: as the CLI."""
    settings = read_config_file(config_path(config_file)).get("dbsync", {})
    return options_from(settings, {"db": db, "state": os.environ.get("SCOROLINK_STATE_URL")})


def overview(config_file: str | None, db: str | None) -> dict[str, Any]:
    found = options(config_file, db)
    out: dict[str, Any] = {"options": found, "runs": [], "conflicts": [], "refused": [],
                           "shown_db": job_name(found.db).removeprefix("dbsync:") if found.db else ""}
    if not found.db:
        out["empty"] = ("No database is configured: set db = \"…\" under [dbsync] in scorolink.toml, or name one "
                        "here.")
        return out
    store = SyncStore(found.state)
    try:
        out["runs"] = [{**run, "counts": _counts(run.get("stats"))} for run in store.runs(job_name(found.db), 20)]
    finally:
        store.close()
    out["conflicts"] = parked(found, "conflicts")
    out["refused"] = parked(found, "errors")
    return out


def settle(connector: Any, config_file: str | None, db: str | None, error_id: int, take: str) -> str:
    """Settle one parked conflict; returns the database it belongs to, redacted."""
    found = options(config_file, db)
    resolve(connector, found, error_id, take)
    return job_name(found.db).removeprefix("dbsync:")


def _counts(stats: Any) -> str:
    """A run's stats as words: `Companies: planned conflict 1, unchanged 4; done created 3`."""
    if not isinstance(stats, dict):
        return ""
    parts = []
    for name, value in stats.items():
        if not isinstance(value, dict):
            continue
        planned = ", ".join(f"{side_words(k).replace('_', ' ')} {n}" for k, n in (value.get("planned") or {}).items()
                            if n)
        done = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in (value.get("executed") or {}).items() if n)
        parts.append(f"{name}: planned {planned or 'nothing'}; done {done or 'nothing'}")
    return " · ".join(parts)
