"""Import and the Scoro ↔ Xero sync as scheduled jobs of the local runner."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest

from scorolink.connectors.base import Condition
from scorolink.errors import ConfigError
from scorolink.runtime.jobs import add_job, get_run, list_runs
from tests.conftest import make_connector
from tests.runtime.conftest import START
from tests.runtime.test_local import runner_for


def test_an_import_job_runs_and_its_rerun_creates_nothing_twice(store, clock, sandbox, tmp_path):
    path = tmp_path / "companies.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["Name", "Comments"], ["Job Import Oy", "a"], ["Job Import AB", "b"]])
    params = {"object": "Companies", "file": str(path), "journal_dir": str(tmp_path / "journal")}
    add_job(store, "load", operation="import", connection="acme", schedule="daily 02:00", params=params,
            now=clock.now())
    runner = runner_for(store, sandbox, clock)
    clock.set(START.replace(day=3, hour=2))
    runner.run_until_idle()
    clock.set(START.replace(day=4, hour=2))
    runner.run_until_idle()
    runner.stop()
    first, second = sorted(list_runs(store), key=lambda r: r["id"])
    assert first["state"] == "succeeded" and first["counts"]["inserted"] == 2
    assert second["counts"]["inserted"] == 0 and second["counts"]["already_done"] == 2
    connector = make_connector(sandbox)
    names = [c["Name"] for c in connector.read("Companies", [Condition("Name", "in", ("Job Import Oy", "Job Import AB"))],
                                               columns=["Name"])]
    assert sorted(names) == ["Job Import AB", "Job Import Oy"]
    with pytest.raises(ConfigError, match="needs object"):
        add_job(store, "bad", operation="import", connection="acme", schedule="manual", params={}, now=clock.now())


def test_the_xero_sync_is_a_job(store, clock, sandbox, tmp_path, monkeypatch):
    """Scoro's automatic sync type: the same run every five minutes."""
    from scorolink.integrations.xero import session as xero_session
    from scorolink.integrations.xero.connector import XeroConnector
    from tests.integrations.xero.conftest import make_client, make_sandbox

    xsb = make_sandbox()
    client = make_client(xsb)

    class Session:  # an open Xero session on the sandbox, as open_xero gives one
        def __init__(self, xero_client):
            self.client, self.oauth, self.connector = xero_client, xero_client.oauth, XeroConnector(xero_client)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    monkeypatch.setattr(xero_session, "open_xero", lambda *_a, **_k: Session(client))
    config = tmp_path / "scorolink.toml"
    config.write_text('[xero_sync]\ndefault_sales_account = "200"\ndefault_expense_account = "400"\n'
                      '[xero_sync.tax_map]\nVAT22 = "TAX001"\nVAT9 = "OUTPUT2"\nVAT0 = "NONE"\n', encoding="utf-8")
    params = {"state": f"sqlite:///{tmp_path}/sync.db", "config": str(config), "categories": "contacts,products"}
    add_job(store, "xero", operation="xero_sync", connection="acme", schedule="every 5m", params=params,
            now=clock.now())
    runner = runner_for(store, sandbox, clock)
    clock.set(clock.now() + timedelta(minutes=5))
    runner.run_until_idle()
    clock.set(clock.now() + timedelta(minutes=5))
    runner.run_until_idle()
    runner.stop()
    first, second = sorted(list_runs(store), key=lambda r: r["id"])
    assert first["state"] == "succeeded" and first["counts"].get("created", 0) > 0
    assert second["state"] == "succeeded" and not second["counts"].get("created")
    done = get_run(store, first["id"])["checkpoint"]["done"]  # each category's line on the run's page
    assert set(done) == {"contacts", "products"} and done["contacts"]["rows"] > 0 and done["contacts"]["read"] > 0
    with pytest.raises(ConfigError, match="xero_sync categories invoice"):
        add_job(store, "bad", operation="xero_sync", connection="acme", schedule="manual",
                params={"categories": "invoice"}, now=clock.now())
    client.close()
    xsb.close()
