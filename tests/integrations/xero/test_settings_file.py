"""The [xero_sync] configuration on disk, as `xero configure` and the dashboard change it."""

from __future__ import annotations

import pytest

from scorolink.errors import ConfigError
from scorolink.integrations.xero.settings_file import configure, locked_start_dates, summary
from scorolink.sync.store import SyncStore, next_retry


def test_configure_writes_only_what_changed_and_keeps_the_rest_of_the_file(tmp_path):
    path = tmp_path / "scorolink.toml"
    path.write_text('[runtime]\nstate = "sqlite:///state.db"\n')
    config, changed = configure(path, {"products": {"enabled": False, "direction": "to-scoro"}},
                                defaults={"default_sales_account": "200", "tracking_category": None},
                                tax_map=["VAT22=OUTPUT"])
    assert changed and not config.categories["products"].enabled
    text = path.read_text()
    assert text.startswith("[runtime]") and "[xero_sync.products]" in text and 'VAT22 = "OUTPUT"' in text
    shown = summary(config)
    assert shown["categories"]["products"]["direction"] == "to-scoro" and shown["default_sales_account"] == "200"
    again, changed = configure(path, {"products": {"enabled": False}})
    assert not changed and path.read_text() == text
    with pytest.raises(ConfigError, match="use to-scoro"):
        configure(path, {"tax_rates": {"direction": "to-xero"}})
    assert path.read_text() == text  # refused before anything was written


def test_a_start_date_is_locked_once_the_initial_sync_used_it(tmp_path):
    path = tmp_path / "scorolink.toml"
    state = SyncStore(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        assert locked_start_dates(state) == {}
        state.set_setting("xero", "scoro_account", "acme")
        state.set_setting("xero", "start_date:invoices", "2026-01-01")
        locked = locked_start_dates(state)
    finally:
        state.close()
    assert locked == {"invoices": "2026-01-01"}
    configure(path, {"invoices": {"start_date": "2026-01-01"}}, locked=locked)  # the same date: fine
    with pytest.raises(ConfigError, match="locked after the initial sync"):
        configure(path, {"invoices": {"start_date": "2026-02-01"}}, locked=locked)
    configure(path, {"contacts": {"start_date": "2026-02-01"}}, locked=locked)  # not synced yet: free


def test_an_error_retried_by_hand_is_due_at_once(tmp_path):
    state = SyncStore(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        for _ in range(3):
            state.record_error("xero", "invoices", "b", "7", "validation", "Account code '999' is not valid")
        [error] = state.errors("xero")
        assert error["attempts"] == 3 and state.retry_ids("xero", "invoices", "a") == []
        assert next_retry(error) > error["last_seen"]
        assert state.retry_error("xero", error["id"])
        assert state.retry_ids("xero", "invoices", "a") == ["7"]
        assert state.dismiss_error("xero", error["id"])
        assert not state.retry_error("xero", error["id"])  # dismissed: nothing to retry
        assert next_retry(state.errors("xero", include_resolved=True)[0]) is None
    finally:
        state.close()


def test_the_cli_refuses_a_locked_start_date(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from scorolink.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SCOROLINK_STATE_URL", raising=False)
    config = tmp_path / "scorolink.toml"
    config.write_text(f'[runtime]\nstate = "sqlite:///{tmp_path / "state.db"}"\n')
    state = SyncStore(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        state.set_setting("xero", "scoro_account", "acme")
        state.set_setting("xero", "start_date:bills", "")  # the initial sync ran without a start date
    finally:
        state.close()
    runner = CliRunner()
    refused = runner.invoke(app, ["--config", str(config), "xero", "configure", "--category", "bills",
                                  "--start-date", "2026-05-01"])
    assert isinstance(refused.exception, ConfigError)  # main() prints it and exits 2
    assert "locked after the initial sync (it used no start date)" in str(refused.exception)
    assert "xero_sync" not in config.read_text()
    fine = runner.invoke(app, ["--config", str(config), "xero", "configure", "--category", "invoices",
                               "--start-date", "2026-05-01", "--json"])
    assert fine.exit_code == 0, fine.output
    assert '"start_date": "2026-05-01"' in fine.stdout
