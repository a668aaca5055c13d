"""Opening a QuickBooks connection: the configured app (its endpoints from Intuit's discovery document), or a
bundled QuickBooks sandbox when none is configured (kept on disk, so separate runs see the same companies)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.integrations.quickbooks.client import (
    QuickBooksClient,
    QuickBooksSettings,
    load_quickbooks_settings,
)
from scorolink.integrations.quickbooks.connector import QuickBooksConnector
from scorolink.integrations.quickbooks.oauth import INTEGRATION, QuickBooksOAuth, RealmTokenStore, discover
from scorolink.sandbox.quickbooks.config import (
    WORKSPACE_DATA,
    WORKSPACE_DATA_ENV,
    WORKSPACE_REALMS,
    WORKSPACE_SIZE,
    workspace_data_path,
)
from scorolink.state.credentials import DEFAULT_ACCOUNT

SANDBOX_ORIGIN = "http://quickbooks.sandbox"
SANDBOX_INTEGRATION = "quickbooks-sandbox"  # tokens the bundled sandbox issued, never beside a real company's
SANDBOX_DATA_ENV = WORKSPACE_DATA_ENV
DEFAULT_SANDBOX_DATA = WORKSPACE_DATA


@dataclass
class QuickBooksSession:
    """An open QuickBooks connection: settings, OAuth (tokens of the realm), the client and the connector."""

    settings: QuickBooksSettings
    oauth: QuickBooksOAuth
    transport: httpx.BaseTransport | None = None
    sandbox: Any | None = None  # the bundled QuickBooksSandbox when no app is configured
    _client: QuickBooksClient | None = None
    _connector: QuickBooksConnector | None = None

    @property
    def client(self) -> QuickBooksClient:
        if self._client is None:
            self._client = QuickBooksClient(self.settings, self.oauth, transport=self.transport)
        return self._client

    @property
    def connector(self) -> QuickBooksConnector:
        if self._connector is None:
            self._connector = QuickBooksConnector(self.client)
        return self._connector

    @property
    def label(self) -> str:
        return "bundled QuickBooks sandbox" if self.sandbox is not None else self.settings.base_url

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self.oauth.close()
        if self.sandbox is not None:
            self.sandbox.close()

    def __enter__(self) -> QuickBooksSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sandbox_settings(sandbox: Any, base: QuickBooksSettings | None = None,
                     origin: str = SANDBOX_ORIGIN) -> QuickBooksSettings:
    """Settings that reach a QuickBooks sandbox (in-process at `origin` unless it is served on a port); its
    endpoints come from its discovery document, as Intuit's do."""
    return replace(base or QuickBooksSettings(), client_id=sandbox.client_id, client_secret=sandbox.client_secret,
                   api_url=f"{origin}/v3/company", discovery_url=f"{origin}/.well-known/openid_configuration",
                   authorize_url=None, token_url=None, revocation_url=None,
                   redirect_uri="http://127.0.0.1:0/callback")


def start_bundled_sandbox(data: str | None = None) -> Any:
    from scorolink.sandbox.quickbooks import QuickBooksSandbox, QuickBooksSandboxConfig

    path = data or workspace_data_path()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return QuickBooksSandbox(QuickBooksSandboxConfig(data=path, realms=WORKSPACE_REALMS, size=WORKSPACE_SIZE))


def token_store(settings: QuickBooksSettings, config_file: str | None, integration: str,
                account: str = DEFAULT_ACCOUNT, claims_legacy: bool = True) -> RealmTokenStore:
    """Tokens in the state database, per Scoro account and realm, encrypted."""
    from scorolink.state.credentials import CredentialStore
    from scorolink.state.store import StateStore, state_url

    key_file = settings.key_file or Path(".scorolink") / "secret.key"
    credentials = CredentialStore(StateStore(state_url(config_file)), key_file)
    return RealmTokenStore(credentials, settings.realm_id, integration, account=account, claims_legacy=claims_legacy)


def open_oauth(settings: QuickBooksSettings, store: Any, transport: httpx.BaseTransport | None) -> QuickBooksOAuth:
    endpoints = discover(settings.discovery, transport, settings.timeout) if settings.needs_discovery else None
    return QuickBooksOAuth(settings.app(endpoints), store, transport=transport)


def open_quickbooks(flags: dict[str, Any] | None = None, config_file: str | None = None, *,
                    transport: httpx.BaseTransport | None = None, account: str = DEFAULT_ACCOUNT) -> QuickBooksSession:
    """The configured QuickBooks app, or the bundled sandbox when none is configured; `account` is the Scoro
    connection whose tokens these are (`flags`: its [connections.NAME.quickbooks] settings)."""
    settings = load_quickbooks_settings(flags, config_file)
    # a named account claims tokens stored before accounts were told apart only for a realm it names itself
    claims = account == DEFAULT_ACCOUNT or bool((flags or {}).get("realm_id"))
    if not settings.configured:
        sandbox = start_bundled_sandbox()
        settings = sandbox_settings(sandbox, settings)
        bridge = SyncASGITransport(sandbox.app)
        oauth = open_oauth(settings, token_store(settings, config_file, SANDBOX_INTEGRATION, account, claims), bridge)
        return QuickBooksSession(settings, oauth, bridge, sandbox)
    settings.validate()
    oauth = open_oauth(settings, token_store(settings, config_file, INTEGRATION, account, claims), transport)
    return QuickBooksSession(settings, oauth, transport)
