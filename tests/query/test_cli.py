"""`scorolink query` as a person or a script meets it (bundled sandbox, no credentials)."""

from __future__ import annotations

import json

import pytest

from scorolink.replicate.engine import ReplicateOptions, replicate
from scorolink.replicate.schema import MirrorOptions
from tests.test_cli import run


@pytest.fixture
def env(tmp_path):
    return {"SCOROLINK_CACHE_DIR": str(tmp_path / "cache")}


def test_json_output_and_request_count(env):
    result = run("query", "SELECT Id, Sum, Date FROM Invoices WHERE Id = 5", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows == [{"Id": 5, "Sum": rows[0]["Sum"], "Date": rows[0]["Date"]}] and isinstance(rows[0]["Sum"], str)
    assert "1 row(s), 1 request(s)" in result.stderr
    again = run("query", "SELECT Id, Sum, Date FROM Invoices WHERE Id = 5", "--format", "json", env=env)
    assert "1 row(s), cache" in again.stderr and json.loads(again.stdout) == rows
    fresh = run("query", "SELECT Id, Sum, Date FROM Invoices WHERE Id = 5", "--format", "json", "--no-cache", env=env)
    assert "1 request(s)" in fresh.stderr


def test_csv_and_table(env):
    result = run("query", "SELECT Status, COUNT(*) AS n FROM Invoices GROUP BY Status ORDER BY Status",
                 "--format", "csv", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Status,n"
    table = run("query", "SELECT Id, Name FROM Companies WHERE Id = 1", env=env)
    assert table.returncode == 0 and "Name" in table.stdout


def test_explain(env):
    result = run("query", "SELECT Id FROM Invoices WHERE Id IN (1, 2) AND Sum > 3", "--explain", env=env)
    assert result.returncode == 0, result.stderr
    assert 'pushed:    "Invoices"."Id" IN (1, 2)' in result.stdout or "IN (1, 2)" in result.stdout
    assert "Expected requests: at least 2" in result.stdout
    as_json = json.loads(run("query", "SELECT Id FROM Invoices", "--explain", "--format", "json", env=env).stdout)
    assert as_json["objects"][0]["object"] == "Invoices"


def test_errors_exit_2_with_a_message(env):
    result = run("query", "SELECT Id FROM Invoicez", env=env)
    assert result.returncode == 2 and "Did you mean Invoices" in result.stderr
    result = run("query", "SELECT Id FROM Invoices WHERE", env=env)
    assert result.returncode == 2 and "line 1, column" in result.stderr
    assert "Traceback" not in result.stderr


def test_bulk_change_needs_yes(env):
    result = run("query", "UPDATE Tasks SET Description = 'x'", env=env)
    assert result.returncode == 1 and "nothing was changed" in result.stderr and "--yes" in result.stderr
    result = run("query", "UPDATE Tasks SET Description = 'x' RETURNING Id", "--yes", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) > 1 and "row(s) written" in result.stderr


def test_replica(tmp_path, env, connector):
    path = tmp_path / "m.db"
    replicate(connector, f"sqlite:///{path}", ReplicateOptions(objects=["Projects"], mirror=MirrorOptions()))
    result = run("query", "SELECT COUNT(*) AS n FROM Projects", "--replica", f"sqlite:///{path}", "--format", "json",
                 env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"n": len(list(connector.read("Projects", columns=["Id"])))}]
    assert "0 request(s)" in result.stderr


def test_a_costly_id_in_is_announced_with_its_cost_before_sending(env):
    ids = ", ".join(str(i) for i in range(1, 400))
    result = run("query", f"SELECT Id FROM Projects WHERE Id IN ({ids})", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    warning, _, summary = result.stderr.partition("row(s)")
    assert "needs at least 399 requests" in warning and "one per IN value" in warning
    cheap = run("query", "SELECT Id FROM Projects WHERE Id IN (1, 2, 3)", "--format", "json", env=env)
    assert "needs at least" not in cheap.stderr
