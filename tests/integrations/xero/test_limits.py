"""Rate limits, faults and auth errors: a short Retry-After is waited (on the sandbox clock), a long
one or the daily quota is raised with its wait and never slept; 5xx and timeouts are retried on
reads and on writes (which carry an Idempotency-Key); 401 refreshes once; 403 names the tenant."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from scorolink.clients.errors import RateLimited, Unavailable
from scorolink.connectors.base import Condition, WriteOp
from scorolink.integrations.xero.client import TenantNotConnected
from scorolink.integrations.xero.connector import XeroConnector
from scorolink.sandbox.xero import Faults, RateLimit
from tests.integrations.xero.conftest import SandboxSleep, endpoint_counts, make_client, make_sandbox


@pytest.fixture
def limited():
    sb = make_sandbox(rate_limit=RateLimit(per_minute=5, concurrent=5, daily=5000, app_per_minute=None))
    yield sb
    sb.close()


def test_minute_limit_429_waits_retry_after_and_goes_on(limited):
    sleep = SandboxSleep(limited)
    client = make_client(limited, sleep=sleep, per_minute=None)  # no local pacing: provoke the server's 429s
    for _ in range(8):
        assert client.organisation()
    assert client.stats.rate_limited >= 1
    assert limited.stats()["rate_limited"].get("minute", 0) == client.stats.rate_limited
    assert sleep.calls and all(0 < s <= 60 for s in sleep.calls)
    assert client.budget.last_problem == "minute"
    # Refused calls do not count: exactly 8 answered.
    by_status = limited.stats()["requests"]["by_status"]
    assert by_status.get("200", by_status.get(200)) == 8


def test_local_pacing_keeps_under_the_minute_limit(limited):
    sleep = SandboxSleep(limited)
    client = make_client(limited, sleep=sleep, per_minute=5)
    for _ in range(12):
        assert client.organisation()
    assert client.stats.rate_limited == 0
    assert limited.stats()["rate_limited"] == {}
    assert sum(sleep.calls) >= 60  # two full minutes were waited for 12 calls at 5 a minute


def test_long_retry_after_is_raised_not_slept():
    sb = make_sandbox(rate_limit=RateLimit(per_minute=None, concurrent=None, daily=3, app_per_minute=None))
    sleep = SandboxSleep(sb)
    client = make_client(sb, sleep=sleep)
    for _ in range(3):
        client.organisation()
    with pytest.raises(RateLimited) as info:
        client.organisation()
    assert info.value.daily and info.value.retry_after > 3600
    assert sleep.calls == []
    assert client.budget.day_remaining == 0 or client.budget.last_problem == "day"
    sb.close()


def test_retry_after_above_the_budget_is_raised(limited):
    sleep = SandboxSleep(limited)
    client = make_client(limited, sleep=sleep, per_minute=None, max_retry_wait=1.0)
    with pytest.raises(RateLimited) as info:
        for _ in range(10):
            client.organisation()
    assert not info.value.daily and 1.0 < info.value.retry_after <= 60
    assert sleep.calls == []


def test_daily_limit_stops_a_write_batch_for_the_caller_to_store(xsb):
    sb = make_sandbox(rate_limit=RateLimit(per_minute=None, concurrent=None, daily=2, app_per_minute=None))
    conn = XeroConnector(make_client(sb))
    list(conn.write("Contacts", [WriteOp("insert", {"Name": "A1"})]))
    list(conn.write("Contacts", [WriteOp("insert", {"Name": "A2"})]))
    with pytest.raises(RateLimited) as info:
        list(conn.write("Contacts", [WriteOp("insert", {"Name": "A3"})]))
    assert info.value.daily
    sb.close()


@pytest.mark.parametrize("fault", ["http_500", "http_503", "drop"])
def test_server_errors_on_reads_are_retried(xsb, xclient, fault):
    xsb.inject(fault, fault)
    xsb.reset_stats()
    assert len(list(XeroConnector(xclient).read("Items"))) > 0
    assert endpoint_counts(xsb) == {"GET Items": 3}
    assert xclient.stats.retries == 2


def test_timeouts_are_retried():
    sb = make_sandbox(faults=Faults(timeout_seconds=2.0))
    client = make_client(sb, timeout=0.3)
    sb.inject("timeout")
    assert client.organisation()
    assert client.stats.retries == 1
    sb.close()


def test_server_error_on_a_write_is_retried_with_the_same_key(xsb, xconn):
    xsb.inject("http_500")
    r = next(xconn.write("Contacts", [WriteOp("insert", {"Name": "Retried Ltd"})]))
    assert r.ok, r.error
    keys = [q for q in xsb.recent_requests(5) if q["endpoint"] == "PUT Contacts"]
    assert len(keys) == 2
    assert [c["Name"] for c in xconn.read("Contacts", [Condition("Name", "=", "Retried Ltd")])] == ["Retried Ltd"]


def test_a_write_that_never_gets_an_answer_is_reported_unknown(xsb):
    client = make_client(xsb, max_attempts=2)
    conn = XeroConnector(client)
    xsb.inject("drop", "drop")
    results = list(conn.write("Contacts", [WriteOp("insert", {"Name": "Maybe Ltd"}),
                                           WriteOp("insert", {"Name": "Maybe Too Ltd"})]))
    assert [r.outcome_unknown for r in results] == [True, True]
    assert "may or may not" in results[0].error


def test_reads_give_up_after_max_attempts(xsb):
    client = make_client(xsb, max_attempts=2)
    xsb.inject("http_503", "http_503")
    with pytest.raises(Unavailable, match="gave up after 2 attempts"):
        client.organisation()


def test_wrong_tenant_is_a_clear_403(xsb):
    client = make_client(xsb)
    client._tenant_id = "00000000-0000-0000-0000-000000000001"
    with pytest.raises(TenantNotConnected, match="XERO_TENANT_ID"):
        client.organisation()


def test_both_tenants_have_their_own_books(xsb):
    first = make_client(xsb)
    second = make_client(xsb)
    second._tenant_id = xsb.tenant_ids[1]
    assert first.organisation()["OrganisationID"] != second.organisation()["OrganisationID"]
    assert xsb.stats()["requests"]["by_tenant"] == {xsb.tenant_ids[0]: 1, xsb.tenant_ids[1]: 1}


def test_payment_written_despite_a_lost_answer_exists_once(xsb, xconn):
    inv = next(xconn.read("Invoices", [Condition("Status", "=", "AUTHORISED"), Condition("Type", "=", "ACCREC")]))
    bank = next(xconn.read("Accounts", [Condition("Type", "=", "BANK")]))
    body = {"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Account": {"AccountID": bank["AccountID"]},
            "Amount": Decimal("1.00"), "Date": date(2026, 3, 5), "Reference": "exactly-once"}
    xsb.inject("lost_ack")
    r = next(xconn.write("Payments", [WriteOp("insert", body)]))
    assert r.ok, r.error
    assert len(list(xconn.read("Payments", [Condition("Reference", "=", "exactly-once")]))) == 1


def test_threads_sharing_a_client_stay_within_the_concurrent_limit():
    from concurrent.futures import ThreadPoolExecutor

    # Every call is held 0.2 s by the sandbox, so six threads would put six calls in flight at once.
    sb = make_sandbox(rate_limit=RateLimit(per_minute=None, concurrent=2, daily=None, app_per_minute=None),
                      faults=Faults(rate=1.0, kinds=("timeout",), timeout_seconds=0.2))
    client = make_client(sb, concurrent=2, timeout=5.0)
    with ThreadPoolExecutor(6) as pool:
        names = list(pool.map(lambda _: client.organisation()["Name"], range(6)))
    assert len(set(names)) == 1
    assert sb.stats()["rate_limited"] == {}
    assert client.stats.total == 6
    sb.close()
