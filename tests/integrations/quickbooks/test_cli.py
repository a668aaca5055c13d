"""`scorolink quickbooks connect | configure | sync | status | errors` against the bundled sandboxes, in a fresh
folder, as a person would run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def run(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCORO_", "QUICKBOOKS_", "SCOROLINK_"))}
    return subprocess.run([sys.executable, "-c", "from scorolink.cli import main; main()", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_connect_configure_sync_status_and_errors(tmp_path):
    connected = run("quickbooks", "connect", "--json", cwd=tmp_path)
    assert connected.returncode == 0, connected.stderr
    info = json.loads(connected.stdout)
    assert info["home_currency"] == "EUR" and info["pulled"]["tax_rates"]["created"] > 0
    # the first sync needs the setup: categories, mode and default accounts
    refused = run("quickbooks", "sync", cwd=tmp_path)
    assert refused.returncode == 2 and "default income account" in refused.stderr
    for args in (("--category", "contacts", "--enable"), ("--category", "invoices", "--enable"),
                 ("--mode", "manual", "--default-income-account", "4100", "--default-expense-account", "6000",
                  "--tax-map", "VAT22=23% S", "--tax-map", "VAT9=13.5% R", "--tax-map", "VAT0=0% Z",
                  "--tax-map", "EU=Exempt")):
        configured = run("quickbooks", "configure", *args, cwd=tmp_path)
        assert configured.returncode == 0, configured.stderr
    assert "[quickbooks_sync.tax_map]" in (tmp_path / "scorolink.toml").read_text()
    preview = json.loads(run("quickbooks", "sync", "--dry-run", "--json", cwd=tmp_path).stdout)
    assert preview["dry_run"] and preview["categories"]["contacts"]["ops"]
    first = run("quickbooks", "sync", "--json", cwd=tmp_path)
    result = json.loads(first.stdout)
    assert result["categories"]["contacts"]["executed"]["created"] > 0
    errors = json.loads(run("quickbooks", "errors", "--json", cwd=tmp_path).stdout)
    assert first.returncode == (1 if errors else 0)
    assert all("next_retry" in e for e in errors)
    missing = run("quickbooks", "errors", "--retry", "99999", cwd=tmp_path)
    assert missing.returncode == 2 and "No open error 99999" in missing.stderr
    for e in errors:
        retried = run("quickbooks", "errors", "--retry", str(e["id"]), cwd=tmp_path)
        assert retried.returncode == 0 and "planned again" in retried.stderr
        assert run("quickbooks", "errors", "--dismiss", str(e["id"]), cwd=tmp_path).returncode == 0
    second = run("quickbooks", "sync", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "Sync run" in second.stdout
    status = json.loads(run("quickbooks", "status", "--json", cwd=tmp_path).stdout)
    assert status["company"] == "Scorolink Sandbox IE Ltd" and status["mode"] == "manual"
    assert status["minorversion"] == 75
    one = run("quickbooks", "sync", "--object", "contacts:2", "--json", cwd=tmp_path)
    assert one.returncode == 0, one.stderr


def test_automatic_mode_schedules_the_runtime_jobs(tmp_path):
    configured = run("quickbooks", "configure", "--mode", "automatic", "--schedule", "daily",
                     "--background-schedule", "weekly", cwd=tmp_path)
    assert configured.returncode == 0, configured.stderr
    jobs = json.loads(run("jobs", "list", "--json", cwd=tmp_path).stdout)
    by_name = {j["name"]: j for j in jobs}
    assert by_name["quickbooks-sync"]["operation"] == "quickbooks_sync"
    assert "every 1d" in json.dumps(by_name["quickbooks-sync"]) and "every 7d" in json.dumps(
        by_name["quickbooks-background"])
    assert by_name["quickbooks-background"]["params"] == {"background": True}
    assert run("quickbooks", "configure", "--mode", "manual", cwd=tmp_path).returncode == 0
    assert not {j["name"] for j in json.loads(run("jobs", "list", "--json", cwd=tmp_path).stdout)} & {
        "quickbooks-sync", "quickbooks-background"}


def test_a_bad_setting_is_named(tmp_path):
    bad = run("quickbooks", "configure", "--mode", "sometimes", cwd=tmp_path)
    assert bad.returncode == 2 and "use automatic or manual" in bad.stderr
    wrong = run("quickbooks", "configure", "--category", "projects", "--direction", "to-quickbooks", cwd=tmp_path)
    assert wrong.returncode == 2 and "to-scoro" in wrong.stderr
