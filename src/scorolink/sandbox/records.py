"""The Xero and QuickBooks sandboxes' record store: records per (tenant, collection), in memory,
optionally mirrored to SQLite so state survives restarts.

Each record is a dict in wire vocabulary (dates as ``YYYY-MM-DD``, ``UpdatedDateUTC`` as epoch seconds, keys
starting with ``_`` private). Insertion order is kept: it is the default list order."""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any


class Store:
    def __init__(self, path: str | None = None) -> None:
        self._rows: dict[tuple[str, str], dict[str, dict]] = {}
        self._meta: dict[str, str] = {}
        self._db: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        if path:
            self._db = sqlite3.connect(path, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS records (tenant TEXT, collection TEXT, id TEXT, seq INTEGER,"
                             " body TEXT, PRIMARY KEY (tenant, collection, id))")
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self._db.commit()
            for tenant, coll, rid, body in self._db.execute(
                    "SELECT tenant, collection, id, body FROM records ORDER BY seq"):
                self._rows.setdefault((tenant, coll), {})[rid] = json.loads(body)
            self._meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        self._seq = len(self._meta) + sum(len(v) for v in self._rows.values())

    @property
    def persistent(self) -> bool:
        return self._db is not None

    def get(self, tenant: str, coll: str, rid: str) -> dict | None:
        return self._rows.get((tenant, coll), {}).get(rid)

    def all(self, tenant: str, coll: str) -> list[dict]:
        return list(self._rows.get((tenant, coll), {}).values())

    def put(self, tenant: str, coll: str, rid: str, rec: dict) -> None:
        with self._lock:
            self._rows.setdefault((tenant, coll), {})[rid] = rec
            if self._db is not None:
                self._seq += 1
                self._db.execute("INSERT INTO records VALUES (?,?,?,?,?) ON CONFLICT (tenant, collection, id) DO UPDATE"
                                 " SET body = excluded.body", (tenant, coll, rid, self._seq, json.dumps(rec)))

    def delete(self, tenant: str, coll: str, rid: str) -> None:
        with self._lock:
            self._rows.get((tenant, coll), {}).pop(rid, None)
            if self._db is not None:
                self._db.execute("DELETE FROM records WHERE tenant=? AND collection=? AND id=?", (tenant, coll, rid))

    def meta_get(self, key: str) -> str | None:
        return self._meta.get(key)

    def meta_set(self, key: str, value: str) -> None:
        with self._lock:
            self._meta[key] = value
            if self._db is not None:
                self._db.execute("INSERT INTO meta VALUES (?,?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                                 (key, value))

    def meta_json(self, key: str, default: Any) -> Any:
        raw = self._meta.get(key)
        return json.loads(raw) if raw is not None else default

    def commit(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.commit()

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.commit()
                self._db.close()
                self._db = None
