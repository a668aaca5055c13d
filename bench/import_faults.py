"""`scorolink import` under faults: does every row end as exactly one record?

    .venv/bin/python bench/import_faults.py [--rows 50] [--fault-rate 0.3] [--kinds ...]
        [--timeout 10] [--server-delay 30] [--server-timeout 35] [--runs 3] [--json]

Serves a fresh Scoro sandbox over loopback with random faults (`--kinds`, drawn at `--fault-rate`;
`timeout` and `slow` faults do the work `--server-delay` seconds late), then runs
`scorolink import Companies` on a CSV of `--rows` new companies as a real process with a client
timeout of `--timeout` seconds, again and again (at most `--runs` times) until one exits 0, and
counts the records each row became. `--server-timeout` is the import's `server_timeout`: how long
a create whose answer was lost is given to finish on the server before it is looked up.

Slow answers only: `--fault-rate 0.3 --kinds slow --server-delay 8 --timeout 4 --server-timeout 9`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from scorolink.clients.scoro import ScoroClient
from scorolink.config import ScoroSettings
from scorolink.connectors.scoro import ScoroConnector
from scorolink.sandbox.scoro import Faults, SandboxConfig, ScoroSandbox

DEFAULT_KINDS = "http_500,http_502,http_503,timeout,drop,error_200,malformed_json,lost_ack"


def run(rows: int, fault_rate: float, kinds: str, timeout: float, server_delay: float, server_timeout: float,
        runs: int, workers: int, seed: int, code: str | None = None) -> dict[str, Any]:
    faults = Faults(rate=fault_rate, kinds=tuple(kinds.split(",")), seed=seed, timeout_seconds=server_delay,
                    slow_seconds=server_delay)
    sandbox = ScoroSandbox(SandboxConfig(seed=seed, size=60, faults=faults))
    names = [f"Fault Co {i:04d}" for i in range(rows)]
    with tempfile.TemporaryDirectory() as tmp, sandbox.run_in_thread() as base_url:
        folder = Path(tmp)
        path = folder / "companies.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["Name", "Comments"])
            writer.writerows([name, "imported under faults"] for name in names)
        (folder / "scorolink.toml").write_text(f"[scoro]\ntimeout = {timeout}\n")
        site = sandbox.default
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCORO_")}
        env.update(SCORO_BASE_URL=base_url, SCORO_API_KEY=site["api_key"],
                   SCORO_COMPANY_ACCOUNT_ID=site["company_account_ids"][0],
                   SCORO_SERVER_TIMEOUT=str(server_timeout))
        if code:  # another checkout's src/, e.g. to measure the code before a fix
            env["PYTHONPATH"] = code
        args = [sys.executable, "-c", "from scorolink.cli import main; main()", "import", "Companies", str(path),
                "--journal-dir", str(folder / "journal"), "--workers", str(workers), "--json"]
        started = time.monotonic()
        exits, summaries = [], []
        for _ in range(runs):
            done = subprocess.run(args, env=env, cwd=folder, capture_output=True, text=True)
            exits.append(done.returncode)
            try:
                summaries.append(json.loads(done.stdout))
            except ValueError:
                summaries.append({"error": (done.stderr or done.stdout)[-300:]})
            if done.returncode == 0:
                break
        seconds = time.monotonic() - started
        time.sleep(server_delay)  # a write still running on the server lands before the count
        sandbox_faults = sandbox.stats()["faults_injected"]
        # count with faults off: the check must not be disturbed by the faults it measures
        sandbox.faults.faults = Faults()
        check = ScoroConnector(ScoroClient(ScoroSettings(base_url=base_url, api_key=site["api_key"],
                                                         company_account_id=site["company_account_ids"][0])))
        counts = Counter(c["Name"] for c in check.read("Companies", columns=["Name"])
                         if str(c["Name"]).startswith("Fault Co"))
        check.close()
    sandbox.close()
    return {
        "rows": rows, "fault_rate": fault_rate, "kinds": kinds, "client_timeout": timeout,
        "server_delay": server_delay, "server_timeout": server_timeout, "runs": len(exits), "exits": exits,
        "records": sum(counts.values()), "missing": sum(1 for n in names if counts[n] == 0),
        "duplicated": sum(1 for n in names if counts[n] > 1), "faults": sandbox_faults,
        "seconds": round(seconds, 1),
        "per_run": [{k: s.get(k) for k in ("inserted", "failed", "unknown", "already_done", "requests", "error")
                     if k in s} for s in summaries],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--kinds", default=DEFAULT_KINDS)
    parser.add_argument("--timeout", type=float, default=10.0, help="client timeout, seconds")
    parser.add_argument("--server-delay", type=float, default=30.0, help="delay of timeout and slow faults")
    parser.add_argument("--server-timeout", type=float, default=35.0, help="the import's server_timeout")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--code", help="run the imports with this src/ folder first on PYTHONPATH")
    parser.add_argument("--json", action="store_true")
    a = parser.parse_args()
    result = run(a.rows, a.fault_rate, a.kinds, a.timeout, a.server_delay, a.server_timeout, a.runs, a.workers,
                 a.seed, a.code)
    print(json.dumps(result, indent=None if a.json else 2))


if __name__ == "__main__":
    main()
