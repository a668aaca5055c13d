"""Throttles (B10), injected faults, /_sandbox/stats and the clock."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from email.utils import parsedate_to_datetime

import httpx
import pytest

from scorolink.sandbox.quickbooks import Faults, QuickBooksSandbox, QuickBooksSandboxConfig, RateLimit
from tests.sandbox_quickbooks.qbo_http import QBO


def limited(**kw: object) -> tuple[QuickBooksSandbox, QBO]:
    sb = QuickBooksSandbox(QuickBooksSandboxConfig(size=2, **kw))  # type: ignore[arg-type]
    return sb, QBO(sb)


def test_minute_limit_answers_429_with_the_xml_throttle_body() -> None:
    sb, q = limited(rate_limit=RateLimit(per_minute=5, per_second=None, concurrent=None))
    for _ in range(5):
        assert q.request("GET", "/preferences").status_code == 200
    r = q.request("GET", "/preferences")
    assert r.status_code == 429 and r.headers["content-type"].startswith("application/xml")
    assert 'code="3001"' in r.text and "ThrottleExceeded" in r.text and "Retry-After" not in r.headers
    # the limit is per company
    other = QBO(sb, sb.realm_ids[1])
    assert other.request("GET", "/preferences").status_code == 200
    sb.advance_clock(61)
    assert q.request("GET", "/preferences").status_code == 200
    assert sb.stats()["rate_limited"] == {"minute": 1}
    assert sb.stats()["requests"]["by_status"] == {"200": 7, "429": 1}
    sb.close()


def test_json_throttle_body_when_configured() -> None:
    sb, q = limited(rate_limit=RateLimit(per_minute=1, per_second=None, concurrent=None), throttle_body="json")
    q.request("GET", "/preferences")
    r = q.request("GET", "/preferences")
    assert r.status_code == 429 and r.json()["Fault"]["Error"][0]["code"] == "3001"
    sb.close()


def test_per_second_and_batch_limits() -> None:
    sb, q = limited(rate_limit=RateLimit(per_minute=None, per_second=2, concurrent=None, batch_per_minute=2))
    statuses = [q.request("GET", "/preferences").status_code for _ in range(8)]
    assert 429 in statuses and statuses[:2] == [200, 200]
    assert sb.stats()["rate_limited"]["second"] >= 1
    sb.advance_clock(2)
    batch = {"BatchItemRequest": [{"bId": "1", "Query": "select count(*) from Item"}]}
    assert q.request("POST", "/batch", json=batch).status_code == 200
    sb.advance_clock(2)
    assert q.request("POST", "/batch", json=batch).status_code == 200
    sb.advance_clock(2)
    assert q.request("POST", "/batch", json=batch).status_code == 429
    assert sb.stats()["rate_limited"]["batch"] == 1
    sb.close()


def test_ten_calls_in_flight_then_429() -> None:
    sb, q = limited(rate_limit=RateLimit(per_minute=None, per_second=None, concurrent=10),
                    faults=Faults(timeout_seconds=1.0))
    sb.inject(*["timeout"] * 10)
    with ThreadPoolExecutor(10) as pool:
        slow = [pool.submit(q.request, "GET", "/preferences") for _ in range(10)]
        deadline = time.monotonic() + 10
        while sb.stats()["faults_injected"].get("timeout", 0) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        eleventh = q.request("GET", "/preferences")
        assert eleventh.status_code == 429 and "ThrottleExceeded" in eleventh.text
        assert [f.result().status_code for f in slow] == [200] * 10    # slow answers, but answers
    assert q.request("GET", "/preferences").status_code == 200
    assert sb.stats()["rate_limited"] == {"concurrent": 1}
    sb.close()


def test_injected_faults(sb: QuickBooksSandbox, qbo: QBO) -> None:
    sb.inject("http_500", "http_503", "drop")
    r = qbo.request("GET", "/preferences")
    assert r.status_code == 500 and r.json()["Fault"]["type"] == "SystemFault"
    assert r.json()["Fault"]["Error"][0]["code"] == "10000"
    r = qbo.request("GET", "/preferences")
    assert r.status_code == 503 and r.headers["content-type"] == "text/html"
    with pytest.raises(httpx.ReadError):
        qbo.request("GET", "/preferences")
    assert qbo.request("GET", "/preferences").status_code == 200
    assert sb.stats()["faults_injected"] == {"http_500": 1, "http_503": 1, "drop": 1}
    with pytest.raises(ValueError, match="unknown fault kinds"):
        sb.inject("meteor")


def test_lost_acknowledgement_then_retry_with_the_same_requestid(sb: QuickBooksSandbox, qbo: QBO) -> None:
    before = qbo.query("select count(*) from Customer")["totalCount"]
    sb.inject("lost_ack")
    with pytest.raises(httpx.ReadError):
        qbo.request("POST", "/customer", json={"DisplayName": "Lost Answer"}, params={"requestid": "lost-1"})
    assert qbo.query("select count(*) from Customer")["totalCount"] == before + 1      # it was written
    again = qbo.ok("POST", "/customer", json={"DisplayName": "Lost Answer"}, params={"requestid": "lost-1"})
    assert again["Customer"]["DisplayName"] == "Lost Answer"
    assert qbo.query("select count(*) from Customer")["totalCount"] == before + 1


def test_random_faults_are_seeded() -> None:
    def run() -> list[int]:
        sb = QuickBooksSandbox(QuickBooksSandboxConfig(size=2, rate_limit=RateLimit.off(),
                                                       faults=Faults(rate=0.5, kinds=("http_500", "http_503"),
                                                                     seed=7)))
        q = QBO(sb)
        out = [q.request("GET", "/preferences").status_code for _ in range(12)]
        sb.close()
        return out

    first = run()
    assert first == run() and {500, 503} & set(first) and 200 in first


def test_stats_count_requests_per_endpoint_and_method(sb: QuickBooksSandbox, qbo: QBO) -> None:
    sb.reset_stats()
    qbo.query("select * from Customer maxresults 1")
    qbo.request("GET", "/customer/1")
    qbo.request("GET", "/customer/2")
    qbo.create("Customer", {"DisplayName": "Counted"})
    stats = qbo.http.get("/_sandbox/stats").json()
    assert stats["requests"]["by_endpoint"] == {"POST query": 1, "GET customer/{id}": 2, "POST customer": 1}
    assert stats["requests"]["by_method"] == {"POST": 2, "GET": 2}
    assert stats["requests"]["by_realm"] == {qbo.realm: 4} and stats["requests"]["total"] == 4
    assert stats["writes"] == {"Customer": {"create": 1}} and stats["minorversions"] == {"75": 4}
    assert qbo.http.post("/_sandbox/faults", json={"next": ["http_500"]}).json()["pending"] == ["http_500"]
    assert qbo.request("GET", "/preferences").status_code == 500
    assert qbo.http.post("/_sandbox/reset").json() == {"ok": True}
    assert sb.stats()["requests"]["total"] == 0


def test_clock_is_real_time_by_default(sb: QuickBooksSandbox, qbo: QBO) -> None:
    before = time.time()
    r = qbo.request("POST", "/customer", json={"DisplayName": "Right Now"})
    after = time.time()
    created = datetime.fromisoformat(r.json()["Customer"]["MetaData"]["CreateTime"]).timestamp()
    assert before - 1 <= created <= after + 1
    assert before - 1 <= parsedate_to_datetime(r.headers["date"]).timestamp() <= after + 1
    envelope = datetime.fromisoformat(r.json()["time"])
    assert envelope.utcoffset() is not None and before - 1 <= envelope.timestamp() <= after + 1
    later = sb.advance_clock(7200)
    assert later >= after + 7200
    qbo.token = sb.issue_token(qbo.realm)["access_token"]       # the old one expired meanwhile
    stamp = qbo.create("Customer", {"DisplayName": "Two Hours Later"})["MetaData"]["CreateTime"]
    assert datetime.fromisoformat(stamp).timestamp() >= after + 7199


def test_fixed_start_clock_is_an_option() -> None:
    sb, q = limited(rate_limit=RateLimit.off(), start_time="2026-03-02T09:00:00+00:00")
    r = q.request("POST", "/customer", json={"DisplayName": "Back Then"})
    created = datetime.fromisoformat(r.json()["Customer"]["MetaData"]["CreateTime"])
    assert created.date().isoformat() == "2026-03-02" and created.utcoffset().total_seconds() == -8 * 3600
    assert parsedate_to_datetime(r.headers["date"]).year == 2026
    assert parsedate_to_datetime(r.headers["date"]).month == 3
    sb.close()
