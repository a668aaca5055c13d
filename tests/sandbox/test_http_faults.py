"""Over real HTTP on 127.0.0.1: rate limits, every fault kind, and the /_sandbox endpoints."""

import json
import time

import httpx
import pytest

from scorolink.sandbox.scoro import Faults, RateLimit, SandboxConfig, ScoroSandbox

pytestmark = pytest.mark.loopback


@pytest.fixture(scope="module")
def served():
    sb = ScoroSandbox(SandboxConfig(seed=2, size=200, faults=Faults(timeout_seconds=0.5),
                                    rate_limit=RateLimit(per_window=1000, daily=100000)))
    with sb.run_in_thread() as base_url:
        yield sb, base_url


def auth(sb: ScoroSandbox) -> dict:
    return {"apiKey": sb.default["api_key"], "company_account_id": sb.default["company_account_ids"][0]}


def root(base_url: str) -> str:
    return base_url.removesuffix("/api/v2")


def test_rate_limit_headers_and_429() -> None:
    sb = ScoroSandbox(SandboxConfig(seed=1, size=100, sites=2, rate_limit=RateLimit(per_window=3, window_seconds=2.0,
                                                                                    daily=5)))
    with sb.run_in_thread() as base, httpx.Client(timeout=5) as c:
        r = c.post(f"{base}/users/list", json=auth(sb))
        assert r.headers["x-ratelimit-limit"] == "3" and r.headers["x-ratelimit-remaining"] == "2"
        assert int(r.headers["x-ratelimit-reset"]) <= 2
        assert r.headers["x-daily-requests-limit"] == "5" and r.headers["x-daily-requests-remaining"] == "4"
        assert int(r.headers["x-daily-requests-reset"]) > 0
        c.post(f"{base}/users/list", json=auth(sb))
        c.post(f"{base}/users/list", json=auth(sb))
        r = c.post(f"{base}/users/list", json=auth(sb))
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.json() == {"status": "ERROR", "statusCode": "429", "messages": {"error": ["Too many requests"]}}
        # limits are per site
        other = sb.sites[1]
        r = c.post(f"{root(base)}{other['base_path']}/users/list",
                   json={"apiKey": other["api_key"], "company_account_id": other["company_account_ids"][0]})
        assert r.status_code == 200
        # /_sandbox is never limited
        assert c.get(f"{root(base)}/_sandbox/stats").json()["rate_limited"] == 1
        time.sleep(2.05)
        assert c.post(f"{base}/users/list", json=auth(sb)).headers["x-daily-requests-remaining"] == "1"
        r = c.post(f"{base}/users/list", json=auth(sb))
        assert r.status_code == 200 and r.headers["x-daily-requests-remaining"] == "0"
        r = c.post(f"{base}/users/list", json=auth(sb))
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 2  # daily quota: wait for the day
        sb.advance_clock(86400)
        assert c.post(f"{base}/users/list", json=auth(sb)).status_code == 200


@pytest.mark.parametrize("kind,status", [("http_500", 500), ("http_502", 502), ("http_503", 503)])
def test_http_errors(served, kind: str, status: int) -> None:
    sb, base = served
    sb.inject(kind)
    r = httpx.post(f"{base}/contacts/list", json=auth(sb))
    assert r.status_code == status
    if status == 500:
        assert r.json()["status"] == "ERROR"
    else:
        assert r.headers["content-type"].startswith("text/html")
    assert httpx.post(f"{base}/contacts/list", json=auth(sb)).status_code == 200  # then service resumes


def test_error_200_and_malformed_json(served) -> None:
    sb, base = served
    sb.inject("error_200", "malformed_json")
    r = httpx.post(f"{base}/contacts/list", json=auth(sb))
    assert r.status_code == 200 and r.json()["status"] == "ERROR"
    r = httpx.post(f"{base}/contacts/list", json=auth(sb))
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.text)


def test_timeout(served) -> None:
    sb, base = served
    sb.inject("timeout")
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{base}/contacts/list", json=auth(sb), timeout=0.2)
    time.sleep(0.4)


def test_drop(served) -> None:
    sb, base = served
    sb.inject("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{base}/contacts/list", json=auth(sb))
    assert httpx.post(f"{base}/contacts/list", json=auth(sb)).status_code == 200


def test_lost_ack_performs_the_write(served) -> None:
    sb, base = served
    sb.inject("lost_ack")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{base}/contacts/modify", json={**auth(sb), "request": {"name": "Lost ack Ltd"}})
    hits = httpx.post(f"{base}/contacts/list", json={**auth(sb), "filter": {"name": "Lost ack Ltd"}}).json()["data"]
    assert len(hits) == 1


def test_random_faults_are_seeded() -> None:
    def run() -> list:
        sb = ScoroSandbox(SandboxConfig(seed=1, size=50, sites=1, faults=Faults(rate=0.5, kinds=("http_500", "error_200"), seed=7)))
        from sandbox_http import Client

        c = Client(sb)
        return [c("users/list")[1]["status"] for _ in range(12)]

    first = run()
    assert first == run() and "ERROR" in first and "OK" in first


def test_sandbox_endpoints(served) -> None:
    sb, base = served
    origin = root(base)
    with httpx.Client(timeout=5) as c:
        assert c.post(f"{origin}/_sandbox/reset").json()["ok"]
        c.post(f"{base}/contacts/list", json=auth(sb))
        c.post(f"{base}/contacts/view/1", json=auth(sb))
        stats = c.get(f"{origin}/_sandbox/stats").json()
        assert stats["requests"]["total"] == 2
        assert stats["requests"]["by_endpoint"] == {"contacts/list": 1, "contacts/view": 1}
        assert stats["requests"]["by_site"] == {"demo": 2}
        log = c.get(f"{origin}/_sandbox/requests", params={"limit": 1}).json()
        assert len(log) == 1 and log[0]["action"] == "view" and log[0]["id"] == "1" and log[0]["status"] == 200
        assert log[0]["body"]["apiKey"] == "***"
        assert c.post(f"{origin}/_sandbox/fixtures", json={"site": "demo", "module": "quotes", "count": 101}).json()["ok"]
        page2 = c.post(f"{base}/quotes/list", json={**auth(sb), "page": 2, "per_page": 100}).json()["data"]
        assert len(page2) == 1
        assert c.post(f"{origin}/_sandbox/faults", json={"next": ["http_503"]}).json()["pending"] == ["http_503"]
        assert c.post(f"{base}/quotes/list", json=auth(sb)).status_code == 503
        assert c.post(f"{origin}/_sandbox/faults", json={"next": ["nope"]}).status_code == 400
        before = c.get(f"{origin}/_sandbox/stats").json()["clock"]
        after = c.post(f"{origin}/_sandbox/clock", json={"advance": 3600}).json()["now"]
        assert after > before
        assert stats["faults_injected"] == {} or isinstance(stats["faults_injected"], dict)
        assert c.get(f"{origin}/_sandbox/stats").json()["faults_injected"]["http_503"] >= 1
    sb.reset_stats()
    assert sb.stats()["requests"]["total"] == 0 and sb.recent_requests(5) == []


def test_secrets_masked_in_request_log(served) -> None:
    sb, base = served
    httpx.post(f"{base}/userAuth/modify", json={"company_account_id": "demo", "username": "x", "password": "secret"})
    entry = sb.recent_requests(1)[0]
    assert entry["body"]["password"] == "***" and entry["module"] == "userAuth" and entry["status"] == 401


def test_drop_in_process_raises_connection_error() -> None:
    from sandbox_http import Client

    from scorolink.sandbox.common import SandboxConnectionDropped

    sb = ScoroSandbox(SandboxConfig(seed=1, size=50, sites=1))
    sb.inject("drop")
    with pytest.raises(ConnectionError) as info:
        Client(sb)("users/list")
    assert isinstance(info.value, SandboxConnectionDropped)
    assert Client(sb)("users/list")[0] == 200
