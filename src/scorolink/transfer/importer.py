"""Import rows into Scoro: insert, update, upsert or delete, one request per row (Scoro has no
batch write), with a per-row error report, a results file and a journal that makes reruns safe.

Order of work: everything that concerns the whole import (operation allowed, header, mapping,
lookups' objects) is checked before the first request; then each row is built, validated, given
its action, written and journaled. Only a rate limit past the client's wait budget or an
authentication failure stops the run — they would fail every row — and the rerun continues
where it stopped.

A create whose answer was lost (timeout, dropped connection, 5xx after sending) may still be
carried out by Scoro after the client gave up. Such a row is set aside, unsettled, and settled
after the other rows: once Scoro's own timeout (`server_timeout`) has passed since it was sent,
it is looked up; found, it is adopted; not found, it is sent again (and, if that answer is lost
too, set aside once more, up to SETTLE_ROUNDS times). A row still unsettled at the end keeps its
`sending` state in the journal, is reported `unknown`, and the rerun looks it up before anything
else — never re-sent blind.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scorolink.catalog.model import Field, Nested, ObjectSpec
from scorolink.clients.errors import ApiError, AuthenticationFailed, RateLimited
from scorolink.connectors.base import WriteOp, WriteResult
from scorolink.connectors.scoro import ScoroConnector
from scorolink.errors import ConfigError, ScorolinkError
from scorolink.transfer.children import ChildRows
from scorolink.transfer.journal import (
    DONE,
    SENDING,
    Journal,
    default_journal_dir,
    import_identity,
    row_digest,
)
from scorolink.transfer.lookups import Lookup, Lookups, LookupTable, NoUniqueMatch
from scorolink.transfer.mapping import Mapping, NestedSource
from scorolink.transfer.records import Built, FieldError, RecordBuilder
from scorolink.transfer.recover import find_created
from scorolink.transfer.reports import ERROR_COLUMNS, RESULT_COLUMNS, RowReport
from scorolink.transfer.sources import CsvSource, Source, SourceRow

log = logging.getLogger(__name__)

MODES = ("insert", "update", "upsert", "delete")
SETTLE_ROUNDS = 3  # lookups (each followed by a resend if nothing is found) for a create whose answer was lost
UNSETTLED, UNKNOWN, NOT_FOUND = "unsettled", "unknown", "not found"


@dataclass
class ImportOptions:
    mode: str = "insert"
    key: str | None = None  # the field that finds existing records: an id or a natural key
    mapping: Mapping = field(default_factory=Mapping)
    nested_files: dict[str, Path] = field(default_factory=dict)  # --nested Lines=lines.csv
    dry_run: bool = False
    errors_path: Path | None = None
    results_path: Path | None = None
    empty: str = "skip"  # skip: empty cells are not sent; null: they clear the field
    skip_unknown: bool = False
    journal_dir: Path = field(default_factory=default_journal_dir)
    restart: bool = False
    workers: int = 4  # rows written at the same time (within the client's rate limit)


FIRST_FAILURES = 10  # kept on the summary so a run without --errors still shows why rows failed


@dataclass
class ImportSummary:
    object: str
    mode: str
    source: str
    dry_run: bool
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    failed: int = 0  # every row that did not end as asked, the two below included
    not_found: int = 0  # deletes of records Scoro did not have
    unknown: int = 0  # creates whose answer was lost and no lookup could settle yet: rerun to settle
    already_done: int = 0  # finished by an earlier run of the same import
    requests: int = 0
    seconds: float = 0.0
    stopped: str | None = None  # why the run stopped before the end (rate limit, authentication)
    journal: str | None = None
    errors_file: str | None = None
    results_file: str | None = None
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # the first FIRST_FAILURES failed rows: "row N: why"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Planned:
    action: str  # insert | update | delete
    record: dict[str, Any]
    target_id: Any = None


@dataclass
class Slot:
    """One row on its way through the window: settled at once, or when its write returns."""

    row: SourceRow
    outcome: str | None = None
    scoro_id: Any = None
    problems: list[FieldError] = field(default_factory=list)
    planned: Planned | None = None
    digest: str | None = None
    future: Future[WriteResult] | None = None
    keys: set[str] = field(default_factory=set)
    reached: bool = False  # an earlier attempt may have reached Scoro unanswered
    sent_at: float = 0.0  # epoch seconds of the send whose answer was lost (unsettled creates)

    def settle(self, outcome: str, scoro_id: Any, problems: list[FieldError] | None = None) -> None:
        self.outcome, self.scoro_id, self.problems = outcome, scoro_id, problems or []


PAST = {"insert": "inserted", "update": "updated", "delete": "deleted"}


class Importer:
    def __init__(self, connector: ScoroConnector, obj: str, source: Source, options: ImportOptions,
                 on_progress: Callable[[ImportSummary], None] | None = None) -> None:
        if options.mode not in MODES:
            raise ConfigError(f"--mode {options.mode!r}: use one of {', '.join(MODES)}.")
        if options.workers < 1:
            raise ConfigError("--workers must be at least 1.")
        if options.empty not in ("skip", "null"):
            raise ConfigError("--empty must be skip (empty cells are not sent) or null (they clear the field).")
        self.connector = connector
        self._requests_before = connector.client.stats.total  # set-up reads (custom fields, keys) count too
        self.spec: ObjectSpec = connector.spec(obj)
        connector.check_operation(self.spec, options.mode)
        self.source = source
        self.options = options
        self.on_progress = on_progress
        self.mapping = _with_nested_files(options.mapping, options.nested_files)
        self.children = {name: ChildRows(name, n.file, encoding=n.encoding, delimiter=n.delimiter, link=n.link,
                                         unescape=getattr(source, "unescape", None))
                         for name, n in self.mapping.nested.items() if n.file is not None}
        self.lookups = Lookups(connector)
        base = source.path.parent if isinstance(source, CsvSource) else Path(".")
        self.builder = RecordBuilder(self.spec, source.header, mode=options.mode, key=options.key,
                                     mapping=self.mapping, lookups=self.lookups, children=self.children,
                                     empty=options.empty, skip_unknown=options.skip_unknown, base_dir=base,
                                     tz=connector.tz)
        self.object_key = self.spec.key_fields[0]
        self.by_key = self._key_index()
        self.summary = ImportSummary(self.spec.name, options.mode, source.label, options.dry_run)
        self.summary.notes = self._notes()

    # -- set-up ---------------------------------------------------------------------------------
    def _key_index(self) -> LookupTable | None:
        """Existing records by --key, read once: needed to find the id of a natural key, and for
        upsert to tell records that exist from those to create."""
        key = self.builder.key_field.name
        natural = key != self.object_key
        if self.spec.insert_is_upsert or self.options.mode == "insert":
            return None
        if not natural and self.options.mode != "upsert":
            return None
        return self.lookups.table(Lookup(self.spec.name, key, self.object_key))

    def _notes(self) -> list[str]:
        plan = self.builder.plan
        notes = []
        if plan.ignored_key:
            notes.append(f"{', '.join(sorted(set(plan.ignored_key)))} ignored: Scoro assigns ids on insert.")
        if plan.ignored_read_only:
            notes.append(f"Read-only column(s) ignored: {', '.join(sorted(set(plan.ignored_read_only)))}.")
        if plan.ignored_unknown:
            notes.append(f"Unknown column(s) skipped: {', '.join(plan.ignored_unknown)}.")
        return notes

    def _journal(self) -> Journal | None:
        if self.options.dry_run:
            return None
        identity = import_identity(
            self.spec.name, self.options.mode, self.builder.key_field.name, _source_identity(self.source),
            self.mapping.text, {k: str(v.file) for k, v in self.mapping.nested.items() if v.file},
            self.connector.client.settings.company_account_id, self.connector.client.settings.url)
        path = self.options.journal_dir / f"{self.spec.name}-{identity}.journal"
        return Journal(path, restart=self.options.restart)

    # -- run ------------------------------------------------------------------------------------
    def run(self) -> ImportSummary:
        started = time.monotonic()
        requests_before = self._requests_before
        journal = self._journal()
        self.summary.journal = str(journal.path) if journal else None
        self.errors = RowReport(self.options.errors_path, self.source.header, ERROR_COLUMNS)
        self.results = RowReport(self.options.results_path, self.source.header, RESULT_COLUMNS)
        self.summary.errors_file = str(self.options.errors_path) if self.options.errors_path else None
        self.summary.results_file = str(self.options.results_path) if self.options.results_path else None
        self.window: deque[Slot] = deque()
        self.busy: set[str] = set()  # keys of rows in flight: a later row with the same key waits for them
        self.unsettled: list[Slot] = []  # creates whose answer was lost, settled after the other rows
        self.server_timeout = self.connector.client.settings.server_timeout
        try:
            with ThreadPoolExecutor(max_workers=self.options.workers, thread_name_prefix="import") as pool:
                self.pool = pool
                for row in self.source.rows():
                    self._drain(journal, keep=self.options.workers - 1)  # at most `workers` writes in flight
                    if self.summary.stopped:
                        break
                    self.summary.rows += 1
                    self._row(row, journal)
                self._drain(journal, keep=0)
                if journal is not None:
                    self._settle(journal)
        finally:
            self.errors.close()
            self.results.close()
            if journal:
                journal.close()
            for rows in self.children.values():
                rows.close()
            self.source.close()
            self.summary.requests = self.connector.client.stats.total - requests_before
            self.summary.seconds = round(time.monotonic() - started, 3)
        return self.summary

    # -- one row ----------------------------------------------------------------------------------
    def _row(self, row: SourceRow, journal: Journal | None) -> None:
        """Settle a row now (invalid, done earlier, dry run) or start its write; either way it
        takes its place in the window, so reports keep the source's order."""
        slot = Slot(row)
        self.window.append(slot)
        built = self.builder.build(row.values)
        digest = row_digest(built.record, built.key_value)
        if built.errors:
            if journal:
                journal.failed(row.number, digest, None, "; ".join(e.message for e in built.errors))
            return slot.settle("failed", None, built.errors)
        entry = journal.get(row.number) if journal else None
        if entry is not None and entry.state == DONE:
            if entry.row_hash == digest:
                self.summary.already_done += 1
                return slot.settle(f"done earlier ({entry.action})", entry.scoro_id)
            message = (f"this row changed since an earlier run of this import {entry.action} Scoro record "
                       f"{entry.scoro_id}; pass --restart to import the file again as a new import")
            return slot.settle("failed", entry.scoro_id, [FieldError("(row)", message)])
        if {_key_text(built.key_value), digest} & self.busy:
            # the same record, or an identical one, is being written: let it finish first, so upserts
            # see it and a lost answer is never matched to a twin row's record
            self._drain(journal, keep=0, before=slot)
        if journal is not None and {_key_text(built.key_value), digest} & self._unsettled_keys():
            self._settle(journal)  # the same: a lost create of this record is settled before going on
        try:
            planned = self._plan(built)
        except NoUniqueMatch as exc:
            if journal:
                journal.failed(row.number, digest, None, str(exc))
            return slot.settle("failed", None, [FieldError(self.builder.key_field.name, str(exc))])
        if self.options.dry_run:
            self._count(planned.action)
            self._remember(planned, planned.target_id or f"(new from row {row.number})")
            return slot.settle(f"would {planned.action}", planned.target_id)
        assert journal is not None
        slot.planned, slot.digest = planned, digest
        slot.keys = {k for k in (_key_text(built.key_value), _key_text(planned.target_id), digest) if k}
        slot.reached = entry is not None and entry.state == SENDING  # an earlier run sent it, unanswered
        if slot.reached and planned.action == "insert":
            assert entry is not None
            return self._set_aside(slot, entry.sent_at)  # looked up once Scoro's timeout has passed
        self.busy |= slot.keys
        journal.sending(row.number, digest, planned.action, planned.target_id)
        op = WriteOp(planned.action, planned.record, ref=row.number)
        slot.future = self.pool.submit(contextvars.copy_context().run, self._write, op)

    def _write(self, op: WriteOp) -> WriteResult:
        return next(iter(self.connector.write(self.spec.name, [op])))

    def _drain(self, journal: Journal | None, keep: int, before: Slot | None = None) -> None:
        """Report finished rows from the front of the window, waiting for writes while more than
        `keep` rows are open (or, with `before`, until every row ahead of it is reported)."""
        while self.window and self.window[0] is not before:
            head = self.window[0]
            if head.future is not None and head.outcome is None:
                if len(self.window) <= keep and not head.future.done() and before is None:
                    return
                assert journal is not None
                self._complete(head, journal)
            self.window.popleft()
            self.busy -= head.keys
            if head.outcome not in ("stopped", UNSETTLED):
                self._report(head)

    def _complete(self, slot: Slot, journal: Journal) -> None:
        assert slot.future is not None and slot.planned is not None and slot.digest is not None
        row, planned, digest = slot.row, slot.planned, slot.digest
        try:
            result = slot.future.result()
        except (RateLimited, AuthenticationFailed) as exc:
            journal.forget(row.number)  # refused before Scoro acted on it: the rerun sends it
            self.summary.stopped = self.summary.stopped or f"row {row.number}: {exc}"
            self.summary.rows -= 1
            return slot.settle("stopped", None)
        op = result.op
        if result.outcome_unknown:
            slot.reached = True
            if planned.action == "insert":  # never repeated blind: looked up once Scoro's timeout has passed
                return self._set_aside(slot, time.time())
            result = self._write(op)  # updates and deletes are safe to repeat
        if not result.ok:
            if planned.action == "delete" and _gone(result):
                if not slot.reached:  # the first attempt found nothing to delete
                    journal.failed(row.number, digest, planned.action, "not found")
                    self.summary.not_found += 1
                    message = f"no {self.spec.name} record {planned.target_id} in Scoro"
                    return slot.settle(NOT_FOUND, planned.target_id, [FieldError(self.object_key, message)])
                result = WriteResult(op, True, record={self.object_key: planned.target_id})
            elif result.outcome_unknown and planned.action == "delete":
                self.summary.unknown += 1  # stays `sending`: the rerun may take a 404 as done
                return slot.settle(UNKNOWN, planned.target_id, _api_problems(self.spec, result))
            else:
                journal.failed(row.number, digest, planned.action, result.error or "refused")
                return slot.settle("failed", planned.target_id, _api_problems(self.spec, result))
        scoro_id = (result.record or {}).get(self.object_key, planned.target_id)
        journal.done(row.number, digest, planned.action, scoro_id)
        self._remember(planned, scoro_id)
        self._count(planned.action)
        slot.settle(PAST[planned.action], scoro_id)

    # -- creates whose answer was lost ----------------------------------------------------------
    def _set_aside(self, slot: Slot, sent_at: float) -> None:
        slot.sent_at = sent_at
        self.unsettled.append(slot)
        slot.settle(UNSETTLED, None)

    def _unsettled_keys(self) -> set[str]:
        return set().union(*(s.keys for s in self.unsettled)) if self.unsettled else set()

    def _settle(self, journal: Journal) -> None:
        """Settle every create whose answer was lost: wait until Scoro's own timeout has passed
        since the last of them was sent (so a request still running there has finished), look each
        up one at a time (an adopted record is claimed before the next lookup), then send again,
        together, those found nowhere. Rows left unsettled stay `sending` for the rerun."""
        for round_no in range(1, SETTLE_ROUNDS + 1):
            if not self.unsettled or self.summary.stopped:
                break
            wait = max(s.sent_at for s in self.unsettled) + self.server_timeout - time.time()
            if wait > 0:
                log.info("waiting %.1fs (server_timeout) before looking up %d create(s) whose answer was lost",
                         wait, len(self.unsettled))
                time.sleep(wait)
            pending, self.unsettled = self.unsettled, []
            resend = []
            for slot in pending:
                assert slot.planned is not None and slot.digest is not None
                try:
                    adopted = find_created(self.connector, self.spec, slot.planned.record, journal.claimed_ids())
                except (RateLimited, AuthenticationFailed) as exc:
                    self.summary.stopped = self.summary.stopped or f"row {slot.row.number}: {exc}"
                    self.unsettled.append(slot)
                    continue
                except (ApiError, ScorolinkError) as exc:
                    self._leave_unknown(slot, f"its create's answer was lost and the lookup failed ({exc})")
                    continue
                if adopted is not None:  # the lost request had created it
                    journal.done(slot.row.number, slot.digest, "insert", adopted)
                    self._remember(slot.planned, adopted)
                    self._count("insert")
                    slot.settle(PAST["insert"], adopted)
                    self._report(slot)
                elif round_no == SETTLE_ROUNDS:
                    self.unsettled.append(slot)  # found nowhere, but out of rounds: the rerun sends it
                else:
                    resend.append(slot)
            for slot in resend:
                assert slot.planned is not None and slot.digest is not None
                journal.sending(slot.row.number, slot.digest, "insert")
                op = WriteOp("insert", slot.planned.record, ref=slot.row.number)
                slot.outcome, slot.future = None, self.pool.submit(contextvars.copy_context().run, self._write, op)
            for slot in resend:
                self._complete(slot, journal)
                if slot.outcome not in ("stopped", UNSETTLED):
                    self._report(slot)
        for slot in self.unsettled:
            self._leave_unknown(slot, "its create's answer was lost and it was not settled in this run")
        self.unsettled = []

    def _leave_unknown(self, slot: Slot, why: str) -> None:
        self.summary.unknown += 1
        slot.settle(UNKNOWN, None, [FieldError("(row)", f"{why}; run the same import again: it looks the "
                                                          "record up before sending anything")])
        self._report(slot)

    def _report(self, slot: Slot) -> None:
        row, problems = slot.row, slot.problems
        message = "; ".join(f"{p.field}: {p.message}" for p in problems)
        if problems:
            self.summary.failed += 1
            if len(self.summary.failures) < FIRST_FAILURES:
                self.summary.failures.append(f"row {row.number}: {message}")
            self.errors.write(row.values, row.number, row.line or "", "; ".join(p.field for p in problems), message)
        self.results.write(row.values, row.number, slot.outcome, slot.scoro_id, message)
        if self.on_progress:
            self.summary.requests = self.connector.client.stats.total - self._requests_before
            self.on_progress(self.summary)

    def _plan(self, built: Built) -> Planned:
        """Which action a row gets and which record it targets."""
        mode, record = self.options.mode, dict(built.record)
        key_name, key_value = self.builder.key_field.name, built.key_value
        if self.spec.insert_is_upsert:
            return Planned("insert", record)
        if mode == "insert":
            return Planned("insert", _without_child_keys(self.spec, record))
        if mode == "upsert":
            found = self.by_key.find(key_value) if self.by_key is not None and key_value is not None else []
            if len(found) > 1 and self.by_key is not None:
                self.by_key.one(key_value)  # raises with the list of matches
            if not found:
                record.pop(self.object_key, None)
                return Planned("insert", _without_child_keys(self.spec, record))
            target = found[0]
        elif key_value is None:
            raise NoUniqueMatch(f"{mode} needs {key_name} on every row; this row has none")
        elif self.by_key is not None:
            target = self.by_key.one(key_value)
        else:
            target = record.get(self.object_key, key_value)
        record[self.object_key] = target
        return Planned("update" if mode != "delete" else "delete",
                       record if mode != "delete" else {self.object_key: target}, target)

    def _remember(self, planned: Planned, scoro_id: Any) -> None:
        """Keep the key index current, so a later row with the same natural key finds this record."""
        if self.by_key is None or scoro_id is None:
            return
        if planned.action == "insert":
            self.by_key.add(planned.record.get(self.builder.key_field.name, scoro_id), scoro_id)
        elif planned.action == "delete":
            self.by_key.remove(scoro_id)

    def _count(self, action: str) -> None:
        setattr(self.summary, PAST[action], getattr(self.summary, PAST[action]) + 1)


def _api_problems(spec: ObjectSpec, result: WriteResult) -> list[FieldError]:
    """Scoro's messages, with the wire path they name (`lines[2].product_id`) given in the
    catalog's names and 1-based positions (`Lines[3].ProductId`), as the CSV has them."""
    problems = []
    for message in result.field_errors or [result.error or "refused by Scoro"]:
        head, sep, tail = message.partition(": ")
        if sep and " " not in head.strip():
            problems.append(FieldError(canonical_path(spec, head.strip()), tail))
        else:
            problems.append(FieldError("(api)", message))
    return problems


def canonical_path(spec: ObjectSpec, wire: str) -> str:
    fields: tuple[Field, ...] = spec.fields
    nested: tuple[Nested, ...] = spec.nested
    out = []
    for part in wire.split("."):
        name, bracket, index = part.partition("[")
        n = next((x for x in nested if x.api_key == name), None)
        f = next((x for x in fields if x.api_key == name), None)
        label = n.field if n else f.name if f else name
        if bracket:
            number = index.rstrip("]")
            label += f"[{int(number) + 1}]" if number.isdigit() else f"[{number}]"
        out.append(label)
        if n is not None:
            fields, nested = n.fields, n.nested
    return ".".join(out)


def _without_child_keys(spec: ObjectSpec, record: dict[str, Any]) -> dict[str, Any]:
    """A new record gets new lines and phases: the ids its children had elsewhere would point Scoro
    at another record's children. Keys that are references (an event's user Id) stay."""
    references = {r.field for r in spec.relations}
    out = dict(record)
    for n in spec.nested:
        value = out.get(n.field)
        if n.kind not in ("objects", "object") or value is None or n.key is None \
                or f"{n.field}.{n.key}" in references:
            continue
        items = [value] if isinstance(value, dict) else value
        cleaned = [{k: v for k, v in item.items() if k != n.key} if isinstance(item, dict) else item
                   for item in items]
        out[n.field] = cleaned[0] if isinstance(value, dict) else cleaned
    return out


def _key_text(value: Any) -> str:
    return str(value).strip().casefold() if value not in (None, "") else ""


def _gone(result: WriteResult) -> bool:
    """A delete whose record is already gone (an earlier run's answer was lost) is done."""
    text = (result.error or "").lower()
    return "not found" in text or "does not exist" in text or "404" in text


def _with_nested_files(mapping: Mapping, files: dict[str, Path]) -> Mapping:
    if not files:
        return mapping
    nested = dict(mapping.nested)
    for name, path in files.items():
        if name in nested:
            raise ConfigError(f"--nested {name}=... and [nested.{name}] in the mapping both set {name}; keep one.")
        nested[name] = NestedSource(name=name, file=path)
    return Mapping(rules=mapping.rules, nested=nested, text=mapping.text)


def _source_identity(source: Source) -> str:
    if isinstance(source, CsvSource):
        return str(source.path.resolve())
    return source.label


def run_import(connector: ScoroConnector, obj: str, source: Source, options: ImportOptions,
               on_progress: Callable[[ImportSummary], None] | None = None) -> ImportSummary:
    try:
        importer = Importer(connector, obj, source, options, on_progress)
    except BaseException:
        source.close()
        raise
    return importer.run()
