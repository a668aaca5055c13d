"""Kill soak: real SIGKILLs at random moments of `scorolink replicate` and `scorolink import`
against a sandbox on loopback, each followed by a rerun; at the end nothing is lost or duplicated.

Bounded: a fixed number of kills (KILLS each), each after a random 0.3–2.5 s, then one run to the
end; every subprocess has a timeout. The figures of a run are printed with -s (bench/README.md).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from scorolink.sandbox.scoro import RateLimit, SandboxConfig, ScoroSandbox
from tests.conftest import make_connector
from tests.replicate.test_robustness import snapshot
from tests.transfer.conftest import write_csv

pytestmark = pytest.mark.loopback

KILLS = 12  # per command: 24 SIGKILLs in all
OBJECTS = "Invoices,Projects,Tasks,People,Companies,TimeEntries,TaskComments"


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from scorolink.cli import main; main()", *args]


def kill_and_rerun(args: list[str], env: dict[str, str], cwd: Path, rng: random.Random) -> dict[str, int]:
    """KILLS runs each killed after a random delay (one that ended first counts as finished), then
    one run to the end, which must exit 0."""
    landed = finished = 0
    for _ in range(KILLS):
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            proc.wait(timeout=rng.uniform(0.3, 2.5))
            finished += 1
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            landed += 1
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return {"kills": landed, "finished_before_kill": finished}


def test_sigkills_at_random_points_of_replicate_and_import_lose_and_duplicate_nothing(tmp_path):
    rng = random.Random(20)
    started = time.monotonic()
    sandbox = ScoroSandbox(SandboxConfig(seed=9, size=400, rate_limit=RateLimit(per_window=40)))
    names = [f"Kill Co {i:04d}" for i in range(300)]
    csv_path = write_csv(tmp_path / "companies.csv", ["Name", "Comments"], [[n, "killed"] for n in names])
    with sandbox.run_in_thread() as base_url:
        site = sandbox.default
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SCORO_", "SCOROLINK_"))}
        env.update(SCORO_BASE_URL=base_url, SCORO_API_KEY=site["api_key"],
                   SCORO_COMPANY_ACCOUNT_ID=site["company_account_ids"][0])
        mirror, reference = tmp_path / "killed.db", tmp_path / "reference.db"
        replicated = kill_and_rerun(cli("replicate", "--objects", OBJECTS, "--to", f"sqlite:///{mirror}", "--json"),
                                    env, tmp_path, rng)
        done = subprocess.run(cli("replicate", "--objects", OBJECTS, "--to", f"sqlite:///{reference}", "--json"),
                              env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0 and json.loads(done.stdout)["failed"] == []
        imported = kill_and_rerun(cli("import", "Companies", str(csv_path), "--json"), env, tmp_path, rng)
        check = make_connector(sandbox)
        counts = Counter(c["Name"] for c in check.read("Companies", columns=["Name"])
                         if c["Name"].startswith("Kill Co"))
        check.close()
    sandbox.close()
    assert snapshot(f"sqlite:///{mirror}") == snapshot(f"sqlite:///{reference}")
    assert counts == Counter({n: 1 for n in names})
    assert replicated["kills"] + imported["kills"] >= 20
    print(json.dumps({"replicate": replicated, "import": imported, "rows": len(names),
                      "seconds": round(time.monotonic() - started, 1)}))
