"""Writes the state database that tests/state/fixtures/state-e26aa0a.db holds, with the code of commit
e26aa0a (before migrations existed: the runtime's tables made by create_all, the sync's tables likewise).

    git archive e26aa0a src | tar -x -C /tmp/e26aa0a
    PYTHONPATH=/tmp/e26aa0a/src python tests/state/make_legacy_state.py tests/state/fixtures/state-e26aa0a.db

It is kept to show how the fixture was made; the test reads the file, never runs this.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from scorolink.runtime.api import add_log
from scorolink.runtime.jobs import add_job, run_now
from scorolink.runtime.store import StateStore
from scorolink.sync.store import SyncStore

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def main(path: str) -> None:
    url = f"sqlite:///{path}"
    store = StateStore(url)
    add_job(store, "mirror", operation="replicate", connection="default", schedule="every 5m",
            params={"to": "sqlite:///mirror.db", "objects": ["Projects"]}, now=NOW)
    run = run_now(store, "mirror", NOW)
    add_log(store, run, NOW, "a line of the run's log")
    sync = SyncStore(url)
    sync_run = sync.start_run("xero", dry_run=False)
    for n in range(3):
        sync.save_link("xero", "contacts", sync_run, a_id=str(100 + n), b_id=f"b-{n}", a_version="v1",
                       b_version="w1", a_hash=f"h{n}", b_hash=f"h{n}", base={"Name": f"Company {n}"})
    sync.set_cursor("xero", "a", "contacts", NOW)
    sync.set_setting("xero", "contacts.start", "2026-01-01")
    sync.set_run(sync_run, state="succeeded", finished_at=NOW)
    sync.close()
    store.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
