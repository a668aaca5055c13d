"""`scorolink quickbooks connect | status | configure | sync --connection NAME`: a named Scoro account (a Scoro sandbox served over
loopback) synced with the settings of its own table, [quickbooks_sync.NAME]."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from scorolink.cli import app
from scorolink.errors import ConfigError
from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox
from scorolink.saved_connections import add_connection
from tests.conftest import endpoint_counts


def test_a_named_account_syncs_with_its_own_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("QUICKBOOKS_CLIENT_ID", "QUICKBOOKS_CLIENT_SECRET", "QUICKBOOKS_REALM_ID", "SCOROLINK_SECRET_KEY",
                 "SCOROLINK_CONFIG", "SCOROLINK_STATE_URL", "SCORO_API_KEY", "SCOROLINK_QUICKBOOKS_SANDBOX_DATA"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "scorolink.toml"
    config.write_text(f'[runtime]\nstate = "sqlite:///{tmp_path / "state.db"}"\n')
    sandbox = ScoroSandbox(SandboxConfig(seed=1, size=20))
    runner = CliRunner()
    base = ["--config", str(config), "quickbooks"]
    try:
        with sandbox.run_in_thread() as origin:
            site = sandbox.default
            add_connection(str(config), "acme", base_url=origin, company_account_id=site["company_account_ids"][0],
                           api_key=site["api_key"])
            # the account's own sign-in: its tokens are its own, the default account stays unconnected
            connected = runner.invoke(app, [*base, "connect", "--connection", "acme", "--json"])
            assert connected.exit_code == 0, connected.output
            status = runner.invoke(app, [*base, "status", "--connection", "acme", "--json"])
            assert status.exit_code == 0 and json.loads(status.stdout)["realm_id"] == \
                json.loads(connected.stdout)["realm_id"]
            assert runner.invoke(app, [*base, "status", "--json"]).exit_code != 0
            for args in (("--category", "contacts", "--enable"),
                         ("--mode", "manual", "--default-income-account", "4100", "--default-expense-account",
                          "6000")):
                done = runner.invoke(app, [*base, "configure", "--connection", "acme", *args])
                assert done.exit_code == 0, (done.output, done.exception)
            assert "[quickbooks_sync.acme]" in config.read_text()
            # the default account is not set up: its sync is refused, naming what is missing
            refused = runner.invoke(app, [*base, "sync", "--dry-run"])
            assert isinstance(refused.exception, ConfigError) and "default income account" in str(refused.exception)
            sandbox.reset_stats()
            preview = runner.invoke(app, [*base, "sync", "--connection", "acme", "--dry-run", "--json"])
            assert preview.exit_code == 0, (preview.output, preview.exception)
            result = json.loads(preview.stdout)
            assert result["dry_run"] and result["categories"]["contacts"]["ops"]
            assert sum(endpoint_counts(sandbox).values()) > 0  # the named account was read, over HTTP
    finally:
        sandbox.close()
