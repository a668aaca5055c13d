"""Glue for the ``scorolink sandbox xero`` command: bind the port, build a sandbox, print how to reach it,
serve."""

from __future__ import annotations

import json
import sys

from ..common import listen, parse_limit_spec, serve_until_interrupted
from .config import Faults, RateLimit, XeroSandboxConfig
from .sandbox import XeroSandbox


def serve_command(host: str = "127.0.0.1", port: int = 8766, data: str | None = None, seed: int = 1, size: int = 60,
                  tenants: int = 2, rate_limit: RateLimit | None = None, fault_rate: float = 0.0,
                  webhook_url: str | None = None, start_time: str | None = None) -> None:
    sock = listen(host, port)  # first: a busy port fails here, before anything is printed
    try:
        sb = XeroSandbox(XeroSandboxConfig(seed=seed, size=size, tenants=tenants, data=data,
                                           rate_limit=rate_limit or RateLimit(),
                                           faults=Faults(rate=fault_rate, seed=seed), webhook_delivery="auto",
                                           start_time=start_time))
    except BaseException:
        sock.close()
        raise
    port = int(sock.getsockname()[1])
    origin = f"http://{host}:{port}"
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
    if not spec:
        return RateLimit()
    if spec.strip().lower() == "off":
        return RateLimit.off()
    names = {"minute": "per_minute", "concurrent": "concurrent", "day": "daily", "app": "app_per_minute",
             "window": "daily_window"}
    return RateLimit(**parse_limit_spec(spec, names, text_keys=("window",)))
