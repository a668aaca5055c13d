"""Fixtures of the dashboard tests: a state database and settings file in a temporary folder, the app
behind Starlette's TestClient, a signed-in client, and a Scoro sandbox over loopback HTTP."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from scorolink.runtime.connections import ConfiguredConnections
from scorolink.runtime.local import LocalRunner
from scorolink.runtime.store import StateStore, SystemClock
from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox
from scorolink.web import accounts, create_app

PASSWORD = "correct horse battery"


class Clock:
    """A monotonic clock for the login limiter that moves only when told to."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(autouse=True)
def cheaper_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The production cost (scrypt n=2**15, p=3) takes seconds a guess on a busy test machine; the tests
    check behaviour, so they hash cheaper (the parameters travel inside each stored hash)."""
    monkeypatch.setattr(accounts, "SCRYPT_N", 2 ** 12)
    monkeypatch.setattr(accounts, "SCRYPT_P", 1)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("SCORO_API_KEY", "SCORO_USERNAME", "SCORO_PASSWORD", "SCORO_BASE_URL", "SCORO_SUBDOMAIN",
                 "SCOROLINK_SECRET_KEY", "SCOROLINK_CONFIG", "SCOROLINK_STATE_URL", "SCOROLINK_WEB_SESSION_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCOROLINK_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "scorolink.toml").write_text(f'[runtime]\nstate = "sqlite:///{tmp_path / "state.db"}"\n')
    return tmp_path


@pytest.fixture
def store(home: Path) -> Iterator[StateStore]:
    s = StateStore(f"sqlite:///{home / 'state.db'}")
    yield s
    s.dispose()


@pytest.fixture
def limiter_clock() -> Clock:
    return Clock()


@pytest.fixture
def runner(store: StateStore, home: Path) -> Iterator[LocalRunner]:
    """The runtime's local runner over the test's state database, as `scorolink serve --web` has it: the
    pages' runs are handed to its pool when queued (the app's on_queue), and run outside the request."""
    r = LocalRunner(store, ConfiguredConnections(str(home / "scorolink.toml")), workers=1)
    yield r
    r.stop()


@pytest.fixture
def app(store: StateStore, home: Path, limiter_clock: Clock, runner: LocalRunner) -> Any:
    return create_app(store, str(home / "scorolink.toml"), limiter=accounts.LoginLimiter(clock=limiter_clock),
                      on_queue=runner.tick)


@pytest.fixture
def anonymous(app: Any) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


def csrf_of(client: TestClient, page: str = "/connections") -> str:
    html = client.get(page).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, f"no CSRF token on {page}"
    return found.group(1)


def sign_in(client: TestClient, password: str = PASSWORD) -> Any:
    token = csrf_of(client, "/login")
    return client.post("/login", data={"username": "admin", "password": password, "csrf_token": token})


@pytest.fixture
def client(app: Any, store: StateStore) -> Iterator[TestClient]:
    accounts.set_password(store, PASSWORD, SystemClock().now(), actor="test")
    with TestClient(app, follow_redirects=False) as c:
        assert sign_in(c).status_code == 303
        yield c


def post(client: TestClient, path: str, data: dict[str, Any] | None = None, page: str = "/connections") -> Any:
    """A form post the way the browser sends it: with the page's CSRF token."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_of(client, page)})


@pytest.fixture
def served() -> Iterator[Callable[..., tuple[ScoroSandbox, str]]]:
    """A Scoro sandbox over loopback HTTP: (sandbox, origin)."""
    stack: list[Any] = []

    def start(**config: Any) -> tuple[ScoroSandbox, str]:
        sb = ScoroSandbox(SandboxConfig(seed=1, size=200, **config))
        ctx = sb.run_in_thread()
        origin = ctx.__enter__()
        stack.append((sb, ctx))
        return sb, origin

    yield start
    for sb, ctx in reversed(stack):
        ctx.__exit__(None, None, None)
        sb.close()
