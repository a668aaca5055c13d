import contextlib
import time
from typing import Any

import pytest
from sandbox_http import Client

from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox


def test_create_update_view_contact(api: Client) -> None:
    created = api.data("contacts/modify", request={"name": "Acme Sandbox", "contact_type": "company",
                                                  "means_of_contact": {"email": "a@acme.test"},
                                                  "created_date": "2000-01-01T00:00:00+02:00", "c_flat": "ignored",
                                                  "no_such_field": 1, "is_client": True})
    cid = created["contact_id"]
    assert created["name"] == "Acme Sandbox" and created["means_of_contact"]["email"] == ["a@acme.test"]
    assert not created["created_date"].startswith("2000") and created["is_client"] == 1
    assert "c_flat" not in created and "no_such_field" not in created
    assert api.data("contacts/modify/0", request={"name": "Second"})["contact_id"] > cid
    time.sleep(1.05)
    updated = api.data(f"contacts/modify/{cid}", request={"comments": "changed"})
    assert updated["comments"] == "changed" and updated["name"] == "Acme Sandbox"  # partial update
    assert updated["modified_date"] > created["modified_date"]
    assert updated["created_date"] == created["created_date"]
    assert api.data(f"contacts/view/{cid}")["comments"] == "changed"


def test_return_data_zero(api: Client) -> None:
    status, env = api("contacts/modify", request={"name": "Quiet"}, return_data=0)
    assert env["status"] == "OK" and "data" not in env


def test_update_missing_id_is_404(api: Client) -> None:
    status, env = api("contacts/modify/987654", request={"name": "x"})
    assert status == 404 and env["status"] == "ERROR"


def test_soft_delete_and_30_day_window(sb: ScoroSandbox, api: Client) -> None:
    tid = api.data("tasks/list", per_page=1)[0]["event_id"]
    before = api.data(f"tasks/view/{tid}")
    status, env = api(f"tasks/delete/{tid}")
    assert env == {"status": "OK", "statusCode": "200", "messages": None}
    assert api(f"tasks/view/{tid}")[0] == 404
    assert tid not in [t["event_id"] for t in api.all("tasks")]
    row = next(t for t in api.all("tasks", include_deleted=1) if t["event_id"] == tid)
    assert row["is_deleted"] == 1 and row["deleted_date"] and row["modified_date"] >= before["modified_date"]
    assert api.data(f"tasks/view/{tid}", include_deleted=1)["is_deleted"] == 1
    assert api(f"tasks/delete/{tid}")[0] == 404
    sb.advance_clock(29 * 86400)
    assert tid in [t["event_id"] for t in api.all("tasks", include_deleted=1)]
    sb.advance_clock(2 * 86400)
    assert tid not in [t["event_id"] for t in api.all("tasks", include_deleted=1)]


def test_generated_deleted_rows_are_inside_the_window(sb: ScoroSandbox, api: Client) -> None:
    deleted = [c for c in api.all("contacts", include_deleted=1) if c["is_deleted"]]
    assert deleted
    sb.advance_clock(31 * 86400)
    assert not [c for c in api.all("contacts", include_deleted=1) if c["is_deleted"]]


def test_modified_date_filter_finds_fresh_writes(api: Client, sb: ScoroSandbox) -> None:
    today = sb.default_site.tf.date(sb.clock.now())
    pid = api.data("projects/modify", request={"project_name": "Fresh", "company_id": 1})["project_id"]
    hits = api.data("projects/list", filter={"modified_date": {"from_date": today}})
    assert pid in [p["project_id"] for p in hits]


def test_document_lines_written_with_document(api: Client) -> None:
    inv = api.data("invoices/modify", request={"company_id": 1, "date": "2026-03-01", "lines": [
        {"product_id": 1, "price": 10, "amount": 2}, {"product_id": 2, "price": 5, "amount": 1, "comment": "b"}]})
    lines = inv["lines"]
    assert [ln["sum"] for ln in lines] == [20.0, 5.0] and all(ln["id"] for ln in lines) and inv["sum"] == 25.0
    assert inv["company_name"]
    updated = api.data(f"invoices/modify/{inv['id']}", request={"lines": [{"id": lines[1]["id"], "amount": 3}]})
    assert [ln["id"] for ln in updated["lines"]] == [lines[1]["id"]]  # omitted line removed
    assert updated["lines"][0]["sum"] == 15.0 and updated["lines"][0]["comment"] == "b" and updated["sum"] == 15.0
    status, env = api("invoices/modify", request={"company_id": 1, "lines": [{"product_id": 999999}]})
    assert env["status"] == "ERROR" and "product_id" in env["messages"]["error"][0]


def test_custom_fields_write(api: Client) -> None:
    cid = api.data("contacts/modify", request={"name": "CF", "custom_fields": [{"id": "fk_text", "value": "hello"}],
                                              "fk_text": "flat key ignored"})["contact_id"]
    values = {f["id"]: f["value"] for f in api.data(f"contacts/view/{cid}")["custom_fields"]}
    assert values["fk_text"] == "hello"
    assert api.data("contacts/list", filter={"fk_text": "hello"})[0]["contact_id"] == cid
    status, env = api(f"contacts/modify/{cid}", request={"custom_fields": [{"id": "c_nope", "value": 1}]})
    assert env["status"] == "ERROR" and "c_nope" in env["messages"]["error"][0]


def test_time_entry_validation(api: Client) -> None:
    task = api.data("tasks/list", per_page=1)[0]["event_id"]
    status, env = api("timeEntries/modify", request={"user_id": 1, "duration": "01:00:00"})
    assert status == 200 and env == {"status": "ERROR", "statusCode": 400, "messages": {"error": ["event_id is required"]}}
    status, env = api("timeEntries/modify", request={"event_id": task, "duration": "01:00:00"})
    assert env["messages"]["error"] == ["user_id is required"]
    status, env = api("timeEntries/modify", request={"event_id": task, "user_id": 1, "duration": "1h"})
    assert "HH:ii:ss" in env["messages"]["error"][0]
    status, env = api("timeEntries/modify", request={"event_id": 99999999, "user_id": 1})
    assert "event_id" in env["messages"]["error"][0]
    entry = api.data("timeEntries/modify", request={"event_id": task, "user_id": 1, "duration": "01:30:00",
                                                   "start_datetime": "2026-03-01T09:00:00", "is_completed": True})
    assert entry["event_type"] == "task" and entry["time_entry_date"] == "2026-03-01"
    assert entry["start_datetime"] == "2026-03-01T09:00:00+02:00" and entry["end_datetime"].startswith("2026-03-01T10:30")
    assert entry["completed_datetime"]
    assert entry["time_entry_id"] in [t["time_entry_id"] for t in api.data(f"tasks/view/{task}")["time_entries"]]


def test_validation_http_status_is_configurable() -> None:
    sb = ScoroSandbox(SandboxConfig(seed=1, size=100, sites=1, validation_http_status=400))
    status, env = Client(sb)("timeEntries/modify", request={})
    assert status == 400 and env["statusCode"] == 400


def test_task_rules(api: Client) -> None:
    status, env = api("tasks/modify", request={"event_name": "T", "project_id": "abc"})
    assert env["messages"]["error"] == ["project_id must be an integer"]
    status, env = api("tasks/modify", request={"event_name": "T", "project_id": 99999})
    assert env["status"] == "ERROR" and "project_id" in env["messages"]["error"][0]
    status, env = api("tasks/modify", request={"project_id": 1})
    assert env["messages"]["error"] == ["event_name is required"]
    task = api.data("tasks/modify", request={"event_name": "T", "project_id": 1, "related_users": [1, 2]})
    assert task["project_id"] == 1 and task["related_users_emails"][0].endswith(".example")
    sub = api.data("tasks/modify", request={"event_name": "Sub", "parent_id": task["event_id"]})
    assert sub["project_id"] == 1 and sub["parent_id"] == task["event_id"]
    assert sub["event_id"] in api.data(f"tasks/view/{task['event_id']}")["subtask_ids"]


def test_tasks_and_calendar_share_event_ids(api: Client) -> None:
    t = api.data("tasks/modify", request={"event_name": "a"})["event_id"]
    e = api.data("calendar/modify", request={"event_name": "b", "start_datetime": "2026-03-03T10:00:00+02:00",
                                             "end_datetime": "2026-03-03T11:00:00+02:00"})["event_id"]
    assert e == t + 1
    entry = api.data("timeEntries/modify", request={"event_id": e, "user_id": 1, "duration": "00:30:00"})
    assert entry["event_type"] == "cal"


def test_comments_write_rules(api: Client) -> None:
    status, env = api("comments/modify", request={"object_id": 1, "comment": "x", "user_id": 1})
    assert env["messages"]["error"] == ["module is required"]
    status, env = api("comments/modify", request={"module": "projects", "object_id": 1, "comment": "x"})
    assert env["messages"]["error"] == ["user_id is required"]
    status, env = api("comments/modify", request={"module": "projects", "object_id": 999999, "comment": "x", "user_id": 1})
    assert env["status"] == "ERROR"
    status, env = api("comments/modify", request={"module": "projects", "object_id": 1, "comment": "<b>Hi</b>", "user_id": 1})
    assert env["statusCode"] == "200" and env["data"]["comment"] == "<b>Hi</b>"
    cid = env["data"]["comment_id"]
    listed = api.data("comments/list", request={"module": "projects", "object_id": 1}, html=0)
    assert any(c["comment_id"] == cid and c["comment"] == "Hi" for c in listed)
    # module alone: answered by default (comments_by_module), each row saying which record it is on
    by_module = api.data("comments/list", request={"module": "projects"})
    assert any(c["comment_id"] == cid and c["object_id"] == 1 and c["module"] == "projects" for c in by_module)
    assert api(f"comments/delete/{cid}")[1]["status"] == "OK"


@pytest.mark.parametrize("mode", ["answer", "refuse", "empty", "untagged", True, False])
def test_comments_list_without_object_id_answers_as_the_setting_says(mode: Any) -> None:
    # the reference calls object_id mandatory and is silent on a list without it: each reading is a setting
    with contextlib.closing(ScoroSandbox(SandboxConfig(seed=2, size=60, sites=1, comments_by_module=mode))) as sb:
        api = Client(sb)
        per_record = api.data("comments/list", request={"module": "tasks", "object_id": 1})
        status, env = api("comments/list", request={"module": "tasks"})
        kind = {True: "answer", False: "refuse"}.get(mode, mode)
        if kind == "refuse":
            assert env["status"] == "ERROR" and env["messages"]["error"] == ["object_id is required"]
            return
        assert env["status"] == "OK"
        rows = env["data"]
        if kind == "empty":
            assert rows == [] and per_record
            return
        ids = {r["comment_id"] for r in rows}
        assert {r["comment_id"] for r in per_record} <= ids and len(ids) > len(per_record)
        tagged = [r for r in rows if "object_id" in r or "module" in r]
        assert (len(tagged) == len(rows) and {r["module"] for r in rows} == {"tasks"}) if kind == "answer" else not tagged


def test_an_unknown_comments_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="comments_by_module"):
        SandboxConfig(comments_by_module="sometimes")


def test_project_phases_written_through_projects(api: Client) -> None:
    p = api.data("projects/modify", request={"project_name": "P", "company_id": 1, "phases": [
        {"type": "phase", "title": "One", "start_date": "2026-03-01", "end_date": "2026-03-10"},
        {"type": "milestone", "title": "Go", "start_date": "2026-03-11", "end_date": "2026-03-11"}]})
    assert p["deadline"] == "0000-00-00"
    phases = api.data(f"projects/view/{p['project_id']}")["phases"]
    assert [x["title"] for x in phases] == ["One", "Go"]
    api.data(f"projects/modify/{p['project_id']}", request={"phases": [{"id": phases[0]["id"], "title": "Renamed"}]})
    listed = api.data("projectPhases/list", filter={"project_id": p["project_id"]})
    assert sorted(x["title"] for x in listed) == ["Go", "Renamed"]
    status, env = api(f"projects/modify/{p['project_id']}", request={"project_type": "internal"})
    assert env["status"] == "ERROR"


def test_booleans_accept_strings(api: Client) -> None:
    cid = api.data("contacts/modify", request={"name": "B", "is_supplier": "1", "is_client": False})["contact_id"]
    row = api.data(f"contacts/view/{cid}")
    assert row["is_supplier"] == 1 and row["is_client"] == 0


def test_created_documents_are_complete(api: Client) -> None:
    product = api.data("products/view/1")
    inv = api.data("invoices/modify", request={"company_id": 1, "lines": [{"product_id": 1, "amount": 2}]})
    line = inv["lines"][0]
    assert line["price"] == product["price"] and line["product_name"] == product["name"]
    assert line["sum"] == round(product["price"] * 2, 2) and line["dates"] == {}
    assert inv["no"] == str(230000 + inv["id"]) and inv["date"] and inv["status"] == "unpaid"
    assert inv["currency"] == "EUR" and inv["account_id"] == "demo"


def test_means_of_contact_update_keeps_other_kinds(api: Client) -> None:
    cid = api.data("contacts/modify", request={"name": "M", "means_of_contact": {"phone": ["+372 1"]}})["contact_id"]
    row = api.data(f"contacts/modify/{cid}", request={"means_of_contact": {"email": "m@x.test"}})
    assert row["means_of_contact"]["phone"] == ["+372 1"] and row["means_of_contact"]["email"] == ["m@x.test"]
    assert set(row["means_of_contact"]) >= {"mobile", "phone", "email", "website", "skype", "fax"}


def test_renaming_a_project_keeps_the_new_name(api: Client) -> None:
    renamed = api.data("projects/modify/1", request={"project_name": "Renamed project"})
    assert renamed["project_name"] == "Renamed project"
    assert api.data("projects/view/1")["project_name"] == "Renamed project"
