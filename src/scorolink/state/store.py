"""Opening the state database: SQLite by default (WAL, durable commits, write transactions taken
with BEGIN IMMEDIATE so read-then-write never deadlocks), PostgreSQL by URL.

One database holds every table of scorolink's state (the runtime's jobs and runs, the sync's links and
outbox, stored credentials); opening it brings its schema up to date (state/migrate.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from scorolink.errors import ConfigError
from scorolink.files import private_file

DEFAULT_STATE_URL = "sqlite:///scorolink-state.db"
STATE_URL_ENV = "SCOROLINK_STATE_URL"


def state_url(config_file: str | None = None) -> str:
    """The state database of this setup: SCOROLINK_STATE_URL, else `state` under [runtime] in
    scorolink.toml, else sqlite:///scorolink-state.db (the runtime's own settings resolve it the same way)."""
    import os

    from scorolink.config import config_path, read_config_file

    if os.environ.get(STATE_URL_ENV):
        return os.environ[STATE_URL_ENV]
    return str(read_config_file(config_path(config_file)).get("runtime", {}).get("state") or DEFAULT_STATE_URL)


def normalize_url(url: str) -> str:
    """Accept plain postgresql:// URLs (psycopg 3 is the driver scorolink installs)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class StateStore:
    """The engine plus the dialect facts the runtime branches on. `create=True` (the default) upgrades
    the schema to the newest revision on open; `scorolink state upgrade` does the same on demand."""

    def __init__(self, url: str = DEFAULT_STATE_URL, *, create: bool = True) -> None:
        self.url = url
        target = normalize_url(url)
        if not (target.startswith("sqlite") or target.startswith("postgresql")):
            raise ConfigError(f"State database {url!r}: use sqlite:///file.db or postgresql://user@host/db "
                              "(--state, SCOROLINK_STATE_URL or `state` under [runtime] in scorolink.toml).")
        if target.startswith("sqlite:///") and target != "sqlite:///:memory:":
            folder = Path(target[len("sqlite:///"):]).parent
            if not folder.exists():
                raise ConfigError(f"State database {url!r}: folder {folder} does not exist; create it or "
                                  "point --state elsewhere.")
            if create:
                private_file(target[len("sqlite:///"):].split("?", 1)[0])  # a new state file is 0600
        try:
            self.engine: Engine = _make_engine(target)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise ConfigError(f"State database {url!r} is not a usable URL: {exc}") from exc
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        if create:
            from scorolink.state.migrate import upgrade

            try:
                upgrade(self.engine)
            except OperationalError as exc:
                raise ConfigError(f"Cannot open the state database {url!r}: {exc.orig}") from exc

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let the "begin" hook below issue BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
