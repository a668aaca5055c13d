"""Shared fixtures: a fresh Scoro sandbox per test (it builds in milliseconds) and a connector
talking to it in-process, plus helpers to read the sandbox's request log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.scoro import ScoroConnector
from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox
from scorolink.session import sandbox_settings


def make_connector(sandbox: ScoroSandbox, **settings: Any) -> ScoroConnector:
    from dataclasses import replace

    s = replace(sandbox_settings(sandbox), **settings)
    client = ScoroClient(s, transport=SyncASGITransport(sandbox.app), sleep=lambda _s: None, backoff_base=0.01)
    return ScoroConnector(client)


@pytest.fixture
def sandbox() -> Iterator[ScoroSandbox]:
    sb = ScoroSandbox(SandboxConfig(seed=1, size=300))
    yield sb
    sb.close()


@pytest.fixture
def connector(sandbox: ScoroSandbox) -> Iterator[ScoroConnector]:
    conn = make_connector(sandbox)
    yield conn
    conn.close()


def endpoint_counts(sandbox: ScoroSandbox) -> dict[str, int]:
    return dict(sandbox.stats()["requests"]["by_endpoint"])
