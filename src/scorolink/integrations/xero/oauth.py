"""Xero's OAuth 2.0: its endpoints and quirks on top of the generic core (clients/oauth.py).

Wire facts (accounting-apis.md A1):
- authorize at login.xero.com with `response_type=code`, `client_id`, `redirect_uri`, `scope`, `state`
  (PKCE S256 supported); exchange and refresh at identity.xero.com/connect/token, form-encoded, the
  client authenticated with HTTP Basic;
- access tokens live 30 minutes; every refresh returns a new refresh token; when a refresh answer is
  lost, the old refresh token still works for a 30-minute grace period (the core's default);
- tokens belong to a user and an app, not to a tenant: `GET /connections` lists the tenants (a bare JSON
  array), and every API call names one in `xero-tenant-id`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from scorolink.clients.errors import AuthenticationFailed
from scorolink.clients.oauth import OAuthApp, OAuthClient, TokenSet
from scorolink.errors import ConfigError

AUTHORIZE_URL = "https://login.xero.com/identity/connect/authorize"
TOKEN_URL = "https://identity.xero.com/connect/token"
REVOCATION_URL = "https://identity.xero.com/connect/revocation"
CONNECTIONS_URL = "https://api.xero.com/connections"
# Granular scopes are required for apps created from 2 March 2026 (A1); older apps set `scopes`.
DEFAULT_SCOPES = ("offline_access accounting.invoices accounting.payments accounting.contacts "
                  "accounting.settings accounting.attachments")
RECONNECT_HINT = "Reconnect with `scorolink xero connect`"


@dataclass(frozen=True)
class XeroApp(OAuthApp):
    """The app's registration and Xero's identity endpoints (real Xero unless overridden)."""

    scopes: str = DEFAULT_SCOPES
    authorize_url: str = AUTHORIZE_URL
    token_url: str = TOKEN_URL
    revocation_url: str = REVOCATION_URL
    connections_url: str = CONNECTIONS_URL

    provider: ClassVar[str] = "Xero"
    connect_command: ClassVar[str] = "scorolink xero connect"
    redirect_setting: ClassVar[str] = "XERO_REDIRECT_URI"
    credentials_setting: ClassVar[str] = "XERO_CLIENT_ID and XERO_CLIENT_SECRET (developer.xero.com → My Apps)"


class XeroOAuth(OAuthClient):
    """The core flows plus Xero's tenants: connect picks one, and the list is kept with the tokens."""

    app: XeroApp

    def connect(self, open_browser: Callable[[str], Any], *, tenant_id: str | None = None,  # type: ignore[override]
                timeout: float = 300.0, pkce: bool = True) -> TokenSet:
        return super().connect(open_browser, timeout=timeout, pkce=pkce, complete=self.tenants_of(tenant_id))

    def tenants_of(self, tenant_id: str | None) -> Callable[[TokenSet], None]:
        """What a finished sign-in adds: the connected organisations and the one in use."""

        def choose(tokens: TokenSet) -> None:
            tokens.tenants = self.connections(tokens.access_token)
            tokens.tenant_id = choose_tenant(tokens.tenants, tenant_id)

        return choose

    def connections(self, access_token: str | None = None) -> list[dict[str, Any]]:
        """The tenants this user connected to the app: a bare JSON array (A1)."""
        token = access_token or self.access_token()
        response = self.http.get(self.app.connections_url, headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 401 and access_token is None:
            token = self.refresh(stale=token).access_token
            response = self.http.get(self.app.connections_url, headers={"Authorization": f"Bearer {token}"})
        if response.status_code >= 400:
            raise AuthenticationFailed(f"listing connections failed (HTTP {response.status_code})",
                                       status=response.status_code, endpoint="connections", hint=RECONNECT_HINT)
        rows = response.json()
        return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []

    def refresh_tenants(self) -> TokenSet:
        """List the connections again and keep them (and a still-connected default tenant) in the store."""
        tenants = self.connections()
        with self.store.locked():
            tokens = self.tokens()
            tokens.tenants = tenants
            if tokens.tenant_id not in {t.get("tenantId") for t in tenants}:
                tokens.tenant_id = choose_tenant(tenants, None) if tenants else None
            self.store.save(tokens)
        return tokens


def choose_tenant(tenants: list[dict[str, Any]], wanted: str | None) -> str | None:
    ids = [str(t.get("tenantId")) for t in tenants if t.get("tenantId")]
    if wanted:
        if wanted not in ids:
            names = ", ".join(f"{t.get('tenantName')} ({t.get('tenantId')})" for t in tenants) or "none"
            raise ConfigError(f"XERO_TENANT_ID {wanted} is not among the connected organisations: {names}. "
                              "Pick one of those, or connect that organisation with `scorolink xero connect`.")
        return wanted
    return ids[0] if ids else None
