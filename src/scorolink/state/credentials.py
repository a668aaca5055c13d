"""Credentials in the state database: one encrypted JSON document per (Scoro account, integration, tenant),
so every worker that reaches the state database (SQLite locally, PostgreSQL under Celery) uses the same
tokens, and two Scoro accounts connected to the same integration never share (or overwrite) a token set.
Rows written before accounts were told apart have the account LEGACY_ACCOUNT until an account claims them
(clients/oauth.py DatabaseTokenStore).

Values are Fernet-encrypted with the key of state/secrets.py; the database never holds them in
plaintext. `locked()` serialises the read-refresh-write of one credential across threads and processes
(PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE), and reads and writes inside it use its
connection. `rotate_key` re-encrypts every row with a new key in one transaction.
"""

from __future__ import annotations

import contextlib
import json
import threading
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, MetaData, String, Table, Text, delete, insert, select, text, update

from scorolink.errors import ConfigError
from scorolink.state.secrets import DEFAULT_KEY_FILE, SECRET_KEY_ENV, load_fernet_key
from scorolink.state.store import StateStore
from scorolink.state.types import UTCDateTime

DEFAULT_ACCOUNT = "default"  # the `default` connection: the [scoro] account
LEGACY_ACCOUNT = ""  # rows stored before revision 0005, not yet claimed by an account

metadata = MetaData()
credentials = Table(
    "credentials", metadata,
    Column("account", String(200), primary_key=True),  # the Scoro connection's name
    Column("integration", String(50), primary_key=True),
    Column("tenant", String(200), primary_key=True),
    Column("secret", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)


class CredentialStore:
    """Encrypted credentials of one state database."""

    def __init__(self, store: StateStore, key_file: str | Path | None = None) -> None:
        self.store = store
        self.key_file = Path(key_file or DEFAULT_KEY_FILE)
        self._held = threading.local()  # the connection of the locked() block this thread is in

    def _fernet(self) -> Any:
        from cryptography.fernet import Fernet

        return Fernet(load_fernet_key(self.key_file))

    @contextlib.contextmanager
    def _conn(self) -> Iterator[Connection]:
        held = getattr(self._held, "conn", None)
        if held is not None:
            yield held
            return
        with self.store.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def locked(self, integration: str, tenant: str = "", account: str = DEFAULT_ACCOUNT) -> Iterator[None]:
        """One transaction that only one thread or process at a time holds for this credential."""
        if getattr(self._held, "conn", None) is not None:  # re-entered on this thread
            yield
            return
        with self.store.engine.connect() as conn:
            transaction = conn.begin()  # SQLite: BEGIN IMMEDIATE takes the write lock at once
            try:
                if conn.dialect.name == "postgresql":
                    key = zlib.crc32(f"{account}\0{integration}\0{tenant}".encode())
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
                self._held.conn = conn
                yield
            finally:
                self._held.conn = None
                # What the block wrote stands even when it failed afterwards: a refresh whose answer was
                # lost marks the token set pending, and that mark must survive the failure.
                transaction.commit()

    def get(self, integration: str, tenant: str = "", account: str = DEFAULT_ACCOUNT) -> dict[str, Any] | None:
        from cryptography.fernet import InvalidToken

        with self._conn() as conn:
            blob = conn.execute(select(credentials.c.secret).where(_key(account, integration, tenant))).scalar()
        if blob is None:
            return None
        try:
            return dict(json.loads(self._fernet().decrypt(blob.encode())))
        except InvalidToken as exc:
            raise ConfigError(
                f"Cannot decrypt the stored {integration} credentials with the current key ({SECRET_KEY_ENV} or "
                f"{self.key_file}): the key changed without `scorolink state rotate-key`. Set the old key back, "
                f"or connect {integration} again.") from exc

    def put(self, integration: str, tenant: str, value: dict[str, Any], account: str = DEFAULT_ACCOUNT) -> None:
        blob = self._fernet().encrypt(json.dumps(value).encode()).decode()
        now = datetime.now(UTC)
        with self._conn() as conn:
            where = _key(account, integration, tenant)
            if conn.execute(update(credentials).where(where).values(secret=blob, updated_at=now)).rowcount == 0:
                conn.execute(insert(credentials).values(account=account, integration=integration, tenant=tenant,
                                                        secret=blob, updated_at=now))

    def delete(self, integration: str, tenant: str = "", account: str = DEFAULT_ACCOUNT) -> None:
        with self._conn() as conn:
            conn.execute(delete(credentials).where(_key(account, integration, tenant)))

    def claim(self, integration: str, tenant: str, account: str) -> bool:
        """Give the row stored before accounts were told apart (LEGACY_ACCOUNT) for this integration and
        tenant to `account`; False when there is none (or `account` has its own already)."""
        with self._conn() as conn:
            if conn.execute(select(credentials.c.account).where(_key(account, integration, tenant))).first():
                return False
            return bool(conn.execute(update(credentials).where(_key(LEGACY_ACCOUNT, integration, tenant))
                                     .values(account=account)).rowcount)

    def keys(self) -> list[tuple[str, str, str]]:
        """(account, integration, tenant) of every stored credential."""
        with self._conn() as conn:
            return [(r.account, r.integration, r.tenant) for r in conn.execute(
                select(credentials.c.account, credentials.c.integration, credentials.c.tenant)
                .order_by(credentials.c.account, credentials.c.integration, credentials.c.tenant))]


def _key(account: str, integration: str, tenant: str) -> Any:
    return ((credentials.c.account == account) & (credentials.c.integration == integration)
            & (credentials.c.tenant == tenant))


def rotate_key(store: StateStore, old_key: bytes, new_key: bytes) -> int:
    """Re-encrypt every stored credential from `old_key` to `new_key` in one transaction; returns the count.
    A row the old key cannot open stops it with nothing changed."""
    from cryptography.fernet import Fernet, InvalidToken

    old, new = Fernet(old_key), Fernet(new_key)
    with store.begin() as conn:
        rows = conn.execute(select(credentials.c.account, credentials.c.integration, credentials.c.tenant,
                                   credentials.c.secret)).all()
        for row in rows:
            try:
                plain = old.decrypt(row.secret.encode())
            except InvalidToken as exc:
                raise ConfigError(f"The current key does not open the stored {row.integration} credentials "
                                  f"(tenant {row.tenant or '-'}); nothing was re-encrypted.") from exc
            conn.execute(update(credentials).where(_key(row.account, row.integration, row.tenant)).values(
                secret=new.encrypt(plain).decode()))
    return len(rows)
