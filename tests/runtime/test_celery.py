"""Scale-out: real Redis, real Celery workers (subprocesses of `scorolink worker`/`beat`), PostgreSQL
state, and a Scoro sandbox served over loopback HTTP.

- a worker SIGKILLed mid-run leaves a run that another worker takes over and resumes to the same
  mirror an uninterrupted run produces;
- two beats (two dispatchers) run a job once per due time, on its schedule;
- concurrent dispatchers on PostgreSQL claim every due time once;
- a connection whose daily quota runs out pauses (stored) and resumes when Scoro's day rolls over.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scorolink.replicate.engine import ReplicateOptions, replicate
from scorolink.runtime.api import dispatch_due
from scorolink.runtime.celery_app import create_app
from scorolink.runtime.jobs import add_job, connection_state, get_run, list_runs, run_now
from scorolink.runtime.settings import load_runtime_settings
from scorolink.runtime.store import StateStore
from scorolink.sandbox.scoro import RateLimit, SandboxConfig, ScoroSandbox
from tests.conftest import make_connector
from tests.replicate.test_robustness import snapshot

OBJECTS = ["Invoices", "Projects", "Tasks", "People", "Products", "TimeOffs"]
SCOROLINK = str(Path(sys.executable).parent / "scorolink")


@pytest.fixture
def served() -> Iterator[Callable[..., tuple[ScoroSandbox, str]]]:
    """Start a sandbox over loopback HTTP: returns (sandbox, base URL of its default site)."""
    stack: list[Any] = []

    def start(**config: Any) -> tuple[ScoroSandbox, str]:
        sb = ScoroSandbox(SandboxConfig(seed=1, size=300, **config))
        ctx = sb.run_in_thread()
        url = ctx.__enter__()
        stack.append((sb, ctx))
        return sb, url
    yield start
    for sb, ctx in reversed(stack):
        ctx.__exit__(None, None, None)
        sb.close()


class Cluster:
    """Workers and beats as subprocesses sharing one config file; stopped (killed) at the end."""

    def __init__(self, tmp: Path, postgres_url: str, redis_url: str, sandbox: ScoroSandbox, base_url: str,
                 **runtime: Any) -> None:
        self.tmp = tmp
        site = sandbox.default
        settings = {"state": postgres_url, "broker": redis_url, "lease_seconds": 3, "rehand_seconds": 2,
                    "tick_seconds": 1, "slice_seconds": 0, **runtime}
        lines = ["[runtime]"] + [f"{k} = {v!r}".replace("'", '"') for k, v in settings.items()]
        lines += ["", "[connections.acme]", f'base_url = "{base_url}"',
                  f'company_account_id = "{site["company_account_ids"][0]}"', f'api_key = "{site["api_key"]}"',
                  f'timezone = "{site["timezone"]}"']
        self.config = tmp / "scorolink.toml"
        self.config.write_text("\n".join(lines) + "\n")
        self.settings, _ = load_runtime_settings(str(self.config))
        self.app = create_app(self.settings, str(self.config))
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, ready: bool = True) -> subprocess.Popen[bytes]:
        log = self.tmp / f"{args[0]}-{len(self.procs)}.log"
        proc = subprocess.Popen([SCOROLINK, "--config", str(self.config), *args], cwd=self.tmp,
                                stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "SCOROLINK_CONFIG": str(self.config)})
        proc.log = log  # type: ignore[attr-defined]
        self.procs.append(proc)
        if ready:  # a worker is ready once it has connected to the broker
            wait_for(lambda: b"ready." in log.read_bytes() or proc.poll() is not None, 30, "worker start")
            assert proc.poll() is None, log.read_text()
        return proc

    def worker(self, *extra: str) -> subprocess.Popen[bytes]:
        return self.start("worker", "--pool", "solo", "--concurrency", "1", *extra)

    def dispatch(self) -> list[int]:
        """What `scorolink beat` triggers every tick, run here: hand due runs to the workers via Redis."""
        return self.app.tasks["scorolink.dispatch_due"]()

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def close(self) -> None:
        for proc in self.procs:
            self.kill(proc)


@pytest.fixture
def cluster(tmp_path, postgres_url, redis_url, served) -> Iterator[Callable[..., Cluster]]:
    import redis

    redis.Redis.from_url(redis_url).flushdb()  # no messages left over from another test
    made: list[Cluster] = []

    def make(sandbox_config: dict[str, Any] | None = None, **runtime: Any) -> Cluster:
        sb, url = served(**(sandbox_config or {}))
        c = Cluster(tmp_path, postgres_url, redis_url, sb, url, **runtime)
        c.sandbox = sb  # type: ignore[attr-defined]
        made.append(c)
        return c
    yield make
    for c in made:
        c.close()


def wait_for(check: Callable[[], Any], seconds: float, what: str, every: float = 0.1,
             between: Callable[[], Any] | None = None) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        if between is not None:
            between()
        time.sleep(every)


def upserted(path: Path, table: str) -> dict[str, str]:
    """RemoteID -> WhenUpsertedIntoDataStore of a mirror table: changes whenever a row is written."""
    with sqlite3.connect(path) as db:
        return dict(db.execute(f'SELECT "RemoteID", "WhenUpsertedIntoDataStore" FROM "{table}"').fetchall())


def reference_mirror(tmp: Path, objects: list[str]) -> dict[str, list[tuple]]:
    sb = ScoroSandbox(SandboxConfig(seed=1, size=300))
    conn = make_connector(sb)
    url = f"sqlite:///{tmp / 'reference.db'}"
    replicate(conn, url, ReplicateOptions(objects=objects))
    conn.close()
    sb.close()
    return snapshot(url)


def test_a_killed_worker_s_run_is_resumed_by_another_to_the_same_mirror(cluster, tmp_path):
    # a slow Scoro (4 requests per 2 s) so the kill lands mid-run
    c = cluster({"rate_limit": RateLimit(per_window=4)})
    store = StateStore(c.settings.state)
    mirror = f"sqlite:///{tmp_path / 'mirror.db'}"
    now = datetime.now(UTC)
    add_job(store, "mirror", operation="replicate", connection="acme", schedule="manual",
            params={"to": mirror, "objects": OBJECTS, "group": 1}, now=now)
    run_id = run_now(store, "mirror", now)
    first = c.worker()
    assert c.dispatch() == [run_id]
    wait_for(lambda: (r := get_run(store, run_id))["state"] == "running" and r["checkpoint"]
             and 1 <= len(r["checkpoint"]["done"]) < len(OBJECTS), 60, "the first objects")
    c.kill(first)  # SIGKILL, mid-run: no chance to clean up
    killed = get_run(store, run_id)
    assert killed["state"] == "running" and killed["checkpoint"]["remaining"]
    first_done = upserted(tmp_path / "mirror.db", OBJECTS[0])
    assert first_done  # the first object's rows are in the mirror

    c.worker()
    wait_for(lambda: get_run(store, run_id)["state"] not in ("queued", "running"), 90, "the resumed run",
             every=0.5, between=c.dispatch)
    run = get_run(store, run_id)
    assert run["state"] == "succeeded", run["log"]
    assert run["attempt"] == 2 and run["slices"] == 2
    messages = [m["message"] for m in run["log"]]
    assert sum("took over from an expired lease" in m for m in messages) == 1
    # objects done before the kill were not redone
    assert sum(m.startswith(f"{OBJECTS[0]}:") for m in messages) == 1
    assert connection_state(store, "acme")["lease_owner"] is None
    assert upserted(tmp_path / "mirror.db", OBJECTS[0]) == first_done  # not one of its rows written again
    assert snapshot(mirror) == reference_mirror(tmp_path, OBJECTS)
    store.dispose()


def test_two_beats_run_a_job_once_per_due_time_on_schedule(cluster, tmp_path):
    c = cluster()
    store = StateStore(c.settings.state)
    created = datetime.now(UTC)
    add_job(store, "often", operation="replicate", connection="acme", schedule="every 1s",
            params={"to": f"sqlite:///{tmp_path / 'often.db'}", "objects": ["Projects"]}, now=created)
    c.start("worker", "--pool", "threads", "--concurrency", "4")
    c.start("beat", ready=False)
    c.start("beat", ready=False)
    wait_for(lambda: sum(r["state"] == "succeeded" for r in list_runs(store)) >= 3, 60, "three scheduled runs",
             every=0.5)
    runs = sorted(list_runs(store), key=lambda r: r["due_at"])
    dues = [r["due_at"] for r in runs]
    assert len(dues) == len(set(dues))  # never two runs for one due time
    for r in runs:
        assert (r["due_at"] - created).total_seconds() % 1 == pytest.approx(0, abs=1e-3)  # on the schedule
        if r["started_at"]:
            assert r["started_at"] >= r["due_at"]
    finished = [r for r in runs if r["finished_at"]]
    for before, after in zip(finished, finished[1:], strict=False):
        assert before["finished_at"] <= after["started_at"]  # one at a time on the connection
    store.dispose()


def test_concurrent_dispatchers_on_postgres_claim_each_due_time_once(postgres_url):
    stores = [StateStore(postgres_url) for _ in range(4)]
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for i in range(30):
        add_job(stores[0], f"job{i}", operation="replicate", connection=f"c{i}", schedule="every 1m",
                params={"objects": ["Projects"]}, now=now)
    handed: list[int] = []
    barrier = threading.Barrier(len(stores))

    def dispatcher(store: StateStore) -> None:
        barrier.wait()
        for _ in range(3):
            handed.extend(dispatch_due(store, now + timedelta(minutes=1)))

    threads = [threading.Thread(target=dispatcher, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    runs = list_runs(stores[0], limit=100)
    assert len(runs) == 30 and len({r["job"] for r in runs}) == 30
    assert sorted(handed) == sorted(r["id"] for r in runs)
    for s in stores:
        s.dispose()


def test_a_connection_out_of_daily_quota_pauses_and_resumes(cluster, tmp_path):
    c = cluster({"rate_limit": RateLimit(daily=3)})  # a day of Scoro: customFields + two objects
    store = StateStore(c.settings.state)
    mirror = f"sqlite:///{tmp_path / 'mirror.db'}"
    objects = ["Projects", "Invoices", "Products", "Tasks"]
    now = datetime.now(UTC)
    add_job(store, "quota", operation="replicate", connection="acme", schedule="manual",
            params={"to": mirror, "objects": objects, "group": 1}, now=now)
    run_id = run_now(store, "quota", now)
    c.worker()
    # Scoro's day ends in a few seconds: the quota runs out first, then resets at its midnight
    sb: ScoroSandbox = c.sandbox  # type: ignore[attr-defined]
    sb_now = datetime.fromtimestamp(sb.clock.now(), UTC)
    midnight = (sb_now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    sb.advance_clock((midnight - sb_now).total_seconds() - 5)
    c.dispatch()
    paused = wait_for(lambda: (r := get_run(store, run_id))["not_before"] and r, 30, "the pause")
    conn = connection_state(store, "acme")
    assert paused["state"] == "queued" and conn["pause_reason"] == "daily request quota used up"
    assert conn["lease_owner"] is None  # no worker is held while paused
    assert c.dispatch() == [] or datetime.now(UTC) >= paused["not_before"]
    wait_for(lambda: get_run(store, run_id)["state"] not in ("queued", "running"), 60, "the resumed run",
             every=0.5, between=c.dispatch)
    run = get_run(store, run_id)
    assert run["state"] == "succeeded", run["log"]
    assert any("paused until" in m["message"] for m in run["log"])
    assert snapshot(mirror) == reference_mirror(tmp_path, objects)
    store.dispose()
