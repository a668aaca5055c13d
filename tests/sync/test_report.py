"""The sync report's wording (sync/report.py), one for every counterpart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scorolink.sync.engine import SyncResult
from scorolink.sync.model import CategoryPlan, Issue, PlannedOp
from scorolink.sync.report import (
    Names,
    closing_lines,
    done_words,
    exit_code,
    job_line,
    more,
    next_try,
    op_line,
    planned_words,
    reason_line,
    reasons,
)


def test_counts_and_writes_read_as_words_for_any_counterpart():
    counts = {"create_b": 3, "link_a": 1, "validation": 2, "unchanged": 9, "out_of_scope": 4}
    assert planned_words(counts, Names("QuickBooks")) == ("create in QuickBooks 3, link to Scoro 1, refused 2, "
                                                         "outside what is synced 4")
    assert planned_words({"unchanged": 5}, Names("Xero")) == "-"
    assert done_words({"created": 2, "failed": 1, "deferred": 1}) == "created 2, refused 1, waiting for another record 1"
    op = PlannedOp("contacts", "b", "create", "4", None, {}, None, "h", diff={"name": (None, "Acme")})
    assert op_line("contacts", op, Names("Xero")) == "contacts: create in Xero: Scoro record 4 — name: None → 'Acme'"
    assert more(25) == "… and 5 more" and more(20) is None


def test_each_reason_once_with_its_records():
    found = [("invoices", "validation", "no product", str(i)) for i in range(1, 8)] + [
        ("invoices", "validation", "no product", "1")]
    [(category, kind, message, ids)] = reasons(found)
    assert ids == [str(i) for i in range(1, 8)]
    assert reason_line(category, kind, message, ids) == ("invoices: refused", "(7: 1, 2, 3, 4, 5 and 2 more): no product")


def test_one_exit_rule_and_a_job_line_that_never_hides_open_errors():
    quiet = SyncResult("xero", 7, dry_run=False)
    assert exit_code(quiet, 0) == 0 and exit_code(quiet, 3) == 1
    assert exit_code(SyncResult("xero", 8, dry_run=True), 3) == 0
    stopped = SyncResult("xero", 9, dry_run=False, stopped="rate limited")
    assert exit_code(stopped, 0) == 1
    assert job_line("xero sync", quiet, 0, "scorolink xero errors") == "xero sync run 7: no changes"
    line = job_line("xero sync", quiet, 3, "scorolink xero errors")
    assert "no changes" not in line and "3 record error(s) open (`scorolink xero errors`)" in line
    quiet.warnings.append("tax map: VAT22 (22 %) → OUTPUT (24 %)")
    assert "warning: tax map: VAT22 (22 %)" in job_line("xero sync", quiet, 0, "scorolink xero errors")
    assert closing_lines(quiet, 0, "scorolink xero errors") == []  # no pointer to an empty list
    dry = SyncResult("xero", 10, dry_run=True, plans={"products": CategoryPlan(
        "products", issues=[Issue("products", "b", "1", "validation", "no tax rate")])})
    assert closing_lines(dry, 0, "scorolink xero errors") == [
        "A real run would hold back the 1 record(s) above; nothing was written."]


def test_the_next_try_of_a_failed_record():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert next_try({"last_seen": now, "attempts": 1}, now) == "after 2026-01-01 12:05 UTC"
    assert next_try({"last_seen": now, "attempts": 3}, now) == "after 2026-01-01 12:20 UTC"
    assert next_try({"last_seen": now - timedelta(hours=1), "attempts": 1}, now) == "next run"
    assert next_try({"last_seen": now, "attempts": 1, "resolution": "dismissed"}, now) == ""
