"""`scorolink xero …`: connect a Xero organisation, show the connection, list tenants.

Without XERO_CLIENT_ID / XERO_CLIENT_SECRET every command talks to a bundled Xero sandbox kept in
`.scorolink/xero-sandbox.db` (so `connect`, then `status` in another process, see the same
organisation), and says so on stderr — as the Scoro commands fall back to the Scoro sandbox.
Other modules add commands to `xero_app`; opening a session lives in `scorolink.integrations.xero.session`.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from scorolink import output
from scorolink.commands import counterpart
from scorolink.commands.common import emit_json
from scorolink.integrations.xero.session import (  # noqa: F401 - re-exported for the commands and tests that use them here
    DEFAULT_SANDBOX_DATA,
    SANDBOX_DATA_ENV,
    XeroSession,
    open_xero,
    sandbox_settings,
    start_bundled_sandbox,
)

xero_app = typer.Typer(help="Connect a Xero organisation and check the connection. Without XERO_CLIENT_ID and "
                            "XERO_CLIENT_SECRET the commands use a bundled Xero sandbox.", no_args_is_help=True)

sandbox_browser = counterpart.sandbox_browser  # for the tests that connect a session by hand

ConnectionOpt = Annotated[str | None, typer.Option(
    "--connection", help="A named Scoro account ([connections.NAME]): its Xero settings ([connections.NAME.xero]) "
                         "and, for sync, the account itself (default: the ordinary one).")]


def connection_flags(config: str | None, connection: str | None) -> dict[str, Any] | None:
    """The Xero settings a named Scoro connection carries, or None for the ordinary [xero] ones."""
    return counterpart.connection_flags(config, connection, "xero")


def _open(ctx: typer.Context, connection: str | None = None) -> XeroSession:
    config = getattr(ctx.obj, "config", None)
    return counterpart.announce_sandbox(open_xero(connection_flags(config, connection), config,
                                                  account=connection or "default"),
                                        "XERO", SANDBOX_DATA_ENV, DEFAULT_SANDBOX_DATA)


@xero_app.command("connect")
def connect_cmd(
    ctx: typer.Context,
    tenant: Annotated[str | None, typer.Option(help="Tenant id to use when several organisations are connected "
                                                    "(default XERO_TENANT_ID, else the first).")] = None,
    no_browser: counterpart.NoBrowserOpt = False, timeout: counterpart.TimeoutOpt = 300.0,
    as_json: counterpart.JsonOpt = False,
    connection: ConnectionOpt = None,
) -> None:
    """Connect a Xero organisation: sign in through the browser (OAuth2 with a local callback), store the tokens
    encrypted (SCOROLINK_SECRET_KEY, or a 0600 key file next to the token store) and pick the tenant."""
    with _open(ctx, connection) as session:
        opener = counterpart.browser(session, no_browser)
        tokens = session.oauth.connect(opener, tenant_id=tenant or session.settings.tenant_id, timeout=timeout)
        result: dict[str, Any] = {"connected": True, "target": session.label, "tenant_id": tokens.tenant_id,
                  "tenants": [{"tenantId": t.get("tenantId"), "tenantName": t.get("tenantName")} for t in tokens.tenants],
                  "token_expires_at": counterpart.when(tokens.expires_at), "token_store": str(session.oauth.store.path),
                  "key": "SCOROLINK_SECRET_KEY" if os.environ.get("SCOROLINK_SECRET_KEY")
                  else str(session.oauth.store.key_file)}
    name = next((t["tenantName"] for t in result["tenants"] if t["tenantId"] == tokens.tenant_id), "")
    counterpart.show(result, as_json, "Connected", f"to {name} ({tokens.tenant_id}); {len(tokens.tenants)} "
                     f"organisation(s). Tokens encrypted in {result['token_store']} with the key from {result['key']}.")


@xero_app.command("status")
def status_cmd(ctx: typer.Context, as_json: counterpart.JsonOpt = False, connection: ConnectionOpt = None) -> None:
    """Show the connected organisation, the token's expiry and the rate budget Xero reports (one API call)."""
    with _open(ctx, connection) as session:
        client = session.client
        organisation = client.organisation()
        tokens = session.oauth.tokens()  # read after the call, which may have refreshed them
        result: dict[str, Any] = {
            "target": session.label, "tenant_id": client.tenant_id,
            "organisation": organisation.get("Name"), "base_currency": organisation.get("BaseCurrency"),
            "token_expires_at": counterpart.when(tokens.expires_at), "refresh_token_rotated_at": counterpart.when(tokens.rotated_at),
            "scopes": tokens.scope.split(), "rate_budget": client.budget.as_dict(),
            "requests": client.stats.total, "token_store": str(session.oauth.store.path),
        }
    b = result["rate_budget"]
    counterpart.show(result, as_json, "OK", counterpart.account_line(
        result["organisation"], result["tenant_id"], result["base_currency"], result["target"],
        result["token_expires_at"]) + f"  calls left: {b['minute_remaining']} this minute, {b['day_remaining']} "
        f"today, {b['app_minute_remaining']} for the app this minute")


@xero_app.command("tenants")
def tenants_cmd(ctx: typer.Context, as_json: counterpart.JsonOpt = False) -> None:
    """List the organisations this connection reaches (`GET /connections`); * marks the one in use."""
    with _open(ctx) as session:
        tokens = session.oauth.refresh_tenants()
        chosen = session.settings.tenant_id or tokens.tenant_id
        rows = [{"current": "*" if t.get("tenantId") == chosen else "", "tenantId": t.get("tenantId"),
                 "tenantName": t.get("tenantName"), "tenantType": t.get("tenantType"),
                 "connectionId": t.get("id"), "createdDateUtc": t.get("createdDateUtc")} for t in tokens.tenants]
    if as_json:
        emit_json(rows)
        return
    output.print_table(rows, title=f"{len(rows)} Xero organisation(s)")

