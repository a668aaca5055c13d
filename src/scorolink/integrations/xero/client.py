"""Xero Accounting API on the wire: auth, tenant header, envelopes, paging, rate limits, retries, errors.

Everything here speaks Xero's JSON; canonical records are the connector's job. Facts from
accounting-apis.md PART A:
- every call carries `Authorization: Bearer`, `xero-tenant-id` and `Accept: application/json`
  (XML is the default otherwise); replies are envelopes `{"Id","Status","ProviderName","DateTimeUTC",
  "<Collection>":[...]}`, paged lists add `pagination`;
- `If-Modified-Since` on the incremental objects, `where` / `order`, `page` / `pageSize`;
- PUT creates, POST upserts; with `summarizeErrors=false` a batch answers 200 and every element
  carries its own `StatusAttributeString` and `ValidationErrors`;
- `Idempotency-Key` (at most 128 characters) on every write: a retried write replays the stored
  answer instead of writing twice, so writes are retried like reads;
- 60 calls a minute, 5 in flight and a daily quota per tenant, reported in `X-MinLimit-Remaining`,
  `X-DayLimit-Remaining`, `X-AppMinLimit-Remaining`; a 429 says `Retry-After` and
  `X-Rate-Limit-Problem`. Short waits are slept; long ones (the daily quota) are raised as
  RateLimited(retry_after, daily=True) for the caller to store, never slept.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from scorolink.clients import redact
from scorolink.clients.errors import (
    AuthenticationFailed,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
    ValidationFailed,
)
from scorolink.clients.http import HttpClient, HttpLayer, RetryPolicy, seconds_header, server_error
from scorolink.clients.http import json_numbers as json_default
from scorolink.clients.oauth import BearerToken
from scorolink.clients.pacing import RollingLimiter
from scorolink.config import config_path, read_config_file
from scorolink.errors import ConfigError
from scorolink.integrations.xero.oauth import (
    AUTHORIZE_URL,
    CONNECTIONS_URL,
    DEFAULT_SCOPES,
    RECONNECT_HINT,
    REVOCATION_URL,
    TOKEN_URL,
    XeroApp,
    XeroOAuth,
)

log = logging.getLogger(__name__)

API_URL = "https://api.xero.com/api.xro/2.0"
MAX_IDEMPOTENCY_KEY = 128
MAX_PAGE_SIZE = 1000


class TenantNotConnected(PermissionDenied):
    """403 AuthenticationUnsuccessful: the `xero-tenant-id` is missing, wrong or disconnected."""


# -- settings ------------------------------------------------------------------------------
@dataclass
class XeroSettings:
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    tenant_id: str | None = None
    redirect_uri: str = "http://localhost:8721/callback"
    scopes: str = DEFAULT_SCOPES
    token_store: str = ".scorolink/xero-tokens.enc"  # Fernet-encrypted
    key_file: str | None = None  # default: secret.key next to the token store (unless SCOROLINK_SECRET_KEY)
    api_url: str = API_URL
    authorize_url: str = AUTHORIZE_URL
    token_url: str = TOKEN_URL
    revocation_url: str = REVOCATION_URL
    connections_url: str = CONNECTIONS_URL
    timeout: float = 60.0
    max_attempts: int = 5
    max_retry_wait: float = 65.0  # a Retry-After up to this is slept; longer ones are raised
    per_minute: int | None = 60  # local pacing; None leaves it to the server's 429s
    concurrent: int = 5
    page_size: int = 1000  # pageSize on paged lists; Xero answers with what it used
    batch_size: int = 50

    @property
    def configured(self) -> bool:
        """True when an app is configured; otherwise `scorolink xero connect` uses the bundled sandbox."""
        return bool(self.client_id and self.client_secret)

    def app(self) -> XeroApp:
        if not self.configured:
            raise ConfigError("XERO_CLIENT_ID and XERO_CLIENT_SECRET are not set. Create an app at "
                              "developer.xero.com → My Apps, register the redirect URI "
                              f"{self.redirect_uri}, and set both (or client_id/client_secret under [xero]).")
        return XeroApp(str(self.client_id), str(self.client_secret), self.redirect_uri, self.scopes,
                       self.authorize_url, self.token_url, self.revocation_url, self.connections_url)

    def validate(self) -> XeroSettings:
        self.app()
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ConfigError(f"Xero page_size must be between 1 and {MAX_PAGE_SIZE}, not {self.page_size}.")
        if not 1 <= self.batch_size <= 50:
            raise ConfigError(f"Xero batch_size must be between 1 and 50, not {self.batch_size}.")
        return self


_ENV = {
    "client_id": "XERO_CLIENT_ID",
    "client_secret": "XERO_CLIENT_SECRET",
    "tenant_id": "XERO_TENANT_ID",
    "redirect_uri": "XERO_REDIRECT_URI",
    "scopes": "XERO_SCOPES",
    "token_store": "XERO_TOKEN_STORE",
    "api_url": "XERO_API_URL",
}
_FLOATS = ("timeout", "max_retry_wait")
_INTS = ("max_attempts", "per_minute", "concurrent", "page_size", "batch_size")


def load_xero_settings(flags: dict[str, Any] | None = None,
                       config_file: str | os.PathLike[str] | None = None) -> XeroSettings:
    """Merge flags over environment (XERO_*) over the [xero] table of scorolink.toml."""
    merged: dict[str, Any] = dict(read_config_file(config_path(config_file)).get("xero", {}))
    for key, env in _ENV.items():
        if os.environ.get(env):
            merged[key] = os.environ[env]
    merged.update({k: v for k, v in (flags or {}).items() if v is not None})
    known = {f.name for f in fields(XeroSettings)}
    unknown = sorted(set(merged) - known)
    if unknown:
        raise ConfigError(f"Unknown setting(s) under [xero]: {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
    for name in _FLOATS + _INTS:
        if name in merged and merged[name] is not None:
            kind = float if name in _FLOATS else int
            try:
                merged[name] = kind(merged[name])
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"Xero setting {name} must be a number, got {merged[name]!r}.") from exc
    return XeroSettings(**merged)


# -- pacing --------------------------------------------------------------------------------
@dataclass
class RateBudget:
    """What Xero last said about the limits of this tenant (None until a reply said it)."""

    minute_remaining: int | None = None
    day_remaining: int | None = None
    app_minute_remaining: int | None = None
    last_problem: str | None = None
    retry_after: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"minute_remaining": self.minute_remaining, "day_remaining": self.day_remaining,
                "app_minute_remaining": self.app_minute_remaining, "last_problem": self.last_problem,
                "retry_after": self.retry_after}


class XeroLimiter(RollingLimiter):
    """At most `concurrent` calls in flight and `per_minute` sends in any rolling minute, per tenant."""

    def __init__(self, *, per_minute: int | None = 60, concurrent: int = 5,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__({60.0: per_minute}, concurrent=concurrent, clock=clock, sleep=sleep)
        self.per_minute = per_minute
        self.budget = RateBudget()

    def observe(self, headers: httpx.Headers) -> None:
        b = self.budget
        for attr, name in (("minute_remaining", "x-minlimit-remaining"), ("day_remaining", "x-daylimit-remaining"),
                           ("app_minute_remaining", "x-appminlimit-remaining")):
            value = _int(headers.get(name))
            if value is not None:
                setattr(b, attr, value)


# -- the client ----------------------------------------------------------------------------
@dataclass
class Page:
    rows: list[dict[str, Any]]
    pagination: dict[str, Any] | None


class XeroClient(HttpClient):
    """A synchronous, thread-safe client for one Xero tenant (organisation)."""

    def __init__(
        self,
        settings: XeroSettings,
        oauth: XeroOAuth,
        *,
        tenant_id: str | None = None,
        transport: httpx.BaseTransport | None = None,
        limiter: XeroLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        seed: int | None = None,
        max_rate_waits: int = 10,
    ) -> None:
        self.settings = settings
        self.oauth = oauth
        self._tenant_id = tenant_id or settings.tenant_id
        self.http = httpx.Client(base_url=settings.api_url.rstrip("/") + "/", transport=transport,
                                 timeout=settings.timeout,
                                 headers={"Accept": "application/json", "User-Agent": "scorolink/0.1"})
        self.limiter = limiter or XeroLimiter(per_minute=settings.per_minute, concurrent=settings.concurrent,
                                              clock=clock, sleep=sleep)
        self.layer = HttpLayer(self.limiter, RetryPolicy.of(
            "Xero", settings, max_rate_waits=max_rate_waits, backoff_base=backoff_base, backoff_cap=backoff_cap),
            sleep=sleep, seed=seed, rate_wait=self._rate_wait)
        self.stats = self.layer.stats
        redact.register(settings.client_secret)

    @property
    def tenant_id(self) -> str:
        if not self._tenant_id:
            tokens = self.oauth.tokens()
            self._tenant_id = tokens.tenant_id
        if not self._tenant_id:
            raise ConfigError("No Xero organisation chosen: set XERO_TENANT_ID (see `scorolink xero tenants`) or "
                              "connect one with `scorolink xero connect`.")
        return self._tenant_id

    @property
    def budget(self) -> RateBudget:
        return self.limiter.budget

    # -- the one request path ----------------------------------------------------------------
    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None,
                content: bytes | None = None, headers: dict[str, str] | None = None,
                idempotency_key: str | None = None, modified_since: datetime | None = None) -> httpx.Response:
        """Send one call (with retries) and return the successful response; errors raise typed ApiErrors.

        Writes (PUT/POST/PATCH) always carry an Idempotency-Key (one is made when none is given), so a
        retry after a lost answer replays the first outcome instead of writing twice."""
        method = method.upper()
        endpoint = f"{method} {_endpoint_label(path)}"
        extra = dict(headers or {})
        writes = method in ("PUT", "POST", "PATCH")
        if writes:
            key = idempotency_key or str(uuid.uuid4())
            if len(key) > MAX_IDEMPOTENCY_KEY:
                raise ValueError(f"Idempotency-Key longer than {MAX_IDEMPOTENCY_KEY} characters: {key[:40]}…")
            extra["Idempotency-Key"] = key
        if modified_since is not None:
            extra["If-Modified-Since"] = modified_since_header(modified_since)
        if body is not None:
            content = json.dumps(body, default=json_default).encode()
            extra.setdefault("Content-Type", "application/json")
        query = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        bearer = BearerToken(self.oauth)

        def send() -> httpx.Response:
            return self.http.request(method, path, params=query, content=content,
                                     headers={**extra, **bearer.header(), "xero-tenant-id": self.tenant_id})

        def handle(response: httpx.Response) -> httpx.Response:
            if response.status_code == 429:
                limited = _rate_limited(response, endpoint)
                self.budget.last_problem = response.headers.get("x-rate-limit-problem")
                self.budget.retry_after = limited.retry_after
                raise limited
            # a token refused for the organisation itself (the connection revoked) no refresh can cure
            bearer.refresh_on_401(response, final=lambda r: _detail(r) == "AuthorizationUnsuccessful")
            server_error(response, endpoint, _messages)
            return _check(response, endpoint)

        return self.layer.send(endpoint, send, handle, writes="idempotent" if writes else "read")

    def _rate_wait(self, limited: RateLimited) -> None:
        if self.budget.last_problem == "concurrent":
            # Too many in flight (another process on this tenant): only this call steps back, with
            # jitter, so the callers do not all come back at the same instant.
            self.layer.sleep(limited.retry_after * (1 + self.layer.rng.random()))
        else:
            self.limiter.pause(limited.retry_after)  # the limiter sleeps until the pause is over

    def get(self, path: str, *, params: dict[str, Any] | None = None,
            modified_since: datetime | None = None) -> dict[str, Any]:
        return _envelope(self.request("GET", path, params=params, modified_since=modified_since), f"GET {path}")

    # -- reads -------------------------------------------------------------------------------
    def iter_pages(self, path: str, collection: str, *, paged: bool, params: dict[str, Any] | None = None,
                   where: str | None = None, order: str | None = None, modified_since: datetime | None = None,
                   page_size: int | None = None, limit: int | None = None) -> Iterator[list[dict[str, Any]]]:
        """Yield the rows of a list, page by page; a short page or `page >= pageCount` ends it."""
        base = dict(params or {})
        if where:
            base["where"] = where
        if order:
            base["order"] = order
        if not paged:
            rows = _rows(self.get(path, params=base, modified_since=modified_since), collection)
            yield rows[:limit] if limit is not None else rows
            return
        size = min(page_size or self.settings.page_size, MAX_PAGE_SIZE)
        if limit is not None:
            size = max(1, min(size, limit))
        page, seen = 1, 0
        while True:
            env = self.get(path, params={**base, "page": page, "pageSize": size}, modified_since=modified_since)
            rows = _rows(env, collection)
            if rows:
                yield rows
            seen += len(rows)
            raw = env.get("pagination")
            pagination: dict[str, Any] = raw if isinstance(raw, dict) else {}
            used = _int(pagination.get("pageSize")) or size  # Xero may cut pageSize; its own figure decides
            count = _int(pagination.get("pageCount"))
            if len(rows) < used or (count is not None and page >= count) or (limit is not None and seen >= limit):
                return
            page += 1

    # -- writes ------------------------------------------------------------------------------
    def write(self, method: str, path: str, collection: str, elements: list[dict[str, Any]], *,
              bare: bool = False, idempotency_key: str | None = None,
              params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """PUT (create) or POST (upsert) a batch with summarizeErrors=false: one element back per element
        sent, in order, each with its StatusAttributeString and ValidationErrors."""
        if bare and len(elements) != 1:
            raise ValueError(f"{path} takes one element per request, got {len(elements)}")
        body: Any = elements[0] if bare else {collection: elements}
        query = {"summarizeErrors": "false", **(params or {})}
        env = _envelope(self.request(method, path, params=query, body=body, idempotency_key=idempotency_key),
                        f"{method} {path}")
        return _rows(env, collection)

    def delete(self, path: str) -> httpx.Response:
        return self.request("DELETE", path)

    # -- attachments -------------------------------------------------------------------------
    def attachments(self, parent: str, parent_id: str) -> list[dict[str, Any]]:
        return _rows(self.get(f"{parent}/{parent_id}/Attachments"), "Attachments")

    def download_attachment(self, parent: str, parent_id: str, attachment_id: str, mime_type: str | None = None) -> bytes:
        headers = {"Accept": "application/octet-stream"}
        if mime_type:
            headers["contentType"] = mime_type
        return self.request("GET", f"{parent}/{parent_id}/Attachments/{attachment_id}", headers=headers).content

    def upload_attachment(self, parent: str, parent_id: str, file_name: str, content: bytes, *, replace: bool = False,
                          include_online: bool | None = None, mime_type: str | None = None,
                          idempotency_key: str | None = None) -> dict[str, Any]:
        """PUT adds a file, POST replaces the one with the same name (A10)."""
        params = {"IncludeOnline": include_online} if include_online is not None else None
        response = self.request("POST" if replace else "PUT",
                                f"{parent}/{parent_id}/Attachments/{quote(file_name, safe='')}",
                                params=params, content=content, idempotency_key=idempotency_key,
                                headers={"Content-Type": mime_type or "application/octet-stream"})
        rows = _rows(_envelope(response, "Attachments"), "Attachments")
        return rows[0] if rows else {}

    # -- organisation ------------------------------------------------------------------------
    def organisation(self) -> dict[str, Any]:
        rows = _rows(self.get("Organisation"), "Organisations")
        if not rows:
            raise NotFound("no organisation in the reply", endpoint="GET Organisation")
        return rows[0]


# -- helpers -------------------------------------------------------------------------------
def _endpoint_label(path: str) -> str:
    """`Invoices/<id>/Attachments/x.pdf` -> `Invoices/{id}/Attachments/{id}`, for request counts."""
    parts = [p for p in path.strip("/").split("/") if p]
    return "/".join("{id}" if i % 2 else p for i, p in enumerate(parts))


def modified_since_header(value: datetime) -> str:
    """If-Modified-Since in UTC to the second, ISO 8601 as the official SDK sends it (cut down, never up:
    a record changed within the same second is read again rather than missed)."""
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _int(value: Any) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return None


def _detail(response: httpx.Response) -> str:
    body = _json(response)
    return str(body.get("Detail") or "") if isinstance(body, dict) else ""


def _messages(response: httpx.Response) -> list[str]:
    """Xero's own words: element ValidationErrors, Message, or the problem Detail."""
    body = _json(response)
    if not isinstance(body, dict):
        text = response.text.strip()[:200]
        return [text] if text and "<" not in text[:1] else []
    out: list[str] = []
    for element in body.get("Elements") or []:
        if isinstance(element, dict):
            out += element_messages(element)
    if not out:
        for key in ("Message", "Detail", "Title"):
            if body.get(key):
                out.append(str(body[key]))
                break
    return out


def element_messages(element: dict[str, Any]) -> list[str]:
    """An element's own ValidationErrors, and those of its line items (where Xero puts some of them)."""
    out = [str(e.get("Message")) for e in element.get("ValidationErrors") or [] if isinstance(e, dict)]
    for line in element.get("LineItems") or []:
        if isinstance(line, dict):
            out += [str(e.get("Message")) for e in line.get("ValidationErrors") or [] if isinstance(e, dict)]
    return list(dict.fromkeys(m for m in out if m and m != "None"))


def _check(response: httpx.Response, endpoint: str) -> httpx.Response:
    status = response.status_code
    if status < 400:
        return response
    messages = _messages(response)
    detail = _detail(response)
    if status == 401:
        if detail == "AuthorizationUnsuccessful":
            raise PermissionDenied("the connection lacks the scope this call needs", status=status, messages=messages,
                                   endpoint=endpoint, hint="Reconnect with `scorolink xero connect` (and check "
                                                           "XERO_SCOPES)")
        raise AuthenticationFailed("Xero refused the access token", status=status, messages=messages,
                                   endpoint=endpoint, hint=RECONNECT_HINT)
    if status == 403:
        if detail == "AuthenticationUnsuccessful":
            raise TenantNotConnected("this organisation is not connected to the app (xero-tenant-id refused)",
                                     status=status, messages=messages, endpoint=endpoint,
                                     hint="Check XERO_TENANT_ID against `scorolink xero tenants`, or reconnect "
                                          "the organisation with `scorolink xero connect`")
        raise PermissionDenied("permission denied", status=status, messages=messages, endpoint=endpoint)
    if status == 404:
        raise NotFound("not found", status=status, messages=messages, endpoint=endpoint)
    error = ValidationFailed("request refused", status=status, messages=messages, endpoint=endpoint)
    body = _json(response)
    error.elements = body.get("Elements") if isinstance(body, dict) else None  # type: ignore[attr-defined]
    raise error


def _envelope(response: httpx.Response, endpoint: str) -> dict[str, Any]:
    body = _json(response)
    if not isinstance(body, dict):
        raise Unavailable(f"HTTP {response.status_code} with a body that is not a JSON object", endpoint=endpoint)
    return body


def _rows(env: dict[str, Any], collection: str) -> list[dict[str, Any]]:
    rows = env.get(collection)
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def _rate_limited(response: httpx.Response, endpoint: str) -> RateLimited:
    problem = (response.headers.get("x-rate-limit-problem") or "").lower()
    retry_after = seconds_header(response.headers.get("retry-after"))
    daily = problem == "day" or _int(response.headers.get("x-daylimit-remaining")) == 0
    if retry_after is None:  # Retry-After is documented for the minute and day limits only
        retry_after = 3600.0 if daily else 1.0 if problem == "concurrent" else 60.0
    what = "daily call quota used up" if daily else f"rate limited ({problem or 'limit'})"
    return RateLimited(what, retry_after=retry_after, daily=daily, status=429, messages=_messages(response),
                       endpoint=endpoint, hint=f"retry after {retry_after:.0f}s")
