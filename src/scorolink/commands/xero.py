"""`scorolink xero …`: connect a Xero organisation, show the connection, list tenants.

Without XERO_CLIENT_ID / XERO_CLIENT_SECRET every command talks to a bundled Xero sandbox kept in
`.scorolink/xero-sandbox.db` (so `connect`, then `status` in another process, see the same
organisation), and says so on stderr — as the Scoro commands fall back to the Scoro sandbox.
Other modules add commands to `xero_app` (`from scorolink.commands.xero import xero_app, open_xero`).
"""

from __future__ import annotations

import os
import webbrowser
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from scorolink import output
from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.errors import AuthenticationFailed
from scorolink.clients.oauth import TokenStore, XeroOAuth
from scorolink.clients.xero import XeroClient, XeroSettings, load_xero_settings
from scorolink.connectors.xero import XeroConnector

xero_app = typer.Typer(help="Connect a Xero organisation and check the connection. Without XERO_CLIENT_ID and "
                            "XERO_CLIENT_SECRET the commands use a bundled Xero sandbox.", no_args_is_help=True)

SANDBOX_ORIGIN = "http://xero.sandbox"
SANDBOX_DATA_ENV = "SCOROLINK_XERO_SANDBOX_DATA"
DEFAULT_SANDBOX_DATA = ".scorolink/xero-sandbox.db"


@dataclass
class XeroSession:
    """An open Xero connection: settings, OAuth (tokens), the client for the chosen tenant, the connector."""

    settings: XeroSettings
    oauth: XeroOAuth
    transport: httpx.BaseTransport | None = None
    sandbox: Any | None = None  # the bundled XeroSandbox when no app is configured
    _client: XeroClient | None = None

    @property
    def client(self) -> XeroClient:
        if self._client is None:
            self._client = XeroClient(self.settings, self.oauth, transport=self.transport)
        return self._client

    @property
    def connector(self) -> XeroConnector:
        return XeroConnector(self.client)

    @property
    def label(self) -> str:
        return "bundled Xero sandbox" if self.sandbox is not None else self.settings.api_url

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self.oauth.close()
        if self.sandbox is not None:
            self.sandbox.close()

    def __enter__(self) -> XeroSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sandbox_settings(sandbox: Any, base: XeroSettings | None = None, origin: str = SANDBOX_ORIGIN) -> XeroSettings:
    """Settings that reach a Xero sandbox (in-process at `origin` unless it is served on a port)."""
    settings = base or XeroSettings()
    token_store = settings.token_store
    if token_store == XeroSettings.token_store:  # never mix sandbox tokens with a real organisation's
        token_store = str(Path(token_store).with_name("xero-sandbox-tokens.enc"))
    return replace(settings, client_id=sandbox.client_id, client_secret=sandbox.client_secret,
                   api_url=f"{origin}/api.xro/2.0", authorize_url=f"{origin}/identity/connect/authorize",
                   token_url=f"{origin}/connect/token", revocation_url=f"{origin}/connect/revocation",
                   connections_url=f"{origin}/connections", redirect_uri="http://127.0.0.1:0/callback",
                   token_store=token_store)


def start_bundled_sandbox(data: str | None = None) -> Any:
    from scorolink.sandbox.xero import XeroSandbox, XeroSandboxConfig

    path = data or os.environ.get(SANDBOX_DATA_ENV) or DEFAULT_SANDBOX_DATA
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return XeroSandbox(XeroSandboxConfig(data=path))


def open_xero(flags: dict[str, Any] | None = None, config_file: str | None = None, *,
              transport: httpx.BaseTransport | None = None) -> XeroSession:
    """The configured Xero app, or the bundled sandbox when none is configured."""
    settings = load_xero_settings(flags, config_file)
    if not settings.configured:
        sandbox = start_bundled_sandbox()
        settings = sandbox_settings(sandbox, settings)
        bridge = SyncASGITransport(sandbox.app)
        oauth = XeroOAuth(settings.app(), TokenStore(settings.token_store, settings.key_file), transport=bridge)
        return XeroSession(settings, oauth, bridge, sandbox)
    settings.validate()
    oauth = XeroOAuth(settings.app(), TokenStore(settings.token_store, settings.key_file), transport=transport)
    return XeroSession(settings, oauth, transport)


def sandbox_browser(session: XeroSession) -> Any:
    """Stands in for the person at the browser: follow the sandbox's consent redirect to our callback."""

    def visit(url: str) -> None:
        answer = session.oauth.http.get(url, follow_redirects=False)
        location = answer.headers.get("location")
        if answer.status_code not in (302, 303) or not location:
            raise AuthenticationFailed(f"the sandbox's authorize page answered HTTP {answer.status_code}",
                                       messages=[answer.text[:200]] if answer.text else [])
        httpx.get(location, timeout=10)  # a real request to the loopback callback server

    return visit


def _open(ctx: typer.Context) -> XeroSession:
    session = open_xero(None, getattr(ctx.obj, "config", None))
    if session.sandbox is not None:
        err.print("[dim]No Xero app configured (XERO_CLIENT_ID and XERO_CLIENT_SECRET): using the bundled Xero "
                  f"sandbox ({os.environ.get(SANDBOX_DATA_ENV) or DEFAULT_SANDBOX_DATA}).[/dim]")
    return session


def _when(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds") if epoch else None


@xero_app.command("connect")
def connect_cmd(
    ctx: typer.Context,
    tenant: Annotated[str | None, typer.Option(help="Tenant id to use when several organisations are connected "
                                                    "(default XERO_TENANT_ID, else the first).")] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Print the sign-in URL instead of opening "
                                                                  "a browser.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the sign-in to finish.")] = 300.0,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Connect a Xero organisation: sign in through the browser (OAuth2 with a local callback), store the tokens
    encrypted (SCOROLINK_SECRET_KEY, or a 0600 key file next to the token store) and pick the tenant."""
    with _open(ctx) as session:
        if session.sandbox is not None:
            opener = sandbox_browser(session)
        else:
            def opener(url: str) -> None:
                err.print(f"Open this address to connect Xero:\n{url}")
                if not no_browser:
                    webbrowser.open(url)
        tokens = session.oauth.connect(opener, tenant_id=tenant or session.settings.tenant_id, timeout=timeout)
        result = {"connected": True, "target": session.label, "tenant_id": tokens.tenant_id,
                  "tenants": [{"tenantId": t.get("tenantId"), "tenantName": t.get("tenantName")} for t in tokens.tenants],
                  "token_expires_at": _when(tokens.expires_at), "token_store": str(session.oauth.store.path),
                  "key": "SCOROLINK_SECRET_KEY" if os.environ.get("SCOROLINK_SECRET_KEY")
                  else str(session.oauth.store.key_file)}
    if as_json:
        emit_json(result)
        return
    name = next((t["tenantName"] for t in result["tenants"] if t["tenantId"] == tokens.tenant_id), "")
    output.stdout_console().print(
        f"[green]Connected[/green] to {name} ({tokens.tenant_id}); {len(tokens.tenants)} organisation(s). "
        f"Tokens encrypted in {result['token_store']} with the key from {result['key']}.")


@xero_app.command("status")
def status_cmd(ctx: typer.Context,
               as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """Show the connected organisation, the token's expiry and the rate budget Xero reports (one API call)."""
    with _open(ctx) as session:
        tokens = session.oauth.tokens()
        client = session.client
        organisation = client.organisation()
        tokens = session.oauth.tokens()  # the call may have refreshed them
        result = {
            "target": session.label, "tenant_id": client.tenant_id,
            "organisation": organisation.get("Name"), "base_currency": organisation.get("BaseCurrency"),
            "token_expires_at": _when(tokens.expires_at), "refresh_token_rotated_at": _when(tokens.rotated_at),
            "scopes": tokens.scope.split(), "rate_budget": client.budget.as_dict(),
            "requests": client.stats.total, "token_store": str(session.oauth.store.path),
        }
    if as_json:
        emit_json(result)
        return
    b = result["rate_budget"]
    output.stdout_console().print(
        f"[green]OK[/green] {result['organisation']} ({result['tenant_id']}, {result['base_currency']}) via "
        f"{result['target']}\n  access token expires {result['token_expires_at']}\n"
        f"  calls left: {b['minute_remaining']} this minute, {b['day_remaining']} today, "
        f"{b['app_minute_remaining']} for the app this minute")


@xero_app.command("tenants")
def tenants_cmd(ctx: typer.Context,
                as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
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


# Last, so that command modules importing this one (xero_sync) find everything above defined even
# when this module is imported before the CLI (the CLI imports every command module as it loads).
from scorolink.cli import app, emit_json, err  # noqa: E402

app.add_typer(xero_app, name="xero")
