"""The QuickBooks wire client and connector against the sandbox: minorversion, requestid, query paging,
CDC and its limits, batches of 30 answered item by item, SyncTokens, throttles and faults survived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scorolink.clients.errors import ValidationFailed
from scorolink.connectors.base import Condition, WriteOp
from scorolink.integrations.quickbooks.client import QuickBooksFault
from scorolink.sandbox.quickbooks import RateLimit
from tests.integrations.quickbooks.conftest import (
    SandboxSleep,
    endpoint_counts,
    make_client,
    make_connector,
    make_sandbox,
)


def test_every_call_carries_the_pinned_minorversion_and_writes_a_requestid(qsb, qconn):
    list(qconn.read("Customer"))
    [result] = list(qconn.write("Customer", [WriteOp("insert", {"DisplayName": "Minor Version Ltd"})]))
    assert result.ok and result.record["DisplayName"] == "Minor Version Ltd"
    assert set(qsb.stats()["minorversions"]) == {"75"}
    api = [r for r in qsb.recent_requests(50) if r.get("realm")]
    assert api and all("minorversion=75" in r["query"] for r in api)
    [batch] = [r for r in api if r["endpoint"] == "POST batch"]
    assert "requestid=" in batch["query"]
    assert all("requestid=" not in r["query"] for r in api if r["endpoint"] != "POST batch")


def test_minorversion_is_configurable(qsb):
    client = make_client(qsb, minorversion=76)
    list(make_connector(client).read("Item"))
    assert set(qsb.stats()["minorversions"]) == {"76"}


def test_queries_page_with_startposition_up_to_the_page_size(qsb):
    client = make_client(qsb, page_size=5)
    conn = make_connector(client)
    everyone = list(conn.read("Customer", include_inactive=True))
    direct = qsb.company(qsb.realm_ids[3]).store.all(qsb.realm_ids[3], "Customer")
    assert sorted(r["Id"] for r in everyone) == sorted(r["Id"] for r in direct)
    pages = -(-len(everyone) // 5) + (1 if len(everyone) % 5 == 0 else 0)
    assert endpoint_counts(qsb)["POST query"] == pages


def test_changes_come_from_cdc_within_its_window_and_from_a_query_beyond(qsb, qconn):
    since = datetime.now(UTC) - timedelta(days=10)
    changed = list(qconn.read("Invoice", since=since))
    assert changed and qconn.reads == {"cdc": 1, "query": 0}
    assert all(r["LastUpdatedTime"] >= since - timedelta(seconds=1) for r in changed)
    old = list(qconn.read("Customer", since=datetime.now(UTC) - timedelta(days=60)))
    assert qconn.reads == {"cdc": 1, "query": 1}
    assert len(old) == len(list(qconn.read("Customer", include_inactive=True)))
    assert endpoint_counts(qsb)["GET cdc"] == 1


def test_a_full_cdc_answer_is_not_trusted(qsb):
    sb = make_sandbox(cdc_max_objects=3)
    try:
        conn = make_connector(make_client(sb, cdc_max_objects=3))
        since = datetime.now(UTC) - timedelta(days=20)
        rows = list(conn.read("Invoice", since=since))
        assert len(rows) > 3 and conn.reads == {"cdc": 0, "query": 1}
    finally:
        sb.close()


def test_cdc_shows_deletions_as_tombstones(qsb, qconn):
    bill = next(b for b in qconn.read("Bill") if b["Balance"] == b["TotalAmt"])  # no payment on it
    since = datetime.now(UTC) - timedelta(minutes=5)
    [deleted] = list(qconn.write("Bill", [WriteOp("delete", {"Id": bill["Id"]})]))
    assert deleted.ok, deleted.error
    gone = [r for r in qconn.read("Bill", since=since) if r["Id"] == bill["Id"]]
    assert gone and gone[0]["Deleted"]


def test_writes_go_in_batches_of_thirty_each_answered_on_its_own(qsb, qconn):
    ops = [WriteOp("insert", {"DisplayName": f"Batch Customer {i:02d}"}, ref=i) for i in range(65)]
    existing = next(iter(qconn.read("Customer")))["DisplayName"]
    ops[40] = WriteOp("insert", {"DisplayName": existing}, ref=40)  # a duplicate name: 6240, alone
    results = list(qconn.write("Customer", ops))
    assert [r.op.ref for r in results] == list(range(65))
    assert [r.ok for r in results].count(False) == 1 and not results[40].ok
    assert "6240" in results[40].error
    assert endpoint_counts(qsb)["POST batch"] == 3
    assert qsb.stats()["batch_items"] == 65


def test_updates_carry_the_current_synctoken_and_stale_ones_are_read_again(qsb, qconn):
    customer = next(iter(qconn.read("Customer")))
    [first] = list(qconn.write("Customer", [WriteOp("update", {"Id": customer["Id"], "Notes": "first"})]))
    assert first.ok and first.record["SyncToken"] == str(int(customer["SyncToken"]) + 1)
    stale = {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "Notes": "second"}  # read before `first`
    [second] = list(qconn.write("Customer", [WriteOp("update", stale)]))
    assert second.ok, second.error
    assert second.record["Notes"] == "second" and second.record["SyncToken"] == str(int(customer["SyncToken"]) + 2)


def test_name_lists_are_made_inactive_instead_of_deleted(qsb, qconn):
    [made] = list(qconn.write("Customer", [WriteOp("insert", {"DisplayName": "Soon Inactive Ltd"})]))
    [gone] = list(qconn.write("Customer", [WriteOp("delete", {"Id": made.record["Id"]})]))
    assert gone.ok and gone.record["Active"] is False
    assert made.record["Id"] not in {r["Id"] for r in qconn.read("Customer")}
    assert made.record["Id"] in {r["Id"] for r in qconn.fetch("Customer", [made.record["Id"]])}


def test_a_fault_in_an_http_200_is_an_error(qsb, qclient):
    bill = qclient.query("SELECT * FROM Bill MAXRESULTS 1")["Bill"][0]
    with pytest.raises(QuickBooksFault) as caught:
        qclient.save("Bill", {"Id": bill["Id"], "SyncToken": bill["SyncToken"]}, operation="void")
    assert caught.value.codes == ["10000"] and caught.value.status == 200


def test_a_lost_answer_is_retried_with_the_same_requestid_and_writes_once(qsb, qconn):
    qsb.inject("lost_ack")
    [result] = list(qconn.write("Customer", [WriteOp("insert", {"DisplayName": "Lost Answer Ltd"})]))
    assert result.ok
    assert qsb.stats()["requestid_replays"] == 1
    assert len([r for r in qconn.read("Customer", [Condition("DisplayName", "=", "Lost Answer Ltd")])]) == 1


def test_server_errors_are_retried(qsb, qconn):
    qsb.inject("http_500", "http_503", "drop")
    assert list(qconn.read("Item"))
    assert qconn.client.stats.retries == 3


def test_a_throttle_is_waited_out_for_a_minute_and_survived():
    sb = make_sandbox(rate_limit=RateLimit(per_minute=3, per_second=None, concurrent=None, batch_per_minute=None))
    try:
        sleep = SandboxSleep(sb)
        client = make_client(sb, sleep=sleep, per_minute=None, per_second=None)  # no pacing: provoke the 429
        for _ in range(5):
            client.query("SELECT * FROM Item MAXRESULTS 1")
        assert client.stats.rate_limited >= 1
        assert sleep.elapsed >= 59  # a minute waited (on the sandbox's clock), as QuickBooks asks
        assert sb.stats()["rate_limited"]
    finally:
        sb.close()


def test_batch_calls_are_paced_under_the_batch_limit():
    sb = make_sandbox(rate_limit=RateLimit(per_minute=None, per_second=None, concurrent=None, batch_per_minute=2))
    try:
        sleep = SandboxSleep(sb)
        conn = make_connector(make_client(sb, sleep=sleep, batch_per_minute=2, batch_size=1))
        results = list(conn.write("Customer", [WriteOp("insert", {"DisplayName": f"Paced {i}"}) for i in range(3)]))
        assert all(r.ok for r in results)
        assert not sb.stats()["rate_limited"] and conn.client.stats.rate_limited == 0
        assert sleep.elapsed >= 59
    finally:
        sb.close()


def test_refused_conditions_name_the_operator(qconn):
    with pytest.raises(ValueError, match="do not support"):
        list(qconn.read("Customer", [Condition("DisplayName", "!=", "x")]))


def test_validation_faults_carry_quickbooks_words(qclient):
    with pytest.raises(ValidationFailed) as caught:
        qclient.save("Customer", {"DisplayName": "bad:name"})
    assert caught.value.messages
