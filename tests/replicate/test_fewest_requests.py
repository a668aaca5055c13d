"""An unchanged second run costs at most one request per object on the default settings; comment
objects read by module when Scoro answers that, per parent when not; deleted comments (and the
comments of deleted records) reach the mirror on the next incremental run; TimeEntries uses a
modified_date filter only where the site honours it. Over HTTP against the sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from scorolink.catalog.scoro import CATALOG
from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.scoro import ScoroConnector
from scorolink.connectors.site_facts import SiteFacts
from scorolink.replicate.engine import ReplicateOptions, default_objects, replicate
from scorolink.session import sandbox_settings
from tests.replicate.test_replicate import rows
from tests.replicate.test_timezone import http_connector, http_sandbox

COMMENT_OBJECTS = ["InvoiceComments", "ProjectComments", "TaskComments", "CompanyComments", "PeopleComments"]
CONTACT_COMMENTS = {"CompanyComments", "PeopleComments"}  # share `contacts`: always per parent
COMMENT_OBJECTS_ALL = [n for n in default_objects(CATALOG) if (s := CATALOG.get(n)) is not None and s.module == "comments"]


@contextmanager
def site(**config: Any) -> Iterator[tuple[Any, Any]]:
    """An HTTP sandbox and a factory of connectors sharing one site's facts (as CLI runs do)."""
    with http_sandbox(**{"size": 120, **config}) as (sb, url):
        facts = SiteFacts()
        yield sb, (lambda: http_connector(sb, url, facts=facts))


# What `comments/list` without object_id gets is not documented (config.py of the sandbox): every
# reading keeps an unchanged second run at one request per object, and only "answer" is used.
@pytest.mark.parametrize("mode", ["answer", "refuse", "empty", "untagged"])
def test_an_unchanged_second_run_costs_at_most_one_request_per_object(tmp_path, mode):
    with site(comments_by_module=mode) as (sb, connect):
        mirror = f"sqlite:///{tmp_path / 'mirror.db'}"
        first = replicate(connect(), mirror)
        assert not first.failed
        for _ in range(2):  # the second run, and a third: what the first learnt is kept
            before = sb.stats()["requests"]["total"]
            second = replicate(connect(), mirror)
            assert not second.failed
            assert sb.stats()["requests"]["total"] - before == second.requests  # nothing uncounted
            over = {n: r.requests for n, r in second.objects.items() if r.requests > 1}
            assert over == {}, over
            assert second.requests <= len(default_objects(connect().catalog))
            assert all(r.rows == 0 for r in second.objects.values())
            parents = {n: second.objects[n].parents for n in COMMENT_OBJECTS}
            assert parents == {n: "module" if mode == "answer" and n not in CONTACT_COMMENTS else "changed"
                               for n in COMMENT_OBJECTS}
        assert connect().facts.get("comments_by_module") is (mode == "answer")


@pytest.mark.parametrize("mode", ["answer", "untagged"])
def test_comments_read_by_module_mirror_what_per_parent_reads_do(tmp_path, mode):
    """The module-wide form must not put a comment under the wrong object: Companies and People share
    the `contacts` module, and rows that do not say their record cannot be used."""
    objects = ["Companies", "People", "Tasks", *COMMENT_OBJECTS]
    query = "SELECT RemoteID, ObjectId, Module, Comment, IsDeleted, UpdatedDate FROM {} ORDER BY RemoteID"
    mirrors = {}
    for setting in (mode, "refuse"):
        with site(comments_by_module=setting, size=600) as (sb, connect):
            mirror = f"sqlite:///{tmp_path / f'{setting}.db'}"
            summary = replicate(connect(), mirror, ReplicateOptions(objects=objects))
            assert not summary.failed
            mirrors[setting] = {n: rows(mirror, query.format(n)) for n in COMMENT_OBJECTS}
            companies = {r[0] for r in rows(mirror, "SELECT Id FROM Companies")}
            people = {r[0] for r in rows(mirror, "SELECT Id FROM People")}
            assert {r[0] for r in rows(mirror, "SELECT ObjectId FROM CompanyComments")} <= companies
            assert {r[0] for r in rows(mirror, "SELECT ObjectId FROM PeopleComments")} <= people
            by_pages = setting == "answer"  # every parent: the module's pages, kept to this object's records
            for name, parents in (("CompanyComments", companies), ("PeopleComments", people)):
                asked = summary.objects[name].requests
                assert (asked <= 4 < len(parents)) if by_pages else (asked > len(parents)), (name, asked, len(parents))
            swept = replicate(connect(), mirror, ReplicateOptions(objects=objects, sweep_days=0))
            assert not swept.failed and swept.objects["CompanyComments"].parents == "all"
            assert {n: rows(mirror, query.format(n)) for n in COMMENT_OBJECTS} == mirrors[setting]
    assert all(mirrors[mode][n] for n in COMMENT_OBJECTS)
    assert mirrors[mode] == mirrors["refuse"]


@pytest.mark.parametrize(("by_module", "per_parent"), [(True, "changed"), (False, "all"), (False, "changed")],
                         ids=["comments-by-module", "per-parent-all", "per-parent-changed"])
def test_deleted_comments_and_comments_of_deleted_records_are_flagged_on_the_next_incremental_run(tmp_path,
                                                                                                 by_module, per_parent):
    with site(comments_by_module=by_module) as (sb, connect):
        mirror = f"sqlite:///{tmp_path / 'mirror.db'}"
        options = ReplicateOptions(objects=["Projects", "ProjectComments", "Invoices", "InvoiceComments"],
                                   per_parent=per_parent)
        replicate(connect(), mirror, options)
        live = rows(mirror, "SELECT Id, ObjectId FROM ProjectComments WHERE IsDeleted = 0 ORDER BY Id")
        comment_id = live[0][0]
        on_invoice = rows(mirror, "SELECT Id, ObjectId FROM InvoiceComments WHERE IsDeleted = 0 ORDER BY Id")
        invoice_id = on_invoice[0][1]
        doomed = {r[0] for r in on_invoice if r[1] == invoice_id}
        deleted_before = {r[0] for r in rows(mirror, "SELECT Id FROM InvoiceComments WHERE IsDeleted = 1")}
        project_deleted_before = rows(mirror, "SELECT COUNT(*) FROM ProjectComments WHERE IsDeleted = 1")[0][0]
        connector = connect()
        connector.client.delete("comments", comment_id)
        connector.client.delete("invoices", invoice_id)
        summary = replicate(connect(), mirror, options)
        assert summary.objects["ProjectComments"].mode == "incremental"
        assert summary.objects["InvoiceComments"].mode == "incremental"
        # asking only changed parents, a comment deleted on an unchanged project waits for the sweep
        waits = not by_module and per_parent == "changed"
        assert rows(mirror, "SELECT IsDeleted FROM ProjectComments WHERE Id = ?", (comment_id,)) == [(0 if waits else 1,)]
        flagged = {r[0] for r in rows(mirror, "SELECT Id FROM InvoiceComments WHERE IsDeleted = 1")}
        assert flagged == deleted_before | doomed
        assert rows(mirror, "SELECT IsDeleted FROM Invoices WHERE Id = ?", (invoice_id,)) == [(1,)]
        # the others are untouched
        assert rows(mirror, "SELECT COUNT(*) FROM ProjectComments WHERE IsDeleted = 1") == [
            (project_deleted_before + (0 if waits else 1),)]
        if waits:
            swept = replicate(connect(), mirror, ReplicateOptions(objects=options.objects, sweep_days=0))
            assert swept.objects["ProjectComments"].parents == "all"
            assert rows(mirror, "SELECT IsDeleted FROM ProjectComments WHERE Id = ?", (comment_id,)) == [(1,)]


@pytest.mark.parametrize("honoured", [True, False], ids=["filter-honoured", "filter-ignored"])
def test_time_entries_use_a_modified_date_filter_only_where_the_site_honours_it(tmp_path, honoured):
    ignored = frozenset() if honoured else frozenset({"timeEntries"})
    with site(ignore_modified_filter=ignored) as (sb, connect):
        sb.set_count("demo", "timeEntries", 250)
        mirror = f"sqlite:///{tmp_path / 'mirror.db'}"
        options = ReplicateOptions(objects=["TimeEntries"])
        replicate(connect(), mirror, options)
        second = replicate(connect(), mirror, options).objects["TimeEntries"]
        third = replicate(connect(), mirror, options).objects["TimeEntries"]
        sent = [r["body"].get("filter") or {} for r in sb.recent_requests(third.requests)]
        if honoured:  # only what the window returns: fewer pages than the 3 of a full read
            assert (second.mode, third.mode) == ("incremental", "incremental")
            assert second.requests == 1 and third.requests == 1, (second.requests, third.requests)
            assert all("modified_date" in f for f in sent)
        else:  # the probe's future range came back full: read in full and diffed, as before
            assert (second.mode, second.requests, third.requests) == ("full", 3, 3)
        assert third.rows == 0
        assert rows(mirror, "SELECT COUNT(*) FROM TimeEntries WHERE IsDeleted = 0") == [(250,)]


class RefusesModifiedFilter(httpx.HTTPTransport):
    """A site whose timeEntries list answers a `modified_date` filter with an ERROR (a stricter reading
    than Scoro's "unknown filter keys are ignored")."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        if request.url.path.endswith("/timeEntries/list") and "modified_date" in (body.get("filter") or {}):
            self.refused += 1
            return httpx.Response(200, json={"status": "ERROR", "statusCode": 400,
                                             "messages": {"error": ["Unknown filter: modified_date"]}})
        return super().handle_request(request)


def test_time_entries_on_a_site_that_refuses_the_filter_are_read_in_full_not_failed(tmp_path):
    with http_sandbox(size=120) as (sb, url):
        sb.set_count("demo", "timeEntries", 250)
        facts = SiteFacts()
        transport = RefusesModifiedFilter()

        def connect() -> ScoroConnector:
            client = ScoroClient(sandbox_settings(sb, base_url=url), transport=transport, sleep=lambda _s: None)
            return ScoroConnector(client, facts=facts)

        mirror = f"sqlite:///{tmp_path / 'mirror.db'}"
        options = ReplicateOptions(objects=["TimeEntries"])
        first = replicate(connect(), mirror, options).objects["TimeEntries"]
        second = replicate(connect(), mirror, options).objects["TimeEntries"]
        assert first.error is None and second.error is None
        assert (second.mode, second.requests, second.rows) == ("full", 3, 0)
        assert transport.refused == 1  # asked once, the answer kept
        assert facts.get("filter_honoured:timeEntries.modified_date") is False
        assert rows(mirror, "SELECT COUNT(*) FROM TimeEntries WHERE IsDeleted = 0") == [(250,)]


@pytest.mark.loopback
@pytest.mark.parametrize("mode", ["answer", "refuse"])
def test_served_sandbox_unchanged_second_cli_run_is_one_request_per_object(tmp_path, mode):
    """What a user sees: `scorolink sandbox scoro` in one process, `scorolink replicate` run twice in
    others (sharing the site's facts through the cache directory), counted by the sandbox's own log."""
    exe = [sys.executable, "-c", "from scorolink.cli import main; main()"]
    server = subprocess.Popen([*exe, "sandbox", "scoro", "--port", "0", "--size", "120", "--comments-by-module", mode],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        origin = info["base_url"].removesuffix("/api/v2")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SCORO_", "SCOROLINK_"))}
        env.update(SCORO_BASE_URL=info["base_url"], SCORO_API_KEY=info["api_key"],
                   SCORO_COMPANY_ACCOUNT_ID=info["company_account_id"], SCOROLINK_CACHE_DIR=str(tmp_path / "cache"))
        mirror = f"sqlite:///{tmp_path / 'mirror.db'}"
        summaries, logged = [], []
        for _ in range(2):
            httpx.post(origin + "/_sandbox/reset")
            done = subprocess.run([*exe, "replicate", "--to", mirror, "--json"], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr
            summaries.append(json.loads(done.stdout))
            logged.append(httpx.get(origin + "/_sandbox/stats").json()["requests"])
    finally:
        server.terminate()
        server.wait(timeout=20)
    second, log = summaries[1], logged[1]
    objects = second["objects"]
    assert len(objects) == len(default_objects(CATALOG))
    assert log["total"] == second["requests"] == sum(o["requests"] for o in objects.values())
    assert {n: o["requests"] for n, o in objects.items() if o["requests"] > 1} == {}
    assert log["total"] <= len(objects) and all(o["rows"] == 0 for o in objects.values())
    # the comment objects: one module-wide list where the site answers it, else one page of changed parents
    comments = log["by_endpoint"].get("comments/list", 0)
    assert comments == (len(COMMENT_OBJECTS_ALL) - len(CONTACT_COMMENTS) if mode == "answer" else 0)
    assert logged[0]["total"] == summaries[0]["requests"]
