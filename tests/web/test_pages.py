"""The dashboard's pages against real components: a Scoro sandbox over loopback HTTP, the runtime's
state database and runner, the query engine, a SQLite mirror."""

from __future__ import annotations

import json
import re
import tomllib

from scorolink.runtime import jobs as runtime_jobs
from scorolink.runtime.connections import ConfiguredConnections
from scorolink.runtime.store import SystemClock
from scorolink.sandbox.scoro.config import RateLimit
from scorolink.web import accounts
from tests.web.conftest import post

GET_PAGES = ("/connections", "/jobs", "/runs", "/audit", "/data/objects", "/data/objects/Invoices", "/data/records",
             "/data/sql", "/data/erd")


def _add_account(client, sb, origin, name="acme", login=False):
    site = sb.default
    form = {"name": name, "address": origin, "company_account_id": site["company_account_ids"][0],
            "timezone": ""}
    if login:
        user = site["users"][0]
        form.update(auth="login", username=user["username"], password=user["password"])
    else:
        form.update(auth="api_key", api_key=site["api_key"])
    return post(client, "/connections", form)


def test_add_a_scoro_account_with_an_api_key_test_it_and_never_show_the_key(client, served, home, store):
    sb, origin = served(rate_limit=RateLimit(per_window=40, daily=5000))
    secret = sb.default["api_key"]
    answer = _add_account(client, sb, origin)
    assert answer.status_code == 303
    listing = client.get("/connections").text
    assert "acme" in listing and "API key" in listing and "••••••••" in listing
    # stored encrypted, never in clear
    raw = (home / "scorolink.toml").read_text()
    assert secret not in raw
    table = tomllib.loads(raw)["connections"]["acme"]
    assert set(table) == {"base_url", "company_account_id", "api_key_encrypted"}
    before = sb.stats()["requests"]["total"]
    tested = post(client, "/connections/acme/test")
    assert tested.status_code == 200
    assert "OK:" in tested.text
    for account in sb.default["company_account_ids"]:
        assert account in tested.text  # the company accounts
    assert f"{sb.default['timezone']} (users list)" in tested.text  # API-key access: learnt from the users
    assert "Requests per 2-second window</dt><dd>40" in tested.text  # the rate-limit budget seen
    assert "Left today</dt><dd>49" in tested.text
    # companyAccount/list, the custom fields, and users/list for the site's time zone (learnt once per site)
    assert sb.stats()["requests"]["total"] - before == 3
    # the secret appears in no page and in no audit row
    pages = [tested.text] + [client.get(p).text for p in GET_PAGES]
    pages.append(client.get("/data/records", params={"connection": "acme", "object": "Projects", "limit": "3"}).text)
    for html in pages:
        assert secret not in html
    assert secret not in json.dumps([r["detail"] for r in accounts.audit_log(store)], default=str)
    assert ("connection added", "acme") in {(r["action"], r["target"]) for r in accounts.audit_log(store)}


def test_a_user_login_account_shows_the_site_time_zone(client, served, home):
    sb, origin = served()
    password = sb.default["users"][0]["password"]
    assert _add_account(client, sb, origin, name="by-login", login=True).status_code == 303
    assert password not in (home / "scorolink.toml").read_text()
    tested = post(client, "/connections/by-login/test")
    assert f"{sb.default['timezone']} (" in tested.text
    assert password not in tested.text and password not in client.get("/connections").text


def test_a_bad_account_is_refused_with_the_reason_and_the_form_kept(client, served, home):
    sb, origin = served()
    answer = post(client, "/connections", {"name": "x y", "address": origin, "company_account_id": "a",
                                           "auth": "api_key", "api_key": "k"})
    assert answer.status_code == 400 and "Connection name" in answer.text
    missing = post(client, "/connections", {"name": "nokey", "address": origin, "company_account_id": "a",
                                            "auth": "api_key"})
    assert missing.status_code == 400 and "No credentials" in missing.text
    assert 'value="nokey"' in missing.text
    assert "nokey" not in (home / "scorolink.toml").read_text()
    wrong = _add_account(client, sb, origin, name="wrongkey")
    assert wrong.status_code == 303
    # a wrong key is reported by the test, in Scoro's words, without a traceback
    with (home / "scorolink.toml").open("a") as fh:
        fh.write(f'\n[connections.broken]\nbase_url = "{origin}"\ncompany_account_id = "nope"\napi_key = "bad"\n')
    failed = post(client, "/connections/broken/test")
    assert failed.status_code == 200 and "Failed:" in failed.text and "Traceback" not in failed.text


def test_jobs_add_pause_resume_run_now_and_the_run_history(client, served, home, store, runner):
    sb, origin = served()
    _add_account(client, sb, origin)
    mirror = f"sqlite:///{home / 'mirror.db'}"
    form = {"name": "mirror", "operation": "replicate", "connection": "acme", "schedule": "manual",
            "p.replicate.to": mirror, "p.replicate.objects": "Projects, Tasks", "params": "group=1\nnaming=pascal"}
    assert post(client, "/jobs", form, page="/jobs").status_code == 303
    page = client.get("/jobs").text
    assert "mirror" in page and "manual" in page and mirror in page and "not created yet" in page
    assert post(client, "/jobs/mirror/pause", page="/jobs").status_code == 303
    assert "Paused" in client.get("/jobs").text
    assert post(client, "/jobs/mirror/resume", page="/jobs").status_code == 303
    # a run queued outside the page: the page's run-now is the runtime's own refusal
    waiting = runtime_jobs.run_now(store, "mirror", SystemClock().now())
    again = post(client, "/jobs/mirror/run-now", page="/jobs")
    assert again.status_code == 400 and "already has run" in again.text
    assert "queued" in client.get(f"/runs/{waiting}").text
    runner.run_until_idle()  # the runtime's runner (what `scorolink serve` runs) executes it
    # the page's run-now hands its run to the runner at once (serve --web), without waiting for a tick
    queued = post(client, "/jobs/mirror/run-now", page="/jobs")
    assert queued.status_code == 303
    assert runner.wait_idle(60) and "succeeded" in client.get(queued.headers["location"]).text
    run_url = f"/runs/{waiting}"
    run = client.get(run_url).text
    assert "succeeded" in run and "Projects" in run and "Tasks" in run
    history = client.get("/runs", params={"job": "mirror"}).text
    assert "succeeded" in history and "manual" in history
    # the event stream of a finished run: progress with the counts, every log line, then the end
    stream = client.get(run_url + "/events").text
    events = [block.split("\n") for block in stream.strip().split("\n\n")]
    kinds = [e[0].removeprefix("event: ") for e in events]
    assert kinds[-2:] == ["progress", "end"] and "log" in kinds
    progress = json.loads(events[-2][1].removeprefix("data: "))
    assert progress["state"] == "succeeded" and progress["objects_done"] == 2 == progress["objects_total"]
    assert progress["requests"] > 0 and progress["counts"]["rows"] > 0
    # the mirror is listed with its tables, and drawn
    assert "not created yet" not in client.get("/jobs").text
    erd = client.get("/data/erd", params={"db": mirror})
    assert erd.status_code == 200 and "<svg" in erd.text and "Projects" in erd.text and "Tasks" in erd.text
    actions = {r["action"] for r in accounts.audit_log(store) if r["target"] == "mirror"}
    assert {"job added", "job paused", "job resumed", "job run now"} <= actions
    assert post(client, "/jobs/mirror/remove", page="/jobs").status_code == 303
    assert "No job yet" in client.get("/jobs").text


def test_a_bad_job_is_refused_with_the_runtimes_message(client):
    answer = post(client, "/jobs", {"name": "bad", "operation": "replicate", "connection": "default",
                                    "schedule": "every blue moon"}, page="/jobs")
    assert answer.status_code == 400 and "schedule" in answer.text.lower()
    unknown = post(client, "/jobs", {"name": "bad", "operation": "replicate", "connection": "default",
                                     "schedule": "manual", "params": "colour=blue"}, page="/jobs")
    assert unknown.status_code == 400 and "colour" in unknown.text


def test_catalog_pages_show_objects_fields_filters_and_operations(client):
    objects = client.get("/data/objects").text
    assert "Invoices" in objects and "Projects" in objects
    invoices = client.get("/data/objects/Invoices").text
    assert "DocumentNumber" in invoices and "<code>no</code>" in invoices  # canonical name and API key
    assert "Lines" in invoices  # nested
    missing = client.get("/data/objects/Invoicez")
    assert missing.status_code == 400 and "Invoices" in missing.text  # did you mean


def test_the_record_browser_filters_through_the_connector(client, served):
    sb, origin = served()
    _add_account(client, sb, origin)
    page = client.get("/data/records", params={"connection": "acme", "object": "Projects",
                                               "where": "Id <= 3", "columns": "Id,ProjectName", "limit": "10"})
    assert page.status_code == 200, page.text[page.text.find("Error"):][:300]
    assert "3 record(s)" in page.text
    bad = client.get("/data/records", params={"connection": "acme", "object": "Projects", "where": "Id ~~ 3"})
    assert bad.status_code == 400 and "Error:" in bad.text


def test_the_sql_console_runs_live_with_the_plan_and_on_a_mirror(client, served, home, store):
    sb, origin = served()
    _add_account(client, sb, origin)
    sql = "SELECT Id, ProjectName FROM Projects WHERE Id > 1 ORDER BY Id"
    plan_only = post(client, "/data/sql", {"sql": sql, "source": "live", "connection": "acme", "explain_only": "1"},
                     page="/data/sql")
    assert plan_only.status_code == 200 and 'id="plan"' in plan_only.text and 'id="sql-result"' not in plan_only.text
    before = sb.stats()["requests"]["total"]
    live = post(client, "/data/sql", {"sql": sql, "source": "live", "connection": "acme"}, page="/data/sql")
    summary = re.search(r"<p id=\"sql-summary\">(.*?)</p>", live.text, re.S).group(1)
    assert live.status_code == 200 and "2 row(s)" in summary, summary
    assert sb.stats()["requests"]["total"] > before
    broken = post(client, "/data/sql", {"sql": "SELEC nothing", "source": "live", "connection": "acme"},
                  page="/data/sql")
    assert broken.status_code == 400 and "Error:" in broken.text
    # on a mirror: no request reaches Scoro
    from scorolink.replicate.engine import ReplicateOptions, replicate

    mirror = f"sqlite:///{home / 'm.db'}"
    with ConfiguredConnections(str(home / "scorolink.toml")).open("acme") as conn:
        replicate(conn.connector, mirror, ReplicateOptions(objects=["Projects"]))
    before = sb.stats()["requests"]["total"]
    offline = post(client, "/data/sql", {"sql": sql, "source": "mirror", "mirror": mirror}, page="/data/sql")
    assert offline.status_code == 200 and "2 row(s)" in offline.text
    assert sb.stats()["requests"]["total"] == before


def test_the_add_job_form_is_drawn_from_the_parameter_models(client, store):
    from scorolink.runtime import jobs as runtime_jobs
    from scorolink.runtime.params import ExportParams, ReplicateParams

    page = client.get("/jobs").text
    for op, model in (("replicate", ReplicateParams), ("export", ExportParams)):
        assert f'id="params-{op}"' in page
        assert all(f'name="p.{op}.{name}"' in page for name in model.model_fields)
    assert '<option value="snake">' in page and 'placeholder="sqlite:///scoro.db"' in page  # choices, defaults
    form = {"name": "csv", "operation": "export", "connection": "default", "schedule": "daily 03:00",
            "p.export.object": "Projects", "p.export.to": "projects.csv", "p.export.nested": "flatten",
            "p.export.include_deleted": "true", "p.export.limit": "50",
            "p.replicate.naming": "snake"}  # another operation's fields are not read
    assert post(client, "/jobs", form, page="/jobs").status_code == 303
    params = runtime_jobs.get_job(store, "csv")["params"]
    assert params == {"object": "Projects", "to": "projects.csv", "nested": "flatten", "include_deleted": True,
                      "limit": 50}
    bad = post(client, "/jobs", {**form, "name": "csv2", "p.export.nested": "sideways"}, page="/jobs")
    assert bad.status_code == 400 and "nested must be one of" in bad.text
    missing = post(client, "/jobs", {**form, "name": "csv3", "p.export.object": ""}, page="/jobs")
    assert missing.status_code == 400 and "object" in missing.text
    assert 'value="projects.csv"' in missing.text  # what was filled in is kept
