"""Opening a QuickBooks connection: the configured app (its endpoints from Intuit's discovery document), or a
bundled QuickBooks sandbox when none is configured (kept on disk, so separate runs see the same companies)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from scorolink.clients.oauth_session import OAuthSession, sandbox_data, state_credentials
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
SANDBOX_INTEGRATION = f"{INTEGRATION}-sandbox"  # tokens the bundled sandbox issued, never beside a real company's
SANDBOX_DATA_ENV = WORKSPACE_DATA_ENV
DEFAULT_SANDBOX_DATA = WORKSPACE_DATA


class QuickBooksSession(OAuthSession[QuickBooksSettings, QuickBooksOAuth, QuickBooksClient, QuickBooksConnector]):
    """An open QuickBooks connection: settings, OAuth (tokens of the realm), the client and the connector."""

    system, integration, address_setting = "QuickBooks", INTEGRATION, "base_url"
    client_class, connector_class = QuickBooksClient, QuickBooksConnector
    start_sandbox = staticmethod(lambda: start_bundled_sandbox())
    sandbox_settings = staticmethod(lambda sandbox, base: sandbox_settings(sandbox, base))
    open_oauth = staticmethod(lambda settings, config_file, integration, transport, account, claims: open_oauth(
        settings, token_store(settings, config_file, integration, account, claims), transport))


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

    return QuickBooksSandbox(QuickBooksSandboxConfig(data=sandbox_data(data, workspace_data_path),
                                                     realms=WORKSPACE_REALMS, size=WORKSPACE_SIZE))


def token_store(settings: QuickBooksSettings, config_file: str | None, integration: str,
                account: str | None = None, claims_legacy: bool = True) -> RealmTokenStore:
    """Tokens in the state database, per Scoro account and realm, encrypted."""
    key_file = settings.key_file or Path(".scorolink") / "secret.key"
    return RealmTokenStore(state_credentials(config_file, key_file), settings.realm_id, integration,
                           account=account or DEFAULT_ACCOUNT, claims_legacy=claims_legacy)


def open_oauth(settings: QuickBooksSettings, store: Any, transport: httpx.BaseTransport | None) -> QuickBooksOAuth:
    endpoints = discover(settings.discovery, transport, settings.timeout) if settings.needs_discovery else None
    return QuickBooksOAuth(settings.app(endpoints), store, transport=transport)


def open_quickbooks(flags: dict[str, Any] | None = None, config_file: str | None = None, *,
                    transport: httpx.BaseTransport | None = None, account: str = DEFAULT_ACCOUNT) -> QuickBooksSession:
    """The configured QuickBooks app, or the bundled sandbox when none is configured; `account` is the Scoro
    connection whose tokens these are (`flags`: its [connections.NAME.quickbooks] settings)."""
    # a named account claims tokens stored before accounts were told apart only for a realm it names itself
    claims = account == DEFAULT_ACCOUNT or bool((flags or {}).get("realm_id"))
    return QuickBooksSession.open(load_quickbooks_settings(flags, config_file), config_file, transport=transport,
                                  account=account, claims_legacy=claims)
