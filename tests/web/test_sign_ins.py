"""Sign-ins under way live in the state database: a Connect started on one dashboard process is finished
by another sharing the state database (several workers, or a restart between the redirect and the
callback); each is used once, expires after ten minutes, and an expired, replayed or foreign state gets a
clear page."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from scorolink.integrations.xero.panel import PANEL
from scorolink.runtime.store import ManualClock, SystemClock
from scorolink.web import accounts, create_app
from scorolink.web.sign_ins import SIGN_IN_SECONDS, verifier_of
from scorolink.web.tables import sign_ins
from tests.web.conftest import PASSWORD, post, sign_in

PAGE = "/integrations/xero"


@pytest.fixture(autouse=True)
def no_xero_app(monkeypatch):
    for name in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "XERO_TENANT_ID", "XERO_REDIRECT_URI"):
        monkeypatch.delenv(name, raising=False)


def pending(store):
    with store.begin() as c:
        return c.execute(select(func.count()).select_from(sign_ins)).scalar_one()


def test_a_callback_is_finished_by_another_dashboard_process(client, home, store):
    started = post(client, f"{PAGE}/connect", {"connection": "default"}, page=PAGE)
    assert started.status_code == 303
    state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
    with store.begin() as c:
        row = c.execute(select(sign_ins)).one()
    assert row.state == state and row.connection == "default" and row.expires_at > datetime.now(UTC)
    assert verifier_of(store, state) not in str(tuple(row))  # the verifier is derived, never stored
    assert len(verifier_of(store, state)) == 43

    # a second app over the same state database (another worker, or this one restarted) takes the callback
    other = create_app(store, str(home / "scorolink.toml"))
    with TestClient(other, follow_redirects=False, cookies=client.cookies) as second:
        done = second.get(started.headers["location"])
        assert done.status_code == 303 and done.headers["location"] == PAGE
        assert "Connected Xero" in second.get(PAGE).text
        replay = second.get(started.headers["location"])
        assert replay.status_code == 400 and "used already" in replay.text
    assert client.get(started.headers["location"]).status_code == 400  # nor on the first process
    with PANEL.open(str(home / "scorolink.toml"), None) as session:
        assert session.oauth.tokens().tenant_id
    assert pending(store) == 0


def test_an_expired_sign_in_gets_a_clear_page(home, store):
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    accounts.set_password(store, PASSWORD, SystemClock().now(), actor="test")
    with TestClient(create_app(store, str(home / "scorolink.toml"), clock=clock), follow_redirects=False) as client:
        assert sign_in(client).status_code == 303
        started = post(client, f"{PAGE}/connect", {"connection": "default"}, page=PAGE)
        clock.advance(SIGN_IN_SECONDS + 1)
        late = client.get(started.headers["location"])
        assert late.status_code == 400 and "expired" in late.text and "Press Connect again" in late.text
        assert "Not connected" in client.get(PAGE).text
        # the next Connect drops expired sign-ins and works
        post(client, f"{PAGE}/connect", {"connection": "default"}, page=PAGE)
        again = post(client, f"{PAGE}/connect", {"connection": "default"}, page=PAGE)
        clock.advance(SIGN_IN_SECONDS + 1)
        fresh = post(client, f"{PAGE}/connect", {"connection": "default"}, page=PAGE)
        assert pending(store) == 1  # the two expired ones are gone
        assert client.get(again.headers["location"]).status_code == 400
        assert client.get(fresh.headers["location"]).status_code == 303
        refused = {r["action"] for r in accounts.audit_log(store)}
        assert {"integration sign-in refused", "integration connected"} <= refused


def test_another_session_cannot_take_a_sign_in(client, app, store):
    started = post(client, f"{PAGE}/connect", {"connection": "default"}, page=PAGE)
    with TestClient(app, follow_redirects=False) as stranger:
        assert sign_in(stranger).status_code == 303  # signed in, but not the session that pressed Connect
        refused = stranger.get(started.headers["location"])
        assert refused.status_code == 400 and "not one this session started" in refused.text
    assert pending(store) == 1  # still the starting session's to finish
    assert client.get(started.headers["location"]).status_code == 303
