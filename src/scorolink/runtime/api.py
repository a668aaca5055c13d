"""The runtime's two entry points, the same under `scorolink serve` and under Celery:

- `dispatch_due(store, now)` creates a run for every due job (one per due time: a conditional update
  of the job's next_run_at plus a unique (job, due time) key, so two dispatchers never both win) and
  returns the runs to hand to workers — new ones, re-queued slices, paused runs whose pause is over,
  runs whose hand-off went stale and runs whose worker died (lease expired);
- `execute_run(store, run_id, ...)` claims the run and its connection (leases with expiry) and does one
  slice of the operation. A second delivery of the same run finds it claimed and returns at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from scorolink.clients.redact import redact
from scorolink.errors import ScorolinkError
from scorolink.runtime.connections import Connections
from scorolink.runtime.jobs import ensure_connection, insert_run
from scorolink.runtime.operations import Budget, OperationResult, get_operation
from scorolink.runtime.schedules import Schedule
from scorolink.runtime.store import Clock, StateStore, SystemClock
from scorolink.runtime.tables import ACTIVE_STATES, connections, jobs, run_log, runs

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 60.0
DEFAULT_REHAND_SECONDS = 120.0


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


# -- dispatch -----------------------------------------------------------------------------------------

def dispatch_due(store: StateStore, now: datetime, *, rehand_seconds: float = DEFAULT_REHAND_SECONDS,
                 limit: int = 500) -> list[int]:
    """Create the runs of due jobs and return the ids of runs to hand to workers now."""
    with store.begin() as c:
        due = c.execute(select(jobs.c.id, jobs.c.next_run_at, jobs.c.schedule_kind, jobs.c.schedule_expr,
                               jobs.c.created_at)
                        .where(jobs.c.enabled.is_(True), jobs.c.next_run_at <= now)
                        .order_by(jobs.c.next_run_at).limit(limit)).all()
    for job in due:
        _create_due_run(store, job, now)
    return _hand_off(store, now, rehand_seconds, limit)


def _create_due_run(store: StateStore, job: Any, now: datetime) -> None:
    following = Schedule(job.schedule_kind, job.schedule_expr).next_after(now, job.created_at)
    try:
        with store.begin() as c:
            # Whoever moves next_run_at from the value it read owns this due time.
            won = c.execute(update(jobs).where(jobs.c.id == job.id, jobs.c.next_run_at == job.next_run_at)
                            .values(next_run_at=following)).rowcount == 1
            if not won:
                return
            active = c.execute(select(func.count()).select_from(runs)
                               .where(runs.c.job_id == job.id, runs.c.state.in_(ACTIVE_STATES))).scalar_one()
            if active:
                return  # the previous run is still going: this due time (and any missed) coalesce into it
            row = c.execute(select(jobs).where(jobs.c.id == job.id)).one()
            insert_run(c, row, "scheduled", job.next_run_at, now)
    except IntegrityError:
        return  # another dispatcher created the run for this due time first


def _hand_off(store: StateStore, now: datetime, rehand_seconds: float, limit: int) -> list[int]:
    stale = now - timedelta(seconds=rehand_seconds)
    ready_queued = and_(runs.c.state == "queued", or_(runs.c.not_before.is_(None), runs.c.not_before <= now),
                        or_(runs.c.handed_at.is_(None), runs.c.handed_at < stale))
    orphaned = and_(runs.c.state == "running", runs.c.lease_until < now,
                    or_(runs.c.handed_at.is_(None), runs.c.handed_at < runs.c.lease_until, runs.c.handed_at < stale))
    free = and_(or_(connections.c.lease_until.is_(None), connections.c.lease_until < now,
                    connections.c.lease_run_id == runs.c.id),
                or_(connections.c.not_before.is_(None), connections.c.not_before <= now))
    with store.begin() as c:
        candidates = c.execute(select(runs.c.id, runs.c.connection, runs.c.handed_at)
                               .join(connections, connections.c.name == runs.c.connection)
                               .where(or_(ready_queued, orphaned), free)
                               .order_by(runs.c.queued_at, runs.c.id).limit(limit)).all()
    handed: list[int] = []
    taken: set[str] = set()
    for run in candidates:
        if run.connection in taken:
            continue  # one run per connection at a time: the next one waits for this one
        with store.begin() as c:
            moved = c.execute(update(runs).where(runs.c.id == run.id, _same(runs.c.handed_at, run.handed_at))
                              .values(handed_at=now)).rowcount == 1
        if moved:
            handed.append(run.id)
            taken.add(run.connection)
    return handed


def release_handed(store: StateStore, run_ids: list[int]) -> None:
    """Runs handed to a worker that will not start them: hand them out again on the next dispatch."""
    with store.begin() as c:
        c.execute(update(runs).where(runs.c.id.in_(run_ids), runs.c.state == "queued").values(handed_at=None))


def _same(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value


# -- execute ------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    run_id: int
    status: str  # finished | requeued | paused | busy | skipped | lost
    state: str | None = None  # the run's state afterwards


class LeaseLost(Exception):
    """Another worker took this run over (our lease expired): stop without touching it."""


class _Slice:
    """The Checkpoint an operation sees: saves progress under the lease, knows the budget."""

    def __init__(self, store: StateStore, run_id: int, worker: str, connection: str, clock: Clock,
                 lease: float, budget: Budget, state: dict[str, Any] | None, requests_before: int,
                 client: Any) -> None:
        self.store, self.run_id, self.worker, self.connection = store, run_id, worker, connection
        self.clock, self.lease, self.budget, self.state = clock, lease, budget, state
        self.requests_before = requests_before
        self.client = client
        self.client_start = client.stats.total
        self.started = time.monotonic()
        self.lost = False

    @property
    def requests(self) -> int:
        return self.client.stats.total - self.client_start

    def spent(self) -> bool:
        b = self.budget
        return ((b.seconds is not None and time.monotonic() - self.started >= b.seconds)
                or (b.requests is not None and self.requests >= b.requests))

    def save(self, state: dict[str, Any]) -> None:
        self.state = state
        self.renew(checkpoint=state)

    def renew(self, **values: Any) -> None:
        until = self.clock.now() + timedelta(seconds=self.lease)
        with self.store.begin() as c:
            ok = c.execute(update(runs).where(runs.c.id == self.run_id, runs.c.lease_owner == self.worker,
                                              runs.c.state == "running")
                           .values(lease_until=until, requests=self.requests_before + self.requests, **values)
                           ).rowcount == 1
            if ok:
                c.execute(update(connections).where(connections.c.name == self.connection,
                                                    connections.c.lease_run_id == self.run_id)
                          .values(lease_until=until, lease_owner=self.worker))
        if not ok:
            self.lost = True
            raise LeaseLost(f"run {self.run_id} was taken over by another worker")

    def log(self, message: str, level: str = "info") -> None:
        add_log(self.store, self.run_id, self.clock.now(), message, level)


def add_log(store: StateStore, run_id: int, at: datetime, message: str, level: str = "info") -> None:
    with store.begin() as c:
        c.execute(insert(run_log).values(run_id=run_id, at=at, level=level, message=redact(message)))


def execute_run(store: StateStore, run_id: int, conns: Connections, *, clock: Clock | None = None,
                budget: Budget | None = None, lease_seconds: float = DEFAULT_LEASE_SECONDS,
                worker: str | None = None) -> Outcome:
    """Claim run `run_id` and do one slice of it. Safe to call twice for the same run."""
    clock = clock or SystemClock()
    budget = budget or Budget()
    worker = worker or worker_id()
    now = clock.now()
    until = now + timedelta(seconds=lease_seconds)
    try:
        run = _claim(store, run_id, worker, now, until)
    except _Busy:
        with store.begin() as c:  # stays queued; the dispatcher hands it again when the connection is free
            c.execute(update(runs).where(runs.c.id == run_id, runs.c.state == "queued").values(handed_at=None))
        return Outcome(run_id, "busy", "queued")
    if isinstance(run, Outcome):
        return run
    takeover = run.state == "running"
    add_log(store, run_id, now, f"slice {run.slices + 1} on {worker}"
            + (" (took over from an expired lease)" if takeover else ""))
    return _run_slice(store, run, conns, clock, budget, lease_seconds, worker)


class _Busy(Exception):
    pass


def _claim(store: StateStore, run_id: int, worker: str, now: datetime, until: datetime) -> Any:
    """The run row as it was before the claim, or an Outcome when there is nothing to do."""
    with store.begin() as c:
        run = c.execute(select(runs).where(runs.c.id == run_id)).one_or_none()
        if run is None or run.state not in ACTIVE_STATES:
            return Outcome(run_id, "skipped", run.state if run else None)
        claimable = or_(and_(runs.c.state == "queued", or_(runs.c.not_before.is_(None), runs.c.not_before <= now)),
                        and_(runs.c.state == "running", runs.c.lease_until < now))
        claimed = c.execute(update(runs).where(runs.c.id == run_id, claimable).values(
            state="running", lease_owner=worker, lease_until=until, attempt=runs.c.attempt + 1,
            slices=runs.c.slices + 1, started_at=func.coalesce(runs.c.started_at, now), not_before=None,
        )).rowcount == 1
        if not claimed:
            return Outcome(run_id, "skipped", run.state)
        ensure_connection(c, run.connection)
        leased = c.execute(update(connections).where(
            connections.c.name == run.connection,
            or_(connections.c.lease_until.is_(None), connections.c.lease_until < now,
                connections.c.lease_run_id == run_id),
            or_(connections.c.not_before.is_(None), connections.c.not_before <= now),
        ).values(lease_owner=worker, lease_run_id=run_id, lease_until=until, not_before=None,
                 pause_reason=None)).rowcount == 1
        if not leased:
            raise _Busy  # rolls the run claim back too
    return run


def _run_slice(store: StateStore, run: Any, conns: Connections, clock: Clock, budget: Budget,
               lease_seconds: float, worker: str) -> Outcome:
    stop = threading.Event()
    current: list[_Slice] = []

    def heartbeat() -> None:
        while not stop.wait(lease_seconds / 3):
            if current:
                try:
                    current[0].renew()
                except LeaseLost:
                    return
                except Exception:  # a transient state-database error: the next beat tries again
                    log.warning("lease renewal of run %s failed", run.id, exc_info=True)

    beat = threading.Thread(target=heartbeat, name=f"lease-{run.id}", daemon=True)
    beat.start()
    try:
        operation = get_operation(run.operation)
        with conns.open(run.connection) as conn:
            sl = _Slice(store, run.id, worker, run.connection, clock, lease_seconds, budget, run.checkpoint,
                        run.requests, conn.client)
            current.append(sl)
            result = operation(dict(run.params), conn, sl)
            requests = run.requests + sl.requests
    except LeaseLost:
        return Outcome(run.id, "lost")
    except Exception as exc:
        stop.set()
        expected = isinstance(exc, ScorolinkError)
        message = redact(str(exc) if expected else f"{type(exc).__name__}: {exc}")
        if not expected:
            log.exception("run %s failed", run.id)
        requests = run.requests + (current[0].requests if current else 0)
        with store.begin() as c:
            if not _finish(c, run, worker, clock.now(), "failed", error=message, requests=requests):
                return Outcome(run.id, "lost")
            c.execute(insert(run_log).values(run_id=run.id, at=clock.now(), level="error",
                                             message=message if expected else redact(traceback.format_exc())))
        return Outcome(run.id, "finished", "failed")
    finally:
        stop.set()
        beat.join()
    return _settle(store, run, worker, clock, result, requests)


def _settle(store: StateStore, run: Any, worker: str, clock: Clock, result: OperationResult,
            requests: int) -> Outcome:
    now = clock.now()
    with store.begin() as c:
        if result.done:
            state = ("failed" if result.failed and not result.succeeded
                     else "partially_failed" if result.failed else "succeeded")
            error = f"failed: {', '.join(result.failed)}" if result.failed else None
            if not _finish(c, run, worker, now, state, error=error, requests=requests, counts=result.counts,
                           checkpoint=result.state):
                return Outcome(run.id, "lost")
            c.execute(insert(run_log).values(run_id=run.id, at=now, level="info", message=f"{state}: {result.counts}"))
            return Outcome(run.id, "finished", state)
        pause_until = now + timedelta(seconds=result.pause_seconds) if result.pause_seconds else None
        moved = c.execute(update(runs).where(runs.c.id == run.id, runs.c.lease_owner == worker).values(
            state="queued", lease_owner=None, lease_until=None, checkpoint=result.state, counts=result.counts,
            requests=requests, not_before=pause_until, handed_at=None if pause_until else now)).rowcount == 1
        if not moved:
            return Outcome(run.id, "lost")
        c.execute(update(connections).where(connections.c.name == run.connection,
                                            connections.c.lease_run_id == run.id)
                  .values(lease_owner=None, lease_run_id=None, lease_until=None, not_before=pause_until,
                          pause_reason=result.pause_reason))
        note = (f"paused until {pause_until.isoformat()}: {result.pause_reason}" if pause_until
                else f"slice budget spent; re-queued ({result.counts.get('remaining', '?')} part(s) left)")
        c.execute(insert(run_log).values(run_id=run.id, at=now, level="info", message=note))
    return Outcome(run.id, "paused" if pause_until else "requeued", "queued")


def _finish(c: Connection, run: Any, worker: str, now: datetime, state: str, *, error: str | None,
            requests: int, counts: dict[str, Any] | None = None, checkpoint: dict[str, Any] | None = None) -> bool:
    values: dict[str, Any] = {"state": state, "finished_at": now, "lease_owner": None, "lease_until": None,
                              "error": redact(error) if error else error, "requests": requests}
    if counts is not None:
        values.update(counts=counts, checkpoint=checkpoint)
    if c.execute(update(runs).where(runs.c.id == run.id, runs.c.lease_owner == worker).values(**values)).rowcount != 1:
        return False
    c.execute(update(connections).where(connections.c.name == run.connection, connections.c.lease_run_id == run.id)
              .values(lease_owner=None, lease_run_id=None, lease_until=None))
    return True
