"""The jobs/runs commands end to end against the bundled sandbox: add, list, run now, serve --once,
runs (table and JSON), runs show, pause/resume/remove, jobs from scorolink.toml, clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from scorolink.cli import app
from scorolink.errors import ScorolinkError


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(tmp_path)
    for var in ("SCOROLINK_CONFIG", "SCOROLINK_STATE_URL", "SCORO_API_KEY", "SCORO_USERNAME"):
        monkeypatch.delenv(var, raising=False)
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> Any:
        result = runner.invoke(app, list(args), catch_exceptions=not ok)
        if ok:
            assert result.exit_code == 0, result.output
        return result
    return run


def test_jobs_and_runs_commands(cli, tmp_path):
    cli("jobs", "add", "mirror", "--schedule", "every 5m", "--objects", "Projects,Invoices", "--to",
        "sqlite:///mirror.db", "--param", "naming=snake")
    jobs = json.loads(cli("jobs", "list", "--json").stdout)
    assert [(j["name"], j["schedule"], j["params"]["naming"], j["enabled"]) for j in jobs] == [
        ("mirror", "every 5m", "snake", True)]
    queued = json.loads(cli("jobs", "run-now", "mirror", "--json").stdout)
    assert queued["state"] == "queued"
    cli("serve", "--once", "--sandbox")
    runs = json.loads(cli("runs", "--job", "mirror", "--json").stdout)
    assert [(r["id"], r["state"], r["trigger"]) for r in runs] == [(queued["run"], "succeeded", "manual")]
    assert runs[0]["counts"]["objects"] == 2 and runs[0]["requests"] > 0
    shown = json.loads(cli("runs", "show", str(queued["run"]), "--json").stdout)
    assert shown["log"][0]["message"].startswith("queued (manual") and shown["log"][-1]["message"].startswith(
        "succeeded")
    assert "succeeded" in cli("runs").stdout and "Projects, Invoices" in cli("runs", "show", "1").stdout
    assert (tmp_path / "scorolink-state.db").exists() and (tmp_path / "mirror.db").exists()

    cli("jobs", "pause", "mirror")
    assert json.loads(cli("jobs", "list", "--json").stdout)[0]["next_run_at"] is None
    cli("jobs", "resume", "mirror")
    assert json.loads(cli("jobs", "list", "--json").stdout)[0]["next_run_at"] is not None
    cli("jobs", "remove", "mirror")
    assert json.loads(cli("jobs", "list", "--json").stdout) == []


def test_run_now_with_settings_for_that_run_only(cli):
    """`jobs run-now JOB --param K=V`: one run with other settings (the dashboard's preview and "send one
    record" are such runs of the integration's job); the job keeps its own."""
    cli("jobs", "add", "mirror", "--schedule", "manual", "--objects", "Projects,Invoices", "--to",
        "sqlite:///mirror.db")
    queued = json.loads(cli("jobs", "run-now", "mirror", "--param", "objects=Projects", "--json").stdout)
    cli("serve", "--once", "--sandbox")
    shown = json.loads(cli("runs", "show", str(queued["run"]), "--json").stdout)
    assert shown["state"] == "succeeded" and shown["params"]["objects"] == "Projects"
    assert sorted(shown["checkpoint"]["done"]) == ["Projects"]
    assert json.loads(cli("jobs", "list", "--json").stdout)[0]["params"]["objects"] == ["Projects", "Invoices"]
    refused = cli("jobs", "run-now", "mirror", "--param", "colour=blue", ok=False)
    assert "Unknown replicate setting(s): colour" in str(refused.exception)
    assert len(json.loads(cli("runs", "--json").stdout)) == 1  # nothing queued for the refused one


@pytest.mark.parametrize("args, message", [
    (("jobs", "add", "x", "--schedule", "every 5 parsecs"), "is not understood"),
    (("jobs", "add", "x", "--schedule", "hourly", "--operation", "teleport"), "Unknown operation 'teleport'"),
    (("jobs", "add", "x", "--schedule", "hourly", "--param", "colour=blue"), "Unknown replicate setting(s): colour"),
    (("jobs", "add", "x", "--schedule", "hourly", "--param", "novalue"), "use KEY=VALUE"),
    (("jobs", "add", "x", "--schedule", "hourly", "--param", "per_parent=some"), "per_parent must be one of"),
    (("jobs", "run-now", "nope"), "Unknown job 'nope'"),
    (("jobs", "add", "x", "--schedule", "hourly", "--to", "postgresql://me:secret@db/scoro"), "PGPASSWORD"),
    (("runs", "show", "42"), "No run 42"),
    (("jobs", "list", "--state", "mysql://db"), "use sqlite:///file.db or postgresql://"),
])
def test_bad_input_names_the_problem(cli, args, message):
    result = cli(*args, ok=False)
    assert isinstance(result.exception, ScorolinkError) and message in str(result.exception)


def test_jobs_declared_in_scorolink_toml(cli, tmp_path):
    (tmp_path / "scorolink.toml").write_text(
        '[runtime]\nstate = "sqlite:///declared-state.db"\n\n'
        '[jobs.projects]\nschedule = "hourly :15"\nobjects = ["Projects"]\nto = "sqlite:///p.db"\n')
    jobs = json.loads(cli("jobs", "list", "--json").stdout)
    assert [(j["name"], j["schedule_expr"], j["source"]) for j in jobs] == [("projects", "15 * * * *", "config")]
    assert (tmp_path / "declared-state.db").exists()
    result = cli("jobs", "remove", "projects", ok=False)
    assert "declared under [jobs.projects]" in str(result.exception)
