"""`scorolink xero connect | status | sync --connection NAME`: a named Scoro account (served over loopback)
with the bundled Xero sandbox, as the dashboard's account picker does it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from scorolink.cli import app
from scorolink.errors import ConfigError
from scorolink.integrations.xero.commands import connection_flags
from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox
from scorolink.saved_connections import add_connection
from tests.conftest import endpoint_counts


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "XERO_TENANT_ID", "SCOROLINK_SECRET_KEY", "SCOROLINK_CONFIG",
                 "SCOROLINK_STATE_URL", "SCORO_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_a_named_connection_syncs_its_own_scoro_account(workdir):
    config = workdir / "scorolink.toml"
    config.write_text(f'[runtime]\nstate = "sqlite:///{workdir / "state.db"}"\n')
    sandbox = ScoroSandbox(SandboxConfig(seed=1, size=20))
    try:
        with sandbox.run_in_thread() as origin:
            site = sandbox.default
            add_connection(str(config), "acme", base_url=origin, company_account_id=site["company_account_ids"][0],
                           api_key=site["api_key"])
            runner = CliRunner()
            base = ["--config", str(config), "xero"]
            connected = runner.invoke(app, [*base, "connect", "--connection", "acme", "--json"])
            assert connected.exit_code == 0, connected.output
            status = runner.invoke(app, [*base, "status", "--connection", "acme", "--json"])
            assert status.exit_code == 0 and json.loads(status.stdout)["organisation"]
            sandbox.reset_stats()
            preview = runner.invoke(app, [*base, "sync", "--connection", "acme", "--dry-run", "--json"])
            assert preview.exit_code == 0, preview.output
            assert json.loads(preview.stdout)["dry_run"]
            assert sum(endpoint_counts(sandbox).values()) > 0  # the named account was read, over HTTP
            unknown = runner.invoke(app, [*base, "sync", "--connection", "nosuch", "--dry-run"])
            assert isinstance(unknown.exception, ConfigError) and "nosuch" in str(unknown.exception)
    finally:
        sandbox.close()


def test_connection_flags_are_the_connections_xero_table(workdir):
    config = workdir / "scorolink.toml"
    config.write_text('[connections.acme]\nsubdomain = "acme"\ncompany_account_id = "acme"\napi_key = "k"\n'
                      '[connections.acme.xero]\ntenant_id = "t-1"\n')
    assert connection_flags(str(config), "acme") == {"tenant_id": "t-1"}
    assert connection_flags(str(config), None) is None and connection_flags(str(config), "default") is None
    with pytest.raises(ConfigError, match="no \\[connections.beta\\]"):
        connection_flags(str(config), "beta")
