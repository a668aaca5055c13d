"""Reads survive every fault the sandbox can inject, over real HTTP, with nothing lost or duplicated."""

from __future__ import annotations

import pytest

from scorolink.clients.errors import RateLimited
from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.base import WriteOp
from scorolink.connectors.scoro import ScoroConnector
from scorolink.sandbox.scoro import Faults, RateLimit, SandboxConfig, ScoroSandbox
from scorolink.session import sandbox_settings

pytestmark = pytest.mark.loopback

FAULTS = ["http_500", "http_502", "http_503", "timeout", "drop", "error_200", "malformed_json"]


def _connector(sb: ScoroSandbox, base_url: str, **settings) -> ScoroConnector:
    from dataclasses import replace

    s = replace(sandbox_settings(sb, base_url=base_url), timeout=0.5, **settings)
    return ScoroConnector(ScoroClient(s, sleep=lambda _s: None, backoff_base=0.01), max_concurrency=1)


@pytest.fixture
def slow_faults_sandbox():
    sb = ScoroSandbox(SandboxConfig(seed=3, size=300, faults=Faults(rate=0.0, timeout_seconds=1.5)))
    yield sb
    sb.close()


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_is_survived_on_reads(slow_faults_sandbox, fault):
    sb = slow_faults_sandbox
    sb.set_count(sb.default["site"], "tasks", 230)
    with sb.run_in_thread() as base_url:
        clean = _connector(sb, base_url)
        expected = [r["Id"] for r in clean.read("Tasks", columns=["Id"])]
        faulty = _connector(sb, base_url)
        faulty.custom_fields()
        sb.inject(fault, fault)  # the first two requests of the read fail
        got = [r["Id"] for r in faulty.read("Tasks", columns=["Id"])]
    assert got == expected and len(got) == 230
    assert faulty.client.stats.retries == 2
    assert sb.stats()["faults_injected"].get(fault) == 2


def test_random_faults_at_a_fifth_of_requests_lose_and_duplicate_nothing():
    sb = ScoroSandbox(SandboxConfig(seed=5, size=300, faults=Faults(rate=0.0, seed=11, timeout_seconds=1.5)))
    sb.set_count(sb.default["site"], "timeEntries", 1000)
    with sb.run_in_thread() as base_url:
        expected = [r["Id"] for r in _connector(sb, base_url).read("TimeEntries", columns=["Id"])]
        sb.faults.faults = Faults(rate=0.3, seed=11, timeout_seconds=1.5,
                                  kinds=("http_500", "http_503", "drop", "error_200", "malformed_json"))
        connector = _connector(sb, base_url, max_attempts=8)
        got = [r["Id"] for r in connector.read("TimeEntries", columns=["Id"])]
    assert got == expected and len(set(got)) == 1000
    assert sum(sb.stats()["faults_injected"].values()) > 0


def test_a_create_that_loses_its_answer_is_reported_not_repeated():
    sb = ScoroSandbox(SandboxConfig(seed=2, size=300))
    with sb.run_in_thread() as base_url:
        connector = _connector(sb, base_url)
        before = sum(1 for _ in connector.read("Products", columns=["Id"]))
        connector.custom_fields()  # discovered now, so the injected fault meets the create itself
        sb.inject("lost_ack")
        [result] = list(connector.write("Products", [WriteOp("insert", {"Name": "Lost answer", "Code": "LA-1"})]))
        after = sum(1 for _ in connector.read("Products", columns=["Id"]))
    assert not result.ok and result.outcome_unknown
    assert after == before + 1  # Scoro saved it once; the client did not send it again
    assert sb.stats()["requests"]["by_endpoint"]["products/modify"] == 1
    assert "may or may not have been created" in (result.error or "")


def test_rate_limit_window_is_respected_without_losing_rows():
    sb = ScoroSandbox(SandboxConfig(seed=4, size=300, rate_limit=RateLimit(per_window=5, window_seconds=0.5)))
    sb.set_count(sb.default["site"], "projects", 1000)
    with sb.run_in_thread() as base_url:
        connector = _connector(sb, base_url)
        connector.client.limiter.window_seconds = 0.5
        got = [r["Id"] for r in connector.read("Projects", columns=["Id"])]
    assert len(got) == len(set(got)) == 1000
    # 11 pages; the limiter learns the window from the headers and provokes at most one 429
    assert connector.client.stats.rate_limited <= 1


def test_daily_quota_stops_the_read_with_a_clear_error():
    sb = ScoroSandbox(SandboxConfig(seed=4, size=300, rate_limit=RateLimit(daily=3)))
    sb.set_count(sb.default["site"], "projects", 500)
    with sb.run_in_thread() as base_url:
        connector = _connector(sb, base_url)
        with pytest.raises(RateLimited) as info:
            list(connector.read("Projects", columns=["Id"]))
    assert info.value.daily and "daily" in str(info.value)
