"""The Scoro connector: canonical records in and out, over the catalog and the wire client.

Reading picks the cheapest request pattern the catalog allows for what was asked:
- plain list pages of 100 when no view-only data is selected;
- detailed list pages of 25 when lines, custom fields or other view-only fields are selected
  (one request per 25 records instead of a view call per record);
- a view call per record only for modules without detailed lists;
- binary fields (PictureContent, Files Content) by one extra request per record, only when
  selected;
- objects listed per parent record (comments, contact relations) walk the parent's ids.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from scorolink.catalog.model import Catalog, Field, FieldType, ObjectSpec
from scorolink.catalog.scoro import CATALOG, SEED_CUSTOM_FIELDS
from scorolink.clients.errors import (
    ApiError,
    AuthenticationFailed,
    PermissionDenied,
    RateLimited,
    WriteOutcomeUnknown,
)
from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.base import Condition, Record, WriteOp, WriteResult, matches
from scorolink.connectors.scoro_convert import coerce, record_from_wire, record_to_wire, resolve_field
from scorolink.connectors.scoro_filters import FilterPlan, plan_filters
from scorolink.connectors.site_facts import SiteFacts
from scorolink.connectors.site_timezone import SiteZone
from scorolink.errors import OperationNotAllowed, ScorolinkError, UnknownName

log = logging.getLogger(__name__)

RANGE = ("=", "<", "<=", ">", ">=")
CUSTOM_FIELDS_FACT = "custom_fields"
COMMENTS_BY_MODULE_FACT = "comments_by_module"
# `comments/list` by module answered [] for this module: asked again after EMPTY_ANSWER_RETRY seconds
# unless another module's answer or a per-parent read settles the question first (reads_by_module).
COMMENTS_EMPTY_FACT = "comments_by_module_empty:"
EMPTY_ANSWER_RETRY = 7 * 86400
_CUSTOM_TYPES = {
    "checkbox": FieldType.BOOLEAN, "boolean": FieldType.BOOLEAN, "bool": FieldType.BOOLEAN,
    "number": FieldType.DECIMAL, "money": FieldType.DECIMAL, "decimal": FieldType.DECIMAL,
    "numeric": FieldType.DECIMAL, "integer": FieldType.INTEGER, "relation": FieldType.INTEGER,
    "date": FieldType.DATE, "datetime": FieldType.DATETIME,
    "duration": FieldType.TIME, "time": FieldType.TIME,
}


class ScoroConnector:
    def __init__(self, client: ScoroClient, catalog: Catalog = CATALOG, *, max_concurrency: int | None = None,
                 facts: SiteFacts | None = None):
        self.client = client
        self.catalog = catalog
        # What was learnt about the site (time zone, capabilities, custom fields): per connector unless
        # the caller shares a file-backed store (the CLI does, per site).
        self.facts = facts if facts is not None else SiteFacts()
        self.tz = SiteZone(client, self.facts)
        self.max_concurrency = max(1, max_concurrency or client.settings.max_concurrency)
        self._custom: dict[str, tuple[Field, ...]] | None = None

    def close(self) -> None:
        self.client.close()

    # -- catalog with this account's custom fields ---------------------------------------------
    def spec(self, name: str, *, with_custom: bool = True) -> ObjectSpec:
        spec = self.catalog.get(name)
        if spec is None:
            raise UnknownName("object", name, self.catalog.names())
        override = self.client.settings.modules.get(spec.name)
        if override:
            spec = replace(spec, module=override)
        if spec.incremental:
            cursor = spec.field_named(spec.incremental)
            if cursor is not None and ">=" not in cursor.filters and self.facts.get(_filter_fact(spec, cursor)) is True:
                honoured = replace(cursor, filters=tuple(dict.fromkeys((*cursor.filters, *RANGE))))
                spec = replace(spec, fields=tuple(honoured if f is cursor else f for f in spec.fields))
        if with_custom and spec.custom_fields:
            spec = spec.with_custom_fields(self.custom_fields().get(spec.custom_field_module or spec.module, ()))
        return spec

    def custom_field_definitions(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for page in self.client.iter_pages("customFields"):
            rows.extend(page)
        return rows

    def custom_fields(self) -> dict[str, tuple[Field, ...]]:
        """Custom fields per module from `customFields/list`, kept with the site's facts for
        `custom_fields_max_age` seconds (`scorolink connection refresh` forgets them)."""
        if self._custom is None:
            definitions = self.facts.get(CUSTOM_FIELDS_FACT, max_age=self.client.settings.custom_fields_max_age)
            if not isinstance(definitions, list):
                try:
                    definitions = self.custom_field_definitions()
                except (PermissionDenied, AuthenticationFailed) as exc:
                    log.warning("custom fields unavailable: %s", exc)
                    definitions = []
                self.facts.put(CUSTOM_FIELDS_FACT, definitions)
            seed_ops = {f.api_key: f.filters for fields in SEED_CUSTOM_FIELDS.values() for f in fields}
            by_module: dict[str, list[Field]] = {}
            for d in definitions:
                fid = str(d.get("id") or "")
                if not fid:
                    continue
                ftype = _CUSTOM_TYPES.get(str(d.get("type", "")).lower(), FieldType.STRING)
                ops: tuple[str, ...] = ()
                if _truthy(d.get("is_filterable")):
                    ops = RANGE if ftype in (FieldType.DATE, FieldType.DATETIME) else ("=",)
                ops = seed_ops.get(fid, ops)
                f = Field(fid, fid, ftype, filters=ops, detail_only=True, custom=True,
                          description=str(d.get("name") or ""))
                for module in d.get("modules") or []:
                    by_module.setdefault(str(module), []).append(f)
            self._custom = {m: tuple(fs) for m, fs in by_module.items()}
        return self._custom

    def refresh_facts(self) -> dict[str, Any]:
        """Forget what was learnt about the site, then learn its time zone and custom fields again."""
        self.facts.forget()
        self._custom = None
        self.tz = SiteZone(self.client, self.facts)
        zone = self.tz.describe()
        # the definitions, as `connection test` counts them (a field of several modules is one field)
        count = len({f.name for fields in self.custom_fields().values() for f in fields})
        return {"timezone": zone["timezone"], "timezone_source": zone["source"], "custom_fields": count}

    def needs_custom(self, name: str, names: Iterable[str] | None) -> bool:
        """Whether resolving these field names (None: every field) needs the custom fields: a
        read naming only catalog fields never pays for their discovery."""
        if self._custom is not None or names is None:
            return True
        spec = self.spec(name, with_custom=False)
        if not spec.custom_fields:
            return False
        for n in names:
            if spec.nested_named(n) is None and spec.field_named(n) is None:
                return True
        return False

    # -- reading ---------------------------------------------------------------------------------
    def typed_conditions(self, spec: ObjectSpec, where: Iterable[Condition]) -> list[tuple[Condition, Field]]:
        """Resolve names and convert values to the field's type before any request is sent."""
        out = []
        for cond in where:
            f = resolve_field(spec, cond.field)
            if cond.op == "in":
                value: Any = tuple(coerce(v, f, self.tz) for v in cond.value)
            elif cond.op in ("is null", "is not null"):
                value = None
            elif cond.op == "like":
                value = str(cond.value)
            else:
                value = coerce(cond.value, f, self.tz)
            out.append((Condition(f.name, cond.op, value), f))
        return out

    def plan(self, name: str, where: Iterable[Condition] = (), *, include_deleted: bool = False,
             spec: ObjectSpec | None = None) -> FilterPlan:
        where = list(where)
        spec = spec or self.spec(name, with_custom=self.needs_custom(name, [c.field for c in where]))
        plan = plan_filters(self.typed_conditions(spec, where), self.tz)
        plan.include_deleted = plan.include_deleted or include_deleted
        for key, value in spec.fixed_filter:
            plan.filter[key] = value
        return plan

    def selected(self, spec: ObjectSpec, columns: Iterable[str] | None) -> frozenset[str]:
        """Canonical names of the selected fields; binaries only when named."""
        if columns is None:
            names = [f.name for f in spec.fields if f.type is not FieldType.BINARY] + [n.field for n in spec.nested]
            return frozenset(names)
        out = []
        for col in columns:
            n = spec.nested_named(col)
            out.append(n.field if n else resolve_field(spec, col).name)
        return frozenset(out)

    def read(self, name: str, where: Iterable[Condition] = (), *, columns: Iterable[str] | None = None,
             include_deleted: bool = False, limit: int | None = None, bookmark: Any = None,
             beside: dict[str, Any] | None = None,
             parent_failures: dict[Any, str] | None = None) -> Iterator[Record]:
        """`bookmark`: the id of a saved Scoro view (bookmark) of this module, applied by Scoro;
        `beside`: wire filter keys sent with it, meant to take the place of the bookmark's own filter
        on those fields (not checked locally: what they do to a bookmark is Scoro's to say).
        `parent_failures`: for objects read per parent record, collect the parents whose list
        failed every attempt (id → error) and go on with the others, instead of raising."""
        where = list(where)
        columns = list(columns) if columns is not None else None
        names = None if columns is None else [*columns, *(c.field for c in where)]
        spec = self.spec(name, with_custom=self.needs_custom(name, names))
        if not spec.allows("select"):
            raise OperationNotAllowed(spec.name, "select", spec.operations)
        plan = self.plan(name, where, include_deleted=include_deleted, spec=spec)
        plan.bookmark, plan.beside = bookmark, dict(beside or {})
        plan.parent_failures = parent_failures
        wanted = self.selected(spec, columns)
        needed = wanted | {c.field for c in plan.local} | set(spec.key_fields)
        count = 0
        if limit is not None and limit <= 0:
            return
        for record in self._records(spec, plan, needed):
            if not matches(record, plan.local):
                continue
            if not include_deleted and not plan.include_deleted and record.get("IsDeleted"):
                continue
            yield {k: v for k, v in record.items() if k in wanted} if columns is not None else record
            count += 1
            if limit is not None and count >= limit:
                return

    def _records(self, spec: ObjectSpec, plan: FilterPlan, needed: frozenset[str] | set[str]) -> Iterator[Record]:
        needed = frozenset(needed)
        binaries = [f for f in spec.binary_fields if f.name in needed]
        if spec.reader == "per_parent":
            rows: Iterator[Record] = self._read_per_parent(spec, plan, needed)
        elif spec.reader == "labor_cost":
            rows = self._read_labor_cost(spec, plan, needed)
        elif spec.reader == "company_account":
            rows = (record_from_wire(spec, r, self.tz, needed) for r in self.client.company_accounts())
        else:
            rows = self._read_list(spec, plan, needed)
        if binaries:
            rows = self._with_binaries(spec, rows, binaries)
        return rows

    def needs_detail(self, spec: ObjectSpec, needed: frozenset[str]) -> bool:
        detail = {f.name for f in spec.fields if f.detail_only} | {n.field for n in spec.nested if n.detail_only}
        return bool(detail & needed)

    def _read_list(self, spec: ObjectSpec, plan: FilterPlan, needed: frozenset[str],
                   request: Any = None) -> Iterator[Record]:
        detail = self.needs_detail(spec, needed)
        use_detailed = detail and spec.detailed_list
        use_view = detail and not spec.detailed_list and spec.has_view
        key = spec.key_fields[0]
        key_field = spec.field_named(key)
        key_api = key_field.api_key if key_field else None
        for filter_ in plan.filters():
            previous: set[Any] = set()
            filter_ = {**filter_, **plan.beside} if plan.beside else filter_
            for page in self.client.iter_pages(spec.module, filter=filter_ or None, request=request,
                                               detailed=use_detailed, include_deleted=plan.include_deleted,
                                               bookmark=plan.bookmark):
                if use_view and key_api:
                    page = self._views(spec, page, key_api, plan.include_deleted)
                records = [record_from_wire(spec, row, self.tz, needed) for row in page]
                # Pages are not snapshots: a row shifted by a concurrent insert can repeat.
                current = {r.get(key) for r in records}
                for record in records:
                    if record.get(key) not in previous:
                        yield record
                previous = current

    def _views(self, spec: ObjectSpec, rows: list[dict[str, Any]], key_api: str,
               include_deleted: bool) -> list[dict[str, Any]]:
        ids = [row.get(key_api) for row in rows]
        return self._parallel(lambda i: self.client.view(spec.module, i, include_deleted=include_deleted), ids)

    def _read_per_parent(self, spec: ObjectSpec, plan: FilterPlan, needed: frozenset[str]) -> Iterator[Record]:
        parent = spec.parent
        assert parent is not None, f"{spec.name} has reader per_parent but no parent"
        pinned = [c for c in plan.local if c.field == parent.field and c.op in ("=", "in")]
        if not pinned and self.reads_by_module(spec):
            yield from self._read_by_module(spec, plan, needed)
            return
        if pinned:
            c = pinned[0]
            parent_ids: Iterable[Any] = c.value if c.op == "in" else (c.value,)
        else:
            parent_spec = self.spec(parent.object, with_custom=False)
            pkey = parent_spec.key_fields[0]
            # Deleted parents too when deletes are asked for: their comments are reported deleted.
            with_deleted = plan.include_deleted and parent_spec.has_delete_flag
            parent_ids = (r[pkey] for r in self.read(parent.object, columns=[pkey], include_deleted=with_deleted))
            if self.reads_all_parents_by_module(spec):
                # every parent: the module's comments in pages, kept where they are on this object's
                # records, instead of one request per record
                keep = {str(i) for i in parent_ids}
                yield from self._read_by_module(spec, plan, needed, keep)
                return
        parent_api = resolve_field(spec, parent.field).api_key
        filter_ = plan.filter or None
        failures = plan.parent_failures

        def fetch(parent_id: Any) -> list[Record]:
            request = self._parent_request(spec, parent_id)
            out = []
            try:
                for page in self.client.iter_pages(spec.module, filter=filter_, request=request,
                                                   include_deleted=plan.include_deleted):
                    self._note_per_parent_comments(spec, page)
                    for row in page:
                        for flat in self._flatten_parent_row(spec, row, parent_id):
                            flat.setdefault(parent_api, parent_id)
                            out.append(record_from_wire(spec, flat, self.tz, needed))
            except (RateLimited, AuthenticationFailed, PermissionDenied):
                raise  # these concern every parent
            except ApiError as exc:
                if failures is None:
                    raise
                failures[parent_id] = str(exc)  # the caller finishes the other parents and reports this one
                return []
            return out

        for batch in _chunks(parent_ids, 64):
            for records in self._parallel(fetch, batch):
                yield from records

    # -- comments by module, probed filters ------------------------------------------------------
    def reads_by_module(self, spec: ObjectSpec) -> bool:
        """Whether this comment object is read by one module-wide `comments/list` (with the
        `modified_date` filter of an incremental read) instead of one list per parent record.
        The reference calls `object_id` mandatory, so the site is asked once (one request) and the
        answer kept: the form counts only when its rows say which record of this module they are on.
        An empty answer settles nothing (the module may have no comments, or the site may match a
        missing `object_id` with no record): that module is read per parent, and asked again only
        after EMPTY_ANSWER_RETRY, unless a per-parent read finds comments first, which shows the
        module-wide form answers nothing (`_note_per_parent_comments`)."""
        if spec.module != "comments" or spec.parent is None or self._shares_module(spec):
            return False
        return self._comments_by_module(spec.parent.module)

    def reads_all_parents_by_module(self, spec: ObjectSpec) -> bool:
        """Whether a read of every parent of this comment object (a first run, a sweep, `all`) is the
        module's comments in pages filtered to its records rather than one request per record: for
        the objects that share a module (_shares_module) on a site that lists comments by module."""
        return (spec.module == "comments" and spec.parent is not None and self._shares_module(spec)
                and self._comments_by_module(spec.parent.module))

    def _shares_module(self, spec: ObjectSpec) -> bool:
        """Companies and People share `contacts`: a module-wide answer mixes their comments, so
        CompanyComments and PeopleComments are not read by module as such; a read of every parent
        still uses it, keeping the comments on that object's records (_read_per_parent)."""
        assert spec.parent is not None
        parent = self.catalog.get(spec.parent.object)
        return parent is not None and bool(parent.fixed_filter)

    def _comments_by_module(self, module: str) -> bool:
        known = self.facts.get(COMMENTS_BY_MODULE_FACT)
        if isinstance(known, bool):
            return known
        if self.facts.get(COMMENTS_EMPTY_FACT + module, max_age=EMPTY_ANSWER_RETRY):
            return False
        try:
            # with deleted ones, as the per-parent reads that may settle an empty answer ask
            rows = self.client.list_page("comments", 1, per_page=1, request={"module": module}, include_deleted=True)
        except (RateLimited, AuthenticationFailed):
            raise
        except ApiError as exc:
            log.info("comments/list by module refused (%s): comments are read per parent record", exc)
            self.facts.put(COMMENTS_BY_MODULE_FACT, False)
            return False
        if not rows:
            self.facts.put(COMMENTS_EMPTY_FACT + module, True)
            return False
        usable = all(r.get("object_id") not in (None, "", 0, "0") and r.get("module") in (None, "", module)
                     for r in rows)
        self.facts.put(COMMENTS_BY_MODULE_FACT, usable)
        return usable

    def _note_per_parent_comments(self, spec: ObjectSpec, rows: list[dict[str, Any]]) -> None:
        """Comments read per parent of a module whose module-wide list answered nothing: the site
        does not answer that form (reads_by_module), which is kept so it is not asked again."""
        if (spec.module == "comments" and spec.parent is not None and rows
                and self.facts.get(COMMENTS_BY_MODULE_FACT) is None
                and self.facts.get(COMMENTS_EMPTY_FACT + spec.parent.module) is not None
                and any(not _truthy(r.get("is_deleted")) for r in rows)):
            log.info("comments/list by module answered nothing where %s has comments: read per parent record",
                     spec.parent.module)
            self.facts.put(COMMENTS_BY_MODULE_FACT, False)

    def _read_by_module(self, spec: ObjectSpec, plan: FilterPlan, needed: frozenset[str],
                        parents: set[str] | None = None) -> Iterator[Record]:
        """The module's comments in pages; with `parents`, only those on these records."""
        assert spec.parent is not None
        for page in self.client.iter_pages("comments", filter=plan.filter or None,
                                           request={"module": spec.parent.module},
                                           include_deleted=plan.include_deleted):
            for row in page:
                if parents is None or str(row.get("object_id")) in parents:
                    yield record_from_wire(spec, {**row, "module": spec.parent.module}, self.tz, needed)

    def learn_cursor_filter(self, spec: ObjectSpec) -> ObjectSpec:
        """For an object whose cursor field the catalog does not list as a filter (TimeEntries'
        UpdatedDate), ask once per site whether Scoro honours a `modified_date` range anyway:
        Scoro ignores filter keys it does not know, so a range in the future must return nothing
        while the list itself has rows. The answer is kept; the spec comes back with it applied."""
        cursor = spec.field_named(spec.incremental) if spec.incremental else None
        if cursor is None or cursor.type is not FieldType.DATETIME or ">=" in cursor.filters:
            return spec
        fact = _filter_fact(spec, cursor)
        if self.facts.get(fact) is None:
            future = (datetime.now(UTC) + timedelta(days=3650)).date()
            probe = {cursor.api_key: {"from_date": future.isoformat(), "to_date": (future + timedelta(days=1)).isoformat()}}
            try:
                if self.client.list_page(spec.module, 1, per_page=1, filter=probe):
                    self.facts.put(fact, False)
                elif self.client.list_page(spec.module, 1, per_page=1):
                    self.facts.put(fact, True)
                # an empty list tells nothing: asked again next time
            except (RateLimited, AuthenticationFailed, PermissionDenied):
                raise
            except ApiError as exc:  # a site that refuses the filter: it cannot be used
                log.info("%s/list refused a %s filter (%s): read in full", spec.module, cursor.api_key, exc)
                self.facts.put(fact, False)
        return self.spec(spec.name)

    def _parent_request(self, spec: ObjectSpec, parent_id: Any) -> dict[str, Any]:
        assert spec.parent is not None
        if spec.module == "relations":
            return {"object_id": parent_id, "type": spec.parent.module}
        return {"module": spec.parent.module, "object_id": parent_id}

    def _flatten_parent_row(self, spec: ObjectSpec, row: dict[str, Any], parent_id: Any) -> list[dict[str, Any]]:
        """Relations come as {object_id, type, related_objects: [...]}: one record per related object."""
        related = row.get("related_objects")
        if spec.module == "relations" and isinstance(related, list):
            base = {k: v for k, v in row.items() if k != "related_objects"}
            return [{**base, **{f"related_{k}" if k in base else k: v for k, v in item.items()}}
                    if isinstance(item, dict) else {**base, "id": item} for item in related]
        if spec.module == "comments":
            row = {**row}
            row.setdefault("module", spec.parent.module if spec.parent else None)
        return [row]

    def _read_labor_cost(self, spec: ObjectSpec, plan: FilterPlan, needed: frozenset[str]) -> Iterator[Record]:
        """usersLaborCost rows are {user_id, labor_cost: [{date, hour_cost}]}: one record per date."""
        for page in self.client.iter_pages(spec.module, filter=plan.filter or None):
            for row in page:
                costs = row.get("labor_cost") or []
                for entry in costs if isinstance(costs, list) else []:
                    flat = {"user_id": row.get("user_id"), **entry}
                    yield record_from_wire(spec, flat, self.tz, needed)

    def _with_binaries(self, spec: ObjectSpec, rows: Iterator[Record], binaries: list[Field]) -> Iterator[Record]:
        key = spec.key_fields[0]
        for batch in _chunks(rows, 16):
            def fill(record: Record) -> Record:
                for f in binaries:
                    record[f.name] = self._binary(spec, f, record, key)
                return record
            yield from self._parallel(fill, batch)

    def _binary(self, spec: ObjectSpec, f: Field, record: Record, key: str) -> bytes | None:
        if spec.module == "files":
            return self.client.download_file(record[key])
        # Pictures: the list row carries a URL (contact_picture); one GET where there is one.
        url = record.get(f.name)
        return self.client.fetch_url(str(url)) if url else None

    def _parallel(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        items = list(items)
        if len(items) <= 1 or self.max_concurrency == 1:
            return [fn(i) for i in items]
        # Each task runs in a copy of the caller's context, so request scopes follow the work.
        contexts = [contextvars.copy_context() for _ in items]
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(items))) as pool:
            return list(pool.map(lambda ctx, item: ctx.run(fn, item), contexts, items))

    # -- writing ---------------------------------------------------------------------------------
    def check_operation(self, spec: ObjectSpec, action: str) -> None:
        """Refuse what the catalog's DML table does not allow, naming what is allowed."""
        if action == "upsert":
            needed: tuple[str, ...] = ("insert",) if spec.insert_is_upsert else ("insert", "update")
        elif action in ("insert", "update", "delete"):
            needed = (action,)
        else:
            raise ScorolinkError(f"Unknown write action {action!r}; use insert, update, upsert or delete.")
        if not all(spec.allows(n) for n in needed):
            raise OperationNotAllowed(spec.name, action, spec.operations)

    def write(self, name: str, ops: Iterable[WriteOp]) -> Iterator[WriteResult]:
        """Apply writes one by one; each yields a result. Rate limits past the wait budget and
        authentication failures stop the run (they concern every row); anything else is per row."""
        spec = self.spec(name)
        for op in ops:
            self.check_operation(spec, op.action)
            try:
                saved = self._write_one(spec, op)
            except (RateLimited, AuthenticationFailed):
                raise
            except WriteOutcomeUnknown as exc:
                yield WriteResult(op, False, error=str(exc), outcome_unknown=True)
            except (ApiError, ScorolinkError) as exc:
                yield WriteResult(op, False, error=str(exc), field_errors=list(getattr(exc, "messages", [])))
            else:
                yield WriteResult(op, True, record=saved)

    def _write_one(self, spec: ObjectSpec, op: WriteOp) -> Record:
        action = "insert" if op.action == "upsert" and spec.insert_is_upsert else op.action
        record = dict(op.record)
        if spec.reader == "labor_cost":
            return self._write_labor_cost(spec, action, record)
        key_name = spec.key_fields[0]
        key_value = _get_ci(record, key_name)
        if action == "upsert":  # keyed rows update, the others are created
            action = "insert" if key_value in (None, "") else "update"
        if action in ("update", "delete") and key_value in (None, ""):
            raise ScorolinkError(f"{spec.name} {action} needs the key field {key_name}.")
        if action == "delete":
            key_field = resolve_field(spec, key_name)
            self.client.delete(spec.module, coerce(key_value, key_field, self.tz))
            return {key_name: coerce(key_value, key_field, self.tz)}
        content = None
        for f in spec.binary_fields:
            if not f.read_only:
                content = _pop_ci(record, f.name)
        body = {k: v for k, v in record.items() if action == "insert" or k.lower() != key_name.lower()}
        request = record_to_wire(spec, body, self.tz)
        for k, v in spec.fixed_values:
            request[k] = v
        if spec.parent is not None and spec.module == "comments":
            request.setdefault("module", spec.parent.module)
        if spec.module == "relations":
            request = _relation_request(request, spec.parent.module if spec.parent else "contacts")
        saved: dict[str, Any] | None
        if action == "insert":
            if spec.module == "files" and content is not None:
                name = request.pop("file_name", None) or _get_ci(record, "FileName") or "upload.bin"
                saved = self.client.upload_file(str(name), content, extra=request)
            else:
                saved = self.client.modify(spec.module, request)
        else:
            key_field = resolve_field(spec, key_name)
            saved = self.client.modify(spec.module, request, coerce(key_value, key_field, self.tz))
        if not saved:
            # Some modules do not echo the saved object (ContactRelations): return what was sent.
            return dict(op.record)
        if spec.module == "comments":  # the answer does not say which record the comment is on: as sent
            saved = {**saved, **{k: request[k] for k in ("module", "object_id")
                                 if saved.get(k) in (None, "") and request.get(k) not in (None, "")}}
        return record_from_wire(spec, saved, self.tz)

    def _write_labor_cost(self, spec: ObjectSpec, action: str, record: Record) -> Record:
        if action == "delete":
            raise OperationNotAllowed(spec.name, "delete", spec.operations)
        user = resolve_field(spec, "UserId")
        day = resolve_field(spec, "Date")
        cost = resolve_field(spec, "HourCost")
        user_id = coerce(_get_ci(record, "UserId"), user, self.tz)
        if user_id is None:
            raise ScorolinkError("LaborCost needs UserId.")
        entry = record_to_wire(spec, {"Date": _get_ci(record, "Date"), "HourCost": _get_ci(record, "HourCost")},
                               self.tz, include_read_only=True)
        self.client.modify(spec.module, {"labor_cost": [entry]}, user_id)
        return {"UserId": user_id, "Date": coerce(_get_ci(record, "Date"), day, self.tz),
                "HourCost": coerce(_get_ci(record, "HourCost"), cost, self.tz)}


def _relation_request(flat: dict[str, Any], parent_module: str) -> dict[str, Any]:
    """One flat ContactRelations row as relations/modify wants it: the related object in a list."""
    related = {k: v for k, v in flat.items() if k not in ("object_id", "type")}
    return {"object_id": flat.get("object_id"), "type": flat.get("type") or parent_module,
            "related_objects": [related]}


def _filter_fact(spec: ObjectSpec, f: Field) -> str:
    return f"filter_honoured:{spec.module}.{f.api_key}"


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes")


def _get_ci(record: Record, name: str) -> Any:
    lowered = name.lower()
    return next((v for k, v in record.items() if k.lower() == lowered), None)


def _pop_ci(record: Record, name: str) -> Any:
    lowered = name.lower()
    for k in list(record):
        if k.lower() == lowered:
            return record.pop(k)
    return None


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
