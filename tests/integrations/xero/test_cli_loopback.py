"""The `scorolink xero` commands against the bundled sandbox, and the client over real loopback HTTP."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from scorolink.cli import app
from scorolink.clients.oauth import TokenStore
from scorolink.connectors.base import Condition, WriteOp
from scorolink.errors import ConfigError
from scorolink.integrations.xero.client import XeroClient, load_xero_settings
from scorolink.integrations.xero.commands import (
    XeroSession,
    open_xero,
    sandbox_browser,
    sandbox_settings,
    xero_app,
)
from scorolink.integrations.xero.connector import XeroConnector
from scorolink.integrations.xero.oauth import XeroOAuth
from tests.integrations.xero.conftest import make_sandbox


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "XERO_TENANT_ID", "SCOROLINK_SECRET_KEY", "SCOROLINK_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_connect_status_tenants_on_the_bundled_sandbox(workdir):
    runner = CliRunner()
    connect = runner.invoke(app, ["xero", "connect", "--json"])
    assert connect.exit_code == 0, connect.output
    assert "bundled Xero sandbox" in connect.stderr
    result = json.loads(connect.stdout)
    assert result["connected"] and len(result["tenants"]) == 2 and result["tenant_id"] == result["tenants"][0]["tenantId"]
    assert result["token_store"].startswith("sqlite:///scorolink-state.db (credentials xero-sandbox/")
    assert not (workdir / ".scorolink" / "xero-sandbox-tokens.enc").exists()  # tokens live in the state database
    assert stat.S_IMODE((workdir / ".scorolink" / "secret.key").stat().st_mode) == 0o600
    # Another process: the sandbox state and the tokens were kept on disk.
    status = runner.invoke(app, ["xero", "status", "--json"])
    assert status.exit_code == 0, status.output
    info = json.loads(status.stdout)
    assert info["tenant_id"] == result["tenant_id"] and info["organisation"]
    assert info["rate_budget"]["minute_remaining"] is not None and info["rate_budget"]["day_remaining"] is not None
    assert info["requests"] == 1
    tenants = runner.invoke(app, ["xero", "tenants", "--json"])
    rows = json.loads(tenants.stdout)
    assert [r["current"] for r in rows] == ["*", ""]


def test_status_before_connect_says_how_to_connect(workdir):
    result = CliRunner().invoke(app, ["xero", "status"])
    assert result.exit_code != 0
    assert "scorolink xero connect" in str(result.exception)


def test_settings_from_toml_and_environment(workdir, monkeypatch):
    (workdir / "scorolink.toml").write_text('[xero]\nclient_id = "abc"\nclient_secret = "s"\npage_size = 500\n'
                                            'tenant_id = "t-1"\n')
    s = load_xero_settings()
    assert s.configured and s.page_size == 500 and s.tenant_id == "t-1"
    monkeypatch.setenv("XERO_TENANT_ID", "t-2")
    assert load_xero_settings().tenant_id == "t-2"
    (workdir / "scorolink.toml").write_text('[xero]\nclientid = "abc"\n')
    with pytest.raises(ConfigError, match="clientid"):
        load_xero_settings()
    (workdir / "scorolink.toml").write_text('[xero]\npage_size = "many"\n')
    with pytest.raises(ConfigError, match="page_size"):
        load_xero_settings()


def test_configured_app_without_secret_is_a_clear_error(workdir, monkeypatch):
    monkeypatch.setenv("XERO_CLIENT_ID", "abc")
    settings = load_xero_settings()
    assert not settings.configured
    with pytest.raises(ConfigError, match="XERO_CLIENT_SECRET"):
        settings.app()


def test_group_is_importable_for_more_commands():
    from scorolink.cli import COMMANDS, load_command

    assert COMMANDS["xero"][0] == "scorolink.integrations.xero.commands" and {"connect", "sync"} <= set(load_command("xero").commands)
    assert any(g.typer_instance is not None for g in xero_app.registered_groups)
    assert open_xero is not None


def test_over_loopback_connect_read_write(tmp_path, monkeypatch):
    monkeypatch.delenv("SCOROLINK_SECRET_KEY", raising=False)
    sb = make_sandbox()
    try:
        with sb.run_in_thread() as origin:
            settings = sandbox_settings(sb, origin=origin)
            settings.token_store = str(tmp_path / "tokens.enc")
            oauth = XeroOAuth(settings.app(), TokenStore(settings.token_store))
            session = XeroSession(settings, oauth)
            oauth.connect(sandbox_browser(session))
            client = XeroClient(settings, oauth)
            conn = XeroConnector(client)
            invoices = list(conn.read("Invoices", [Condition("Type", "=", "ACCPAY")]))
            assert invoices and {r["Type"] for r in invoices} == {"ACCPAY"}
            saved = list(conn.write("Contacts", [WriteOp("insert", {"Name": "Loopback Ltd"}),
                                                 WriteOp("insert", {"Name": "Loopback Ltd"})]))
            assert [r.ok for r in saved] == [True, False]
            oauth.refresh()
            assert client.organisation()["Name"]
            counts = httpx.get(f"{origin}/_sandbox/stats").json()["requests"]["by_endpoint"]
            assert counts["GET Invoices"] == 1 and counts["PUT Contacts"] == 1 and counts["GET Organisation"] == 1
    finally:
        sb.close()
