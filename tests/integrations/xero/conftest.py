"""Fixtures: a fresh Xero sandbox per test, reached in-process by our OAuth client, wire client and
connector. Waiting is done on the sandbox's clock (`sleep` advances it), so tests that wait for rate
limits or token expiry take no wall time and the sandbox sees the time pass."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.oauth import MemoryTokenStore, TokenSet
from scorolink.integrations.xero.client import XeroClient, XeroSettings
from scorolink.integrations.xero.commands import sandbox_settings
from scorolink.integrations.xero.connector import XeroConnector
from scorolink.integrations.xero.oauth import XeroOAuth
from scorolink.sandbox.xero import RateLimit, XeroSandbox, XeroSandboxConfig
from scorolink.sync.store import SyncStore
from tests.fixtures import SandboxSleep, closing, fixture_chain
from tests.runtime.conftest import redis_url  # noqa: F401 - the Celery tests' fixtures, shared
from tests.runtime.test_celery import cluster, served  # noqa: F401


def make_sandbox(**config: Any) -> XeroSandbox:
    config.setdefault("seed", 1)
    config.setdefault("size", 60)
    config.setdefault("rate_limit", RateLimit.off())
    return XeroSandbox(XeroSandboxConfig(**config))


def xero_settings(sandbox: XeroSandbox, tmp_path: Path | None = None, **overrides: Any) -> XeroSettings:
    base = XeroSettings(token_store=str((tmp_path or Path("/nonexistent")) / "xero-tokens.enc"))
    return replace(sandbox_settings(sandbox, base), **overrides)


def make_oauth(sandbox: XeroSandbox, settings: XeroSettings, transport: Any = None, **kw: Any) -> XeroOAuth:
    """An OAuth client holding a token the sandbox issued (the browser step skipped), in memory."""
    reply = sandbox.issue_token()
    tokens = TokenSet.from_reply(reply, time.time())
    tokens.tenant_id = sandbox.tenant_ids[0]
    return XeroOAuth(settings.app(), MemoryTokenStore(tokens), transport=transport or SyncASGITransport(sandbox.app),
                     **kw)


def make_client(sandbox: XeroSandbox, *, tmp_path: Path | None = None, sleep: Any = None,
                **settings: Any) -> XeroClient:
    s = xero_settings(sandbox, tmp_path, **settings)
    transport = SyncASGITransport(sandbox.app)
    sleep = sleep or SandboxSleep(sandbox)
    oauth = make_oauth(sandbox, s, transport, sleep=sleep)
    return XeroClient(s, oauth, transport=transport, sleep=sleep, clock=sleep.now, seed=1)


def endpoint_counts(sandbox: XeroSandbox) -> dict[str, int]:
    return {k: v for k, v in sandbox.stats()["requests"]["by_endpoint"].items() if not k.startswith("POST connect")}


xsb, xclient, xconn = fixture_chain(("xsb", make_sandbox), ("xclient", make_client), ("xconn", XeroConnector))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SyncStore]:
    """The sync state in real SQLite."""
    yield from closing(SyncStore(f"sqlite:///{tmp_path}/state.db"))


@pytest.fixture
def xero(xsb: XeroSandbox, xconn: XeroConnector) -> tuple[XeroSandbox, XeroConnector]:
    """A fresh Xero sandbox and a connector reaching it in-process: (sandbox, connector)."""
    return xsb, xconn
