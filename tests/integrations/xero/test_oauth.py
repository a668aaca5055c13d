"""OAuth2 against the Xero sandbox: the code flow through a real loopback callback, rotation, the
30-minute grace period after a lost answer, invalid_grant, and tokens encrypted at rest."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import httpx
import pytest

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.errors import AuthenticationFailed
from scorolink.clients.oauth import (
    CallbackServer,
    ReconnectRequired,
    TokenSet,
    TokenStore,
    load_fernet_key,
)
from scorolink.errors import ConfigError
from scorolink.integrations.xero.client import XeroClient
from scorolink.integrations.xero.commands import XeroSession, sandbox_browser
from scorolink.integrations.xero.oauth import XeroOAuth
from tests.integrations.xero.conftest import SandboxSleep, endpoint_counts, make_sandbox, xero_settings


class LoseAnswers(httpx.BaseTransport):
    """Forwards token requests to the sandbox, then loses the first `n` answers (they were processed)."""

    def __init__(self, inner: httpx.BaseTransport, n: int = 1) -> None:
        self.inner, self.n, self.sent = inner, n, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/connect/token") and self.n > 0:
            self.n -= 1
            raise httpx.ReadError("connection reset after the server answered", request=request)
        return response


def token_calls(sb) -> int:
    return sb.stats()["requests"]["by_endpoint"].get("POST connect/token", 0)


@pytest.fixture
def sb():
    sandbox = make_sandbox()
    yield sandbox
    sandbox.close()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TokenStore:
    monkeypatch.delenv("SCOROLINK_SECRET_KEY", raising=False)
    return TokenStore(tmp_path / "xero-tokens.enc")


def connected(sb, store: TokenStore, tmp_path: Path, transport: httpx.BaseTransport | None = None,
              **kw) -> XeroOAuth:
    settings = xero_settings(sb, tmp_path)
    oauth = XeroOAuth(settings.app(), store, transport=transport or SyncASGITransport(sb.app), **kw)
    session = XeroSession(settings, oauth)
    oauth.connect(sandbox_browser(session))
    return oauth


def test_code_flow_through_loopback_callback_stores_encrypted_tokens(sb, store, tmp_path):
    oauth = connected(sb, store, tmp_path)
    tokens = oauth.tokens()
    assert tokens.tenant_id == sb.tenant_ids[0]
    assert {t["tenantId"] for t in tokens.tenants} == set(sb.tenant_ids)
    assert "offline_access" in tokens.scope and tokens.refresh_token
    assert 1700 < tokens.expires_at - time.time() <= 1800
    blob = store.path.read_bytes()
    assert tokens.access_token.encode() not in blob and tokens.refresh_token.encode() not in blob
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.key_file.stat().st_mode) == 0o600
    # The stored set opens again (another process) and reaches the API.
    again = TokenStore(store.path)
    client = XeroClient(xero_settings(sb, tmp_path), XeroOAuth(oauth.app, again, transport=SyncASGITransport(sb.app)),
                        transport=SyncASGITransport(sb.app))
    assert client.organisation()["Name"]
    assert endpoint_counts(sb)["GET Organisation"] == 1


class Record(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.requests = inner, []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.url, request.read()))
        return self.inner.handle_request(request)


def test_pkce_challenge_matches_the_verifier_sent_with_the_code(sb, store, tmp_path):
    import base64
    import hashlib
    from urllib.parse import parse_qs

    recorder = Record(SyncASGITransport(sb.app))
    connected(sb, store, tmp_path, transport=recorder)
    authorize = next(url for url, _ in recorder.requests if url.path.endswith("/authorize"))
    token_form = parse_qs(next(body for url, body in recorder.requests if url.path.endswith("/token")).decode())
    assert authorize.params["code_challenge_method"] == "S256" and authorize.params["state"]
    verifier = token_form["code_verifier"][0]
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert authorize.params["code_challenge"] == expected
    assert token_form["grant_type"] == ["authorization_code"]
    assert "client_secret" not in token_form  # the client authenticates with HTTP Basic


def test_callback_rejects_a_foreign_state():
    with CallbackServer("http://127.0.0.1:0/callback", "expected-state") as cb:
        answer = httpx.get(f"http://127.0.0.1:{cb.port}/callback?code=abc&state=forged")
        assert answer.status_code == 400
        with pytest.raises(AuthenticationFailed, match="state did not match"):
            cb.wait(1)


def test_callback_reports_a_refusal():
    with CallbackServer("http://127.0.0.1:0/callback", "s") as cb:
        httpx.get(f"http://127.0.0.1:{cb.port}/callback?error=access_denied&state=s")
        with pytest.raises(AuthenticationFailed, match="access_denied"):
            cb.wait(1)


def test_refresh_rotates_and_stores_the_new_token_atomically(sb, store, tmp_path):
    oauth = connected(sb, store, tmp_path)
    before = oauth.tokens()
    after = oauth.refresh()
    assert after.refresh_token != before.refresh_token and after.access_token != before.access_token
    assert after.previous_refresh_token == before.refresh_token and after.rotated_at is not None
    assert store.load().refresh_token == after.refresh_token
    assert after.tenant_id == before.tenant_id and after.tenants == before.tenants
    assert not list(tmp_path.glob("*.tmp"))  # no temporary file left behind


def test_lost_refresh_answer_is_retried_with_the_old_token_within_grace(sb, store, tmp_path):
    lossy = LoseAnswers(SyncASGITransport(sb.app), n=0)
    oauth = connected(sb, store, tmp_path, transport=lossy, sleep=SandboxSleep(sb))
    old = oauth.tokens()
    lossy.n = 1
    calls = token_calls(sb)
    fresh = oauth.refresh()
    # Two token calls: the first rotated on the server but its answer was lost; the second used the same
    # (old) refresh token, which the grace period still accepts.
    assert token_calls(sb) == calls + 2
    assert fresh.refresh_token != old.refresh_token
    assert oauth.refresh().refresh_token != fresh.refresh_token  # the newest token works on


def test_lost_refresh_answer_after_the_grace_period_asks_to_reconnect(sb, store, tmp_path):
    lossy = LoseAnswers(SyncASGITransport(sb.app), n=0)

    def slow_sleep(seconds: float) -> None:
        sb.advance_clock(31 * 60)  # the retry comes after the 30-minute grace period

    oauth = connected(sb, store, tmp_path, transport=lossy, sleep=slow_sleep)
    lossy.n = 1
    with pytest.raises(ReconnectRequired, match="scorolink xero connect"):
        oauth.refresh()


def test_invalid_grant_after_revocation_asks_to_reconnect(sb, store, tmp_path):
    oauth = connected(sb, store, tmp_path)
    tokens = oauth.tokens()
    httpx.Client(transport=SyncASGITransport(sb.app)).post(
        oauth.app.revocation_url, data={"token": tokens.refresh_token}, auth=(oauth.app.client_id, oauth.app.client_secret))
    with pytest.raises(ReconnectRequired) as info:
        oauth.refresh()
    assert "invalid_grant" in str(info.value) and "scorolink xero connect" in str(info.value)


def test_expired_access_token_is_refreshed_once_by_the_client(sb, store, tmp_path):
    oauth = connected(sb, store, tmp_path)
    client = XeroClient(xero_settings(sb, tmp_path), oauth, transport=SyncASGITransport(sb.app))
    sb.advance_clock(1900)  # the server sees the access token expired; our clock does not
    calls = token_calls(sb)
    assert client.organisation()
    assert token_calls(sb) == calls + 1
    assert endpoint_counts(sb)["GET Organisation"] == 2  # 401, then the retry


def test_access_token_near_expiry_is_refreshed_before_the_call(sb, store, tmp_path):
    now = [time.time()]
    oauth = connected(sb, store, tmp_path, clock=lambda: now[0])
    calls = token_calls(sb)
    now[0] += 1790
    oauth.access_token()
    oauth.access_token()
    assert token_calls(sb) == calls + 1


def test_a_stale_caller_does_not_rotate_twice(sb, store, tmp_path):
    oauth = connected(sb, store, tmp_path)
    stale = oauth.tokens().access_token
    other = XeroOAuth(oauth.app, TokenStore(store.path), transport=SyncASGITransport(sb.app))
    other.refresh(stale=stale)
    calls = token_calls(sb)
    oauth.refresh(stale=stale)  # someone else already replaced it: use theirs
    assert token_calls(sb) == calls


def test_bad_client_secret_names_the_settings(sb, store, tmp_path):
    from dataclasses import replace

    oauth = connected(sb, store, tmp_path)
    bad = XeroOAuth(replace(oauth.app, client_secret="wrong"), store, transport=SyncASGITransport(sb.app))
    with pytest.raises(AuthenticationFailed, match="XERO_CLIENT_SECRET"):
        bad.refresh()


def test_no_stored_token_asks_to_connect(sb, store, tmp_path):
    oauth = XeroOAuth(xero_settings(sb, tmp_path).app(), store, transport=SyncASGITransport(sb.app))
    with pytest.raises(ReconnectRequired, match="scorolink xero connect"):
        oauth.access_token()


def test_secret_key_from_environment(tmp_path, monkeypatch):
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("SCOROLINK_SECRET_KEY", key)
    store = TokenStore(tmp_path / "t.enc")
    store.save(TokenSet("access", "refresh", time.time() + 1800))
    assert not store.key_file.exists()
    assert Fernet(key.encode()).decrypt(store.path.read_bytes())
    monkeypatch.setenv("SCOROLINK_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(ConfigError, match="Cannot decrypt"):
        store.load()
    monkeypatch.setenv("SCOROLINK_SECRET_KEY", "not-a-key")
    with pytest.raises(ConfigError, match="not a Fernet key"):
        store.load()


def test_key_file_readable_by_others_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("SCOROLINK_SECRET_KEY", raising=False)
    key_file = tmp_path / "secret.key"
    load_fernet_key(key_file)
    os.chmod(key_file, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_fernet_key(key_file)
