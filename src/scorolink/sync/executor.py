"""Executing the outbox: write each planned op, then record the result with the link.

Per batch: ops are marked `inflight` (committed) before the first request, and once every request
of the batch is answered, the results are written with their links in one transaction. After a crash, an `inflight` create is looked up on the target
before it is sent again (the answer may have been lost after the record was made); updates and
deletes are safe to repeat and carry the same idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scorolink.clients.errors import RateLimited
from scorolink.sync.categories import totals_difference
from scorolink.sync.model import (
    Category,
    Deferred,
    Refused,
    Resolver,
    SideRecord,
    WriteOutcome,
    WriteRequest,
    other,
)
from scorolink.sync.report import totals_message
from scorolink.sync.store import SyncStore

BOOKKEEPING_BATCH = 500  # link and tombstone ops recorded per commit


class Stopped(Exception):
    """The run must stop here (a rate limit past the wait budget): the rest stays queued."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Executed:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


class Executor:
    def __init__(self, store: SyncStore, job: str, run_id: int, categories: dict[str, Category],
                 resolver: Resolver, counterpart: str = "the other system") -> None:
        self.counterpart = counterpart  # side b's name in what people read
        self.store = store
        self.job = job
        self.run_id = run_id
        self.categories = categories
        self.resolver = resolver
        self._recovering = False

    def run_category(self, name: str) -> Executed:
        category = self.categories[name]
        done = Executed()
        ops = self.store.open_ops(self.job, name)
        self._recovering = any(op["state"] == "inflight" for op in ops)  # a crashed run's writes to settle
        i = 0
        while i < len(ops):
            op = ops[i]
            if op["op"] in ("link", "tombstone"):  # no remote write: a run of them is one commit
                end = i
                while end < len(ops) and end - i < BOOKKEEPING_BATCH and ops[end]["op"] in ("link", "tombstone"):
                    end += 1
                with self.store.batch():
                    for each in ops[i:end]:
                        self._bookkeeping(name, each, done)
                i = end
                continue
            run = [op]  # consecutive ops of one kind to one side: built, then sent in full batches
            while i + len(run) < len(ops) and ops[i + len(run)]["op"] == op["op"] \
                    and ops[i + len(run)]["target"] == op["target"]:
                run.append(ops[i + len(run)])
            self._write_run(category, run, done)
            i += len(run)
        return done

    def _bookkeeping(self, name: str, op: dict[str, Any], done: Executed) -> None:
        """Ops without a remote write: linking matched records, keeping a tombstone."""
        if op["op"] == "tombstone":
            self.store.mark_deleted(self.job, name, other(op["target"]), op["source_id"])
            self.store.set_ops([op["id"]], "done")
            done.add("tombstoned")
            return
        info = op["payload"] or {}
        self._link(name, op, op["target_id"], info.get("target_version"), info.get("target_hash") or op["source_hash"])
        differ = totals_difference(op["shared"] or {}, {"_total": info.get("target_total")})
        if differ:  # matched, not written: the two systems already total it differently, said on the record
            self.store.record_error(self.job, name, op["target"], op["source_id"], "totals_differ",
                                    totals_message(op["target"], *differ, self.counterpart, matched=True),
                                    op="totals", target_id=op["target_id"])
        done.add("linked")

    def _write_run(self, category: Category, run: list[dict[str, Any]], done: Executed) -> None:
        """Build each op (refused and deferred ones drop out), sending every full batch as it fills, so
        records that cannot be written do not leave half-empty requests behind."""
        target = run[0]["target"]
        ready: list[tuple[dict[str, Any], WriteRequest]] = []
        for op in run:
            request = self._request(category, target, op, done)
            if request is not None:
                ready.append((op, request))
            if len(ready) >= category.batch_size:
                self._send(category, target, ready, done)
                ready = []
        if ready:
            self._send(category, target, ready, done)

    def _request(self, category: Category, target: str, op: dict[str, Any], done: Executed) -> WriteRequest | None:
        if op["op"] == "create" and op["state"] == "pending" and self._recovering and \
                self.resolver.counterpart(category.name, other(target), op["source_id"]) is not None:
            # linked since it was planned (an inflight op of a crashed run adopted the record it had
            # made, which this run then read as new): creating it again would duplicate it
            self.store.set_ops([op["id"]], "done")
            return None
        if op["op"] == "create" and op["state"] == "inflight":
            found = category.find(target, op["shared"])
            if found is not None:  # a lost answer had created it: adopt, do not create twice
                self._link(category.name, op, found.id, found.version, found.hash)
                done.add("adopted")
                return None
        try:
            payload = op["payload"] if op["op"] == "delete" else category.build(
                target, op["shared"], self.resolver, None)
        except Deferred as exc:
            self._refused(category.name, op, "deferred", str(exc), done, state="deferred")
            return None
        except Refused as exc:
            self._refused(category.name, op, exc.kind, str(exc), done)
            return None
        return WriteRequest(op["op"], op["target_id"], payload or {}, op["idem_key"], op["id"], op["shared"] or {})

    def _send(self, category: Category, target: str, ready: list[tuple[dict[str, Any], WriteRequest]],
              done: Executed) -> None:
        by_ref = {request.ref: op for op, request in ready}
        refs = [request.ref for _op, request in ready]
        self.store.set_ops(refs, "inflight", attempt=True)
        try:
            outcomes = category.write(target, [request for _op, request in ready])
        except RateLimited as exc:
            self.store.set_ops(refs, "pending", str(exc))
            raise Stopped(f"{category.name}: {exc}", exc.retry_after) from exc
        with self.store.batch():  # every request of the batch is answered: their records in one commit
            for outcome in outcomes:
                self._settle(category.name, by_ref[outcome.ref], outcome, done)

    def _settle(self, name: str, op: dict[str, Any], outcome: WriteOutcome, done: Executed) -> None:
        if outcome.ok:
            if op["op"] == "delete":
                self.store.mark_deleted(self.job, name, other(op["target"]), op["source_id"])
                self.store.set_ops([op["id"]], "done")
            else:
                saved = outcome.record or SideRecord(op["target_id"] or "", op["shared"])
                self._link(name, op, saved.id, saved.version, saved.hash)
                if outcome.error:  # written, but a second step failed: linked, and shown to people
                    self.store.record_error(self.job, name, op["target"], op["source_id"], "follow_up", outcome.error,
                                            op="follow_up", target_id=saved.id)
                differ = totals_difference(op["shared"] or {}, saved.shared)
                if differ:  # written, but the two systems total it differently: said on the record
                    self.store.record_error(self.job, name, op["target"], op["source_id"], "totals_differ",
                                            totals_message(op["target"], *differ, self.counterpart),
                                            op="totals", target_id=saved.id)
            done.add({"create": "created", "update": "updated", "delete": "deleted"}[op["op"]])
        elif outcome.kind == "unknown_outcome":
            done.add("unknown")  # stays inflight: the next run looks it up before creating again
        elif outcome.kind == "transient":
            self.store.set_ops([op["id"]], "pending", outcome.error)
            done.add("retry_later")
        else:
            self._refused(name, op, outcome.kind, outcome.error or "refused", done)

    def _refused(self, name: str, op: dict[str, Any], kind: str, message: str, done: Executed,
                 state: str = "failed") -> None:
        self.store.set_ops([op["id"]], state, message)
        self.store.record_error(self.job, name, op["target"], op["source_id"], kind, message, op=op["op"],
                                target_id=op["target_id"], payload=op["payload"])
        done.add(state)

    def _link(self, name: str, op: dict[str, Any], target_id: str, target_version: str | None,
              target_hash: str) -> None:
        source, target = other(op["target"]), op["target"]
        ids = {source: op["source_id"], target: target_id}
        versions = {source: op["source_version"], target: target_version}
        hashes = {source: op["source_hash"], target: target_hash}
        self.store.save_link(self.job, name, self.run_id, a_id=ids["a"], b_id=ids["b"], a_version=versions["a"],
                             b_version=versions["b"], a_hash=hashes["a"], b_hash=hashes["b"], base=op["shared"],
                             done_op=op["id"], remote_id=target_id)
        self.store.resolve_errors(self.job, name, source, op["source_id"])
