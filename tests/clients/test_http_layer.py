"""The shared HTTP layer (clients/http.py) on its own: what is retried, what is waited, what is raised,
and what is counted, with the clock and sleep injected so nothing waits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from scorolink.clients.errors import ApiError, NotFound, RateLimited, Unavailable, WriteOutcomeUnknown
from scorolink.clients.http import HttpLayer, Resend, RetryPolicy


class Pacer:
    def __init__(self) -> None:
        self.slots = 0
        self.pauses: list[float] = []
        self.seen: list[str] = []

    @contextmanager
    def slot(self) -> Iterator[None]:
        self.slots += 1
        yield

    def observe(self, headers) -> None:  # type: ignore[no-untyped-def]
        self.seen.append(headers.get("x-quota-remaining", ""))

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)


def scripted(*answers: int | type[Exception]) -> Callable[[], httpx.Response]:
    """A send function that answers with each status (or raises each transport error) in turn."""
    script = list(answers)

    def send() -> httpx.Response:
        step = script.pop(0)
        if isinstance(step, type):
            raise step("boom")
        headers = {"retry-after": "3"} if step == 429 else {}
        return httpx.Response(step, headers={**headers, "x-quota-remaining": str(len(script))})
    return send


def handle(response: httpx.Response) -> str:
    if response.status_code == 429:
        raise RateLimited("slow down", retry_after=float(response.headers["retry-after"]))
    if response.status_code >= 500:
        raise Unavailable(f"server error {response.status_code}")
    if response.status_code == 404:
        raise NotFound("not found")
    return "ok"


def layer(**policy: object) -> tuple[HttpLayer, Pacer, list[float]]:
    pacer, slept = Pacer(), []
    return HttpLayer(pacer, RetryPolicy(**policy), sleep=slept.append, seed=7), pacer, slept  # type: ignore[arg-type]


def test_reads_retry_5xx_and_dropped_connections_with_jittered_backoff() -> None:
    http, pacer, slept = layer(max_attempts=4, backoff_base=1.0, backoff_cap=3.0)
    assert http.send("things/list", scripted(500, httpx.ReadTimeout, httpx.RemoteProtocolError, 200), handle) == "ok"
    assert pacer.slots == 4 and http.stats.by_endpoint["things/list"] == 4 and http.stats.retries == 3
    assert len(slept) == 3 and 0 <= slept[0] <= 1.0 and 0 <= slept[1] <= 2.0 and 0 <= slept[2] <= 3.0
    assert pacer.seen == ["3", "0"]  # every answer's quota headers reach the pacer


def test_a_429_waits_without_using_an_attempt_and_long_waits_are_raised() -> None:
    http, pacer, _ = layer(max_attempts=2, max_retry_wait=10)
    assert http.send("x", scripted(500, 429, 429, 200), handle) == "ok"  # two 429s between the two attempts
    assert pacer.pauses == [3.0, 3.0] and http.stats.rate_limited == 2 and http.stats.total == 4

    http, pacer, _ = layer(max_retry_wait=2)
    with pytest.raises(RateLimited):
        http.send("x", scripted(429), handle)
    assert pacer.pauses == [] and http.stats.total == 1

    http, pacer, _ = layer(max_rate_waits=1)
    with pytest.raises(RateLimited):
        http.send("x", scripted(429, 429), handle)
    assert http.stats.total == 2


def test_an_unsafe_write_is_never_resent_once_it_may_have_arrived() -> None:
    for answer in (httpx.ReadTimeout, 502):
        http, _, slept = layer()
        with pytest.raises(WriteOutcomeUnknown, match="may or may not have been created"):
            http.send("things/modify", scripted(answer, 200), handle, writes="unsafe")
        assert http.stats.total == 1 and slept == []
    http, _, _ = layer()  # a refused connection never reached the server: sending again is safe
    assert http.send("things/modify", scripted(httpx.ConnectError, 429, 200), handle, writes="unsafe") == "ok"
    assert http.stats.total == 3


def test_an_idempotent_write_is_retried_and_unknown_only_when_every_attempt_went_unanswered() -> None:
    http, _, _ = layer(max_attempts=3)
    assert http.send("PUT Things", scripted(503, httpx.ReadTimeout, 200), handle, writes="idempotent") == "ok"
    http, _, _ = layer(max_attempts=2)
    with pytest.raises(WriteOutcomeUnknown, match="may or may not have been applied"):
        http.send("PUT Things", scripted(503, httpx.ReadTimeout), handle, writes="idempotent")
    http, _, _ = layer(max_attempts=2)
    with pytest.raises(Unavailable, match="gave up after 2 attempts"):
        http.send("PUT Things", scripted(503, httpx.ConnectError), handle, writes="idempotent")


def test_final_errors_raise_at_once_and_resend_costs_no_attempt() -> None:
    http, _, _ = layer()
    with pytest.raises(NotFound):
        http.send("x", scripted(404, 200), handle)
    assert http.stats.total == 1
    refreshed = []

    def refresh_once(response: httpx.Response) -> str:
        if response.status_code == 401 and not refreshed:
            refreshed.append(1)
            raise Resend
        return handle(response)
    http, _, _ = layer(max_attempts=1)
    assert http.send("x", scripted(401, 200), refresh_once) == "ok" and http.stats.total == 2


def test_reads_give_up_after_max_attempts_with_the_clients_hint() -> None:
    http, _, slept = layer(max_attempts=3, give_up_hint="Try later")
    with pytest.raises(Unavailable) as caught:
        http.send("x", scripted(500, 500, 500, 200), handle)
    assert "gave up after 3 attempts" in str(caught.value) and "Try later" in str(caught.value)
    assert len(slept) == 2 and isinstance(caught.value, ApiError)
