"""Interrupted imports resume: a rerun never creates a record twice and never skips one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from scorolink.clients.errors import RateLimited
from scorolink.transfer.journal import Journal
from tests.conftest import endpoint_counts
from tests.transfer.conftest import read_csv, write_csv

ROWS = [[f"Resume Co {i:03d}", f"row {i}"] for i in range(1, 13)]


def names(connector) -> Counter:
    return Counter(c["Name"] for c in connector.read("Companies", columns=["Name"]) if c["Name"].startswith("Resume Co"))


def test_running_the_same_import_again_sends_nothing(connector, sandbox, do_import, tmp_path):
    path = write_csv(tmp_path / "c.csv", ["Name", "Comments"], ROWS)
    assert do_import("Companies", path).inserted == 12
    sandbox.reset_stats()
    again = do_import("Companies", path)
    assert (again.inserted, again.already_done) == (0, 12)
    assert "contacts/modify" not in endpoint_counts(sandbox)
    assert {r["scorolink_outcome"] for r in read_csv(tmp_path / "results.csv")} == {"done earlier (insert)"}
    assert do_import("Companies", path, restart=True).inserted == 12  # --restart: a new import of the same file
    assert set(names(connector).values()) == {2}


def test_a_row_edited_after_it_was_imported_is_reported_not_resent(connector, do_import, tmp_path):
    path = write_csv(tmp_path / "c.csv", ["Name", "Comments"], ROWS[:3])
    do_import("Companies", path)
    write_csv(path, ["Name", "Comments"], [ROWS[0], [ROWS[1][0], "edited"], ROWS[2], ["Resume Co 999", "added"]])
    summary = do_import("Companies", path)
    assert (summary.already_done, summary.failed, summary.inserted) == (2, 1, 1)
    [error] = read_csv(tmp_path / "errors.csv")
    assert error["scorolink_row"] == "2" and "--restart" in error["scorolink_error"]


@pytest.mark.parametrize("workers", [1, 4])
@pytest.mark.parametrize("crash_at", [1, 5, 12])
def test_a_crash_between_scoro_and_the_journal_is_resolved_by_lookup(connector, sandbox, do_import, tmp_path,
                                                                     monkeypatch, crash_at, workers):
    """The worst moment: Scoro created the record, the process died before the journal said so
    (with several workers, the rows in flight at that moment are in the same state)."""
    path = write_csv(tmp_path / "c.csv", ["Name", "Comments"], ROWS)
    calls = {"n": 0}
    original = Journal.done

    def dying(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == crash_at:
            raise SystemExit("killed")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Journal, "done", dying)
    with pytest.raises(SystemExit):
        do_import("Companies", path, workers=workers)
    monkeypatch.setattr(Journal, "done", original)
    sandbox.reset_stats()
    summary = do_import("Companies", path, workers=workers)
    assert summary.already_done == crash_at - 1
    assert (summary.inserted, summary.failed) == (len(ROWS) - crash_at + 1, 0)
    assert names(connector) == Counter({row[0]: 1 for row in ROWS})
    if workers == 1:  # the crashed row was found, not re-sent: one create per row still missing
        assert endpoint_counts(sandbox).get("contacts/modify", 0) == len(ROWS) - crash_at


def test_a_lost_answer_is_looked_up_before_creating_again(connector, sandbox, do_import, tmp_path):
    do_import("Companies", write_csv(tmp_path / "first.csv", ["Name", "Comments"], ROWS[:1]))
    sandbox.inject("lost_ack")  # the next request is processed and its answer dropped
    summary = do_import("Companies", write_csv(tmp_path / "rest.csv", ["Name", "Comments"], ROWS[1:4]))
    assert (summary.inserted, summary.failed) == (3, 0)
    assert sandbox.stats()["faults_injected"] == {"lost_ack": 1}
    assert names(connector) == Counter({row[0]: 1 for row in ROWS[:4]})


def test_a_rate_limit_past_the_wait_budget_stops_and_the_rerun_continues(connector, do_import, tmp_path,
                                                                          monkeypatch):
    path = write_csv(tmp_path / "c.csv", ["Name", "Comments"], ROWS[:6])
    real_write = connector.write
    sent = {"n": 0}

    def limited(obj, ops):
        sent["n"] += 1
        if sent["n"] == 4:
            raise RateLimited("daily quota spent", retry_after=3600, daily=True)
        return real_write(obj, ops)

    monkeypatch.setattr(connector, "write", limited)
    first = do_import("Companies", path)
    assert first.stopped and "daily quota spent" in first.stopped
    assert first.failed == 0 and 3 <= first.inserted < 6  # rows already in flight still finish
    monkeypatch.setattr(connector, "write", real_write)
    second = do_import("Companies", path)
    assert (second.already_done, second.inserted) == (first.inserted, 6 - first.inserted)
    assert names(connector) == Counter({row[0]: 1 for row in ROWS[:6]})


def test_a_killed_import_process_rerun_ends_with_one_record_per_row(tmp_path):
    """A real SIGKILL of `scorolink import` against a rate-limited sandbox over loopback."""
    from scorolink.sandbox.scoro import RateLimit, SandboxConfig, ScoroSandbox

    rows = [[f"Killed Co {i:03d}", "x"] for i in range(60)]
    path = write_csv(tmp_path / "c.csv", ["Name", "Comments"], rows)
    sandbox = ScoroSandbox(SandboxConfig(seed=5, size=200, rate_limit=RateLimit(per_window=10)))
    with sandbox.run_in_thread(host="127.0.0.1", port=0) as base_url:
        site = sandbox.default
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCORO_")}
        env.update(SCORO_BASE_URL=base_url, SCORO_API_KEY=site["api_key"],
                   SCORO_COMPANY_ACCOUNT_ID=site["company_account_ids"][0])
        args = [sys.executable, "-c", "from scorolink.cli import main; main()", "import", "Companies", str(path),
                "--journal-dir", str(tmp_path / "journal"), "--json"]
        for rows_done in (5, 20):  # killed twice, mid-run, once the journal shows progress
            proc = subprocess.Popen(args, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _wait_for_journal(tmp_path / "journal", rows_done)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        done = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        assert summary["already_done"] > 0 and summary["failed"] == 0
        from tests.conftest import make_connector

        check = make_connector(sandbox)
        counts = Counter(c["Name"] for c in check.read("Companies", columns=["Name"]) if c["Name"].startswith("Killed"))
        check.close()
    assert counts == Counter({row[0]: 1 for row in rows})


def _wait_for_journal(folder, rows: int, timeout: float = 60) -> None:
    import sqlite3

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in folder.glob("*.journal"):
            try:
                with sqlite3.connect(path) as db:
                    if db.execute("SELECT count(*) FROM rows").fetchone()[0] >= rows:
                        return
            except sqlite3.Error:
                pass
        time.sleep(0.05)
    raise AssertionError(f"the import did not reach {rows} rows in {timeout} s")
