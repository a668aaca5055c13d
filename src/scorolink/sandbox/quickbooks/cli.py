"""Glue for the ``scorolink sandbox quickbooks`` command: build a sandbox, bind the port, print how to reach
it (one JSON line), serve until Ctrl+C."""

from __future__ import annotations

import json

from ..common import open_on, parse_limits, serve_until_interrupted
from .config import Faults, QuickBooksSandboxConfig, RateLimit
from .sandbox import QuickBooksSandbox


def serve_command(host: str = "127.0.0.1", port: int = 8767, data: str | None = None, seed: int = 1,
                  realms: int = 2, rate_limit: RateLimit | str | None = None, fault_rate: float = 0.0,
                  size: int = 30, start_time: str | None = None) -> None:
    """Binds ``host:port`` first (0: any free port), then prints one JSON line with ``base_url``,
    ``authorize_url``, ``token_url``, ``revocation_url``, ``discovery_url``, ``client_id``, ``client_secret``
    and ``realm_ids``, then serves until Ctrl+C. A taken port raises PortBusy before anything is printed."""
    limits = rate_limit if isinstance(rate_limit, RateLimit) else parse_rate_limit(rate_limit)
    sb, sock, origin = open_on(host, port, lambda: QuickBooksSandbox(QuickBooksSandboxConfig(
        seed=seed, size=size, realms=realms, data=data, rate_limit=limits, faults=Faults(rate=fault_rate, seed=seed),
        start_time=start_time)))
    info = sb.describe()
    paths = info.pop("paths")
    print(json.dumps({
        "base_url": origin + paths["api"], "authorize_url": origin + paths["authorize"],
        "token_url": origin + paths["token"], "revocation_url": origin + paths["revocation"],
        "discovery_url": origin + paths["discovery"], "userinfo_url": origin + paths["userinfo"],
        "sandbox_url": origin + "/_sandbox", "client_id": info["client_id"], "client_secret": info["client_secret"],
        "realm_ids": sb.realm_ids, "realms": info["realms"],
    }, ensure_ascii=False), flush=True)
    serve_until_interrupted(sb, sock)


def parse_rate_limit(spec: str | None) -> RateLimit:
    """``off`` or comma-separated ``minute=500,second=10,concurrent=10,batch=40`` (any subset; ``off`` per
    limit too)."""
    return parse_limits(spec, RateLimit, {"minute": "per_minute", "second": "per_second", "concurrent": "concurrent",
                                          "batch": "batch_per_minute"})
