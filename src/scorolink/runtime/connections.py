"""Connections the runtime runs jobs against: named Scoro accounts from scorolink.toml, the default
account (flags / environment / [scoro]) or, with no credentials, the bundled sandbox.

    [connections.acme]
    base_url = "https://acme.scoro.com/api/v2"
    company_account_id = "acme"
    api_key_env = "ACME_SCORO_API_KEY"      # the key is read from this variable (or api_key = "...")

A connection may carry the credentials of the systems its account syncs with, as sub-tables that the
integration reads (the runtime only passes them on):

    [connections.acme.xero]
    client_id = "..."
    client_secret_env = "ACME_XERO_CLIENT_SECRET"   # any `<setting>_env` is read from that variable
    tenant_id = "..."

Every client is built with a transport that watches for 429 answers, so a run that hits a long
Retry-After or a spent daily quota can pause its connection (stored) instead of sleeping a worker.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from typing import Any, Protocol

import httpx

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.scoro import ScoroClient, _rate_limited
from scorolink.config import ScoroSettings, config_path, load_scoro_settings, read_config_file
from scorolink.connectors.scoro import ScoroConnector
from scorolink.connectors.site_facts import SiteFacts
from scorolink.errors import ConfigError

DEFAULT_CONNECTION = "default"


@dataclass
class Block:
    """A 429 the client will not wait out: a spent daily quota or a Retry-After above its limit."""

    retry_after: float
    daily: bool
    at: float  # time.monotonic() when seen


class RateLimitWatch(httpx.BaseTransport):
    """Wraps the real transport and remembers the 429 answers that went by."""

    def __init__(self, inner: httpx.BaseTransport, max_wait: float) -> None:
        self.inner = inner
        self.max_wait = max_wait
        self._lock = threading.Lock()
        self._blocks: list[Block] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if response.status_code == 429:
            limited = _rate_limited(response, request.url.path)
            if limited.daily or limited.retry_after > self.max_wait:
                with self._lock:
                    self._blocks.append(Block(limited.retry_after, limited.daily, time.monotonic()))
        return response

    def block_since(self, mark: float) -> Block | None:
        """The longest blocking 429 seen after `mark` (a time.monotonic() value)."""
        with self._lock:
            seen = [b for b in self._blocks if b.at >= mark]
        return max(seen, key=lambda b: b.retry_after) if seen else None

    def close(self) -> None:
        self.inner.close()


@dataclass
class OpenConnection:
    name: str
    connector: ScoroConnector
    watch: RateLimitWatch
    systems: dict[str, dict[str, Any]] = field(default_factory=dict)  # [connections.NAME.<system>] tables

    def system(self, name: str) -> dict[str, Any]:
        """The settings of another system this connection names (empty when it names none)."""
        return dict(self.systems.get(name, {}))

    @property
    def client(self) -> ScoroClient:
        return self.connector.client


class Connections(Protocol):
    def open(self, name: str) -> Any:  # a context manager yielding OpenConnection
        ...


def _open(name: str, settings: ScoroSettings, inner: httpx.BaseTransport, max_wait: float,
          systems: dict[str, dict[str, Any]] | None = None) -> OpenConnection:
    watch = RateLimitWatch(inner, max_wait)
    client = ScoroClient(replace(settings, max_retry_wait=max_wait), transport=watch)
    # runs of one account share what was learnt about its site (time zone, capabilities, custom fields)
    return OpenConnection(name, ScoroConnector(client, facts=SiteFacts.for_site(settings)), watch, systems or {})


def system_tables(name: str, table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The sub-tables of [connections.NAME], with `<setting>_env` values read from the environment."""
    systems: dict[str, dict[str, Any]] = {}
    for system, values in table.items():
        if not isinstance(values, dict):
            continue
        resolved: dict[str, Any] = {}
        for key, value in values.items():
            if key.endswith("_env"):
                if not os.environ.get(str(value)):
                    raise ConfigError(f"Connection {name}: environment variable {value} ([connections.{name}."
                                      f"{system}] {key}) is not set.")
                resolved[key[:-len("_env")]] = os.environ[str(value)]
            else:
                resolved[key] = value
        systems[system] = resolved
    return systems


class ConfiguredConnections:
    """Named connections from scorolink.toml; `default` is the ordinary CLI account (or the bundled
    sandbox, one per process, so repeated runs are incremental as against a real account)."""

    _bundled: Any = None
    _bundled_lock = threading.Lock()

    def __init__(self, config_file: str | None = None, max_retry_wait: float = 10.0, *,
                 allow_sandbox: bool = True) -> None:
        self.config_file = config_file
        self.max_retry_wait = max_retry_wait
        self.allow_sandbox = allow_sandbox  # services pass False unless started with --sandbox
        path = config_path(config_file)
        self.tables: dict[str, Any] = dict(read_config_file(path).get("connections", {}))
        self.source = str(path) if path else "scorolink.toml"

    def names(self) -> list[str]:
        return [DEFAULT_CONNECTION, *sorted(self.tables)]

    def settings(self, name: str) -> ScoroSettings | None:
        """The settings of a connection; None means the bundled sandbox."""
        # Read the file again: a connection added since (`scorolink connection add`, the dashboard) counts.
        self.tables = dict(read_config_file(config_path(self.config_file)).get("connections", {}))
        if name == DEFAULT_CONNECTION and name not in self.tables:
            settings = load_scoro_settings(None, self.config_file)
            return settings.validate() if settings.configured else None
        table = self.tables.get(name)
        if table is None:
            raise ConfigError(f"Unknown connection {name!r}: add a [connections.{name}] table to {self.source} "
                              f"(known: {', '.join(self.names())}).")
        from scorolink.saved_connections import decrypt_secrets

        values = {k: v for k, v in table.items() if not isinstance(v, dict)}  # sub-tables: other systems
        values = decrypt_secrets(values, self.config_file, f"[connections.{name}] in {self.source}")
        env = values.pop("api_key_env", None)
        if env:
            if not os.environ.get(env):
                raise ConfigError(f"Connection {name}: environment variable {env} (api_key_env) is not set.")
            values["api_key"] = os.environ[env]
        known = {f.name for f in fields(ScoroSettings)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"Unknown setting(s) under [connections.{name}] in {self.source}: "
                              f"{', '.join(unknown)}. Known: api_key_env, {', '.join(sorted(known))}.")
        try:
            return ScoroSettings(**values).validate()
        except ConfigError as exc:
            raise ConfigError(f"Connection {name} ([connections.{name}] in {self.source}): {exc}") from exc

    @contextmanager
    def open(self, name: str) -> Iterator[OpenConnection]:
        settings = self.settings(name)
        systems = system_tables(name, self.tables.get(name, {}))
        if settings is None:
            if not self.allow_sandbox:
                raise ConfigError(f"Connection {name} has no credentials and would use the bundled sandbox's demo "
                                  f"data: {missing_default_settings()}")
            from scorolink.session import sandbox_settings, start_bundled_sandbox

            with self._bundled_lock:
                if ConfiguredConnections._bundled is None:
                    ConfiguredConnections._bundled = start_bundled_sandbox()
            sandbox = ConfiguredConnections._bundled
            conn = _open(name, sandbox_settings(sandbox), SyncASGITransport(sandbox.app), self.max_retry_wait,
                         systems)
        else:
            conn = _open(name, settings, httpx.HTTPTransport(), self.max_retry_wait, systems)
        try:
            yield conn
        finally:
            conn.connector.close()


def missing_default_settings(config_file: str | None = None) -> str:
    """What the default connection lacks to reach a real Scoro account, as a sentence that says how to fix it."""
    settings = load_scoro_settings(None, config_file)
    missing = []
    if not (settings.base_url or settings.subdomain):
        missing.append("SCORO_BASE_URL (or SCORO_SUBDOMAIN)")
    if not settings.company_account_id:
        missing.append("SCORO_COMPANY_ACCOUNT_ID")
    if not settings.configured:
        missing.append("SCORO_API_KEY (or SCORO_USERNAME and SCORO_PASSWORD)")
    return (f"missing {', '.join(missing)}. Set them in the environment or under [scoro] in scorolink.toml "
            "(or name a [connections.NAME] table), or pass --sandbox to run against the bundled sandbox on purpose.")


def refuse_silent_sandbox(service: str, config_file: str | None, allow_sandbox: bool) -> None:
    """A service whose only connection is the bundled sandbox would sync demo data: refuse to start,
    unless told to. Named connections may be real while the default is not; then only runs on the
    default connection fail (ConfiguredConnections(allow_sandbox=False) refuses to open it)."""
    if allow_sandbox:
        return
    conns = ConfiguredConnections(config_file, allow_sandbox=False)
    if conns.tables or conns.settings(DEFAULT_CONNECTION) is not None:
        return
    raise ConfigError(f"scorolink {service} will not start against the bundled sandbox: the default connection "
                      f"has no credentials and no [connections.NAME] is configured; {missing_default_settings(config_file)}")


class SandboxConnections:
    """Connections to the sites of an in-process sandbox, by name → site name (tests, benchmarks)."""

    def __init__(self, sandbox: Any, sites: dict[str, str], max_retry_wait: float = 10.0,
                 systems: dict[str, dict[str, Any]] | None = None, **settings: Any) -> None:
        self.sandbox = sandbox
        self.sites = sites
        self.systems = systems or {}  # other systems' settings, as [connections.NAME.<system>] tables give them
        self.max_retry_wait = max_retry_wait
        self.overrides = settings  # ScoroSettings fields, e.g. max_attempts=1

    @contextmanager
    def open(self, name: str) -> Iterator[OpenConnection]:
        from scorolink.session import sandbox_settings

        if name not in self.sites:
            raise ConfigError(f"Unknown connection {name!r} (known: {', '.join(sorted(self.sites))}).")
        site = next(s for s in self.sandbox.sites if s["site"] == self.sites[name])
        settings = replace(sandbox_settings(self.sandbox), base_url=f"http://sandbox.local{site['base_path']}",
                           api_key=site["api_key"], company_account_id=site["company_account_ids"][0],
                           **self.overrides)
        conn = _open(name, settings, SyncASGITransport(self.sandbox.app), self.max_retry_wait, self.systems)
        try:
            yield conn
        finally:
            conn.connector.close()
