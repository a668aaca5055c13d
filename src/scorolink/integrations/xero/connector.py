"""The Xero connector: canonical records in and out, over the Xero catalog and the wire client.

Reading pushes what Xero can filter into the request (`where`, `IDs`, `If-Modified-Since`,
`includeArchived`) and checks the rest locally, so a condition is never silently dropped. Writing
sends batches of up to 50 elements with `summarizeErrors=false`, so each operation gets its own
result: the saved record as Xero returned it, or the element's own validation messages.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from scorolink.catalog.model import Field, FieldType
from scorolink.clients.errors import ApiError, AuthenticationFailed, RateLimited, WriteOutcomeUnknown
from scorolink.connectors.base import Condition, Record, WriteOp, WriteResult
from scorolink.errors import InvalidInput, OperationNotAllowed, ScorolinkError, UnknownName
from scorolink.integrations.xero.catalog import (
    ATTACHMENT_PARENTS,
    CATALOG,
    DOCUMENT_DELETE,
    XeroCatalog,
    XeroObject,
)
from scorolink.integrations.xero.client import TenantNotConnected, XeroClient, element_messages
from scorolink.integrations.xero.convert import (
    coerce,
    is_guid,
    record_from_wire,
    record_to_wire,
    where_literal,
)

log = logging.getLogger(__name__)

IDS_PER_REQUEST = 50  # `IDs=` holds about 52 GUIDs before the URL is too long (A6)
KeySource = str | Callable[[str, list[WriteOp]], str] | None


class XeroConnector:
    def __init__(self, client: XeroClient, catalog: XeroCatalog = CATALOG) -> None:
        self.client = client
        self.catalog = catalog

    def close(self) -> None:
        self.client.close()

    def spec(self, name: str) -> XeroObject:
        return self.catalog.require(name)

    # -- reading ---------------------------------------------------------------------------
    def read(self, obj: str, where: Iterable[Condition] = (), *, columns: Iterable[str] | None = None,
             modified_since: datetime | None = None, include_archived: bool = False,
             include_deleted: bool = False, limit: int | None = None) -> Iterator[Record]:
        """Records of `obj` matching every condition. `modified_since` uses If-Modified-Since where Xero
        supports it (other objects are read in full); `include_archived` adds archived contacts and
        tracking categories. Deleted and voided documents are always listed with their Status."""
        spec = self.spec(obj)
        conditions = self.typed_conditions(spec, where)
        cols = self._columns(spec, columns)
        count = 0
        for record in self._read(spec, conditions, cols, modified_since, include_archived or include_deleted, limit):
            yield record
            count += 1
            if limit is not None and count >= limit:
                return

    def typed_conditions(self, spec: XeroObject, where: Iterable[Condition]) -> list[tuple[Condition, Field]]:
        out = []
        for cond in where:
            fld, path = resolve_path(spec, cond.field)
            if cond.op == "in":
                value: Any = tuple(coerce(v, fld) for v in cond.value)
            elif cond.op in ("is null", "is not null"):
                value = None
            elif cond.op == "like":
                value = str(cond.value)
            else:
                value = coerce(cond.value, fld)
            out.append((Condition(path, cond.op, value), fld))
        return out

    def _columns(self, spec: XeroObject, columns: Iterable[str] | None) -> list[str] | None:
        if columns is None:
            return None
        out = []
        for col in columns:
            if spec.field_named(col) is None and spec.nested_named(col) is None:
                raise UnknownName("field", col, [f.name for f in spec.fields] + [n.field for n in spec.nested],
                                  where=spec.name)
            out.append(col)
        return out

    def _read(self, spec: XeroObject, conditions: list[tuple[Condition, Field]], cols: list[str] | None,
              since: datetime | None, archived: bool, limit: int | None) -> Iterator[Record]:
        if spec.name == "Attachments":
            yield from self._read_attachments(spec, conditions, cols)
            return
        if spec.parent is not None:
            yield from self._read_children(spec, conditions, cols, since, archived)
            return
        pushed, local, id_batches = self.plan(spec, conditions)
        params: dict[str, Any] = {}
        if archived and spec.include_archived:
            params["includeArchived"] = "true"
        where = " AND ".join(pushed) or None
        # No `order`: sorting by UpdatedDateUTC would move a record edited mid-scan to the end and shift the
        # rest by one, so a page boundary could skip an unchanged record; Xero's own order keeps pages stable.
        order = None
        for ids in id_batches:
            query = {**params, "IDs": ",".join(ids)} if ids else params
            for rows in self.client.iter_pages(spec.path, spec.collection, paged=spec.paged, params=query,
                                               where=where, order=order,
                                               modified_since=since if spec.modified_since else None,
                                               limit=limit if not local else None):
                for row in rows:
                    record = record_from_wire(spec, row)
                    if all(match_condition(record, c) for c in local):
                        yield _select(record, cols)

    def plan(self, spec: XeroObject, conditions: list[tuple[Condition, Field]]
             ) -> tuple[list[str], list[Condition], list[list[str] | None]]:
        """Split conditions into `where` terms Xero evaluates, ones checked locally, and IDs batches."""
        pushed: list[str] = []
        local: list[Condition] = []
        id_batches: list[list[str] | None] = [None]
        for cond, fld in conditions:
            if spec.ids_param and cond.field == spec.key and cond.op in ("=", "in"):
                ids = [str(v) for v in (cond.value if cond.op == "in" else (cond.value,))]
                if all(is_guid(i) for i in ids):
                    id_batches = [ids[i:i + IDS_PER_REQUEST] for i in range(0, len(ids), IDS_PER_REQUEST)] or [[]]
                    if not ids:
                        return pushed, local, []
                    continue
            term = where_term(cond, fld) if spec.where else None
            if term is None:
                local.append(cond)
            else:
                pushed.append(term)
        return pushed, local, id_batches

    def _read_children(self, spec: XeroObject, conditions: list[tuple[Condition, Field]], cols: list[str] | None,
                       since: datetime | None, archived: bool) -> Iterator[Record]:
        """TrackingOptions from their categories, Allocations from their credit notes."""
        parent = self.spec(str(spec.parent))
        parent_key = str(spec.parent_key)
        parent_where = [(c, f) for c, f in conditions if c.field == parent_key]
        nested_name = "Options" if spec.name == "TrackingOptions" else "Allocations"
        for parent_record in self._read(parent, parent_where, None, since, archived, None):
            for child in parent_record.get(nested_name) or []:
                record = {f.name: child.get(f.name) for f in spec.fields}
                record[parent_key] = parent_record[parent_key]
                for n in spec.nested:
                    record[n.field] = child.get(n.field)
                if all(match_condition(record, c) for c, _ in conditions):
                    yield _select(record, cols)

    def _read_attachments(self, spec: XeroObject, conditions: list[tuple[Condition, Field]],
                          cols: list[str] | None) -> Iterator[Record]:
        given = {c.field: c.value for c, _ in conditions if c.op == "="}
        parent, parent_id = given.get("ParentObject"), given.get("ParentID")
        if not parent or not parent_id:
            raise InvalidInput("Reading Attachments needs ParentObject = one of "
                               f"{', '.join(ATTACHMENT_PARENTS)} and ParentID = the record's id.")
        parent_spec = self.spec(str(parent))
        if not parent_spec.attachments:
            raise InvalidInput(f"{parent_spec.name} has no attachments; ParentObject must be one of "
                               f"{', '.join(ATTACHMENT_PARENTS)}.")
        want_content = cols is not None and any(c.lower() == "content" for c in cols)
        for row in self.client.attachments(parent_spec.path, str(parent_id)):
            record = record_from_wire(spec, row)
            record.update(ParentObject=parent_spec.name, ParentID=str(parent_id))
            if want_content:
                record["Content"] = self.client.download_attachment(parent_spec.path, str(parent_id),
                                                                    str(record["AttachmentID"]), record.get("MimeType"))
            if all(match_condition(record, c) for c, _ in conditions):
                yield _select(record, cols)

    # -- writing ---------------------------------------------------------------------------
    def write(self, obj: str, ops: Iterable[WriteOp], *, idempotency_key: KeySource = None) -> Iterator[WriteResult]:
        """Apply writes in batches of up to 50 (one element per request where Xero takes only one);
        yields one result per op, in order.

        `idempotency_key` is a prefix (`<prefix>:<batch number>` per request) or a function of the
        request label and its ops; without one each request gets a random key, still reused by the
        client's own retries. Rate limits past the wait budget and authentication or tenant failures
        stop the run (they concern every op); anything else is reported per op."""
        spec = self.spec(obj)
        batch: list[WriteOp] = []
        kind: str | None = None
        counter = [0]
        for op in ops:
            op_kind = self._kind(spec, op)
            if batch and (op_kind != kind or len(batch) >= self._batch_size(spec, op_kind)):
                yield from self._run(spec, kind or "", batch, idempotency_key, counter)
                batch = []
            kind = op_kind
            batch.append(op)
        if batch:
            yield from self._run(spec, kind or "", batch, idempotency_key, counter)

    def _kind(self, spec: XeroObject, op: WriteOp) -> str:
        action = op.action.lower()
        if action == "upsert":
            if not (spec.allows("insert") and spec.allows("update")):
                raise OperationNotAllowed(spec.name, "upsert", spec.operations)
            if spec.update_by_id:  # no collection POST: the key decides
                return "insert" if _get_ci(op.record, spec.key) in (None, "") else "update"
            return "upsert"  # POST /X matches by id or natural key (contact name, item code) and creates otherwise
        if action not in ("insert", "update", "delete", "void"):
            raise InvalidInput(f"Unknown write action {op.action!r}; use insert, update, upsert, delete or void.")
        if not spec.allows(action):
            raise OperationNotAllowed(spec.name, action, spec.operations)
        return action

    def _batch_size(self, spec: XeroObject, kind: str) -> int:
        if kind in ("insert", "update", "upsert", "void") or (kind == "delete" and spec.delete in ("archive",
                                                                                                  "document")):
            return max(1, min(spec.batch_size, self.client.settings.batch_size))
        return 1

    def _run(self, spec: XeroObject, kind: str, ops: list[WriteOp], keys: KeySource,
             counter: list[int]) -> Iterator[WriteResult]:
        counter[0] += 1

        def key_for(label: str) -> str:
            if keys is None:
                return str(uuid.uuid4())
            if callable(keys):
                return keys(label, ops)
            return f"{keys}:{counter[0]}"

        try:
            yield from self._apply(spec, kind, ops, key_for)
        except (RateLimited, AuthenticationFailed, TenantNotConnected):
            raise
        except WriteOutcomeUnknown as exc:
            for op in ops:
                yield WriteResult(op, False, error=str(exc), outcome_unknown=True)
        except (ApiError, ScorolinkError) as exc:
            messages = list(getattr(exc, "messages", []))
            for op in ops:
                yield WriteResult(op, False, error=str(exc), field_errors=messages)

    def _apply(self, spec: XeroObject, kind: str, ops: list[WriteOp],
               key_for: Callable[[str], str]) -> Iterator[WriteResult]:
        if spec.name == "Attachments":
            yield from self._write_attachment(spec, kind, ops[0], key_for)
            return
        if kind == "delete" and spec.delete == "route":
            yield from self._delete_route(spec, ops[0])
            return
        if kind in ("delete", "void") and spec.delete == "document":
            yield from self._retire_documents(spec, kind, ops, key_for)
            return
        if kind == "delete" and spec.delete == "archive":
            elements = [{spec.key: self._key(spec, op), spec.archive_field: spec.archive_value} for op in ops]
            yield from self._send(spec, "POST", spec.path, ops, elements, key_for)
            return
        if kind == "delete" and spec.delete == "status":
            op = ops[0]
            key = self._key(spec, op)
            if spec.name == "Payments":
                yield from self._send(spec, "POST", f"{spec.path}/{key}", ops, [{"Status": "DELETED"}], key_for)
            else:
                yield from self._send(spec, "POST", spec.path, ops, [{spec.key: key, "Status": "DELETED"}], key_for)
            return
        if kind == "delete":
            raise OperationNotAllowed(spec.name, "delete", spec.operations - {"delete"})
        elements = [self._element(spec, op, kind) for op in ops]
        path = self._collection_path(spec, ops[0])
        if kind == "insert":
            yield from self._send(spec, "PUT", path, ops, elements, key_for, bare=spec.bare_create)
        elif spec.update_by_id:
            key = self._key(spec, ops[0])
            yield from self._send(spec, "POST", f"{path}/{key}", ops, elements, key_for, bare=spec.bare_update)
        else:
            yield from self._send(spec, "POST", path, ops, elements, key_for)

    def _collection_path(self, spec: XeroObject, op: WriteOp) -> str:
        if spec.parent is None:
            return spec.path
        parent_id = _get_ci(op.record, str(spec.parent_key))
        if parent_id in (None, ""):
            raise InvalidInput(f"{spec.name} needs {spec.parent_key} (the parent {spec.parent} record's id).")
        sub = "Options" if spec.name == "TrackingOptions" else spec.name
        return f"{spec.parent}/{parent_id}/{sub}"

    def _element(self, spec: XeroObject, op: WriteOp, kind: str) -> dict[str, Any]:
        record = dict(op.record)
        if spec.parent_key:
            _pop_ci(record, spec.parent_key)
        if kind == "update" and _get_ci(record, spec.key) in (None, ""):
            raise InvalidInput(f"{spec.name} update needs the key field {spec.key}.")
        element = record_to_wire(spec, record)
        key_field = spec.field_named(spec.key)
        if kind == "insert" and key_field is not None and key_field.read_only:
            element.pop(spec.key, None)  # Xero assigns ids on create
        if spec.update_by_id and kind == "update":
            element.pop(spec.key, None)
        return element

    def _key(self, spec: XeroObject, op: WriteOp) -> str:
        key = _get_ci(op.record, spec.key)
        if key in (None, ""):
            raise InvalidInput(f"{spec.name} {op.action} needs the key field {spec.key}.")
        return str(key)

    def _send(self, spec: XeroObject, method: str, path: str, ops: list[WriteOp], elements: list[dict[str, Any]],
              key_for: Callable[[str], str], *, bare: bool = False) -> Iterator[WriteResult]:
        collection = spec.collection
        replies = self.client.write(method, path, collection, elements, bare=bare,
                                    idempotency_key=key_for(f"{method} {path}"))
        if len(replies) != len(ops):
            # Without positional correspondence no reply can be trusted for a given op.
            log.warning("%s %s: %d elements sent, %d returned", method, path, len(ops), len(replies))
        for i, op in enumerate(ops):
            reply = replies[i] if i < len(replies) else None
            yield self._result(spec, op, reply)

    def _result(self, spec: XeroObject, op: WriteOp, reply: dict[str, Any] | None) -> WriteResult:
        if reply is None:
            return WriteResult(op, False, error="Xero returned no element for this record", outcome_unknown=True)
        messages = element_messages(reply)
        failed = str(reply.get("StatusAttributeString") or "").upper() == "ERROR" or bool(messages) and bool(
            reply.get("HasErrors") or reply.get("HasValidationErrors"))
        if failed:
            text = "; ".join(messages) or "Xero refused the record"
            return WriteResult(op, False, error=text, field_errors=messages)
        record = record_from_wire(spec, reply)
        if spec.parent_key and not record.get(spec.parent_key):
            record[spec.parent_key] = _get_ci(op.record, spec.parent_key)
        return WriteResult(op, True, record=record)

    def _delete_route(self, spec: XeroObject, op: WriteOp) -> Iterator[WriteResult]:
        key = self._key(spec, op)
        path = f"{self._collection_path(spec, op)}/{key}"
        self.client.delete(path)
        record: Record = {spec.key: key}
        if spec.parent_key:
            record[spec.parent_key] = _get_ci(op.record, spec.parent_key)
        yield WriteResult(op, True, record=record)

    def _retire_documents(self, spec: XeroObject, kind: str, ops: list[WriteOp],
                          key_for: Callable[[str], str]) -> Iterator[WriteResult]:
        """Delete (DRAFT/SUBMITTED → DELETED) or void (AUTHORISED without payments → VOIDED), by the
        document's current status, read in one request for the whole batch."""
        keys = [self._key(spec, op) for op in ops]
        current: dict[str, Record] = {}
        for rows in self.client.iter_pages(spec.path, spec.collection, paged=spec.paged,
                                           params={"IDs": ",".join(keys)}):
            for row in rows:
                rec = record_from_wire(spec, row)
                current[str(rec[spec.key]).lower()] = rec
        sendable: list[tuple[WriteOp, dict[str, Any]]] = []
        results: dict[int, WriteResult] = {}
        for i, (op, key) in enumerate(zip(ops, keys, strict=True)):
            found = current.get(key.lower())
            if found is None:
                results[i] = WriteResult(op, False, error=f"{spec.name} {key} not found",
                                         field_errors=["The document with the supplied id was not found"])
                continue
            rec = found
            status = str(rec.get("Status") or "")
            target = "VOIDED" if kind == "void" else DOCUMENT_DELETE.get(status)
            if status in ("DELETED", "VOIDED") and (kind == "delete" or status == target):
                results[i] = WriteResult(op, True, record=rec)  # already gone: deleting twice is a no-op
                continue
            paid = (rec.get("AmountPaid") or Decimal(0)) != 0 or bool(rec.get("Payments"))
            if target is None or (target == "VOIDED" and (status != "AUTHORISED" or paid)):
                why = "it has payments; delete them first" if paid else \
                    "only DRAFT or SUBMITTED documents can be deleted and only AUTHORISED ones voided"
                results[i] = WriteResult(op, False, error=f"{spec.name} {key} is {status}: {why}",
                                         field_errors=[f"cannot {kind} a {status} document"])
                continue
            sendable.append((op, {spec.key: key, "Status": target}))
        sent: Iterator[WriteResult] = iter(())
        if sendable:
            sent = self._send(spec, "POST", spec.path, [o for o, _ in sendable], [e for _, e in sendable], key_for)
        sent_results = {id(r.op): r for r in sent}
        for i, op in enumerate(ops):
            yield results.get(i) or sent_results[id(op)]

    def _write_attachment(self, spec: XeroObject, kind: str, op: WriteOp,
                          key_for: Callable[[str], str]) -> Iterator[WriteResult]:
        rec = op.record
        parent = self.spec(str(_get_ci(rec, "ParentObject") or ""))
        parent_id, name, content = _get_ci(rec, "ParentID"), _get_ci(rec, "FileName"), _get_ci(rec, "Content")
        if not parent.attachments or not parent_id or not name or content is None:
            raise InvalidInput("An attachment needs ParentObject (one of " + ", ".join(ATTACHMENT_PARENTS) +
                               "), ParentID, FileName and Content (bytes).")
        include_online = _get_ci(rec, "IncludeOnline")
        saved = self.client.upload_attachment(parent.path, str(parent_id), str(name),
                                              content if isinstance(content, bytes) else str(content).encode(),
                                              replace=kind == "update",
                                              include_online=bool(include_online) if include_online is not None
                                              else None, mime_type=_get_ci(rec, "MimeType"),
                                              idempotency_key=key_for(f"attachment {parent.name}/{parent_id}/{name}"))
        record = record_from_wire(spec, saved)
        record.update(ParentObject=parent.name, ParentID=str(parent_id))
        yield WriteResult(op, True, record=record)


# -- conditions ----------------------------------------------------------------------------
def resolve_path(spec: XeroObject, name: str) -> tuple[Field, str]:
    """`Status` or a dotted path into a nested object (`Contact.ContactID`) -> (field, canonical path)."""
    fld = spec.field_named(name)
    if fld is not None:
        return fld, fld.name
    if "." in name:
        head, _, rest = name.partition(".")
        n = spec.nested_named(head)
        if n is not None and n.kind == "object":
            sub = n.field_named(rest)
            if sub is not None:
                return sub, f"{n.field}.{sub.name}"
    choices = [f.name for f in spec.fields] + [f"{n.field}.{x.name}" for n in spec.nested if n.kind == "object"
                                               for x in n.fields]
    raise UnknownName("field", name, choices, where=spec.name)


def where_term(cond: Condition, fld: Field) -> str | None:
    """One condition as a term of Xero's `where` language, or None when it has to be checked locally."""
    path = cond.field
    if cond.op in ("=", "!=", "<", "<=", ">", ">="):
        if cond.op not in fld.filters:
            return None
        op = "==" if cond.op == "=" else cond.op
        return f"{path}{op}{where_literal(cond.value, fld)}"
    if cond.op == "in" and "=" in fld.filters and cond.value:
        return "(" + " OR ".join(f"{path}=={where_literal(v, fld)}" for v in cond.value) + ")"
    if cond.op == "like" and "like" in fld.filters and fld.type is FieldType.STRING:
        text = str(cond.value)
        core = text.strip("%")
        if "_" in text or "%" in core or not core:
            return None
        literal = where_literal(core, fld)
        if text.startswith("%") and text.endswith("%"):
            return f"{path}.Contains({literal})"
        if text.endswith("%"):
            return f"{path}.StartsWith({literal})"
        if text.startswith("%"):
            return f"{path}.EndsWith({literal})"
        return None  # no wildcard: LIKE ignores case, Xero's == does not; check locally
    return None


def match_condition(record: Record, cond: Condition) -> bool:
    from scorolink.connectors.base import matches

    value: Any = record
    for part in cond.field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return matches({"v": value}, [Condition("v", cond.op, cond.value)])


def _select(record: Record, cols: list[str] | None) -> Record:
    if cols is None:
        return record
    lowered = {c.lower() for c in cols}
    return {k: v for k, v in record.items() if k.lower() in lowered}


def _get_ci(record: dict[str, Any], name: str) -> Any:
    for k, v in record.items():
        if k.lower() == name.lower():
            return v
    return None


def _pop_ci(record: dict[str, Any], name: str) -> Any:
    for k in list(record):
        if k.lower() == name.lower():
            return record.pop(k)
    return None


