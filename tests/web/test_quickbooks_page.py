"""The QuickBooks settings page against the bundled Scoro and QuickBooks sandboxes: connect through the OAuth
redirect (the company picked; one in another currency refused), the company, currency and class tracking shown,
categories, default accounts from QuickBooks' own, the tax map (lines added and removed), automatic mode with
background items on their own schedule (the same jobs and settings `quickbooks configure` writes), a dry-run
preview, background items only, one record sent, the start-date lock — and a second Scoro account with settings
and record errors of its own (on the Xero page too)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from scorolink.integrations.quickbooks.panel import PANEL
from scorolink.integrations.settings_file import QUICKBOOKS, load
from scorolink.runtime import jobs as runtime_jobs
from scorolink.sync.store import SyncStore
from scorolink.web import accounts
from tests.web.conftest import post
from tests.web.test_integrations import finished

PAGE = "/integrations/quickbooks"


@pytest.fixture(autouse=True)
def no_quickbooks_app(monkeypatch):
    for name in ("QUICKBOOKS_CLIENT_ID", "QUICKBOOKS_CLIENT_SECRET", "QUICKBOOKS_REALM_ID",
                 "QUICKBOOKS_REDIRECT_URI", "QUICKBOOKS_SANDBOX_DATA"):
        monkeypatch.delenv(name, raising=False)


def companies(page: str) -> dict[str, str]:
    """The bundled sandbox's companies offered on the Connect form: name (currency) -> realm id."""
    return {name: realm for realm, name in re.findall(r'<option value="(\d+)"[^>]*>([^<]+\(\w{3}\))</option>', page)}


def connect(client, realm: str, connection: str = "default"):
    started = post(client, f"{PAGE}/connect", {"connection": connection, "tenant": realm}, page=PAGE)
    assert started.status_code == 303
    back = urlsplit(started.headers["location"])
    assert back.path == f"{PAGE}/callback" and parse_qs(back.query)["realmId"] == [realm]
    return client.get(started.headers["location"])


def euro_company(client) -> str:
    found = companies(client.get(PAGE).text)
    assert len(found) == 4, found
    return next(realm for name, realm in found.items() if name.endswith("(EUR)"))


def test_connect_configure_preview_and_sync_quickbooks(client, home, store, runner):
    page = client.get(PAGE)
    assert page.status_code == 200 and "QuickBooks Online integration" in page.text and "Not connected" in page.text
    found = companies(page.text)
    dollars = next(realm for name, realm in found.items() if name.endswith("(USD)"))
    refused = connect(client, dollars)
    assert refused.status_code == 400 and "cannot be activated while they differ" in refused.text
    assert "Not connected" in client.get(PAGE).text  # its tokens were revoked, as `quickbooks connect` does

    done = connect(client, euro_company(client))
    assert done.status_code == 303
    sync_state = SyncStore(store)  # the chart of accounts and the tax rates came at once, as `connect` pulls them
    try:
        assert sync_state.links("quickbooks", "tax_rates") and sync_state.links("quickbooks", "accounts")
        assert not sync_state.links("quickbooks", "contacts")
    finally:
        sync_state.close()
    page = client.get(PAGE).text
    assert "Connected QuickBooks Online" in page and 'id="home-currency">EUR' in page
    assert "Currency check:</strong> passed" in page
    assert re.search(r'id="class-tracking">(On|Off)', page)
    with PANEL.open(str(home / "scorolink.toml"), None) as session:
        tokens = session.oauth.tokens()
        secrets = [tokens.access_token, tokens.refresh_token, session.settings.client_secret]
    assert all(s and s not in page for s in secrets)

    # the default accounts are drop-downs of QuickBooks' income and expense accounts
    income = re.search(r'<select id="set-default_income_account"[^>]*>(.*?)</select>', page, re.S)
    expense = re.search(r'<select id="set-default_expense_account"[^>]*>(.*?)</select>', page, re.S)
    assert income and expense
    income_value = re.findall(r'<option value="([^"]+)"', income.group(1))[0]
    expense_value = re.findall(r'<option value="([^"]+)"', expense.group(1))[0]
    assert 'id="set-sync_without_tax"' in page and "Background item." in page

    # configure as `quickbooks configure` does; a direction QuickBooks' integration does not offer is refused
    saved = post(client, f"{PAGE}/settings", {
        "connection": "default", "default_income_account": income_value, "default_expense_account": expense_value,
        "sync_without_tax": "on", "tax_map": "VAT22=23% S\nVAT9=13.5% R\nVAT0=0% Z\nEU=Exempt",
        "contacts.enabled": "on", "invoices.enabled": "on", "tax_rates.enabled": "on", "accounts.enabled": "on",
        "contacts.direction": "to-quickbooks"}, page=PAGE)
    assert saved.status_code == 303
    toml = (home / "scorolink.toml").read_text()
    assert f'default_income_account = "{income_value}"' in toml and "sync_without_tax = true" in toml
    assert 'VAT22 = "23% S"' in toml and "[quickbooks_sync.invoices]\nenabled = true" in toml
    bad = post(client, f"{PAGE}/settings", {"connection": "default", "projects.direction": "to-quickbooks"},
               page=PAGE)
    assert bad.status_code == 400 and "one way at a time" in bad.text
    assert (home / "scorolink.toml").read_text() == toml

    # a tax-map line is removed from the page (as `--tax-map-remove EU`)
    page = client.get(PAGE).text
    assert 'name="tax_map_remove" value="EU"' in page
    removed = post(client, f"{PAGE}/settings", {"connection": "default", "tax_map_remove": "EU",
                                                "contacts.enabled": "on", "invoices.enabled": "on",
                                                "tax_rates.enabled": "on", "accounts.enabled": "on",
                                                "sync_without_tax": "on"}, page=PAGE)
    assert removed.status_code == 303
    assert load(QUICKBOOKS, str(home / "scorolink.toml")).tax_map == {"VAT22": "23% S", "VAT9": "13.5% R",
                                                                      "VAT0": "0% Z"}

    # the first sync needs a mode: automatic, hourly, with background items weekly — the CLI's jobs and settings
    auto = post(client, f"{PAGE}/schedule", {"connection": "default", "sync.mode": "automatic",
                                             "sync.schedule": "hourly", "background.mode": "automatic",
                                             "background.schedule": "weekly"}, page=PAGE)
    assert auto.status_code == 303
    sync, items = runtime_jobs.get_job(store, "quickbooks-sync"), runtime_jobs.get_job(store, "quickbooks-background")
    assert (sync["schedule_kind"], float(sync["schedule_expr"])) == ("interval", 3600)
    assert (items["schedule_kind"], float(items["schedule_expr"])) == ("interval", 7 * 86400)
    assert items["params"]["background"] is True and sync["operation"] == items["operation"] == "quickbooks_sync"
    config = load(QUICKBOOKS, str(home / "scorolink.toml"))
    assert (config.mode, config.schedule, config.background_schedule) == ("automatic", "hourly", "weekly")
    page = client.get(PAGE).text
    assert "automatic, hourly" in page and "automatic, weekly" in page
    assert post(client, f"{PAGE}/schedule", {"sync.mode": "automatic", "sync.schedule": "every 5m"},
                page=PAGE).status_code == 400

    # a dry-run preview writes nothing; then the background items only; then one record sent
    # (each queues a run of the account's sync job; the runner runs it outside the request)
    preview = finished(client, runner, post(client, f"{PAGE}/sync", {"connection": "default", "dry_run": "1"},
                                            page=PAGE))
    assert "Dry run: nothing was written" in preview.text
    assert "create in QuickBooks" in preview.text
    page = client.get(PAGE).text  # the pull at connect was the initial sync of tax rates and accounts only
    assert 'name="contacts.start_date"' in page and 'id="tax_rates-lock"' in page
    background = finished(client, runner, post(client, f"{PAGE}/sync", {
        "connection": "default", "category": ["tax_rates", "accounts", "classes"]}, page=PAGE))
    assert "Sync run" in background.text
    assert re.search(r"<th scope=\"row\">tax_rates</th>", background.text)
    assert "<th scope=\"row\">contacts</th>" not in background.text
    one = finished(client, runner, post(client, f"{PAGE}/sync", {"connection": "default", "record": "contacts:2"},
                                        page=PAGE))
    assert "record contacts:2" in one.text and "Sync run" in one.text
    wrong = post(client, f"{PAGE}/sync", {"connection": "default", "record": "contacts"}, page=PAGE)
    assert wrong.status_code == 400 and "CATEGORY:quickbooks:ID" in wrong.text

    # a full sync: start dates lock, with the reason
    ran = finished(client, runner, post(client, f"{PAGE}/sync", {"connection": "default"}, page=PAGE))
    assert "Sync run" in ran.text
    page = client.get(PAGE).text
    assert page.count("Locked: the initial sync used") >= 3
    assert 'name="contacts.start_date"' not in page
    locked = post(client, f"{PAGE}/settings", {"connection": "default", "contacts.enabled": "on",
                                               "contacts.start_date": "2030-01-01"}, page=PAGE)
    assert locked.status_code == 400 and "locked after the initial sync" in locked.text

    # manual mode removes nothing the page needs: "Synchronize now" queues a run of quickbooks-sync
    manual = post(client, f"{PAGE}/schedule", {"connection": "default", "sync.mode": "manual",
                                               "background.mode": "manual"}, page=PAGE)
    assert manual.status_code == 303 and load(QUICKBOOKS, str(home / "scorolink.toml")).mode == "manual"
    now = post(client, f"{PAGE}/sync-now", {"connection": "default"}, page=PAGE)
    assert now.status_code == 303 and re.match(r"/runs/\d+$", now.headers["location"])

    errors = client.get(f"{PAGE}/errors")
    assert errors.status_code == 200
    actions = {r["action"] for r in accounts.audit_log(store)}
    assert {"integration connected", "integration configured", "integration schedule set",
            "integration sync now"} <= actions
    for path in (PAGE, f"{PAGE}/errors", "/integrations", "/audit", "/jobs"):
        html = client.get(path).text
        assert all(s not in html for s in secrets), path


def test_class_tracking_off_is_said_on_the_classes_row(client, home, monkeypatch):
    from scorolink.integrations.quickbooks import integration

    connect(client, euro_company(client))
    monkeypatch.setattr(integration.Company, "class_tracking", property(lambda self: False))
    page = client.get(PAGE).text
    assert 'id="class-tracking">Off' in page and 'id="classes-off"' in page
    assert "Class tracking is off in QuickBooks" in page
    monkeypatch.setattr(integration.Company, "class_tracking", property(lambda self: True))
    assert 'id="classes-off"' not in client.get(PAGE).text


def test_a_second_scoro_account_keeps_settings_of_its_own(client, home, store):
    """Two entities, each with its own QuickBooks settings: the page of one never changes the other's."""
    from scorolink.saved_connections import add_connection

    config = str(home / "scorolink.toml")
    add_connection(config, "acme", subdomain="acme", company_account_id="acme", api_key="k" * 20)
    saved = post(client, f"{PAGE}/settings", {"connection": "default", "default_income_account": "4100",
                                              "default_expense_account": "6000", "tax_map": "VAT22=23% S",
                                              "invoices.enabled": "on"}, page=PAGE)
    assert saved.status_code == 303
    acme_page = client.get(f"{PAGE}?connection=acme").text
    assert '<option value="acme" selected>' in acme_page
    assert "has no settings of its own yet" in acme_page and 'value="4100"' in acme_page  # the default's, for now
    assert "Not connected" in acme_page  # its own token slot: the default's company is not its connection
    acme = post(client, f"{PAGE}/settings", {"connection": "acme", "default_income_account": "4200",
                                             "tax_map_remove": "VAT22", "bills.enabled": "on"},
                page=f"{PAGE}?connection=acme")
    assert acme.status_code == 303 and acme.headers["location"] == f"{PAGE}?connection=acme#categories"
    default, own = load(QUICKBOOKS, config), load(QUICKBOOKS, config, "acme")
    assert (default.default_income_account, own.default_income_account) == ("4100", "4200")
    assert default.tax_map == {"VAT22": "23% S"} and own.tax_map == {}
    assert default.categories["invoices"].enabled and not default.categories["bills"].enabled
    assert own.categories["bills"].enabled and not own.categories["invoices"].enabled
    assert own.default_expense_account == "6000"  # copied from the default with its first change
    assert "[quickbooks_sync.acme]" in client.get(f"{PAGE}?connection=acme").text
    # automatic mode for acme: its own jobs and its own mode
    auto = post(client, f"{PAGE}/schedule", {"connection": "acme", "sync.mode": "automatic",
                                             "sync.schedule": "daily", "background.mode": "automatic",
                                             "background.schedule": "daily"}, page=f"{PAGE}?connection=acme")
    assert auto.status_code == 303
    assert load(QUICKBOOKS, config, "acme").mode == "automatic" and load(QUICKBOOKS, config).mode is None
    assert runtime_jobs.get_job(store, "quickbooks-sync-acme")["connection"] == "acme"
    assert runtime_jobs.get_job(store, "quickbooks-background-acme")["params"]["background"] is True


def test_each_account_sees_its_own_record_errors(home, store):
    from scorolink.saved_connections import add_connection

    config = str(home / "scorolink.toml")
    add_connection(config, "acme", subdomain="acme", company_account_id="acme", api_key="k" * 20)
    add_connection(config, "beta", subdomain="beta", company_account_id="beta", api_key="k" * 20)
    state = SyncStore(store)
    try:
        state.set_setting("quickbooks", "scoro_account", "acme")  # the first pair keeps the plain key
        state.set_setting("quickbooks:beta", "scoro_account", "beta")
        state.record_error("quickbooks", "invoices", "b", "7", "validation", "Acme's invoice refused")
        state.record_error("quickbooks:beta", "bills", "b", "8", "validation", "Beta's bill refused")
    finally:
        state.close()
    assert [e["message"] for e in PANEL.errors(store, config, "acme")] == ["Acme's invoice refused"]
    assert [e["message"] for e in PANEL.errors(store, config, "beta")] == ["Beta's bill refused"]
    assert len(PANEL.errors(store)) == 2 and PANEL.errors(store)[0]["refused_by"] == "QuickBooks"


def test_the_xero_page_saves_the_picked_accounts_table_and_removes_tax_map_lines(client, home, monkeypatch):
    from scorolink.integrations.settings_file import XERO
    from scorolink.saved_connections import add_connection

    for name in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "XERO_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    config = str(home / "scorolink.toml")
    add_connection(config, "acme", subdomain="acme", company_account_id="acme", api_key="k" * 20)
    xero = "/integrations/xero"
    assert post(client, f"{xero}/settings", {"connection": "default", "default_sales_account": "200",
                                             "tax_map": "VAT22=TAX001\nVAT9=OUTPUT2"}, page=xero).status_code == 303
    saved = post(client, f"{xero}/settings", {"connection": "acme", "default_sales_account": "4000",
                                              "tax_map_remove": "VAT9"}, page=f"{xero}?connection=acme")
    assert saved.status_code == 303
    assert (load(XERO, config).default_sales_account, load(XERO, config, "acme").default_sales_account) == (
        "200", "4000")
    assert load(XERO, config).tax_map == {"VAT22": "TAX001", "VAT9": "OUTPUT2"}
    assert load(XERO, config, "acme").tax_map == {"VAT22": "TAX001"}
    page = client.get(f"{xero}?connection=acme").text
    assert "<code>[xero_sync.acme]</code>" in page and 'name="tax_map_remove" value="VAT9"' not in page
    unknown = post(client, f"{xero}/settings", {"connection": "acme", "tax_map_remove": "VAT5"},
                   page=f"{xero}?connection=acme")
    assert unknown.status_code == 400 and "has no such Scoro VAT code" in unknown.text
