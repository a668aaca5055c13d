"""Requests of an unchanged second `scorolink replicate`, as a user runs it: the Scoro sandbox served over
loopback HTTP, each replication a separate CLI process (sharing the site's facts through
SCOROLINK_CACHE_DIR, as runs on one machine do), every request counted by the sandbox's own log.

    .venv/bin/python bench/unchanged_run_cli.py [--size 300] [--comments-by-module answer|refuse|empty|untagged]
                                                [--ignore-modified-filter timeEntries] [--cli-python PATH] [--json]

`--comments-by-module` is what the sandbox answers to `comments/list` without `object_id` (the reference
is silent; see src/scorolink/sandbox/scoro/config.py). The sandbox runs in this process; the replications
run with `--cli-python` (default: this interpreter), so another version of scorolink (another checkout's
.venv/bin/python) can be measured against this sandbox. Default settings for the replications.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--comments-by-module", default="answer")
    parser.add_argument("--ignore-modified-filter", default="")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--cli-python", default=sys.executable)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    mode: Any = {"answer": True, "refuse": False}.get(args.comments_by_module, args.comments_by_module)
    ignored = frozenset(m for m in args.ignore_modified_filter.split(",") if m)
    sb = ScoroSandbox(SandboxConfig(size=args.size, comments_by_module=mode, ignore_modified_filter=ignored))
    out: dict[str, Any] = {"size": args.size, "comments_by_module": args.comments_by_module, "runs": []}
    exe = [args.cli_python, "-c", "from scorolink.cli import main; main()"]
    with tempfile.TemporaryDirectory() as tmp, sb.run_in_thread() as base_url:
        origin = base_url.removesuffix("/api/v2")
        site = sb.default
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SCORO_", "SCOROLINK_"))}
        env.update(SCORO_BASE_URL=base_url, SCORO_API_KEY=site["api_key"],
                   SCORO_COMPANY_ACCOUNT_ID=site["company_account_ids"][0], SCOROLINK_CACHE_DIR=str(Path(tmp) / "cache"))
        mirror = f"sqlite:///{Path(tmp) / 'mirror.db'}"
        for _ in range(args.runs):
            httpx.post(origin + "/_sandbox/reset")
            done = subprocess.run([*exe, "replicate", "--to", mirror, "--json"], cwd=tmp, env=env,
                                  capture_output=True, text=True, check=True)
            summary = json.loads(done.stdout)
            log = httpx.get(origin + "/_sandbox/stats").json()["requests"]
            out["runs"].append({
                "logged": log["total"], "summary": summary["requests"], "failed": summary["failed"],
                "objects": {n: o["requests"] for n, o in summary["objects"].items()},
                "parents": {n: o["parents"] for n, o in summary["objects"].items() if o.get("parents")},
                "rows": sum(o["rows"] for o in summary["objects"].values()),
                "by_endpoint": log["by_endpoint"]})
    sb.close()
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for i, run in enumerate(out["runs"], 1):
        over = {n: k for n, k in run["objects"].items() if k != 1}
        print(f"run {i}: {run['logged']} requests in the sandbox's log ({run['summary']} in the summary) for "
              f"{len(run['objects'])} objects, {run['rows']} rows written, failed {run['failed']}; "
              f"comments/list {run['by_endpoint'].get('comments/list', 0)}")
        print(f"  objects not at 1 request: {over}")
        print(f"  comment objects read: {sorted(set(run['parents'].values()))}")


if __name__ == "__main__":
    main()
