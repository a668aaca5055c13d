"""Wire behaviour of the Scoro client against scripted responses (one request at a time).

The sandbox suites exercise the same client end to end; these pin down the envelope and
retry rules of reference §1.4, §1.5, §5 and §7.1 precisely, case by case.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest

from scorolink.clients.errors import (
    AuthenticationFailed,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
    ValidationFailed,
    WriteOutcomeUnknown,
)
from scorolink.clients.ratelimit import RateLimiter
from scorolink.clients.scoro import UPLOAD_CHUNK_CHARS, ScoroClient
from scorolink.config import ScoroSettings

OK = {"status": "OK", "statusCode": 200, "messages": None}


def make_client(handler: Callable[[httpx.Request], httpx.Response], **settings: object) -> ScoroClient:
    s = ScoroSettings(base_url="https://acme.scoro.com/api/v2", company_account_id="acme",
                      api_key="ScoroAPI_secret", **settings)  # type: ignore[arg-type]
    return ScoroClient(s, transport=httpx.MockTransport(handler), sleep=lambda _s: None, seed=1)


def script(*responses: httpx.Response | Exception) -> tuple[Callable[[httpx.Request], httpx.Response], list]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


def body(request: httpx.Request) -> dict:
    return json.loads(request.content)


def test_post_envelope_with_auth_in_body_and_filter_top_level():
    handler, seen = script(httpx.Response(200, json={**OK, "data": [{"id": 1}]}))
    client = make_client(handler, lang="eng")
    rows = client.list_page("invoices", 2, per_page=100, filter={"status": "paid"})
    assert rows == [{"id": 1}]
    req = seen[0]
    assert req.method == "POST" and req.url.path == "/api/v2/invoices/list"
    sent = body(req)
    assert sent["apiKey"] == "ScoroAPI_secret" and sent["company_account_id"] == "acme" and sent["lang"] == "eng"
    assert sent["filter"] == {"status": "paid"} and sent["page"] == 2 and sent["per_page"] == 100
    assert "filter" not in sent["request"]
    assert req.headers["content-type"] == "application/json" and req.headers["user-agent"].startswith("scorolink")


def test_error_envelope_under_http_200_is_an_error_with_the_api_messages():
    handler, _ = script(httpx.Response(200, json={"status": "ERROR", "statusCode": "400",
                                                  "messages": {"error": ["event_id is required"]}}))
    with pytest.raises(ValidationFailed) as info:
        make_client(handler).modify("timeEntries", {"duration": "01:00:00"}, 5)
    assert info.value.messages == ["event_id is required"]
    assert "event_id is required" in str(info.value)


@pytest.mark.parametrize(("status", "error"), [(401, AuthenticationFailed), (403, PermissionDenied), (404, NotFound)])
def test_status_codes_map_to_typed_errors_and_never_show_the_key(status, error):
    handler, _ = script(httpx.Response(status, json={"status": "ERROR", "statusCode": status,
                                                     "messages": {"error": ["nope"]}}))
    with pytest.raises(error) as info:
        make_client(handler).view("projects", 1)
    assert "ScoroAPI_secret" not in str(info.value)


def test_message_shapes_are_parsed_defensively():
    handler, _ = script(httpx.Response(200, json={"status": "ERROR", "statusCode": 400,
                                                  "messages": {"error": {"event_id": "is required",
                                                                         "user_id": ["is required"]}}}))
    with pytest.raises(ValidationFailed) as info:
        make_client(handler).view("tasks", 1)
    assert info.value.messages == ["event_id: is required", "user_id: is required"]


def test_reads_retry_5xx_timeouts_drops_and_malformed_json():
    handler, seen = script(
        httpx.Response(503, text="<html>busy</html>"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.Response(200, text='{"status": "OK", "data": [{"id'),
        httpx.Response(200, json={"status": "ERROR", "statusCode": 500, "messages": {"error": ["oops"]}}),
        httpx.Response(200, json={**OK, "data": [{"id": 7}]}),
    )
    client = make_client(handler, max_attempts=6)
    assert client.list_page("projects", 1, per_page=100) == [{"id": 7}]
    assert len(seen) == 6 and client.stats.retries == 5


def test_reads_give_up_after_max_attempts():
    handler, seen = script(*[httpx.Response(500, json={"status": "ERROR", "statusCode": 500})] * 3)
    with pytest.raises(Unavailable):
        make_client(handler, max_attempts=3).list_page("projects", 1, per_page=100)
    assert len(seen) == 3


@pytest.mark.parametrize("failure", [
    httpx.ReadTimeout("slow"),
    httpx.RemoteProtocolError("dropped"),
    httpx.Response(502, text="bad gateway"),
    httpx.Response(200, text="{not json"),
])
def test_a_create_is_never_retried_blindly(failure):
    handler, seen = script(failure, httpx.Response(200, json={**OK, "data": {"id": 1}}))
    with pytest.raises(WriteOutcomeUnknown):
        make_client(handler).modify("projects", {"project_name": "X"})
    assert len(seen) == 1


def test_a_create_is_retried_when_it_never_reached_the_server():
    handler, seen = script(httpx.ConnectError("refused"), httpx.Response(200, json={**OK, "data": {"id": 1}}))
    assert make_client(handler).modify("projects", {"project_name": "X"}) == {"id": 1}
    assert len(seen) == 2


def test_updates_are_retried_because_they_are_idempotent():
    handler, seen = script(httpx.ReadTimeout("slow"), httpx.Response(200, json={**OK, "data": {"id": 4}}))
    assert make_client(handler).modify("projects", {"project_name": "X"}, 4) == {"id": 4}
    assert seen[0].url.path.endswith("/projects/modify/4") and len(seen) == 2


class FakeTime:
    """A clock and a sleep for a limiter: sleeping moves the clock, and every wait is kept."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def limiter(self) -> RateLimiter:
        return RateLimiter(clock=self.clock, sleep=self.sleep)


def test_429_waits_retry_after_and_resends_even_a_create():
    time_ = FakeTime()
    handler, seen = script(
        httpx.Response(429, headers={"Retry-After": "3"},
                       json={"status": "ERROR", "statusCode": "429", "messages": {"error": ["Too many requests"]}}),
        httpx.Response(200, json={**OK, "data": {"id": 9}}),
    )
    limiter = time_.limiter()
    s = ScoroSettings(base_url="https://a.scoro.com/api/v2", company_account_id="a", api_key="k")
    client = ScoroClient(s, transport=httpx.MockTransport(handler), limiter=limiter, sleep=lambda _s: None)
    assert client.modify("projects", {"project_name": "X"}) == {"id": 9}
    assert len(seen) == 2 and time_.waits == [3.0] and client.stats.rate_limited == 1


def test_daily_quota_exhaustion_is_raised_not_slept():
    handler, seen = script(httpx.Response(429, headers={"x-daily-requests-remaining": "0",
                                                        "x-daily-requests-reset": "3600"},
                                          json={"status": "ERROR", "statusCode": "429"}))
    with pytest.raises(RateLimited) as info:
        make_client(handler).list_page("projects", 1, per_page=10)
    assert info.value.daily and info.value.retry_after == 3600 and len(seen) == 1


def test_long_retry_after_is_raised_for_the_caller_to_store():
    handler, _ = script(httpx.Response(429, headers={"Retry-After": "900"}, json={"status": "ERROR"}))
    with pytest.raises(RateLimited) as info:
        make_client(handler, max_retry_wait=60).list_page("projects", 1, per_page=10)
    assert info.value.retry_after == 900 and not info.value.daily


def test_paging_stops_on_a_short_page_and_caps_page_sizes():
    pages = [[{"id": i} for i in range(100)], [{"id": i} for i in range(100, 101)]]
    handler, seen = script(*[httpx.Response(200, json={**OK, "data": p}) for p in pages])
    rows = [r for page in make_client(handler).iter_pages("contacts", per_page=500) for r in page]
    assert len(rows) == 101 and len(seen) == 2
    assert [body(r)["per_page"] for r in seen] == [100, 100]


def test_exactly_full_pages_need_one_more_empty_page():
    handler, seen = script(httpx.Response(200, json={**OK, "data": [{"id": i} for i in range(100)]}),
                           httpx.Response(200, json={**OK, "data": []}))
    assert sum(len(p) for p in make_client(handler).iter_pages("contacts")) == 100
    assert len(seen) == 2


def test_detailed_lists_ask_for_25_rows():
    handler, seen = script(httpx.Response(200, json={**OK, "data": [{"id": 1}]}))
    list(make_client(handler).iter_pages("invoices", detailed=True))
    sent = body(seen[0])
    assert sent["detailed_response"] == 1 and sent["per_page"] == 25


def test_include_deleted_goes_top_level_and_in_request():
    handler, seen = script(httpx.Response(200, json={**OK, "data": []}))
    make_client(handler).list_page("tasks", 1, per_page=10, include_deleted=True)
    sent = body(seen[0])
    assert sent["include_deleted"] == 1 and sent["request"]["include_deleted"] == 1


def test_user_login_then_token_in_body_and_relogin_once_on_expiry():
    handler, seen = script(
        httpx.Response(200, json={**OK, "data": {"token": "t1", "settings": {"user_id": 3}}}),
        httpx.Response(401, json={"status": "ERROR", "statusCode": 401, "messages": {"error": ["token expired"]}}),
        httpx.Response(200, json={**OK, "data": {"token": "t2", "settings": {}}}),
        httpx.Response(200, json={**OK, "data": [{"id": 1}]}),
    )
    s = ScoroSettings(base_url="https://a.scoro.com/api/v2", company_account_id="a", username="me", password="pw")
    client = ScoroClient(s, transport=httpx.MockTransport(handler), sleep=lambda _s: None)
    assert client.list_page("tasks", 1, per_page=10) == [{"id": 1}]
    login = body(seen[0])
    assert seen[0].url.path.endswith("/userAuth/modify") and "apiKey" not in login
    assert login["username"] == "me" and login["device_type"] and login["device_id"]
    assert body(seen[1])["user_token"] == "t1" and body(seen[3])["user_token"] == "t2"


def test_upload_splits_base64_into_chunks_of_at_most_5mb():
    handler, seen = script(*[httpx.Response(200, json={**OK, "data": {"file_id": 1}})] * 3)
    content = b"x" * (UPLOAD_CHUNK_CHARS // 4 * 3 * 2 + 10)  # a bit more than two chunks of base64
    make_client(handler).upload_file("big.bin", content)
    chunks = [body(r)["request"] for r in seen]
    assert [c["chunk_no"] for c in chunks] == [1, 2, 3] and {c["chunks_total"] for c in chunks} == {3}
    assert all(len(c["chunk_data"]) <= UPLOAD_CHUNK_CHARS for c in chunks)
    assert all(c["size"] == len(content) for c in chunks)


def test_decimals_go_out_as_json_numbers():
    handler, seen = script(httpx.Response(200, json={**OK, "data": {"id": 1}}))
    make_client(handler).modify("products", {"price": Decimal("19.90")}, 1)
    assert b'"price": 19.9' in seen[0].content


def test_limiter_waits_for_the_window_once_the_server_says_it_is_spent():
    time_ = FakeTime()
    waits = time_.waits
    limiter = time_.limiter()
    limiter.acquire()
    limiter.observe({"x-ratelimit-limit": "3", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "2"})
    limiter.acquire()
    assert waits == [pytest.approx(2.05)]  # our window's end (plus a margin): the server's "2" is rounded up
    # In the new window the learnt limit of 3 holds without asking the server.
    limiter.acquire()
    limiter.acquire()
    assert len(waits) == 1
    limiter.acquire()
    assert len(waits) == 2


def test_file_downloads_are_retried_like_reads_and_accept_base64_or_raw_bytes():
    handler, seen = script(
        httpx.Response(503, text="busy"),
        httpx.RemoteProtocolError("dropped"),
        httpx.Response(200, json={**OK, "data": {"file_id": 3, "content": "aGVsbG8="}}),
        httpx.Response(200, content=b"\x89PNG", headers={"content-type": "image/png"}),
    )
    client = make_client(handler)
    assert client.download_file(3) == b"hello"
    assert client.fetch_url("https://cdn.example/pic.png") == b"\x89PNG"
    assert [r.url.path for r in seen[:3]] == ["/api/v2/files/download/3"] * 3
    assert client.stats.by_endpoint == {"files/download": 3, "picture/get": 1}


def test_a_reset_rounded_up_to_whole_seconds_does_not_cost_an_extra_second_per_window():
    time_ = FakeTime()
    waits = time_.waits
    limiter = time_.limiter()
    limiter.acquire()  # our window: 0 .. 2
    time_.now = 1.5
    # the server's window ends at 2.0 too, but it says "1" (0.5 rounded up): wait to 2.05, not to 2.5
    limiter.observe({"x-ratelimit-limit": "40", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"})
    limiter.acquire()
    assert waits == [pytest.approx(0.55)]
    # with no window of our own, the server's word stands (its earliest possible end)
    fresh = time_.limiter()
    fresh.observe({"x-ratelimit-limit": "40", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "2"})
    fresh.acquire()
    assert waits[-1] == pytest.approx(1.0)


def test_parallel_first_calls_with_a_user_login_log_in_once():
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    logins: list[int] = []
    lock = threading.Lock()
    gate = threading.Barrier(4)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/userAuth/modify"):
            time.sleep(0.2)  # a login takes a while: the other workers get there meanwhile
            with lock:
                logins.append(1)
            return httpx.Response(200, json={**OK, "data": {"token": f"t{len(logins)}", "settings": {}}})
        return httpx.Response(200, json={**OK, "data": [{"token_seen": body(request)["user_token"]}]})

    s = ScoroSettings(base_url="https://a.scoro.com/api/v2", company_account_id="a", username="me", password="pw")
    client = ScoroClient(s, transport=httpx.MockTransport(handler), sleep=lambda _s: None)

    def first_call(_: int) -> str:
        gate.wait()  # every worker starts without a token, as replicate's do
        return client.list_page("tasks", 1, per_page=10)[0]["token_seen"]

    with ThreadPoolExecutor(4) as pool:
        tokens = list(pool.map(first_call, range(4)))
    assert logins == [1] and set(tokens) == {"t1"}
