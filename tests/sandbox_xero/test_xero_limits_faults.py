"""Idempotency-Key replay (A7), rate limits with Xero's headers and 429s (A8), fault injection, and the
/_sandbox endpoints (stats, faults, clock, token, tenants)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.sandbox.xero import Faults, RateLimit, XeroSandbox, XeroSandboxConfig
from tests.sandbox_xero.xero_http import Xero, new_invoice


def count_reference(xero: Xero, ref: str) -> int:
    return len(xero.ok("GET", "/Invoices", params={"where": f'Reference=="{ref}"'})["Invoices"])


# -- idempotency -------------------------------------------------------------------------------------------
def test_idempotency_key_replays_the_first_response(sb, xero, contact_id):
    body = {"Invoices": [new_invoice(contact_id, Reference="idem-1")]}
    first = xero.put("/Invoices", json=body, headers={"Idempotency-Key": "key-1"})
    again = xero.put("/Invoices", json=body, headers={"Idempotency-Key": "key-1"})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert count_reference(xero, "idem-1") == 1 and sb.stats()["idempotent_replays"] == 1
    # a new key is a new request
    xero.put("/Invoices", json=body, headers={"Idempotency-Key": "key-2"})
    assert count_reference(xero, "idem-1") == 2


def test_same_key_with_a_different_request_is_400(xero, contact_id):
    xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id, Reference="a")]}, headers={"Idempotency-Key": "k"})
    r = xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id, Reference="b")]},
                 headers={"Idempotency-Key": "k"})
    assert r.status_code == 400 and r.json()["Type"] == "ValidationException"
    assert r.json()["Elements"][0]["ValidationErrors"] == [{"Message": "Idempotency Key: k is used with a different "
                                                                       "request."}]
    assert xero.put("/Invoices", json={"Invoices": []}, headers={"Idempotency-Key": "x" * 129}).status_code == 400
    # keys belong to the app: the same key and body for another tenant is a different request
    other = Xero(xero.sb, tenant=xero.sb.tenant_ids[1], token=xero.token)
    r = other.put("/Invoices", json={"Invoices": [new_invoice(contact_id, Reference="a")]},
                  headers={"Idempotency-Key": "k"})
    assert r.status_code == 400 and "different request" in r.text


def test_idempotency_keys_expire_and_errors_are_cached_too(sb, xero, contact_id):
    bad = {"Invoices": [{"Type": "ACCREC"}]}
    assert xero.put("/Invoices", json=bad, headers={"Idempotency-Key": "e"}).status_code == 400
    assert xero.put("/Invoices", json=bad, headers={"Idempotency-Key": "e"}).status_code == 400
    assert sb.stats()["idempotent_replays"] == 1
    body = {"Invoices": [new_invoice(contact_id, Reference="ttl")]}
    xero.put("/Invoices", json=body, headers={"Idempotency-Key": "t"})
    sb.advance_clock(361)                      # kept about 6 minutes
    xero.put("/Invoices", json=body, headers={"Idempotency-Key": "t"})
    assert count_reference(xero, "ttl") == 2


def test_lost_response_then_retry_with_the_key_gives_exactly_one_record(sb, xero, contact_id):
    body = {"Invoices": [new_invoice(contact_id, Reference="lost")]}
    sb.inject("lost_ack")
    with pytest.raises(httpx.ReadError):
        xero.put("/Invoices", json=body, headers={"Idempotency-Key": "retry-me"})
    assert count_reference(xero, "lost") == 1          # it was written
    r = xero.put("/Invoices", json=body, headers={"Idempotency-Key": "retry-me"})
    assert r.status_code == 200 and count_reference(xero, "lost") == 1


# -- rate limits -------------------------------------------------------------------------------------------
def limited(**limits) -> tuple[XeroSandbox, Xero]:
    sb = XeroSandbox(XeroSandboxConfig(size=4, rate_limit=RateLimit(**limits)))
    return sb, Xero(sb)


def test_minute_limit_headers_and_429():
    sb, x = limited(per_minute=3, daily=100, concurrent=None)
    seen = []
    for _ in range(3):
        r = x.get("/Organisation")
        assert r.status_code == 200
        seen.append(r.headers["X-MinLimit-Remaining"])
    assert seen == ["2", "1", "0"]
    assert r.headers["X-DayLimit-Remaining"] == "97" and r.headers["X-AppMinLimit-Remaining"] == "9997"
    r = x.get("/Organisation")
    assert r.status_code == 429 and r.headers["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.json()["Status"] == 429
    # the refused call did not count, and the other tenant has its own minute
    assert Xero(sb, tenant=sb.tenant_ids[1], token=x.token).get("/Organisation").status_code == 200
    sb.advance_clock(61)
    r = x.get("/Organisation")
    assert r.status_code == 200 and r.headers["X-DayLimit-Remaining"] == "96"
    assert sb.stats()["rate_limited"] == {"minute": 1}


def test_daily_quota_rolling_window():
    sb, x = limited(per_minute=None, daily=3, concurrent=None)
    for _ in range(3):
        assert x.get("/Organisation").status_code == 200
        sb.advance_clock(3600)
        x.token = sb.issue_token()["access_token"]      # access tokens last 30 minutes
    r = x.get("/Organisation")
    assert r.status_code == 429 and r.headers["X-Rate-Limit-Problem"] == "day"
    assert int(r.headers["Retry-After"]) == 86400 - 3 * 3600       # the oldest call leaves the window
    sb.advance_clock(86400 - 3 * 3600 + 1)
    x.token = sb.issue_token()["access_token"]
    assert x.get("/Organisation").status_code == 200


def test_daily_quota_fixed_window_when_configured():
    sb, x = limited(per_minute=None, daily=1, concurrent=None, daily_window="fixed")
    assert x.get("/Organisation").status_code == 200
    r = x.get("/Organisation")
    now = sb.clock.now()
    assert r.status_code == 429 and abs(int(r.headers["Retry-After"]) - (86400 - now % 86400)) <= 2


def test_app_minute_limit_spans_tenants():
    sb, x = limited(per_minute=None, daily=None, concurrent=None, app_per_minute=2)
    other = Xero(sb, tenant=sb.tenant_ids[1], token=x.token)
    assert x.get("/Organisation").status_code == 200 and other.get("/Organisation").status_code == 200
    r = x.get("/Organisation")
    assert r.status_code == 429 and r.headers["X-Rate-Limit-Problem"] == "appminute"


def test_five_calls_in_flight_then_429():
    sb = XeroSandbox(XeroSandboxConfig(size=4, rate_limit=RateLimit(concurrent=5),
                                       faults=Faults(timeout_seconds=1.0)))
    x = Xero(sb)
    sb.inject(*["timeout"] * 5)
    with ThreadPoolExecutor(5) as pool:
        slow = [pool.submit(x.get, "/Organisation") for _ in range(5)]
        deadline = time.monotonic() + 5
        while sb.stats()["faults_injected"].get("timeout", 0) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        sixth = x.get("/Organisation")
        assert sixth.status_code == 429 and sixth.headers["X-Rate-Limit-Problem"] == "concurrent"
        assert "Retry-After" not in sixth.headers
        assert [f.result().status_code for f in slow] == [200] * 5   # a timeout fault answers late, normally
    assert x.get("/Organisation").status_code == 200


# -- faults ------------------------------------------------------------------------------------------------
def test_injected_faults(sb, xero):
    sb.inject("http_500", "http_503", "drop")
    r = xero.get("/Contacts")
    assert r.status_code == 500 and r.json()["Type"] == "UnknownErrorException"
    r = xero.get("/Contacts")
    assert r.status_code == 503 and r.headers["content-type"] == "text/html"
    with pytest.raises(httpx.ReadError):
        xero.get("/Contacts")
    assert xero.get("/Contacts").status_code == 200
    assert sb.stats()["faults_injected"] == {"http_500": 1, "http_503": 1, "drop": 1}
    with pytest.raises(ValueError, match="unknown fault kinds"):
        sb.inject("meteor")


def test_random_faults_are_seeded():
    def run() -> list[int]:
        sb = XeroSandbox(XeroSandboxConfig(size=2, rate_limit=RateLimit.off(),
                                           faults=Faults(rate=0.3, seed=7, kinds=("http_500", "http_503"))))
        x = Xero(sb)
        return [x.get("/Organisation").status_code for _ in range(30)]

    first, second = run(), run()
    assert first == second and {500, 503} <= set(first) and 200 in first
    with pytest.raises(ValueError):
        Faults(rate=2)


def test_a_failed_write_is_not_performed(sb, xero, contact_id):
    sb.inject("http_500")
    assert xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id, Reference="f")]}).status_code == 500
    assert count_reference(xero, "f") == 0


# -- /_sandbox ---------------------------------------------------------------------------------------------
def test_sandbox_endpoints(sb, xero, contact_id):
    http = httpx.Client(transport=SyncASGITransport(sb.app), base_url="http://xero.test")
    http.post("/_sandbox/reset")
    xero.get("/Invoices")
    xero.get("/Invoices", params={"page": 2})
    xero.put("/Invoices", json={"Invoices": [new_invoice(contact_id)]})
    xero.get(f"/Contacts/{contact_id}")
    stats = http.get("/_sandbox/stats").json()
    assert stats["requests"]["by_endpoint"] == {"GET Invoices": 2, "PUT Invoices": 1, "GET Contacts/{id}": 1}
    assert stats["requests"]["by_tenant"] == {sb.tenant_ids[0]: 4} and stats["requests"]["by_status"] == {"200": 4}
    assert stats["writes"] == {"Invoices": {"created": 1, "updated": 0}}
    log = http.get("/_sandbox/requests", params={"limit": 2}).json()
    assert [e["endpoint"] for e in log] == ["PUT Invoices", "GET Contacts/{id}"]
    assert http.post("/_sandbox/faults", json={"next": ["http_503"]}).json()["pending"] == ["http_503"]
    assert xero.get("/Invoices").status_code == 503
    assert http.post("/_sandbox/faults", json={"next": ["nope"]}).status_code == 400
    before = sb.clock.now()
    assert http.post("/_sandbox/clock", json={"advance": 3600}).json()["now"] >= before + 3600
    tenants = http.get("/_sandbox/tenants").json()
    assert [t["tenantId"] for t in tenants["tenants"]] == sb.tenant_ids and tenants["client_id"] == sb.client_id
    token = http.post("/_sandbox/token", json={"scope": "accounting.contacts.read"}).json()
    assert Xero(sb, token=token["access_token"]).get("/Contacts").status_code == 200
    # identity calls are counted too, without a tenant
    http.get("/connections", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert http.get("/_sandbox/stats").json()["requests"]["by_endpoint"]["GET connections"] == 1
