"""Opening a Xero connection: the configured app, or a bundled Xero sandbox when none is configured
(kept on disk, so separate runs see the same organisation) — the Xero side of `scorolink.session`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from scorolink.clients.oauth import DatabaseTokenStore
from scorolink.clients.oauth_session import OAuthSession, sandbox_data, state_credentials
from scorolink.integrations.xero.client import XeroClient, XeroSettings, load_xero_settings
from scorolink.integrations.xero.connector import XeroConnector
from scorolink.integrations.xero.oauth import XeroOAuth
from scorolink.sandbox.xero.config import WORKSPACE_DATA, WORKSPACE_DATA_ENV, workspace_data_path
from scorolink.state.credentials import DEFAULT_ACCOUNT

SANDBOX_ORIGIN = "http://xero.sandbox"
SANDBOX_DATA_ENV = WORKSPACE_DATA_ENV
DEFAULT_SANDBOX_DATA = WORKSPACE_DATA


class XeroSession(OAuthSession[XeroSettings, XeroOAuth, XeroClient, XeroConnector]):
    """An open Xero connection: settings, OAuth (tokens), the client for the chosen tenant, the connector."""

    system, integration = "Xero", "xero"
    client_class, connector_class = XeroClient, XeroConnector
    start_sandbox = staticmethod(lambda: start_bundled_sandbox())
    sandbox_settings = staticmethod(lambda sandbox, base: sandbox_settings(sandbox, base))
    open_oauth = staticmethod(lambda settings, config_file, integration, transport, account, claims: XeroOAuth(
        settings.app(), token_store(settings, config_file, integration, account, claims), transport=transport))


def sandbox_settings(sandbox: Any, base: XeroSettings | None = None, origin: str = SANDBOX_ORIGIN) -> XeroSettings:
    """Settings that reach a Xero sandbox (in-process at `origin` unless it is served on a port)."""
    settings = base or XeroSettings()
    token_store = sandbox_token_store(settings)
    return replace(settings, client_id=sandbox.client_id, client_secret=sandbox.client_secret,
                   api_url=f"{origin}/api.xro/2.0", authorize_url=f"{origin}/identity/connect/authorize",
                   token_url=f"{origin}/connect/token", revocation_url=f"{origin}/connect/revocation",
                   connections_url=f"{origin}/connections", redirect_uri="http://127.0.0.1:0/callback",
                   token_store=token_store)


def sandbox_data_path() -> str:
    """The bundled Xero sandbox's state file in this workspace."""
    return workspace_data_path()


def sandbox_token_store(base: XeroSettings | None = None) -> str:
    """Where tokens the bundled sandbox issued are kept: never beside a real organisation's."""
    token_store = (base or XeroSettings()).token_store
    if token_store == XeroSettings.token_store:
        token_store = str(Path(token_store).with_name("xero-sandbox-tokens.enc"))
    return token_store


def start_bundled_sandbox(data: str | None = None) -> Any:
    from scorolink.sandbox.xero import XeroSandbox, XeroSandboxConfig

    return XeroSandbox(XeroSandboxConfig(data=sandbox_data(data, sandbox_data_path)))


def token_store(settings: XeroSettings, config_file: str | None, integration: str, account: str | None = None,
                claims_legacy: bool = True) -> DatabaseTokenStore:
    """Tokens in the state database, per (Scoro account, integration, tenant); a token file of earlier
    versions moves in."""
    key_file = settings.key_file or Path(settings.token_store).parent / "secret.key"
    return DatabaseTokenStore(state_credentials(config_file, key_file), integration, settings.tenant_id or "",
                              legacy_file=settings.token_store, account=account or DEFAULT_ACCOUNT,
                              claims_legacy=claims_legacy)


def open_xero(flags: dict[str, Any] | None = None, config_file: str | None = None, *,
              transport: httpx.BaseTransport | None = None, account: str = DEFAULT_ACCOUNT) -> XeroSession:
    """The configured Xero app, or the bundled sandbox when none is configured; `account` is the Scoro
    connection whose tokens these are (`flags`: its [connections.NAME.xero] settings)."""
    # a named account claims tokens stored before accounts were told apart only for a tenant it names itself
    claims = account == DEFAULT_ACCOUNT or bool((flags or {}).get("tenant_id"))
    return XeroSession.open(load_xero_settings(flags, config_file), config_file, transport=transport,
                            account=account, claims_legacy=claims)
