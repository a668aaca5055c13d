"""Intuit OAuth against the QuickBooks sandbox: the discovery document, the code flow through a real loopback
callback naming the realm, tokens per realm encrypted in the state database, refresh-token rotation, a 401
refreshed once, JSON revocation and invalid_grant afterwards."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.oauth import ReconnectRequired, TokenSet
from scorolink.errors import ConfigError
from scorolink.integrations.quickbooks.client import QuickBooksClient
from scorolink.integrations.quickbooks.oauth import QuickBooksOAuth, RealmTokenStore, discover
from scorolink.state.credentials import CredentialStore
from scorolink.state.store import StateStore
from tests.integrations.quickbooks.conftest import SandboxSleep, qb_settings


@pytest.fixture
def credentials(tmp_path: Path):
    store = StateStore(f"sqlite:///{tmp_path}/state.db")
    yield CredentialStore(store, tmp_path / "secret.key")
    store.dispose()


def browser(oauth: QuickBooksOAuth, realm: str):
    """Stands in for the person at the browser: the sandbox approves and redirects to our loopback callback."""

    def visit(url: str) -> None:
        answer = oauth.http.get(url + f"&realmId={realm}", follow_redirects=False)
        assert answer.status_code in (302, 303), answer.text
        httpx.get(answer.headers["location"], timeout=10)

    return visit


def oauth_for(qsb, credentials, realm=None, **kw) -> QuickBooksOAuth:
    settings = qb_settings(qsb)
    transport = SyncASGITransport(qsb.app)
    return QuickBooksOAuth(settings.app(discover(settings.discovery, transport)), RealmTokenStore(credentials, realm),
                           transport=transport, **kw)


def test_endpoints_come_from_the_discovery_document(qsb):
    settings = qb_settings(qsb)
    found = discover(settings.discovery, SyncASGITransport(qsb.app))
    app = settings.app(found)
    assert app.token_url.endswith("/oauth2/v1/tokens/bearer") and app.revocation_url.endswith("/v2/oauth2/tokens/revoke")
    assert app.authorize_url.endswith("/connect/oauth2")


def test_connect_stores_the_tokens_of_the_chosen_realm_encrypted(qsb, credentials, tmp_path):
    realm = qsb.realm_ids[3]
    oauth = oauth_for(qsb, credentials)
    tokens = oauth.connect(browser(oauth, realm), timeout=20)
    assert tokens.tenant_id == realm and oauth.connected_on()
    assert credentials.keys() == [("default", "quickbooks", realm)]
    raw = (tmp_path / "state.db").read_bytes()
    assert tokens.access_token.encode() not in raw and tokens.refresh_token.encode() not in raw
    # a later process, naming no realm, finds the one connected
    again = RealmTokenStore(credentials).load()
    assert again is not None and again.refresh_token == tokens.refresh_token


def test_two_connected_realms_need_the_realm_named(qsb, credentials):
    for realm in qsb.realm_ids[:2]:
        oauth = oauth_for(qsb, credentials)
        oauth.connect(browser(oauth, realm), timeout=20)
    with pytest.raises(ConfigError, match="QUICKBOOKS_REALM_ID"):
        RealmTokenStore(credentials).load()
    assert RealmTokenStore(credentials, qsb.realm_ids[1]).load().tenant_id == qsb.realm_ids[1]


def test_refresh_rotates_the_refresh_token_and_the_old_one_dies(qsb, credentials):
    oauth = oauth_for(qsb, credentials)
    first = oauth.connect(browser(oauth, qsb.realm_ids[0]), timeout=20)
    second = oauth.refresh()
    assert second.refresh_token != first.refresh_token
    assert RealmTokenStore(credentials).load().refresh_token == second.refresh_token
    stale = oauth_for(qsb, credentials)
    stale.store.save(TokenSet(access_token="x", refresh_token=first.refresh_token, tenant_id=qsb.realm_ids[0]))
    with pytest.raises(ReconnectRequired, match="scorolink quickbooks connect"):
        stale.refresh()


def test_an_expired_access_token_is_refreshed_once_by_the_client(qsb, credentials):
    sleep = SandboxSleep(qsb)
    oauth = oauth_for(qsb, credentials)
    oauth.connect(browser(oauth, qsb.realm_ids[3]), timeout=20)
    client = QuickBooksClient(qb_settings(qsb, timeout=20.0), oauth, transport=SyncASGITransport(qsb.app),
                              sleep=sleep, clock=sleep.now)
    before = oauth.tokens()
    qsb.advance_clock(3700)  # the sandbox's access token (1 hour) is dead; ours still looks fresh to us
    oauth.store.save(TokenSet(**{**before.__dict__, "expires_at": time.time() + 3000}))
    info = client.company_info()
    assert info["CompanyName"] == "Scorolink Sandbox IE Ltd"
    assert oauth.tokens().refresh_token != before.refresh_token
    assert oauth.token_requests == 2  # the code exchange and one refresh


def test_revocation_is_json_and_ends_the_grant(qsb, credentials):
    oauth = oauth_for(qsb, credentials)
    tokens = oauth.connect(browser(oauth, qsb.realm_ids[0]), timeout=20)
    oauth.revoke()
    assert credentials.keys() == []
    [revoke] = [r for r in qsb.recent_requests(20) if r["path"].endswith("/revoke")]
    assert revoke["status"] == 200
    again = oauth_for(qsb, credentials)
    again.store.save(tokens)
    with pytest.raises(ReconnectRequired):
        again.refresh()
