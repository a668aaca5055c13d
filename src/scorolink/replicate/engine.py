"""Replicate Scoro objects into a SQL mirror: full the first time, incremental afterwards.

Per object and account:
- **incremental** when the object has a cursor (UpdatedDate; CreatedDate for Files) that the API
  filters natively and a previous run set it: read `cursor >= last cursor - overlap`, with deleted
  records included, and write only what changed. The overlap is the larger of the configured
  one and the duration of the run that set the cursor, so an edit made while that run was
  reading cannot fall between two windows;
- **full** otherwise (first run, `--full`, no cursor, or a cursor the API cannot filter): read
  everything and diff; records the read did not return are kept with IsDeleted = true;
- **reconcile** (`--reconcile`, or when the last one is older than `reconcile_days`): after an
  incremental read, read the live keys (plain pages of 100) and flag the missing ones deleted,
  which catches deletes the API stopped reporting after its 30-day window.

Comment objects are one module-wide `comments/list` where the site answers it (asked once per
site, see ScoroConnector.reads_by_module). Otherwise objects listed per parent record (comments,
contact relations) cost a request per parent. With `per_parent="changed"` (the default) a run after
a full one asks only the parents modified since the parents' own cursor minus the overlap (kept in
Scoro's time, like every cursor; one page per 100 of them), less those the previous run already
asked at the same modification time, and every parent once per `sweep_days`. Whether a new comment
marks its parent modified is not documented, so a comment on an untouched parent waits for the next
sweep. `all` asks every parent on every run. A parent whose list fails every attempt is recorded
(`pending_parents`); the others are finished, and the next run asks only the recorded parents.

Objects are read concurrently (the client's rate limiter keeps the pace); writes go through one
lock, each batch in its own transaction, the cursor with the last batch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from scorolink.catalog.model import Catalog, ObjectSpec
from scorolink.clients.errors import ApiError, AuthenticationFailed
from scorolink.clients.http import RequestStats
from scorolink.connectors.base import Condition
from scorolink.connectors.scoro import ScoroConnector
from scorolink.errors import ScorolinkError
from scorolink.replicate import mirror, state, synchub
from scorolink.replicate.destination import Destination, open_destination
from scorolink.replicate.loader import ObjectLoader
from scorolink.replicate.rows import RowBuilder
from scorolink.replicate.schema import MirrorOptions, Namer, Table, build_tables, remote_id

log = logging.getLogger(__name__)

# Contacts is the read-only union of People and Companies: mirroring it too would copy every
# contact twice. Name it in --objects to get it anyway.
SKIPPED_BY_DEFAULT = ("Contacts",)
PER_PARENT_MODES = ("all", "changed")


@dataclass
class ReplicateOptions:
    objects: list[str] | None = None
    full: bool = False
    reconcile: bool = False
    mirror: MirrorOptions = field(default_factory=MirrorOptions)
    overlap_seconds: float = 3600.0
    reconcile_days: float = 25.0
    batch_size: int = 2000  # records per transaction
    workers: int = 4
    account: str | None = None  # RemoteAccount value; defaults to the company account id
    per_parent: str = "changed"  # all | changed: which parents an incremental run asks (module doc)
    sweep_days: float = 7.0  # with per_parent="changed": ask every parent at least this often


@dataclass
class ObjectResult:
    name: str
    mode: str = ""
    read: int = 0
    rows: int = 0  # rows written (new or changed records)
    deleted: int = 0  # records flagged deleted because Scoro no longer returns them
    requests: int = 0
    seconds: float = 0.0
    reconciled: bool = False
    parents: str | None = None  # per-parent objects: "all", or "changed" when only modified parents were asked
    error: str | None = None
    cleaned_rows: int = 0  # records with a value changed to fit every database (rows.Cleaning)
    cleaned: dict[str, int] = field(default_factory=dict)  # values changed, by kind


@dataclass
class ReplicationSummary:
    destination: str
    account: str
    objects: dict[str, ObjectResult]
    requests: int
    seconds: float
    schema: mirror.SchemaChanges

    @property
    def failed(self) -> list[str]:
        return [name for name, r in self.objects.items() if r.error]

    def as_dict(self) -> dict[str, Any]:
        return {
            "destination": self.destination, "account": self.account,
            "objects": {n: {k: v for k, v in asdict(r).items() if k != "name"} for n, r in self.objects.items()},
            "requests": self.requests, "seconds": round(self.seconds, 3),
            "schema": asdict(self.schema), "failed": self.failed,
        }


class Progress(Protocol):
    def start(self, name: str, mode: str) -> None: ...
    def advance(self, name: str, read: int, written: int, requests: int) -> None: ...
    def done(self, name: str, result: ObjectResult) -> None: ...


class _NoProgress:
    def start(self, name: str, mode: str) -> None:
        pass

    def advance(self, name: str, read: int, written: int, requests: int) -> None:
        pass

    def done(self, name: str, result: ObjectResult) -> None:
        pass


def default_objects(catalog: Catalog, schema: str = "skyvia") -> list[str]:
    names = [s.name for s in catalog if s.allows("select") and s.name not in SKIPPED_BY_DEFAULT]
    return synchub.default_objects(names) if schema == synchub.NAME else names


def build_mirror_tables(specs: list[ObjectSpec], options: MirrorOptions) -> list[Table]:
    """The mirror's tables under the schema the options name."""
    if options.schema == synchub.NAME:
        return synchub.build_tables(specs, options)
    return build_tables(specs, options)


def replicate(connector: ScoroConnector, to: str | Destination, options: ReplicateOptions | None = None,
              progress: Progress | None = None) -> ReplicationSummary:
    options = options or ReplicateOptions()
    started = time.monotonic()
    requests_before = connector.client.stats.total
    try:  # learnt (or read from the site's facts) once, before objects are read concurrently
        connector.tz.resolve()
    except ScorolinkError as exc:  # objects that meet a datetime without an offset fail with this
        log.warning("%s", exc)
    names = [connector.spec(n, with_custom=False).name
             for n in (options.objects or default_objects(connector.catalog, options.mirror.schema))]
    specs = [connector.spec(n) for n in dict.fromkeys(names)]
    dest = open_destination(to) if isinstance(to, str) else to
    try:
        if options.mirror.schema == synchub.NAME and dest.supports_foreign_keys and not options.mirror.foreign_keys:
            # SyncHub's model is its foreign keys: declared wherever the database can (not DuckDB)
            options = replace(options, mirror=replace(options.mirror, foreign_keys=True))
        tables = build_mirror_tables(specs, options.mirror)
        types, changes = mirror.prepare(dest, tables, options.mirror)
        run = _Run(connector, dest, specs, tables, types, options, progress or _NoProgress())
        # An object whose tables gained columns is read in full once, so old rows get the new values.
        run.reread = {t.object for t in tables if any(a.startswith(t.name + ".") for a in changes.added)}
        results = run.all()
        with run.lock:
            mirror.finish(dest, tables, options.mirror)
    finally:
        if isinstance(to, str):
            dest.close()
    return ReplicationSummary(
        destination=dest.url, account=run.account, objects=results,
        requests=connector.client.stats.total - requests_before, seconds=time.monotonic() - started, schema=changes,
    )


class _Run:
    def __init__(self, connector: ScoroConnector, dest: Destination, specs: list[ObjectSpec], tables: list[Table],
                 types: dict[str, dict[str, str]], options: ReplicateOptions, progress: Progress):
        self.connector = connector
        self.dest = dest
        self.specs = specs
        self.tables = {s.name: [t for t in tables if t.object == s.name] for s in specs}
        self.types = types
        self.options = options
        self.progress = progress
        self.namer = Namer(options.mirror.naming)
        self.account = options.account or str(connector.client.settings.company_account_id)
        self.lock = threading.RLock()
        self.reread: set[str] = set()
        self.mirror_id = (synchub.mirror_remote_id(dest, self.account) if options.mirror.schema == synchub.NAME
                          else None)

    def all(self) -> dict[str, ObjectResult]:
        workers = max(1, min(self.options.workers, len(self.specs)))
        # Objects listed per parent record cost a request per parent: start them last.
        ordered = sorted(self.specs, key=lambda s: s.reader == "per_parent")
        if workers == 1:
            results = [self.one(s) for s in ordered]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(self.one, ordered))
        by_name = {r.name: r for r in results}
        return {s.name: by_name[s.name] for s in self.specs}

    def one(self, spec: ObjectSpec) -> ObjectResult:
        result = ObjectResult(spec.name)
        started = time.monotonic()
        with RequestStats.scope() as requests:
            try:
                self._replicate(spec, result, requests)
            except AuthenticationFailed:
                raise
            except (ApiError, ScorolinkError) as exc:
                result.error = str(exc)
                log.warning("%s failed: %s", spec.name, exc)
        result.requests = sum(requests.values())
        result.seconds = time.monotonic() - started
        self.progress.done(spec.name, result)
        return result

    def _replicate(self, spec: ObjectSpec, result: ObjectResult, requests: Any) -> None:
        with self.lock:  # the loader prepares statements against the destination
            loader = ObjectLoader(self.dest, RowBuilder(spec, self.tables[spec.name], self.dest, self.types,
                                                        self.account), self.tables[spec.name], self.namer, self.account,
                                  self.mirror_id)
            previous = state.read_state(self.dest, self.account, spec.name)
        # Asked once per site, on the first run already, so the next one can use the answer:
        # does Scoro honour a modified_date filter its docs do not list (TimeEntries)?
        spec = self.connector.learn_cursor_filter(spec)
        cursor = spec.incremental
        cursor_field = spec.field_named(cursor) if cursor else None
        pushable = cursor_field is not None and (">=" in cursor_field.filters or ">" in cursor_field.filters)
        pending = previous.pending_parents if spec.parent is not None and not self.options.full else {}
        resume = bool(pending.get("ids"))
        fresh = not self.options.full and spec.name not in self.reread
        incremental = resume or (fresh and previous.cursor is not None and pushable)
        by_module = spec.parent is not None and not resume and self.connector.reads_by_module(spec)
        started = time.monotonic()
        now = datetime.now(UTC)
        overlap = max(self.options.overlap_seconds, previous.cursor_run_seconds)
        parents = None
        if spec.parent is not None and not resume and not by_module and self.options.per_parent == "changed":
            # Without a cursor of its own (ContactRelations), a run after a full one asks only the
            # changed parents too, until the sweep reads every parent and flags what is gone.
            by_parents = not incremental and fresh and previous.last_full_at is not None
            parents = self._parents(spec, previous, sweep=not (incremental or by_parents), overlap=overlap, now=now)
            incremental = incremental or (by_parents and parents is not None and not parents.sweep)
        result.mode = "resume" if resume else "incremental" if incremental else "full"
        self.progress.start(spec.name, result.mode)
        where: list[Condition] = []
        since: datetime | None = None
        if resume:
            since = datetime.fromisoformat(pending["since"]) if pending.get("since") else None
        elif incremental and previous.cursor is not None and pushable:
            since = previous.cursor - timedelta(seconds=overlap)
        if since is not None and cursor is not None:
            where = [Condition(cursor, ">=", since)]
        if resume:
            assert spec.parent is not None
            where.append(Condition(spec.parent.field, "in", tuple(pending["ids"])))
        elif parents is not None and not (parents.sweep and self.connector.reads_all_parents_by_module(spec)):
            # (a sweep of CompanyComments or PeopleComments on a site that lists comments by module
            # reads the module's pages and keeps this object's: no parent ids, as with "all")
            assert spec.parent is not None
            where.append(Condition(spec.parent.field, "in", parents.ids))
        if spec.parent is not None:
            result.parents = ("module" if by_module else "resumed" if resume
                              else "changed" if parents is not None and not parents.sweep else "all")
        full_read = not incremental or (resume and bool(pending.get("full")))
        if not incremental:
            with self.lock, self.dest.transaction():
                state.clear_seen(self.dest, self.account, spec.name)
        with self.lock:
            loader.start(full=not incremental)
        high = previous.cursor
        columns = None
        if self.options.mirror.include_binary and spec.binary_fields:
            columns = [f.name for f in spec.fields] + [n.field for n in spec.nested]
        # A parent whose list fails every attempt is recorded and the others are finished.
        failures: dict[Any, str] | None = {} if spec.reader == "per_parent" else None
        records = self.connector.read(spec.name, where, columns=columns, include_deleted=spec.has_delete_flag,
                                      parent_failures=failures)

        def finish() -> None:
            if full_read and not failures:
                result.deleted = loader.mark_unseen_deleted(now)
            # a full read still owes its unseen-deleted pass; not a first load (nothing to flag there)
            was_full = (not incremental and not loader.fresh) or bool(pending.get("full"))
            state.write_state(self.dest, self.account, spec.name, state.ObjectState(
                cursor=high, cursor_run_seconds=time.monotonic() - started,
                last_full_at=now if not incremental else previous.last_full_at,
                last_reconcile_at=now if not incremental else previous.last_reconcile_at,
                last_sweep_at=(now if parents is not None and parents.sweep or parents is None and not resume
                               else previous.last_sweep_at),
                parent_cursor=parents.cursor if parents is not None else previous.parent_cursor if resume else None,
                recent_parents=parents.recent if parents is not None else previous.recent_parents if resume else {},
                pending_parents={"ids": sorted(failures, key=str), "full": was_full,
                                 "since": since.isoformat() if since is not None else None} if failures else {}))

        try:
            for batch, last in _batches(records, self.options.batch_size):
                if cursor:
                    for r in batch:
                        value = r.get(cursor)
                        if isinstance(value, datetime) and (high is None or value > high):
                            high = value
                with self.lock:
                    done = loader.load(batch, now=now, note_seen=full_read, finish=finish if last else None)
                result.read += done.read
                result.rows += done.written
                self.progress.advance(spec.name, result.read, result.rows, sum(requests.values()))
        finally:
            if loader.deferred_indexes:  # the read failed part way: leave the mirror indexed
                with self.lock:
                    loader.restore_indexes()
            cleaning = loader.builder.cleaning
            result.cleaned_rows, result.cleaned = cleaning.rows, dict(cleaning.values)
        if failures:
            shown = ", ".join(str(i) for i in list(failures)[:10]) + (" ..." if len(failures) > 10 else "")
            result.error = (f"{len(failures)} parent record(s) could not be read ({shown}): "
                            f"{next(iter(failures.values()))}. The others are in the mirror; the next run "
                            "asks only these parents.")
            return
        if incremental and not resume and self._reconcile_due(previous, now):
            self._reconcile(spec, loader, result, now)

    def _parents(self, spec: ObjectSpec, previous: state.ObjectState, *, sweep: bool, overlap: float,
                 now: datetime) -> _Parents | None:
        """The parents a per_parent="changed" read asks: every one when a sweep is due, else those
        modified since the parents' cursor minus the overlap. None when the parent object has no
        cursor Scoro filters on (every parent is asked, as with "all")."""
        assert spec.parent is not None
        parent = self.connector.spec(spec.parent.object, with_custom=False)
        cursor = parent.incremental
        cursor_field = parent.field_named(cursor) if cursor else None
        if cursor is None or cursor_field is None or ">=" not in cursor_field.filters:
            return None
        last, since = previous.last_sweep_at, previous.parent_cursor
        sweep = sweep or last is None or since is None or now - last > timedelta(days=self.options.sweep_days)
        where = [] if sweep or since is None else [Condition(cursor, ">=", since - timedelta(seconds=overlap))]
        key = parent.key_fields[0]
        found = _Parents(sweep=sweep, cursor=None if sweep else since)
        seen: list[tuple[str, datetime]] = []
        # deleted parents too (within Scoro's 30 days), so their comments are asked and come back deleted
        with_deleted = spec.has_delete_flag and parent.has_delete_flag
        for record in self.connector.read(parent.name, where, columns=[key, cursor], include_deleted=with_deleted):
            value = record.get(cursor)
            stamp = value.isoformat() if isinstance(value, datetime) else None
            if sweep or stamp is None or previous.recent_parents.get(str(record[key])) != stamp:
                found.ids.append(record[key])  # not asked since its last modification
            if isinstance(value, datetime):
                seen.append((str(record[key]), value))
                if found.cursor is None or value > found.cursor:
                    found.cursor = value
        if found.cursor is not None:  # what the next run's overlap will bring back
            start = found.cursor - timedelta(seconds=overlap)
            found.recent = {pid: value.isoformat() for pid, value in seen if value >= start}
        return found

    def _reconcile_due(self, previous: state.ObjectState, now: datetime) -> bool:
        if self.options.reconcile or previous.last_reconcile_at is None:
            return True
        return now - previous.last_reconcile_at > timedelta(days=self.options.reconcile_days)

    def _reconcile(self, spec: ObjectSpec, loader: ObjectLoader, result: ObjectResult, now: datetime) -> None:
        with self.lock, self.dest.transaction():
            state.clear_seen(self.dest, self.account, spec.name)
        keys = self.connector.read(spec.name, columns=list(spec.key_fields))
        for batch, _ in _batches(keys, 2000):
            with self.lock, self.dest.transaction():
                state.add_seen(self.dest, self.account, spec.name, [remote_id(spec, r) for r in batch])
        with self.lock, self.dest.transaction():
            result.deleted += loader.mark_unseen_deleted(now)
            current = state.read_state(self.dest, self.account, spec.name)
            current.last_reconcile_at = now
            state.write_state(self.dest, self.account, spec.name, current)
        result.reconciled = True


@dataclass
class _Parents:
    sweep: bool  # every parent, or only the modified ones
    cursor: datetime | None  # the newest parent modification seen, for the next run
    ids: list[Any] = field(default_factory=list)  # the parents to ask
    recent: dict[str, str] = field(default_factory=dict)  # parents near the cursor → modification time


def _batches(items: Iterable[Any], size: int) -> Iterator[tuple[list[Any], bool]]:
    """Batches of `size`, each with a flag telling whether it is the last (always at least one)."""
    pending: list[Any] | None = None
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            if pending is not None:
                yield pending, False
            pending, batch = batch, []
    if pending is not None and batch:
        yield pending, False
        yield batch, True
    elif pending is not None:
        yield pending, True
    else:
        yield batch, True
