"""A PostgreSQL mirror of a large sandbox: every object completes, year-less birthdays and all.

    .venv/bin/python bench/replicate_postgres.py [--size 20000] [--json]

Builds a Scoro sandbox of `--size` records (in-process), starts a throwaway PostgreSQL server (as
the tests do) and replicates every default object into it. Prints each object's records, rows
written, values changed to fit the database (rows.Cleaning) and any failure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.services: the throwaway server
from tests.conftest import make_connector  # noqa: E402
from tests.services import create_database, start_postgres  # noqa: E402

from scorolink.replicate.engine import ReplicateOptions, replicate  # noqa: E402
from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--json", action="store_true")
    a = parser.parse_args()
    built = time.monotonic()
    sandbox = ScoroSandbox(SandboxConfig(seed=1, size=a.size))
    build_seconds = time.monotonic() - built
    connector = make_connector(sandbox)
    with tempfile.TemporaryDirectory(prefix="bench-pg-") as tmp:
        server = start_postgres(Path(tmp) / "pg")
        try:
            url = create_database(server, "mirror")
            started = time.monotonic()
            summary = replicate(connector, url, ReplicateOptions())
            seconds = time.monotonic() - started
        finally:
            server.stop()
    connector.close()
    sandbox.close()
    objects = {n: {"read": r.read, "rows": r.rows, "cleaned_rows": r.cleaned_rows, "cleaned": r.cleaned,
                   "error": r.error} for n, r in summary.objects.items()}
    result = {"size": a.size, "objects": len(objects), "failed": summary.failed,
              "records": sum(o["read"] for o in objects.values()), "requests": summary.requests,
              "seconds": round(seconds, 1), "sandbox_build_seconds": round(build_seconds, 1),
              "cleaned": {n: o["cleaned"] for n, o in objects.items() if o["cleaned"]}}
    if not a.json:
        result["per_object"] = objects
    print(json.dumps(result, indent=None if a.json else 2))


if __name__ == "__main__":
    main()
