"""Requests of an unchanged second replication of every default object (the bundled sandbox's
data at --size records), and of a key lookup through `scorolink query`.

    .venv/bin/python bench/unchanged_run.py [--size 300] [--per-parent all|changed] [--json]

The first run is full; the second runs at once with nothing changed. Requests come from each
run's summary (per object) and match the sandbox's own count.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.scoro import ScoroConnector
from scorolink.connectors.site_facts import SiteFacts
from scorolink.query.engine import QueryEngine
from scorolink.replicate.engine import ReplicateOptions, replicate
from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox
from scorolink.session import sandbox_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--per-parent", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sandbox = ScoroSandbox(SandboxConfig(size=args.size))
    out: dict = {}
    facts = SiteFacts()  # what the first run learns about the site, the second reuses (as CLI runs do)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'mirror.db'}"
        options = ReplicateOptions() if args.per_parent is None else ReplicateOptions(per_parent=args.per_parent)
        for label in ("first", "second"):
            client = ScoroClient(sandbox_settings(sandbox), transport=SyncASGITransport(sandbox.app))
            summary = replicate(ScoroConnector(client, facts=facts), url, options)
            out[label] = {"total": summary.requests,
                          "objects": {n: r.requests for n, r in summary.objects.items()},
                          "failed": summary.failed}
            client.close()
        client = ScoroClient(sandbox_settings(sandbox), transport=SyncASGITransport(sandbox.app))
        engine = QueryEngine(ScoroConnector(client))  # a fresh process: nothing learnt about the site
        before = client.stats.total
        engine.execute("SELECT Id, DocumentNumber FROM Invoices WHERE Id = 5", use_cache=False)
        out["key_lookup"] = client.stats.total - before
    if args.json:
        print(json.dumps(out, indent=2))
        return
    second = out["second"]
    print(f"first run: {out['first']['total']} requests; unchanged second run: {second['total']} requests "
          f"for {len(second['objects'])} objects; key lookup: {out['key_lookup']} request(s)")
    for name, n in sorted(second["objects"].items(), key=lambda kv: -kv[1]):
        if n != 1:
            print(f"  {name}: {n}")


if __name__ == "__main__":
    main()
