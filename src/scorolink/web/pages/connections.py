"""Connections: the named Scoro accounts (masked), adding one, and testing one."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from scorolink.errors import ScorolinkError
from scorolink.runtime.jobs import JobError, connection_state
from scorolink.saved_connections import add_connection, check_connection, list_connections
from scorolink.web.context import web_of

FORM_FIELDS = ("name", "address", "company_account_id", "auth", "username", "timezone")


def _rows(request: Request) -> list[dict[str, Any]]:
    web = web_of(request)
    rows = list_connections(web.config_file)
    for row in rows:
        try:
            state = connection_state(web.store, row["name"])
        except JobError:
            state = {}
        row["paused_until"] = state.get("not_before")
        row["pause_reason"] = state.get("pause_reason")
        row["busy_with_run"] = state.get("lease_run_id") if state.get("lease_until") else None
    return rows


async def connections_page(request: Request) -> Response:
    web = web_of(request)
    return web.render(request, "connections.html", rows=_rows(request), form={})


async def connection_add(request: Request) -> Response:
    web = web_of(request)
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in FORM_FIELDS}
    address = values["address"]
    by_url = "://" in address
    secret_kind = "api_key" if values["auth"] != "login" else "password"
    try:
        shown = add_connection(
            web.config_file, values["name"], base_url=address if by_url else None,
            subdomain=None if by_url else (address or None), company_account_id=values["company_account_id"] or None,
            api_key=str(form.get("api_key") or "") or None if secret_kind == "api_key" else None,
            username=values["username"] or None if secret_kind == "password" else None,
            password=str(form.get("password") or "") or None if secret_kind == "password" else None,
            timezone=values["timezone"] or None)
    except ScorolinkError as exc:
        return web.render(request, "connections.html", status=400, rows=_rows(request), form=values, error=str(exc))
    web.audit(request, "connection added", values["name"], shown)
    return web.redirect(request, f"/connections#conn-{values['name']}",
                        f"Added connection {values['name']}: test it to see what it reaches.")


async def connection_test(request: Request) -> Response:
    web = web_of(request)
    name = request.path_params["name"]
    try:
        with web.connections().open(name) as conn:
            result = check_connection(conn.client, conn.connector)
    except ScorolinkError as exc:
        result = {"ok": False, "error": str(exc)}
    web.audit(request, "connection tested", name, {"ok": result["ok"]})
    return web.render(request, "connection_test.html", name=name, result=result)


routes = [
    Route("/connections", connections_page, methods=["GET"]),
    Route("/connections", connection_add, methods=["POST"]),
    Route("/connections/{name}/test", connection_test, methods=["POST"]),
]
