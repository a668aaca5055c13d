"""Two Scoro accounts connected to two Xero organisations keep their own token sets: connecting the second
neither overwrites nor reads the first's, and each account's sync (a runtime run) calls Xero for its own
organisation with its own tokens. Xero is a sandbox served over loopback HTTP and configured as the app,
so each sign-in goes through the real authorize redirect."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from scorolink.integrations.xero.panel import PANEL
from scorolink.runtime import jobs as runtime_jobs
from scorolink.sandbox.xero import RateLimit, XeroSandbox, XeroSandboxConfig
from scorolink.saved_connections import add_connection
from scorolink.state.credentials import CredentialStore
from tests.web.conftest import post

PAGE = "/integrations/xero"

pytestmark = pytest.mark.loopback


@pytest.fixture
def xero(home, monkeypatch) -> Iterator[XeroSandbox]:
    for name in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "XERO_TENANT_ID", "XERO_REDIRECT_URI"):
        monkeypatch.delenv(name, raising=False)
    sb = XeroSandbox(XeroSandboxConfig(seed=1, size=10, tenants=2, rate_limit=RateLimit.off()))
    with sb.run_in_thread() as origin:
        config = home / "scorolink.toml"
        config.write_text(config.read_text() + (
            f'\n[xero]\nclient_id = "{sb.client_id}"\nclient_secret = "{sb.client_secret}"\n'
            f'api_url = "{origin}/api.xro/2.0"\nauthorize_url = "{origin}/identity/connect/authorize"\n'
            f'token_url = "{origin}/connect/token"\nrevocation_url = "{origin}/connect/revocation"\n'
            f'connections_url = "{origin}/connections"\nper_minute = 0\n'))
        yield sb
    sb.close()


def connect(client, connection: str, tenant: str) -> None:
    """Connect, as the browser does: to Xero's authorize page, and back to the dashboard's callback."""
    started = post(client, f"{PAGE}/connect", {"connection": connection, "tenant": tenant}, page=PAGE)
    assert started.status_code == 303
    consent = httpx.get(started.headers["location"], follow_redirects=False)
    assert consent.status_code in (302, 303)
    back = urlsplit(consent.headers["location"])
    assert back.path == f"{PAGE}/callback" and parse_qs(back.query)["state"]
    done = client.get(f"{back.path}?{back.query}")
    assert done.status_code == 303, done.text


def tokens(home, connection: str):
    with PANEL.open(str(home / "scorolink.toml"), None, connection) as session:
        return session.oauth.tokens()


def xero_calls(sb: XeroSandbox) -> dict[str, int]:
    return dict(sb.stats()["requests"]["by_tenant"])


def test_two_accounts_connected_to_two_organisations_keep_their_own_tokens(client, served, home, store, runner,
                                                                            xero):
    scoro, origin = served()
    # another Scoro company account than the default one's (the bundled sandbox's first)
    add_connection(str(home / "scorolink.toml"), "acme", base_url=origin, api_key=scoro.default["api_key"],
                   company_account_id=scoro.default["company_account_ids"][1])
    first, second = xero.tenant_ids[:2]

    connect(client, "default", first)
    before = tokens(home, "default")
    assert before.tenant_id == first
    acme_page = client.get(f"{PAGE}?connection=acme").text
    assert "Not connected" in acme_page  # the default account's tokens are not the named account's

    connect(client, "acme", second)
    acme, default = tokens(home, "acme"), tokens(home, "default")
    assert acme.tenant_id == second and default.tenant_id == first
    assert (default.access_token, default.refresh_token) == (before.access_token, before.refresh_token)
    assert acme.refresh_token != default.refresh_token
    keys = CredentialStore(store).keys()
    assert ("default", "xero", "") in keys and ("acme", "xero", "") in keys
    assert 'id="tenant">' in client.get(f"{PAGE}?connection=acme").text

    # both sync, each with its own organisation: a run of each account's job
    for connection, mine, other in (("default", first, second), ("acme", second, first)):
        calls = xero_calls(xero)
        queued = post(client, f"{PAGE}/sync", {"connection": connection, "category": "contacts"}, page=PAGE)
        assert queued.status_code == 303, queued.text
        assert runner.wait_idle(120)
        run = runtime_jobs.get_run(store, int(queued.headers["location"].rsplit("/", 1)[1]))
        assert run["connection"] == connection and run["state"] in ("succeeded", "partially_failed"), run["log"]
        after = xero_calls(xero)
        assert after.get(mine, 0) > calls.get(mine, 0), (connection, after)
        assert after.get(other, 0) == calls.get(other, 0), (connection, after)

    # neither token moved: each slot still holds its own set, for its own organisation
    assert tokens(home, "default").refresh_token == default.refresh_token
    assert tokens(home, "acme").refresh_token == acme.refresh_token
    assert (tokens(home, "default").tenant_id, tokens(home, "acme").tenant_id) == (first, second)
