"""`scorolink serve` as a real process: it runs jobs from scorolink.toml on their schedule, stops
cleanly on SIGTERM, and after a restart runs the due times it missed once (coalesced)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scorolink.runtime.jobs import get_job, list_runs
from scorolink.runtime.store import StateStore

SCOROLINK = str(Path(sys.executable).parent / "scorolink")


def serve(folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([SCOROLINK, "serve", "--sandbox"], cwd=folder, stdout=subprocess.DEVNULL,
                            stderr=(folder / "serve.log").open("ab"))


def wait_until(check, seconds: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_serve_runs_config_jobs_and_coalesces_missed_runs_after_a_restart(tmp_path, monkeypatch):
    for var in ("SCOROLINK_CONFIG", "SCOROLINK_STATE_URL", "SCORO_API_KEY", "SCORO_USERNAME"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "scorolink.toml").write_text(
        '[runtime]\nstate = "sqlite:///state.db"\ntick_seconds = 0.2\n\n'
        '[jobs.often]\nschedule = "every 1s"\nobjects = ["Projects"]\nto = "sqlite:///mirror.db"\n')
    proc = serve(tmp_path)
    store = None
    try:
        wait_until(lambda: (tmp_path / "state.db").exists(), 30)
        store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
        wait_until(lambda: any(r["state"] == "succeeded" for r in list_runs(store)), 30)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, (tmp_path / "serve.log").read_text()
        stopped = datetime.now(UTC)
        missed_from = get_job(store, "often")["next_run_at"]
        runs_before = len(list_runs(store))
        time.sleep(3)  # three due times pass while nothing runs

        proc = serve(tmp_path)
        wait_until(lambda: len(list_runs(store)) >= runs_before + 2, 30)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        after = sorted((r for r in list_runs(store, limit=500) if r["due_at"] >= missed_from),
                       key=lambda r: r["due_at"])
        assert after[0]["due_at"] == missed_from  # the first missed due time runs once ...
        # ... and the ones in between are coalesced: the next run is due after the restart
        assert after[1]["due_at"] > stopped + timedelta(seconds=3)
        assert all(r["state"] == "succeeded" for r in after if r["finished_at"])
    finally:
        if proc.poll() is None:
            proc.kill()
        if store is not None:
            store.dispose()
