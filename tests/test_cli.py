"""The command line as a person or a script meets it (bundled sandbox, no credentials)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scorolink.catalog.scoro import CATALOG

OPS = {"select", "insert", "update", "delete"}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith("SCORO_")}
    return subprocess.run([sys.executable, "-c", "from scorolink.cli import main; main()", *args],
                          capture_output=True, text=True, env={**base, **(env or {})}, timeout=120)


def test_objects_json_covers_every_object_with_the_contract_keys():
    result = run("objects", "--json")
    assert result.returncode == 0, result.stderr
    objects = json.loads(result.stdout)
    assert [o["name"] for o in objects] == CATALOG.names()
    for o in objects:
        assert {"name", "module", "key", "operations", "incremental", "sync", "read_only"} <= set(o)
        assert set(o["operations"]) <= OPS and "select" in o["operations"]
        assert o["read_only"] == (o["operations"] == ["select"])


def test_describe_json_contract():
    result = run("describe", "invoices", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["name"] == "Invoices"
    by_name = {f["name"]: f for f in info["fields"]}
    assert by_name["UpdatedDate"]["filters"] == ["=", "<", "<=", ">", ">="]
    assert by_name["DocumentNumber"]["api_key"] == "no"
    assert {"field": "Lines", "type": "InvoiceLinesType"}.items() <= next(
        n for n in info["nested"] if n["field"] == "Lines").items()
    assert all({"field", "object", "target_field"} == set(r) for r in info["relations"])


def test_read_json_with_pushed_and_local_conditions():
    result = run("read", "Invoices", "--where", "Status = unpaid", "--where", "Sum > 0",
                 "--columns", "Id,Status,Sum", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and all(r["Status"] == "unpaid" and float(r["Sum"]) > 0 for r in rows)
    assert set(rows[0]) == {"Id", "Status", "Sum"}
    assert "bundled sandbox" in result.stderr


def test_read_csv_has_a_header_of_canonical_names():
    result = run("read", "Projects", "--columns", "Id,ProjectName", "--format", "csv", "--limit", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "Id,ProjectName" and len(lines) == 3


@pytest.mark.parametrize(("args", "message"), [
    (("read", "Invoice"), "Did you mean Invoices"),
    (("read", "Invoices", "--where", "Sume > 3"), "Did you mean Sum"),
    (("read", "Invoices", "--where", "Date > yesterday"), "Field Date"),
    (("read", "Invoices", "--where", "Date"), "Field op value"),
    (("describe", "Nope"), "Unknown object"),
])
def test_bad_input_gets_a_clear_error_and_no_traceback(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_incomplete_settings_name_the_setting():
    result = run("read", "Invoices", env={"SCORO_API_KEY": "ScoroAPI_x"})
    assert result.returncode == 2 and "SCORO_BASE_URL" in result.stderr
    result = run("read", "Invoices", env={"SCORO_API_KEY": "ScoroAPI_x", "SCORO_SUBDOMAIN": "acme"})
    assert result.returncode == 2 and "SCORO_COMPANY_ACCOUNT_ID" in result.stderr
    assert "ScoroAPI_x" not in result.stderr


def test_connection_test_against_the_bundled_sandbox():
    result = run("connection", "test", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["ok"] and info["company_accounts"] >= 1 and info["custom_fields"] > 0


def test_demo_replicates_every_object_over_loopback_into_sqlite(tmp_path):
    mirror = tmp_path / "demo.db"
    result = run("demo", "--json", "--to", f"sqlite:///{mirror}")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    expected = [s.name for s in CATALOG if s.allows("select") and s.name != "Contacts"]
    assert list(summary["objects"]) == expected
    assert summary["failed"] == []
    assert summary["tables"]["Invoices"] == summary["objects"]["Invoices"]["rows"] > 0
    assert summary["tables"]["Invoices_Lines"] > 0
    again = json.loads(run("demo", "--json", "--to", f"sqlite:///{mirror}").stdout)
    assert {o["mode"] for n, o in again["objects"].items() if n == "Invoices"} == {"incremental"}
    # A new sandbox on a new port: only picture links (which carry the port) changed.
    assert {n for n, o in again["objects"].items() if o["rows"]} <= {"People", "Companies"}
