"""A short-lived result cache: the same SELECT within the TTL is answered without requests.

Keys are the source (account or replica) and the statement after parameters are bound and the
SQL normalised, so spacing and keyword case do not matter. Any write through the engine clears
the cache, since it may change any cached answer. `MemoryCache` lives as long as the process (the
DB-API connection); `FileCache` keeps entries in a small SQLite file so that separate
`scorolink query` runs share them. Entries are pickled results this program wrote itself.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_TTL = 300.0


def cache_key(source: str, sql: str) -> str:
    return hashlib.sha256(f"{source}\n{sql}".encode()).hexdigest()


class MemoryCache:
    def __init__(self, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if self.clock() >= expires:
            del self._entries[key]
            return None
        return value

    def put(self, key: str, value: Any) -> None:
        if self.ttl > 0:
            self._entries[key] = (self.clock() + self.ttl, value)

    def clear(self) -> None:
        self._entries.clear()


def default_cache_path() -> Path:
    base = os.environ.get("SCOROLINK_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "scorolink")
    return Path(base) / "query-cache.sqlite"


class FileCache:
    def __init__(self, path: Path | str | None = None, ttl: float = DEFAULT_TTL,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path) if path else default_cache_path()
        self.ttl = ttl
        self.clock = clock

    def _db(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=5)
        db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, expires REAL, value BLOB)")
        return db

    def get(self, key: str) -> Any | None:
        with self._db() as db:
            row = db.execute("SELECT expires, value FROM results WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            if self.clock() >= row[0]:
                db.execute("DELETE FROM results WHERE key = ?", (key,))
                return None
        return pickle.loads(row[1])  # noqa: S301 - written by this class, in the user's own cache dir

    def put(self, key: str, value: Any) -> None:
        if self.ttl <= 0:
            return
        with self._db() as db:
            now = self.clock()
            db.execute("DELETE FROM results WHERE expires <= ?", (now,))
            db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?)",
                       (key, now + self.ttl, pickle.dumps(value)))

    def clear(self) -> None:
        with self._db() as db:
            db.execute("DELETE FROM results")
