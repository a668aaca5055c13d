"""A sync run: plan every enabled category in dependency order, then execute the outbox.

Planning and execution share one code path; a dry run stops after planning and returns the plan
(creates, updates, deletes, links, conflicts, ambiguous matches, with field diffs). Cursors move
only when every write of their window is settled (done, failed with a visible error, or deferred),
so a crash at any point re-reads the window, and links and idempotency keys make that harmless.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from scorolink.sync.executor import Executor, Stopped
from scorolink.sync.model import Category, CategoryPlan, other
from scorolink.sync.planner import CategorySettings, Planner
from scorolink.sync.store import SyncStore, now

WRITTEN = ("created", "updated", "deleted", "linked", "adopted", "tombstoned")  # executed counts that are writes


class StoreResolver:
    """Counterparts from the link table. Found pairs are kept in memory (a link, once made, keeps its
    ids); misses are asked again, since the run may link the record meanwhile."""

    def __init__(self, store: SyncStore, job: str) -> None:
        self.store = store
        self.job = job
        self._found: dict[tuple[str, str, str], str] = {}

    def counterpart(self, category: str, side: str, record_id: Any) -> str | None:
        if record_id in (None, ""):
            return None
        key = (category, side, str(record_id))
        if key not in self._found:
            found = self.store.counterpart(self.job, category, side, str(record_id))
            if found is None:
                return None
            self._found[key] = found
        return self._found[key]


@dataclass
class SyncResult:
    job: str
    run_id: int
    dry_run: bool
    plans: dict[str, CategoryPlan] = field(default_factory=dict)
    executed: dict[str, dict[str, int]] = field(default_factory=dict)
    stopped: str | None = None
    retry_after: float | None = None
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)  # what a person should know though nothing failed

    @property
    def issues(self) -> int:
        return sum(len(p.issues) for p in self.plans.values())

    @property
    def failed(self) -> int:
        return sum(c.get("failed", 0) + c.get("deferred", 0) for c in self.executed.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job, "run": self.run_id, "dry_run": self.dry_run, "stopped": self.stopped,
            "seconds": round(self.seconds, 3), "warnings": self.warnings,
            "categories": {name: {"planned": plan.counts(), "read": plan.read,
                                  "executed": self.executed.get(name, {}),
                                  "issues": [vars(i) for i in plan.issues],
                                  "ops": [{"op": o.op, "target": o.target, "source_id": o.source_id,
                                           "target_id": o.target_id, "diff": o.diff} for o in plan.ops]}
                           for name, plan in self.plans.items()},
        }


class SyncEngine:
    """`categories` in dependency order (reference data → contacts → products → documents →
    payments); `settings` says which are enabled and in which direction."""

    def __init__(self, store: SyncStore, job: str, categories: Sequence[Category],
                 settings: dict[str, CategorySettings], resolver: StoreResolver | None = None,
                 counterpart: str = "the other system") -> None:
        self.counterpart = counterpart  # side b's name in what people read (side a is Scoro)
        self.store = store
        self.job = job
        self.resolver = resolver or StoreResolver(store, job)  # categories' own references can share it
        self.order = [c.name for c in categories]
        self.categories = {c.name: c for c in categories}
        self.settings = {name: settings.get(name, CategorySettings(enabled=False)) for name in self.order}
        self.progress: Any = None  # sync.progress: told what is read, planned and written

    def run(self, *, dry_run: bool = False, only: list[str] | None = None,
            record: tuple[str, str, str] | None = None,
            records: list[tuple[str, str, str]] | None = None) -> SyncResult:
        """Sync the enabled categories (or `only` some), or given records: (category, side, id).

        Category by category in dependency order: plan, bring over what the plan needs from other
        categories (an invoice's contact and products, even with their categories off, as Scoro's
        integration does), then execute, so each category is planned against the records the ones
        before it have just written. A dry run plans every category and writes nothing (the
        integrations' dry runs instead run this against a copy of the state: sync.dryrun)."""
        run_id = self.store.start_run(self.job, dry_run)
        result = SyncResult(self.job, run_id, dry_run)
        resolver = self.resolver
        self._wanted: dict[str, dict[str, list[str]]] = {}
        self._planned: dict[str, dict[str, set[str]]] = {}
        planner = Planner(self.store, self.job, self.categories, self.settings, resolver, self._need)
        progress = self.progress
        if progress is not None:
            planner.on_read = progress.read
        executor = None if dry_run else Executor(self.store, self.job, run_id, self.categories, resolver,
                                                 self.counterpart)
        with progress.run() if progress is not None else nullcontext():
            self._run(result, planner, executor, only, record, records)
        if dry_run:
            state = "planned"
        else:
            state = "stopped" if result.stopped else "partial" if result.failed or result.issues else "succeeded"
        self.store.set_run(run_id, state=state, finished_at=now(), stats=run_stats(result), message=result.stopped)
        return result

    def _run(self, result: SyncResult, planner: Planner, executor: Executor | None, only: list[str] | None,
             record: tuple[str, str, str] | None, records: list[tuple[str, str, str]] | None) -> None:
        started = time.monotonic()
        progress = self.progress
        try:
            chosen = ([record] if record is not None else []) + list(records or [])
            if chosen or records is not None:
                for item in chosen:
                    self._need(*item)
                self._settle_needs(planner, executor, result)
            for name in self.order if not chosen and records is None else []:
                if not (self.settings[name].enabled and (only is None or name in only)):
                    continue
                if progress is not None:
                    progress.start(name, "reading")
                plan = planner.plan(name)
                self._mark_planned(plan)
                self._merge(result, plan)
                self._settle_needs(planner, executor, result)
                if executor is not None:
                    self._lock_start_date(name)
                    self._execute(executor, result, name)
                    self._checkpoint(name, plan)
                if progress is not None:
                    progress.done(name)
        except Stopped as exc:
            result.stopped, result.retry_after = str(exc), exc.retry_after
        finally:
            result.seconds = time.monotonic() - started
            if progress is not None:
                progress.done_all()  # categories planned only as another one's dependencies

    def _need(self, category: str, side: str, record_id: str) -> bool:
        """Bring a record another one needs, if this category may carry it that way: categories that
        follow documents (contacts, products) always; the others only when enabled in that direction."""
        settings = self.settings.get(category)
        if settings is None or not (settings.as_dependency or settings.enabled and side in settings.sources()):
            return False
        ids = self._wanted.setdefault(category, {}).setdefault(side, [])
        if record_id not in ids:
            ids.append(record_id)
        return True

    def _mark_planned(self, plan: CategoryPlan) -> None:
        """The records a category's own pass planned (to write, or held back with a reason) are not
        planned again in this run when a later category needs them: one that failed is tried once per
        run, and counted once."""
        planned = self._planned.setdefault(plan.category, {})
        for op in plan.ops:
            if op.source_id is not None:
                planned.setdefault(other(op.target), set()).add(op.source_id)
        for issue in plan.issues:
            if issue.source_id is not None and issue.kind != "managed_elsewhere":  # those name their own side
                planned.setdefault(other(issue.side), set()).add(issue.source_id)

    def _settle_needs(self, planner: Planner, executor: Executor | None, result: SyncResult) -> None:
        """Plan the records asked for by other records until nothing new is asked, then execute them."""
        touched: set[str] = set()
        while True:
            pending = {c: {s: [i for i in ids if i not in self._planned.get(c, {}).get(s, set())]
                           for s, ids in sides.items()} for c, sides in self._wanted.items()}
            pending = {c: {s: ids for s, ids in sides.items() if ids} for c, sides in pending.items()}
            pending = {c: sides for c, sides in pending.items() if sides}
            if not pending:
                break
            for name in self.order:
                if name in pending:
                    for side, ids in pending[name].items():
                        self._planned.setdefault(name, {}).setdefault(side, set()).update(ids)
                    if self.progress is not None:
                        self.progress.start(name, "reading")
                    self._merge(result, planner.plan(name, only=pending[name]))
                    touched.add(name)
        # everything asked for is planned: execute in dependency order (contacts before documents)
        for name in self.order:
            if name in touched and executor is not None:
                self._execute(executor, result, name)

    def _merge(self, result: SyncResult, plan: CategoryPlan) -> None:
        if plan.category in result.plans:
            known = result.plans[plan.category]
            seen = {(o.target, o.source_id) for o in known.ops}
            known.ops += [o for o in plan.ops if (o.target, o.source_id) not in seen]
            held = {(i.side, i.source_id, i.kind, i.op) for i in known.issues}
            fresh = [i for i in plan.issues if (i.side, i.source_id, i.kind, i.op) not in held]
            plan.issues = fresh  # a record planned again as another's dependency: counted, and tried, once
            known.issues += fresh
            known.unchanged += plan.unchanged
            known.out_of_scope += plan.out_of_scope
            for side, n in plan.read.items():
                known.read[side] += n
        else:
            result.plans[plan.category] = plan
        if not result.dry_run:
            for side, record_id in plan.settled:
                self.store.resolve_errors(self.job, plan.category, side, record_id, keep_standing=True)
            self.store.add_ops(result.run_id, self.job, plan.ops)
            for issue in plan.issues:
                self.store.record_error(self.job, plan.category, issue.side, issue.source_id, issue.kind,
                                        issue.message, op=issue.op, target_id=issue.target_id)

    def _execute(self, executor: Executor, result: SyncResult, name: str) -> None:
        self.store.set_run(result.run_id, state="executing")
        if self.progress is not None:
            self.progress.start(name, "writing")
        counts = executor.run_category(name).counts
        if self.progress is not None:
            self.progress.written(name, sum(n for key, n in counts.items() if key in WRITTEN))
        total = result.executed.setdefault(name, {})
        for key, n in counts.items():
            total[key] = total.get(key, 0) + n

    def _lock_start_date(self, name: str) -> None:
        """The start date the category's initial sync uses is locked as it starts writing, so a run that
        stops part-way (a quota) cannot be finished from another date: the records it wrote came from this
        one (not whatever a later run is given)."""
        if self.store.setting(self.job, f"start_date:{name}") is None:
            used = self.settings[name].start_date
            self.store.set_setting(self.job, f"start_date:{name}", used.isoformat() if used else "")

    def _checkpoint(self, name: str, plan: CategoryPlan) -> None:
        """Advance the category's cursors once nothing of its window is still to be sent."""
        if self.store.open_ops(self.job, name):
            return
        if self.store.setting(self.job, f"initial_sync:{name}") is None:  # the initial sync is complete
            self._lock_start_date(name)
            self.store.set_setting(self.job, f"initial_sync:{name}", now().isoformat())
        for side, value in plan.cursor.items():
            if value is not None:
                self.store.set_cursor(self.job, side, name, value)


def run_stats(result: SyncResult) -> dict[str, Any]:
    return {name: {"planned": plan.counts(), "executed": result.executed.get(name, {})}
            for name, plan in result.plans.items()}

