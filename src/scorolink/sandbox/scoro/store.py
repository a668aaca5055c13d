"""SQLite storage: one row table for every module of every site, rows kept as JSON.

Indexed by (site, module, id) so an unfiltered list page is a LIMIT/OFFSET on the id index, and by
modified time and a per-module ``scope`` (the parent a row hangs off: a task's parent task, a time entry's
event, a comment's object) so the common narrowed reads never scan a whole module.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (
    site TEXT NOT NULL, module TEXT NOT NULL, id INTEGER NOT NULL, scope TEXT,
    deleted INTEGER NOT NULL DEFAULT 0, modified_ts REAL, deleted_ts REAL, data TEXT NOT NULL,
    PRIMARY KEY (site, module, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rows_live ON rows (site, module, deleted, id);
CREATE INDEX IF NOT EXISTS rows_scope ON rows (site, module, scope, id);
CREATE INDEX IF NOT EXISTS rows_modified ON rows (site, module, modified_ts);
CREATE INDEX IF NOT EXISTS rows_purge ON rows (deleted, deleted_ts);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seq (site TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
    PRIMARY KEY (site, name));
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, site TEXT NOT NULL, user_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (site TEXT NOT NULL, file_id INTEGER NOT NULL, content BLOB NOT NULL,
    PRIMARY KEY (site, file_id));
CREATE TABLE IF NOT EXISTS uploads (site TEXT NOT NULL, upload_key TEXT NOT NULL, chunk_no INTEGER NOT NULL,
    chunk_data TEXT NOT NULL, PRIMARY KEY (site, upload_key, chunk_no));
"""

BATCH = 500


class Store:
    def __init__(self, path: str | None) -> None:
        self.db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        self.lock = threading.RLock()
        if path:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def _q(self, sql: str, args: Iterable[Any] = ()) -> list[tuple]:
        with self.lock:
            return self.db.execute(sql, tuple(args)).fetchall()

    # -- meta and sequences -------------------------------------------------------------------------------
    def meta_get(self, key: str) -> str | None:
        r = self._q("SELECT value FROM meta WHERE key=?", (key,))
        return r[0][0] if r else None

    def meta_set(self, key: str, value: str) -> None:
        self._q("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def next_id(self, site: str, name: str, count: int = 1) -> int:
        """Reserve ``count`` ids of a sequence and return the first. Ids are never reused."""
        with self.lock:
            r = self.db.execute("SELECT value FROM seq WHERE site=? AND name=?", (site, name)).fetchone()
            first = (r[0] if r else 0) + 1
            self.db.execute("INSERT OR REPLACE INTO seq(site, name, value) VALUES (?, ?, ?)",
                            (site, name, first + count - 1))
            return first

    def seq_value(self, site: str, name: str) -> int:
        r = self._q("SELECT value FROM seq WHERE site=? AND name=?", (site, name))
        return r[0][0] if r else 0

    def raise_seq(self, site: str, name: str, value: int) -> None:
        """Move a sequence forward to at least ``value``."""
        with self.lock:
            self._q("INSERT OR REPLACE INTO seq(site, name, value) VALUES (?, ?, ?)",
                    (site, name, max(value, self.seq_value(site, name))))

    # -- rows ---------------------------------------------------------------------------------------------
    def insert_many(self, site: str, module: str, rows: Iterable[tuple[int, str | None, float | None, float | None, dict]]) -> None:
        """rows: (id, scope, modified_ts, deleted_ts, data). Written in one transaction per batch."""
        buf: list[tuple] = []

        def flush() -> None:
            with self.lock:
                self.db.execute("BEGIN")
                self.db.executemany("INSERT OR REPLACE INTO rows VALUES (?,?,?,?,?,?,?,?)", buf)
                self.db.execute("COMMIT")
            buf.clear()

        for rid, scope, mts, dts, data in rows:
            buf.append((site, module, rid, scope, 1 if data.get("is_deleted") else 0, mts, dts,
                        json.dumps(data, separators=(",", ":"))))
            if len(buf) >= 5000:
                flush()
        if buf:
            flush()

    def put(self, site: str, module: str, rid: int, data: dict, scope: str | None, modified_ts: float | None,
            deleted_ts: float | None = None) -> None:
        self.insert_many(site, module, [(rid, scope, modified_ts, deleted_ts, data)])

    def get(self, site: str, module: str, rid: int) -> dict | None:
        r = self._q("SELECT data FROM rows WHERE site=? AND module=? AND id=?", (site, module, rid))
        return json.loads(r[0][0]) if r else None

    def remove(self, site: str, module: str, rid: int) -> None:
        self._q("DELETE FROM rows WHERE site=? AND module=? AND id=?", (site, module, rid))

    def clear_module(self, site: str, module: str) -> None:
        self._q("DELETE FROM rows WHERE site=? AND module=?", (site, module))

    def exists(self, site: str, module: str, rid: int, live_only: bool = True) -> bool:
        sql = "SELECT 1 FROM rows WHERE site=? AND module=? AND id=?" + (" AND deleted=0" if live_only else "")
        return bool(self._q(sql, (site, module, rid)))

    def id_range(self, site: str, module: str) -> tuple[int, int] | None:
        r = self._q("SELECT MIN(id), MAX(id) FROM rows WHERE site=? AND module=? AND deleted=0", (site, module))
        return None if r[0][0] is None else (r[0][0], r[0][1])

    def count(self, site: str, module: str, include_deleted: bool = False) -> int:
        sql = "SELECT COUNT(*) FROM rows WHERE site=? AND module=?" + ("" if include_deleted else " AND deleted=0")
        return self._q(sql, (site, module))[0][0]

    @staticmethod
    def _where(site: str, module: str, include_deleted: bool, scope: Any,
               modified: tuple[float | None, float | None] | None, rid: int | None,
               contains: Iterable[str] = (), scope_prefix: str | None = None) -> tuple[str, list]:
        sql: list[str] = ["site=?", "module=?"]
        args: list[Any] = [site, module]
        for text in contains:  # cheap pre-check in C before any row is parsed in Python
            sql.append("instr(lower(data), ?) > 0")
            args.append(text)
        if not include_deleted:
            sql.append("deleted=0")
        if scope is None:
            sql.append("scope IS NULL")
        elif scope is not Ellipsis:
            sql.append("scope=?")
            args.append(scope)
        if scope_prefix is not None:
            sql.append("substr(scope, 1, ?)=?")
            args += [len(scope_prefix), scope_prefix]
        if modified:
            lo, hi = modified
            if lo is not None:
                sql.append("modified_ts>=?")
                args.append(lo)
            if hi is not None:
                sql.append("modified_ts<?")
                args.append(hi)
        if rid is not None:
            sql.append("id=?")
            args.append(rid)
        return " AND ".join(sql), args

    def page(self, site: str, module: str, offset: int, limit: int, include_deleted: bool = False,
             scope: Any = Ellipsis, modified: tuple | None = None, rid: int | None = None,
             scope_prefix: str | None = None) -> list[dict]:
        where, args = self._where(site, module, include_deleted, scope, modified, rid, (), scope_prefix)
        rows = self._q(f"SELECT data FROM rows WHERE {where} ORDER BY id LIMIT ? OFFSET ?", [*args, limit, offset])
        return [json.loads(r[0]) for r in rows]

    def scan(self, site: str, module: str, include_deleted: bool = False, scope: Any = Ellipsis,
             modified: tuple | None = None, rid: int | None = None, contains: Iterable[str] = (),
             scope_prefix: str | None = None) -> Iterator[dict]:
        """Matching rows in id order, fetched in keyset batches (the lock is never held across yields).
        ``contains``: lower-case texts the raw JSON must contain (a superset filter)."""
        where, args = self._where(site, module, include_deleted, scope, modified, rid, contains, scope_prefix)
        last = -(2**62)
        while True:
            rows = self._q(f"SELECT id, data FROM rows WHERE {where} AND id>? ORDER BY id LIMIT {BATCH}", [*args, last])
            for _, data in rows:
                yield json.loads(data)
            if len(rows) < BATCH:
                return
            last = rows[-1][0]

    def find(self, site: str, module: str, field: str, value: object, limit: int) -> list[dict]:
        """Live rows whose top-level ``field`` equals ``value`` (SQLite's JSON functions, no Python scan)."""
        literal = json.dumps({field: value}, separators=(",", ":"))[1:-1]
        rows = self._q(f"SELECT data FROM rows WHERE site=? AND module=? AND deleted=0 "
                       f"AND (instr(data, ?) > 0) AND json_extract(data, '$.{field}')=? ORDER BY id LIMIT ?",
                       (site, module, literal, value, limit))
        return [json.loads(r[0]) for r in rows]

    def find_in_list(self, site: str, module: str, path: str, value: object, limit: int) -> list[dict]:
        """Live rows whose JSON array at ``path`` (e.g. ``$.relations.contacts``) holds ``value``."""
        rows = self._q(f"SELECT data FROM rows WHERE site=? AND module=? AND deleted=0 AND EXISTS "
                       f"(SELECT 1 FROM json_each(data, '{path}') WHERE value=?) ORDER BY id LIMIT ?",
                       (site, module, value, limit))
        return [json.loads(r[0]) for r in rows]

    def purge_deleted(self, before_ts: float) -> int:
        with self.lock:
            return self.db.execute("DELETE FROM rows WHERE deleted=1 AND deleted_ts<?", (before_ts,)).rowcount

    # -- tokens, file contents, pending uploads -----------------------------------------------------------
    def add_token(self, token: str, site: str, user_id: int) -> None:
        self._q("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?)", (token, site, user_id))

    def token_user(self, token: str) -> tuple[str, int] | None:
        r = self._q("SELECT site, user_id FROM tokens WHERE token=?", (token,))
        return (r[0][0], r[0][1]) if r else None

    def put_blob(self, site: str, file_id: int, content: bytes) -> None:
        self._q("INSERT OR REPLACE INTO blobs VALUES (?, ?, ?)", (site, file_id, content))

    def get_blob(self, site: str, file_id: int) -> bytes | None:
        r = self._q("SELECT content FROM blobs WHERE site=? AND file_id=?", (site, file_id))
        return bytes(r[0][0]) if r else None

    def add_chunk(self, site: str, key: str, chunk_no: int, chunk_data: str) -> list[int]:
        self._q("INSERT OR REPLACE INTO uploads VALUES (?, ?, ?, ?)", (site, key, chunk_no, chunk_data))
        return [r[0] for r in self._q("SELECT chunk_no FROM uploads WHERE site=? AND upload_key=? ORDER BY chunk_no",
                                      (site, key))]

    def take_chunks(self, site: str, key: str) -> list[str]:
        with self.lock:
            rows = self._q("SELECT chunk_data FROM uploads WHERE site=? AND upload_key=? ORDER BY chunk_no", (site, key))
            self._q("DELETE FROM uploads WHERE site=? AND upload_key=?", (site, key))
            return [r[0] for r in rows]
