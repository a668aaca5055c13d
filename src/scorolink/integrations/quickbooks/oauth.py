"""Intuit's OAuth 2.0 on top of the generic core (clients/oauth.py).

Wire facts (accounting-apis.md B1):
- the endpoints come from a discovery document (production and sandbox documents differ, the token
  endpoint is the same); authorize with `response_type=code`, `client_id`, `redirect_uri`, `scope`,
  `state`; the callback adds **`realmId`**, the company the user picked;
- code exchange and refresh are form posts with the client in HTTP Basic; access tokens live one hour;
  every refresh may return a new refresh token and the newest must be kept (the core stores it at once);
  a dead refresh token answers 400 `invalid_grant`;
- revocation is a **JSON** body `{"token": …}` with Basic auth (the core sends a form: overridden here).

Tokens are kept per Scoro account and realm in the state database (integration `quickbooks`, tenant = realm id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from scorolink.clients.errors import AuthenticationFailed, Unavailable
from scorolink.clients.oauth import DatabaseTokenStore, OAuthApp, OAuthClient, TokenSet
from scorolink.errors import ConfigError

PRODUCTION_DISCOVERY = "https://developer.intuit.com/.well-known/openid_configuration/"
SANDBOX_DISCOVERY = "https://developer.intuit.com/.well-known/openid_sandbox_configuration/"
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
INTEGRATION = "quickbooks"


@dataclass(frozen=True)
class QuickBooksApp(OAuthApp):
    scopes: str = ACCOUNTING_SCOPE

    provider: ClassVar[str] = "QuickBooks"
    connect_command: ClassVar[str] = "scorolink quickbooks connect"
    redirect_setting: ClassVar[str] = "QUICKBOOKS_REDIRECT_URI"
    credentials_setting: ClassVar[str] = ("QUICKBOOKS_CLIENT_ID and QUICKBOOKS_CLIENT_SECRET "
                                          "(developer.intuit.com → My Apps → Keys & credentials)")


def discover(url: str, transport: httpx.BaseTransport | None = None, timeout: float = 30.0) -> dict[str, str]:
    """The endpoints a discovery document names (authorization, token, revocation, userinfo, issuer)."""
    try:
        if transport is None:
            response = httpx.get(url, headers={"Accept": "application/json"}, timeout=timeout)
        else:  # a shared transport (a sandbox in-process) is used, not closed with a client of its own
            response = transport.handle_request(httpx.Request("GET", url, headers={"Accept": "application/json"}))
            response.read()
    except httpx.TransportError as exc:
        raise Unavailable(f"Intuit's discovery document could not be read: {type(exc).__name__}",
                          endpoint="discovery", hint=f"Check discovery_url ({url})") from exc
    if response.status_code != 200:
        raise Unavailable(f"Intuit's discovery document answered HTTP {response.status_code}", endpoint="discovery",
                          hint=f"Check discovery_url ({url})")
    try:
        doc = response.json()
    except ValueError as exc:
        raise Unavailable("Intuit's discovery document is not JSON", endpoint="discovery") from exc
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "revocation_endpoint") if not doc.get(k)]
    if missing:
        raise Unavailable(f"Intuit's discovery document lacks {', '.join(missing)}", endpoint="discovery")
    return {k: str(v) for k, v in doc.items() if isinstance(v, str)}


class RealmTokenStore(DatabaseTokenStore):
    """The token set of one QuickBooks company (realm) of one Scoro account. Without a realm named, the one
    realm that account connected is used; a sign-in saves under the realm its callback named."""

    def __init__(self, credentials: Any, realm: str | None = None, integration: str = INTEGRATION, *,
                 account: str = "default", claims_legacy: bool = True) -> None:
        super().__init__(credentials, integration, realm or "", account=account, claims_legacy=claims_legacy)

    def realms(self) -> list[str]:
        from scorolink.state.credentials import LEGACY_ACCOUNT

        mine = {self.account, LEGACY_ACCOUNT} if self.claims_legacy else {self.account}
        return sorted({t for a, i, t in self.credentials.keys() if a in mine and i == self.integration and t})

    def _resolve(self) -> None:
        if self.tenant:
            return
        realms = self.realms()
        if len(realms) > 1:
            raise ConfigError(f"Several QuickBooks companies are connected ({', '.join(realms)}): set "
                              "QUICKBOOKS_REALM_ID (or realm_id under [quickbooks]) to the one to use.")
        if realms:
            self.tenant = realms[0]

    def load(self) -> TokenSet | None:
        self._resolve()
        return super().load() if self.tenant else None

    def save(self, tokens: TokenSet) -> None:
        if tokens.tenant_id and tokens.tenant_id != self.tenant:
            self.tenant = tokens.tenant_id
        super().save(tokens)

    def locked(self) -> Any:
        self._resolve()
        return super().locked()


class QuickBooksOAuth(OAuthClient):
    """The core flows plus Intuit's realm (from the callback) and its JSON revocation."""

    app: QuickBooksApp

    def connect(self, open_browser: Callable[[str], Any], *, timeout: float = 300.0,  # type: ignore[override]
                pkce: bool = False) -> TokenSet:
        return super().connect(open_browser, timeout=timeout, pkce=pkce, complete=self.take_realm)

    def take_realm(self, tokens: TokenSet) -> None:
        """The company the sign-in picked, from the callback's `realmId` (`callback_params`), kept with the
        tokens: by `connect` and by the dashboard's callback page."""
        realm = self.callback_params.get("realmId")
        if not realm:
            raise AuthenticationFailed("Intuit's callback named no company (realmId)",
                                       hint=f"Run `{self.app.connect_command}` again and pick a company")
        tokens.tenant_id = realm
        tokens.tenants = [{"tenantId": realm, "createdDateUtc": datetime.now(UTC).isoformat()}]

    def connected_on(self) -> str | None:
        """When this realm was first connected (ISO), kept with the tokens."""
        tokens = self.store.load()
        if tokens is None:
            return None
        return next((str(t.get("createdDateUtc")) for t in tokens.tenants if t.get("createdDateUtc")), None)

    def revoke(self) -> None:
        tokens = self.store.load()
        if tokens and tokens.refresh_token:
            self.http.post(self.app.revocation_url, json={"token": tokens.refresh_token},
                           auth=(self.app.client_id, self.app.client_secret))
        self.store.clear()
