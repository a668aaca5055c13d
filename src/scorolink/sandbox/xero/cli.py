"""Glue for the ``scorolink sandbox xero`` command: bind the port, build a sandbox, print how to reach it,
serve."""

from __future__ import annotations

import json
import sys

from ..common import open_on, parse_limits, serve_until_interrupted
from .config import Faults, RateLimit, XeroSandboxConfig
from .sandbox import XeroSandbox


def serve_command(host: str = "127.0.0.1", port: int = 8766, data: str | None = None, seed: int = 1, size: int = 60,
                  tenants: int = 2, rate_limit: RateLimit | None = None, fault_rate: float = 0.0,
                  webhook_url: str | None = None, start_time: str | None = None) -> None:
    sb, sock, origin = open_on(host, port, lambda: XeroSandbox(XeroSandboxConfig(
        seed=seed, size=size, tenants=tenants, data=data, rate_limit=rate_limit or RateLimit(),
        faults=Faults(rate=fault_rate, seed=seed), webhook_delivery="auto", start_time=start_time)))
    info = sb.describe()
    paths = info.pop("paths")
    print(json.dumps({
        "base_url": origin + paths["api"], "authorize_url": origin + paths["authorize"],
        "token_url": origin + paths["token"], "revocation_url": origin + paths["revocation"],
        "connections_url": origin + paths["connections"], "sandbox_url": origin + "/_sandbox",
        **info, "tenant_ids": [t["tenantId"] for t in info["tenants"]],
    }, ensure_ascii=False), flush=True)
    if webhook_url:
        import threading

        def subscribe() -> None:  # once the server listens, so a receiver may call back
            result = sb.register_webhook(webhook_url)
            print(json.dumps({"webhook_url": webhook_url, "intent_to_receive": result}), file=sys.stderr, flush=True)

        threading.Timer(1.0, subscribe).start()
    serve_until_interrupted(sb, sock)


def parse_rate_limit(spec: str | None) -> RateLimit:
    """``off`` or comma-separated ``minute=60,concurrent=5,day=5000,app=10000,window=rolling`` (any subset)."""
    return parse_limits(spec, RateLimit, {"minute": "per_minute", "concurrent": "concurrent", "day": "daily",
                                          "app": "app_per_minute", "window": "daily_window"}, text_keys=("window",))
