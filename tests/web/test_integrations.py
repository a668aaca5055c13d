"""The integration pages against the bundled Scoro and Xero sandboxes: connect through the OAuth
redirect and callback, configure categories (and the start-date lock after the first sync), preview,
sync, see and retry or dismiss the record errors; automatic or manual mode as a runtime job."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from scorolink.integrations.xero.panel import PANEL
from scorolink.runtime import jobs as runtime_jobs
from scorolink.sync.store import SyncStore
from scorolink.web import accounts
from tests.web.conftest import post

PAGE = "/integrations/xero"


@pytest.fixture(autouse=True)
def no_xero_app(monkeypatch):
    for name in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "XERO_TENANT_ID", "XERO_REDIRECT_URI"):
        monkeypatch.delenv(name, raising=False)


def connect(client):
    started = post(client, f"{PAGE}/connect", {"connection": "default"}, page=PAGE)
    assert started.status_code == 303
    back = urlsplit(started.headers["location"])
    assert back.path == f"{PAGE}/callback"  # the sandbox's consent sent the browser to our callback
    query = parse_qs(back.query)
    assert query["code"] and query["state"]
    done = client.get(started.headers["location"])
    assert done.status_code == 303 and done.headers["location"] == PAGE
    return client.get(PAGE)


def stored_secrets(home):
    with PANEL.open(str(home / "scorolink.toml"), None) as session:
        tokens = session.oauth.tokens()
        return [tokens.access_token, tokens.refresh_token, session.settings.client_secret]


def finished(client, runner, answer):
    """A page's run: the POST queued it and redirected to its page; the runner ran it outside the request;
    its page once it ended."""
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert re.fullmatch(r"/runs/\d+", location)
    assert runner.wait_idle(120)
    page = client.get(location)
    assert page.status_code == 200 and 'data-src="' not in page.text  # final: its result is on the page
    return page


def test_connect_configure_preview_sync_and_errors(client, home, store, runner):
    page = client.get(PAGE)
    assert page.status_code == 200 and "Not connected" in page.text
    page = connect(client)
    assert "Connected Xero" in page.text
    health = re.search(r'<dl id="token-health">(.*?)</dl>', page.text, re.S).group(1)
    assert "Access token expires" in health and "Refresh token" in health and "Present" in health
    assert "Currency check:" in page.text and "passed" in page.text
    secrets = stored_secrets(home)
    assert all(s and s not in page.text for s in secrets)

    # configure: the same writes as `xero configure`
    saved = post(client, f"{PAGE}/settings", {
        "connection": "default", "default_sales_account": "200", "default_expense_account": "400",
        "tax_map": "VAT22=TAX001\nVAT9=OUTPUT2\nVAT0=NONE", "products.enabled": "", "contacts.enabled": "on",
        "invoices.enabled": "on", "bills.enabled": "on", "receipts.enabled": "on", "tax_rates.enabled": "on",
        "accounts.enabled": "on", "contacts.direction": "to-xero"}, page=PAGE)
    assert saved.status_code == 303
    toml = (home / "scorolink.toml").read_text()
    assert 'default_sales_account = "200"' in toml and 'VAT22 = "TAX001"' in toml
    assert "[xero_sync.products]\nenabled = false" in toml
    bad = post(client, f"{PAGE}/settings", {"connection": "default", "bills.direction": "sideways"}, page=PAGE)
    assert bad.status_code == 400 and "one way at a time" in bad.text
    assert (home / "scorolink.toml").read_text() == toml  # refused before anything was written

    # a dry-run preview, run by the runtime: its plan on the run's page; nothing written
    preview = finished(client, runner, post(client, f"{PAGE}/sync", {"connection": "default", "dry_run": "1"},
                                            page=PAGE))
    assert "Xero: preview" in preview.text and "Dry run: nothing was written" in preview.text
    assert "create in Xero" in preview.text
    assert "Locked:" not in client.get(PAGE).text

    # a real sync (as `xero sync`): records it cannot carry become errors
    ran = finished(client, runner, post(client, f"{PAGE}/sync", {"connection": "default"},
                                        page=PAGE))
    assert "Sync run" in ran.text and "record error(s) open" in ran.text
    page = client.get(PAGE)
    assert page.text.count("Locked: the initial sync used") >= 4
    assert 'id="contacts-start"' in page.text and 'name="contacts.start_date"' not in page.text
    locked = post(client, f"{PAGE}/settings", {"connection": "default", "contacts.enabled": "on",
                                               "contacts.start_date": "2030-01-01"}, page=PAGE)
    assert locked.status_code == 400 and "locked after the initial sync" in locked.text

    errors = client.get(f"{PAGE}/errors")
    ids = re.findall(r'<tr id="error-(\d+)">', errors.text)
    assert ids and "is no Scoro product" in errors.text and "Next retry" in errors.text
    retried = post(client, f"{PAGE}/errors/{ids[0]}/retry", {}, page=f"{PAGE}/errors")
    assert retried.status_code == 303
    dismissed = post(client, f"{PAGE}/errors/{ids[0]}/dismiss", {}, page=f"{PAGE}/errors")
    assert dismissed.status_code == 303
    left = re.findall(r'<tr id="error-(\d+)">', client.get(f"{PAGE}/errors").text)
    assert ids[0] not in left and len(left) == len(ids) - 1
    assert post(client, f"{PAGE}/errors/999999/dismiss", {}, page=f"{PAGE}/errors").status_code == 400
    # a written document whose totals differ: no retry to offer (the same write would say the same)
    state = SyncStore(f"sqlite:///{home / 'state.db'}")
    try:
        state.record_error("xero", "invoices", "b", "3", "totals_differ", "total 829.18 in Scoro, 839.26 in Xero",
                           op="totals", target_id="x-3")
        [standing] = [e["id"] for e in state.errors("xero") if e["kind"] == "totals_differ"]
    finally:
        state.close()
    row = re.search(rf'<tr id="error-{standing}">(.*?)</tr>', client.get(f"{PAGE}/errors").text, re.S).group(1)
    assert "when the record changes" in row and "Retry error" not in row and f"Dismiss error {standing}" in row

    # one record by id, and a category's arrow
    one = finished(client, runner, post(client, f"{PAGE}/sync", {"connection": "default", "record": "contacts:1",
                                                                 "dry_run": "1"}, page=PAGE))
    assert "preview of record contacts:1" in one.text and "Dry run" in one.text
    wrong = post(client, f"{PAGE}/sync", {"connection": "default", "record": "contacts"}, page=PAGE)
    assert wrong.status_code == 400 and "CATEGORY:ID" in wrong.text  # refused before a run is queued
    arrow = finished(client, runner, post(client, f"{PAGE}/sync", {"connection": "default", "category": "contacts"},
                                          page=PAGE))
    assert "sync of contacts" in arrow.text and "Sync run" in arrow.text
    runs = runtime_jobs.list_runs(store, "xero-sync")
    assert len(runs) == 4 and all(r["finished_at"] for r in runs)  # on the Runs page, as the integration's job
    assert runtime_jobs.get_job(store, "xero-sync")["params"] == {"config": str(home / "scorolink.toml")}

    # manual mode: "Synchronize now" queues a run of the integration's job; automatic: every 5 minutes
    now = finished(client, runner, post(client, f"{PAGE}/sync-now", {"connection": "default"}, page=PAGE))
    assert "Xero: sync" in now.text and "Sync run" in now.text
    job = runtime_jobs.get_job(store, "xero-sync")
    assert job["operation"] == "xero_sync" and job["schedule_kind"] == "manual"
    auto = post(client, f"{PAGE}/schedule", {"connection": "default", "sync.mode": "automatic",
                                              "sync.schedule": "every 5m"}, page=PAGE)
    assert auto.status_code == 303
    job = runtime_jobs.get_job(store, "xero-sync")
    assert job["schedule_kind"] == "interval" and float(job["schedule_expr"]) == 300
    assert "automatic, every 5m" in client.get(PAGE).text
    assert post(client, f"{PAGE}/schedule", {"sync.mode": "automatic", "sync.schedule": "every 1m"},
                page=PAGE).status_code == 400
    manual = post(client, f"{PAGE}/schedule", {"sync.mode": "manual"}, page=PAGE)
    assert manual.status_code == 303 and runtime_jobs.get_job(store, "xero-sync")["schedule_kind"] == "manual"

    # every change is in the audit log; no page shows a secret
    actions = {r["action"] for r in accounts.audit_log(store)}
    assert {"integration connected", "integration configured", "integration error dismiss",
            "integration error retry", "integration schedule set", "integration sync now"} <= actions
    for path in (PAGE, f"{PAGE}/errors", "/integrations", "/audit", "/jobs", "/dbsync"):
        html = client.get(path).text
        assert all(s not in html for s in stored_secrets(home)), path


def test_a_preview_is_a_run_the_request_only_queues(home, store, runner):
    """Under `scorolink web` alone nothing runs in the request: the POST answers with the queued run's page;
    a runner (here the local one, as `scorolink serve` has it) does the work; the run's page then shows
    the plan, its live stream ends, and run.js's fragment carries the same result."""
    from starlette.testclient import TestClient

    from scorolink.runtime.store import SystemClock
    from scorolink.web import create_app
    from tests.web.conftest import PASSWORD, sign_in

    accounts.set_password(store, PASSWORD, SystemClock().now(), actor="test")
    with TestClient(create_app(store, str(home / "scorolink.toml")), follow_redirects=False) as client:
        assert sign_in(client).status_code == 303
        connect(client)
        queued = post(client, f"{PAGE}/sync", {"connection": "default", "dry_run": "1",
                                               "category": "contacts"}, page=PAGE)
        assert queued.status_code == 303
        run_id = int(queued.headers["location"].rsplit("/", 1)[1])
        run = runtime_jobs.get_run(store, run_id)
        assert (run["state"], run["slices"], run["started_at"]) == ("queued", 0, None)  # not run by the request
        assert run["params"]["dry_run"] is True and run["params"]["categories"] == ["contacts"]
        waiting = client.get(queued.headers["location"]).text
        assert 'id="queued-hint"' in waiting and f'data-src="/runs/{run_id}/result"' in waiting
        assert "The result shows here when the run ends" in waiting
        assert client.get(f"/runs/{run_id}/result").status_code == 400  # no result yet

        runner.run_until_idle()
        with client.stream("GET", f"/runs/{run_id}/events") as events:
            stream = "".join(events.iter_text())
        assert "event: progress" in stream and 'event: end\ndata: {"state": "succeeded"}' in stream
        done = runtime_jobs.get_run(store, run_id)
        assert done["counts"] == {} and any("xero sync dry run" in line["message"] for line in done["log"])
        page = client.get(queued.headers["location"]).text
        assert "Xero: preview of contacts" in page and "Dry run: nothing was written" in page
        assert 'id="ops"' in page and "create in Xero" in page and 'id="queued-hint"' not in page
        fragment = client.get(f"/runs/{run_id}/result")
        assert fragment.status_code == 200 and "<html" not in fragment.text and "create in Xero" in fragment.text
        assert f'<a href="/runs/{run_id}">' in client.get("/runs").text
        assert {r["action"] for r in accounts.audit_log(store)} >= {"integration preview of contacts"}


def test_a_callback_this_session_did_not_start_is_refused(client, anonymous):
    forged = client.get(f"{PAGE}/callback?code=abc&state=made-up")
    assert forged.status_code == 400 and "not one this session started" in forged.text
    started = post(client, f"{PAGE}/connect", {"connection": "default"}, page=PAGE)
    # another browser (no session) cannot land the code; this session's stays usable once
    assert anonymous.get(started.headers["location"], headers={"Accept": "text/html"}).status_code == 303
    refused = client.get(started.headers["location"].replace("state=", "state=x"))
    assert refused.status_code == 400
    done = client.get(started.headers["location"])
    assert done.status_code == 303
    assert client.get(started.headers["location"]).status_code == 400  # a state is used once


def test_the_index_lists_every_known_integration(client):
    page = client.get("/integrations")
    assert page.status_code == 200
    assert 'href="/integrations/xero"' in page.text and "QuickBooks" in page.text
    unknown = client.get("/integrations/nosuch")
    assert unknown.status_code == 400 and "No integration &#39;nosuch&#39;" in unknown.text


def test_the_page_is_drawn_from_the_description(client, store, monkeypatch):
    """An integration with background items on their own schedule, several automatic schedules and a
    flag (QuickBooks' shape), described over Xero's operations: the page offers what it describes."""
    from dataclasses import replace

    from scorolink.integrations.panel import Schedules, Setting
    from scorolink.web.pages import integrations

    choices = ("hourly", "daily 02:00", "weekly mon 02:00")
    background = {"tax_rates", "accounts", "tracking"}
    described = replace(PANEL, schedules=Schedules(automatic=choices, background=choices),
                        categories=tuple(replace(c, background=c.name in background) for c in PANEL.categories),
                        settings=(*PANEL.settings, Setting("sync_without_tax", "Sync documents without tax details",
                                                           flag=True)))
    monkeypatch.setattr(integrations, "panel_of", lambda name: described)
    page = client.get(PAGE).text
    assert 'id="mode-background"' in page and "Sync background items only" in page
    assert page.count('<option value="weekly mon 02:00"') == 2  # the sync's choices and the background items'
    assert 'type="checkbox" id="set-sync_without_tax"' in page
    assert page.count("Background item.") == 3
    saved = post(client, f"{PAGE}/schedule", {"sync.mode": "automatic", "sync.schedule": "daily 02:00",
                                              "background.mode": "automatic", "background.schedule": "hourly"},
                 page=PAGE)
    assert saved.status_code == 303
    sync, items = runtime_jobs.get_job(store, "xero-sync"), runtime_jobs.get_job(store, "xero-background")
    assert (sync["schedule_kind"], items["schedule_kind"]) == ("daily", "hourly")
    assert set(items["params"]["categories"]) == background and "categories" not in sync["params"]
    page = client.get(PAGE).text
    assert "automatic, daily 02:00" in page and "automatic, hourly" in page
    refused = post(client, f"{PAGE}/schedule", {"sync.mode": "automatic", "sync.schedule": "every 5m"}, page=PAGE)
    assert refused.status_code == 400 and "hourly or daily 02:00 or weekly mon 02:00" in refused.text


def test_no_page_shows_a_secret(client, app, home, store, runner):
    """Every page (each GET route, with its sample parameters) after Xero is connected, a sync ran, and
    a Scoro account with an API key and a second one with a password were added."""
    import re as regex

    from sqlalchemy import text
    from starlette.routing import Route

    from scorolink.saved_connections import add_connection

    config = str(home / "scorolink.toml")
    add_connection(config, "acme", subdomain="acme", company_account_id="acme", api_key="scoro-api-key-0123456789")
    add_connection(config, "beta", subdomain="beta", company_account_id="beta", username="ann",
                   password="a-scoro-password-987")
    connect(client)
    post(client, f"{PAGE}/settings", {"connection": "default", "default_sales_account": "200",
                                      "default_expense_account": "400", "tax_map": "VAT22=TAX001"}, page=PAGE)
    finished(client, runner, post(client, f"{PAGE}/sync", {"connection": "default", "dry_run": "1"}, page=PAGE))
    finished(client, runner, post(client, f"{PAGE}/sync", {"connection": "default", "category": "contacts"}, page=PAGE))
    run = post(client, f"{PAGE}/sync-now", {"connection": "default"}, page=PAGE).headers["location"].rsplit("/", 1)[1]
    assert runner.wait_idle(120)
    with store.begin() as c:
        stored = [c.execute(text("SELECT value FROM web_settings WHERE name = 'session_key'")).scalar(),
                  c.execute(text("SELECT password_hash FROM web_users")).scalar()]
    secrets = [*stored_secrets(home), *stored, "scoro-api-key-0123456789", "a-scoro-password-987"]
    assert all(secrets)
    sample = {"name": "xero", "run": run, "id": "1"}
    pages = {"/data/objects/Invoices", f"{PAGE}/errors", "/integrations/quickbooks"}
    for route in app.routes:
        if isinstance(route, Route) and "GET" in route.methods and not route.path.endswith("/events"):
            pages.add(regex.sub(r"{(\w+)(:\w+)?}", lambda m: sample[m.group(1)], route.path))
    pages -= {f"{PAGE}/callback", "/data/objects/xero"}  # a sign-in's landing page; not an object
    assert len(pages) >= 15
    for path in sorted(pages):
        answer = client.get(path)
        assert answer.status_code in (200, 303), (path, answer.status_code)
        html = answer.text
        leaked = [s[:6] + "…" for s in secrets if s in html]
        assert not leaked, (path, leaked)
