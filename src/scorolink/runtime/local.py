"""`scorolink serve`: the single-machine runner. APScheduler ticks the dispatcher; a thread pool runs
the slices. State lives in the state database (SQLite by default), so a restart loses nothing: due
times missed while stopped are coalesced into one run, and runs that were going are taken over once
their lease expires."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from scorolink.runtime.api import (
    DEFAULT_LEASE_SECONDS,
    DEFAULT_REHAND_SECONDS,
    Outcome,
    dispatch_due,
    execute_run,
    release_handed,
)
from scorolink.runtime.connections import Connections
from scorolink.runtime.operations import Budget
from scorolink.runtime.store import Clock, StateStore, SystemClock

log = logging.getLogger(__name__)


class LocalRunner:
    def __init__(self, store: StateStore, conns: Connections, *, workers: int = 2, clock: Clock | None = None,
                 budget: Budget | None = None, lease_seconds: float = DEFAULT_LEASE_SECONDS,
                 rehand_seconds: float = DEFAULT_REHAND_SECONDS) -> None:
        self.store, self.conns = store, conns
        self.clock = clock or SystemClock()
        self.budget = budget or Budget()
        self.lease_seconds, self.rehand_seconds = lease_seconds, rehand_seconds
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scorolink-run")
        self._lock = threading.Lock()
        self._pending: set[Future[Outcome]] = set()
        self._idle = threading.Condition(self._lock)
        self.outcomes: list[Outcome] = []
        self._cancelled: list[int] = []
        self._scheduler: Any = None

    def tick(self) -> list[int]:
        """Dispatch once: create due runs and hand every ready run to the pool."""
        handed = dispatch_due(self.store, self.clock.now(), rehand_seconds=self.rehand_seconds)
        for run_id in handed:
            self._submit(run_id)
        return handed

    def _submit(self, run_id: int) -> None:
        with self._lock:
            try:
                future = self.pool.submit(self._execute, run_id)
            except RuntimeError:  # stopping: the next start hands it out
                release_handed(self.store, [run_id])
                return
            future.run_id = run_id  # type: ignore[attr-defined]
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _execute(self, run_id: int) -> Outcome:
        outcome = execute_run(self.store, run_id, self.conns, clock=self.clock, budget=self.budget,
                              lease_seconds=self.lease_seconds)
        log.info("run %s: %s (%s)", run_id, outcome.status, outcome.state)
        if outcome.status == "requeued":
            self._submit(run_id)  # the next slice goes to the back of the pool's queue
        return outcome

    def _done(self, future: Future[Outcome]) -> None:
        with self._lock:
            self._pending.discard(future)
            if future.cancelled():
                self._cancelled.append(future.run_id)  # type: ignore[attr-defined]
            elif future.exception() is None:
                self.outcomes.append(future.result())
            else:
                log.error("run failed outside its slice", exc_info=future.exception())
            self._idle.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every handed run (and its follow-up slices) has returned."""
        with self._lock:
            return self._idle.wait_for(lambda: not self._pending, timeout)

    def run_until_idle(self, max_ticks: int = 1000) -> None:
        """Tick and drain until a tick hands nothing (`serve --once`, tests)."""
        for _ in range(max_ticks):
            if not self.tick():
                break
            self.wait_idle()

    def start(self, tick_seconds: float = 15.0) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        self._scheduler = BackgroundScheduler(timezone="UTC")
        self._scheduler.add_job(self.tick, IntervalTrigger(seconds=tick_seconds), id="dispatch_due",
                                coalesce=True, max_instances=1, misfire_grace_time=None,
                                next_run_time=self.clock.now())
        self._scheduler.start()

    def wake(self) -> None:
        """Dispatch now rather than on the next tick (a run was just queued); outside `start`, nothing."""
        scheduler = self._scheduler
        if scheduler is not None:
            scheduler.modify_job("dispatch_due", next_run_time=self.clock.now())

    def stop(self, wait: bool = True) -> None:
        """Stop ticking, let running slices finish, and give back runs handed to the pool but not
        started, so the next start hands them out at once."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        self.pool.shutdown(wait=wait, cancel_futures=True)
        if self._cancelled:
            release_handed(self.store, self._cancelled)
            self._cancelled = []
