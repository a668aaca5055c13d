"""The one request path every API client shares: pacing, retries, rate limits, write safety, statistics.

A client (Scoro, Xero, the next system) brings only what is its own: how to authenticate, how to build
a request, how to read its envelope and errors (`handle`: a response becomes a value or a typed
ApiError). This module decides what happens next:

- 5xx, timeouts, dropped connections and malformed bodies (`Unavailable`) are retried with full-jitter
  exponential backoff, up to `max_attempts`;
- a 429 (`RateLimited`) was refused, not processed: it is waited out (`Retry-After`) without using up
  an attempt, unless the wait is longer than `max_retry_wait`, the daily quota is spent, or
  `max_rate_waits` waits were already made — then it is raised for the caller to store;
- a write is never blindly resent once it may have reached the server: an `unsafe` write (no
  idempotency key) raises WriteOutcomeUnknown at the first unanswered send; an `idempotent` write
  (the server replays a retried key) is retried like a read, and raises WriteOutcomeUnknown only when
  every attempt went unanswered;
- `Resend` from `handle` sends again at once without using an attempt (a refreshed access token);
- every send is counted in RequestStats, and the pacer (the client's rate limiter) is told each
  answer's quota and rate-limit headers;
- the clock and sleep are injectable, so tests never wait.
"""

from __future__ import annotations

import contextvars
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, Self, TypeVar

import httpx

from scorolink.clients.errors import ApiError, RateLimited, Unavailable, WriteOutcomeUnknown
from scorolink.clients.redact import redact

log = logging.getLogger(__name__)

T = TypeVar("T")
WriteSafety = Literal["read", "unsafe", "idempotent"]

# Requests made under `RequestStats.scope()` are also counted on that scope's counter, so a job
# that reads several objects at once can say what each one cost. Scopes nest: a request counts on
# every scope it is made under (a query's total includes the SELECT an UPDATE runs to find its rows).
_SCOPE: contextvars.ContextVar[tuple[Counter[str], ...]] = contextvars.ContextVar("request_scope", default=())


class RequestStats:
    """Requests sent, by endpoint; thread-safe. Every client keeps one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_endpoint: Counter[str] = Counter()
        self.retries = 0
        self.rate_limited = 0

    def count(self, endpoint: str) -> None:
        scopes = _SCOPE.get()
        with self._lock:
            self.by_endpoint[endpoint] += 1
            for scope in scopes:
                scope[endpoint] += 1

    @staticmethod
    @contextmanager
    def scope() -> Iterator[Counter[str]]:
        """Count the requests of this context (and of worker threads started with its context), also
        when an inner scope counts them too."""
        counter: Counter[str] = Counter()
        token = _SCOPE.set((*_SCOPE.get(), counter))
        try:
            yield counter
        finally:
            _SCOPE.reset(token)

    @property
    def total(self) -> int:
        return sum(self.by_endpoint.values())

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "by_endpoint": dict(self.by_endpoint), "retries": self.retries,
                "rate_limited": self.rate_limited}


class Pacer(Protocol):
    """A client's rate limiter: a slot per send, the server's headers after each answer, pauses after a 429."""

    def slot(self) -> AbstractContextManager[Any]: ...

    def observe(self, headers: httpx.Headers) -> None: ...

    def pause(self, seconds: float) -> None: ...


class Resend(Exception):
    """Raised by a client's `handle` to send the same request again at once, without using an attempt."""


@dataclass
class RetryPolicy:
    max_attempts: int = 5
    max_retry_wait: float = 120.0  # a Retry-After up to this is waited; longer ones are raised
    max_rate_waits: int | None = None  # 429 waits per request before giving up (None: no cap)
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    give_up_hint: str = "the service may be down or overloaded; try again later"
    unreachable_hint: str | None = None  # the hint when no attempt ever connected (points at the address)

    @classmethod
    def of(cls, service: str, settings: Any, **tuning: Any) -> RetryPolicy:
        """A client's policy from its settings' `max_attempts` and `max_retry_wait`, naming `service` when
        it gives up."""
        return cls(max_attempts=settings.max_attempts, max_retry_wait=settings.max_retry_wait,
                   give_up_hint=f"{service} may be down or overloaded; try again later", **tuning)


class Closing:
    """`with thing:` closes it at the end (clients, sessions: whatever has a `close`)."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class HttpClient(Closing):
    """The lifecycle every API client shares: it owns one `httpx.Client` (`http`), closed with it."""

    http: httpx.Client

    def close(self) -> None:
        self.http.close()


def seconds_header(value: str | None) -> float | None:
    """A header that counts seconds (Retry-After, a reset): None when absent or not a number, never negative."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def server_error(response: httpx.Response, endpoint: str, messages: Callable[[httpx.Response], list[str]]) -> None:
    """A 5xx answer is the service failing, not the request: Unavailable (retried), with its own messages."""
    if response.status_code >= 500:
        raise Unavailable(f"server error {response.status_code}", status=response.status_code, endpoint=endpoint,
                          messages=messages(response))


class HttpLayer:
    """Sends one logical request through retries; thread-safe (one per client)."""

    def __init__(self, pacer: Pacer, policy: RetryPolicy, *, stats: RequestStats | None = None,
                 sleep: Callable[[float], None] = time.sleep, seed: int | None = None,
                 rate_wait: Callable[[RateLimited], None] | None = None) -> None:
        self.pacer = pacer
        self.policy = policy
        self.stats = stats or RequestStats()
        self.sleep = sleep
        self.rng = random.Random(seed)
        # How to wait out a 429 that is not raised; by default nobody on this pacer sends until it is over.
        self.rate_wait = rate_wait or (lambda limited: pacer.pause(limited.retry_after))

    def backoff_delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter."""
        p = self.policy
        return self.rng.uniform(0, min(p.backoff_cap, p.backoff_base * 2 ** (attempt - 1)))

    def send(self, endpoint: str, send: Callable[[], httpx.Response], handle: Callable[[httpx.Response], T], *,
             writes: WriteSafety = "read") -> T:
        """Send until `handle` returns a value, an error is final, or the attempts are spent."""
        p = self.policy
        attempt = rate_waits = 0
        connected = False  # never connecting at all points at the address, not at the service
        while True:
            attempt += 1
            error: ApiError
            reached = True
            with self.pacer.slot():
                self.stats.count(endpoint)
                try:
                    response: httpx.Response | None = send()
                except httpx.TransportError as exc:
                    response = None
                    reached = not isinstance(exc, httpx.ConnectError)  # a refused connection never arrived
                    error = Unavailable(f"{type(exc).__name__}: {exc or 'connection problem'}", endpoint=endpoint)
                    error.__cause__ = exc
            connected = connected or reached
            if response is not None:
                self.pacer.observe(response.headers)
                try:
                    return handle(response)
                except Resend:
                    attempt -= 1
                    continue
                except RateLimited as limited:
                    self.stats.rate_limited += 1
                    if limited.daily or limited.retry_after > p.max_retry_wait or (
                            p.max_rate_waits is not None and rate_waits >= p.max_rate_waits):
                        raise
                    rate_waits += 1
                    attempt -= 1  # refused, not processed: safe to send again, creates included
                    log.info("%s rate limited; waiting %.1fs", endpoint, limited.retry_after)
                    self.rate_wait(limited)
                    continue
                except Unavailable as exc:
                    error = exc
            if writes == "unsafe" and reached:
                what = str(error) if response is not None else f"no answer ({type(error.__cause__).__name__})"
                raise WriteOutcomeUnknown(f"{what}; the record may or may not have been created",
                                          endpoint=endpoint) from error
            if attempt >= p.max_attempts:
                if writes == "idempotent" and reached:
                    raise WriteOutcomeUnknown(
                        f"no definite answer after {attempt} attempts ({error}); the write may or may not have "
                        "been applied", endpoint=endpoint, hint="Look the record up before writing it again") from error
                hint = p.give_up_hint if connected or not p.unreachable_hint else p.unreachable_hint
                raise Unavailable(f"gave up after {attempt} attempts: {error}", endpoint=endpoint,
                                  hint=hint) from error
            self.stats.retries += 1
            delay = self.backoff_delay(attempt)
            log.info("%s failed (%s); retry %d in %.2fs", endpoint, redact(str(error)), attempt, delay)
            self.sleep(delay)


def json_numbers(value: Any) -> Any:
    """`json.dumps` default for money: Decimals go as JSON numbers. Money has at most 4 places (Xero `unitdp`,
    QuickBooks amounts), which a float's shortest repr keeps exactly; a value it would not keep is sent as text
    rather than silently rounded."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else format(value, "f")
    raise TypeError(f"cannot send {type(value).__name__} as JSON")
