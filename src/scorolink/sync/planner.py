"""Planning one category: read changes, compare with the links, decide what to write.

Pure with respect to the remote systems (it only reads) and to the state (it only reads links and
cursors), so a dry run is exactly the plan a real run would execute.

Decisions per changed source record:
- linked, and its shared values hash as the link recorded → not a change (our own echo, or fields
  the sync does not carry);
- linked and changed → update the counterpart; but not if the counterpart already has those values
  (then only the link is refreshed), not if the counterpart is gated (an approved document), and,
  when both sides changed, after a three-way merge;
- not linked → match on natural keys first: one candidate links without writing, several are
  reported as ambiguous and nothing is written, none → create;
- deleted → the link keeps a tombstone; the counterpart is deleted only if the category's delete
  policy says `propagate`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from scorolink.sync.merge import three_way
from scorolink.sync.model import (
    Category,
    CategoryPlan,
    Deferred,
    Issue,
    PlannedOp,
    Refused,
    Resolver,
    SideRecord,
    carried,
    other,
    shared_value,
)
from scorolink.sync.store import Link, LinkIndex, SyncStore

READ_TICK = 100  # records read between progress updates


@dataclass
class CategorySettings:
    enabled: bool = True
    direction: str = "a_to_b"  # a_to_b | b_to_a | both
    conflict: str = "a_wins"  # a_wins | b_wins | newest | manual (only with direction both)
    delete: str = "ignore"  # ignore | propagate
    start_date: date | None = None  # first sync: records modified on or after this date
    overlap_seconds: float = 300.0
    # while disabled, may a record another one needs still be brought (a document's contact: yes)
    as_dependency: bool = True
    # one-way categories managed on the source side: report edits made on the other side
    report_edits_elsewhere: bool = False

    def sources(self) -> list[str]:
        return {"a_to_b": ["a"], "b_to_a": ["b"], "both": ["a", "b"]}[self.direction]


class Planner:
    def __init__(self, store: SyncStore, job: str, categories: dict[str, Category],
                 settings: dict[str, CategorySettings], resolver: Resolver,
                 request_dependency: Callable[[str, str, str], bool]) -> None:
        self.store = store
        self.job = job
        self.categories = categories
        self.settings = settings
        self.resolver = resolver
        self.request_dependency = request_dependency  # (category, side, id): bring this record over first
        self._indexes: dict[tuple[str, str], dict[str, list[SideRecord]]] = {}  # natural key → target records
        self.on_read: Callable[[str, int], None] | None = None  # (category, records read): progress

    def _counted(self, name: str, records: Iterable[SideRecord]) -> list[SideRecord]:
        out: list[SideRecord] = []
        for record in records:
            out.append(record)
            if self.on_read is not None and len(out) % READ_TICK == 0:
                self.on_read(name, READ_TICK)
        if self.on_read is not None and len(out) % READ_TICK:
            self.on_read(name, len(out) % READ_TICK)
        return out

    def plan(self, name: str, only: dict[str, list[str]] | None = None) -> CategoryPlan:
        """Plan one category; `only` limits it to given source ids per side (manual sync of one
        record, or dependencies of another category)."""
        category, cfg = self.categories[name], self.settings[name]
        plan = CategoryPlan(name)
        links = self.store.links(self.job, name)
        changes: dict[str, dict[str, SideRecord]] = {}
        sources = cfg.sources() if only is None else [s for s in ("a", "b") if only.get(s)]
        for side in sources:
            changes[side] = self._changes(category, cfg, side, plan, only)
        handled: set[tuple[str, str]] = set()
        updates: list[tuple[SideRecord, Link, str]] = []
        for side in sources:
            target = other(side)
            failing = set(self.store.open_error_sources(self.job, name, side))
            for record in changes[side].values():
                if (side, record.id) in handled:
                    continue
                link = links.get(side, record.id)
                if record.deleted:
                    self._deleted(plan, cfg, side, record, link)
                    continue
                if link is not None and link.hash_on(side) == record.hash:
                    plan.unchanged += 1
                    if record.id in failing:  # set back to what was last agreed: nothing left to carry
                        plan.settled.append((side, record.id))
                    continue
                if link is None:
                    self._unlinked(plan, category, side, record, links, handled)
                    continue
                theirs = changes.get(target, {}).get(link.id_on(target) or "")
                if theirs is not None and not theirs.deleted and link.hash_on(target) != theirs.hash:
                    handled.add((target, theirs.id))
                    self._both_changed(plan, cfg, side, record, theirs, link)
                    continue
                updates.append((record, link, target))
        self._updates(plan, category, updates)
        if cfg.report_edits_elsewhere and only is None and len(sources) == 1:
            self._edits_elsewhere(plan, category, cfg, other(sources[0]), links)
        return plan

    def _edits_elsewhere(self, plan: CategoryPlan, category: Category, cfg: CategorySettings, side: str,
                         links: LinkIndex) -> None:
        """Records of a category managed on the other side (tax rates in Xero) that were edited here
        anyway: not carried, and said so — the next change on the managing side overwrites them."""
        for record in self._changes(category, cfg, side, plan, None).values():
            link = links.get(side, record.id)
            if link is not None and not record.deleted and link.hash_on(side) != record.hash:
                plan.issues.append(Issue(plan.category, side, record.id, "managed_elsewhere",
                                         f"changed in {'Scoro' if side == 'a' else 'the other system'}, but "
                                         f"{plan.category} are managed on the other side: the change is not carried "
                                         "and will be overwritten", op="update", target_id=link.id_on(other(side))))

    # -- reading ---------------------------------------------------------------------------------
    def _changes(self, category: Category, cfg: CategorySettings, side: str, plan: CategoryPlan,
                 only: dict[str, list[str]] | None) -> dict[str, SideRecord]:
        if only is not None:
            wanted = only.get(side, [])
            records = self._counted(category.name, category.fetch(side, wanted))
            found = {r.id for r in records}
            for missing in (i for i in wanted if i not in found):  # asked for by another record, gone since
                plan.issues.append(Issue(plan.category, other(side), missing, "missing",
                                         f"{category.name} record {missing} is not in {'Scoro' if side == 'a' else 'the other system'} "
                                         "any more (deleted?): records that refer to it wait until it is restored or "
                                         "they refer to another one", op="create"))
        else:
            cursor = self.store.cursor(self.job, side, category.name)
            since: datetime | None
            if cursor is not None:
                since = cursor - timedelta(seconds=cfg.overlap_seconds)
            elif cfg.start_date is not None:
                since = datetime(cfg.start_date.year, cfg.start_date.month, cfg.start_date.day, tzinfo=UTC)
            else:
                since = None
            records = self._counted(category.name, category.read(side, since))
            newest = max((r.modified for r in records if r.modified is not None), default=None)
            plan.cursor[side] = max(newest, cursor) if newest and cursor else newest or cursor
            seen = {r.id for r in records}
            retry = [i for i in self.store.retry_ids(self.job, category.name, side) if i not in seen]
            if retry:  # records that failed before are tried again until fixed or dismissed
                records += self._counted(category.name, category.fetch(side, retry))
        plan.read[side] += len(records)
        return {r.id: r for r in records}

    # -- decisions -------------------------------------------------------------------------------
    def _deleted(self, plan: CategoryPlan, cfg: CategorySettings, side: str, record: SideRecord,
                 link: Link | None) -> None:
        if link is None or link.state != "active":
            plan.unchanged += 1
            return
        target = other(side)
        if cfg.delete == "propagate":
            plan.ops.append(PlannedOp(plan.category, target, "delete", record.id, link.id_on(target), {},
                                      record.version, record.hash, basis=link.basis))
        else:
            plan.ops.append(PlannedOp(plan.category, target, "tombstone", record.id, link.id_on(target), {},
                                      record.version, record.hash, basis=link.basis))

    def _unlinked(self, plan: CategoryPlan, category: Category, side: str, record: SideRecord,
                  links: LinkIndex, handled: set[tuple[str, str]]) -> None:
        """`handled`: records this plan has settled already; a match joins them, so a pair read on both
        sides (a first run both ways) is linked, and counted, once."""
        target = other(side)
        candidates = [c for c in self._candidates(category, target, record)
                      if links.get(target, c.id) is None and (target, c.id) not in handled]
        if len(candidates) > 1:
            ids = ", ".join(c.id for c in candidates[:5])
            plan.issues.append(Issue(plan.category, target, record.id, "ambiguous",
                                     f"{len(candidates)} records on the other side match ({ids}); link one by "
                                     "hand or make them distinct — nothing was written", op="create"))
            return
        if candidates:
            match = candidates[0]
            handled.update({(target, match.id), (side, record.id)})
            plan.ops.append(PlannedOp(plan.category, target, "link", record.id, match.id, record.shared,
                                      record.version, record.hash, diff=_diff(match.shared, record.shared),
                                      target_version=match.version, target_hash=match.hash,
                                      target_total=match.shared.get("_total")))
            return
        self._with_payload(plan, category, PlannedOp(plan.category, target, "create", record.id, None,
                                                     record.shared, record.version, record.hash), None)

    def _candidates(self, category: Category, target: str, record: SideRecord) -> list[SideRecord]:
        keys = category.match_keys(record.shared)
        if not keys:
            return []
        index = self._target_index(category, target)
        for key in keys:  # strongest key first: the first key with any candidate decides
            found = [c for c in index.get(key, []) if category.matches(record.shared, c.shared)]
            if found:
                return found
        return []

    def _target_index(self, category: Category, target: str) -> dict[str, list[SideRecord]]:
        cache = self._indexes
        if (category.name, target) not in cache:
            index: dict[str, list[SideRecord]] = {}
            for candidate in self._counted(category.name, category.candidates(target)):
                if candidate.deleted:
                    continue
                for key in category.match_keys(candidate.shared):
                    index.setdefault(key, []).append(candidate)
            cache[(category.name, target)] = index
        return cache[(category.name, target)]

    def _both_changed(self, plan: CategoryPlan, cfg: CategorySettings, side: str, mine: SideRecord,
                      theirs: SideRecord, link: Link) -> None:
        a, b = (mine, theirs) if side == "a" else (theirs, mine)
        merged = three_way(link.base, a, b, cfg.conflict)
        if merged.unresolved:
            fields = ", ".join(f"{k} (Scoro {va!r}, other {vb!r})" for k, (va, vb) in merged.conflicts.items())
            plan.issues.append(Issue(plan.category, "b", a.id, "conflict",
                                     f"changed on both sides since the last sync: {fields}; nothing was written",
                                     op="update", target_id=b.id))
            return
        category = self.categories[plan.category]
        for record, target in ((a, "b"), (b, "a")):
            counterpart = b if target == "b" else a
            if shared_value(merged.values) != shared_value(counterpart.shared):
                op = PlannedOp(plan.category, target, "update", record.id, counterpart.id, merged.values,
                               record.version, record.hash, diff=_diff(counterpart.shared, merged.values),
                               basis=link.basis)
                self._with_payload(plan, category, op, counterpart)

    def _updates(self, plan: CategoryPlan, category: Category, updates: list[tuple[SideRecord, Link, str]]) -> None:
        by_target: dict[str, list[tuple[SideRecord, Link]]] = {}
        for record, link, target in updates:
            by_target.setdefault(target, []).append((record, link))
        for target, items in by_target.items():
            ids = [link.id_on(target) for _, link in items if link.id_on(target)]
            current = {r.id: r for r in category.fetch(target, [i for i in ids if i])}
            for record, link in items:
                target_id = link.id_on(target)
                now = current.get(target_id or "")
                if now is None:
                    plan.issues.append(Issue(plan.category, target, record.id, "deferred",
                                             f"the linked record {target_id} is gone from the other side; "
                                             "dismiss this error to stop trying, or relink", op="update",
                                             target_id=target_id))
                    continue
                if now.gate:
                    plan.issues.append(Issue(plan.category, target, record.id, "gated", now.gate, op="update",
                                             target_id=target_id))
                    continue
                op = PlannedOp(plan.category, target, "update", record.id, target_id, record.shared, record.version,
                               record.hash, diff=_diff(now.shared, record.shared), basis=link.basis)
                if now.hash == record.hash:  # the target already has these values: never write them again
                    op.op, op.target_version, op.target_hash = "link", now.version, now.hash
                    plan.ops.append(op)
                    continue
                self._with_payload(plan, category, op, now)

    def _with_payload(self, plan: CategoryPlan, category: Category, op: PlannedOp, current: SideRecord | None) -> None:
        """Build the target record now, for the preview; the executor builds it again at write time
        (same function), when references planned earlier in the run exist."""
        try:
            op.payload = category.build(op.target, op.shared, self.resolver, current)
        except Deferred as exc:
            if exc.needs is None:
                plan.issues.append(Issue(plan.category, op.target, op.source_id, "deferred", str(exc), op=op.op))
                return
            refused = [needs for needs in category.dependencies(op.target, op.shared) or [exc.needs]
                       if not self.request_dependency(*needs)]
            if refused:  # it refers to what this sync does not carry (a payment on a Xero-only invoice)
                plan.out_of_scope += 1
                return
        except Refused as exc:
            plan.issues.append(Issue(plan.category, op.target, op.source_id, exc.kind, str(exc), op=op.op,
                                     target_id=op.target_id))
            return
        plan.ops.append(op)


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (before.get(k), after.get(k)) for k in sorted(set(before) | set(after))
            if not carried(k) and shared_value(before.get(k)) != shared_value(after.get(k))}
