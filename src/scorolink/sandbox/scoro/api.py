"""Scoro API v2 semantics over the store: auth, envelopes, lists, views, writes and deletes.

Special actions (files, relations, comments, pdf, ...) live in actions.py and register in ``SPECIAL``.
"""

from __future__ import annotations

import contextlib
import copy
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..common import Clock
from . import customfields, filters
from .config import SandboxConfig
from .generate import GENERATORS, STATUS_NAME, Ctx
from .generate import scope_of as _scope_of
from .modules import COMMENT_MODULES, DELETE, LIST, MODIFY, MODULES, VIEW, VIRTUAL, Module, boolean_field
from .sites import Site
from .store import Store

READ_ACTIONS = frozenset({"list", "view", "download", "pdf", "getRelatedObjects", "settings"})
DURATION = re.compile(r"^\d{2,}:[0-5]\d:[0-5]\d$")
ALWAYS_READONLY = {"created_date", "modified_date", "deleted_date", "is_deleted", "permissions", "custom_fields"}
NAME_OF = {  # id field -> (module, field filled from it, how)
    "company_id": ("contacts", "company_name"), "person_id": ("contacts", "person_name"),
    "project_id": ("projects", "project_name"), "owner_id": ("users", "owner_email"),
    "manager_id": ("users", "manager_email"), "cat_id": ("categories", "cat_name"),
}


class ApiError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Call:
    site: Site
    module: str
    action: str
    rid: str | None
    body: dict
    origin: str = ""                  # scheme://host of the request, for absolute URLs
    user: dict | None = None          # the token's user; None with an API key
    request: dict = field(default_factory=dict)

    @property
    def spec(self) -> Module:
        return MODULES[self.module]

    def flag(self, name: str) -> bool:
        """A request option accepted both top-level and inside ``request`` ("1", 1, true)."""
        value = self.body.get(name, self.request.get(name) if isinstance(self.request, dict) else None)
        return truthy(value)


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def ok(data: Any = None, *, string_code: bool = False, with_data: bool = True) -> dict:
    env: dict = {"status": "OK", "statusCode": "200" if string_code else 200, "messages": None}
    if with_data:
        env["data"] = data
    return env


def error(code: int, message: str) -> dict:
    return {"status": "ERROR", "statusCode": code, "messages": {"error": [message]}}


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


class Api:
    def __init__(self, config: SandboxConfig, store: Store, clock: Clock, sites: dict[str, Site]) -> None:
        self.config, self.store, self.clock, self.sites = config, store, clock, sites
        self._blanks: dict[str, dict] = {}
        self._line_blanks: dict[str, dict] = {}
        self._last_purge = 0.0
        self._write_lock = threading.RLock()

    # -- entry point --------------------------------------------------------------------------------------
    def handle(self, call: Call) -> tuple[int, dict]:
        """Returns (HTTP status, envelope)."""
        try:
            spec = MODULES.get(call.module)
            if spec is None:
                raise ApiError(404, f"Unknown module '{call.module}'")
            if call.action not in spec.actions:
                hint = " (the module is read-only)" if call.action in (MODIFY, DELETE) else ""
                raise ApiError(404, f"Unknown action '{call.action}' for module '{call.module}'{hint}")
            req = call.body.get("request")
            call.request = req if isinstance(req, (dict, list)) else {}  # type: ignore[assignment]
            if call.module != "userAuth":
                self.authenticate(call)
            self.maybe_purge()
        except ApiError as exc:
            return self.failure(exc)
        return self.handle_authenticated(call)

    def handle_authenticated(self, call: Call) -> tuple[int, dict]:
        handler = SPECIAL.get((call.module, call.action)) or GENERIC[call.action]
        # Writes read, change and save a row; one at a time so concurrent requests cannot lose updates.
        guard = self._write_lock if call.action not in READ_ACTIONS else contextlib.nullcontext()
        try:
            with guard:
                return 200, handler(self, call)
        except ApiError as exc:
            return self.failure(exc)

    def failure(self, exc: ApiError) -> tuple[int, dict]:
        status = self.config.validation_http_status if exc.code == 400 else exc.code
        return status, error(exc.code, exc.message)

    def authenticate(self, call: Call) -> None:
        body, site = call.body, call.site
        key, token = body.get("apiKey"), body.get("user_token")
        if key and token:
            raise ApiError(401, "Send either apiKey or user_token, not both")
        if key:
            if key != site.api_key:
                raise ApiError(401, "Invalid API key")
        elif token:
            owner = self.store.token_user(str(token))
            if not owner or owner[0] != site.name:
                raise ApiError(401, "Invalid or expired user token")
            call.user = self.store.get(site.name, "users", owner[1])
            if not call.user or call.user.get("status") != "active":
                raise ApiError(401, "User is not active")
        else:
            raise ApiError(401, "Authentication failed: apiKey or user_token is required")
        account = body.get("company_account_id")
        if not account or str(account) not in site.accounts:
            raise ApiError(403, f"No access to company account '{account or ''}'")

    def maybe_purge(self) -> None:
        now = self.clock.now()
        if now - self._last_purge > 60:
            self._last_purge = now
            self.store.purge_deleted(now - self.config.deleted_retention_days * 86400)

    # -- reading ------------------------------------------------------------------------------------------
    def paging(self, call: Call) -> tuple[int, int, bool]:
        detailed = truthy(call.body.get("detailed_response"))
        page = max(1, as_int(call.body.get("page")) or 1)
        per_page = as_int(call.body.get("per_page")) or 50
        cap = self.config.detailed_page_cap if detailed else 100
        return page, max(1, min(per_page, cap, 100)), detailed

    def custom_values(self, module: str, row: dict) -> dict:
        values = row.get("_cf") or {}
        return {d["id"]: values.get(d["id"]) for d in customfields.for_module(module)}

    def query(self, call: Call, module: str, flt: dict, offset: int, limit: int, *, include_deleted: bool,
              scope: Any = Ellipsis, scope_prefix: str | None = None) -> list[dict]:
        """Matching stored rows in id order. Unfiltered pages go straight to SQLite's id index."""
        spec, site = MODULES[module], call.site.name
        flt = dict(flt)
        if module in self.config.ignore_modified_filter:
            flt.pop("modified_date", None)
        if module == "users" and "category" not in flt:
            flt["category"] = ["user", "admin"]  # the default users list leaves out customer-portal users
        modified = None
        mod_cond = flt.get("modified_date")
        if isinstance(mod_cond, dict) and mod_cond.keys() & filters.RANGE_KEYS:
            tf = call.site.tf
            lo, hi = mod_cond.get("from_date"), mod_cond.get("to_date")
            try:
                modified = (tf.day_start_ts(lo) if lo else None, tf.next_day_start_ts(hi) if hi else None)
            except ValueError:
                raise ApiError(400, "modified_date: invalid date in filter") from None
        rid = as_int(flt.get(spec.key)) if spec.int_key and not isinstance(flt.get(spec.key), (dict, list)) else None
        if spec.key in flt and spec.int_key and rid is None and not isinstance(flt[spec.key], (dict, list)):
            return []
        pushed = {"modified_date"} if modified else set()
        if rid is not None:
            pushed.add(spec.key)
        rest = {k: v for k, v in flt.items() if k not in pushed}
        if not rest:
            return self.store.page(site, module, offset, limit, include_deleted, scope, modified, rid, scope_prefix)
        has_cf = module in customfields.MODULES_WITH_CF
        out: list[dict] = []
        skipped = 0
        for row in self.store.scan(site, module, include_deleted, scope, modified, rid, filters.literals(rest),
                                   scope_prefix):
            if filters.matches(row, rest, self.custom_values(module, row) if has_cf else None):
                if skipped < offset:
                    skipped += 1
                    continue
                out.append(row)
                if len(out) >= limit:
                    break
        return out

    def get_row(self, call: Call, module: str, rid: Any, *, include_deleted: bool = False) -> dict:
        rid_int = as_int(rid)
        row = self.store.get(call.site.name, module, rid_int) if rid_int else None
        if row is None or (row.get("is_deleted") and not include_deleted):
            raise ApiError(404, f"{MODULES[module].key} {rid} not found")
        return row

    def render(self, call: Call, module: str, row: dict, *, full: bool, basic: bool = False) -> dict:
        """A stored row as the API shows it: view-only parts filled on view/detailed, nulled on plain lists."""
        spec = MODULES[module]
        out = {k: v for k, v in row.items() if not k.startswith("_")}
        if module in customfields.MODULES_WITH_CF:
            out["custom_fields"] = customfields.render(module, row.get("_cf") or {}) if full else None
        if full:
            self._fill_view(call, module, out)
        else:
            for name in spec.view_only:
                if name in out and name != "custom_fields":
                    out[name] = None
        if out.get("contact_picture"):
            out["contact_picture"] = call.origin + out["contact_picture"]
        if spec.permissions:
            out["permissions"] = self.permissions(call)
        if call.user is None:
            for name in spec.user_only:
                if name in out:
                    out[name] = None
        if basic and spec.basic:
            out = {k: out.get(k) for k in spec.basic}
        return out

    def permissions(self, call: Call) -> dict | None:
        if call.user is None:
            return None
        return {"view": 1, "modify": 1, "delete": int(call.user.get("category") == "admin")}

    def _fill_view(self, call: Call, module: str, out: dict) -> None:
        site = call.site.name
        if module == "projects":
            out["phases"] = [
                {k: v for k, v in p.items() if not k.startswith("_")}
                for p in self.store.scan(site, "projectPhases", scope=str(out["project_id"]))
            ]
            out["status_name"] = STATUS_NAME.get(out.get("status"), out.get("status_name"))  # type: ignore[arg-type]
        elif module == "tasks":
            out["time_entries"] = [self.render(call, "timeEntries", t, full=False)
                                   for t in self.store.scan(site, "timeEntries", scope=str(out["event_id"]))]
        elif module == "calendar":
            users = []
            for uid in out.get("cal_user") or []:
                u = self.store.get(site, "users", uid) if isinstance(uid, int) else None
                if u:
                    users.append({k: u.get(k) for k in ("id", "username", "firstname", "lastname", "full_name",
                                                        "email", "user_groups_ids")})
            out["cal_user"] = users
            res = []
            for item in out.get("resources") or []:
                r = self.store.get(site, "eventsResources", item.get("resource_id", 0))
                res.append({"resource_id": item.get("resource_id"), "resource_name": r and r["resource_name"]})
            out["resources"] = res

    # -- writing ------------------------------------------------------------------------------------------
    def blank(self, call: Call, module: str) -> dict:
        """An empty row of a module: a generated sample with every value emptied (keeps the field set)."""
        if module not in self._blanks:
            tf = call.site.tf
            ctx = Ctx(0, call.site.name, tf, self.clock.now(), call.site.accounts,
                      ranges={m: (1, 1) for m in MODULES}, fresh=True)
            sample = GENERATORS[module](ctx, random.Random(0), 1, self.clock.now())
            self._blanks[module] = _emptied(sample)
            self._line_blanks[module] = _emptied((sample.get("lines") or [{}])[0]) if "lines" in sample else {}
        return copy.deepcopy(self._blanks[module])

    def now_fields(self, module: str, call: Call) -> tuple[float, Callable[[str], str]]:
        now, spec, tf = self.clock.now(), MODULES[module], call.site.tf
        return now, lambda name: tf.sql(now) if spec.dt_style(name) == "sql" else tf.iso(now)  # type: ignore[return-value]

    def check_ref(self, call: Call, field_name: str, value: Any, target: str) -> None:
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, dict):
                v = v.get("user_id", v.get("id"))
            if v in (None, "", 0, "0"):
                continue
            vid = as_int(v)
            if vid is None:
                raise ApiError(400, f"{field_name} must be an integer")
            if not self.store.exists(call.site.name, target, vid):
                raise ApiError(400, f"{field_name}: {MODULES[target].key} {vid} does not exist")

    def apply(self, call: Call, module: str, row: dict, req: dict, creating: bool) -> None:
        """Validate and copy writable request fields onto ``row``. Unknown fields are ignored silently."""
        spec = MODULES[module]
        if creating:
            for name in spec.required:
                if req.get(name) in (None, ""):
                    raise ApiError(400, f"{name} is required")
        if module == "tasks" and "project_id" in req and req["project_id"] not in (None, "") \
                and as_int(req["project_id"]) is None:
            raise ApiError(400, "project_id must be an integer")
        for name, target in spec.refs.items():
            if name in req:
                self.check_ref(call, name, req[name], target)
        for name, value in req.items():
            if name not in row or name == spec.key or name in ALWAYS_READONLY or name in spec.readonly \
                    or name.startswith("_") or name in ("lines", "phases"):
                continue
            row[name] = coerce(name, value, row[name])
        self.derive_names(call, row, module)

    def derive_names(self, call: Call, row: dict, module: str) -> None:
        """Fill the *_name / *_email fields that mirror an id of another row, as Scoro does."""
        site = call.site.name
        for id_field, (target, name_field) in NAME_OF.items():
            if name_field not in row or id_field not in row or target == module:
                continue
            rid = as_int(row[id_field])
            ref = self.store.get(site, target, rid) if rid else None
            if ref is None:
                row[name_field] = "" if not rid else row[name_field]
                continue
            row[name_field] = {
                "contacts": lambda r: (r["name"] + (" " + r["lastname"] if r.get("lastname") else "")),
                "projects": lambda r: r["project_name"], "users": lambda r: r["email"],
                "categories": lambda r: r["cat_name"],
            }[target](ref)
        if "status_name" in row and row.get("status") in STATUS_NAME:
            row["status_name"] = STATUS_NAME[row["status"]]
        if "search_name" in row:
            row["search_name"] = (row.get("name", "") + " " + row.get("lastname", "")).strip()

    def apply_custom_fields(self, module: str, row: dict, req: dict) -> None:
        items = req.get("custom_fields")
        if items is None:
            return
        if isinstance(items, dict):  # tolerate {"id": value}
            items = [{"id": k, "value": v} for k, v in items.items()]
        if not isinstance(items, list):
            raise ApiError(400, "custom_fields must be an array of {id, value}")
        defs = {d["id"] for d in customfields.for_module(module)}
        values = row.setdefault("_cf", {})
        for item in items:
            cid = item.get("id") if isinstance(item, dict) else None
            if cid not in defs:
                raise ApiError(400, f"Unknown custom field id '{cid}' for module {module}")
            values[cid] = item.get("value")

    def apply_lines(self, call: Call, module: str, row: dict, req: dict) -> None:
        if "lines" not in req or not MODULES[module].has_lines:
            return
        lines = req["lines"]
        if not isinstance(lines, list):
            raise ApiError(400, "lines must be an array")
        old = {ln["id"]: ln for ln in row.get("lines") or []}
        self.blank(call, module)
        line_blank = self._line_blanks[module]
        new = []
        for n, given in enumerate(lines):
            if not isinstance(given, dict):
                raise ApiError(400, f"lines[{n}] must be an object")
            lid = as_int(given.get("id"))
            line = copy.deepcopy(old[lid]) if lid in old else {**copy.deepcopy(line_blank), "id": None}
            for name, target in {"product_id": "products", "vat_code_id": "vatCodes", "doer_id": "users"}.items():
                if name in given:
                    self.check_ref(call, f"lines[{n}].{name}", given[name], target)
            product_id = as_int(given.get("product_id"))
            if product_id and lid not in old:  # a new line starts from its product
                product = self.store.get(call.site.name, "products", product_id) or {}
                for name, source in (("product_name", "name"), ("product_code", "code"), ("comment", "name"),
                                     ("description", "name"), ("price", "price"), ("unit", "unit")):
                    if name in line and source in product:
                        line[name] = product[source]
            for name, value in given.items():
                if name != "id" and name in line:
                    line[name] = coerce(name, value, line[name])
            if line["id"] is None:
                line["id"] = self.store.next_id(call.site.name, "lines")
            qty = line.get("amount", line.get("quantity", 0)) or 0
            if "sum" not in given and "price" in line:
                line["sum"] = round(float(line["price"] or 0) * float(qty) * (1 - float(line.get("discount") or 0) / 100), 2)
            new.append(line)
        row["lines"] = new
        total = round(sum(float(ln.get("sum") or 0) for ln in new), 2)
        row["sum"] = total
        if "vat_sum" in row:
            row["vat_sum"] = round(total * float(row.get("vat") or 0) / 100, 2)
        if "tax_sum" in row:
            row["tax_sum"] = round(total * float(row.get("tax_percentage") or 0) / 100, 2)

    def save(self, call: Call, module: str, row: dict, *, creating: bool) -> dict:
        now, fmt = self.now_fields(module, call)
        if creating and "created_date" in row:
            row["created_date"] = fmt("created_date")
        if "modified_date" in row:
            row["modified_date"] = fmt("modified_date")
        deleted_ts = None
        if row.get("is_deleted"):
            deleted_ts = call.site.tf.parse(row["deleted_date"]) if row.get("deleted_date") else now
        key = MODULES[module].key
        self.store.put(call.site.name, module, int(row[key]), row, scope_of(module, row), now, deleted_ts)
        return row

    def written(self, call: Call, module: str, row: dict) -> dict:
        """The modify answer: the saved object unless return_data is 0."""
        rd = call.body.get("return_data", call.request.get("return_data") if isinstance(call.request, dict) else None)
        if rd is not None and not truthy(rd):
            return ok(with_data=False)
        return ok(self.render(call, module, row, full=True), string_code=MODULES[module].string_status)

    def can_delete(self, call: Call) -> None:
        if call.user is not None and call.user.get("category") != "admin":
            raise ApiError(403, "No rights to delete this object")


def scope_of(module: str, row: dict) -> str | None:
    try:
        return _scope_of(module, row)
    except KeyError:
        return None


def _emptied(value: Any) -> Any:
    if isinstance(value, dict):  # keys that are data (dates, depot ids), not field names, go
        return {k: _emptied(v) for k, v in value.items() if not k[:1].isdigit()}
    if isinstance(value, list):
        return []
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return 0
    if isinstance(value, float):
        return 0.0
    if isinstance(value, str):
        return ""
    return None


def coerce(name: str, value: Any, current: Any) -> Any:
    """Input leniency of the real API: booleans as bool/0/1/"0"/"1", numeric strings for numbers,
    localized dicts ({"eng": "..."}) for text."""
    if boolean_field(name) and not isinstance(value, (list, dict)):
        return int(truthy(value)) if value is not None else 0
    if isinstance(value, dict) and isinstance(current, str) and value:
        return str(value.get("eng") or next(iter(value.values())))
    if isinstance(current, bool) or value is None:
        return value
    if isinstance(current, int) and isinstance(value, str) and as_int(value) is not None:
        return as_int(value)
    if isinstance(current, float) and isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            return value
    return value


# -- generic actions --------------------------------------------------------------------------------------
def do_list(api: Api, call: Call) -> dict:
    spec = call.spec
    if spec.name in VIRTUAL:
        raise ApiError(404, f"Unknown action 'list' for module '{spec.name}'")
    page, per_page, detailed = api.paging(call)
    flt: dict[str, Any] = call.body["filter"] if isinstance(call.body.get("filter"), dict) else {}
    bookmark = call.body.get("bookmark")
    if isinstance(bookmark, dict) and bookmark.get("bookmark_id") not in (None, ""):
        saved = api.get_row(call, "bookmarks", bookmark["bookmark_id"])
        if saved.get("module") == spec.name:  # a saved view narrows its own module's list
            flt = {**saved.get("_filter", {}), **flt}
    scope: Any = Ellipsis
    if spec.name == "tasks" and not call.flag("include_subtasks"):
        scope = None
    rows = api.query(call, spec.name, flt, (page - 1) * per_page, per_page,
                     include_deleted=call.flag("include_deleted"), scope=scope)
    basic = call.flag("basic_data")
    data = [api.render(call, spec.name, r, full=detailed and not basic, basic=basic) for r in rows]
    return ok(data, string_code=spec.string_status)


def do_view(api: Api, call: Call) -> dict:
    row = api.get_row(call, call.module, call.rid, include_deleted=call.flag("include_deleted"))
    return ok(api.render(call, call.module, row, full=True))


def do_modify(api: Api, call: Call) -> dict:
    module, req = call.module, call.request
    if not isinstance(req, dict):
        raise ApiError(400, "request must be an object")
    rid = as_int(call.rid) if call.rid not in (None, "") else 0
    if rid is None:
        raise ApiError(400, f"Invalid id '{call.rid}'")
    creating = rid == 0
    if creating:
        row = api.blank(call, module)
        row.update({k: v for k, v in CREATE_DEFAULTS.get(module, {}).items() if k in row})
        if "currency" in row and not row["currency"]:
            row.update({"currency": "EUR", "currency_rate": 1.0} if "currency_rate" in row else {"currency": "EUR"})
        if "timezone" in row:
            row["timezone"] = call.site.timezone
    else:
        row = api.get_row(call, module, rid)
    api.apply(call, module, row, req, creating)
    hook = MODIFY_HOOKS.get(module)
    if hook:
        hook(api, call, row, req, creating)
    api.apply_custom_fields(module, row, req)
    api.apply_lines(call, module, row, req)
    if creating:
        row[call.spec.key] = rid = api.store.next_id(call.site.name, call.spec.sequence)
        if "account_id" in row and not row["account_id"]:
            row["account_id"] = str(call.body.get("company_account_id"))
        if "no" in row and not row["no"]:  # document and project numbers, as numeric strings
            row["no"] = str((5000 if module == "bills" else 230000) + rid)
        today = call.site.tf.date(api.clock.now())
        if "date" in row and not row["date"]:
            row["date"] = today
    api.save(call, module, row, creating=creating)
    after = AFTER_SAVE.get(module)
    if after:
        after(api, call, row, req)
    return api.written(call, module, row)


def do_delete(api: Api, call: Call) -> dict:
    api.can_delete(call)
    row = api.get_row(call, call.module, call.rid)
    if not call.spec.soft_delete:
        api.store.remove(call.site.name, call.module, int(row[call.spec.key]))
        return ok(string_code=True, with_data=False)
    soft_delete(api, call, call.module, row)
    return ok(string_code=True, with_data=False)


def soft_delete(api: Api, call: Call, module: str, row: dict) -> None:
    now = api.clock.now()
    row["is_deleted"] = 1
    row["deleted_date"] = call.site.tf.iso(now)
    api.save(call, module, row, creating=False)
    if module in COMMENT_MODULES:  # a deleted record's comments are reported deleted with it
        scope = f"{module}:{int(row[MODULES[module].key])}"
        for comment in list(api.store.scan(call.site.name, "comments", scope=scope)):
            soft_delete(api, call, "comments", comment)


# Values a created row starts with (before the request's fields) where an empty value would be invalid.
CREATE_DEFAULTS: dict[str, dict] = {
    "projects": {"status": "inprogress", "project_type": "regular", "budget_type": "simple", "color": "#2196f3",
                 "deadline": "0000-00-00"},
    "tasks": {"status": "task_status1", "priority_id": 2, "billable_time_type": "custom", "parent_id": None},
    "calendar": {"status": "busy"},
    "timeEntries": {"billable_time_type": "custom"},
    "invoices": {"status": "unpaid", "payment_type": "banktransfer", "vat": 22.0, "vat_code_id": 1,
                 "vat_code": "VAT22", "generation_type": "manual"},
    "quotes": {"status": "quote_status1", "vat": 22.0}, "orders": {"status": "pending", "vat": 22.0},
    "prepayments": {"status": "unpaid", "vat": 22.0}, "bills": {"status": "unpaid", "vat": 22.0},
    "purchaseOrders": {"status": "pending", "vat": 22.0}, "scheduledInvoices": {"status": "active", "vat": 22.0},
    "expenses": {"status": "draft", "tax_percentage": 22.0},
    "contacts": {"contact_type": "company"}, "files": {"repository": "local", "file_type": "other"},
    "bookings": {"status": "confirmed"}, "timeOffs": {"type": "vacation"},
}
GENERIC: dict[str, Callable[[Api, Call], dict]] = {LIST: do_list, VIEW: do_view, MODIFY: do_modify, DELETE: do_delete}
# Special actions, registered by actions.py: (module, action) -> handler.
SPECIAL: dict[tuple[str, str], Callable[[Api, Call], dict]] = {}
# Per-module steps inside modify (validation, derived fields) and after the row is saved (child rows).
MODIFY_HOOKS: dict[str, Callable[[Api, Call, dict, dict, bool], None]] = {}
AFTER_SAVE: dict[str, Callable[[Api, Call, dict, dict], None]] = {}


def check_duration(name: str, value: Any) -> None:
    if value not in (None, "") and not (isinstance(value, str) and DURATION.match(value)):
        raise ApiError(400, f"{name} must be in format HH:ii:ss")
