"""Glue for the ``scorolink sandbox scoro`` command: bind the port, build a sandbox, print how to reach it,
serve."""

from __future__ import annotations

import json

from ..common import open_on, serve_until_interrupted
from .config import COMMENTS_BY_MODULE, FAULT_KINDS, Faults, RateLimit, SandboxConfig
from .sandbox import ScoroSandbox


def serve_command(host: str = "127.0.0.1", port: int = 8000, data: str | None = None, seed: int = 1,
                  size: int = 300, sites: int = 2, rate_per_window: int | None = None,
                  daily_quota: int | None = None, fault_rate: float = 0.0, show_users: bool = False,
                  fault_kinds: str | None = None, timeout_seconds: float = 30.0, slow_seconds: float = 8.0,
                  expose_secrets: bool = False, comments_by_module: str = "answer",
                  ignore_modified_filter: str | None = None, timezone: str | None = None) -> None:
    kinds = tuple(k.strip() for k in fault_kinds.split(",") if k.strip()) if fault_kinds else Faults.kinds
    try:
        faults = Faults(rate=fault_rate, seed=seed, kinds=kinds, timeout_seconds=timeout_seconds,
                        slow_seconds=slow_seconds)
    except ValueError as exc:
        raise SystemExit(f"--fault-kinds: {exc}; known: {', '.join(FAULT_KINDS)}") from None
    if comments_by_module not in COMMENTS_BY_MODULE:
        raise SystemExit(f"--comments-by-module: {comments_by_module!r}; one of {', '.join(COMMENTS_BY_MODULE)}")
    ignored = frozenset(m.strip() for m in (ignore_modified_filter or "").split(",") if m.strip())
    sb, sock, origin = open_on(host, port, lambda: ScoroSandbox(SandboxConfig(
        seed=seed, size=size, data=data, sites=sites, faults=faults, expose_secrets=expose_secrets,
        rate_limit=RateLimit(per_window=rate_per_window, daily=daily_quota),
        comments_by_module=comments_by_module, ignore_modified_filter=ignored,
        timezone=timezone or SandboxConfig.timezone)))
    print(json.dumps(connection_info(sb, origin, show_users)), flush=True)
    serve_until_interrupted(sb, sock)


def connection_info(sb: ScoroSandbox, origin: str, show_users: bool) -> dict:
    """What a client needs: base URL, API key and company account of every site; the users and their
    passwords (for user-level login) only when asked."""
    default = sb.default
    info = {"base_url": origin + default["base_path"], "api_key": default["api_key"],
            "company_account_id": default["company_account_ids"][0], "timezone": default["timezone"]}
    sites = [{**s, "base_url": origin + s["base_path"]} for s in sb.sites]
    if show_users:
        user = default["users"][0]
        info.update(username=user["username"], password=user["password"])
    else:
        sites = [{k: v for k, v in s.items() if k != "users"} for s in sites]
    return {**info, "sites": sites}
