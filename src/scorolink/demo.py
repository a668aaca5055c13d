"""The demo job: the bundled Scoro sandbox on loopback, every object read over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from scorolink.catalog.scoro import CATALOG
from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.scoro import ScoroConnector
from scorolink.session import sandbox_settings, start_bundled_sandbox


def run_demo(size: int = 300, on_object: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    sandbox = start_bundled_sandbox(size=size)
    readable = [spec for spec in CATALOG if spec.allows("select")]
    summary: dict[str, Any] = {"objects": {}}
    with sandbox.run_in_thread(host="127.0.0.1", port=0) as base_url:
        settings = sandbox_settings(sandbox, base_url=base_url)
        with ScoroClient(settings) as client:
            connector = ScoroConnector(client)
            for done, spec in enumerate(readable):
                if on_object:
                    on_object(spec.name, done, len(readable))
                before = client.stats.total
                started = time.monotonic()
                rows = sum(1 for _ in connector.read(spec.name))
                summary["objects"][spec.name] = {"rows": rows, "requests": client.stats.total - before,
                                                 "seconds": round(time.monotonic() - started, 3)}
            if on_object:
                on_object("done", len(readable), len(readable))
            summary.update(base_url=base_url, requests=client.stats.total,
                           records=sum(v["rows"] for v in summary["objects"].values()))
    return summary
