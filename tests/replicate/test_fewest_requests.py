"""An unchanged second run costs at most one request per object on the default settings; comment
objects read by module when Scoro answers that, per parent when not; deleted comments (and the
comments of deleted records) reach the mirror on the next incremental run; TimeEntries uses a
modified_date filter only where the site honours it. Over HTTP against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from scorolink.connectors.site_facts import SiteFacts
from scorolink.replicate.engine import ReplicateOptions, default_objects, replicate
from tests.replicate.test_replicate import rows
from tests.replicate.test_timezone import http_connector, http_sandbox

COMMENT_OBJECTS = ["InvoiceComments", "ProjectComments", "TaskComments", "CompanyComments"]


@contextmanager
def site(**config: Any) -> Iterator[tuple[Any, Any]]:
    """An HTTP sandbox and a factory of connectors sharing one site's facts (as CLI runs do)."""
    with http_sandbox(**{"size": 120, **config}) as (sb, url):
        facts = SiteFacts()
        yield sb, (lambda: http_connector(sb, url, facts=facts))


@pytest.mark.parametrize("by_module", [True, False], ids=["comments-by-module", "comments-per-parent"])
def test_an_unchanged_second_run_costs_at_most_one_request_per_object(tmp_path, by_module):
    with site(comments_by_module=by_module) as (sb, connect):
        mirror = f"sqlite:///{tmp_path / 'mirror.db'}"
        first = replicate(connect(), mirror)
        assert not first.failed
        before = sb.stats()["requests"]["total"]
        second = replicate(connect(), mirror)
        assert not second.failed
        assert sb.stats()["requests"]["total"] - before == second.requests  # nothing uncounted
        over = {n: r.requests for n, r in second.objects.items() if r.requests > 1}
        assert over == {}, over
        assert second.requests <= len(default_objects(connect().catalog))
        assert all(r.rows == 0 for r in second.objects.values())
        parents = {second.objects[n].parents for n in COMMENT_OBJECTS}
        assert parents == ({"module"} if by_module else {"changed"})


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
            assert second.requests < 3 and third.requests < 3
            assert all("modified_date" in f for f in sent)
        else:  # the probe's future range came back full: read in full and diffed, as before
            assert (second.mode, second.requests, third.requests) == ("full", 3, 3)
        assert third.rows == 0
        assert rows(mirror, "SELECT COUNT(*) FROM TimeEntries WHERE IsDeleted = 0") == [(250,)]
