"""Reading and writing the sync state: links, cursors, the outbox, runs and record errors.

Every method is one short transaction, so the state on disk always says where a run stopped; inside
`batch()` the methods share one transaction instead (the executor settles a batch of writes so).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from scorolink.errors import ScorolinkError
from scorolink.state.store import StateStore
from scorolink.sync import tables as t
from scorolink.sync.model import PlannedOp, other, shared_value

# Errors kept on a record that went through (its totals differ between the systems, a second step
# failed): reading the record again unchanged neither fixes nor retries them (the same write would
# say the same); they stay open until the record is written again or the error is dismissed.
STANDING = ("totals_differ", "follow_up")


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Link:
    id: int
    a_id: str | None
    b_id: str | None
    a_version: str | None
    b_version: str | None
    a_hash: str | None
    b_hash: str | None
    base: dict[str, Any] | None
    state: str
    last_run_id: int | None = None  # the run that last settled it

    @property
    def basis(self) -> str:
        """The link's settled generation: it moves each time a write on it settles (runs of one sync never
        overlap, and run ids only grow), and stays put while a crashed run's write is still open."""
        return f"{self.id}@{self.last_run_id}"

    def id_on(self, side: str) -> str | None:
        return self.a_id if side == "a" else self.b_id

    def hash_on(self, side: str) -> str | None:
        return self.a_hash if side == "a" else self.b_hash


class LinkIndex:
    def __init__(self, links: Iterable[Link]) -> None:
        self.by: dict[str, dict[str, Link]] = {"a": {}, "b": {}}
        for link in links:
            self.add(link)

    def add(self, link: Link) -> None:
        for side in ("a", "b"):
            key = link.id_on(side)
            if key is not None:
                self.by[side][key] = link

    def get(self, side: str, record_id: str) -> Link | None:
        return self.by[side].get(record_id)

    def __len__(self) -> int:
        return len(self.by["a"])


class SyncBusy(ScorolinkError):
    """Another run of the same sync holds it."""

    exit_code = 1


def _died_here(owner: str) -> bool:
    """Whether a lock's owner ("host:pid:thread") was a process of this host that no longer runs."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


class SyncStore:
    """The sync's tables in a state database: a URL (opened and closed here) or the runtime's open
    StateStore (shared: the runtime's jobs and the sync's links live in one database). The state
    database's migrations create the sync tables."""

    def __init__(self, state: str | StateStore) -> None:
        self.owned = isinstance(state, str)
        self.state = StateStore(state) if isinstance(state, str) else state
        self.engine = self.state.engine
        self._batch = threading.local()  # the connection of an open batch(), per thread

    def close(self) -> None:
        if self.owned:
            self.state.dispose()

    # -- transactions -----------------------------------------------------------------------------
    @contextmanager
    def tx(self) -> Iterator[Connection]:
        """The open batch's transaction on this thread, else a short one of its own."""
        conn = getattr(self._batch, "conn", None)
        if conn is not None:
            yield conn
            return
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction, hence one durable commit, for every store write made inside on this thread
        (nested: the outer one). The executor settles a batch of remote writes inside one, once they
        have all been sent: the ops were committed `inflight` before the first request, so a crash before
        this commit leaves the state a crash between any request and its record leaves (the next run
        looks inflight creates up before sending them again, and repeats updates and deletes, which are
        idempotent); only the commits per record are saved. Nothing else may write the store from this
        thread meanwhile, which is why the store's own methods all go through `tx()`."""
        if getattr(self._batch, "conn", None) is not None:
            yield
            return
        with self.engine.begin() as conn:
            self._batch.conn = conn
            try:
                yield
            finally:
                self._batch.conn = None

    # -- one run per sync at a time ---------------------------------------------------------------
    @contextmanager
    def hold(self, job: str, *, lease: float = 60.0, wait: float = 600.0, poll: float = 0.5) -> Iterator[None]:
        """Hold `job` for the duration of a run: wait (up to `wait` seconds) while another run holds it,
        renew the lease every lease/3 seconds from a thread, release at the end. A holder that died
        stops renewing, and its lease runs out after `lease` seconds."""
        owner = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        deadline = time.monotonic() + wait
        while not self._take(job, owner, lease):
            if time.monotonic() >= deadline:
                with self.engine.begin() as conn:
                    holder = conn.execute(select(t.locks.c.owner).where(t.locks.c.job == job)).scalar()
                raise SyncBusy(f"Another run of this sync is going ({holder}); it was waited for {wait:.0f} s. "
                               "Try again when it has finished.")
            time.sleep(poll)
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(lease / 3):
                self._take(job, owner, lease)

        keeper = threading.Thread(target=renew, name=f"sync-lease-{job}", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            stop.set()
            keeper.join()
            with self.engine.begin() as conn:
                conn.execute(delete(t.locks).where(t.locks.c.job == job, t.locks.c.owner == owner))

    def _take(self, job: str, owner: str, lease: float) -> bool:
        moment = now()
        until = moment + timedelta(seconds=lease)
        try:
            with self.engine.begin() as conn:
                taken = conn.execute(update(t.locks).where(t.locks.c.job == job, or_(
                    t.locks.c.owner == owner, t.locks.c.until < moment)).values(owner=owner, until=until)).rowcount
                if taken:
                    return True
                holder = conn.execute(select(t.locks.c.owner).where(t.locks.c.job == job)).scalar()
                if holder is not None and _died_here(holder):
                    # A run killed on this machine cannot renew; take its row now rather than after the lease.
                    return bool(conn.execute(update(t.locks).where(t.locks.c.job == job, t.locks.c.owner == holder)
                                             .values(owner=owner, until=until)).rowcount)
                if holder is not None:
                    return False
                conn.execute(insert(t.locks).values(job=job, owner=owner, until=until))
                return True
        except IntegrityError:  # another run inserted the row first
            return False

    # -- runs -------------------------------------------------------------------------------------
    def start_run(self, job: str, dry_run: bool) -> int:
        with self.tx() as conn:
            key = conn.execute(insert(t.runs).values(job=job, dry_run=dry_run, state="planning",
                                                     started_at=now())).inserted_primary_key
            assert key is not None
            return int(key[0])

    def set_run(self, run_id: int, **values: Any) -> None:
        with self.tx() as conn:
            conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(**values))

    def runs(self, job: str, limit: int = 20) -> list[dict[str, Any]]:
        with self.tx() as conn:
            rows = conn.execute(select(t.runs).where(t.runs.c.job == job).order_by(t.runs.c.id.desc()).limit(limit))
            return [dict(r._mapping) for r in rows]

    # -- links ------------------------------------------------------------------------------------
    def links(self, job: str, category: str) -> LinkIndex:
        with self.tx() as conn:
            rows = conn.execute(select(t.links).where(and_(t.links.c.job == job, t.links.c.category == category)))
            return LinkIndex(_link(r._mapping) for r in rows)

    def counterpart(self, job: str, category: str, side: str, record_id: str) -> str | None:
        column = t.links.c.a_id if side == "a" else t.links.c.b_id
        wanted = t.links.c.b_id if side == "a" else t.links.c.a_id
        with self.tx() as conn:
            return conn.execute(select(wanted).where(and_(t.links.c.job == job, t.links.c.category == category,
                                                          column == str(record_id)))).scalar()

    def save_link(self, job: str, category: str, run_id: int, *, a_id: str, b_id: str, a_version: str | None,
                  b_version: str | None, a_hash: str, b_hash: str, base: dict[str, Any],
                  done_op: int | None = None, remote_id: str | None = None) -> None:
        """Write a link (new or refreshed) and, in the same transaction, mark the outbox row done:
        the remote write and our record of it can never disagree after a crash."""
        values = dict(a_id=a_id, b_id=b_id, a_version=a_version, b_version=b_version, a_hash=a_hash, b_hash=b_hash,
                      base=base, state="active", last_synced_at=now(), last_run_id=run_id)
        with self.tx() as conn:
            existing = conn.execute(select(t.links.c.id).where(and_(
                t.links.c.job == job, t.links.c.category == category,
                (t.links.c.a_id == a_id) | (t.links.c.b_id == b_id)))).scalars().all()
            if existing:
                conn.execute(update(t.links).where(t.links.c.id == existing[0]).values(**values))
            else:
                conn.execute(insert(t.links).values(job=job, category=category, **values))
            if done_op is not None:  # remote_id: the id of the record the op wrote
                conn.execute(update(t.outbox).where(t.outbox.c.id == done_op).values(
                    state="done", remote_id=remote_id, updated_at=now()))

    def mark_deleted(self, job: str, category: str, side: str, record_id: str) -> None:
        column = t.links.c.a_id if side == "a" else t.links.c.b_id
        with self.tx() as conn:
            conn.execute(update(t.links).where(and_(t.links.c.job == job, t.links.c.category == category,
                                                    column == record_id)).values(state=f"deleted_{side}"))

    # -- cursors ----------------------------------------------------------------------------------
    def cursor(self, job: str, side: str, category: str) -> datetime | None:
        with self.tx() as conn:
            return conn.execute(select(t.cursors.c.value).where(and_(
                t.cursors.c.job == job, t.cursors.c.side == side, t.cursors.c.category == category))).scalar()

    def set_cursor(self, job: str, side: str, category: str, value: datetime) -> None:
        with self.tx() as conn:
            where = and_(t.cursors.c.job == job, t.cursors.c.side == side, t.cursors.c.category == category)
            if conn.execute(select(func.count()).select_from(t.cursors).where(where)).scalar():
                conn.execute(update(t.cursors).where(where).values(value=value, updated_at=now()))
            else:
                conn.execute(insert(t.cursors).values(job=job, side=side, category=category, value=value,
                                                      updated_at=now()))

    def jobs_with_setting(self, key: str, value: str) -> list[str]:
        with self.tx() as conn:
            return list(conn.execute(select(t.settings.c.job).where(
                and_(t.settings.c.key == key, t.settings.c.value == value))).scalars())

    def jobs_with_key(self, key: str) -> list[str]:
        with self.tx() as conn:
            return list(conn.execute(select(t.settings.c.job).where(t.settings.c.key == key)).scalars())

    def setting(self, job: str, key: str) -> str | None:
        with self.tx() as conn:
            return conn.execute(select(t.settings.c.value).where(and_(
                t.settings.c.job == job, t.settings.c.key == key))).scalar()

    def set_setting(self, job: str, key: str, value: str) -> None:
        with self.tx() as conn:
            where = and_(t.settings.c.job == job, t.settings.c.key == key)
            if conn.execute(select(func.count()).select_from(t.settings).where(where)).scalar():
                conn.execute(update(t.settings).where(where).values(value=value))
            else:
                conn.execute(insert(t.settings).values(job=job, key=key, value=value))

    # -- outbox -----------------------------------------------------------------------------------
    def add_ops(self, run_id: int, job: str, ops: list[PlannedOp]) -> int:
        """Queue planned writes; an op whose idempotency key is already queued (planned by a run
        that crashed) is not queued twice. The keys are looked up, and the new ops inserted, in bulk."""
        added = 0
        keyed = [(op.idem_key(job), op) for op in ops]
        with self.tx() as conn:
            seq = conn.execute(select(func.coalesce(func.max(t.outbox.c.seq), 0)).where(
                t.outbox.c.job == job)).scalar() or 0
            known: dict[str, tuple[int | None, str]] = {}
            keys = [key for key, _op in keyed]
            for start in range(0, len(keys), 500):
                for row in conn.execute(select(t.outbox.c.idem_key, t.outbox.c.id, t.outbox.c.state).where(
                        t.outbox.c.idem_key.in_(keys[start:start + 500]))):
                    known[row.idem_key] = (row.id, row.state)
            new: list[dict[str, Any]] = []
            for key, op in keyed:
                seq += 1
                payload = shared_value(op.payload) if op.op != "link" else {
                    "target_version": op.target_version, "target_hash": op.target_hash,
                    "target_total": None if op.target_total is None else str(op.target_total)}
                if key in known:
                    op_id, state = known[key]
                    if state in ("failed", "deferred"):  # retried until fixed or dismissed
                        conn.execute(update(t.outbox).where(t.outbox.c.id == op_id).values(
                            state="pending", seq=seq, run_id=run_id, payload=payload, updated_at=now()))
                        known[key] = (op_id, "pending")
                        added += 1
                    continue  # queued already (a crashed run planned it, or this plan twice) or done
                new.append(dict(run_id=run_id, job=job, category=op.category, seq=seq, target=op.target, op=op.op,
                                source_id=op.source_id, target_id=op.target_id, idem_key=key, payload=payload,
                                shared=op.shared, source_version=op.source_version, source_hash=op.source_hash,
                                state="pending", attempts=0, updated_at=now()))
                known[key] = (None, "pending")
                added += 1
            if new:
                conn.execute(insert(t.outbox), new)
        return added

    def open_ops(self, job: str, category: str) -> list[dict[str, Any]]:
        with self.tx() as conn:
            rows = conn.execute(select(t.outbox).where(and_(
                t.outbox.c.job == job, t.outbox.c.category == category,
                t.outbox.c.state.in_(("pending", "inflight")))).order_by(t.outbox.c.seq))
            return [dict(r._mapping) for r in rows]

    def set_ops(self, ids: list[int], state: str, error: str | None = None, *, attempt: bool = False) -> None:
        if not ids:
            return
        values: dict[str, Any] = {"state": state, "updated_at": now()}
        if error is not None:
            values["last_error"] = error
        if attempt:
            values["attempts"] = t.outbox.c.attempts + 1
        with self.tx() as conn:
            conn.execute(update(t.outbox).where(t.outbox.c.id.in_(ids)).values(**values))

    # -- record errors ----------------------------------------------------------------------------
    def record_error(self, job: str, category: str, side: str, source_id: str | None, kind: str, message: str, *,
                     op: str | None = None, target_id: str | None = None, payload: Any = None) -> None:
        where = and_(t.errors.c.job == job, t.errors.c.category == category, t.errors.c.side == side,
                     t.errors.c.source_id == source_id, t.errors.c.op == op)
        with self.tx() as conn:
            existing = conn.execute(select(t.errors.c.id, t.errors.c.resolution).where(where)).first()
            if existing is None:
                conn.execute(insert(t.errors).values(
                    job=job, category=category, side=side, source_id=source_id, target_id=target_id, op=op,
                    kind=kind, message=message, payload=shared_value(payload), first_seen=now(), last_seen=now(),
                    attempts=1))
            elif existing.resolution != "dismissed":
                conn.execute(update(t.errors).where(t.errors.c.id == existing.id).values(
                    kind=kind, message=message, payload=shared_value(payload), target_id=target_id, last_seen=now(),
                    attempts=t.errors.c.attempts + 1, resolved_at=None, resolution=None))

    def resolve_errors(self, job: str, category: str, source_side: str, source_id: str, *,
                       keep_standing: bool = False) -> None:
        """A record that went through: its earlier errors are fixed. `keep_standing`: the record was only
        read back as last agreed (nothing written), so what stands on the written record (STANDING) stays."""
        where = [t.errors.c.job == job, t.errors.c.category == category, t.errors.c.source_id == source_id,
                 t.errors.c.side == other(source_side), t.errors.c.resolved_at.is_(None)]
        if keep_standing:
            where.append(t.errors.c.kind.not_in(STANDING))
        with self.tx() as conn:
            conn.execute(update(t.errors).where(and_(*where)).values(resolved_at=now(), resolution="fixed"))

    def open_error_sources(self, job: str, category: str, source_side: str) -> list[str]:
        """Source records of `source_side` with an open error that a retry can settle (not STANDING),
        due for a retry or not."""
        with self.tx() as conn:
            return list(conn.execute(select(t.errors.c.source_id).distinct().where(
                _retriable(job, category, source_side))).scalars())

    def retry_ids(self, job: str, category: str, source_side: str) -> list[str]:
        """Source records with open errors, planned again until fixed or dismissed — at growing
        intervals (5 minutes after the first failure, then 10, 20, ... up to a day), so a record that
        keeps failing the same way does not cost a read on every five-minute run. A record that
        changes comes back at once with the changes."""
        moment = now()
        with self.tx() as conn:
            rows = conn.execute(select(t.errors.c.source_id, t.errors.c.attempts, t.errors.c.last_seen).where(
                _retriable(job, category, source_side)))
            due = {r.source_id for r in rows
                   if r.last_seen + retry_interval(r.attempts) <= moment + timedelta(seconds=1)}
        return sorted(due)

    def errors(self, job: str, *, include_resolved: bool = False) -> list[dict[str, Any]]:
        query = select(t.errors).where(t.errors.c.job == job)
        if not include_resolved:
            query = query.where(t.errors.c.resolved_at.is_(None))
        with self.tx() as conn:
            return [dict(r._mapping) for r in conn.execute(query.order_by(t.errors.c.id))]

    def retry_error(self, job: str, error_id: int) -> bool:
        """Plan an open error's record again on the next run, without waiting for its retry interval."""
        with self.engine.begin() as conn:
            row = conn.execute(select(t.errors.c.attempts).where(and_(
                t.errors.c.job == job, t.errors.c.id == error_id, t.errors.c.resolved_at.is_(None)))).first()
            if row is None:
                return False
            conn.execute(update(t.errors).where(t.errors.c.id == error_id)
                         .values(last_seen=now() - retry_interval(row.attempts)))
            return True

    def dismiss_error(self, job: str, error_id: int) -> bool:
        with self.tx() as conn:
            result = conn.execute(update(t.errors).where(and_(t.errors.c.job == job, t.errors.c.id == error_id))
                                  .values(resolved_at=now(), resolution="dismissed"))
            return bool(result.rowcount)


def _retriable(job: str, category: str, source_side: str) -> Any:
    """Open errors on `source_side`'s records that a retry can settle (not STANDING)."""
    return and_(t.errors.c.job == job, t.errors.c.category == category, t.errors.c.side == other(source_side),
                t.errors.c.resolved_at.is_(None), t.errors.c.source_id.is_not(None), t.errors.c.kind.not_in(STANDING))


def next_retry(error: dict[str, Any]) -> datetime | None:
    """When an open record error is planned again (None once it is fixed or dismissed, and for a STANDING
    error, which only a change to the record or a dismissal ends)."""
    if error.get("resolved_at") is not None or error.get("kind") in STANDING:
        return None
    return error["last_seen"] + retry_interval(int(error["attempts"]))


def retry_interval(attempts: int) -> timedelta:
    return min(timedelta(minutes=5) * 2 ** max(attempts - 1, 0), timedelta(days=1))


def _link(row: Any) -> Link:
    return Link(row["id"], row["a_id"], row["b_id"], row["a_version"], row["b_version"], row["a_hash"], row["b_hash"],
                row["base"], row["state"], row["last_run_id"])
