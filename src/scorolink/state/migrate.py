"""Bringing a state database's schema up to date with Alembic (state/migrations/versions).

Every open of the state database (StateStore) upgrades it to the newest revision, in one transaction:
on PostgreSQL under an advisory lock, on SQLite under BEGIN IMMEDIATE, so two workers starting at once
never both migrate. `scorolink state upgrade` does the same on demand and says what it did. The first
revision is the schema as it was before migrations; a database made then is adopted with its rows.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_ID = 0x5C0_0001  # PostgreSQL advisory lock held while migrating


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def head() -> str:
    """The newest revision this code knows."""
    return str(ScriptDirectory.from_config(_config()).get_current_head())


def current(engine: Engine) -> str | None:
    """The revision the database is at (None: made before migrations, or empty)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Upgrade to the newest revision; returns (revision before, revision after)."""
    with engine.connect() as conn:
        before = MigrationContext.configure(conn).get_current_revision()
    if before == head():
        return before, before  # the common case: nothing to do, no write transaction taken
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        before = MigrationContext.configure(conn).get_current_revision()  # another process may have done it
        if before != head():
            command.upgrade(_config(conn), "head")
    return before, head()
