"""A short-lived result cache: the same SELECT within the TTL is answered without requests.

Keys are the source and the statement after parameters are bound and the SQL normalised, so
spacing and keyword case do not matter. The source names the site, the account, the user and a
digest of the credential (a wrong or another API key never gets rows cached under the right one),
or the replica. Any write through the engine clears the cache, since it may change any cached
answer. `MemoryCache` lives as long as the process (the DB-API connection); `FileCache` keeps
entries in a small SQLite file (created 0600) so that separate `scorolink query` runs share them.
Entries are plain JSON with typed values (decimals, dates, bytes) — never pickle: an entry
planted in the cache folder is data, and one that is not valid is a miss.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from typing import Any

from scorolink.files import private_file

DEFAULT_TTL = 300.0


def cache_key(source: str, sql: str) -> str:
    return hashlib.sha256(f"{source}\n{sql}".encode()).hexdigest()


def credential_digest(*secrets: str | None) -> str:
    """A digest that tells credentials apart without keeping them."""
    return hashlib.sha256("\x00".join(s or "" for s in ("scorolink-cache", *secrets)).encode()).hexdigest()[:32]


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
    """Results keyed as above, stored as JSON; `kind` is the class results are rebuilt as (a
    dataclass whose fields are plain values), given by the engine that stores them."""

    TABLE = "entries"  # results of earlier versions (pickled, table `results`) are never read

    def __init__(self, path: Path | str | None = None, ttl: float = DEFAULT_TTL,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path) if path else default_cache_path()
        self.ttl = ttl
        self.clock = clock

    def _db(self) -> sqlite3.Connection:
        private_file(self.path, tighten=True)
        db = sqlite3.connect(self.path, timeout=5)
        db.execute(f"CREATE TABLE IF NOT EXISTS {self.TABLE} (key TEXT PRIMARY KEY, expires REAL, value TEXT)")
        return db

    def get(self, key: str) -> Any | None:
        with self._db() as db:
            row = db.execute(f"SELECT expires, value FROM {self.TABLE} WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            try:
                if self.clock() >= float(row[0]):
                    raise ValueError("expired")
                return decode(json.loads(row[1]))
            except (TypeError, ValueError, KeyError):
                db.execute(f"DELETE FROM {self.TABLE} WHERE key = ?", (key,))
                return None

    def put(self, key: str, value: Any) -> None:
        if self.ttl <= 0:
            return
        with self._db() as db:
            now = self.clock()
            db.execute(f"DELETE FROM {self.TABLE} WHERE expires <= ?", (now,))
            db.execute(f"INSERT OR REPLACE INTO {self.TABLE} VALUES (?, ?, ?)",
                       (key, now + self.ttl, json.dumps(encode(value))))

    def clear(self) -> None:
        with self._db() as db:
            db.execute(f"DELETE FROM {self.TABLE}")


# -- plain data: every value a JSON primitive or a one-key tagged object -------------------------
_KINDS: dict[str, type] = {}


def cacheable(cls: type) -> type:
    """Register a dataclass whose instances the file cache may store (by name, not by import)."""
    _KINDS[cls.__name__] = cls
    return cls


def encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dtime):
        return {"$time": value.isoformat()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return {"$list": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"$dict": [[encode(k), encode(v)] for k, v in value.items()]}
    if is_dataclass(value) and type(value).__name__ in _KINDS:
        return {"$obj": type(value).__name__, "fields": {f.name: encode(getattr(value, f.name)) for f in fields(value)}}
    raise TypeError(f"cannot cache a value of type {type(value).__name__}")


def decode(value: Any) -> Any:
    if not isinstance(value, dict):
        if isinstance(value, list):
            raise ValueError("untagged list")
        return value
    if "$obj" in value:
        kind = _KINDS[value["$obj"]]
        return kind(**{k: decode(v) for k, v in value["fields"].items()})
    [(tag, inner)] = value.items()
    if tag == "$dec":
        return Decimal(inner)
    if tag == "$dt":
        return datetime.fromisoformat(inner)
    if tag == "$date":
        return date.fromisoformat(inner)
    if tag == "$time":
        return dtime.fromisoformat(inner)
    if tag == "$bytes":
        return base64.b64decode(inner)
    if tag == "$tuple":
        return tuple(decode(v) for v in inner)
    if tag == "$list":
        return [decode(v) for v in inner]
    if tag == "$dict":
        return {decode(k): decode(v) for k, v in inner}
    raise ValueError(f"unknown tag {tag}")
