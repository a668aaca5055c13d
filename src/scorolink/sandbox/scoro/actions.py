"""Module-specific behaviour: special actions (reference section 3) and per-module write rules."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from . import api as core
from .api import (
    AFTER_SAVE,
    MODIFY_HOOKS,
    SPECIAL,
    Api,
    ApiError,
    Call,
    as_int,
    check_duration,
    ok,
    soft_delete,
)
from .generate import file_content
from .modules import COMMENT_MODULES, MODULES, PDF_MODULES

MAX_CHUNK_CHARS = 5_000_000
TAG = re.compile(r"<[^>]+>")


# -- auth and accounts ------------------------------------------------------------------------------------
def user_settings(api: Api, call: Call, user: dict) -> dict:
    site = call.site
    return {"user_id": user["id"], "master_company_account": site.accounts[0], "first_day_of_week": "1",
            "timezone": user.get("timezone") or site.timezone, "locale_clock": "24", "locale_date": "dd.mm.yyyy",
            "locale_number": {"thousandSeparator": " ", "decimalSeparator": ","},
            "company_accounts": [{"account_id": a, "account_name": account_name(site.name, a)} for a in site.accounts]}


def account_name(site: str, account: str) -> str:
    return f"{site.capitalize()} {'Finland Oy' if account.endswith('_fi') else 'OÜ'}"


def user_auth(api: Api, call: Call) -> dict:
    body, site = call.body, call.site
    username, password = body.get("username"), body.get("password")
    if not username or not password:
        raise ApiError(401, "username and password are required")
    match = next((u for u in site.users if u["username"] == username and u["password"] == password), None)
    if match is None:
        raise ApiError(401, "Invalid username or password")
    account = body.get("company_account_id")
    if account and str(account) not in site.accounts:
        raise ApiError(403, f"No access to company account '{account}'")
    user = api.store.get(site.name, "users", match["user_id"])
    if not user or user.get("status") != "active":
        raise ApiError(401, "User is not active")
    n = api.store.next_id(site.name, "tokens")
    token = hashlib.sha256(f"{api.config.seed}:{site.name}:{user['id']}:{body.get('device_id')}:{n}".encode()).hexdigest()
    api.store.add_token(token, site.name, user["id"])
    return ok({"token": token, "settings": user_settings(api, call, user)})


def company_accounts(api: Api, call: Call) -> dict:
    site = call.site
    out = []
    for n, account in enumerate(site.accounts):
        fi = account.endswith("_fi")
        out.append({
            "id": account, "company_name": account_name(site.name, account), "alternative_name": "",
            "address": [{"country": "FIN" if fi else "EST", "county": "", "municipality": "Helsinki" if fi else "Tallinn",
                         "city": "Helsinki" if fi else "Tallinn", "street": f"Main street {n + 1}",
                         "zipcode": "00100" if fi else "10111"}],
            "email": f"office@{account}.example", "website": f"www.{account}.example", "phone": "+372 600 0000",
            "fax": "", "reg_no": f"1{n}000000", "vat_no": f"{'FI' if fi else 'EE'}10{n}000000", "site_version": "sandbox",
            "base_currency": "EUR", "active_currencies": ["EUR", "USD", "GBP", "SEK"], "language": "eng",
            "active_entities": [{"entity_id": a, "entity_name": account_name(site.name, a)} for a in site.accounts],
        })
    return ok(out)


def users_settings(api: Api, call: Call) -> dict:
    return ok(user_settings(api, call, api.get_row(call, "users", call.rid)))


# -- tasks, time entries, calendar ------------------------------------------------------------------------
def set_done(api: Api, call: Call) -> dict:
    row = api.get_row(call, call.module, call.rid)
    when = call.request.get("completed_datetime") if isinstance(call.request, dict) else None
    stamp = when or call.site.tf.iso(api.clock.now())
    if call.module == "tasks":
        row.update({"is_completed": 1, "datetime_completed": stamp})
    else:
        row.update({"is_completed": 1, "completed_datetime": stamp})
    api.save(call, call.module, row, creating=False)
    return ok(string_code=True, with_data=False)


def time_entry_rules(api: Api, call: Call, row: dict, req: dict, creating: bool) -> None:
    for name in ("duration", "billable_duration"):
        check_duration(name, req.get(name))
    if not creating and row.get("event_type") == "cal" and set(req) - {"invoice_line_id", "return_data"}:
        raise ApiError(400, "Only invoice_line_id can be modified on time entries of calendar events")
    if creating:
        if req.get("event_id") in (None, "", 0, "0"):
            raise ApiError(400, "event_id is required")
        if req.get("user_id") in (None, "", 0, "0"):
            if call.user is None:
                raise ApiError(400, "user_id is required")
            row["user_id"] = call.user["id"]
    event = as_int(row["event_id"])
    if event is None:
        raise ApiError(400, "event_id must be an integer")
    if api.store.exists(call.site.name, "tasks", event):
        kind = "task"
    elif api.store.exists(call.site.name, "calendar", event):
        kind = "cal"
    else:
        raise ApiError(400, f"event_id: event {event} does not exist")
    row["event_id"], row["event_type"], row["time_entry_type"] = event, kind, kind
    start = call.site.tf.parse(row["start_datetime"]) if row.get("start_datetime") else None
    if start is not None:
        row["start_datetime"] = call.site.tf.iso(start)
        if not req.get("time_entry_date"):
            row["time_entry_date"] = call.site.tf.date(start)
        if row.get("duration") and not req.get("end_datetime"):
            h, m, s = (int(x) for x in row["duration"].split(":"))
            row["end_datetime"] = call.site.tf.iso(start + h * 3600 + m * 60 + s)
    if not row.get("time_entry_date"):
        row["time_entry_date"] = call.site.tf.date(api.clock.now())
    if row.get("is_completed") and not row.get("completed_datetime"):
        row["completed_datetime"] = call.site.tf.iso(api.clock.now())
    row["title"] = row.get("description") or row.get("title") or ""


def task_rules(api: Api, call: Call, row: dict, req: dict, creating: bool) -> None:
    if creating and as_int(req.get("parent_id")):
        parent = api.get_row(call, "tasks", req["parent_id"])
        for name in ("project_id", "project_phase_id", "person_id", "company_id", "quote_id", "quote_line_id", "is_personal"):
            row[name] = parent.get(name)
        api.derive_names(call, row, "tasks")
    elif not creating and "parent_id" in req:
        raise ApiError(400, "parent_id cannot be changed")
    if "related_users" in req:
        users = [as_int(u) for u in req["related_users"] or []]
        row["related_users"] = users
        row["related_users_emails"] = [api.store.get(call.site.name, "users", u)["email"] for u in users]  # type: ignore[index, arg-type]
    for name in ("start_datetime", "datetime_due", "datetime_completed"):
        if req.get(name):
            ts = call.site.tf.parse(req[name])
            if ts is None:
                raise ApiError(400, f"{name} must be a datetime (Y-m-d\\TH:i:sP)")
            row[name] = call.site.tf.iso(ts)


def task_after_save(api: Api, call: Call, row: dict, req: dict) -> None:
    parent_id = as_int(row.get("parent_id"))
    if parent_id:
        parent = api.store.get(call.site.name, "tasks", parent_id)
        if parent and row["event_id"] not in parent["subtask_ids"]:
            parent["subtask_ids"].append(row["event_id"])
            api.save(call, "tasks", parent, creating=False)


def calendar_rules(api: Api, call: Call, row: dict, req: dict, creating: bool) -> None:
    for name in ("start_datetime", "end_datetime"):
        if req.get(name):
            ts = call.site.tf.parse(req[name])
            if ts is None:
                raise ApiError(400, f"{name} must be a datetime (Y-m-d\\TH:i:sP)")
            row[name] = call.site.tf.iso(ts)
    if "cal_user" in req:
        row["cal_user"] = [as_int(u.get("id") if isinstance(u, dict) else u) for u in req["cal_user"] or []]


def batch_modify(api: Api, call: Call) -> dict:
    items = call.request if isinstance(call.request, list) else (call.request or {}).get("events")
    if not isinstance(items, list):
        raise ApiError(400, "request must be an array of calendar events")
    results = []
    for item in items:
        if not isinstance(item, dict):
            results.append({"object": None, "action": "create", "errors": ["event must be an object"]})
            continue
        rid = as_int(item.get("event_id")) or 0
        sub = Call(call.site, "calendar", "modify", str(rid), {**call.body, "request": item, "return_data": 1},
                   call.origin, call.user, item)
        status, env = api.handle_authenticated(sub)
        failed = env["status"] != "OK"
        results.append({"object": None if failed else env["data"], "action": "modify" if rid else "create",
                        "errors": env["messages"]["error"] if failed else []})
    return ok(results)


# -- time offs --------------------------------------------------------------------------------------------
TIME_OFF_TYPES = ("vacation", "sick_leave", "other")


def time_off_rules(api: Api, call: Call, row: dict, req: dict, creating: bool) -> None:
    """The module is undocumented (reference: [?]); its `type` is an enumeration (Skyvia's UsersDatesType),
    so, as Scoro does for its other enumerations (a contact's type), an unknown type is refused."""
    if row.get("type") not in TIME_OFF_TYPES:
        raise ApiError(400, f"type: '{row.get('type')}' is not a time off type ({', '.join(TIME_OFF_TYPES)})")


# -- contacts and projects --------------------------------------------------------------------------------
def contact_rules(api: Api, call: Call, row: dict, req: dict, creating: bool) -> None:
    if creating and not req.get("contact_type"):
        row["contact_type"] = "company"
    if row["contact_type"] not in ("company", "person"):
        raise ApiError(400, "contact_type must be company or person")
    if isinstance(req.get("means_of_contact"), dict):
        stored = api.store.get(call.site.name, "contacts", row["contact_id"]) if not creating else None
        moc: dict[str, Any] = {k: [] for k in ("mobile", "phone", "email", "email_for_invoice", "website", "skype", "fax")}
        moc.update((stored or {}).get("means_of_contact") or {})
        for k, v in req["means_of_contact"].items():
            moc[k] = v if isinstance(v, list) else [v]
        row["means_of_contact"] = moc
    if isinstance(req.get("addresses"), list):
        row["addresses"] = [{"address_id": a.get("address_id") or 0, "country": "", "county": "", "municipality": "",
                             "city": "", "street": "", "zipcode": "", "full_address": "", **a}
                            for a in req["addresses"] if isinstance(a, dict)]
    if "tags" in req:
        row["tags"] = [str(t) for t in req["tags"] or []]


def contact_after_save(api: Api, call: Call, row: dict, req: dict) -> None:
    changed = False
    for k, a in enumerate(row.get("addresses") or []):
        if not a.get("address_id"):
            a["address_id"] = row["contact_id"] * 10 + k
            changed = True
        a["full_address"] = ", ".join(x for x in (a.get("street"), f"{a.get('zipcode', '')} {a.get('city', '')}".strip(),
                                                  a.get("country")) if x)
    if changed:
        api.save(call, "contacts", row, creating=False)


def project_rules(api: Api, call: Call, row: dict, req: dict, creating: bool) -> None:
    if not creating:
        stored = api.store.get(call.site.name, "projects", row["project_id"]) or {}
        for name in ("budget_type", "project_type"):
            if name in req and req[name] != stored.get(name):
                raise ApiError(400, f"{name} cannot be modified")
    if row.get("deadline") in ("", None):
        row["deadline"] = "0000-00-00"
    if "project_users" in req:
        row["project_users"] = [{"user_id": as_int(u.get("user_id") if isinstance(u, dict) else u)}
                                for u in req["project_users"] or []]
    if "phases" in req and not isinstance(req["phases"], list):
        raise ApiError(400, "phases must be an array")
    for n, phase in enumerate(req.get("phases") or []):
        if not isinstance(phase, dict) or phase.get("type", "phase") not in ("phase", "milestone"):
            raise ApiError(400, f"phases[{n}].type must be phase or milestone")


def project_after_save(api: Api, call: Call, row: dict, req: dict) -> None:
    """Phases are written through projects/modify; a phase with an id updates it, one without is created.
    Phases left out are kept (the reference does not say they are removed)."""
    site = call.site.name
    for n, phase in enumerate(req.get("phases") or []):
        pid = as_int(phase.get("id"))
        current = api.store.get(site, "projectPhases", pid) if pid else None
        if pid and (current is None or current["project_id"] != row["project_id"]):
            raise ApiError(400, f"phases[{n}].id: phase {pid} does not belong to project {row['project_id']}")
        target = current or {"id": api.store.next_id(site, "projectPhases"), "project_id": row["project_id"],
                             "type": "phase", "title": "", "start_date": None, "end_date": None, "ordering": n + 1,
                             "quote_line_id": 0}
        for k in ("type", "title", "start_date", "end_date", "ordering", "quote_line_id"):
            if k in phase:
                target[k] = phase[k]
        api.save(call, "projectPhases", target, creating=current is None)


def related_objects(api: Api, call: Call) -> dict:
    site, module = call.site.name, call.module
    row = api.get_row(call, module, call.rid)
    rid = int(row[call.spec.key])
    fields = ("company_id", "person_id") if module == "contacts" else ("project_id",)
    keys = ["tasks", "calendar", "projects", "invoices", "prepayments", "bills", "quotes", "orders", "files"] \
        if module == "contacts" else ["tasks", "calendar", "invoices", "prepayments", "bills", "quotes", "orders", "files"]
    out: dict[str, Any] = {}
    for target in keys:
        if target == "files":
            items = api.store.find_in_list(site, "files", f"$.relations.{module}", rid, 100)
        elif target == "projects":
            items = api.store.find(site, "projects", "company_id", rid, 100)
        else:
            items = [r for f in fields for r in api.store.find(site, target, f, rid, 100)]
        totals: list = []
        if items and "sum" in items[0]:
            by_cur: dict[str, float] = {}
            for it in items:
                by_cur[it.get("currency", "EUR")] = round(by_cur.get(it.get("currency", "EUR"), 0) + float(it.get("sum") or 0), 2)
            totals = [{"currency": c, "sum": s} for c, s in by_cur.items()]
        out[target] = {"items": [api.render(call, target, it, full=False) for it in items], "totals": totals}
    if module == "projects":
        cid = row.get("company_id")
        company = api.store.get(site, "contacts", cid) if cid else None
        out["companies"] = {"items": [api.render(call, "contacts", company, full=False)] if company else [], "totals": []}
        people = [p for p in api.store.find(site, "contacts", "contact_type", "person", 200)
                  if any(rc.get("related_company_id") == cid for rc in p.get("related_companies") or [])][:100]
        out["contacts"] = {"items": [api.render(call, "contacts", p, full=False) for p in people], "totals": []}
        out["budgets"] = {"items": [], "totals": []}
    return ok(out)


# -- documents ----------------------------------------------------------------------------------------------
def pdf(api: Api, call: Call) -> dict:
    row = api.get_row(call, call.module, call.rid)
    templates = [t for t in api.store.scan(call.site.name, "pdfTemplates") if t["type"] == call.module]
    return ok({"template_id": templates[0]["id"] if templates else 1,
               "datetime_created": call.site.tf.sql(api.clock.now()),
               "pdf_link": f"{call.origin}/_sandbox/pdf/{call.site.name}/{call.module}/{row['id']}.pdf"})


# -- comments -----------------------------------------------------------------------------------------------
def _comment_target(call: Call) -> tuple[str, Any]:
    req = call.request if isinstance(call.request, dict) else {}
    flt = call.body.get("filter") if isinstance(call.body.get("filter"), dict) else {}
    return req.get("module") or flt.get("module"), req.get("object_id") or flt.get("object_id")  # type: ignore[return-value, union-attr]


def comments_list(api: Api, call: Call) -> dict:
    module, object_id = _comment_target(call)
    if not module:
        raise ApiError(400, "module is required")
    by_module = object_id in (None, "")
    mode = api.config.comments_mode  # what a list without object_id gets (config.py)
    if by_module and mode == "refuse":
        raise ApiError(400, "object_id is required")
    if by_module and mode == "empty":
        return ok([], string_code=True)
    page, per_page, _ = api.paging(call)
    flt = {k: v for k, v in (call.body.get("filter") or {}).items() if k not in ("module", "object_id")} \
        if isinstance(call.body.get("filter"), dict) else {}
    if by_module:
        rows = api.query(call, "comments", flt, (page - 1) * per_page, per_page,
                         include_deleted=call.flag("include_deleted"), scope_prefix=f"{module}:")
    else:
        rows = api.query(call, "comments", flt, (page - 1) * per_page, per_page,
                         include_deleted=call.flag("include_deleted"), scope=f"{module}:{as_int(object_id)}")
    data = [api.render(call, "comments", r, full=True) for r in rows]
    if by_module and mode == "answer":  # a module-wide answer has to say which record each comment is on
        for d, r in zip(data, rows, strict=True):
            d["module"], d["object_id"] = r.get("_module"), r.get("_object_id")
    html = call.body.get("html", call.request.get("html") if isinstance(call.request, dict) else None)
    if html is not None and not core.truthy(html):
        for d in data:
            d["comment"] = TAG.sub("", d["comment"] or "")
    return ok(data, string_code=True)


def comment_rules(api: Api, call: Call, row: dict, req: dict, creating: bool) -> None:
    if not creating:
        return
    module, object_id = req.get("module"), req.get("object_id")
    if not module:
        raise ApiError(400, "module is required")
    if module not in COMMENT_MODULES:
        raise ApiError(400, f"module '{module}' does not take comments")
    if object_id in (None, "", 0, "0"):
        raise ApiError(400, "object_id is required")
    api.check_ref(call, "object_id", object_id, module)
    if req.get("user_id") in (None, "", 0, "0"):
        if call.user is None:
            raise ApiError(400, "user_id is required")
        row["user_id"] = call.user["id"]
    if not req.get("comment"):
        raise ApiError(400, "comment is required")
    parent = as_int(req.get("parent_id")) or 0
    if parent:
        api.get_row(call, "comments", parent)
    row.update({"_module": module, "_object_id": as_int(object_id), "parent_id": parent})


# -- files --------------------------------------------------------------------------------------------------
def files_modify(api: Api, call: Call) -> dict:
    req = call.request if isinstance(call.request, dict) else {}
    if "chunk_data" not in req:
        return core.do_modify(api, call)
    for name in ("size", "name", "chunk_no", "chunks_total"):
        if req.get(name) in (None, ""):
            raise ApiError(400, f"{name} is required")
    chunk_no, total, size = as_int(req["chunk_no"]), as_int(req["chunks_total"]), as_int(req["size"])
    if not chunk_no or not total or chunk_no > total or size is None:
        raise ApiError(400, "chunk_no must be between 1 and chunks_total")
    data = req["chunk_data"]
    if not isinstance(data, str) or len(data) > MAX_CHUNK_CHARS:
        raise ApiError(400, f"chunk_data must be base64 of at most {MAX_CHUNK_CHARS} characters")
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "chunk_data is not valid base64") from None
    site = call.site.name
    key = f"{req['name']}|{size}|{total}|{call.body.get('apiKey') or call.body.get('user_token')}"
    received = api.store.add_chunk(site, key, chunk_no, data)
    if received != list(range(1, total + 1)):
        return ok({"chunk_no": chunk_no, "chunks_total": total, "chunks_received": len(received)})
    content = b"".join(base64.b64decode(c) for c in api.store.take_chunks(site, key))
    if len(content) != size:
        raise ApiError(400, f"size {size} does not match the uploaded {len(content)} bytes")
    uploader = as_int(req.get("uploaded_by")) or (call.user["id"] if call.user else 0)
    if uploader:
        api.check_ref(call, "uploaded_by", uploader, "users")
    fid = api.store.next_id(site, "files")
    row = api.blank(call, "files")
    name = str(req["name"])
    row.update({"file_id": fid, "hash": hashlib.md5(content).hexdigest(), "file_name": name,
                "file_location": f"files/{fid}/{name}", "file_size": str(len(content)), "uploaded_by": uploader,
                "repository": "local", "file_type": "image" if name.lower().endswith((".png", ".jpg", ".gif")) else "other",
                "is_private": int(core.truthy(req.get("is_private"))), "relations": {}, "datetime_accessed": None})
    api.store.put_blob(site, fid, content)
    api.save(call, "files", row, creating=True)
    return api.written(call, "files", row)


def files_download(api: Api, call: Call) -> dict:
    row = api.get_row(call, "files", call.rid)
    content = api.store.get_blob(call.site.name, row["file_id"])
    if content is None:
        content = file_content(api.config.seed, call.site.name, row["file_id"])
    return ok({"file_id": row["file_id"], "file_name": row["file_name"],
               "content": base64.b64encode(content).decode("ascii")})


def files_relation(api: Api, call: Call) -> dict:
    row = api.get_row(call, "files", call.rid)
    req = call.request if isinstance(call.request, dict) else {}
    rel_type, rel_id = req.get("rel_type"), as_int(req.get("rel_id"))
    if not rel_type or rel_type not in MODULES or not MODULES[rel_type].int_key:
        raise ApiError(400, "rel_type must name a module, e.g. projects")
    if not rel_id:
        raise ApiError(400, "rel_id is required")
    api.check_ref(call, "rel_id", rel_id, rel_type)
    relations = row.get("relations") or {}
    ids = relations.setdefault(rel_type, [])
    if call.action == "addRelation" and rel_id not in ids:
        ids.append(rel_id)
    elif call.action == "removeRelation":
        if rel_id not in ids:
            raise ApiError(404, f"file {row['file_id']} is not related to {rel_type} {rel_id}")
        ids.remove(rel_id)
    row["relations"] = {k: v for k, v in relations.items() if v}
    api.save(call, "files", row, creating=False)
    return ok(api.render(call, "files", row, full=True))


# -- relations ----------------------------------------------------------------------------------------------
def _relation_target(api: Api, call: Call) -> tuple[str, int]:
    req = call.request if isinstance(call.request, dict) else {}
    obj, kind = as_int(req.get("object_id")), req.get("type")
    if not obj:
        raise ApiError(400, "object_id is required")
    if not kind or kind not in MODULES:
        raise ApiError(400, "type is required (e.g. contacts)")
    return kind, obj


def _relation_row(api: Api, call: Call, kind: str, obj: int) -> dict | None:
    rows = list(api.store.scan(call.site.name, "relations", scope=f"{kind}:{obj}"))
    return rows[0] if rows else None


def relations_list(api: Api, call: Call) -> dict:
    kind, obj = _relation_target(api, call)
    row = _relation_row(api, call, kind, obj)
    return ok([{k: v for k, v in row.items() if not k.startswith("_")}] if row else [])


def relations_modify(api: Api, call: Call) -> dict:
    """An upsert: given related objects are added or updated by id, others are kept."""
    kind, obj = _relation_target(api, call)
    api.check_ref(call, "object_id", obj, kind)
    given = call.request.get("related_objects") or []
    if not isinstance(given, list):
        raise ApiError(400, "related_objects must be an array")
    row = _relation_row(api, call, kind, obj) or {"_rid": api.store.next_id(call.site.name, "relations"),
                                                  "object_id": obj, "type": kind, "related_objects": []}
    current = {r["id"]: r for r in row["related_objects"]}
    for item in given:
        item = item if isinstance(item, dict) else {"id": item}
        rid = as_int(item.get("id"))
        if not rid:
            raise ApiError(400, "related_objects[].id is required")
        api.check_ref(call, "related_objects[].id", rid, kind)
        entry = current.setdefault(rid, {"id": rid, "relation": "", "comment": "", "is_default": 0})
        for k in ("relation", "comment", "is_default"):
            if k in item:
                entry[k] = int(core.truthy(item[k])) if k == "is_default" else item[k]
    row["related_objects"] = sorted(current.values(), key=lambda r: r["id"])
    _save_relation(api, call, row)
    return ok({k: v for k, v in row.items() if not k.startswith("_")})


def relations_delete(api: Api, call: Call) -> dict:
    api.can_delete(call)
    kind, obj = _relation_target(api, call)
    row = _relation_row(api, call, kind, obj)
    drop = {as_int(x.get("id") if isinstance(x, dict) else x) for x in call.request.get("related_objects") or []}
    if row is None:
        raise ApiError(404, f"No relations for {kind} {obj}")
    row["related_objects"] = [r for r in row["related_objects"] if r["id"] not in drop] if drop else []
    _save_relation(api, call, row)
    return ok(string_code=True, with_data=False)


def _save_relation(api: Api, call: Call, row: dict) -> None:
    api.store.put(call.site.name, "relations", row["_rid"], row, f"{row['type']}:{row['object_id']}", api.clock.now())


# -- labor cost, webhooks, lookups --------------------------------------------------------------------------
def labor_cost_modify(api: Api, call: Call) -> dict:
    """Upserts the given dates of one user's labor cost."""
    req = call.request if isinstance(call.request, dict) else {}
    uid = as_int(call.rid) or as_int(req.get("user_id"))
    if not uid:
        raise ApiError(400, "user_id is required")
    api.check_ref(call, "user_id", uid, "users")
    items = req.get("labor_cost")
    if not isinstance(items, list) or not items:
        raise ApiError(400, "labor_cost must be a non-empty array of {date, hour_cost}")
    row = api.store.get(call.site.name, "usersLaborCost", uid) or {"user_id": uid, "labor_cost": []}
    by_date = {c["date"]: c for c in row["labor_cost"]}
    for item in items:
        if not isinstance(item, dict) or not re.match(r"^\d{4}-\d{2}-\d{2}$", str(item.get("date", ""))):
            raise ApiError(400, "labor_cost[].date must be YYYY-mm-dd")
        try:
            by_date[item["date"]] = {"date": item["date"], "hour_cost": float(item.get("hour_cost"))}  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ApiError(400, "labor_cost[].hour_cost must be a number") from None
    row["labor_cost"] = [by_date[d] for d in sorted(by_date)]
    api.save(call, "usersLaborCost", row, creating=False)
    return api.written(call, "usersLaborCost", row)


def webhook_subscribe(api: Api, call: Call) -> dict:
    req = call.request if isinstance(call.request, dict) else {}
    url = str(req.get("url") or "")
    if not re.match(r"^https?://[A-Za-z0-9.-]+(:\d+)?(/|$)", url):
        raise ApiError(400, "url must be an http(s) URL with a valid domain")
    if req.get("module") not in MODULES:
        raise ApiError(400, "module is required")
    row = api.blank(call, "webhooks")
    for k in ("module", "fields", "action", "relation_type", "owners", "actors", "bookmark_id", "url"):
        if k in req:
            row[k] = req[k]
    row["status"] = int(core.truthy(req.get("status", True)))
    row["id"] = api.store.next_id(call.site.name, "webhooks")
    api.save(call, "webhooks", row, creating=True)
    return ok(api.render(call, "webhooks", row, full=True))


def webhook_unsubscribe(api: Api, call: Call) -> dict:
    row = api.get_row(call, "webhooks", call.rid)
    soft_delete(api, call, "webhooks", row)
    return ok(string_code=True, with_data=False)


def addresses_list(api: Api, call: Call) -> dict:
    """Lookup lists of address values in use (shape not documented: one object of value arrays)."""
    seen: dict[str, set] = {k: set() for k in ("countries", "counties", "municipalities", "cities", "streets", "zipcodes")}
    for n, contact in enumerate(api.store.scan(call.site.name, "contacts")):
        if n > 2000:
            break
        for a in contact.get("addresses") or []:
            for key, name in (("countries", "country"), ("counties", "county"), ("municipalities", "municipality"),
                              ("cities", "city"), ("streets", "street"), ("zipcodes", "zipcode")):
                if a.get(name):
                    seen[key].add(a[name])
    return ok({k: sorted(v) for k, v in seen.items()})


def search(api: Api, call: Call) -> dict:
    req = call.request if isinstance(call.request, dict) else {}
    phrase = str(req.get("search_phrase") or "").strip().lower()
    if not phrase:
        raise ApiError(400, "search_phrase is required")
    wanted = req.get("modules") or ["contacts", "projects", "tasks"]
    name_of = {"contacts": "search_name", "projects": "project_name", "tasks": "event_name", "products": "name",
               "calendar": "event_name"}
    out = []
    for module in wanted:
        field = name_of.get(module)
        if not field:
            continue
        for row in api.store.scan(call.site.name, module):
            if phrase in str(row.get(field, "")).lower():
                out.append({"module": module, "id": row[MODULES[module].key], "name": row.get(field)})
                if len(out) >= 100:
                    return ok(out)
    return ok(out)


SPECIAL.update({
    ("userAuth", "modify"): user_auth,
    ("companyAccount", "list"): company_accounts,
    ("users", "settings"): users_settings,
    ("tasks", "setDone"): set_done,
    ("timeEntries", "setDone"): set_done,
    ("calendar", "batchModify"): batch_modify,
    ("contacts", "getRelatedObjects"): related_objects,
    ("projects", "getRelatedObjects"): related_objects,
    ("comments", "list"): comments_list,
    ("files", "modify"): files_modify,
    ("files", "download"): files_download,
    ("files", "addRelation"): files_relation,
    ("files", "removeRelation"): files_relation,
    ("relations", "list"): relations_list,
    ("relations", "modify"): relations_modify,
    ("relations", "delete"): relations_delete,
    ("usersLaborCost", "modify"): labor_cost_modify,
    ("webhooks", "subscribe"): webhook_subscribe,
    ("webhooks", "unsubscribe"): webhook_unsubscribe,
    ("addresses", "list"): addresses_list,
    ("search", "list"): search,
    **{(m, "pdf"): pdf for m in PDF_MODULES},
})
MODIFY_HOOKS.update({"timeEntries": time_entry_rules, "tasks": task_rules, "calendar": calendar_rules,
                     "contacts": contact_rules, "projects": project_rules, "comments": comment_rules,
                     "timeOffs": time_off_rules})
AFTER_SAVE.update({"tasks": task_after_save, "contacts": contact_after_save, "projects": project_after_save})
