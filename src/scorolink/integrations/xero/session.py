"""Opening a Xero connection: the configured app, or a bundled Xero sandbox when none is configured
(kept on disk, so separate runs see the same organisation) — the Xero side of `scorolink.session`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.oauth import DatabaseTokenStore
from scorolink.integrations.xero.client import XeroClient, XeroSettings, load_xero_settings
from scorolink.integrations.xero.connector import XeroConnector
from scorolink.integrations.xero.oauth import XeroOAuth
from scorolink.sandbox.xero.config import WORKSPACE_DATA, WORKSPACE_DATA_ENV, workspace_data_path
from scorolink.state.credentials import DEFAULT_ACCOUNT

SANDBOX_ORIGIN = "http://xero.sandbox"
SANDBOX_DATA_ENV = WORKSPACE_DATA_ENV
DEFAULT_SANDBOX_DATA = WORKSPACE_DATA


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

    path = data or sandbox_data_path()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return XeroSandbox(XeroSandboxConfig(data=path))


def token_store(settings: XeroSettings, config_file: str | None, integration: str, account: str = DEFAULT_ACCOUNT,
                claims_legacy: bool = True) -> DatabaseTokenStore:
    """Tokens in the state database, per (Scoro account, integration, tenant); a token file of earlier
    versions moves in."""
    from scorolink.state.credentials import CredentialStore
    from scorolink.state.store import StateStore, state_url

    key_file = settings.key_file or Path(settings.token_store).parent / "secret.key"
    credentials = CredentialStore(StateStore(state_url(config_file)), key_file)
    return DatabaseTokenStore(credentials, integration, settings.tenant_id or "", legacy_file=settings.token_store,
                              account=account, claims_legacy=claims_legacy)


def open_xero(flags: dict[str, Any] | None = None, config_file: str | None = None, *,
              transport: httpx.BaseTransport | None = None, account: str = DEFAULT_ACCOUNT) -> XeroSession:
    """The configured Xero app, or the bundled sandbox when none is configured; `account` is the Scoro
    connection whose tokens these are (`flags`: its [connections.NAME.xero] settings)."""
    settings = load_xero_settings(flags, config_file)
    # a named account claims tokens stored before accounts were told apart only for a tenant it names itself
    claims = account == DEFAULT_ACCOUNT or bool((flags or {}).get("tenant_id"))
    if not settings.configured:
        sandbox = start_bundled_sandbox()
        settings = sandbox_settings(sandbox, settings)
        bridge = SyncASGITransport(sandbox.app)
        oauth = XeroOAuth(settings.app(), token_store(settings, config_file, "xero-sandbox", account, claims),
                          transport=bridge)
        return XeroSession(settings, oauth, bridge, sandbox)
    settings.validate()
    oauth = XeroOAuth(settings.app(), token_store(settings, config_file, "xero", account, claims), transport=transport)
    return XeroSession(settings, oauth, transport)
