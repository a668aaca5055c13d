"""Browser tests: Debian's Chromium, driven by Selenium through chromium-driver, against
`scorolink serve --web` started as a subprocess, a Scoro sandbox over loopback HTTP, and the state
database on disk. They go through the main paths (first-run password, sign in, add and test a Scoro
account, add a replication job and watch its run live, run a SQL query) and take the screenshots in
docs/screenshots/ that the README shows.

Without chromium and chromium-driver they are skipped, except under CI (the CI variable set, as
.ci/run does), where they fail: CI installs both, so a skip there would hide a broken dashboard."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scorolink.sandbox.scoro.config import RateLimit

pytestmark = [pytest.mark.browser, pytest.mark.loopback]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCOROLINK = str(Path(sys.executable).parent / "scorolink")
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "a long admin password"
WAIT = 60.0  # seconds any one step may take on a loaded machine before the test fails


def _need_browser() -> None:
    missing = [p for p in (CHROMIUM, DRIVER) if not os.path.exists(p)]
    if missing:
        message = f"{', '.join(missing)} missing: apt-get install chromium chromium-driver (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _until(check: Any, what: str, timeout: float = WAIT) -> Any:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except (NoSuchElementException, StaleElementReferenceException):
            value = None  # the page is being replaced: look again
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def browser() -> Iterator[Any]:
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture
def dashboard(tmp_path: Path, served: Any) -> Iterator[dict[str, Any]]:
    """`scorolink serve --web` on a free port, dispatching every second, with a slow sandbox (a few
    requests per 2-second window) so a run lasts long enough to be watched."""
    sb, origin = served(rate_limit=RateLimit(per_window=3, daily=100000))
    config = tmp_path / "scorolink.toml"
    config.write_text(f'[runtime]\nstate = "sqlite:///{tmp_path / "state.db"}"\ntick_seconds = 1\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCORO_", "SCOROLINK_"))}
    env["SCOROLINK_CACHE_DIR"] = str(tmp_path / "cache")
    with _serve_dashboard(tmp_path, config, env) as served_dashboard:
        yield {**served_dashboard, "sandbox": sb, "origin": origin}


@contextlib.contextmanager
def _serve_dashboard(home: Path, config: Path, env: dict[str, str]) -> Iterator[dict[str, Any]]:
    """`scorolink serve --sandbox --web` (a subprocess in `home`, one worker) on a free port until the end;
    yields its url, the first-run setup address, home and the log it writes."""
    port = _free_port()
    log = home / "serve.log"
    proc = subprocess.Popen([SCOROLINK, "--config", str(config), "serve", "--sandbox", "--web", "--web-port", str(port),
                             "--workers", "1"], cwd=home, env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        setup = _until(lambda: re.search(r"http://\S+/setup\?token=\S+", log.read_text()), "the setup address")
        _until(lambda: _listening(port), "the dashboard to listen")
        yield {"url": f"http://127.0.0.1:{port}", "setup": setup.group(0), "home": home, "log": log}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _shot(driver: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.execute_script("window.scrollTo(0, 0);")
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def _fill(driver: Any, values: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By

    for field, value in values.items():
        box = driver.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)


def _submit(driver: Any, label: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']").click()


def test_sign_in_add_an_account_watch_a_run_live_and_query(browser: Any, dashboard: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    d, base, sb = browser, dashboard["url"], dashboard["sandbox"]
    text = lambda: d.find_element(By.TAG_NAME, "main").text  # noqa: E731

    # first run: the address printed on the console sets the admin password
    d.get(dashboard["setup"])
    assert "Set the admin password" in text()
    _fill(d, {"password": PASSWORD, "password2": PASSWORD})
    _submit(d, "Set password")
    _until(lambda: "Admin password set" in text(), "the first-run confirmation")

    # sign out, and sign in again with the keyboard alone
    _submit(d, "Sign out admin")
    _until(lambda: "/login" in d.current_url, "the sign-in page")
    d.get(base + "/jobs")  # a page needs a session: back to sign-in, then on to the page asked for
    assert "/login?next=/jobs" in d.current_url
    _shot(d, "sign-in")
    from selenium.webdriver.common.keys import Keys

    d.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)
    _until(lambda: d.current_url.endswith("/jobs"), "the jobs page after sign-in")

    # add a Scoro account (the sandbox over loopback, by API key) and test it
    d.get(base + "/connections")
    site = sb.default
    _fill(d, {"name": "acme", "address": dashboard["origin"], "company_account_id": site["company_account_ids"][0],
              "api_key": site["api_key"]})
    _submit(d, "Add account")
    _until(lambda: "Added connection acme" in text(), "the added account")
    row = d.find_element(By.ID, "conn-acme").text
    assert "API key" in row and "••••••••" in row
    assert site["api_key"] not in d.page_source
    _shot(d, "connections")
    d.find_element(By.XPATH, "//button[@aria-label='Test connection acme']").click()
    _until(lambda: "OK:" in text(), "the connection test")
    accounts = d.find_element(By.ID, "accounts").text
    assert all(a in accounts for a in site["company_account_ids"])
    assert "Requests per 2-second window\n3" in d.find_element(By.ID, "rate-limit").text
    assert site["api_key"] not in d.page_source
    _shot(d, "connection-test")

    # add a replication job and run it now: the run page follows it live, without reloading
    mirror = f"sqlite:///{dashboard['home'] / 'mirror.db'}"
    d.get(base + "/jobs")
    d.find_element(By.XPATH, "//select[@id='operation']/option[@value='replicate']").click()
    assert not d.find_element(By.ID, "params-replicate").get_attribute("hidden")
    assert d.find_element(By.ID, "params-export").get_attribute("hidden")  # only the chosen operation's settings
    _fill(d, {"name": "nightly", "schedule": "daily 02:00", "replicate-to": mirror,
              "replicate-objects": "Projects, Tasks, Companies, People", "params": "group=1"})
    d.find_element(By.XPATH, "//select[@id='connection']/option[@value='acme']").click()
    _submit(d, "Add job")
    _until(lambda: "Added job nightly" in text(), "the added job")
    d.find_element(By.XPATH, "//button[@aria-label='Run now nightly']").click()
    _until(lambda: re.search(r"/runs/\d+$", d.current_url), "the run page")
    d.execute_script("window.sameDocument = true;")  # gone if the page were reloaded
    first_state = d.find_element(By.ID, "run-state").text
    assert first_state in ("queued", "running"), first_state
    seen: set[str] = set()

    def finished() -> bool:
        seen.add(d.find_element(By.ID, "run-objects").text)
        return d.find_element(By.ID, "run-state").text == "succeeded"

    _until(finished, "the run to succeed on the live page", timeout=120)
    seen.add(d.find_element(By.ID, "run-objects").text)
    assert d.execute_script("return window.sameDocument === true;")
    assert "4 of 4" in seen and len(seen) >= 3, seen  # progress arrived step by step (e.g. 0, 1, … of 4)
    assert "Finished: succeeded" in d.find_element(By.ID, "live-status").text
    log = d.find_element(By.ID, "run-log").text
    assert all(name in log for name in ("Projects", "Tasks", "Companies", "People"))
    assert int(d.find_element(By.ID, "run-requests").text) > 0
    _shot(d, "run-live")
    d.get(base + "/jobs")
    assert "succeeded" in d.find_element(By.ID, "jobs").text
    _shot(d, "jobs")

    # run a SQL query on the live API, with its plan, and look at the mirror's ERD
    d.get(base + "/data/sql")
    _fill(d, {"sql": "SELECT Id, ProjectName FROM Projects WHERE Id > 1 ORDER BY Id"})
    d.find_element(By.XPATH, "//select[@id='connection']/option[@value='acme']").click()
    _submit(d, "Run")
    _until(lambda: d.find_elements(By.ID, "sql-result"), "the query result")
    assert "2 row(s)" in d.find_element(By.ID, "sql-summary").text
    assert "Projects" in d.find_element(By.ID, "plan").text
    _shot(d, "sql")
    d.get(base + "/data/erd?db=" + mirror)
    assert d.find_elements(By.CSS_SELECTOR, ".erd svg")
    _shot(d, "erd")
    d.get(base + "/data/objects/Invoices")
    assert "DocumentNumber" in text()
    _shot(d, "object")
