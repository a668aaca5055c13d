"""Fixtures of the runtime tests: a real Redis server started by the test run (redis-server from
PATH or /usr/bin, on a free loopback port, no persistence), a state database and a manual clock."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scorolink.runtime.store import ManualClock, StateStore
from tests.services import RedisUnavailable, start_redis


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Redis server per pytest(-xdist) worker, stopped at the end of the session."""
    try:
        proc, url = start_redis(tmp_path_factory.mktemp("redis"))
    except RedisUnavailable as exc:
        pytest.fail(str(exc))
    yield url
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    s = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    yield s
    s.dispose()
