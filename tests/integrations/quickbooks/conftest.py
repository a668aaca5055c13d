"""Fixtures: a fresh QuickBooks sandbox per test (four companies: the fourth keeps its books in euros, as the
Scoro sandbox does), reached in-process by our OAuth client, wire client and connector. Waiting is done on the
sandbox's clock (`sleep` advances it), so throttles and token expiry take no wall time."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.oauth import MemoryTokenStore, TokenSet
from scorolink.integrations.quickbooks.client import QuickBooksClient, QuickBooksSettings
from scorolink.integrations.quickbooks.connector import QuickBooksConnector
from scorolink.integrations.quickbooks.oauth import QuickBooksOAuth, discover
from scorolink.integrations.quickbooks.session import sandbox_settings
from scorolink.sandbox.quickbooks import QuickBooksSandbox, QuickBooksSandboxConfig, RateLimit
from tests.fixtures import SandboxSleep, fixture_chain

EURO = 3  # index of the sandbox's euro company


def make_sandbox(**config: Any) -> QuickBooksSandbox:
    config.setdefault("seed", 1)
    config.setdefault("size", 12)
    config.setdefault("realms", 4)
    config.setdefault("rate_limit", RateLimit.off())
    return QuickBooksSandbox(QuickBooksSandboxConfig(**config))


def qb_settings(sandbox: QuickBooksSandbox, origin: str = "http://quickbooks.sandbox", **overrides: Any
                ) -> QuickBooksSettings:
    return replace(sandbox_settings(sandbox, origin=origin), **overrides)


def make_oauth(sandbox: QuickBooksSandbox, settings: QuickBooksSettings, transport: Any, realm: str,
               **kw: Any) -> QuickBooksOAuth:
    """An OAuth client holding a token the sandbox issued for `realm` (the browser step skipped), in memory."""
    tokens = TokenSet.from_reply(sandbox.issue_token(realm), time.time())
    tokens.tenant_id = realm
    endpoints = discover(settings.discovery, transport)
    return QuickBooksOAuth(settings.app(endpoints), MemoryTokenStore(tokens), transport=transport, **kw)


def make_client(sandbox: QuickBooksSandbox, realm_index: int = EURO, *, sleep: SandboxSleep | None = None,
                transport: Any = None, origin: str = "http://quickbooks.sandbox", **settings: Any) -> QuickBooksClient:
    settings.setdefault("timeout", 20.0)
    s = qb_settings(sandbox, origin, **settings)
    transport = transport or SyncASGITransport(sandbox.app)
    sleep = sleep or SandboxSleep(sandbox)
    realm = sandbox.realm_ids[realm_index]
    oauth = make_oauth(sandbox, s, transport, realm, sleep=sleep)
    return QuickBooksClient(s, oauth, transport=transport, sleep=sleep, clock=sleep.now, seed=1)


def make_connector(client: QuickBooksClient) -> QuickBooksConnector:
    sleep = client.layer.sleep
    return QuickBooksConnector(client, clock=getattr(sleep, "wall", time.time))


def endpoint_counts(sandbox: QuickBooksSandbox) -> dict[str, int]:
    return dict(sandbox.stats()["requests"]["by_endpoint"])


qsb, qclient, qconn = fixture_chain(("qsb", make_sandbox), ("qclient", make_client), ("qconn", make_connector))


def make_session(sandbox: QuickBooksSandbox, realm_index: int = EURO, **settings: Any) -> Any:
    """An open QuickBooksSession over `make_client` (what the CLI and the runtime hand the sync)."""
    from scorolink.integrations.quickbooks.session import QuickBooksSession

    client = make_client(sandbox, realm_index, **settings)
    return QuickBooksSession(client.settings, client.oauth, _client=client, _connector=make_connector(client))
