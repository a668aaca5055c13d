"""The QuickBooks connector: records in and out, over the wire client.

Records are QuickBooks' own objects (its field names), with money as Decimal and two fields added on the
way in: `LastUpdatedTime` (MetaData's, an aware UTC datetime: the change cursor) and `Deleted` (a CDC
tombstone, `status: Deleted`). Reading changes uses CDC while the window allows (30 days, at most 1000
objects: a full answer is not trusted and the query is used instead), else a query on
MetaData.LastUpdatedTime paged by STARTPOSITION. Writing sends batches of up to 30, each item answered
on its own; an update carries the current SyncToken (read when the caller has none) and is sparse with
whole arrays, and an item refused as stale (5010) is read again and sent once more.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from scorolink.clients.errors import ApiError, AuthenticationFailed, RateLimited, WriteOutcomeUnknown
from scorolink.connectors.base import Condition, Record, WriteOp, WriteResult
from scorolink.integrations.quickbooks.catalog import TRANSACTION, entity
from scorolink.integrations.quickbooks.client import (
    CDC_WINDOW_DAYS,
    QuickBooksClient,
    fault_messages,
    request_key,
)

log = logging.getLogger(__name__)

CDC_MARGIN = timedelta(hours=1)  # stay clear of the window's edge (clocks differ)
IDS_PER_QUERY = 100
RequestKey = Callable[[str, list[WriteOp]], str]


class QuickBooksConnector:
    def __init__(self, client: QuickBooksClient, *, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.clock = clock
        self.reads = {"cdc": 0, "query": 0}  # how changes were read, for tests and the bench

    def close(self) -> None:
        self.client.close()

    # -- reading ---------------------------------------------------------------------------
    def read(self, name: str, where: Iterable[Condition] = (), *, since: datetime | None = None,
             include_inactive: bool = False) -> Iterator[Record]:
        """Records of entity `name` matching every condition; with `since`, those changed since then (and
        tombstones of deleted transactions, inactive name-list records)."""
        spec = entity(name)
        conditions = list(where)
        local = all(c.op in ("=", "in") for c in conditions)  # what a CDC answer can be filtered by here
        if since is not None and spec.cdc and local and self._cdc_allows(since):
            rows = self.client.cdc([name], since)[name]
            if len(rows) < self.client.settings.cdc_max_objects:
                self.reads["cdc"] += 1
                for row in rows:
                    record = from_wire(row)
                    if all(_matches(record, c) for c in conditions):
                        yield record
                return
            log.info("CDC answered its maximum for %s: reading the changes with a query instead", name)
        self.reads["query"] += 1
        clauses = [_clause(c) for c in conditions]
        if since is not None:
            moment = since.astimezone(UTC).isoformat(timespec="seconds")
            clauses.append(f"MetaData.LastUpdatedTime >= '{moment}'")
        if spec.name_list and (include_inactive or since is not None) and not any(
                c.field == "Active" for c in conditions):
            clauses.append("Active IN (true, false)")
        for rows in self.client.query_pages(name, " AND ".join(clauses)):
            for row in rows:
                yield from_wire(row)

    def _cdc_allows(self, since: datetime) -> bool:
        oldest = datetime.fromtimestamp(self.clock(), UTC) - timedelta(days=CDC_WINDOW_DAYS) + CDC_MARGIN
        return since.astimezone(UTC) >= oldest

    def fetch(self, name: str, ids: Iterable[str]) -> list[Record]:
        """Records by id, inactive ones included (a query of up to 100 ids at a time)."""
        wanted = [str(i) for i in ids if str(i).isdigit()]
        out: list[Record] = []
        for start in range(0, len(wanted), IDS_PER_QUERY):
            chunk = wanted[start:start + IDS_PER_QUERY]
            out += self.read(name, [Condition("Id", "in", tuple(chunk))], include_inactive=True)
        return out

    # -- writing ---------------------------------------------------------------------------
    def write(self, name: str, ops: list[WriteOp], *, request_id: RequestKey | None = None) -> Iterator[WriteResult]:
        """Insert, update or delete records, in batches of up to `batch_size`; one result per op, in order.

        `request_id(label, batch)` names each batch's requestid (derive it from the ops, so a batch sent again
        by a later run replays QuickBooks' first answer); by default one is made per batch."""
        spec = entity(name)
        size = self.client.settings.batch_size
        for start in range(0, len(ops), size):
            yield from self._write_batch(spec.name, spec.kind, ops[start:start + size], request_id)

    def _write_batch(self, name: str, kind: str, ops: list[WriteOp],
                     request_id: RequestKey | None) -> list[WriteResult]:
        tokens = self._sync_tokens(name, [op for op in ops if op.action in ("update", "delete")])
        results: dict[int, WriteResult] = {}
        items, sent = [], {}
        for i, op in enumerate(ops):
            try:
                item = self._item(name, kind, op, tokens)
            except ValueError as exc:
                results[i] = WriteResult(op, False, error=str(exc))
                continue
            bid = str(i + 1)
            item["bId"] = bid
            items.append(item)
            sent[bid] = i
        label = request_id(name, [ops[i] for i in sent.values()]) if request_id else None
        stale = self._send(name, items, sent, ops, results, label)
        if stale:  # read the current SyncTokens and send those once more
            fresh = self._sync_tokens(name, [ops[i] for i in stale], force=True)
            retry_items, retry_sent = [], {}
            for i in stale:
                item = self._item(name, kind, ops[i], fresh)
                item["bId"] = str(i + 1)
                retry_items.append(item)
                retry_sent[item["bId"]] = i
            again = request_key(label or "", "stale", *(str(fresh.get(str(ops[i].record.get("Id")))) for i in stale))
            for i in self._send(name, retry_items, retry_sent, ops, results, again if label else None):
                results[i] = WriteResult(ops[i], False, error="the record keeps changing in QuickBooks (stale "
                                                               "SyncToken twice); it is tried again next run")
        return [results[i] for i in range(len(ops))]

    def _send(self, name: str, items: list[dict[str, Any]], sent: dict[str, int], ops: list[WriteOp],
              results: dict[int, WriteResult], label: str | None) -> list[int]:
        """Send one batch; record each answer; return the ops refused as stale."""
        if not items:
            return []
        try:
            answers = self.client.batch(items, request_id=label)
        except (RateLimited, AuthenticationFailed):
            raise
        except WriteOutcomeUnknown as exc:
            for i in sent.values():
                results[i] = WriteResult(ops[i], False, error=str(exc), outcome_unknown=True)
            return []
        except ApiError as exc:
            for i in sent.values():
                results[i] = WriteResult(ops[i], False, error=str(exc))
            return []
        stale = []
        for bid, i in sent.items():
            answer = answers.get(bid)
            if answer is None:
                results[i] = WriteResult(ops[i], False, error="QuickBooks did not answer this batch item",
                                         outcome_unknown=True)
                continue
            messages = fault_messages(answer)
            if messages:
                codes = [str(e.get("code")) for e in (answer.get("Fault") or {}).get("Error") or []]
                if "5010" in codes:
                    stale.append(i)
                    continue
                results[i] = WriteResult(ops[i], False, error="; ".join(messages), field_errors=messages)
                continue
            saved = answer.get(name) or {}
            results[i] = WriteResult(ops[i], True, record=from_wire(saved))
        return stale

    def _sync_tokens(self, name: str, ops: list[WriteOp], *, force: bool = False) -> dict[str, str]:
        """The current SyncToken of every record an update or delete names (read unless the op carries it)."""
        tokens = {str(op.record.get("Id")): str(op.record["SyncToken"]) for op in ops
                  if not force and op.record.get("SyncToken") not in (None, "")}
        missing = [str(op.record.get("Id")) for op in ops if str(op.record.get("Id")) not in tokens]
        for record in self.fetch(name, missing):
            tokens[str(record["Id"])] = str(record.get("SyncToken"))
        return tokens

    def _item(self, name: str, kind: str, op: WriteOp, tokens: dict[str, str]) -> dict[str, Any]:
        body = to_wire(op.record)
        if op.action == "insert":
            body.pop("Id", None)
            body.pop("SyncToken", None)
            return {"operation": "create", name: body}
        record_id = str(body.get("Id") or "")
        if record_id not in tokens:
            raise ValueError(f"{name} {record_id or '(no Id)'} is not in QuickBooks (deleted or made inactive?)")
        if op.action == "update":
            return {"operation": "update", name: {**body, "SyncToken": tokens[record_id], "sparse": True}}
        if op.action == "delete":
            if kind == TRANSACTION:
                return {"operation": "delete", name: {"Id": record_id, "SyncToken": tokens[record_id]}}
            return {"operation": "update", name: {"Id": record_id, "SyncToken": tokens[record_id], "sparse": True,
                                                  "Active": False}}
        raise ValueError(f"QuickBooks {name}: unsupported action {op.action!r}")


# -- records -------------------------------------------------------------------------------
def from_wire(row: dict[str, Any]) -> Record:
    record = dict(row)
    raw = row.get("MetaData")
    meta: dict[str, Any] = raw if isinstance(raw, dict) else {}
    record["LastUpdatedTime"] = parse_time(meta.get("LastUpdatedTime"))
    record["Deleted"] = str(row.get("status") or "").lower() == "deleted"
    return record


def to_wire(record: Record) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("LastUpdatedTime", "Deleted", "MetaData") and v is not None}


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return f"'{value.astimezone(UTC).isoformat(timespec='seconds')}'"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _clause(cond: Condition) -> str:
    ops = {"=": "=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "like": "LIKE"}
    if cond.op == "in":
        return f"{cond.field} IN ({', '.join(_literal(v) for v in cond.value)})"
    if cond.op not in ops:
        raise ValueError(f"QuickBooks queries do not support {cond.op!r} (use =, <, >, <=, >=, IN, LIKE)")
    return f"{cond.field} {ops[cond.op]} {_literal(cond.value)}"


def _matches(record: Record, cond: Condition) -> bool:
    """An `=` or `IN` condition checked locally (on CDC answers): references compare by their value."""
    value: Any = record
    for part in cond.field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    if cond.op == "in":
        return str(value) in {str(v) for v in cond.value}
    if isinstance(cond.value, bool):
        return value is cond.value
    return str(value) == str(cond.value)
