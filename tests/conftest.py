"""Shared fixtures: a fresh Scoro sandbox per test (it builds in milliseconds) and a connector
talking to it in-process, plus helpers to read the sandbox's request log."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.scoro import ScoroConnector
from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox
from scorolink.session import sandbox_settings
from tests.fixtures import fixture_chain
from tests.services import PostgresServer, create_database, drop_database, start_postgres


@pytest.fixture(autouse=True, scope="session")
def _own_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Site facts and query caches of the CLI go to a directory of this test run, not the user's."""
    before = os.environ.get("SCOROLINK_CACHE_DIR")
    os.environ["SCOROLINK_CACHE_DIR"] = str(tmp_path_factory.mktemp("scorolink-cache"))
    yield
    if before is None:
        os.environ.pop("SCOROLINK_CACHE_DIR", None)
    else:
        os.environ["SCOROLINK_CACHE_DIR"] = before


def make_connector(sandbox: ScoroSandbox, **settings: Any) -> ScoroConnector:
    from dataclasses import replace

    settings.setdefault("server_timeout", 0.2)  # the in-process sandbox finishes a request at once
    # The site's zone is given, as most tests count requests; tests/replicate/test_timezone.py learns it.
    s = replace(sandbox_settings(sandbox), **{"timezone": sandbox.default["timezone"], **settings})
    client = ScoroClient(s, transport=SyncASGITransport(sandbox.app), sleep=lambda _s: None, backoff_base=0.01)
    return ScoroConnector(client)


@pytest.fixture(autouse=True)
def workspace_sandbox(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test's commands share one bundled-sandbox state file of their own, as one workspace's do,
    instead of the repository's .scorolink/."""
    path = str(tmp_path_factory.mktemp("workspace") / "scoro-sandbox.db")
    monkeypatch.setenv("SCOROLINK_SANDBOX_DATA", path)
    return path


sandbox, connector = fixture_chain(("sandbox", lambda: ScoroSandbox(SandboxConfig(seed=1, size=300))),
                                   ("connector", make_connector))


def endpoint_counts(sandbox: ScoroSandbox) -> dict[str, int]:
    return dict(sandbox.stats()["requests"]["by_endpoint"])


# --- a real PostgreSQL server, started by the test run (tests/services.py) -------------------------


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """One PostgreSQL server per pytest(-xdist) worker, started on first use and stopped at the end."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    server = start_postgres(tmp_path_factory.mktemp(f"postgres-{worker}"))
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, uniquely named database on the worker's server; dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    url = create_database(postgres_server, name)
    yield url
    with contextlib.suppress(Exception):
        drop_database(postgres_server, name)
