"""Write one object's records into the mirror, a batch per transaction.

Per batch: build rows, drop records whose hash equals the stored one (the overlap window and
full re-reads bring many back unchanged), then in one transaction upsert the main rows,
replace the changed records' child rows, note the keys seen (for full reads) and, with the
last batch, advance the object's state. A crash loses at most the open batch, which the next
run reads again; upserts keyed on (RemoteAccount, RemoteID) make that harmless.

Records whose key is not stored yet are written with a plain INSERT (the hash lookup has just
shown they are absent, and the engine serialises writers), the others with the upsert.

A full read into tables holding nothing of the account (a first load) is the bulk case, and
takes two shortcuts that change nothing in the result: no seen keys are noted (every row the
account has at the end was written by this read, so none can be unseen), and when the tables
are entirely empty their relation indexes are dropped and built again, in one sort, in the
transaction of the last batch. Random inserts into those indexes dirty pages that every commit
writes again, which made loads slower the larger the mirror grew. A crash in between leaves
the indexes missing until the next run, whose `mirror.prepare` creates them before loading.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scorolink.replicate import state
from scorolink.replicate.destination import Destination
from scorolink.replicate.rows import BuiltRecord, RowBuilder
from scorolink.replicate.schema import (
    DELETED,
    IS_DELETED,
    LOAD_ROLES,
    MIRROR,
    NULL,
    REMOTE_ACCOUNT,
    REMOTE_ID,
    ROW_HASH,
    STAMP,
    UPSERTED,
    Namer,
    Table,
    child_write_columns,
    main_write_columns,
)

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    read: int = 0
    written: int = 0


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


class ObjectLoader:
    def __init__(self, dest: Destination, builder: RowBuilder, tables: list[Table], namer: Namer, account: str,
                 mirror_id: int | None = None):
        self.dest = dest
        self.builder = builder
        self.account = account
        self.obj = builder.spec.name
        self.main = tables[0]
        self.children = tables[1:]
        q, p = dest.q, dest.param
        self.n = namer
        self.batches = 0
        self._stamp = dest.converter("datetime")
        columns = main_write_columns(self.main, namer)
        written = [c.name for c in self.main.columns if c.role != NULL]
        assert sorted(columns) == sorted(written), (columns, written)
        # MirrorRemoteID (`--schema synchub`): the same value on every row this account writes.
        self._mirror: tuple[Any, ...] = (mirror_id,) if any(c.role == MIRROR for c in self.main.columns) else ()
        self.main_sql = dest.upsert_sql(self.main.name, columns, self.main.primary_key)
        self.main_insert_sql = dest.insert_sql(self.main.name, columns)
        self.fresh = False  # a full read into tables without rows of this account: see the module doc
        self.deferred_indexes: list[Table] = []  # dropped for the load, built again with the last batch
        # Child rows of a changed record are deleted and inserted again (plain INSERT: an upsert of a
        # key deleted in the same transaction is lost on DuckDB).
        self.child_sql = {t.name: dest.insert_sql(t.name, child_write_columns(t)) for t in self.children}
        # the loader's stamps at the end of a child row (`schema.LOAD_ROLES`), in the table's order
        self._child_tail = {t.name: tuple(c.role for c in t.columns if c.role in LOAD_ROLES) for t in self.children}
        self.mirror_id = mirror_id
        ra, rid = q(namer(REMOTE_ACCOUNT)), q(namer(REMOTE_ID))
        self._hash_sql = (f"SELECT {rid}, {q(namer(ROW_HASH))} FROM {q(self.main.name)} "
                          f"WHERE {ra} = {p} AND {rid} IN ")
        # A child table's second key column holds the owning record's RemoteID (ParentRemoteID, InvoiceRemoteID).
        self._child_delete = {t.name: f"DELETE FROM {q(t.name)} WHERE {ra} = {p} AND {q(t.primary_key[1])} IN "
                              for t in self.children}

    def stored_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for chunk in _chunks(ids, self.dest.IN_CHUNK):
            sql, params = self.dest.in_list(chunk)
            out.update(self.dest.query(self._hash_sql + sql, (self.account, *params)))
        return out

    def start(self, *, full: bool) -> None:
        """Before the first batch of a read: decide whether it is a first load (see the module doc)."""
        q, p, n = self.dest.q, self.dest.param, self.n
        self.fresh = full and not self.dest.query(
            f"SELECT 1 FROM {q(self.main.name)} WHERE {q(n(REMOTE_ACCOUNT))} = {p} LIMIT 1", (self.account,))
        self.deferred_indexes = []
        if not self.fresh or not self.dest.supports_indexes:
            return
        tables = [self.main, *self.children]
        if any(self.dest.query(f"SELECT 1 FROM {q(t.name)} LIMIT 1") for t in tables):
            return  # other accounts' rows: their indexes stay
        with self.dest.transaction():
            for t in tables:
                if t.indexes:
                    self.dest.drop_indexes(t)
                    self.deferred_indexes.append(t)

    def restore_indexes(self) -> None:
        """After a read that failed part way: build the dropped indexes over what was loaded."""
        try:
            with self.dest.transaction():
                for t in self.deferred_indexes:
                    self.dest.create_indexes(t)
            self.deferred_indexes = []
        except Exception as exc:  # noqa: BLE001 - the read's own error matters more; prepare() retries
            log.warning("%s: indexes not rebuilt after a failed read (%s); the next run builds them", self.obj, exc)

    def load(self, records: list[dict[str, Any]], *, now: datetime, note_seen: bool = False, finish: Callable[[], None] | None = None) -> BatchResult:
        """Write what changed among `records`; `finish` runs inside the same transaction."""
        built: dict[str, BuiltRecord] = {}
        for record in records:
            b = self.builder.build(record)
            built[b.remote_id] = b  # a record read twice (pages shift) keeps its last version
        ids = list(built)
        stored = self.stored_hashes(ids)
        changed = [b for b in built.values() if stored.get(b.remote_id) != b.hash] if stored else list(built.values())
        when = self._stamp(now) if self._stamp else now
        account = self.account
        new_rows: list[tuple[Any, ...]] = []
        old_rows: list[tuple[Any, ...]] = []
        for b in changed:
            (old_rows if b.remote_id in stored else new_rows).append(
                (account, b.remote_id, when, b.hash, *self._mirror) + b.values)
        with self.dest.transaction():
            self.dest.upsert(self.main_insert_sql, new_rows)
            self.dest.upsert(self.main_sql, old_rows)
            if self.children and changed:
                changed_ids = [b.remote_id for b in changed]
                old = [i for i in changed_ids if i in stored]  # new records have no child rows yet
                for t in self.children:
                    for chunk in _chunks(old, self.dest.IN_CHUNK):
                        sql, params = self.dest.in_list(chunk)
                        self.dest.execute(self._child_delete[t.name] + sql, (self.account, *params))
                    rows = [row for b in changed for row in b.children.get(t.name, ())]
                    tail = self._child_tail[t.name]
                    if tail:
                        stamps = tuple(when if role != MIRROR else self.mirror_id for role in tail)
                        rows = [row + stamps for row in rows]
                    self.dest.upsert(self.child_sql[t.name], rows)
            if note_seen and not self.fresh:
                state.add_seen(self.dest, self.account, self.obj, ids)
            if finish is not None:
                for t in self.deferred_indexes:
                    self.dest.create_indexes(t)
                finish()
        if finish is not None:
            self.deferred_indexes = []  # committed: built (a rolled-back batch leaves them to restore_indexes)
        self.batches += 1
        if self.batches & (self.batches - 1) == 0:  # after batches 1, 2, 4, 8...: fresh planner statistics
            self.dest.analyze(self.main.name)
        return BatchResult(read=len(records), written=len(changed))

    def mark_unseen_deleted(self, now: datetime) -> int:
        """Records the last full read did not return are gone from Scoro: keep them, flagged deleted.
        The hash is cleared so a record that comes back is written again."""
        if self.fresh:  # every row of the account was written by this read
            state.clear_seen(self.dest, self.account, self.obj)
            return 0
        q, p, n = self.dest.q, self.dest.param, self.n
        when = self._stamp(now) if self._stamp else now
        ra, rid = q(n(REMOTE_ACCOUNT)), q(n(REMOTE_ID))
        # NOT EXISTS, not NOT IN: PostgreSQL plans NOT IN over a large subquery quadratically.
        main = q(self.main.name)
        where = (f"{ra} = {p} AND {q(n(IS_DELETED))} = {p} AND NOT EXISTS (SELECT 1 FROM {state.SEEN} s "
                 f"WHERE s.remote_account = {p} AND s.object_name = {p} AND s.remote_id = {main}.{rid})")
        params = (self.account, False, self.account, self.obj)
        count = int(self.dest.query(f"SELECT count(*) FROM {q(self.main.name)} WHERE {where}", params)[0][0])
        if count:
            self.dest.execute(f"UPDATE {q(self.main.name)} SET {q(n(IS_DELETED))} = {p}, {q(n(UPSERTED))} = {p}, "
                              f"{q(n(ROW_HASH))} = NULL WHERE {where}", (True, when, *params))
            self._flag_children_deleted(when)
        state.clear_seen(self.dest, self.account, self.obj)
        return count

    def _flag_children_deleted(self, when: Any) -> None:
        """Child tables with their own IsDeleted (`--schema synchub`) follow their record's."""
        q, p, n = self.dest.q, self.dest.param, self.n
        ra, rid, deleted = q(n(REMOTE_ACCOUNT)), q(n(REMOTE_ID)), q(n(IS_DELETED))
        for t in self.children:
            flag = next((c.name for c in t.columns if c.role == DELETED), None)
            if flag is None:
                continue
            stamp = next((c.name for c in t.columns if c.role == STAMP), None)
            sets = f"{q(flag)} = {p}" + (f", {q(stamp)} = {p}" if stamp else "")
            self.dest.execute(
                f"UPDATE {q(t.name)} SET {sets} WHERE {ra} = {p} AND {q(flag)} = {p} AND {q(t.primary_key[1])} IN "
                f"(SELECT {rid} FROM {q(self.main.name)} WHERE {ra} = {p} AND {deleted} = {p})",
                (True, *((when,) if stamp else ()), self.account, False, self.account, True))
