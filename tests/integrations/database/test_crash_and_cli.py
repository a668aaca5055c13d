"""The command line end to end, the runtime job, and the refusals of objects that cannot be synced (the
command killed at random points, for every object: test_killed_runs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from scorolink.connectors.base import WriteOp
from scorolink.errors import ConfigError
from scorolink.integrations.database.objects import resolve
from scorolink.integrations.database.run import DbSyncOptions, TableSync
from scorolink.session import start_bundled_sandbox
from tests.conftest import endpoint_counts, make_connector
from tests.integrations.database.conftest import execute, query

CLI = [sys.executable, "-c", "from scorolink.cli import main; main()"]


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, env=_env(cwd), capture_output=True, text=True, timeout=120)


def _env(cwd: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCORO_")}
    env.update(SCOROLINK_SANDBOX_DATA=str(cwd / "sandbox.db"), SCOROLINK_SANDBOX_SIZE="20",
               SCOROLINK_STATE_URL=f"sqlite:///{cwd}/state.db")
    return env


def test_objects_that_cannot_be_synced_are_refused_with_why_and_what_instead():
    with pytest.raises(ConfigError, match=r"Users cannot be synced both ways: no insert; no update.*replicate"):
        resolve(["Users"])
    with pytest.raises(ConfigError, match=r"VATCodes .*no incremental cursor.*replicate.*import"):
        resolve(["VATCodes"])
    with pytest.raises(ConfigError, match="Unknown object 'Nope'"):
        resolve(["Nope"])
    assert [s.name for s in resolve(["companies", "Invoices"])] == ["Companies", "Invoices"]


@pytest.fixture
def same_sandbox(tmp_path, monkeypatch):
    """The test's own process opens the bundled sandbox the commands use."""
    for key, value in _env(tmp_path).items():
        if key.startswith("SCOROLINK_"):
            monkeypatch.setenv(key, value)


def test_the_command_line_syncs_lists_conflicts_and_resolves_them(tmp_path, same_sandbox):
    db = f"sqlite:///{tmp_path}/tables.db"
    (tmp_path / "scorolink.toml").write_text(f'[dbsync]\ndb = "{db}"\nconflict = "manual"\n'
                                             '[dbsync.keys]\nCompanies = ["Name"]\n')
    first = cli(tmp_path, "dbsync", "Companies", "--json")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert out["tables_created"][0] == "Companies" and out["categories"]["Companies"]["executed"]["created"] > 0
    row = query(db, 'SELECT * FROM "Companies" ORDER BY _row_id')[0]
    execute(db, 'UPDATE "Companies" SET "Name" = ? WHERE _row_id = ?', ["Table side", row["_row_id"]])
    sandbox = start_bundled_sandbox()
    try:
        scoro = make_connector(sandbox)
        assert list(scoro.write("Companies", [WriteOp("update", {"Id": row["Id"], "Name": "Scoro side"})]))[0].ok
        scoro.close()
    finally:
        sandbox.close()
    dry = cli(tmp_path, "dbsync", "Companies", "--dry-run")
    assert dry.returncode == 0 and "conflict" in dry.stderr + dry.stdout
    parked = cli(tmp_path, "dbsync", "Companies")
    assert parked.returncode == 0, parked.stderr
    listed = cli(tmp_path, "dbsync", "conflicts", "--json")
    [conflict] = json.loads(listed.stdout)
    assert "Scoro side" in conflict["message"] and "Table side" in conflict["message"]
    assert conflict["row"] == str(row["_row_id"]) and conflict["scoro_id"] == str(row["Id"])
    settled = cli(tmp_path, "dbsync", "resolve", str(conflict["id"]), "--take", "scoro")
    assert settled.returncode == 0, settled.stderr
    assert query(db, 'SELECT "Name" FROM "Companies" WHERE _row_id = ?', [row["_row_id"]])[0]["Name"] == "Scoro side"
    assert json.loads(cli(tmp_path, "dbsync", "conflicts", "--json").stdout) == []
    refused = cli(tmp_path, "dbsync", "Users")
    assert refused.returncode == 2 and "Users cannot be synced both ways" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_dbsync_is_a_runtime_job(store, clock, sandbox, tmp_path):
    from scorolink.runtime.jobs import add_job, list_runs, run_now
    from tests.runtime.test_local import runner_for

    db = f"sqlite:///{tmp_path}/tables.db"
    params = {"db": db, "objects": "Companies,Products", "state": f"sqlite:///{tmp_path}/state.db"}
    add_job(store, "crm", operation="dbsync", connection="acme", schedule="manual", params=params, now=clock.now())
    with pytest.raises(ConfigError, match="Users cannot be synced"):
        add_job(store, "bad", operation="dbsync", connection="acme", schedule="manual",
                params={**params, "objects": "Users"}, now=clock.now())
    runner = runner_for(store, sandbox, clock)
    run_now(store, "crm", now=clock.now())
    runner.run_until_idle()
    clock.set(clock.now() + timedelta(minutes=5))
    run_now(store, "crm", now=clock.now())
    runner.run_until_idle()
    runner.stop()
    first, second = sorted(list_runs(store), key=lambda r: r["id"])
    assert first["state"] == "succeeded" and first["counts"]["created"] > 0
    assert second["state"] == "succeeded" and second["counts"] == {}
    assert len(query(db, 'SELECT * FROM "Companies"')) == first["counts"]["created"] - len(
        query(db, 'SELECT * FROM "Products"'))


def test_a_rate_limit_in_the_middle_of_a_batch_duplicates_nothing(scoro, small_sandbox, sqlite_url, state_url):
    """Scoro's daily quota runs out after some of a batch's creates: those are settled, the rest wait and
    go with the next run, and no record is created twice."""
    from scorolink.sandbox.scoro.config import RateLimit
    from tests.integrations.database.conftest import failures, sync

    assert failures(sync(scoro, sqlite_url, state_url, ["Products"])) == []
    before = len(list(scoro.read("Products", columns=["Id"])))
    for n in range(5):
        execute(sqlite_url, 'INSERT INTO "Products" ("Code", "Name", "Price") VALUES (?, ?, ?)',
                [f"Q{n}", f"Quota row {n}", "1.00"])
    small_sandbox.reset_stats()
    with TableSync(scoro, DbSyncOptions(db=sqlite_url, objects=["Products"], state=state_url)) as planned:
        planned.run(dry_run=True)
    reads = sum(endpoint_counts(small_sandbox).values())  # what the run reads before it writes
    small_sandbox.limiter.reset()
    small_sandbox.limiter.limits = RateLimit(daily=reads + 3)  # three creates, then the quota is out
    limited = sync(scoro, sqlite_url, state_url, ["Products"])
    assert limited.executed["Products"] == {"created": 3, "retry_later": 2}, limited.executed
    small_sandbox.limiter.limits = RateLimit()
    assert failures(sync(scoro, sqlite_url, state_url, ["Products"])) == []
    names = Counter(r["Name"] for r in scoro.read("Products", columns=["Name"]))
    assert len(list(scoro.read("Products", columns=["Id"]))) == before + 5
    assert all(names[f"Quota row {n}"] == 1 for n in range(5))
    rows = query(sqlite_url, 'SELECT "Id" FROM "Products" WHERE "Code" LIKE ?', ["Q%"])
    assert len(rows) == 5 and all(r["Id"] is not None for r in rows)
