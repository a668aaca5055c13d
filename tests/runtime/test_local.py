"""The single-machine runner over SQLite state, against the in-process sandbox, on a manual clock:
jobs run at their due times, missed times coalesce, slices resume to the same mirror, due times and
runs are claimed once, a connection runs one job at a time and pauses when Scoro says stop."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from scorolink.replicate.engine import ReplicateOptions, replicate
from scorolink.runtime import api
from scorolink.runtime.api import dispatch_due, execute_run
from scorolink.runtime.connections import SandboxConnections
from scorolink.runtime.jobs import (
    JobError,
    add_job,
    connection_state,
    get_job,
    get_run,
    list_runs,
    run_now,
    set_enabled,
    sync_config_jobs,
)
from scorolink.runtime.local import LocalRunner
from scorolink.runtime.operations import Budget
from scorolink.runtime.store import StateStore
from scorolink.sandbox.scoro import RateLimit, SandboxConfig, ScoroSandbox
from tests.conftest import make_connector
from tests.replicate.test_robustness import snapshot
from tests.runtime.conftest import START

OBJECTS = ["Invoices", "Projects", "Tasks", "People", "Products", "TimeOffs"]


def runner_for(store: StateStore, sandbox: ScoroSandbox, clock: Any, **kw: Any) -> LocalRunner:
    kw.setdefault("budget", Budget(seconds=None))
    return LocalRunner(store, SandboxConnections(sandbox, {"acme": "demo", "other": "site1"}), clock=clock, **kw)


def reference_mirror(tmp_path: Any, objects: list[str]) -> dict[str, list[tuple]]:
    """The mirror an uninterrupted replication of the same sandbox data produces."""
    sb = ScoroSandbox(SandboxConfig(seed=1, size=300))
    conn = make_connector(sb)
    url = f"sqlite:///{tmp_path / 'reference.db'}"
    replicate(conn, url, ReplicateOptions(objects=objects))
    conn.close()
    sb.close()
    return snapshot(url)


def requests_of(sandbox: ScoroSandbox) -> int:
    return sum(sandbox.stats()["requests"]["by_endpoint"].values())


def test_scheduled_job_runs_at_its_due_times_and_missed_times_coalesce(store, clock, sandbox, tmp_path):
    mirror = f"sqlite:///{tmp_path / 'mirror.db'}"
    add_job(store, "every5", operation="replicate", connection="acme", schedule="every 5m",
            params={"to": mirror, "objects": OBJECTS}, now=clock.now())
    runner = runner_for(store, sandbox, clock)
    for seconds in (0, 299):  # not due yet
        clock.set(START + timedelta(seconds=seconds))
        assert runner.tick() == []
    clock.set(START + timedelta(minutes=5))
    before = requests_of(sandbox)
    assert len(runner.tick()) == 1
    runner.wait_idle()
    first = list_runs(store)[0]
    assert first["state"] == "succeeded" and first["trigger"] == "scheduled"
    assert first["due_at"] == first["started_at"] == START + timedelta(minutes=5)
    assert first["requests"] == requests_of(sandbox) - before > 0
    assert first["counts"]["objects"] == len(OBJECTS) and first["counts"]["rows"] == first["counts"]["read"] > 0

    clock.set(START + timedelta(minutes=7))
    assert runner.tick() == []  # the 5-minute run is done, the next is at :10
    clock.set(START + timedelta(minutes=10))
    runner.run_until_idle()
    second = list_runs(store)[0]
    assert second["due_at"] == START + timedelta(minutes=10) and second["state"] == "succeeded"
    assert second["counts"]["rows"] == 0  # incremental: nothing changed in Scoro

    # stopped for 37 minutes (restart): one run for the missed due times, then back on the 5-minute grid
    clock.set(START + timedelta(minutes=47))
    runner.run_until_idle()
    runs = list_runs(store)
    assert len(runs) == 3
    assert runs[0]["due_at"] == START + timedelta(minutes=15)
    assert get_job(store, "every5")["next_run_at"] == START + timedelta(minutes=50)
    runner.stop()
    assert snapshot(mirror) == reference_mirror(tmp_path, OBJECTS)


def test_calendar_schedules_and_pause_resume(store, clock, sandbox, tmp_path):
    add_job(store, "nightly", operation="replicate", connection="acme", schedule="daily 02:30",
            params={"to": f"sqlite:///{tmp_path / 'm.db'}", "objects": ["Projects"]}, now=clock.now())
    assert get_job(store, "nightly")["next_run_at"] == START.replace(day=3, hour=2, minute=30)
    runner = runner_for(store, sandbox, clock)
    set_enabled(store, "nightly", False, clock.now())
    clock.set(START.replace(day=3, hour=3))
    assert runner.tick() == []  # paused
    set_enabled(store, "nightly", True, clock.now())
    assert get_job(store, "nightly")["next_run_at"] == START.replace(day=4, hour=2, minute=30)
    clock.set(START.replace(day=4, hour=2, minute=30))
    runner.run_until_idle()
    assert [r["due_at"] for r in list_runs(store)] == [START.replace(day=4, hour=2, minute=30)]
    runner.stop()


def test_slices_checkpoint_and_resume_to_the_same_mirror(store, clock, sandbox, tmp_path):
    mirror = f"sqlite:///{tmp_path / 'mirror.db'}"
    add_job(store, "backfill", operation="replicate", connection="acme", schedule="manual",
            params={"to": mirror, "objects": OBJECTS, "group": 2}, now=clock.now())
    run_id = run_now(store, "backfill", clock.now())
    # a budget of one request: each slice does one object group, checkpoints and is re-queued
    runner = runner_for(store, sandbox, clock, budget=Budget(seconds=None, requests=1), workers=1)
    runner.run_until_idle()
    run = get_run(store, run_id)
    assert run["state"] == "succeeded"
    assert run["slices"] == 3  # six objects, two per group
    assert [m["message"] for m in run["log"]].count("slice budget spent; re-queued (2 part(s) left)") == 1
    assert sorted(run["checkpoint"]["done"]) == sorted(OBJECTS) and run["checkpoint"]["remaining"] == []
    assert run["requests"] == requests_of(sandbox)
    runner.stop()
    assert snapshot(mirror) == reference_mirror(tmp_path, OBJECTS)


def test_two_dispatchers_claim_each_due_time_once(tmp_path, clock):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    first, second = StateStore(url), StateStore(url)
    for i in range(20):
        add_job(first, f"job{i}", operation="replicate", connection=f"c{i}", schedule="every 1m",
                params={"objects": ["Projects"]}, now=clock.now())
    clock.advance(60)
    handed: list[list[int]] = []
    barrier = threading.Barrier(4)

    def dispatcher(store: StateStore) -> None:
        barrier.wait()
        for _ in range(5):
            handed.append(dispatch_due(store, clock.now()))

    threads = [threading.Thread(target=dispatcher, args=(s,)) for s in (first, second, first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    runs = list_runs(first, limit=100)
    assert len(runs) == 20 and len({r["job"] for r in runs}) == 20  # one run per job and due time
    all_handed = [r for batch in handed for r in batch]
    assert sorted(all_handed) == sorted(r["id"] for r in runs)  # and each handed to exactly one worker
    first.dispose()
    second.dispose()


def test_a_duplicate_delivery_does_not_run_twice(store, clock, sandbox, tmp_path):
    add_job(store, "once", operation="replicate", connection="acme", schedule="manual",
            params={"to": f"sqlite:///{tmp_path / 'm.db'}", "objects": ["Projects", "Invoices"]}, now=clock.now())
    run_id = run_now(store, "once", clock.now())
    conns = SandboxConnections(sandbox, {"acme": "demo"})
    outcomes = []
    barrier = threading.Barrier(2)

    def deliver() -> None:
        barrier.wait()
        outcomes.append(execute_run(store, run_id, conns, clock=clock))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.status for o in outcomes) == ["finished", "skipped"]
    run = get_run(store, run_id)
    assert run["state"] == "succeeded" and run["attempt"] == 1 and run["requests"] == requests_of(sandbox)
    assert execute_run(store, run_id, conns, clock=clock).status == "skipped"  # a late redelivery too


def test_one_active_run_per_connection(store, clock, sandbox, tmp_path):
    for name in ("a", "b"):
        add_job(store, name, operation="replicate", connection="acme", schedule="every 5m",
                params={"to": f"sqlite:///{tmp_path / (name + '.db')}", "objects": ["Projects"]}, now=clock.now())
    add_job(store, "c", operation="replicate", connection="other", schedule="every 5m",
            params={"to": f"sqlite:///{tmp_path / 'c.db'}", "objects": ["Projects"]}, now=clock.now())
    clock.advance(300)
    handed = dispatch_due(store, clock.now())
    assert len(handed) == 2  # a (or b) on acme, c on other; the second acme run waits
    waiting = next(r["id"] for r in list_runs(store) if r["id"] not in handed)
    conns = SandboxConnections(sandbox, {"acme": "demo", "other": "site1"})
    # deliver the waiting run while acme's lease is held: it stays queued
    holder = next(r for r in handed if get_run(store, r)["connection"] == "acme")
    api._claim(store, holder, "worker-1", clock.now(), clock.now() + timedelta(seconds=60))
    assert execute_run(store, waiting, conns, clock=clock).status == "busy"
    assert get_run(store, waiting)["state"] == "queued"
    assert dispatch_due(store, clock.now()) == []  # still busy (and the others were just handed)
    # a second delivery of the holder while worker-1's lease is live does nothing
    assert execute_run(store, holder, conns, clock=clock).status == "skipped"
    other = next(r for r in handed if r != holder)
    assert execute_run(store, other, conns, clock=clock).state == "succeeded"  # another connection runs
    clock.advance(61)  # worker-1 died holding it; its lease expires
    runner = runner_for(store, sandbox, clock)
    runner.run_until_idle()
    states = {r["job"]: r["state"] for r in list_runs(store)}
    assert states == {"a": "succeeded", "b": "succeeded", "c": "succeeded"}
    log = [m["message"] for m in get_run(store, holder)["log"]]
    assert any("took over from an expired lease" in m for m in log)
    runner.stop()


def test_rate_limited_connection_pauses_and_resumes(store, clock, tmp_path):
    # three requests a day, fewer than the six objects need even when the site's facts are known
    sandbox = ScoroSandbox(SandboxConfig(seed=1, size=300, rate_limit=RateLimit(daily=3)))
    mirror = f"sqlite:///{tmp_path / 'mirror.db'}"
    add_job(store, "limited", operation="replicate", connection="acme", schedule="manual",
            params={"to": mirror, "objects": OBJECTS, "group": 1}, now=clock.now())
    run_id = run_now(store, "limited", clock.now())
    runner = runner_for(store, sandbox, clock)
    runner.run_until_idle()
    run = get_run(store, run_id)
    assert run["state"] == "queued" and run["not_before"] is not None  # paused, not failed, no worker held
    conn = connection_state(store, "acme")
    assert conn["pause_reason"] == "daily request quota used up" and conn["not_before"] == run["not_before"]
    assert conn["lease_owner"] is None
    assert run["checkpoint"]["remaining"]  # what is left, to be done after the pause
    assert not any(r["error"] for r in run["checkpoint"]["done"].values())
    clock.set(run["not_before"] - timedelta(seconds=1))
    assert runner.tick() == []  # still paused
    sandbox.advance_clock(86400)  # Scoro's day rolls over
    for _ in range(10):  # three requests a day: a few days of quota
        clock.set(get_run(store, run_id)["not_before"] or clock.now())
        runner.run_until_idle()
        if get_run(store, run_id)["state"] != "queued":
            break
        sandbox.advance_clock(86400)
    run = get_run(store, run_id)
    assert run["state"] == "succeeded", run["log"]
    assert any("paused until" in m["message"] for m in run["log"])
    assert connection_state(store, "acme")["not_before"] is None
    runner.stop()
    sandbox.close()
    assert snapshot(mirror) == reference_mirror(tmp_path, OBJECTS)


def test_failed_objects_make_a_partially_failed_run(store, clock, sandbox, tmp_path):
    add_job(store, "partial", operation="replicate", connection="acme", schedule="manual",
            params={"to": f"sqlite:///{tmp_path / 'm.db'}", "objects": ["Projects", "Invoices"], "group": 1},
            now=clock.now())
    run_id = run_now(store, "partial", clock.now())

    class FailFirstRead(SandboxConnections):
        @contextlib.contextmanager
        def open(self, name: str) -> Iterator[Any]:
            with super().open(name) as conn:
                conn.connector.spec("Projects")  # custom fields read first, then
                sandbox.inject("http_500")  # the next request (Projects) fails for good: no retries allowed
                yield conn

    runner = LocalRunner(store, FailFirstRead(sandbox, {"acme": "demo"}, max_attempts=1), clock=clock)
    runner.run_until_idle()
    run = get_run(store, run_id)
    assert run["state"] == "partially_failed" and run["error"] == "failed: Projects"
    assert run["checkpoint"]["done"]["Invoices"]["rows"] > 0
    runner.stop()


def test_unknown_connection_fails_the_run_with_a_clear_error(store, clock, sandbox, tmp_path):
    add_job(store, "lost", operation="replicate", connection="nowhere", schedule="manual",
            params={"to": f"sqlite:///{tmp_path / 'm.db'}"}, now=clock.now())
    run_id = run_now(store, "lost", clock.now())
    with pytest.raises(JobError, match="already has run"):
        run_now(store, "lost", clock.now())
    runner = runner_for(store, sandbox, clock)
    runner.run_until_idle()
    run = get_run(store, run_id)
    assert run["state"] == "failed" and "Unknown connection 'nowhere'" in run["error"]
    assert connection_state(store, "nowhere")["lease_owner"] is None
    runner.stop()


def test_jobs_from_the_config_file_follow_the_file(store, clock):
    declared = {"mirror": {"schedule": "every 5m", "connection": "acme", "objects": ["Projects"]},
                "weekly": {"schedule": "weekly sun 03:00", "to": "sqlite:///w.db", "enabled": False}}
    assert sync_config_jobs(store, declared, clock.now()) == ["mirror", "weekly"]
    assert get_job(store, "mirror")["params"] == {"objects": ["Projects"]}
    assert get_job(store, "weekly")["enabled"] is False
    sync_config_jobs(store, {"mirror": {"schedule": "hourly", "objects": ["Projects"]}}, clock.now())
    assert get_job(store, "mirror")["schedule_kind"] == "hourly"
    with pytest.raises(JobError):
        get_job(store, "weekly")  # gone from the file, gone from the state
    from scorolink.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[jobs.bad\].*Unknown replicate setting"):
        sync_config_jobs(store, {"bad": {"schedule": "hourly", "tables": "x"}}, clock.now())
    with pytest.raises(ConfigError, match=r"\[jobs.nosched\].*no schedule"):
        sync_config_jobs(store, {"nosched": {"objects": ["Projects"]}}, clock.now())


def test_serve_ticks_the_dispatcher_with_apscheduler(store, sandbox, tmp_path):
    """`scorolink serve` in real time: APScheduler ticks, the pool runs, due times are kept."""
    import time

    from scorolink.runtime.store import SystemClock

    created = SystemClock().now()
    add_job(store, "soon", operation="replicate", connection="acme", schedule="every 1s",
            params={"to": f"sqlite:///{tmp_path / 'm.db'}", "objects": ["Projects"]}, now=created)
    runner = runner_for(store, sandbox, SystemClock())
    runner.start(tick_seconds=0.2)
    try:
        deadline = time.monotonic() + 20
        while sum(r["state"] == "succeeded" for r in list_runs(store)) < 2:
            assert time.monotonic() < deadline, list_runs(store)
            time.sleep(0.1)
    finally:
        runner.stop()
    dues = [r["due_at"] for r in list_runs(store)]
    assert len(dues) == len(set(dues))
    assert all((d - created).total_seconds() == pytest.approx(round((d - created).total_seconds()), abs=1e-3)
               for d in dues)


def test_export_is_a_second_registered_operation(store, clock, sandbox, tmp_path):
    import csv

    out = tmp_path / "projects.csv"
    add_job(store, "csv", operation="export", connection="acme", schedule="daily 01:00",
            params={"object": "Projects", "to": str(out), "columns": "Id,ProjectName"}, now=clock.now())
    clock.set(START.replace(day=3, hour=1))
    runner = runner_for(store, sandbox, clock)
    runner.run_until_idle()
    run = list_runs(store)[0]
    assert run["state"] == "succeeded" and run["operation"] == "export"
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["Id", "ProjectName"] and len(rows) - 1 == run["counts"]["rows"] > 0
    from scorolink.errors import ConfigError

    with pytest.raises(ConfigError, match="needs object"):
        add_job(store, "bad", operation="export", connection="acme", schedule="manual", params={}, now=clock.now())
    runner.stop()
