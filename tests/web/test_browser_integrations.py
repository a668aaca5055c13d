"""Browser test of the integration pages: Debian's Chromium through Selenium against `scorolink serve
--web` (a subprocess), the bundled Scoro sandbox and a Xero sandbox served over loopback HTTP, so the
sign-in goes through the real OAuth redirect — the browser leaves for the sandbox's authorize page and
comes back to the dashboard's callback. Then: configure categories, a preview run in the background and
its plan, "Synchronize now" followed live, the start-date lock after that first sync, and an error seen and dismissed. Screenshots into
docs/screenshots/ (README)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scorolink.sandbox.xero import RateLimit, XeroSandbox, XeroSandboxConfig
from tests.web.test_browser import (  # noqa: F401  (the browser fixture)
    PASSWORD,
    SCOROLINK,
    SHOTS,
    _fill,
    _serve_dashboard,
    _shot,
    _submit,
    _until,
    browser,
)

pytestmark = [pytest.mark.browser, pytest.mark.loopback]


@pytest.fixture
def xero_served() -> Iterator[tuple[XeroSandbox, str]]:
    sb = XeroSandbox(XeroSandboxConfig(seed=1, size=20, rate_limit=RateLimit.off()))
    with sb.run_in_thread() as origin:
        yield sb, origin
    sb.close()


def _env(home: Path) -> dict[str, str]:
    """The subprocesses' environment: the bundled Scoro sandbox kept in `home`, nothing from outside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCORO_", "SCOROLINK_", "XERO_"))}
    env.update(SCOROLINK_CACHE_DIR=str(home / "cache"), SCOROLINK_SANDBOX_DATA=str(home / "scoro.db"),
               SCOROLINK_SANDBOX_SIZE="20")
    return env


@pytest.fixture
def parked_conflict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Before the dashboard starts: `scorolink dbsync Companies` (the manual conflict policy) into a
    SQLite table, then one company renamed on both sides, then a run that parks the conflict."""
    from scorolink.connectors.base import WriteOp
    from scorolink.session import start_bundled_sandbox
    from tests.conftest import make_connector
    from tests.integrations.database.conftest import execute, query

    db = f"sqlite:///{tmp_path / 'tables.db'}"
    config = tmp_path / "scorolink.toml"
    config.write_text(f'[dbsync]\ndb = "{db}"\nconflict = "manual"\n[dbsync.keys]\nCompanies = ["Name"]\n')

    def dbsync() -> None:
        done = subprocess.run([SCOROLINK, "--config", str(config), "dbsync", "Companies"], cwd=tmp_path,
                              env=_env(tmp_path), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr

    dbsync()
    row = query(db, 'SELECT * FROM "Companies" ORDER BY _row_id')[0]
    execute(db, 'UPDATE "Companies" SET "Name" = ? WHERE _row_id = ?', ["Renamed in the table", row["_row_id"]])
    for key, value in _env(tmp_path).items():
        if key.startswith("SCOROLINK_"):
            monkeypatch.setenv(key, value)
    sandbox = start_bundled_sandbox()
    try:
        scoro = make_connector(sandbox)
        assert list(scoro.write("Companies", [WriteOp("update", {"Id": row["Id"], "Name": "Renamed in Scoro"})]))[0].ok
        scoro.close()
    finally:
        sandbox.close()
    dbsync()
    return {"db": db, "row": row}


@pytest.fixture
def dashboard(tmp_path: Path, xero_served: tuple[XeroSandbox, str]) -> Iterator[dict[str, Any]]:
    """`scorolink serve --sandbox --web`: the bundled Scoro sandbox as the default account, and a Xero
    app whose identity and API endpoints are the served Xero sandbox's."""
    xsb, origin = xero_served
    config = tmp_path / "scorolink.toml"
    config.write_text(
        f'[runtime]\nstate = "sqlite:///{tmp_path / "state.db"}"\ntick_seconds = 1\n\n'
        f'[xero]\nclient_id = "{xsb.client_id}"\nclient_secret = "{xsb.client_secret}"\n'
        f'api_url = "{origin}/api.xro/2.0"\nauthorize_url = "{origin}/identity/connect/authorize"\n'
        f'token_url = "{origin}/connect/token"\nrevocation_url = "{origin}/connect/revocation"\n'
        f'connections_url = "{origin}/connections"\nper_minute = 0\n\n'
        f'[dbsync]\ndb = "sqlite:///{tmp_path / "tables.db"}"\nconflict = "manual"\nobjects = ["Companies"]\n'
        '[dbsync.keys]\nCompanies = ["Name"]\n')
    with _serve_dashboard(tmp_path, config, _env(tmp_path)) as served:
        yield {**served, "xero": xsb, "xero_origin": origin}


def _set_password(d: Any, setup: str) -> None:
    """The first-run page: the admin password set, which signs the browser in."""
    from selenium.webdriver.common.by import By

    d.get(setup)
    _fill(d, {"password": PASSWORD, "password2": PASSWORD})
    _submit(d, "Set password")
    _until(lambda: "Admin password set" in d.find_element(By.TAG_NAME, "main").text, "the first-run confirmation")


def test_connect_xero_configure_preview_sync_now_and_dismiss_an_error(
        browser: Any, dashboard: dict[str, Any]) -> None:  # noqa: F811 (the imported fixture)
    from selenium.webdriver.common.by import By

    d, base, xsb = browser, dashboard["url"], dashboard["xero"]
    text = lambda: d.find_element(By.TAG_NAME, "main").text  # noqa: E731

    _set_password(d, dashboard["setup"])

    # connect: the browser goes to the Xero sandbox's authorize page and back to the dashboard's callback
    d.get(base + "/integrations/xero")
    assert "Not connected" in d.find_element(By.ID, "token-health").text
    authorized = lambda: sum(n for k, n in xsb.stats()["requests"]["by_endpoint"].items()  # noqa: E731
                             if "connect/authorize" in k)
    before = authorized()
    _submit(d, "Connect to Xero")
    _until(lambda: "Connected Xero" in text(), "the connected organisation")
    assert d.current_url == base + "/integrations/xero"
    assert authorized() == before + 1  # the browser itself went to the authorize page
    health = d.find_element(By.ID, "token-health").text
    assert "Access token expires" in health and "Present" in health
    assert "Currency check: passed" in d.find_element(By.ID, "currency-check").text
    assert xsb.client_secret not in d.page_source
    _shot(d, "integration-xero")

    # configure the categories: default accounts, tax map, products off
    _fill(d, {"set-default_sales_account": "200", "set-default_expense_account": "400",
              "tax_map": "VAT22=TAX001\nVAT9=OUTPUT2\nVAT0=NONE"})
    products = d.find_element(By.ID, "products-enabled")
    if products.is_selected():
        products.click()
    _submit(d, "Save settings")
    _until(lambda: "Settings saved" in text(), "the saved settings")
    assert not d.find_element(By.ID, "products-enabled").is_selected()
    assert "VAT22=TAX001" in text()
    assert "Locked:" not in text()

    # Xero's books are locked up to a date after every sandbox invoice: Xero refuses them, in its own words
    xsb.set_period_lock(xsb.tenant_ids[0], "2099-12-31")

    # a dry-run preview is a run in the background: its page follows it live, then shows the plan
    _submit(d, "Preview (dry run)")
    _until(lambda: re.search(r"/runs/\d+$", d.current_url), "the preview's run page")
    preview_url = d.current_url
    assert "Xero: preview" in d.find_element(By.ID, "run-result").text
    _until(lambda: d.find_elements(By.ID, "result-summary"), "the preview's result, once its run ended", timeout=180)
    assert d.find_element(By.ID, "run-state").text == "succeeded"
    assert d.find_element(By.ID, "live-status").text.startswith("Finished")  # pushed by the event stream
    assert "Dry run: nothing was written" in d.find_element(By.ID, "result-summary").text
    assert "create in Xero" in d.find_element(By.ID, "ops").text
    d.execute_script("document.getElementById('run-result').scrollIntoView();")
    d.save_screenshot(str(SHOTS / "integration-preview.png"))
    _submit(d, "Synchronize now")
    _until(lambda: re.search(r"/runs/\d+$", d.current_url) and d.current_url != preview_url, "the run page")
    _until(lambda: d.find_element(By.ID, "run-state").text in ("succeeded", "partially_failed", "failed"),
           "the sync run to finish", timeout=180)
    assert "xero sync run" in d.find_element(By.ID, "run-log").text
    _until(lambda: "contacts" in d.find_element(By.ID, "run-done").text, "each category's line on the run page")
    assert "invoices" in d.find_element(By.ID, "run-done").text
    _shot(d, "integration-run")

    # after the initial sync the start dates are locked, with the reason on the page
    d.get(base + "/integrations/xero")
    lock = d.find_element(By.ID, "contacts-lock").text
    assert "Locked: the initial sync used" in lock
    assert not d.find_element(By.ID, "contacts-start").is_enabled()
    d.execute_script("document.getElementById('h-categories').scrollIntoView();")
    d.save_screenshot(str(SHOTS / "integration-categories.png"))

    # the records it could not carry, in Xero's or Scoro's words; dismiss one
    d.find_element(By.ID, "errors-link").click()
    _until(lambda: d.find_elements(By.ID, "errors"), "the errors page")
    rows = d.find_elements(By.CSS_SELECTOR, "#errors tbody tr[id^=error-]")
    assert rows, text()
    first = rows[0].get_attribute("id").removeprefix("error-")
    assert "period lock date" in d.find_element(By.ID, "errors").text
    _shot(d, "integration-errors")
    d.find_element(By.XPATH, f"//button[@aria-label='Dismiss error {first}']").click()
    _until(lambda: f"Error {first} dismissed" in text(), "the dismissal")
    assert not d.find_elements(By.ID, f"error-{first}")
    assert len(d.find_elements(By.CSS_SELECTOR, "#errors tbody tr[id^=error-]")) == len(rows) - 1
    assert xsb.client_secret not in d.page_source


def test_a_database_sync_conflict_settled_from_the_page(browser: Any, parked_conflict: dict[str, Any],  # noqa: F811
                                                        dashboard: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    from tests.integrations.database.conftest import query

    d, base = browser, dashboard["url"]
    text = lambda: d.find_element(By.TAG_NAME, "main").text  # noqa: E731
    _set_password(d, dashboard["setup"])

    d.get(base + "/dbsync")
    assert "manual" in d.find_element(By.ID, "dbsync-config").text
    assert "No run yet" not in d.find_element(By.ID, "dbsync-runs").text
    [row] = d.find_elements(By.CSS_SELECTOR, "#conflict-list tbody tr[id^=conflict-]")
    conflict = row.get_attribute("id").removeprefix("conflict-")
    assert "Renamed in Scoro" in row.text and "Renamed in the table" in row.text
    _shot(d, "dbsync")
    row.find_element(By.XPATH, ".//label[normalize-space()=\"The table's\"]/input").click()
    _submit(d, f"Settle conflict {conflict}")
    _until(lambda: f"Conflict {conflict} settled with the table values" in text(), "the settled conflict")
    assert "No parked conflict." in d.find_element(By.ID, "conflict-list").text
    stored = query(parked_conflict["db"], 'SELECT "Name" FROM "Companies" WHERE _row_id = ?',
                   [parked_conflict["row"]["_row_id"]])
    assert stored[0]["Name"] == "Renamed in the table"


@pytest.fixture
def quickbooks_dashboard(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """`scorolink serve --sandbox --web`: the default Scoro account (the bundled sandbox, in euros) with the
    bundled QuickBooks sandbox (no Intuit app), and a second account `us` — a Scoro sandbox served over
    loopback — whose QuickBooks app is a QuickBooks sandbox served over loopback, so its sign-in goes through
    the real redirect to the sandbox's authorize page (which connects its first company, in dollars)."""
    from scorolink.sandbox.quickbooks import QuickBooksSandbox, QuickBooksSandboxConfig
    from scorolink.sandbox.quickbooks import RateLimit as QuickBooksRateLimit
    from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox
    from scorolink.saved_connections import add_connection

    qsb = QuickBooksSandbox(QuickBooksSandboxConfig(seed=1, size=8, realms=4, rate_limit=QuickBooksRateLimit.off()))
    ssb = ScoroSandbox(SandboxConfig(seed=1, size=20))
    with qsb.run_in_thread() as qb_origin, ssb.run_in_thread() as scoro_origin:
        config = tmp_path / "scorolink.toml"
        config.write_text(f'[runtime]\nstate = "sqlite:///{tmp_path / "state.db"}"\ntick_seconds = 1\n')
        site = ssb.default
        add_connection(str(config), "us", base_url=scoro_origin, company_account_id=site["company_account_ids"][0],
                       api_key=site["api_key"])
        config.write_text(config.read_text() + (
            f'\n[connections.us.quickbooks]\nclient_id = "{qsb.client_id}"\nclient_secret = "{qsb.client_secret}"\n'
            f'api_url = "{qb_origin}/v3/company"\ndiscovery_url = "{qb_origin}/.well-known/openid_configuration"\n'))
        env = {k: v for k, v in _env(tmp_path).items() if not k.startswith("QUICKBOOKS_")}
        env["SCOROLINK_QUICKBOOKS_SANDBOX_DATA"] = str(tmp_path / "quickbooks-sandbox.db")
        with _serve_dashboard(tmp_path, config, env) as served:
            yield {**served, "quickbooks": qsb}
    qsb.close()
    ssb.close()


def test_connect_quickbooks_configure_preview_and_sync_now(
        browser: Any, quickbooks_dashboard: dict[str, Any]) -> None:  # noqa: F811 (the imported fixture)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from scorolink.integrations.settings_file import QUICKBOOKS, load

    d, base, qsb = browser, quickbooks_dashboard["url"], quickbooks_dashboard["quickbooks"]
    home = quickbooks_dashboard["home"]
    page = base + "/integrations/quickbooks"
    text = lambda: d.find_element(By.TAG_NAME, "main").text  # noqa: E731

    _set_password(d, quickbooks_dashboard["setup"])

    # the account `us`: the browser goes to the served sandbox's authorize page and back to the callback;
    # its company keeps its books in dollars, Scoro in euros, so the connection is refused and not kept
    d.get(page + "?connection=us")
    assert "Not connected" in d.find_element(By.ID, "token-health").text
    authorized = lambda: sum(n for k, n in qsb.stats()["requests"]["by_endpoint"].items()  # noqa: E731
                             if "authorize" in k)
    before = authorized()
    _submit(d, "Connect to QuickBooks Online")
    _until(lambda: "cannot be activated while they differ" in text(), "the currency refusal")
    assert authorized() == before + 1  # the browser itself went to the authorize page
    assert "USD" in text() and "EUR" in text()
    d.get(page + "?connection=us")
    assert "Not connected" in d.find_element(By.ID, "token-health").text

    # the default account: the bundled sandbox's company in euros, picked on the page
    d.get(page)
    Select(d.find_element(By.ID, "tenant")).select_by_visible_text("Scorolink Sandbox IE Ltd (EUR)")
    _submit(d, "Connect to QuickBooks Online")
    _until(lambda: "Connected QuickBooks Online" in text(), "the connected company")
    assert d.find_element(By.ID, "home-currency").text.startswith("EUR")
    assert d.find_element(By.ID, "class-tracking").text == "On (per document line)"
    assert not d.find_elements(By.ID, "classes-off")  # the classes row warns only when tracking is off

    # configure: default accounts from QuickBooks' own, tax map, categories, without tax details
    income = Select(d.find_element(By.ID, "set-default_income_account"))
    expense = Select(d.find_element(By.ID, "set-default_expense_account"))
    income.select_by_index(1)
    expense.select_by_index(1)
    chosen = (income.first_selected_option.get_attribute("value"), expense.first_selected_option.get_attribute("value"))
    _fill(d, {"tax_map": "VAT22=23% S\nVAT9=13.5% R\nVAT0=0% Z\nEU=Exempt"})
    for box in ("contacts-enabled", "invoices-enabled", "tax_rates-enabled", "accounts-enabled",
                "set-sync_without_tax"):
        if not d.find_element(By.ID, box).is_selected():
            d.find_element(By.ID, box).click()
    _submit(d, "Save settings")
    _until(lambda: "Settings saved" in text(), "the saved settings")
    config = load(QUICKBOOKS, str(home / "scorolink.toml"))
    assert (config.default_income_account, config.default_expense_account) == chosen
    assert config.sync_without_tax and config.tax_map["EU"] == "Exempt"
    # a tax-map line removed from the page
    d.find_element(By.XPATH, "//input[@name='tax_map_remove' and @value='EU']").click()
    _submit(d, "Save settings")
    _until(lambda: "Settings saved" in text(), "the saved settings")
    assert "EU" not in load(QUICKBOOKS, str(home / "scorolink.toml")).tax_map
    assert "EU=Exempt" not in text()
    d.execute_script("document.getElementById('h-categories').scrollIntoView();")
    d.save_screenshot(str(SHOTS / "integration-quickbooks-categories.png"))

    # automatic: hourly, background items weekly
    d.find_element(By.CSS_SELECTOR, "input[name='sync.mode'][value='automatic']").click()
    Select(d.find_element(By.ID, "sync-schedule")).select_by_visible_text("hourly")
    d.find_element(By.CSS_SELECTOR, "input[name='background.mode'][value='automatic']").click()
    Select(d.find_element(By.ID, "background-schedule")).select_by_visible_text("weekly")
    _submit(d, "Save mode")
    _until(lambda: "background items automatic, weekly" in text(), "the saved mode")
    assert d.find_element(By.ID, "mode-now-sync").text == "automatic, hourly"
    assert load(QUICKBOOKS, str(home / "scorolink.toml")).mode == "automatic"
    _shot(d, "integration-quickbooks")

    # a dry-run preview, then "Synchronize now" from it, followed live
    _submit(d, "Preview (dry run)")
    _until(lambda: d.find_elements(By.ID, "result-summary"), "the preview")
    assert "Dry run: nothing was written" in d.find_element(By.ID, "result-summary").text
    assert "create in QuickBooks" in d.find_element(By.ID, "plan").text
    _submit(d, "Synchronize now")
    _until(lambda: re.search(r"/runs/\d+$", d.current_url), "the run page")
    _until(lambda: d.find_element(By.ID, "run-state").text in ("succeeded", "partially_failed", "failed"),
           "the sync run to finish", timeout=180)
    assert "quickbooks sync run" in d.find_element(By.ID, "run-log").text

    # after the initial sync the start dates are locked, with the reason
    d.get(page)
    assert "Locked: the initial sync used" in d.find_element(By.ID, "contacts-lock").text
    assert not d.find_element(By.ID, "contacts-start").is_enabled()
    assert qsb.client_secret not in d.page_source
