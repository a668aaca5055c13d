"""Glue for the ``scorolink sandbox scoro`` command: build a sandbox, print how to reach it, serve."""

from __future__ import annotations

import json

from ..common import free_port, serve_until_interrupted
from .config import FAULT_KINDS, Faults, RateLimit, SandboxConfig
from .sandbox import ScoroSandbox


def serve_command(host: str = "127.0.0.1", port: int = 8000, data: str | None = None, seed: int = 1,
                  size: int = 300, sites: int = 2, rate_per_window: int | None = None,
                  daily_quota: int | None = None, fault_rate: float = 0.0, fault_kinds: str | None = None,
                  timeout_seconds: float = 30.0, slow_seconds: float = 8.0, expose_secrets: bool = False) -> None:
    kinds = tuple(k.strip() for k in fault_kinds.split(",") if k.strip()) if fault_kinds else Faults.kinds
    try:
        faults = Faults(rate=fault_rate, seed=seed, kinds=kinds, timeout_seconds=timeout_seconds,
                        slow_seconds=slow_seconds)
    except ValueError as exc:
        raise SystemExit(f"--fault-kinds: {exc}; known: {', '.join(FAULT_KINDS)}") from None
    sb = ScoroSandbox(SandboxConfig(seed=seed, size=size, data=data, sites=sites,
                                    rate_limit=RateLimit(per_window=rate_per_window, daily=daily_quota),
                                    faults=faults, expose_secrets=expose_secrets))
    if port == 0:
        port = free_port(host)  # the line printed below must carry the real port
    default = sb.default
    origin = f"http://{host}:{port}"
    user = default["users"][0]
    print(json.dumps({
        "base_url": origin + default["base_path"], "api_key": default["api_key"],
        "company_account_id": default["company_account_ids"][0], "username": user["username"],
        "password": user["password"], "timezone": default["timezone"],
        "sites": [{**s, "base_url": origin + s["base_path"]} for s in sb.sites],
    }), flush=True)
    serve_until_interrupted(sb, host, port)
