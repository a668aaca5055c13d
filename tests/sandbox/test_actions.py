import base64

import httpx
from sandbox_http import Client

from scorolink.sandbox.scoro import ScoroSandbox


def test_set_done(api: Client) -> None:
    task = next(t for t in api.all("tasks") if not t["is_completed"])
    status, env = api(f"tasks/setDone/{task['event_id']}", request={})
    assert env == {"status": "OK", "statusCode": "200", "messages": None}
    done = api.data(f"tasks/view/{task['event_id']}")
    assert done["is_completed"] == 1 and done["datetime_completed"]
    entry = next(t for t in api.all("timeEntries") if not t["is_completed"])
    assert "data" not in api(f"timeEntries/setDone/{entry['time_entry_id']}", request={})[1]
    assert api.data(f"timeEntries/view/{entry['time_entry_id']}")["is_completed"] == 1
    assert api("tasks/setDone/99999999", request={})[0] == 404


def test_pdf_links(api: Client) -> None:
    for module in ("invoices", "quotes", "orders", "prepayments", "purchaseOrders"):
        rid = api.data(f"{module}/list", per_page=1)[0]["id"]
        pdf = api.data(f"{module}/pdf/{rid}")
        assert {"template_id", "datetime_created", "pdf_link"} <= pdf.keys()
        assert api.raw(pdf["pdf_link"].replace("http://sandbox.test", ""), method="GET").content.startswith(b"%PDF")


def test_related_objects(api: Client) -> None:
    inv = api.data("invoices/view/1")
    related = api.data(f"contacts/getRelatedObjects/{inv['company_id']}")
    assert set(related) == {"tasks", "calendar", "projects", "invoices", "prepayments", "bills", "quotes", "orders", "files"}
    assert 1 in [i["id"] for i in related["invoices"]["items"]]
    assert related["invoices"]["totals"]
    project = api.data("projects/list", per_page=1)[0]["project_id"]
    prel = api.data(f"projects/getRelatedObjects/{project}")
    assert {"companies", "contacts", "tasks", "calendar", "invoices", "prepayments", "bills", "quotes", "orders",
            "files", "budgets"} == set(prel)
    assert all(t["project_id"] == project for t in prel["tasks"]["items"])


def test_calendar_batch_modify(api: Client) -> None:
    existing = api.data("calendar/list", per_page=1)[0]
    result = api.data("calendar/batchModify", request=[
        {"event_name": "New one", "start_datetime": "2026-03-05T10:00:00+02:00", "end_datetime": "2026-03-05T11:00:00+02:00"},
        {"event_id": existing["event_id"], "event_name": "Renamed"},
        {"event_name": "Bad", "project_id": 99999999},
    ])
    assert [r["action"] for r in result] == ["create", "modify", "create"]
    assert result[0]["object"]["event_id"] and result[0]["errors"] == []
    assert result[1]["object"]["event_name"] == "Renamed"
    assert result[2]["object"] is None and result[2]["errors"]


def test_file_chunked_upload_and_download(api: Client) -> None:
    content = bytes(range(256)) * 40
    b64 = base64.b64encode(content).decode()
    parts = [b64[i:i + 4000] for i in range(0, len(b64), 4000)]
    for n, part in enumerate(parts, 1):
        env = api("files/modify", request={"size": len(content), "name": "data.bin", "chunk_no": n,
                                           "chunks_total": len(parts), "chunk_data": part, "uploaded_by": 1})[1]
        assert env["status"] == "OK"
    file = env["data"]
    assert file["file_name"] == "data.bin" and file["file_size"] == str(len(content))
    down = api.data(f"files/download/{file['file_id']}")
    assert down["file_id"] == file["file_id"] and base64.b64decode(down["content"]) == content
    generated = api.data("files/list", per_page=1)[0]
    assert base64.b64decode(api.data(f"files/download/{generated['file_id']}")["content"])


def test_file_chunk_too_big(api: Client) -> None:
    status, env = api("files/modify", request={"size": 1, "name": "x", "chunk_no": 1, "chunks_total": 1,
                                               "chunk_data": "A" * 5_000_004})
    assert env["status"] == "ERROR" and "5000000" in env["messages"]["error"][0]


def test_file_relations(api: Client) -> None:
    fid = api.data("files/list", per_page=1)[0]["file_id"]
    f = api.data(f"files/addRelation/{fid}", request={"rel_type": "projects", "rel_id": 1})
    assert 1 in f["relations"]["projects"]
    f = api.data(f"files/removeRelation/{fid}", request={"rel_type": "projects", "rel_id": 1})
    assert 1 not in f["relations"].get("projects", [])
    assert api(f"files/addRelation/{fid}", request={"rel_type": "projects", "rel_id": 999999})[1]["status"] == "ERROR"


def test_relations(api: Client) -> None:
    assert isinstance(api.data("relations/list", request={"object_id": 2, "type": "contacts"}), list)
    saved = api.data("relations/modify", request={"object_id": 2, "type": "contacts",
                                                 "related_objects": [{"id": 7, "relation": "partner", "comment": "c"}]})
    assert any(r["id"] == 7 and r["relation"] == "partner" for r in saved["related_objects"])
    listed = api.data("relations/list", request={"object_id": 2, "type": "contacts"})
    assert listed[0]["object_id"] == 2 and any(r["id"] == 7 for r in listed[0]["related_objects"])
    api.data("relations/modify", request={"object_id": 2, "type": "contacts", "related_objects": [{"id": 5}]})
    ids = [r["id"] for r in api.data("relations/list", request={"object_id": 2, "type": "contacts"})[0]["related_objects"]]
    assert {7, 5} <= set(ids)  # modify upserts
    env = api("relations/delete", request={"object_id": 2, "type": "contacts", "related_objects": [7]})[1]
    assert env["status"] == "OK" and "data" not in env
    ids = [r["id"] for r in api.data("relations/list", request={"object_id": 2, "type": "contacts"})[0]["related_objects"]]
    assert 7 not in ids and 5 in ids
    assert api("relations/list", request={})[1]["status"] == "ERROR"


def test_comments_list_requires_parent(shared: ScoroSandbox) -> None:
    api = Client(shared)
    assert api("comments/list", request={})[1]["messages"]["error"] == ["module is required"]
    row = next(shared.store.scan("demo", "comments"))
    listed = api.data("comments/list", request={"module": row["_module"], "object_id": str(row["_object_id"])})
    assert row["comment_id"] in [c["comment_id"] for c in listed]
    same = api.data("comments/list", filter={"module": row["_module"], "object_id": row["_object_id"]})
    assert same == listed


def test_labor_cost_upsert(api: Client) -> None:
    before = api.data("usersLaborCost/view/2")
    assert before["user_id"] == 2 and before["labor_cost"]
    api.data("usersLaborCost/modify/2", request={"labor_cost": [{"date": "2026-01-01", "hour_cost": 33.5}]})
    api.data("usersLaborCost/modify/2", request={"labor_cost": [{"date": "2026-01-01", "hour_cost": 35},
                                                                {"date": "2026-02-01", "hour_cost": 36}]})
    costs = {c["date"]: c["hour_cost"] for c in api.data("usersLaborCost/view/2")["labor_cost"]}
    assert costs["2026-01-01"] == 35.0 and costs["2026-02-01"] == 36.0 and len(costs) == len(before["labor_cost"]) + 2
    assert api("usersLaborCost/modify/999", request={"labor_cost": [{"date": "2026-01-01", "hour_cost": 1}]})[1]["status"] == "ERROR"


def test_webhooks(api: Client) -> None:
    hook = api.data("webhooks/subscribe", request={"module": "tasks", "action": "modify", "url": "https://hooks.test/x"})
    assert hook["id"] and hook["url"] == "https://hooks.test/x"
    assert hook["id"] in [h["id"] for h in api.all("webhooks")]
    assert api(f"webhooks/unsubscribe/{hook['id']}")[1]["status"] == "OK"
    assert hook["id"] not in [h["id"] for h in api.all("webhooks")]
    assert api("webhooks/subscribe", request={"module": "tasks", "url": "not a url"})[1]["status"] == "ERROR"


def test_contact_picture_is_served(shared: ScoroSandbox) -> None:
    api = Client(shared)
    contact = next(c for c in api.all("contacts") if c["contact_picture"])
    url = contact["contact_picture"]
    assert url.startswith("http://sandbox.test/")
    r = api.raw(httpx.URL(url).path, method="GET")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content.startswith(b"\x89PNG")
    assert api.raw(httpx.URL(url).path, method="GET").content == r.content
