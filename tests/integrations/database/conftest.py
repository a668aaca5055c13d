"""dbsync over real components: the Scoro sandbox in-process (small, so 22 objects × 2 databases stay quick),
real SQLite files and a real PostgreSQL server (tests/services.py), the state in SQLite."""

from __future__ import annotations

from typing import Any

import pytest

from scorolink.connectors.scoro import ScoroConnector
from scorolink.integrations.database.run import DbSyncOptions, TableSync
from scorolink.replicate.destination import open_destination
from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox
from scorolink.sync.engine import SyncResult
from scorolink.sync.store import SyncStore
from tests.conftest import endpoint_counts, make_connector
from tests.fixtures import fixture_chain
from tests.runtime.conftest import clock, store  # noqa: F401  (the runtime's fixtures, for the job test)

SIZE = 20  # records per object in the sandbox: enough for edits, creates and deletes on both sides


small_sandbox, scoro = fixture_chain(("small_sandbox", lambda: ScoroSandbox(SandboxConfig(seed=3, size=SIZE))),
                                     ("scoro", make_connector))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/tables.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path}/tables.db"


@pytest.fixture
def state_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path}/state.db"


def sync(connector: ScoroConnector, db: str, state: str, objects: list[str], **options: Any) -> SyncResult:
    with TableSync(connector, DbSyncOptions(db=db, objects=objects, state=state, **options)) as run:
        return run.run()


def query(db: str, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    dest = open_destination(db)
    try:
        sql = sql.replace("?", dest.param)
        with dest.transaction():
            cur = dest.execute(sql, params or [])
            names = [d[0] for d in cur.description] if cur.description else []
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()] if names else []
    finally:
        dest.close()


def execute(db: str, sql: str, params: list[Any] | None = None) -> None:
    """A statement as a person's tool would run it (JSON values as the database takes JSON)."""
    dest = open_destination(db)
    try:
        values = [dest.converter("json")(v) if isinstance(v, dict | list) else v  # type: ignore[misc]
                  for v in params or []]
        with dest.transaction():
            dest.execute(sql.replace("?", dest.param), values)
    finally:
        dest.close()


def writes(sandbox: ScoroSandbox) -> dict[str, int]:
    return {k: v for k, v in endpoint_counts(sandbox).items() if k.endswith(("/modify", "/delete"))}


def failures(result: SyncResult, state: str | None = None) -> list[str]:
    """What went wrong in a run: planning issues, failed writes, and (with the state URL) the open
    errors with their messages."""
    out = [f"{name}: {i.kind} {i.message}" for name, plan in result.plans.items() for i in plan.issues]
    out += [f"{name}: {counts}" for name, counts in result.executed.items()
            if counts.get("failed") or counts.get("deferred") or counts.get("unknown")]
    if state is not None:
        store = SyncStore(state)
        try:
            out += [f"{e['category']}: {e['kind']} {e['message']}" for e in store.errors(result.job)]
        finally:
            store.close()
    return out
