import re
from pathlib import Path

import pytest
from sandbox_http import Client

from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox

MODULES_DOC = Path(__file__).resolve().parents[2] / "docs" / "scoro-modules.md"


@pytest.fixture(scope="module")
def paged() -> ScoroSandbox:
    sb = ScoroSandbox(SandboxConfig(seed=3, size=300))
    sb.set_count(site="demo", module="invoices", n=101)
    return sb


def test_default_page_size_is_50_and_cap_is_100(paged: ScoroSandbox) -> None:
    c = Client(paged)
    assert len(c.data("invoices/list")) == 50
    assert len(c.data("invoices/list", per_page=500)) == 100
    assert len(c.data("invoices/list", page=2, per_page=100)) == 1
    assert c.data("invoices/list", page=3, per_page=100) == []


def test_detailed_response_caps_at_25_and_fills_lines(paged: ScoroSandbox) -> None:
    rows = Client(paged).data("invoices/list", per_page=100, detailed_response=True)
    assert len(rows) == 25
    assert all(isinstance(r["lines"], list) and r["lines"] for r in rows)
    assert all(isinstance(r["custom_fields"], list) for r in rows)


def test_pages_are_disjoint_and_ordered_by_id(paged: ScoroSandbox) -> None:
    c = Client(paged)
    ids = [r["id"] for p in (1, 2, 3, 4, 5) for r in c.data("invoices/list", page=p, per_page=25)]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 101
    assert isinstance(c.data("invoices/list", page="2", per_page="10"), list)


@pytest.mark.parametrize("n", [0, 1, 100, 101])
def test_set_count_gives_exact_rows(n: int) -> None:
    sb = ScoroSandbox(SandboxConfig(seed=5, size=200, sites=1))
    sb.set_count(site="demo", module="tasks", n=n)
    assert len(Client(sb).all("tasks")) == n


def test_plain_list_leaves_view_fields_null(shared: ScoroSandbox) -> None:
    c = Client(shared)
    inv = c.data("invoices/list", per_page=1)[0]
    assert inv["lines"] is None and inv["custom_fields"] is None
    view = c.data(f"invoices/view/{inv['id']}")
    assert view["lines"] and view["lines"][0]["id"] and "dates" in view["lines"][0]
    assert {"id", "name", "value", "type"} <= view["custom_fields"][0].keys()
    project = c.data("projects/list", per_page=1)[0]
    assert project["phases"] is None
    assert isinstance(c.data(f"projects/view/{project['project_id']}")["phases"], list)
    task = c.data("tasks/list", per_page=1)[0]
    assert task["time_entries"] is None
    assert isinstance(c.data(f"tasks/view/{task['event_id']}")["time_entries"], list)


def test_basic_data(shared: ScoroSandbox) -> None:
    row = Client(shared).data("contacts/list", per_page=1, basic_data="1")[0]
    assert set(row) == {"contact_id", "name", "lastname", "contact_type"}


def test_field_formats(shared: ScoroSandbox) -> None:
    c = Client(shared)
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
    sql = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
    project = c.data("projects/list", per_page=1)[0]
    assert sql.match(project["modified_date"]) and isinstance(project["no"], str)
    assert sql.match(c.data("invoices/list", per_page=1)[0]["modified_date"])
    assert iso.match(c.data("tasks/list", per_page=1)[0]["modified_date"])
    assert iso.match(c.data("contacts/list", per_page=1)[0]["created_date"])
    assert any(p["deadline"] == "0000-00-00" for p in c.all("projects"))
    assert isinstance(c.data("files/list", per_page=1)[0]["file_size"], str)
    assert isinstance(c.data("clientProfiles/list", per_page=1)[0]["discount"], str)
    entry = c.data("timeEntries/list", per_page=1)[0]
    assert entry["is_completed"] in (0, 1) and re.match(r"^\d\d:\d\d:\d\d$", entry["duration"])


def test_filter_equality_in_and_unknown_keys(shared: ScoroSandbox) -> None:
    c = Client(shared)
    companies = c.data("contacts/list", per_page=100, filter={"contact_type": "company"})
    assert companies and all(r["contact_type"] == "company" for r in companies)
    same = c.data("contacts/list", per_page=100, filter={"contact_type": "company", "no_such_field": "x"})
    assert same == companies
    statuses = c.data("projects/list", per_page=100, filter={"status": ["completed", "pending"]})
    assert statuses and {p["status"] for p in statuses} <= {"completed", "pending"}
    one = c.data("contacts/list", filter={"contact_id": companies[0]["contact_id"]})
    assert [r["contact_id"] for r in one] == [companies[0]["contact_id"]]


def test_filter_wildcard_and_nested(shared: ScoroSandbox) -> None:
    c = Client(shared)
    first = c.data("contacts/list", per_page=1, filter={"contact_type": "company"})[0]
    prefix = first["name"].split()[0]
    hits = c.data("contacts/list", per_page=100, filter={"name": prefix + "%"})
    assert first["contact_id"] in [h["contact_id"] for h in hits]
    assert all(h["name"].lower().startswith(prefix.lower()) for h in hits)
    mail = first["means_of_contact"]["email"][0]
    by_mail = c.data("contacts/list", filter={"means_of_contact": {"email": mail}})
    assert [r["contact_id"] for r in by_mail] == [first["contact_id"]]
    inv = c.data("invoices/view/1")
    country = inv["company_address"]["country"]
    rows = c.data("invoices/list", per_page=100, filter={"company_address": {"country": country}})
    assert rows and all(c.data(f"invoices/view/{r['id']}")["company_address"]["country"] == country for r in rows[:5])


def test_filter_date_ranges_inclusive(shared: ScoroSandbox) -> None:
    c = Client(shared)
    tasks = c.all("tasks")
    day = tasks[0]["modified_date"][:10]
    hits = c.data("tasks/list", per_page=100, filter={"modified_date": {"from_date": day, "to_date": day}})
    assert tasks[0]["event_id"] in [h["event_id"] for h in hits]
    assert all(h["modified_date"][:10] == day for h in hits)
    later = c.data("tasks/list", per_page=100, filter={"modified_date": {"from_date": day}})
    assert all(h["modified_date"][:10] >= day for h in later)
    inv_day = c.data("invoices/list", per_page=1)[0]["date"]
    assert c.data("invoices/list", filter={"date": {"from_date": inv_day, "to_date": inv_day}})


def test_custom_field_filter(shared: ScoroSandbox) -> None:
    c = Client(shared)
    rows = c.data("contacts/list", per_page=25, detailed_response=1)
    value = next(f["value"] for r in rows for f in r["custom_fields"] if f["id"] == "fk_testCap" and f["value"])
    hits = c.data("contacts/list", per_page=25, detailed_response=1, filter={"fk_testCap": value})
    assert hits and all(any(f["id"] == "fk_testCap" and f["value"] == value for f in h["custom_fields"]) for h in hits)


def test_custom_field_definitions(shared: ScoroSandbox) -> None:
    defs = {d["id"]: d for d in Client(shared).all("customFields")}
    assert set(defs["fk_testCap"]["modules"]) == {"contacts", "calendar", "invoices", "orders", "projects",
                                                  "scheduledInvoices", "tasks"}
    assert defs["fk_dateTime"]["type"] == "datetime" and defs["fk_checkbox"]["type"] == "checkbox"
    for cid in ("fk_bill", "fk_Expe", "fk_inv_only", "fk_newNumbering", "fk_relation_cont"):
        assert cid in defs and {"id", "name", "type", "is_filterable", "modules"} <= defs[cid].keys()


def test_subtasks_need_include_subtasks(shared: ScoroSandbox) -> None:
    c = Client(shared)
    plain = c.all("tasks")
    assert all(t["parent_id"] is None for t in plain)
    with_sub = c.all("tasks", include_subtasks=1)
    subs = [t for t in with_sub if t["parent_id"]]
    assert subs and len(with_sub) == len(plain) + len(subs)
    parent = c.data(f"tasks/view/{subs[0]['parent_id']}")
    assert subs[0]["event_id"] in parent["subtask_ids"]


def test_users_list_leaves_out_portal_users(shared: ScoroSandbox) -> None:
    c = Client(shared)
    assert {u["category"] for u in c.all("users")} <= {"user", "admin"}
    assert c.data("users/list", filter={"category": "cupo"})


@pytest.mark.parametrize("placement", ["top", "request"])
def test_include_deleted_placement(shared: ScoroSandbox, placement: str) -> None:
    c = Client(shared)
    live = c.all("tasks")
    body = {"include_deleted": "1"} if placement == "top" else {"request": {"include_deleted": 1}}
    everything = c.all("tasks", **body)
    deleted = [t for t in everything if t["is_deleted"]]
    assert deleted and len(everything) == len(live) + len(deleted)
    assert all(t["deleted_date"] for t in deleted)


def test_every_documented_module_lists_rows(shared: ScoroSandbox) -> None:
    modules = set(re.findall(r"^\| \w+ \| `(\w+)` \|", MODULES_DOC.read_text(), re.M))
    assert len(modules) > 50
    c = Client(shared)
    special = {"comments": {"request": {"module": "tasks", "object_id": None}},
               "relations": {"request": {"object_id": None, "type": "contacts"}}}
    for module in sorted(modules):
        if module == "comments":
            comment_row = next(r for r in shared.store.scan("demo", "comments"))
            body = {"request": {"module": comment_row["_module"], "object_id": comment_row["_object_id"]}}
        elif module == "relations":
            rel = next(r for r in shared.store.scan("demo", "relations"))
            body = {"request": {"object_id": rel["object_id"], "type": "contacts"}}
        else:
            body = special.get(module, {})
        assert c.data(f"{module}/list", **body), module


def test_addresses_and_search(shared: ScoroSandbox) -> None:
    c = Client(shared)
    assert c.data("addresses/list")["countries"]
    name = c.data("projects/list", per_page=1)[0]["project_name"]
    hits = c.data("search/list", request={"search_phrase": name, "modules": ["projects"]})
    assert hits and hits[0]["module"] == "projects"


def test_bookmark_applies_its_saved_filter(shared: ScoroSandbox) -> None:
    c = Client(shared)
    mark = next(b for b in c.all("bookmarks") if b["module"] == "projects")
    rows = c.data("projects/list", per_page=100, bookmark={"bookmark_id": str(mark["id"])})
    assert rows and {p["status"] for p in rows} == {"inprogress"}
    assert c("projects/list", bookmark={"bookmark_id": "999"})[0] == 404


def test_every_commentable_kind_has_comments_on_live_objects(shared: ScoroSandbox) -> None:
    c = Client(shared)
    seen: dict[str, set] = {}
    for row in shared.store.scan("demo", "comments"):
        seen.setdefault(row["_module"], set()).add(row["_object_id"])
    for module in ("bills", "calendar", "contacts", "invoices", "orders", "prepayments", "projects", "quotes", "tasks"):
        live = [o for o in seen.get(module, ()) if c(f"{module}/view/{o}")[0] == 200]
        assert live, module
        assert c.data("comments/list", request={"module": module, "object_id": live[0]})
    kinds = {c.data(f"contacts/view/{o}")["contact_type"] for o in seen["contacts"]}
    assert kinds == {"company", "person"}
