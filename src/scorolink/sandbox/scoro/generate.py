"""Seeded, relationally consistent data for one site, streamed module by module into the store.

Every module gets ids 1..n (tasks and calendar share the event id space). Foreign keys are drawn from the
planned id ranges, and names of the rows they point at are recomputed from (seed, id) with ``names``, so
generation never reads back what it wrote and scales to a million rows.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import customfields, names
from .clock import TimeFormat
from .modules import MODULES
from .store import Store

DAY = 86400.0
# Reference data: a fixed number of rows per site.
FIXED = {
    "userGroups": 3, "userRoles": 3, "roles": 4, "vatCodes": 4, "financeAccounts": 6, "financeObjects": 4,
    "categories": 5, "clientProfiles": 3, "activities": 6, "tags": 8, "depot": 2, "eventsResources": 3,
    "productGroups": 4, "priceLists": 2, "localPriceLists": 2, "receiptAccounts": 3, "pdfTemplates": 5,
    "triggers": 3, "webhooks": 2, "customModules": 2, "bookmarks": 3,
}
# Business data: shares of what is left of ``size`` after the reference data.
WEIGHTS = {
    "contacts": 12, "projects": 4, "projectPhases": 5, "tasks": 14, "calendar": 6, "timeEntries": 20, "comments": 6,
    "products": 4, "quotes": 3, "orders": 2, "invoices": 5, "prepayments": 1, "scheduledInvoices": 1,
    "purchaseOrders": 1, "bills": 3, "expenses": 2, "receipts": 2, "files": 2, "bookings": 2, "timeOffs": 1,
    "revenueForecastPeriods": 1, "sendLog": 1, "notifications": 1, "relations": 1,
}
STATUSES = [
    ("projects", "pending", "Pending", "#9e9e9e"), ("projects", "inprogress", "In progress", "#2196f3"),
    ("projects", "completed", "Completed", "#4caf50"), ("projects", "cancelled", "Cancelled", "#f44336"),
    ("projects", "future", "Future", "#ff9800"),
    ("tasks", "task_status1", "Planned", "#9e9e9e"), ("tasks", "task_status2", "In progress", "#2196f3"),
    ("tasks", "task_status3", "Waiting", "#ff9800"), ("tasks", "task_status4", "Done", "#4caf50"),
    ("quotes", "quote_status1", "Draft", "#9e9e9e"), ("quotes", "quote_status2", "Sent", "#2196f3"),
    ("quotes", "quote_status3", "Accepted", "#4caf50"),
    ("calendar", "busy", "Busy", "#f44336"), ("calendar", "free", "Free", "#4caf50"),
    ("calendar", "tentative", "Tentative", "#ff9800"), ("calendar", "outofoffice", "Out of office", "#9c27b0"),
]
STATUS_NAME = {sid: name for _, sid, name, _ in STATUSES}
ACTIVITIES = ["Development", "Design", "Meetings", "Consulting", "Administration", "Travel"]
CATEGORIES = ["A - Key client", "B - Client", "C - Prospect", "S - Supplier", "P - Partner"]
TAGS = ["vip", "newsletter", "partner", "prospect", "eu", "retainer", "urgent", "internal"]
VAT = [(1, "VAT22", 22.0, "Standard 22%"), (2, "VAT9", 9.0, "Reduced 9%"), (3, "VAT0", 0.0, "Zero rated"),
       (4, "EU", 0.0, "Reverse charge")]
BOOKMARKS: list[tuple[str, str, dict[str, Any]]] = [("My open tasks", "tasks", {"is_completed": 0}), ("Active projects", "projects", {"status": "inprogress"}),
             ("Unpaid invoices", "invoices", {"status": "unpaid"}),
             ("My unpaid EUR invoices", "invoices", {"owner_id": 6, "status": "unpaid", "currency": "EUR"}),
             ("My unpaid bills", "bills", {"owner_id": 5, "status": "unpaid"}),
             ("My client companies", "contacts", {"manager_id": 6, "contact_type": "company"})]
RELATION_TYPES = [("partner", "Partner", "Partner", "contacts"), ("parent", "Parent company", "Subsidiary", "contacts"),
                  ("reseller", "Reseller", "Customer", "contacts")]
DOC_MODULES = ("invoices", "quotes", "orders", "prepayments", "scheduledInvoices", "purchaseOrders", "bills", "expenses")


def plan(size: int) -> dict[str, int]:
    """Rows per module for a site of about ``size`` records in total."""
    counts = dict(FIXED)
    counts["users"] = max(5, min(200, size // 40))
    counts["usersLaborCost"] = counts["users"]
    counts["rolesPrices"] = counts["roles"] * counts["priceLists"]
    counts["statuses"] = len(STATUSES)
    counts["customFields"] = len(customfields.CUSTOM_FIELDS)
    counts["relationTypes"] = len(RELATION_TYPES)
    rest = max(0, size - sum(counts.values()))
    total_w = sum(WEIGHTS.values())
    minimum = {"contacts": 6, "comments": 30}
    for module, w in WEIGHTS.items():
        counts[module] = max(minimum.get(module, 3), rest * w // total_w)
    return counts


@dataclass
class Ctx:
    """What a row generator may know: the seed, the site, time, and the id range of every module."""

    seed: int
    site: str
    tf: TimeFormat
    now: float
    accounts: list[str]
    ranges: dict[str, tuple[int, int]]
    fresh: bool = False  # set_count: no deleted rows, no subtasks, so lists return exactly n rows
    seqs: dict[str, int] = field(default_factory=dict)

    def pick(self, rng: random.Random, module: str) -> int:
        lo, hi = self.ranges.get(module, (0, -1))
        return rng.randint(lo, hi) if hi >= lo else 0

    def picks(self, rng: random.Random, module: str, k: int) -> list[int]:
        return sorted({self.pick(rng, module) for _ in range(k)} - {0})

    def company(self, rng: random.Random) -> int:
        for _ in range(8):
            cid = self.pick(rng, "contacts")
            if is_company(cid):
                return cid
        return self.pick(rng, "contacts")

    def person(self, rng: random.Random) -> int:
        for _ in range(8):
            cid = self.pick(rng, "contacts")
            if cid and not is_company(cid):
                return cid
        return 0

    def next(self, name: str) -> int:
        self.seqs[name] = self.seqs.get(name, 0) + 1
        return self.seqs[name]

    def past(self, rng: random.Random, days: float = 700) -> float:
        return self.now - rng.uniform(1 * DAY, days * DAY)

    def day(self, ts: float) -> str:
        return self.tf.date(ts) or ""

    # Names of rows pointed at, recomputed from their ids.
    def contact_name(self, cid: int) -> str:
        if not cid:
            return ""
        if is_company(cid):
            return names.company(self.seed, cid)
        return " ".join(names.person(self.seed, cid))

    def user(self, uid: int) -> tuple[str, str, str]:
        first, last = names.person(self.seed + 101, uid)
        return first, last, names.email(first, last, f"{self.site}.example")

    def user_email(self, uid: int) -> str:
        return self.user(uid)[2] if uid else ""

    def user_name(self, uid: int) -> str:
        first, last, _ = self.user(uid)
        return f"{first} {last}" if uid else ""

    def project_company(self, pid: int) -> int:
        lo, hi = self.ranges.get("contacts", (1, 1))
        cid = lo + names.mix(self.seed, "project-company", pid) % (hi - lo + 1)
        return cid if is_company(cid) else max(lo, cid - 1)

    def doc_company(self, module: str, rid: int) -> int:
        lo, hi = self.ranges.get("contacts", (1, 1))
        cid = lo + names.mix(self.seed, module, rid) % (hi - lo + 1)
        return cid if is_company(cid) else max(lo, cid - 1)


def is_company(contact_id: int) -> bool:
    return contact_id % 3 != 0


def is_subtask(task_id: int) -> bool:
    return task_id % 10 == 7


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def file_content(seed: int, site: str, file_id: int) -> bytes:
    """Small deterministic contents of a generated file."""
    line = f"Scoro sandbox file {file_id} on site {site} (seed {seed})\n".encode()
    return line * (1 + names.mix(seed, "file", file_id) % 20)


# -- row generators: (ctx, rng, id, created_ts) -> row ----------------------------------------------------
def g_users(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    first, last, mail = c.user(i)
    n_users = c.ranges["users"][1]
    category = "admin" if i == 1 else "cupo" if i == n_users else r.choice(["user", "user", "admin"]) if i > 2 else "user"
    status = "active" if i <= 3 or r.random() > 0.1 else "inactive"
    return {
        "id": i, "username": mail.split("@")[0], "firstname": first, "lastname": last, "full_name": f"{first} {last}",
        "initials": first[0] + last[0], "email": mail, "is_active": int(status == "active"), "status": status,
        "birthday": f"{r.randint(1960, 2000)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}", "category": category,
        "position": r.choice(["Project manager", "Designer", "Developer", "Account manager", "CEO", "Accountant"]),
        "user_picture": None, "role_id": c.pick(r, "userRoles"), "user_groups_ids": c.picks(r, "userGroups", 2),
        "country_id": "EST", "gsm": f"+372 5{r.randint(1000000, 9999999)}", "timezone": c.tf.tz.key,
        "availability": {d: 28800 if d not in ("saturday", "sunday", "holiday") else 0 for d in
                         ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "holiday")},
        "comment": "", "created_date": None, "modified_date": None,
    }


def g_contacts(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    company = is_company(i)
    first, last = names.person(c.seed, i)
    name = names.company(c.seed, i) if company else first
    mail = names.email(first, last, "example.com") if not company else f"info{i}@example.com"
    cat = c.pick(r, "categories")
    row = {
        "contact_id": i, "name": name, "lastname": "" if company else last,
        "search_name": name if company else f"{first} {last}", "contact_type": "company" if company else "person",
        "id_code": str(10000000 + i) if company else str(38000000000 + i),
        "bankaccount": f"EE{r.randint(10, 99)}22{r.randint(10**11, 10**12 - 1)}",
        "birthday": None if company else (("0000" if r.random() < 0.05 else str(r.randint(1955, 2001)))
                                         + f"-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"),
        "position": "" if company else r.choice(["CEO", "CFO", "Marketing manager", "Buyer", "Engineer"]),
        "comments": r.choice(["", "Prefers e-mail", "Met at the fair", "Long-term client"]),
        "sex": "" if company else r.choice(["F", "M"]), "vatno": f"EE{100000000 + i}" if company else "",
        "timezone": c.tf.tz.key, "manager_id": (m := c.pick(r, "users")), "manager_email": c.user_email(m),
        "is_supplier": int(r.random() < 0.2), "is_client": int(r.random() < 0.8),
        "client_profile_id": c.pick(r, "clientProfiles") if company else 0,
        "created_date": None, "modified_date": None, "deleted_date": None,
        "addresses": [names.address(c.seed, i, k) for k in range(1 if r.random() < 0.8 else 2)],
        "means_of_contact": {
            "mobile": [] if company else [f"+372 5{r.randint(1000000, 9999999)}"],
            "phone": [f"+372 6{r.randint(100000, 999999)}"], "email": [mail],
            "email_for_invoice": [f"invoices{i}@example.com"] if company else [],
            "website": [f"www.{name.split()[0].lower()}{i}.example"] if company else [], "skype": [], "fax": [],
        },
        "tags": sorted(set(r.sample(TAGS, r.randint(0, 2)))), "reference_no": f"{1000 + i}",
        "cat_id": cat, "cat_name": CATEGORIES[(cat - 1) % len(CATEGORIES)] if cat else "",
        "contact_users": c.picks(r, "users", r.randint(0, 2)),
        "related_companies": [] if company else [
            {"related_company_id": (co := c.company(r)), "related_company_name": c.contact_name(co)}],
        "contact_picture": f"/_sandbox/pictures/{c.site}/contacts/{i}.png" if r.random() < 0.5 else None,
        "custom_fields": None, "is_deleted": 0,
    }
    return row


def g_projects(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    cid, mgr = c.project_company(i), c.pick(r, "users")
    start = t + r.uniform(0, 30) * DAY
    status = ["future", "inprogress", "pending", "inprogress", "completed", "cancelled", "inprogress"][i % 7]
    return {
        "project_id": i, "no": str(230000 + i), "project_name": names.project(c.seed, i),
        "description": f"<p>{names.project(c.seed, i)} for {c.contact_name(cid)}</p>", "company_id": cid,
        "company_name": c.contact_name(cid), "is_personal": 0, "is_private": int(r.random() < 0.1),
        "color": r.choice(["#2196f3", "#4caf50", "#ff9800", "#9c27b0", "#f44336"]), "status": status,
        "status_name": STATUS_NAME[status], "manager_id": mgr, "manager_email": c.user_email(mgr),
        "date": c.day(start), "deadline": c.day(start + r.uniform(20, 200) * DAY) if i % 3 != 2 else "0000-00-00",
        "duration": hhmm(r.randint(10, 400) * 60), "phases": None, "account_id": c.accounts[0],
        "budget_type": r.choice(["simple", "quote"]), "project_type": r.choice(["regular", "regular", "retainer", "internal"]),
        "retainer_id": 0, "created_date": None, "modified_date": None, "deleted_date": None,
        "tags": sorted(set(r.sample(TAGS, r.randint(0, 2)))),
        "project_users": [{"user_id": u} for u in c.picks(r, "users", 3)], "project_customer_portal_users": [],
        "project_accounts": [{"id": c.accounts[0]}], "is_role_based": 0, "local_price_list_id": 0,
        "custom_fields": None, "is_deleted": 0,
    }


def g_projectPhases(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    start = t + r.uniform(0, 60) * DAY
    kind = "milestone" if r.random() < 0.25 else "phase"
    return {"id": i, "project_id": c.pick(r, "projects"), "type": kind,
            "title": f"{'Milestone' if kind == 'milestone' else 'Phase'} {i}", "start_date": c.day(start),
            "end_date": c.day(start + (0 if kind == "milestone" else r.uniform(5, 40) * DAY)), "ordering": i % 5 + 1,
            "quote_line_id": 0}


def _event(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    pid = c.pick(r, "projects") if r.random() < 0.8 else 0
    cid = c.project_company(pid) if pid else (c.company(r) if r.random() < 0.5 else 0)
    person = c.person(r) if r.random() < 0.3 else 0
    owner = c.pick(r, "users")
    return {
        "event_id": i, "event_name": f"{names.TASK[names.mix(c.seed, 'task', i) % len(names.TASK)]} #{i}",
        "description": "" if r.random() < 0.5 else f"<p>Details for event {i}</p>", "is_personal": 0,
        "project_id": pid, "project_phase_id": 0, "project_name": names.project(c.seed, pid) if pid else "",
        "company_id": cid, "company_name": c.contact_name(cid), "person_id": person, "person_name": c.contact_name(person),
        "invoice_id": 0, "order_id": 0, "quote_id": 0, "purchase_order_id": 0, "rent_order_id": 0, "bill_id": 0,
        "duration_planned": hhmm(r.choice([30, 60, 90, 120, 240, 480])), "billable_hours": hhmm(r.choice([0, 30, 60, 120])),
        "owner_id": owner, "created_user": owner, "modified_user": owner, "owner_email": c.user_email(owner),
        "activity_id": (a := c.pick(r, "activities")), "activity_type": ACTIVITIES[(a - 1) % len(ACTIVITIES)] if a else "",
    }


def g_tasks(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    row = _event(c, r, i, t)
    done = r.random() < 0.4
    start = t + r.uniform(0, 20) * DAY
    users = c.picks(r, "users", r.randint(1, 2))
    sub = is_subtask(i) and not c.fresh and i - 1 >= c.ranges["tasks"][0]
    status = "task_status4" if done else r.choice(["task_status1", "task_status2", "task_status3"])
    row.update({
        "is_completed": int(done), "datetime_completed": c.tf.iso(start + DAY) if done else None,
        "assigned_to": users[0] if users else 0, "related_users": users,
        "related_users_emails": [c.user_email(u) for u in users], "duration_actual": hhmm(r.randint(0, 40) * 15),
        "start_datetime": c.tf.iso(start), "datetime_due": c.tf.iso(start + r.uniform(1, 14) * DAY),
        "status": status, "status_name": STATUS_NAME[status], "time_entries": None, "sortorder": i,
        "quote_line_id": 0, "priority_id": r.choice([1, 2, 2, 3]), "ete_id": 0,
        "parent_id": i - 1 if sub else None,
        "subtask_ids": [i + 1] if is_subtask(i + 1) and i + 1 <= c.ranges["tasks"][1] and not c.fresh else [],
        "billable_time_type": r.choice(["billable", "non_billable", "custom"]),
        "created_date": None, "modified_date": None, "custom_fields": None, "is_deleted": 0, "deleted_date": None,
    })
    return row


def g_calendar(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    row = _event(c, r, i, t)
    start = t + r.uniform(0, 30) * DAY
    start -= start % 1800
    full = r.random() < 0.1
    status = r.choice(["busy", "busy", "free", "tentative", "outofoffice"])
    row.update({
        "address": r.choice(["", "Office", "Client site", "Online"]), "start_datetime": c.tf.iso(start),
        "end_datetime": c.tf.iso(start + (DAY if full else r.choice([1800, 3600, 7200]))), "full_day_event": int(full),
        "status": status, "status_name": STATUS_NAME[status], "cal_user": c.picks(r, "users", r.randint(1, 3)),
        "resources": [{"resource_id": x} for x in c.picks(r, "eventsResources", r.randint(0, 1))],
        "related_task_id": 0, "guests": [{"contact_id": p, "guest_email": f"guest{p}@example.com"}
                                         for p in ([c.person(r)] if r.random() < 0.3 else []) if p],
        "call_link": "" if r.random() < 0.7 else f"https://meet.example/{i}", "repeat_id": 0, "external_data": None,
        "created_date": None, "modified_date": None, "custom_fields": None, "is_deleted": 0, "deleted_date": None,
    })
    return row


def g_timeEntries(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    on_task = r.random() < 0.8 or c.ranges["calendar"][1] < c.ranges["calendar"][0]
    event = c.pick(r, "tasks" if on_task else "calendar")
    start = t - t % 900
    minutes = r.choice([15, 30, 45, 60, 90, 120, 180, 240])
    done = r.random() < 0.7
    btype = r.choice(["billable", "billable", "non_billable", "custom"])
    act = c.pick(r, "activities")
    desc = r.choice(["Work", "Review", "Meeting notes", "Fixes", "Research", ""])
    return {
        "time_entry_id": i, "description": desc, "title": f"{ACTIVITIES[(act - 1) % 6] if act else ''}: {desc}".strip(": "),
        "user_id": c.pick(r, "users"), "activity_id": act, "billable_time_type": btype, "invoice_line_id": 0,
        "event_id": event, "event_type": "task" if on_task else "cal", "calendar_event_id": 0,
        "time_entry_type": "task" if on_task else "cal", "start_datetime": c.tf.iso(start),
        "end_datetime": c.tf.iso(start + minutes * 60), "duration": hhmm(minutes),
        "billable_duration": hhmm(minutes if btype == "billable" else 0), "is_completed": int(done),
        "is_confirmed": int(done and r.random() < 0.5), "is_billable": int(btype == "billable"),
        "completed_datetime": c.tf.iso(start + minutes * 60) if done else None, "is_locked": 0,
        "modified_date": None, "time_entry_date": c.day(start), "is_submitted": int(done),
        "submitted_date": c.tf.iso(start + minutes * 60 + 3600) if done else None, "is_deleted": 0, "deleted_date": None,
    }


# contacts twice: once on a company, once on a person; 11 slots so the 5% deleted rows rotate over kinds
COMMENT_SLOTS = ("projects", "tasks", "contacts", "invoices", "quotes", "orders", "bills", "prepayments",
                 "calendar", "tasks", "contacts")


def g_comments(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    """Round-robin over the commentable modules so every parent kind has comments, on live objects."""
    slot = (i - 1) % len(COMMENT_SLOTS)
    module = COMMENT_SLOTS[slot]
    if module == "contacts":
        obj = c.person(r) if slot == len(COMMENT_SLOTS) - 1 else c.company(r)
    else:
        obj = c.pick(r, module)
    lo, hi = c.ranges.get(module, (1, 1))
    if module in WEIGHTS and obj % 20 == 4:  # generated soft-deleted rows; move to the neighbour
        obj = obj + 3 if obj + 3 <= hi else max(lo, obj - 3)
    if module == "tasks" and is_subtask(obj):
        obj -= 1
    parent = 0
    if i > len(COMMENT_SLOTS) and r.random() < 0.3:
        parent = i - len(COMMENT_SLOTS)  # a reply; the same slot, though not always the same object
    return {"comment_id": i, "parent_id": 0 if parent and parent < lo else parent,
            "comment": f"<p>{r.choice(['Looks good', 'Please check', 'Done', 'Waiting for client', 'Updated the numbers'])} ({i})</p>",
            "user_id": c.pick(r, "users"), "created_date": None, "modified_date": None, "is_deleted": 0,
            "deleted_date": None, "_module": module, "_object_id": obj or 1}


def g_products(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    price = names.product_price(c.seed, i)
    depots = {str(d): r.randint(0, 50) for d in c.picks(r, "depot", 2)}
    return {
        "product_id": i, "code": f"P-{i:05d}", "name": names.product(c.seed, i), "price": price,
        "buying_price": round(price * 0.6, 2), "price_list": 0, "description": f"Sandbox product {i}", "description2": "",
        "unit": r.choice(["h", "pcs", "day", "month"]), "amount": 1, "amount2": 0, "tag": "", "url": "",
        "default_type": r.choice(["inhouse", "outsourced"]), "use_supplier": 0, "supplier_id": 0,
        "default_doer_id": c.pick(r, "users"), "default_role_id": c.pick(r, "userRoles"),
        "productgroup_id": c.pick(r, "productGroups"), "is_active": int(r.random() < 0.9), "is_service": int(r.random() < 0.7),
        "no_discounts": 0, "default_vat_code_id": 1, "default_sales_tax_id": 1, "default_purchases_tax_id": 1,
        "accounting_object_id": c.pick(r, "financeObjects"), "depots_total_amount": sum(depots.values()),
        "depot_amounts": depots, "pictures": [], "created_date": None, "modified_date": None,
        "account_id": c.accounts[0], "product_accounts": [c.accounts[0]], "sales_finance_account_id": 1,
        "purchases_finance_account_id": 2, "is_deleted": 0, "deleted_date": None, "custom_fields": None,
    }


def doc_line(c: Ctx, r: random.Random, module: str, day: str) -> dict:
    pid = c.pick(r, "products")
    price, amount = names.product_price(c.seed, pid), float(r.choice([1, 2, 3, 5, 8, 10]))
    vat_id = r.choice([1, 1, 1, 2, 3])
    total = round(price * amount, 2)
    if module == "expenses":
        return {"id": c.next("lines"), "description": names.product(c.seed, pid), "additional_description": "",
                "quantity": amount, "additional_quantity": 0, "sum": total, "tax_percentage": VAT[vat_id - 1][2],
                "tax_code_id": vat_id, "tax_code": VAT[vat_id - 1][1], "finance_object_id": 0, "finance_object_name": "",
                "finance_object_symbol": "", "finance_account_id": 2, "finance_account_name": "Purchases",
                "finance_account_symbol": "4000", "product_id": pid, "price": price, "unit": "pcs", "project_id": 0}
    doer = c.pick(r, "users")
    line = {
        "id": c.next("lines"), "product_id": pid, "product_name": names.product(c.seed, pid), "product_code": f"P-{pid:05d}",
        "comment": names.product(c.seed, pid), "comment2": "", "price": price, "amount": amount, "amount2": 0,
        "discount": 0, "sum": total, "vat": VAT[vat_id - 1][2], "vat_code_id": vat_id, "vat_code": VAT[vat_id - 1][1],
        "unit": "h", "finance_object_id": 0, "finance_object_name": "", "finance_object_symbol": "",
        "finance_account_id": 1, "finance_account_name": "Sales", "finance_account_symbol": "3000",
        "cost": round(price * 0.6 * amount, 2), "supplier_id": 0, "supplier_name": "", "doer_id": doer,
        "doer_email": c.user_email(doer), "role_id": None, "role_name": None, "is_internal": 0, "project_id": 0,
        "project_name": "", "depot_amounts": [], "custom_fields": None,
    }
    if module in ("invoices", "quotes", "orders", "scheduledInvoices"):
        line["dates"] = {day: amount}
    if module == "quotes":
        line["is_confirmed"] = int(r.random() < 0.5)
    if module == "purchaseOrders":
        line["is_settled"] = int(r.random() < 0.5)
    return line


def _doc(module: str) -> Callable[[Ctx, random.Random, int, float], dict]:
    def gen(c: Ctx, r: random.Random, i: int, t: float) -> dict:
        cid = c.doc_company(module, i)
        person = c.person(r) if r.random() < 0.3 else 0
        pid = c.pick(r, "projects") if r.random() < 0.6 else 0
        owner = c.pick(r, "users")
        day = c.day(t)
        lines = [doc_line(c, r, module, day) for _ in range(r.randint(1, 4))]
        total = round(sum(ln["sum"] for ln in lines), 2)
        vat = 22.0
        currency = "EUR" if r.random() < 0.85 else "USD"
        addr = names.address(c.seed, cid, 0)
        base = {
            "id": i, "no": str((230000 if module != "bills" else 5000) + i),
            "discount": 0, "discount2": 0, "discount3": 0, "sum": total, "vat_sum": round(total * vat / 100, 2),
            "vat": vat, "vat_code_id": 1, "vat_code": "VAT22", "company_id": cid, "company_name": c.contact_name(cid),
            "person_id": person, "person_name": c.contact_name(person), "company_address_id": addr["address_id"],
            "company_address": addr, "interested_party_id": 0, "interested_party_address_id": 0,
            "project_id": pid, "project_name": names.project(c.seed, pid) if pid else "", "currency": currency,
            "currency_rate": 1.0 if currency == "EUR" else 1.08, "owner_id": owner, "owner_email": c.user_email(owner),
            "date": day, "deadline": c.day(t + 14 * DAY), "status": "", "description": "",
            "account_id": c.accounts[0], "is_sent": int(r.random() < 0.7), "lines": lines,
            "created_date": None, "modified_date": None, "custom_fields": None, "is_deleted": 0, "deleted_date": None,
        }
        paid = r.random() < 0.6
        extra: dict = {}
        if module == "invoices":
            extra = {"payment_type": r.choice(["banktransfer", "banktransfer", "cash", "cardpayment"]), "fine": "0.05",
                     "quote_id": [], "order_id": [], "prepayment_id": [], "credited_invoices": [], "prepayment_sum": 0,
                     "real_estate_id": 0, "reference_no": f"{i}{i % 7}", "paid_sum": total if paid else 0,
                     "payment_fee": 0, "receivable_sum": 0 if paid else total, "generation_type": "manual",
                     "scheduled_invoice_id": 0, "accounting_period_from": day, "accounting_period_to": day,
                     "pay_now_link": f"https://pay.example/{c.site}/{i}", "is_role_based": 0, "local_price_list_id": 0,
                     "status": "paid" if paid else "unpaid"}
        elif module == "quotes":
            st = r.choice(["quote_status1", "quote_status2", "quote_status3"])
            extra = {"confirmed_date": c.tf.iso(t + DAY) if st == "quote_status3" else None,
                     "estimated_closing_date": c.day(t + 30 * DAY), "shipment_date": c.day(t + 20 * DAY),
                     "status": st, "status_name": STATUS_NAME[st], "estimated_duration": r.randint(1, 12),
                     "is_role_based": 0, "local_price_list_id": 0}
        elif module == "orders":
            extra = {"quote_id": c.pick(r, "quotes") if r.random() < 0.5 else 0, "shipment_date": c.day(t + 10 * DAY),
                     "is_role_based": 0, "local_price_list_id": 0, "status": r.choice(["pending", "completed"])}
        elif module == "prepayments":
            extra = {"fine": "0.05", "quote_id": 0, "order_id": c.pick(r, "orders") if r.random() < 0.5 else 0,
                     "prepayment_percent": r.choice([30.0, 50.0, 100.0]), "is_role_based": 0, "local_price_list_id": 0,
                     "status": "paid" if paid else "unpaid"}
        elif module == "scheduledInvoices":
            extra = {"payment_type": "banktransfer", "fine": "0.05", "quote_id": 0, "order_id": 0, "real_estate_id": 0,
                     "deadline_days": 14, "generate_type": r.choice(["monthly", "quarterly"]), "calculate_line_dates": 0,
                     "next_generation_date": c.day(t + 30 * DAY), "last_generation_date": day,
                     "mark_paid_from_prepayment": 0, "auto_send": 0, "lang": "eng", "message": "", "mail_from_name": "",
                     "mail_from": "", "cc": "", "bcc": "", "use_signature": 1, "default_template_id": 1,
                     "is_role_based": 0, "local_price_list_id": 0, "status": "active"}
        elif module == "purchaseOrders":
            extra = {"quote_id": 0, "order_id": c.pick(r, "orders") if r.random() < 0.5 else 0, "real_estate_id": 0,
                     "delivery_address_id": addr["address_id"], "delivery_date": c.day(t + 10 * DAY),
                     "confirmed_date": c.day(t + DAY), "status": r.choice(["pending", "confirmed"])}
        elif module == "bills":
            extra = {"is_chargeable": int(r.random() < 0.3), "dateofpayment": c.day(t + 20 * DAY) if paid else None,
                     "payment_type": "banktransfer", "recognition_date": day, "reference_no": f"B{i}",
                     "purchase_order_id": 0, "status": "paid" if paid else "unpaid"}
        elif module == "expenses":
            base.pop("vat")
            base.pop("vat_sum")
            base.pop("vat_code_id")
            base.pop("vat_code")
            extra = {"due_date": c.day(t + 14 * DAY), "recognition_date": day, "owner_name": c.user_name(owner),
                     "comment": "", "is_chargeable": int(r.random() < 0.3), "is_reimbursable": int(r.random() < 0.5),
                     "status": r.choice(["draft", "submitted", "approved", "paid"]), "tax_sum": round(total * 0.22, 2),
                     "tax_percentage": 22.0, "tax_code_id": 1, "tax_code": "VAT22"}
        base.update(extra)
        return base

    return gen


def g_receipts(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    inv = c.pick(r, "invoices")
    cid = c.doc_company("invoices", inv) if inv else c.company(r)
    amount = round(r.uniform(50, 3000), 2)
    return {"id": i, "date": c.day(t), "contact_id": cid, "sum": amount, "currency": "EUR", "sales_doc_type": "invoices",
            "receipt_account_id": c.pick(r, "receiptAccounts"),
            "receipts": [{"receipt_id": c.next("receiptLines"), "date": c.day(t), "invoice_id": inv, "prepayment_id": 0,
                          "sum": amount, "sales_doc_type": "invoices", "contact_id": cid,
                          "contact_name": c.contact_name(cid)}],
            "created_date": None, "modified_date": None, "custom_fields": None, "is_deleted": 0, "deleted_date": None}


def g_files(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    content = file_content(c.seed, c.site, i)
    ext = r.choice(["pdf", "docx", "png", "txt", "xlsx"])
    rel_module = r.choice(["projects", "contacts", "tasks", "invoices"])
    return {"file_id": i, "hash": hashlib.md5(content).hexdigest(), "file_name": f"document_{i}.{ext}",
            "file_location": f"files/{i}/document_{i}.{ext}", "file_size": str(len(content)),
            "uploaded_by": c.pick(r, "users"), "category_id": 0, "repository": "local",
            "file_type": "image" if ext == "png" else "other", "is_private": int(r.random() < 0.1), "is_public": 0,
            "relations": {rel_module: [c.pick(r, rel_module) or 1]}, "created_date": None,
            "datetime_accessed": c.tf.iso(t + DAY), "is_deleted": 0, "deleted_date": None}


def g_bookings(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    start = t + r.uniform(0, 30) * DAY
    days = r.randint(1, 10)
    return {"id": i, "user_id": c.pick(r, "users"), "project_id": c.pick(r, "projects"), "event_id": 0,
            "start_date": c.day(start), "end_date": c.day(start + (days - 1) * DAY), "duration": hhmm(days * 240),
            "comment": r.choice(["", "Design sprint", "Support rota"]), "status": r.choice(["confirmed", "tentative"]),
            "created_date": None, "modified_date": None, "is_deleted": 0, "deleted_date": None}


def g_timeOffs(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    user = c.pick(r, "users")
    dates = [{"date": c.day(t + k * DAY), "duration": "08:00:00"} for k in range(r.randint(1, 5))]
    return {"id": i, "type": r.choice(["vacation", "sick_leave", "other"]), "comment": "",
            "users_dates": [{"user_id": user, "dates": dates}], "created_date": None, "modified_date": None,
            "is_deleted": 0, "deleted_date": None}


def g_revenueForecastPeriods(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    return {"id": i, "project_id": c.pick(r, "projects"), "start_date": c.day(t), "end_date": c.day(t + 29 * DAY),
            "sum": round(r.uniform(500, 20000), 2), "currency": "EUR", "modified_date": None}


def g_sendLog(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    cid = c.company(r)
    inv = c.pick(r, "invoices")
    return {"id": i, "datetime": c.tf.sql(t), "sender_id": (u := c.pick(r, "users")), "sent_from": c.user_email(u),
            "sent_to": [f"info{cid}@example.com"], "contact_id": [cid], "type": "invoices", "doc_id": inv,
            "project_id": 0, "subject": f"Invoice {230000 + inv}", "message": "Please find the invoice attached.",
            "send_type": "email", "is_sent": 1, "is_draft": 0}


def g_notifications(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    read = r.random() < 0.5
    return {"id": i, "structure_id": c.pick(r, "tasks"), "structure_id2": 0, "remind_type": r.choice(["scoro", "email"]),
            "module": "tasks", "user_id": c.pick(r, "users"), "notifier_id": c.pick(r, "users"),
            "date_added": c.tf.iso(t), "status": "read" if read else "unread", "date_read": c.tf.iso(t + 3600) if read else None,
            "action": r.choice(["add", "edit"]), "notification_action_text": "updated the task",
            "notification_title_text": "Task updated"}


def g_relations(c: Ctx, r: random.Random, i: int, t: float) -> dict:
    lo, hi = c.ranges["contacts"]
    obj = lo + 3 * (i - 1) if lo + 3 * (i - 1) <= hi and is_company(lo + 3 * (i - 1)) else c.company(r)
    rel = [{"id": x, "relation": RELATION_TYPES[r.randrange(3)][0], "comment": "", "is_default": 0}
           for x in sorted({c.company(r) for _ in range(r.randint(1, 2))} - {obj})]
    return {"_rid": i, "object_id": obj, "type": "contacts", "related_objects": rel}


def _lap(i: int, n: int) -> str:
    """Suffix that keeps string keys unique when set_count asks for more rows than a catalogue has."""
    return "" if i <= n else f"_{(i - 1) // n + 1}"


def _simple(fn: Callable[[Ctx, random.Random, int], dict]) -> Callable[[Ctx, random.Random, int, float], dict]:
    return lambda c, r, i, t: fn(c, r, i)


GENERATORS: dict[str, Callable[[Ctx, random.Random, int, float], dict]] = {
    "users": g_users,
    "userGroups": _simple(lambda c, r, i: {"group_id": i, "group_name": ["Management", "Creative", "Sales", "Support"][(i - 1) % 4] + ("" if i <= 4 else f" {i}"), "comment": "", "is_hidden": 0}),
    "userRoles": _simple(lambda c, r, i: {"role_id": i, "role_name": ["Administrator", "Manager", "Employee", "Freelancer"][(i - 1) % 4],
                                          "role_users": [u for u in range(1, c.ranges["users"][1] + 1) if u % c.ranges["userRoles"][1] == i % c.ranges["userRoles"][1]]}),
    "roles": lambda c, r, i, t: {"id": i, "name": ["Designer", "Developer", "Project manager", "Consultant"][(i - 1) % 4],
                                 "is_active": 1, "price_lists": [{"price_list_id": p, "price_list_name": f"Price list {p}",
                                                                  "selling_price": 60.0 + 10 * i + p, "currency": "EUR"}
                                                                 for p in range(1, c.ranges["priceLists"][1] + 1)],
                                 "users": c.picks(r, "users", 2), "modified_date": None},
    "vatCodes": _simple(lambda c, r, i: {"vat_code_id": i, "vat_code": VAT[(i - 1) % 4][1], "percent": VAT[(i - 1) % 4][2],
                                         "vat_name": VAT[(i - 1) % 4][3], "is_sales": 1, "is_purchases": 1, "is_active": 1,
                                         "is_not_applicable": int(i == 4), "is_deleted": 0, "deleted_date": None}),
    "financeAccounts": lambda c, r, i, t: {"id": i, "account_symbol": str(3000 + 100 * i), "name": ["Sales", "Purchases", "Services", "Travel", "Rent", "Other"][(i - 1) % 6],
                                           "parent_id": 0, "parent_name": "", "is_active": 1, "is_sales_account": int(i % 2 == 1),
                                           "is_purchases_account": int(i % 2 == 0), "created_date": None, "modified_date": None,
                                           "is_deleted": 0, "deleted_date": None},
    "financeObjects": _simple(lambda c, r, i: {"object_id": i, "object_symbol": f"OBJ{i}", "name": ["Marketing", "R&D", "Sales", "Admin"][(i - 1) % 4], "parent_group_name": "Departments"}),
    "categories": lambda c, r, i, t: {"cat_id": i, "cat_name": CATEGORIES[(i - 1) % 5], "symbol": CATEGORIES[(i - 1) % 5][0], "description": "", "modified_date": None},
    "clientProfiles": lambda c, r, i, t: {"id": i, "name": ["Standard", "Gold", "Partner"][(i - 1) % 3], "discount": ["0", "5", "10"][(i - 1) % 3],
                                          "discount2": "0", "discount3": "0", "vat_code_id": 1, "deadline_days": 14, "fine": "0.05",
                                          "currency": "EUR", "payment_type": "banktransfer", "language_id": "eng", "price_list_id": 1,
                                          "created_date": None, "modified_date": None, "is_deleted": 0, "deleted_date": None},
    "activities": lambda c, r, i, t: {"activity_id": i, "name": ACTIVITIES[(i - 1) % 6], "parent_id": 0, "parent_name": "", "is_group": 0,
                                      "is_active": 1, "product_id": 0, "modified_date": None, "is_deleted": 0, "deleted_date": None},
    "tags": _simple(lambda c, r, i: {"tag_id": i, "tag_name": TAGS[(i - 1) % len(TAGS)], "parent_id": 0, "parent_name": ""}),
    "depot": _simple(lambda c, r, i: {"depot_id": i, "depot_name": ["Main warehouse", "Store"][(i - 1) % 2] + ("" if i <= 2 else f" {i}"), "comments": ""}),
    "eventsResources": lambda c, r, i, t: {"resource_id": i, "resource_name": ["Meeting room", "Projector", "Company car"][(i - 1) % 3], "resource_color": "#607d8b", "modified_date": None},
    "productGroups": _simple(lambda c, r, i: {"id": i, "parent_group_id": 0, "name": ["Services", "Licences", "Hardware", "Travel"][(i - 1) % 4], "comments": "", "pcs_per_package": 1, "account_name": c.accounts[0]}),
    "priceLists": lambda c, r, i, t: {"id": i, "name": f"Price list {i}", "currency": "EUR", "account_id": c.accounts[0], "modified_date": None},
    "localPriceLists": lambda c, r, i, t: {"id": i, "price_list_id": c.pick(r, "priceLists"), "name": f"Local price list {i}", "currency": "EUR",
                                           "role_prices": [{"role_id": x, "selling_price": 70.0 + 5 * x} for x in range(1, c.ranges["roles"][1] + 1)],
                                           "modified_date": None, "modified_user": 1, "created_date": None, "created_user": 1},
    "receiptAccounts": _simple(lambda c, r, i: {"id": i, "name": ["Bank", "Cash", "Card"][(i - 1) % 3], "type": ["bank", "cash", "card"][(i - 1) % 3]}),
    "pdfTemplates": _simple(lambda c, r, i: {"id": i, "name": f"{['Invoice', 'Quote', 'Order', 'Prepayment', 'Purchase order'][(i - 1) % 5]} template",
                                             "type": ["invoices", "quotes", "orders", "prepayments", "purchaseOrders"][(i - 1) % 5], "status": "active"}),
    "triggers": lambda c, r, i, t: {"id": i, "module": "tasks", "name": f"Notify on task change {i}", "status": ["active", "inactive", "suspended"][(i - 1) % 3],
                                    "is_shared": 1, "bookmark_id": 0, "user_id": 1,
                                    "filter_data": {"tasks": {"logical_operator": "AND", "blocks": [], "group_values": [], "values": []}},
                                    "activities": [{"tasks": "modify"}], "actions": [{"id": i, "trigger_id": i, "type": "notification", "action_data": {}}],
                                    "is_deleted": 0, "deleted_date": None},
    "webhooks": lambda c, r, i, t: {"id": i, "module": ["tasks", "projects"][(i - 1) % 2], "fields": [], "action": "modify", "status": 1,
                                    "relation_type": "", "owners": [], "actors": [], "bookmark_id": 0,
                                    "url": f"https://hooks.example/{c.site}/{i}", "created_date": None},
    "customModules": lambda c, r, i, t: {"id": i, "title": ["Assets", "Vehicles"][(i - 1) % 2], "path": f"custom_{i}", "full_path": f"/custom/custom_{i}",
                                         "parent_module_id": 0, "primary_custom_field_name": "c_name", "modified_date": None, "modified_user": 1,
                                         "created_date": None, "created_user": 1, "use_permissions": 0, "use_statuses": 1, "use_board_view": 0,
                                         "status": "active", "status_name": "Active"},
    # a fourth (set_count) narrows invoices by user, receipt status and currency at once; a fifth bills by
    # user and status, a sixth contacts by manager and type
    "bookmarks": _simple(lambda c, r, i: {"id": i, "name": BOOKMARKS[(i - 1) % len(BOOKMARKS)][0],
                                          "module": BOOKMARKS[(i - 1) % len(BOOKMARKS)][1], "user_id": 1, "is_shared": 1,
                                          "_filter": dict(BOOKMARKS[(i - 1) % len(BOOKMARKS)][2])}),
    "usersLaborCost": _simple(lambda c, r, i: {"user_id": i, "labor_cost": [{"date": c.day(c.now - 365 * DAY), "hour_cost": float(20 + i % 15)}]}),
    # Fixed catalogues (set_count past their length repeats them).
    "statuses": lambda c, r, i, t: (lambda s: {"status_id": s[1] + _lap(i, len(STATUSES)), "status_name": s[2], "color": s[3], "module": s[0],
                                               "is_default": int(s[1] in ("inprogress", "task_status1", "busy", "quote_status1")),
                                               "modified_date": None})(STATUSES[(i - 1) % len(STATUSES)]),
    "customFields": _simple(lambda c, r, i: {**customfields.CUSTOM_FIELDS[(i - 1) % len(customfields.CUSTOM_FIELDS)],
                                             "id": customfields.CUSTOM_FIELDS[(i - 1) % len(customfields.CUSTOM_FIELDS)]["id"]
                                             + _lap(i, len(customfields.CUSTOM_FIELDS))}),
    "relationTypes": _simple(lambda c, r, i: {**dict(zip(("relation_name", "relation_side_one", "relation_side_two", "relation_object_type"),
                                                         RELATION_TYPES[(i - 1) % len(RELATION_TYPES)], strict=True)),
                                              "relation_name": RELATION_TYPES[(i - 1) % len(RELATION_TYPES)][0] + _lap(i, len(RELATION_TYPES))}),
    "contacts": g_contacts, "projects": g_projects, "projectPhases": g_projectPhases, "tasks": g_tasks,
    "calendar": g_calendar, "timeEntries": g_timeEntries, "comments": g_comments, "products": g_products,
    "receipts": g_receipts, "files": g_files, "bookings": g_bookings, "timeOffs": g_timeOffs,
    "revenueForecastPeriods": g_revenueForecastPeriods, "sendLog": g_sendLog, "notifications": g_notifications,
    "relations": g_relations,
    **{m: _doc(m) for m in DOC_MODULES},
}
# rolesPrices rows are the cross product of roles and price lists.
GENERATORS["rolesPrices"] = lambda c, r, i, t: (lambda role, pl: {
    "role_id": role, "price_list_id": pl, "role_name": ["Designer", "Developer", "Project manager", "Consultant"][(role - 1) % 4],
    "pricelist_name": f"Price list {pl}", "selling_price": 60.0 + 10 * role + pl, "currency": "EUR"})(
    (i - 1) // max(1, c.ranges["priceLists"][1]) + 1, (i - 1) % max(1, c.ranges["priceLists"][1]) + 1)

# Generation order: referenced modules first (only names are recomputed, but ranges must be known).
ORDER = ["users", "userGroups", "userRoles", "roles", "vatCodes", "financeAccounts", "financeObjects", "categories",
         "clientProfiles", "activities", "tags", "depot", "eventsResources", "productGroups", "priceLists",
         "localPriceLists", "rolesPrices", "receiptAccounts", "pdfTemplates", "triggers", "webhooks", "customModules",
         "bookmarks", "usersLaborCost", "statuses", "customFields", "relationTypes", "contacts", "products",
         "projects", "projectPhases", "tasks", "calendar", "timeEntries", "quotes", "orders", "invoices",
         "prepayments", "scheduledInvoices", "purchaseOrders", "bills", "expenses", "receipts", "comments", "files",
         "bookings", "timeOffs", "revenueForecastPeriods", "sendLog", "notifications", "relations"]
assert set(ORDER) == set(GENERATORS), set(ORDER) ^ set(GENERATORS)


def scope_of(module: str, row: dict) -> str | None:
    """The parent a row hangs off (see store.py)."""
    match module:
        case "comments":
            return f"{row['_module']}:{row['_object_id']}"
        case "projectPhases":
            return str(row["project_id"])
        case "timeEntries":
            return str(row["event_id"])
        case "tasks":
            return str(row["parent_id"]) if row.get("parent_id") else None
        case "relations":
            return f"{row['type']}:{row['object_id']}"
    return None


def stamp(module: str, row: dict, tf: TimeFormat, created: float, modified: float, deleted: float | None) -> None:
    """Fill the row's own timestamp fields in the format its module uses."""
    spec = MODULES[module]
    for name, ts in (("created_date", created), ("modified_date", modified)):
        if name in row:
            row[name] = tf.sql(ts) if spec.dt_style(name) == "sql" else tf.iso(ts)
    if deleted is not None:
        row["is_deleted"] = 1
        row["deleted_date"] = tf.iso(deleted)


def rows_for(ctx: Ctx, module: str, first_id: int, n: int) -> Iterator[tuple[int, str | None, float, float | None, dict]]:
    """Stream (id, scope, modified_ts, deleted_ts, row) for ids first_id..first_id+n-1."""
    gen = GENERATORS[module]
    rng = random.Random(f"{ctx.seed}:{ctx.site}:{module}:{first_id}")
    cf_defs = customfields.for_module(module)
    scaled = module in WEIGHTS
    for rid in range(first_id, first_id + n):
        created = ctx.past(rng)
        modified = created + rng.uniform(0, ctx.now - created) if rng.random() < 0.5 else created
        row = gen(ctx, rng, rid, created)
        deleted = None
        if scaled and not ctx.fresh and "is_deleted" in row and rid % 20 == 4:  # ~5%, recently deleted
            deleted = ctx.now - rng.uniform(1, 20) * DAY
            modified = max(modified, deleted)
        stamp(module, row, ctx.tf, created, modified, deleted)
        if cf_defs:
            day, iso = ctx.day(created), ctx.tf.iso(created) or ""
            row["_cf"] = {d["id"]: customfields.sample_value(d["type"], rng, rid, day, iso)
                          for d in cf_defs if rng.random() < 0.7}
        yield rid, scope_of(module, row), modified, deleted, row


def populate(store: Store, ctx: Ctx, counts: dict[str, int]) -> None:
    """Generate a whole site. Ranges are planned first so every module can point at every other."""
    events_first = {"tasks": 1, "calendar": counts["tasks"] + 1}
    for module in ORDER:
        first = events_first.get(module, 1)
        ctx.ranges[module] = (first, first + counts[module] - 1)
    for module in ORDER:
        first, last = ctx.ranges[module]
        store.insert_many(ctx.site, module, rows_for(ctx, module, first, last - first + 1))
        store.raise_seq(ctx.site, MODULES[module].sequence, last)
    for name, value in ctx.seqs.items():
        store.raise_seq(ctx.site, name, value)
