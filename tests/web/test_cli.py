"""The commands behind the dashboard: `scorolink connection add | list | test --connection`, and
`scorolink web` serving on its own."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from scorolink.cli import app
from scorolink.errors import ConfigError
from scorolink.runtime.store import StateStore
from scorolink.sandbox.scoro.config import RateLimit
from scorolink.web import accounts

SCOROLINK = str(Path(sys.executable).parent / "scorolink")


def test_connection_add_list_and_test_a_named_connection(home, served, monkeypatch):
    sb, origin = served(rate_limit=RateLimit(per_window=40))
    site = sb.default
    config = str(home / "scorolink.toml")
    runner = CliRunner()
    monkeypatch.setenv("SCORO_API_KEY", site["api_key"])
    added = runner.invoke(app, ["--config", config, "connection", "add", "acme", "--base-url", origin,
                                "--company-account-id", site["company_account_ids"][0]])
    assert added.exit_code == 0, added.output
    monkeypatch.delenv("SCORO_API_KEY")
    assert site["api_key"] not in (home / "scorolink.toml").read_text()
    again = runner.invoke(app, ["--config", config, "connection", "add", "acme", "--base-url", origin,
                                "--company-account-id", "x"], input="k\n")
    assert isinstance(again.exception, ConfigError) and "exists already" in str(again.exception)
    listed = runner.invoke(app, ["--config", config, "connection", "list", "--json"])
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["acme"]["api_key"] == "••••••••" and rows["acme"]["base_url"] == origin
    assert rows["default"]["auth"] == "sandbox"
    tested = runner.invoke(app, ["--config", config, "connection", "test", "--connection", "acme", "--json"])
    assert tested.exit_code == 0, tested.output
    result = json.loads(tested.stdout)
    assert [a["id"] for a in result["accounts"]] == site["company_account_ids"]
    assert result["company_accounts"] == len(site["company_account_ids"])
    assert result["rate_limit"]["per_window"] == 40 and result["timezone"] == site["timezone"]
    assert site["api_key"] not in tested.stdout
    store = StateStore(f"sqlite:///{home / 'state.db'}")
    rows = [r for r in accounts.audit_log(store) if r["action"] == "connection added"]
    store.dispose()
    assert rows and rows[0]["target"] == "acme" and rows[0]["actor"].startswith("cli")


def test_scorolink_web_serves_on_loopback_and_prints_the_setup_address(home):
    from tests.web.test_browser import _free_port, _until

    port = _free_port()
    log = home / "web.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCORO_", "SCOROLINK_"))}
    proc = subprocess.Popen([SCOROLINK, "--config", str(home / "scorolink.toml"), "web", "--port", str(port)],
                            cwd=home, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        setup = _until(lambda: re.search(rf"http://127\.0\.0\.1:{port}/setup\?token=(\S+)", log.read_text()),
                       "the setup address")
        answer = _until(lambda: _get(f"http://127.0.0.1:{port}/jobs"), "the dashboard answering")
        assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/jobs"
        page = httpx.get(setup.group(0))
        assert page.status_code == 200 and setup.group(1) in page.text  # the token fills the form
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, headers={"Accept": "text/html"})
    except httpx.TransportError:
        time.sleep(0.1)
        return None
