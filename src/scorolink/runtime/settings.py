"""Runtime settings: flags, then environment, then [runtime] in scorolink.toml.

    [runtime]
    state = "sqlite:///scorolink-state.db"   # or postgresql://user@host/db (SCOROLINK_STATE_URL)
    broker = "redis://localhost:6379/0"      # Celery broker for `scorolink worker` / `beat` (SCOROLINK_BROKER_URL)
    workers = 2                              # `scorolink serve` worker threads
    tick_seconds = 15                        # how often the dispatcher looks for due jobs
    slice_seconds = 300                      # a slice checkpoints and re-queues after this long ...
    slice_requests = 0                       # ... or after this many API requests (0: no limit)
    lease_seconds = 60                       # a dead worker's run is taken over this long after its last heartbeat
    max_retry_wait = 10                      # longer Retry-After waits pause the connection instead of sleeping
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any

from scorolink.config import config_path, read_config_file
from scorolink.errors import ConfigError
from scorolink.runtime.operations import Budget
from scorolink.runtime.store import DEFAULT_STATE_URL


@dataclass
class RuntimeSettings:
    state: str = DEFAULT_STATE_URL
    broker: str = "redis://localhost:6379/0"
    workers: int = 2
    tick_seconds: float = 15.0
    slice_seconds: float = 300.0
    slice_requests: int = 0
    lease_seconds: float = 60.0
    rehand_seconds: float = 120.0
    max_retry_wait: float = 10.0

    @property
    def budget(self) -> Budget:
        return Budget(seconds=self.slice_seconds or None, requests=self.slice_requests or None)


_ENV = {f: "SCOROLINK_" + f.upper() for f in ("workers", "tick_seconds", "slice_seconds", "slice_requests",
                                              "lease_seconds", "rehand_seconds", "max_retry_wait")}
_ENV.update(state="SCOROLINK_STATE_URL", broker="SCOROLINK_BROKER_URL")


def load_runtime_settings(config_file: str | None = None, **flags: Any) -> tuple[RuntimeSettings, dict[str, Any]]:
    """The settings and the [jobs] table of scorolink.toml."""
    path = config_path(config_file)
    data = read_config_file(path)
    merged: dict[str, Any] = dict(data.get("runtime", {}))
    for key, env in _ENV.items():
        if os.environ.get(env):
            merged[key] = os.environ[env]
    merged.update({k: v for k, v in flags.items() if v is not None})
    known = {f.name: f for f in fields(RuntimeSettings)}
    unknown = sorted(set(merged) - set(known))
    if unknown:
        raise ConfigError(f"Unknown setting(s) under [runtime]: {', '.join(unknown)}. Known: {', '.join(known)}.")
    for name, f in known.items():
        if name in merged and f.type in ("int", "float"):
            try:
                merged[name] = (int if f.type == "int" else float)(merged[name])
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"[runtime] {name} must be a number, got {merged[name]!r} "
                                  f"(or set {_ENV[name]}).") from exc
    settings = RuntimeSettings(**merged)
    if settings.workers < 1:
        raise ConfigError("[runtime] workers must be at least 1.")
    jobs = data.get("jobs", {})
    if not isinstance(jobs, dict):
        raise ConfigError("[jobs] in scorolink.toml must be a table of tables: [jobs.NAME].")
    return settings, jobs
