"""The Accounting API routes under /api.xro/2.0 (A3, A6, A7, A10): lists with If-Modified-Since, where,
order and paging; reads; PUT creates and POST upserts in batches that are not all-or-nothing; deletes;
allocations, tracking options, currencies, organisation and attachments. Auth, tenants, rate limits, faults
and idempotency happen before this (app.py)."""

from __future__ import annotations

import base64
import json
import mimetypes
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from .books import CREDIT_NOTE, INVOICE, Books, new_id
from .render import FIELDS, Renderer, get_path
from .where import QueryError, compile_order, compile_where
from .wire import (
    ZERO_GUID,
    Invalid,
    net_datetime,
    parse_if_modified_since,
    simple_error,
    strip_none,
    truthy,
    validation_error,
)

COLLECTIONS = {c.lower(): c for c in ("Contacts", "Items", "Invoices", "CreditNotes", "Payments", "Accounts",
                                      "TaxRates", "TrackingCategories", "Currencies", "Organisation")}
ID_FIELDS = {"Contacts": "ContactID", "Items": "ItemID", "Invoices": "InvoiceID", "CreditNotes": "CreditNoteID",
             "Payments": "PaymentID", "Accounts": "AccountID", "TaxRates": "TaxType",
             "TrackingCategories": "TrackingCategoryID", "Currencies": "Code"}
PAGED = {"Contacts", "Invoices", "CreditNotes", "Payments"}
MODIFIED_SINCE = {"Contacts", "Items", "Invoices", "CreditNotes", "Payments", "Accounts"}
WITH_ATTACHMENTS = {"Invoices", "CreditNotes", "Contacts", "Accounts"}
DEFAULT_PAGE_SIZE = 100


@dataclass
class Call:
    method: str
    parts: list[str]                   # path segments after /api.xro/2.0, still percent-encoded
    query: dict[str, str]               # keys lower-cased
    headers: dict[str, str]             # keys lower-cased
    body: bytes
    client_id: str
    origin: str


@dataclass
class Reply:
    status: int
    payload: Any = None                 # dict/list -> JSON, bytes -> raw
    headers: dict[str, str] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)


def _json_body(call: Call) -> Any:
    try:
        return json.loads(call.body or b"{}")
    except ValueError:
        raise Invalid("The request body is not valid JSON") from None


def _elements(body: Any, coll: str) -> list:
    """Write bodies are an array wrapper ``{"Invoices":[…]}``; a bare object (POST /Payments,
    POST /X/{id}, PUT /Accounts) is one element."""
    if isinstance(body, dict) and isinstance(body.get(coll), list):
        return list(body[coll])
    if isinstance(body, dict) and body:
        return [body]
    if isinstance(body, list):
        return body
    raise Invalid(f"The request body must be {{\"{coll}\": [ … ]}}")


class Api:
    def __init__(self, books_for: Callable[[str], Books], provider_name: Callable[[str], str], config: Any) -> None:
        self.books_for, self.provider_name, self.cfg = books_for, provider_name, config

    # -- entry --------------------------------------------------------------------------------------------
    def handle(self, call: Call, tenant: str) -> Reply:
        books = self.books_for(tenant)
        books.client_id = call.client_id
        coll = COLLECTIONS.get(call.parts[0].lower()) if call.parts else None
        if coll is None:
            return Reply(404, simple_error(404, "NotFound", "The resource you're looking for cannot be found"))
        try:
            return self._route(call, books, coll, [unquote(p) for p in call.parts[1:]])
        except Invalid as exc:
            return Reply(400, validation_error([{"ValidationErrors": [{"Message": m} for m in exc.messages]}]))
        except QueryError as exc:
            return Reply(400, simple_error(400, "QueryParseException", str(exc)))
        except KeyError:
            return self.not_found()

    @staticmethod
    def not_found() -> Reply:
        return Reply(404, simple_error(404, "NotFound", "The resource you're looking for cannot be found"))

    def envelope(self, call: Call, books: Books, key: str, items: Any, extra: dict | None = None) -> dict:
        env = {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": self.provider_name(call.client_id),
               "DateTimeUTC": net_datetime(books.now())}
        if extra:
            env.update(extra)
        env[key] = items
        return env

    def _renderer(self, call: Call, books: Books, summary: bool = False, typed: bool = False) -> Renderer:
        unitdp = 4 if call.query.get("unitdp") == "4" else 2
        return Renderer(books, unitdp=unitdp, typed=typed, summary=summary, origin=call.origin)

    # -- routing ------------------------------------------------------------------------------------------
    def _route(self, call: Call, books: Books, coll: str, rest: list[str]) -> Reply:
        m = call.method
        if rest and len(rest) >= 2 and rest[1].lower() == "attachments" and coll in WITH_ATTACHMENTS:
            return self._attachments(call, books, coll, rest[0], rest[2] if len(rest) > 2 else None)
        if coll == "Organisation":
            if m != "GET":
                return self._method_not_allowed()
            if rest and rest[0].lower() == "actions":
                actions = [{"Name": n, "Status": "ALLOWED"} for n in (
                    "UseMulticurrency", "CreateApprovedInvoice", "CreateApprovedBill", "CreateApprovedCreditNote",
                    "CreateApprovedPayment", "CreateDraftInvoice", "CreateDraftBill", "CreateDraftCreditNote",
                    "AttachFilesToInvoice", "AttachFilesToBill", "AttachFilesToContact")]
                return Reply(200, self.envelope(call, books, "Actions", actions))
            rows = [self._renderer(call, books).render("Organisation", r) for r in books.rows("Organisation")]
            return Reply(200, self.envelope(call, books, "Organisations", rows))
        if coll == "CreditNotes" and len(rest) >= 2 and rest[1].lower() == "allocations":
            return self._allocations(call, books, rest[0], rest[2] if len(rest) > 2 else None)
        if coll == "TrackingCategories" and len(rest) >= 2 and rest[1].lower() == "options":
            return self._options(call, books, rest[0], rest[2] if len(rest) > 2 else None)
        if len(rest) > 1:
            return self.not_found()
        rid = rest[0] if rest else None
        if m == "GET":
            return self._get_one(call, books, coll, rid) if rid else self._list(call, books, coll)
        if m in ("PUT", "POST"):
            return self._write(call, books, coll, rid)
        if m == "DELETE" and rid:
            return self._delete(call, books, coll, rid)
        return self._method_not_allowed()

    @staticmethod
    def _method_not_allowed() -> Reply:
        return Reply(405, simple_error(405, "MethodNotAllowed", "The method is not supported for this endpoint"))

    # -- reads --------------------------------------------------------------------------------------------
    def _visible(self, call: Call, coll: str, rec: dict) -> bool:
        include_archived = truthy(call.query.get("includearchived"))
        if coll == "Contacts":
            return include_archived or rec.get("ContactStatus") != "ARCHIVED"
        if coll == "Accounts":
            return rec["Status"] != "DELETED"
        if coll == "TrackingCategories":
            return rec["Status"] == "ACTIVE" or (include_archived and rec["Status"] == "ARCHIVED")
        if coll == "TaxRates":
            return rec["Status"] != "DELETED" or "where" in call.query
        return True

    def _list(self, call: Call, books: Books, coll: str) -> Reply:
        q = call.query
        rows = [r for r in books.rows(coll) if self._visible(call, coll, r)]
        since_header = call.headers.get("if-modified-since")
        if since_header and coll in MODIFIED_SINCE:
            since = parse_if_modified_since(since_header)
            if since is None:
                raise Invalid(f"If-Modified-Since '{since_header}' is not a valid date")
            rows = [r for r in rows if r["UpdatedDateUTC"] > since]
        rows = self._list_params(call, books, coll, rows)
        fields = FIELDS.get(coll, set())
        typed = self._renderer(call, books, typed=True)
        if q.get("where"):
            pred = compile_where(q["where"], fields)
            rows = [r for r in rows if pred(typed.render(coll, r), get_path)]
        if q.get("order"):
            views = {id(r): typed.render(coll, r) for r in rows}
            for key, desc in reversed(compile_order(q["order"], fields)):
                def sort_key(r: dict, k: str = key) -> tuple:
                    return _sort_key(get_path(views[id(r)], k))

                rows.sort(key=sort_key, reverse=desc)
        extra = None
        if coll in PAGED or (coll == "Items" and self.cfg.items_paged):
            size = DEFAULT_PAGE_SIZE
            if q.get("pagesize"):
                try:
                    size = int(q["pagesize"])
                except ValueError:
                    raise Invalid(f"pageSize '{q['pagesize']}' must be a whole number") from None
                if size < 1:
                    raise Invalid("pageSize must be at least 1")
                size = min(size, self.cfg.page_size_max)
            try:
                page = max(1, int(q.get("page") or 1))
            except ValueError:
                raise Invalid(f"page '{q['page']}' must be a whole number") from None
            total = len(rows)
            extra = {"pagination": {"page": page, "pageSize": size, "pageCount": (total + size - 1) // size,
                                    "itemCount": total}}
            rows = rows[(page - 1) * size: page * size]
        r = self._renderer(call, books, summary=truthy(q.get("summaryonly")))
        if coll == "TrackingCategories" and not truthy(q.get("includearchived")):
            out = [self._active_options(r.render(coll, x)) for x in rows]
        else:
            out = [r.render(coll, x) for x in rows]
        return Reply(200, self.envelope(call, books, coll, out, extra))

    @staticmethod
    def _active_options(cat: dict) -> dict:
        return {**cat, "Options": [o for o in cat.get("Options", []) if o["Status"] == "ACTIVE"]}

    def _list_params(self, call: Call, books: Books, coll: str, rows: list[dict]) -> list[dict]:
        q = call.query

        def csv(name: str) -> list[str] | None:
            return [v.strip() for v in q[name].split(",") if v.strip()] if q.get(name) else None

        if coll in ("Invoices", "Contacts", "CreditNotes", "Payments", "Items", "Accounts") and (ids := csv("ids")):
            wanted = {i.lower() for i in ids}
            rows = [r for r in rows if r[ID_FIELDS[coll]] in wanted]
        if coll == "Invoices":
            if (numbers := csv("invoicenumbers")) is not None:
                rows = [r for r in rows if r.get("InvoiceNumber") in numbers]
            if (contacts := csv("contactids")) is not None:
                wanted = {c.lower() for c in contacts}
                rows = [r for r in rows if r["Contact"]["ContactID"] in wanted]
            if (statuses := csv("statuses")) is not None:
                rows = [r for r in rows if r["Status"] in {s.upper() for s in statuses}]
            if truthy(q.get("createdbymyapp")):
                rows = [r for r in rows if r.get("_created_by") == call.client_id]
        if coll == "TaxRates" and q.get("taxtype"):
            rows = [r for r in rows if r["TaxType"] == q["taxtype"]]
        term = q.get("searchterm", "").strip().lower()
        if term and coll in ("Contacts", "Invoices"):
            keys = ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress") if coll == "Contacts" else \
                ("InvoiceNumber", "Reference")
            rows = [r for r in rows if any(term in str(r.get(k) or "").lower() for k in keys)]
        return rows

    def _find(self, books: Books, coll: str, key: str) -> dict | None:
        if coll == "Invoices":
            return books.find_doc(INVOICE, key)
        if coll == "CreditNotes":
            return books.find_doc(CREDIT_NOTE, key)
        if coll == "Contacts":
            return books.get(coll, key) or next((c for c in books.rows(coll) if c.get("ContactNumber") == key), None)
        if coll == "Items":
            return books.get(coll, key) or books.item_by_code(key)
        if coll == "TaxRates":
            return books.tax_rate(key)
        rec = books.get(coll, key)
        return None if rec is None or rec.get("Status") == "DELETED" else rec

    def _get_one(self, call: Call, books: Books, coll: str, key: str) -> Reply:
        rec = self._find(books, coll, key)
        if rec is None:
            return self.not_found()
        if "application/pdf" in call.headers.get("accept", "") and coll in ("Invoices", "CreditNotes"):
            number = rec.get("InvoiceNumber") or rec.get("CreditNoteNumber") or rec[ID_FIELDS[coll]]
            return Reply(200, _pdf(f"{coll} {number} {rec['Total']} {rec['CurrencyCode']}"),
                         {"content-type": "application/pdf"})
        out = self._renderer(call, books).render(coll, rec)
        return Reply(200, self.envelope(call, books, coll, [out]))

    # -- writes -------------------------------------------------------------------------------------------
    def _write(self, call: Call, books: Books, coll: str, rid: str | None) -> Reply:
        body = _json_body(call)
        create_only = call.method == "PUT"
        if create_only and rid:
            return self._method_not_allowed()
        elements = _elements(body, coll)
        if coll in ("Accounts", "TaxRates", "TrackingCategories") and len(elements) > 1:
            raise Invalid(f"{coll} can only be created or updated one at a time")
        if coll == "Currencies" and not create_only:
            return self._method_not_allowed()
        if coll == "Payments" and create_only is False and rid is None and len(elements) > 1:
            raise Invalid("POST /Payments takes one payment; use PUT /Payments for several")
        unitdp = 4 if call.query.get("unitdp") == "4" else 2
        id_field = ID_FIELDS[coll]
        results: list[tuple[bool, Any, list[str]]] = []
        writes = []
        for el in elements:
            if not isinstance(el, dict):
                results.append((False, {}, ["Each element must be a JSON object"]))
                continue
            try:
                rec = self._write_one(books, coll, el, create_only, rid, unitdp)
                results.append((True, rec, []))
                writes.append(coll)
            except Invalid as exc:
                results.append((False, el, exc.messages))
        r = self._renderer(call, books)
        summarize = "summarizeerrors" not in call.query or truthy(call.query.get("summarizeerrors"))
        failed = [(el, msgs) for ok, el, msgs in results if not ok]
        if failed and summarize:
            return Reply(400, validation_error([self._echo(el, id_field, msgs) for el, msgs in failed]), writes=writes)
        out = []
        for ok, rec, msgs in results:
            if ok:
                item = r.render(coll, rec)
                if not summarize:
                    item["StatusAttributeString"] = "OK"
                out.append(item)
            else:
                out.append({**self._echo(rec, id_field, msgs), "StatusAttributeString": "ERROR"})
        return Reply(200, self.envelope(call, books, coll, out), writes=writes)

    @staticmethod
    def _echo(el: dict, id_field: str, messages: list[str]) -> dict:
        echo = strip_none({k: v for k, v in el.items() if not str(k).startswith("_")})
        echo.setdefault(id_field, ZERO_GUID) if id_field.endswith("ID") else None
        echo.update(HasErrors=True, HasValidationErrors=True,
                    ValidationErrors=[{"Message": m} for m in messages])
        return echo

    def _write_one(self, books: Books, coll: str, el: dict, create_only: bool, rid: str | None, unitdp: int) -> dict:
        if coll == "Contacts":
            return books.upsert_contact(el, create_only, rid)
        if coll == "Items":
            if rid and books.get("Items", rid) is None and books.item_by_code(rid):
                rid = books.item_by_code(rid)["ItemID"]  # type: ignore[index]
            return books.upsert_item(el, create_only, rid)
        if coll == "Invoices":
            if rid and not books.get("Invoices", rid):
                found = books.find_doc(INVOICE, rid)
                rid = found["InvoiceID"] if found else rid
            return books.upsert_doc(INVOICE, el, create_only, rid, unitdp)
        if coll == "CreditNotes":
            return books.upsert_doc(CREDIT_NOTE, el, create_only, rid, unitdp)
        if coll == "Payments":
            if rid:
                return books.update_payment(rid, el)
            if el.get("PaymentID") and not create_only:
                return books.update_payment(el["PaymentID"], el)
            return books.create_payment(el)
        if coll == "Accounts":
            return books.upsert_account(el, create_only, rid)
        if coll == "TaxRates":
            return books.upsert_tax_rate(el, create_only)
        if coll == "TrackingCategories":
            return books.upsert_tracking_category(el, create_only, rid)
        if coll == "Currencies":
            return books.add_currency(el)
        raise Invalid(f"{coll} cannot be written")

    def _delete(self, call: Call, books: Books, coll: str, rid: str) -> Reply:
        if coll == "Items":
            if books.get("Items", rid) is None:
                return self.not_found()
            books.delete_item(rid)
            return Reply(204, None, writes=["Items"])
        if coll == "Accounts":
            rec = books.delete_account(rid)
            return Reply(200, self.envelope(call, books, "Accounts", [self._renderer(call, books).render(coll, rec)]),
                         writes=["Accounts"])
        if coll == "TrackingCategories":
            rec = books.delete_tracking_category(rid)
            return Reply(200, self.envelope(call, books, coll, [self._renderer(call, books).render(coll, rec)]),
                         writes=[coll])
        return self._method_not_allowed()

    # -- sub-resources ------------------------------------------------------------------------------------
    def _allocations(self, call: Call, books: Books, credit_id: str, alloc_id: str | None) -> Reply:
        r = self._renderer(call, books)
        if call.method == "DELETE" and alloc_id:
            alloc = books.delete_allocation(credit_id, alloc_id)
            return Reply(200, strip_none(r.allocation(alloc)), writes=["CreditNotes"])
        if call.method != "PUT" or alloc_id:
            return self._method_not_allowed()
        if books.get("CreditNotes", credit_id) is None:
            return self.not_found()
        elements = _elements(_json_body(call), "Allocations")
        done, failed = [], []
        for el in elements:
            try:
                done.append(r.allocation(books.allocate(credit_id, el if isinstance(el, dict) else {})))
            except Invalid as exc:
                failed.append(self._echo(el if isinstance(el, dict) else {}, "AllocationID", exc.messages))
        summarize = "summarizeerrors" not in call.query or truthy(call.query.get("summarizeerrors"))
        writes = ["CreditNotes"] * len(done)
        if failed and summarize:
            return Reply(400, validation_error(failed), writes=writes)
        return Reply(200, self.envelope(call, books, "Allocations", strip_none(done + failed)), writes=writes)

    def _options(self, call: Call, books: Books, cat_id: str, opt_id: str | None) -> Reply:
        if call.method == "DELETE" and opt_id:
            opt = books.delete_option(cat_id, opt_id)
            return Reply(200, self.envelope(call, books, "Options", [opt]), writes=["TrackingCategories"])
        if call.method == "PUT" and not opt_id:
            elements = _elements(_json_body(call), "Options")
            out, failed = [], []
            for el in elements:
                try:
                    out.append(books.upsert_option(cat_id, el))
                except Invalid as exc:
                    failed.append(self._echo(el, "TrackingOptionID", exc.messages))
            if failed:
                return Reply(400, validation_error(failed), writes=["TrackingCategories"] * len(out))
            return Reply(200, self.envelope(call, books, "Options", out), writes=["TrackingCategories"] * len(out))
        if call.method == "POST" and opt_id:
            elements = _elements(_json_body(call), "Options")
            opt = books.upsert_option(cat_id, elements[0], opt_id)
            return Reply(200, self.envelope(call, books, "Options", [opt]), writes=["TrackingCategories"])
        return self._method_not_allowed()

    # -- attachments (A10) --------------------------------------------------------------------------------
    def _attachments(self, call: Call, books: Books, coll: str, rid: str, name: str | None) -> Reply:
        rec = self._find(books, coll, rid)
        if rec is None:
            return self.not_found()
        rec = dict(rec)
        id_field = ID_FIELDS[coll]
        atts: list[dict] = list(rec.get("_attachments", []))
        base = f"{call.origin}/api.xro/2.0/{coll}/{rec[id_field]}/Attachments"

        def public(a: dict) -> dict:
            out = {k: v for k, v in a.items() if not k.startswith("_")}
            out["Url"] = f"{base}/{quote(a['FileName'])}"
            return out

        if name is None:
            if call.method != "GET":
                return self._method_not_allowed()
            return Reply(200, self.envelope(call, books, "Attachments", [public(a) for a in atts]))
        match = next((a for a in atts if a["AttachmentID"] == name.lower() or a["FileName"] == name), None)
        if call.method == "GET":
            if match is None:
                return self.not_found()
            blob = books.store.get(books.tenant, "_blobs", match["AttachmentID"]) or {"b64": ""}
            content_type = call.headers.get("contenttype") or match["MimeType"]
            return Reply(200, base64.b64decode(blob["b64"]),
                         {"content-type": content_type,
                          "content-disposition": f"attachment; filename={match['FileName']}"})
        if call.method not in ("PUT", "POST"):
            return self._method_not_allowed()
        data = call.body
        errors = []
        if not data:
            errors.append("The attachment body is empty")
        if len(data) > self.cfg.attachment_max_bytes:
            errors.append(f"The file is {len(data)} bytes; the maximum attachment size is "
                          f"{self.cfg.attachment_max_bytes} bytes")
        if call.method == "PUT" and match is not None:
            errors.append(f"An attachment named '{name}' already exists on this document; POST replaces it")
        if match is None and len(atts) >= self.cfg.attachments_per_document:
            errors.append(f"A document can have at most {self.cfg.attachments_per_document} attachments")
        if errors:
            return Reply(400, validation_error([{"FileName": name, "ValidationErrors": [{"Message": m}
                                                                                         for m in errors]}]))
        mime = (call.headers.get("content-type") or "").split(";")[0].strip()
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        att = dict(match) if match else {"AttachmentID": new_id(), "FileName": name}
        att.update(MimeType=mime, ContentLength=len(data))
        include_online = call.query.get("includeonline")
        if include_online is not None and coll in ("Invoices", "CreditNotes") and rec["Type"] in ("ACCREC",
                                                                                                 "ACCRECCREDIT"):
            att["IncludeOnline"] = truthy(include_online)
        books.store.put(books.tenant, "_blobs", att["AttachmentID"], {"b64": base64.b64encode(data).decode()})
        rec["_attachments"] = [att if a is match else a for a in atts] if match else [*atts, att]
        books.save(coll, rec[id_field], rec, created=False, touch=False)
        return Reply(200, self.envelope(call, books, "Attachments", [public(att)]), writes=["Attachments"])


def _sort_key(v: Any) -> tuple:
    return (v is None, v if v is not None else 0) if not isinstance(v, str) else (False, v.lower())


def _pdf(title: str) -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            + f"% {title}\n".encode() + b"trailer<</Root 1 0 R>>\n%%EOF\n")
