"""Services never fall back to the bundled sandbox silently: `serve`, `worker` and `beat` refuse to start
without credentials unless given --sandbox, and name the missing settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from scorolink.cli import app
from scorolink.errors import ConfigError
from scorolink.runtime.connections import ConfiguredConnections, refuse_silent_sandbox


@pytest.fixture
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for var in ("SCOROLINK_CONFIG", "SCOROLINK_STATE_URL", "SCORO_API_KEY", "SCORO_USERNAME", "SCORO_PASSWORD",
                "SCORO_BASE_URL", "SCORO_SUBDOMAIN", "SCORO_COMPANY_ACCOUNT_ID"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


@pytest.mark.parametrize("service", ["serve", "worker", "beat"])
def test_services_refuse_the_bundled_sandbox_and_name_the_missing_settings(bare: Path, service: str) -> None:
    result: Any = CliRunner().invoke(app, [service, "--broker", "redis://127.0.0.1:1/0"] if service != "serve"
                                     else [service, "--once"])
    assert result.exit_code != 0
    message = str(result.exception)
    assert isinstance(result.exception, ConfigError), result.output
    for name in ("SCORO_BASE_URL", "SCORO_COMPANY_ACCOUNT_ID", "SCORO_API_KEY", "--sandbox"):
        assert name in message
    assert f"scorolink {service} will not start" in message
    assert not (bare / "scorolink-state.db").exists()  # refused before anything was opened


def test_serve_with_sandbox_runs_on_demo_data(bare: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--once", "--sandbox"])
    assert result.exit_code == 0, result.output


def test_a_run_on_an_unconfigured_default_fails_when_other_connections_are_real(bare: Path) -> None:
    (bare / "scorolink.toml").write_text('[connections.acme]\nbase_url = "https://acme.scoro.com/api/v2"\n'
                                         'company_account_id = "acme"\napi_key = "k"\n')
    refuse_silent_sandbox("serve", None, False)  # a real connection exists: the service may start
    conns = ConfiguredConnections(None, allow_sandbox=False)
    with pytest.raises(ConfigError, match="SCORO_API_KEY"), conns.open("default"):
        pass
    with ConfiguredConnections(None, allow_sandbox=True).open("default") as conn:  # the CLI's own fallback
        assert conn.name == "default"


def test_partial_settings_name_only_what_is_missing(bare: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORO_SUBDOMAIN", "acme")
    with pytest.raises(ConfigError) as caught:
        refuse_silent_sandbox("worker", None, False)
    assert "SCORO_BASE_URL" not in str(caught.value) and "SCORO_COMPANY_ACCOUNT_ID" in str(caught.value)
