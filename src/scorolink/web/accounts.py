"""The dashboard's users and audit log: the admin password (scrypt-hashed), signing in, the login
rate limit, and one audit row per change."""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from scorolink.errors import ConfigError
from scorolink.runtime.store import StateStore
from scorolink.web.tables import audit, settings, users

ADMIN = "admin"
MIN_PASSWORD = 10
# scrypt at n=2**15, r=8: about 32 MiB and tens of milliseconds per guess (OWASP's floor is n=2**17
# with r=8 and p=1 or n=2**15 with r=8 and p=3; p=3 is taken here).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 3


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=2 ** 26,
                            dklen=32)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P),
                     base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=2 ** 26, dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def has_users(store: StateStore) -> bool:
    with store.begin() as c:
        return c.execute(select(users.c.username).limit(1)).first() is not None


def set_password(store: StateStore, password: str, now: datetime, *, actor: str, username: str = ADMIN) -> None:
    """Set (first run) or reset a user's password; every session of that user is signed out."""
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"The password must have at least {MIN_PASSWORD} characters.")
    hashed = hash_password(password)
    with store.begin() as c:
        done = c.execute(update(users).where(users.c.username == username)
                         .values(password_hash=hashed, changed_at=now)).rowcount
        if not done:
            c.execute(insert(users).values(username=username, password_hash=hashed, changed_at=now))
    record(store, now, actor, "password reset" if done else "password set", username)


def check_login(store: StateStore, username: str, password: str) -> datetime | None:
    """The user's password-change time when the password is right (sessions carry it), else None."""
    with store.begin() as c:
        row = c.execute(select(users).where(users.c.username == username)).one_or_none()
    if row is None:
        verify_password(password, hash_password("x" * MIN_PASSWORD))  # same cost for unknown users
        return None
    return row.changed_at if verify_password(password, row.password_hash) else None


def password_changed_at(store: StateStore, username: str) -> datetime | None:
    with store.begin() as c:
        return c.execute(select(users.c.changed_at).where(users.c.username == username)).scalar()


def signing_key(store: StateStore) -> str:
    """The session signing key: SCOROLINK_WEB_SESSION_KEY, else one made once and kept in the state
    database (so sessions survive a restart and hold across processes sharing the database)."""
    env = os.environ.get("SCOROLINK_WEB_SESSION_KEY")
    if env:
        return env
    with store.begin() as c:
        key = c.execute(select(settings.c.value).where(settings.c.name == "session_key")).scalar()
        if key is None:
            key = secrets.token_urlsafe(48)
            c.execute(insert(settings).values(name="session_key", value=key))
    return str(key)


def record(store: StateStore, at: datetime, actor: str, action: str, target: str = "",
           detail: dict[str, Any] | None = None) -> None:
    """One audit row: who changed what, when. Callers pass masked values only."""
    with store.begin() as c:
        c.execute(insert(audit).values(at=at, actor=actor, action=action, target=target, detail=detail))


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name (some containers)
        return "cli"


def audit_log(store: StateStore, limit: int = 200) -> list[dict[str, Any]]:
    with store.begin() as c:
        rows = c.execute(select(audit).order_by(audit.c.id.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


class LoginLimiter:
    """At most `attempts` failed sign-ins per client address in `window` seconds; a success does not
    reset the count (a guesser who also knows one password gains nothing)."""

    def __init__(self, attempts: int = 5, window: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts, self.window, self.clock = attempts, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may try again (0: now)."""
        with self._lock:
            seen = self._recent(client)
            if len(seen) < self.attempts:
                return 0.0
            return max(0.0, seen[0] + self.window - self.clock())

    def failed(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(self.clock())

    def _recent(self, client: str) -> deque[float]:
        seen = self._failures.setdefault(client, deque())
        cutoff = self.clock() - self.window
        while seen and seen[0] <= cutoff:
            seen.popleft()
        return seen
