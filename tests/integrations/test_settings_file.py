"""The [xero_sync] and [quickbooks_sync] configuration on disk, per Scoro account, as `xero configure`,
`quickbooks configure` and the dashboard change it (integrations.settings_file)."""

from __future__ import annotations

import pytest

from scorolink.errors import ConfigError
from scorolink.integrations import settings_file
from scorolink.integrations.settings_file import QUICKBOOKS, XERO, read_section, summary
from scorolink.sync.store import SyncStore, next_retry


def configure(path, categories=None, *, defaults=None, **kw):
    return settings_file.configure(XERO, path, categories, settings=defaults, **kw)


def locked_start_dates(state, account=None):
    return settings_file.locked_start_dates(XERO, state, account)


def test_configure_writes_only_what_changed_and_keeps_the_rest_of_the_file(tmp_path):
    path = tmp_path / "scorolink.toml"
    path.write_text('[runtime]\nstate = "sqlite:///state.db"\n')
    config, changed = configure(path, {"products": {"enabled": False, "direction": "to-scoro"}},
                                defaults={"default_sales_account": "200", "tracking_category": None},
                                tax_map=["VAT22=OUTPUT"])
    assert changed and not config.categories["products"].enabled
    text = path.read_text()
    assert text.startswith("[runtime]") and "[xero_sync.products]" in text and 'VAT22 = "OUTPUT"' in text
    shown = summary(XERO, config)
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


TWO_ACCOUNTS = ('[connections.acme]\nsubdomain = "acme"\ncompany_account_id = "acme"\napi_key = "k"\n\n'
                '[connections.beta]\nsubdomain = "beta"\ncompany_account_id = "beta"\napi_key = "k"\n')


@pytest.mark.parametrize("spec, account_key, account", [(XERO, "default_sales_account", "200"),
                                                        (QUICKBOOKS, "default_income_account", "Sales")])
def test_each_scoro_account_keeps_its_own_settings(tmp_path, spec, account_key, account):
    path = tmp_path / "scorolink.toml"
    path.write_text(TWO_ACCOUNTS)
    settings_file.configure(spec, path, {"invoices": {"enabled": True}}, settings={account_key: account},
                            tax_map=["VAT22=T22"])
    # acme has no table of its own yet: it reads the default's, and its first change starts from a copy of them
    assert read_section(spec, path, "acme") == read_section(spec, path)
    assert not settings_file.has_own_table(spec, path, "acme")
    config, changed = settings_file.configure(spec, path, {"invoices": {"enabled": False}}, account="acme",
                                              settings={account_key: "4000"}, tax_map=["VAT9=T9"])
    assert changed and not config.categories["invoices"].enabled and config.tax_map == {"VAT22": "T22", "VAT9": "T9"}
    text = path.read_text()
    assert f"[{spec.table}.acme]" in text and f"[{spec.table}.acme.invoices]" in text
    assert f"[{spec.table}.acme.tax_map]" in text and text.startswith("[connections.acme]")
    default = spec.parse(read_section(spec, path))
    acme = spec.parse(read_section(spec, path, "acme"))
    beta = spec.parse(read_section(spec, path, "beta"))  # still the default's
    assert getattr(default, account_key) == account and default.categories["invoices"].enabled
    assert getattr(acme, account_key) == "4000" and not acme.categories["invoices"].enabled
    assert getattr(beta, account_key) == account and beta.tax_map == {"VAT22": "T22"}
    # changing the default leaves acme's table alone
    settings_file.configure(spec, path, settings={account_key: "201"}, tax_map_remove=["VAT22"])
    assert getattr(spec.parse(read_section(spec, path)), account_key) == "201"
    assert spec.parse(read_section(spec, path)).tax_map == {}
    assert spec.parse(read_section(spec, path, "acme")).tax_map == {"VAT22": "T22", "VAT9": "T9"}
    assert settings_file.load(spec, str(path), "acme").categories["invoices"].enabled is False
    with pytest.raises(ConfigError, match="no \\[connections.gamma\\]"):
        settings_file.configure(spec, path, settings={account_key: "1"}, account="gamma")


def test_a_file_written_before_accounts_had_tables_keeps_working(tmp_path):
    path = tmp_path / "scorolink.toml"
    path.write_text(TWO_ACCOUNTS + '\n[xero_sync]\ndefault_sales_account = "200"\n\n[xero_sync.invoices]\n'
                    'enabled = true\n\n[xero_sync.tax_map]\nVAT22 = "TAX001"\n')
    for account in ("default", "acme", "beta"):
        config = settings_file.load(XERO, str(path), account)
        assert config.default_sales_account == "200" and config.tax_map == {"VAT22": "TAX001"}
        assert config.categories["invoices"].enabled


def test_a_tax_map_line_is_removed_and_an_unknown_one_named(tmp_path):
    path = tmp_path / "scorolink.toml"
    configure(path, tax_map=["VAT22=TAX001", "VAT9=OUTPUT2"])
    config, changed = configure(path, tax_map_remove=["VAT9"])
    assert changed and config.tax_map == {"VAT22": "TAX001"}
    assert "VAT9" not in path.read_text()
    before = path.read_text()
    with pytest.raises(ConfigError, match="--tax-map-remove 'VAT5'.*has no such Scoro VAT code \\(it has VAT22\\)"):
        configure(path, tax_map_remove=["VAT5"])
    assert path.read_text() == before
    configure(path, tax_map_remove=["VAT22"])
    assert "tax_map" not in path.read_text()


def test_a_connection_named_like_a_category_is_refused(tmp_path):
    path = tmp_path / "scorolink.toml"
    path.write_text('[connections.invoices]\nsubdomain = "x"\ncompany_account_id = "x"\napi_key = "k"\n')
    with pytest.raises(ConfigError, match="\\[connections.invoices\\]: that name is also"):
        read_section(XERO, path)


def test_start_dates_lock_per_scoro_account(tmp_path):
    """Two accounts in one state database: the first's initial sync locks its dates, not the second's."""
    path = tmp_path / "scorolink.toml"
    path.write_text(TWO_ACCOUNTS)
    state = SyncStore(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        state.set_setting("quickbooks", "scoro_account", "acme")
        state.set_setting("quickbooks", "start_date:bills", "2026-01-01")
        acme = settings_file.locked_start_dates(QUICKBOOKS, state, settings_file.scoro_account_id(str(path), "acme"))
        beta = settings_file.locked_start_dates(QUICKBOOKS, state, settings_file.scoro_account_id(str(path), "beta"))
        every = settings_file.locked_start_dates(QUICKBOOKS, state)
    finally:
        state.close()
    assert acme == every == {"bills": "2026-01-01"} and beta == {}
    with pytest.raises(ConfigError, match="\\[quickbooks_sync.acme.bills\\] start_date is locked"):
        settings_file.configure(QUICKBOOKS, path, {"bills": {"start_date": "2026-03-01"}}, account="acme", locked=acme)
    settings_file.configure(QUICKBOOKS, path, {"bills": {"start_date": "2026-03-01"}}, account="beta", locked=beta)
    assert settings_file.load(QUICKBOOKS, str(path), "beta").categories["bills"].start_date.isoformat() == "2026-03-01"


@pytest.mark.parametrize("group, income", [("xero", "--default-sales-account"),
                                           ("quickbooks", "--default-income-account")])
def test_configure_connection_and_tax_map_remove_from_the_cli(tmp_path, monkeypatch, group, income):
    import json

    from typer.testing import CliRunner

    from scorolink.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SCOROLINK_STATE_URL", raising=False)
    config = tmp_path / "scorolink.toml"
    config.write_text(TWO_ACCOUNTS + f'\n[runtime]\nstate = "sqlite:///{tmp_path / "state.db"}"\n')
    runner = CliRunner()

    def configure_cli(*args):
        done = runner.invoke(app, ["--config", str(config), group, "configure", *args, "--json"])
        assert done.exit_code == 0, (done.output, done.exception)
        return json.loads(done.stdout)

    configure_cli(income, "200", "--tax-map", "VAT22=T22", "--tax-map", "VAT9=T9")
    acme = configure_cli("--connection", "acme", income, "4000", "--tax-map-remove", "VAT9")
    assert acme["tax_map"] == {"VAT22": "T22"}
    default = configure_cli()
    assert default["tax_map"] == {"VAT22": "T22", "VAT9": "T9"}
    assert configure_cli("--connection", "beta")["tax_map"] == default["tax_map"]  # no table of its own yet
    key = income.removeprefix("--").replace("-", "_")
    assert (default[key], acme[key]) == ("200", "4000")
    table = f"{group}_sync"
    assert f"[{table}.acme]" in config.read_text() and f"[{table}.beta]" not in config.read_text()
    missing = runner.invoke(app, ["--config", str(config), group, "configure", "--tax-map-remove", "VAT5"])
    assert isinstance(missing.exception, ConfigError) and "has no such Scoro VAT code" in str(missing.exception)
    unknown = runner.invoke(app, ["--config", str(config), group, "configure", "--connection", "gamma", income, "1"])
    assert isinstance(unknown.exception, ConfigError) and "no [connections.gamma]" in str(unknown.exception)


@pytest.mark.parametrize("spec, module, runner", [(XERO, "xero", "run_xero_sync"),
                                                  (QUICKBOOKS, "quickbooks", "run_quickbooks_sync")])
def test_a_job_syncs_with_the_settings_of_its_connection(tmp_path, monkeypatch, spec, module, runner):
    """The runtime's operation of each integration reads the table of its job's connection."""
    import contextlib
    import importlib

    operation = importlib.import_module(f"scorolink.integrations.{module}.operation")
    run = importlib.import_module(f"scorolink.integrations.{module}.run")
    path = tmp_path / "scorolink.toml"
    path.write_text(TWO_ACCOUNTS)
    settings_file.configure(spec, path, {"bills": {"enabled": True}})
    settings_file.configure(spec, path, {"bills": {"enabled": False}, "contacts": {"enabled": True}}, account="acme")
    seen = {}

    class Stop(Exception):
        pass

    def capture(_store, _scoro, _session, config, _request, **_kw):
        seen["config"] = config
        raise Stop

    monkeypatch.setattr(run, runner, capture)
    session = f"scorolink.integrations.{module}.session.open_{module}"
    monkeypatch.setattr(session, lambda *_a, **_k: contextlib.nullcontext(None))

    class Connection:
        connector = None

        def __init__(self, name):
            self.name = name

        def system(self, _name):
            return {}

    class Checkpoint:
        state = None
        store = f"sqlite:///{tmp_path / 'state.db'}"

    sync = getattr(operation, f"{module}_sync_operation")
    for name, bills in (("acme", False), ("beta", True), ("default", True)):
        with pytest.raises(Stop):
            sync({"config": str(path)}, Connection(name), Checkpoint())
        assert seen["config"].categories["bills"].enabled is bills, name
