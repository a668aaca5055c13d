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
                     "--tax-map", "VAT22=TAX001",
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
        "--tax-map", "VAT22=TAX001", "--tax-map", "VAT9=OUTPUT2", "--tax-map", "VAT0=NONE", cwd=tmp_path)
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


def test_a_tax_map_across_rates_needs_the_flag_and_then_says_so(tmp_path):
    assert run("xero", "connect", cwd=tmp_path).returncode == 0
    run("xero", "configure", "--default-sales-account", "200", "--default-expense-account", "400",
        "--tax-map", "VAT22=OUTPUT", "--tax-map", "VAT9=OUTPUT2", "--tax-map", "VAT0=NONE", cwd=tmp_path)
    refused = run("xero", "sync", "--dry-run", cwd=tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert "VAT22 (22 %) → Xero OUTPUT 'Tax on Sales 24%' (24 %)" in refused.stderr and "(VAT22: TAX001)" in refused.stderr
    once = run("xero", "sync", "--dry-run", "--allow-different-tax-rates", cwd=tmp_path)  # this run only
    assert once.returncode == 0 and "Warning: tax map: Scoro VAT code VAT22 (22 %)" in once.stderr, once.stderr
    assert run("xero", "sync", "--dry-run", cwd=tmp_path).returncode == 2  # not kept
    saved = run("xero", "configure", "--allow-different-tax-rates", "--json", cwd=tmp_path)
    assert json.loads(saved.stdout)["allow_different_tax_rates"] is True
    assert "allow_different_tax_rates = true" in (tmp_path / "scorolink.toml").read_text()
    real = run("xero", "sync", cwd=tmp_path)
    assert real.returncode == 1 and "Warning: tax map: Scoro VAT code VAT22 (22 %)" in real.stderr
    assert "totals differ (" in real.stderr and "in Scoro" in real.stderr and "in Xero (difference +" in real.stderr
    errors = json.loads(run("xero", "errors", "--json", cwd=tmp_path).stdout)
    differ = [e for e in errors if e["kind"] == "totals_differ"]
    assert differ and all("a tax rate differs" in e["message"] for e in differ)
    # written already: not retried unchanged, so its next try is the record's next change, and --retry says so
    assert all(e["next_try"] == "when the record changes" and e["next_retry"] is None for e in differ)
    retried = run("xero", "errors", "--retry", str(differ[0]["id"]), cwd=tmp_path)
    assert retried.returncode == 2 and "Correct the record" in retried.stderr and "--dismiss" in retried.stderr
    again = run("xero", "sync", cwd=tmp_path)  # reads them again unchanged: the differences stay open
    assert again.returncode == 1
    still = [e for e in json.loads(run("xero", "errors", "--json", cwd=tmp_path).stdout) if e["kind"] == "totals_differ"]
    assert [e["id"] for e in still] == [e["id"] for e in differ]


def test_the_report_names_reasons_tries_and_keeps_one_exit_rule(tmp_path):
    """Reports a person can act on: counts in words with their reasons, each record counted once, every
    list cut with '… and N more', when a failed record is tried next, and the same exit code while
    errors stay open."""
    assert run("xero", "connect", cwd=tmp_path).returncode == 0
    run("xero", "configure", "--default-sales-account", "200", "--default-expense-account", "400", cwd=tmp_path)
    preview = run("xero", "sync", "--dry-run", "--json", cwd=tmp_path)
    plan = json.loads(preview.stdout)["categories"]
    held = [(i["side"], i["source_id"], i["kind"]) for c in plan.values() for i in c["issues"]]
    assert len(held) == len(set(held))  # a record another one needs is not counted twice
    first = run("xero", "sync", cwd=tmp_path)
    assert first.returncode == 1 and "next try" in first.stderr and "validation" not in first.stderr
    assert "invoices: refused (" in first.stderr  # "invoices: refused (4: 1, 2, 5, 6): line item 'P-00004' ..."
    assert "receipts: outside what is synced (" in first.stderr  # a count in the table comes with its reason
    assert all(r["attempts"] == 1 for r in json.loads(run("xero", "errors", "--json", cwd=tmp_path).stdout))
    second = run("xero", "sync", cwd=tmp_path)
    assert second.returncode == 1  # the same open errors: the same exit code
    assert "next try" in run("xero", "errors", cwd=tmp_path).stdout
    rows = json.loads(run("xero", "errors", "--json", cwd=tmp_path).stdout)
    assert rows and all(r["attempts"] >= 1 for r in rows)  # tries, not runs; the next one is said:
    assert all(r["next_try"].startswith("after ") and r["next_try"].endswith(" UTC") for r in rows)


def test_the_job_log_counts_open_errors_instead_of_no_changes(connector, tmp_path, monkeypatch):
    from scorolink.integrations.xero import session as xero_session
    from scorolink.integrations.xero.connector import XeroConnector
    from scorolink.integrations.xero.operation import xero_sync_operation
    from tests.integrations.xero.conftest import make_client, make_sandbox

    xsb = make_sandbox()
    client = make_client(xsb)

    class Session:  # an open Xero session on the sandbox, as open_xero gives one
        def __init__(self):
            self.client, self.oauth, self.connector = client, client.oauth, XeroConnector(client)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    class Connection:  # the job's connection: the Scoro sandbox, no Xero table
        name = "default"

        def __init__(self):
            self.connector = connector

        def system(self, _name):
            return None

    class Log:  # the job's checkpoint, keeping the log lines
        state: dict = {}
        store = f"sqlite:///{tmp_path}/state.db"

        def __init__(self):
            self.lines: list[tuple[str, str]] = []

        def log(self, message, level="info"):
            self.lines.append((level, message))

    monkeypatch.setattr(xero_session, "open_xero", lambda *_a, **_k: Session())
    config = tmp_path / "scorolink.toml"
    config.write_text('[xero_sync]\ndefault_sales_account = "200"\ndefault_expense_account = "400"\n', encoding="utf-8")
    try:
        for _ in range(2):
            log = Log()
            xero_sync_operation({"config": str(config)}, Connection(), log)
        [(level, line)] = log.lines
        assert level == "warning" and "no changes" not in line and "record error(s) open" in line, line
    finally:
        client.close()
        xsb.close()


def test_a_bookmarks_status_filter_does_not_hold_paid_invoices_back(tmp_path):
    """The bundled sandbox's 'Unpaid invoices' bookmark narrows by receipt status only: as in Scoro, that
    filter is not used, so paid invoices go too; `--bookmark-filters as_saved` keeps it."""
    assert run("xero", "connect", cwd=tmp_path).returncode == 0
    run("xero", "configure", "--default-sales-account", "200", "--default-expense-account", "400",
        "--category", "invoices", "--bookmark", "Unpaid invoices", cwd=tmp_path)

    def planned() -> set[str]:
        preview = run("xero", "sync", "--dry-run", "--category", "invoices", "--json", cwd=tmp_path)
        assert preview.returncode == 0, preview.stderr
        return {op["source_id"] for op in json.loads(preview.stdout)["categories"]["invoices"]["ops"]}

    seed_rule = planned()
    configured = run("xero", "configure", "--bookmark-filters", "as_saved", "--json", cwd=tmp_path)
    assert json.loads(configured.stdout)["bookmark_filters"] == "as_saved"
    as_saved = planned()
    assert as_saved and as_saved < seed_rule  # the paid ones only under the seed's rule
    bad = run("xero", "configure", "--bookmark-filters", "some", cwd=tmp_path)
    assert bad.returncode == 2 and "use seed" in bad.stderr


def test_credit_notes_follow_the_invoices_category_from_the_cli(tmp_path):
    """Issue 14 #4: credit notes are part of the invoices sync. `configure` refuses to set them apart
    (naming the advanced override), a hand-written table that disagrees stops the sync, and with invoices
    off or turned round the plan follows."""
    assert run("xero", "connect", cwd=tmp_path).returncode == 0
    run("xero", "configure", "--default-sales-account", "200", "--default-expense-account", "400",
        "--category", "invoices", "--direction", "to-scoro", cwd=tmp_path)
    config = (tmp_path / "scorolink.toml").read_text()
    for apart in (["--direction", "to-xero"], ["--disable"]):
        refused = run("xero", "configure", "--category", "credit_notes", *apart, cwd=tmp_path)
        assert refused.returncode == 2 and "credit notes follow the invoices category" in refused.stderr
        assert "advanced_override = true" in refused.stderr
        assert (tmp_path / "scorolink.toml").read_text() == config  # nothing written

    def planned() -> dict:
        preview = run("xero", "sync", "--dry-run", "--category", "credit_notes", "--json", cwd=tmp_path)
        assert preview.returncode == 0, preview.stderr
        return json.loads(preview.stdout)["categories"]

    notes = planned()["credit_notes"]  # to Scoro, as invoices: Xero's approved credit notes
    assert notes["ops"] and {op["target"] for op in notes["ops"]} == {"a"}
    (tmp_path / "scorolink.toml").write_text(config + '\n[xero_sync.credit_notes]\ndirection = "to-xero"\n')
    stopped = run("xero", "sync", "--dry-run", cwd=tmp_path)
    assert stopped.returncode == 2 and "credit notes follow the invoices category" in stopped.stderr
    (tmp_path / "scorolink.toml").write_text(config + '\n[xero_sync.credit_notes]\ndirection = "to-xero"\n'
                                             'advanced_override = true\n')
    assert {op["target"] for op in planned()["credit_notes"]["ops"]} <= {"b"}  # the documented override
    (tmp_path / "scorolink.toml").write_text(config)
    assert run("xero", "configure", "--category", "invoices", "--disable", cwd=tmp_path).returncode == 0
    assert "credit_notes" not in planned()  # invoices off: credit notes off
