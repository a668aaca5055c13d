"""The generic OAuth2 core (clients/oauth.py) against the Xero sandbox's identity service over its ASGI
app: the client-credentials grant (Xero's custom connections), and tokens shared through the state
database by two clients (two workers) that refresh once between them, with rotation."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from tests.integrations.xero.conftest import make_sandbox, xero_settings

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.oauth import DatabaseTokenStore, OAuthApp, OAuthClient, ReconnectRequired, TokenSet
from scorolink.state.credentials import CredentialStore
from scorolink.state.store import StateStore


@pytest.fixture
def sb():
    sandbox = make_sandbox()
    yield sandbox
    sandbox.close()


def generic_app(sb, tmp_path: Path, **overrides) -> OAuthApp:
    """The sandbox's endpoints as a plain OAuthApp: nothing Xero-specific in the core's use of them."""
    x = xero_settings(sb, tmp_path).app()
    return OAuthApp(x.client_id, x.client_secret, x.redirect_uri, x.scopes, x.authorize_url, x.token_url,
                    x.revocation_url, **overrides)


def token_calls(sb) -> int:
    return sb.stats()["requests"]["by_endpoint"].get("POST connect/token", 0)


def test_client_credentials_grant(sb, tmp_path, monkeypatch):
    monkeypatch.delenv("SCOROLINK_SECRET_KEY", raising=False)
    client_id, secret = sb.add_custom_connection(sb.tenant_ids[0])
    app = replace(generic_app(sb, tmp_path), client_id=client_id, client_secret=secret, scopes="")
    store = DatabaseTokenStore(CredentialStore(StateStore(f"sqlite:///{tmp_path / 's.db'}"), tmp_path / "k"),
                               "custom", sb.tenant_ids[0])
    client = OAuthClient(app, store, transport=SyncASGITransport(sb.app))
    tokens = client.client_credentials()
    assert tokens.access_token and store.load().access_token == tokens.access_token  # type: ignore[union-attr]
    refused = OAuthClient(replace(app, client_secret="wrong"), store, transport=SyncASGITransport(sb.app))
    with pytest.raises(Exception, match="refused the app's credentials"):
        refused.client_credentials()


def test_two_workers_share_tokens_through_the_state_database_and_refresh_once(sb, tmp_path, monkeypatch):
    monkeypatch.delenv("SCOROLINK_SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'state.db'}"
    reply = sb.issue_token()
    first = TokenSet.from_reply(reply, time.time())
    first.expires_at = time.time() + 5  # within the expiry margin: the next use refreshes
    app = generic_app(sb, tmp_path)

    def worker() -> OAuthClient:
        store = DatabaseTokenStore(CredentialStore(StateStore(url), tmp_path / "secret.key"), "xero", "t")
        return OAuthClient(app, store, transport=SyncASGITransport(sb.app))

    worker().store.save(first)
    before = token_calls(sb)
    a, b = worker(), worker()
    seen: list[str] = []
    threads = [threading.Thread(target=lambda w=w: seen.append(w.access_token())) for w in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert token_calls(sb) - before == 1  # one refresh for all four callers, across both "workers"
    assert len(set(seen)) == 1 and seen[0] != first.access_token
    stored = worker().store.load()
    assert stored is not None and stored.refresh_token != first.refresh_token  # rotated
    assert stored.previous_refresh_token == first.refresh_token
    worker().revoke()
    with pytest.raises(ReconnectRequired, match="not connected to the provider"):
        worker().access_token()
