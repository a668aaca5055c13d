"""Database sync: the configured tables of `scorolink dbsync` ([dbsync] in scorolink.toml), its last
runs, the refused rows, and the conflicts parked by the manual policy, each settled with Scoro's or the
table's values by the code `scorolink dbsync resolve ID --take scoro|db` runs."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from scorolink.errors import ConfigError, ScorolinkError
from scorolink.integrations.panel import database_panel
from scorolink.runtime.connections import DEFAULT_CONNECTION, ConfiguredConnections
from scorolink.web.context import web_of


async def dbsync_page(request: Request) -> Response:
    web = web_of(request)
    db = request.query_params.get("db") or None
    try:
        context = await run_in_threadpool(database_panel().overview, web.config_file, db)
    except ScorolinkError as exc:
        return web.render(request, "dbsync.html", status=400, error=str(exc), options=None, db=db or "")
    return web.render(request, "dbsync.html", db=db or "", connections=ConfiguredConnections(web.config_file).names(),
                      **context)


async def resolve_conflict(request: Request) -> Response:
    web = web_of(request)
    form = await request.form()
    error_id, take = int(request.path_params["id"]), str(form.get("take") or "")
    if take not in ("scoro", "db"):
        raise ConfigError(f"Conflict {error_id}: choose whose values win, Scoro's or the table's.")
    db = str(form.get("db") or "") or None
    connection = str(form.get("connection") or DEFAULT_CONNECTION)

    def go() -> Any:
        with web.connections().open(connection) as conn:
            return database_panel().settle(conn.connector, web.config_file, db, error_id, take)

    shown = await run_in_threadpool(go)
    web.audit(request, "dbsync conflict resolved", f"{shown}:{error_id}", {"took": take, "connection": connection})
    query = f"?db={db}" if db else ""
    return web.redirect(request, f"/dbsync{query}#conflicts",
                        f"Conflict {error_id} settled with the {'Scoro' if take == 'scoro' else 'table'} values.")


routes = [
    Route("/dbsync", dbsync_page, methods=["GET"]),
    Route("/dbsync/conflicts/{id:int}/resolve", resolve_conflict, methods=["POST"]),
]
