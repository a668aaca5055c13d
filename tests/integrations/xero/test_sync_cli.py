"""`scorolink xero configure | sync | errors` against the bundled sandboxes, in a fresh folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from scorolink.connectors.base import WriteOp
from scorolink.errors import ConfigError
from scorolink.integrations.xero.integration import check_currencies


def run(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCORO_", "XERO_", "SCOROLINK_"))}
    return subprocess.run([sys.executable, "-c", "from scorolink.cli import main; main()", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_connect_configure_sync_and_errors(tmp_path):
    assert run("xero", "connect", cwd=tmp_path).returncode == 0
    configured = run("xero", "configure", "--default-sales-account", "200", "--default-expense-account", "400",
                     "--tax-map", "VAT22=OUTPUT",
                     "--tax-map", "VAT9=OUTPUT2", "--tax-map", "VAT0=NONE", "--category", "products",
                     "--disable", "--json", cwd=tmp_path)
    assert configured.returncode == 0, configured.stderr
    assert json.loads(configured.stdout)["categories"]["products"]["enabled"] is False
    assert "[xero_sync.tax_map]" in (tmp_path / "scorolink.toml").read_text()
    preview = run("xero", "sync", "--dry-run", "--json", cwd=tmp_path)
    planned = json.loads(preview.stdout)
    assert planned["dry_run"] and planned["categories"]["contacts"]["ops"]
    first = run("xero", "sync", "--json", cwd=tmp_path)
    result = json.loads(first.stdout)
    assert result["categories"]["contacts"]["executed"]["created"] > 0
    # the sandbox's invoices naming a deleted product are refused: exit 1, listed by `errors`
    assert first.returncode == 1
    errors = json.loads(run("xero", "errors", "--json", cwd=tmp_path).stdout)
    assert errors and all("no Scoro product" in e["message"] for e in errors)
    assert errors[0]["next_retry"] and errors[0]["attempts"] == 1
    retried = run("xero", "errors", "--retry", str(errors[0]["id"]), cwd=tmp_path)
    assert retried.returncode == 0 and "planned again on the next sync run" in retried.stderr
    assert run("xero", "errors", "--retry", "999999", cwd=tmp_path).returncode == 2
    dismissed = run("xero", "errors", "--dismiss", str(errors[0]["id"]), cwd=tmp_path)
    assert dismissed.returncode == 0, dismissed.stderr
    second = run("xero", "sync", "--json", cwd=tmp_path)
    again = json.loads(second.stdout)
    assert all(not c["executed"].get("created") for c in again["categories"].values())
    left = json.loads(run("xero", "errors", "--json", cwd=tmp_path).stdout)
    assert len(left) == len(errors) - 1
    # one exit-code rule: 1 while record errors stay open, on the run that found them and every run after
    assert second.returncode == 1 and again["open_errors"] == len(left)
    for e in left:
        run("xero", "errors", "--dismiss", str(e["id"]), cwd=tmp_path)
    assert run("xero", "sync", cwd=tmp_path).returncode == 0


def test_the_report_reads_as_sentences_with_reasons_and_counts(tmp_path):
    assert run("xero", "connect", cwd=tmp_path).returncode == 0
    run("xero", "configure", "--default-sales-account", "200", "--default-expense-account", "400",
        "--tax-map", "VAT22=OUTPUT", "--tax-map", "VAT9=OUTPUT2", "--tax-map", "VAT0=NONE", cwd=tmp_path)
    preview = run("xero", "sync", "--dry-run", cwd=tmp_path)
    assert preview.returncode == 0, preview.stderr
    text = preview.stdout + preview.stderr
    assert "create_a" not in text and "create_b" not in text and "validation" not in text
    assert "create in Xero" in text and "create in Scoro" in text
    assert "from 1" not in text and ": Scoro record " in text  # "contacts: create in Xero: Scoro record 4"
    assert "… and " in text  # the list of planned writes is longer than it shows, and says so
    assert "scorolink xero errors" not in text  # a dry run records no errors: no pointer to an empty list
    real = run("xero", "sync", cwd=tmp_path)
    text = real.stdout + real.stderr
    # every reason once, with its records: "invoices: refused (4: 1, 2, 5, 6): line item 'P-00004' is no Scoro product"
    assert real.returncode == 1 and "invoices: refused (" in text and "is no Scoro product" in text, text
    assert "record(s) need attention: `scorolink xero errors`" in text


def test_bad_configuration_is_refused_with_the_fix(tmp_path):
    bad = run("xero", "configure", "--category", "tax_rates", "--direction", "to-xero", cwd=tmp_path)
    assert bad.returncode == 2 and "use to-scoro" in bad.stderr
    assert not (tmp_path / "scorolink.toml").exists()
    wrong = run("xero", "sync", "--object", "invoices", cwd=tmp_path)
    assert wrong.returncode == 2 and "CATEGORY:ID" in wrong.stderr


def test_a_currency_xero_uses_must_be_active_in_scoro(connector):
    from scorolink.integrations.xero.connector import XeroConnector
    from tests.integrations.xero.conftest import make_client, make_sandbox

    xsb = make_sandbox()
    xc = XeroConnector(make_client(xsb))
    try:
        check_currencies(connector, xc)  # the sandboxes agree
        [added] = list(xc.write("Currencies", [WriteOp("insert", {"Code": "NOK"})]))
        assert added.ok, added.error
        with pytest.raises(ConfigError, match="Xero uses NOK, not active in Scoro"):
            check_currencies(connector, xc)
    finally:
        xc.close()
        xsb.close()
