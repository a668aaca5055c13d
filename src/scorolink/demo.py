"""The demo job: the bundled Scoro sandbox on loopback, replicated over real HTTP into SQLite."""

from __future__ import annotations

from typing import Any

from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.scoro import ScoroConnector
from scorolink.replicate.destination import open_destination
from scorolink.replicate.engine import Progress, ReplicateOptions, ReplicationSummary, replicate
from scorolink.session import sandbox_settings, start_bundled_sandbox

DEMO_MIRROR = "sqlite:///scorolink-demo.db"


def run_demo(to: str = DEMO_MIRROR, size: int = 300, progress: Progress | None = None,
             options: ReplicateOptions | None = None) -> tuple[ReplicationSummary, dict[str, int]]:
    """Replicate the sandbox into `to`; returns the summary and the row count of every table."""
    sandbox = start_bundled_sandbox(size=size)
    with sandbox.run_in_thread(host="127.0.0.1", port=0) as base_url:
        with ScoroClient(sandbox_settings(sandbox, base_url=base_url)) as client:
            summary = replicate(ScoroConnector(client), to, options or ReplicateOptions(), progress)
    return summary, table_counts(to)


def table_counts(url: str) -> dict[str, int]:
    dest = open_destination(url)
    try:
        out: dict[str, Any] = {}
        for name in sorted(dest.tables()):
            if not name.startswith("_scorolink"):
                out[name] = int(dest.query(f"SELECT count(*) FROM {dest.q(name)}")[0][0])
        return out
    finally:
        dest.close()
