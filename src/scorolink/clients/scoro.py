"""Scoro API v2 on the wire: envelopes, auth, paging, rate limits, retries, typed errors.

Everything here speaks Scoro's own JSON keys; turning rows into canonical records is the
connector's job. Facts come from ../shared/reference/scoro-api.md:

- every call is a POST with auth in the JSON body (`apiKey` or `user_token`, plus
  `company_account_id`); filters go top-level;
- an ERROR envelope may arrive with HTTP 200 and `statusCode` may be a string;
- at most 100 rows per page (25 with `detailed_response`); the end is a short page;
- a 2-second window and a daily quota, reported in headers; 429 with Retry-After.

Retries, rate limits and write safety are the shared HTTP layer's (clients/http.py): reads are
retried on 5xx, timeouts, dropped connections and malformed bodies; a create is never retried once
it may have reached the server (WriteOutcomeUnknown).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx

from scorolink.clients import redact
from scorolink.clients.errors import (
    ApiError,
    AuthenticationFailed,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
    ValidationFailed,
    WriteOutcomeUnknown,
)
from scorolink.clients.http import HttpClient, HttpLayer, RequestStats, RetryPolicy, seconds_header
from scorolink.clients.ratelimit import RateLimiter
from scorolink.config import ScoroSettings

log = logging.getLogger(__name__)

MAX_PAGE = 100
MAX_DETAILED_PAGE = 25
UPLOAD_CHUNK_CHARS = 5_000_000  # base64 characters per files/modify request
SECRET_KEYS = ("apiKey", "user_token", "password")


class ScoroClient(HttpClient):
    """A synchronous, thread-safe client for one Scoro site and company account."""

    def __init__(
        self,
        settings: ScoroSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        seed: int | None = None,
    ) -> None:
        self.settings = settings
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "User-Agent": settings.user_agent}
        if settings.app_id:
            headers["scoro-app-id"] = settings.app_id
        self.http = httpx.Client(base_url=settings.url + "/", transport=transport, headers=headers,
                                 timeout=settings.timeout)
        self.limiter = limiter or RateLimiter(per_window=settings.per_window)
        self.layer = HttpLayer(self.limiter, RetryPolicy.of(
            "Scoro", settings, backoff_base=backoff_base, backoff_cap=backoff_cap,
            unreachable_hint=f"Could not connect to {settings.url}: check base_url (or subdomain) in scorolink.toml, "
                             "SCORO_BASE_URL or --base-url, and the network"),
            sleep=sleep, seed=seed)
        self.stats: RequestStats = self.layer.stats
        redact.register(settings.api_key, settings.password, settings.user_token)
        self._token = settings.user_token
        self._login_lock = threading.RLock()

    # -- auth ------------------------------------------------------------------------------
    def _auth(self) -> dict[str, Any]:
        body: dict[str, Any] = {"company_account_id": self.settings.company_account_id}
        if self.settings.lang:
            body["lang"] = self.settings.lang
        if self.settings.api_key:
            body["apiKey"] = self.settings.api_key
        else:
            body["user_token"] = self._token or self._login_once()
        return body

    def _login_once(self) -> str:
        """A token: logs in unless another thread did while this one waited (parallel reads that all
        start without a token log in once, not once each)."""
        with self._login_lock:
            return self._token or self.login()

    def login(self) -> str:
        """Trade username and password for a user token (`userAuth/modify`)."""
        with self._login_lock:
            s = self.settings
            if not (s.username and s.password):
                raise AuthenticationFailed("no user token and no username/password to get one",
                                           hint="Set SCORO_API_KEY, or SCORO_USERNAME and SCORO_PASSWORD")
            device_id = hashlib.sha256(f"scorolink:{s.url}:{s.username}".encode()).hexdigest()[:32]
            body: dict[str, Any] = {"company_account_id": s.company_account_id, "username": s.username, "password": s.password,
                    "device_type": "server", "device_name": "scorolink", "device_id": device_id, "request": {}}
            if s.lang:
                body["lang"] = s.lang
            data = self._send("userAuth", "modify", None, body, retry_reads=True)
            token = (data or {}).get("token") if isinstance(data, dict) else None
            if not token:
                raise AuthenticationFailed("userAuth/modify returned no token", endpoint="userAuth/modify")
            redact.register(token)
            self._token = token
            self.user_settings = data.get("settings") or {}
            return token

    # -- the one request path --------------------------------------------------------------
    def call(
        self,
        module: str,
        action: str | None = None,
        object_id: Any = None,
        *,
        request: Any = None,
        filter: dict[str, Any] | None = None,
        creates: bool = False,
        **top_level: Any,
    ) -> Any:
        """POST one call and return its `data` (None when the API sends none).

        `creates=True` marks a call that may create a record: it is not retried after it
        may have reached the server.
        """
        body = self._auth()
        body["request"] = request if request is not None else {}
        if filter:
            body["filter"] = filter
        body.update({k: v for k, v in top_level.items() if v is not None})
        try:
            return self._send(module, action, object_id, body, retry_reads=not creates)
        except AuthenticationFailed:
            if self.settings.api_key or not self.settings.username:
                raise
            with self._login_lock:  # the user token may have expired: log in once more (once for all threads)
                if self._token == body.get("user_token"):
                    self._token = None
            body.update(self._auth())
            return self._send(module, action, object_id, body, retry_reads=not creates)

    def _send(self, module: str, action: str | None, object_id: Any, body: dict[str, Any], *,
              retry_reads: bool) -> Any:
        path = module + (f"/{action}" if action else "") + (f"/{object_id}" if object_id is not None else "")
        endpoint = f"{module}/{action or 'list'}"
        payload = json.dumps(body, default=_json_default)
        return self.layer.send(endpoint, lambda: self.http.post(path, content=payload),
                               lambda response: self._parse(response, endpoint),
                               writes="read" if retry_reads else "unsafe")

    def _parse(self, response: httpx.Response, endpoint: str) -> Any:
        status = response.status_code
        if status == 429:
            raise _rate_limited(response, endpoint)
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError, httpx.DecodingError) as exc:
            snippet = response.text[:120].strip()
            if status == 403 and "1010" in snippet:
                raise PermissionDenied("blocked by the site's firewall (error code 1010)", status=status,
                                       endpoint=endpoint,
                                       hint="Set a browser-like user_agent under [scoro] in scorolink.toml") from exc
            if status in (401, 403, 404):
                raise _error_for(status, [snippet] if snippet else [], endpoint) from exc
            raise Unavailable(f"HTTP {status} with a body that is not JSON: {snippet!r}", status=status,
                              endpoint=endpoint) from exc
        if not isinstance(body, dict):
            raise Unavailable(f"unexpected JSON body of type {type(body).__name__}", endpoint=endpoint)
        code = _int_or_none(body.get("statusCode"))
        failed = status >= 400 or body.get("status") == "ERROR" or (code is not None and code >= 400)
        if not failed:
            return body.get("data")
        effective = code if code is not None and code >= 400 else status if status >= 400 else 400
        messages = _messages(body.get("messages"))
        if effective == 429:
            raise _rate_limited(response, endpoint, messages)
        raise _error_for(effective, messages, endpoint)

    # -- reads -----------------------------------------------------------------------------
    def list_page(self, module: str, page: int, *, per_page: int, filter: dict[str, Any] | None = None,
                  request: Any = None, detailed: bool = False, include_deleted: bool = False,
                  action: str | None = "list", bookmark: Any = None) -> list[dict[str, Any]]:
        extra: dict[str, Any] = {"page": page, "per_page": per_page}
        if bookmark not in (None, ""):
            extra["bookmark"] = {"bookmark_id": str(bookmark)}
        if detailed:
            extra["detailed_response"] = 1
        if include_deleted:
            # Where include_deleted belongs is ambiguous (reference §6.3): send it in both places.
            extra["include_deleted"] = 1
            request = {**(request or {}), "include_deleted": 1}
        data = self.call(module, action, request=request, filter=filter, **extra)
        if data is None:
            return []
        if isinstance(data, dict):  # some modules answer a list call with a keyed object
            data = list(data.values())
        return [row for row in data if isinstance(row, dict)]

    def iter_pages(self, module: str, *, filter: dict[str, Any] | None = None, request: Any = None,
                   detailed: bool = False, include_deleted: bool = False, per_page: int | None = None,
                   action: str | None = "list", limit: int | None = None,
                   bookmark: Any = None) -> Iterator[list[dict[str, Any]]]:
        """Yield pages until a short page says the list is over."""
        cap = self.settings.detailed_page_size if detailed else self.settings.page_size
        size = min(per_page or cap, cap, MAX_DETAILED_PAGE if detailed else MAX_PAGE)
        if limit is not None:
            size = max(1, min(size, limit))
        page, seen = 1, 0
        while True:
            rows = self.list_page(module, page, per_page=size, filter=filter, request=request,
                                  detailed=detailed, include_deleted=include_deleted, action=action,
                                  bookmark=bookmark)
            if rows:
                yield rows
            seen += len(rows)
            if len(rows) < size or (limit is not None and seen >= limit):
                return
            page += 1

    def view(self, module: str, object_id: Any, *, include_deleted: bool = False) -> dict[str, Any]:
        data = self.call(module, "view", object_id, include_deleted=1 if include_deleted else None)
        if not isinstance(data, dict):
            raise NotFound(f"no record {object_id}", endpoint=f"{module}/view")
        return data

    # -- writes ----------------------------------------------------------------------------
    def modify(self, module: str, request: dict[str, Any], object_id: Any = None) -> dict[str, Any] | None:
        """Create (no id) or update (id) one record; returns the saved record when the API sends it."""
        creates = object_id in (None, 0, "0", "")
        data = self.call(module, "modify", None if creates else object_id, request=request, creates=creates,
                         return_data=1)
        return data if isinstance(data, dict) else None

    def delete(self, module: str, object_id: Any, request: Any = None) -> None:
        """Delete one record. A 404 on the first attempt raises NotFound (there was nothing to
        delete); once an attempt may have reached Scoro unanswered, the retries' 404 means done."""
        try:
            self.call(module, "delete", object_id, request=request, creates=True)  # first attempt alone
        except WriteOutcomeUnknown:
            try:
                self.call(module, "delete", object_id, request=request)
            except NotFound:
                return
            except Unavailable as exc:
                raise WriteOutcomeUnknown(f"{exc}; the record may or may not have been deleted",
                                          endpoint=f"{module}/delete") from exc

    # -- accounts, binaries ----------------------------------------------------------------
    def company_accounts(self) -> list[dict[str, Any]]:
        data = self.call("companyAccount", "list")
        return [row for row in (data or []) if isinstance(row, dict)]

    def download_file(self, file_id: Any) -> bytes:
        """File content. The response shape is undocumented (reference §4.12): JSON with base64
        `content` or a link, or the raw bytes; all three are accepted."""
        response = self._download("POST", f"files/download/{file_id}", "files/download",
                                  content=json.dumps({**self._auth(), "request": {}}))
        if "json" not in response.headers.get("content-type", "json"):
            return response.content
        data = self._parse(response, "files/download")
        if isinstance(data, dict):
            if data.get("content") is not None:
                return base64.b64decode(data["content"])
            link = data.get("url") or data.get("file_url") or data.get("link")
            if link:
                return self.fetch_url(link)
        raise Unavailable("files/download returned neither content nor a link", endpoint="files/download")

    def fetch_url(self, url: str) -> bytes:
        """Download a linked resource (contact pictures): one plain GET."""
        response = self._download("GET", url, "picture/get")
        if response.status_code >= 400:
            raise _error_for(response.status_code, [], "picture/get")
        return response.content

    def _download(self, method: str, target: str, endpoint: str, content: str | None = None) -> httpx.Response:
        """A binary read, retried like any read on 5xx and connection problems; 4xx raise at once."""
        def handle(response: httpx.Response) -> httpx.Response:
            if 400 <= response.status_code < 500 and "json" not in response.headers.get("content-type", ""):
                raise _error_for(response.status_code, [], endpoint)
            if response.status_code >= 500:
                raise Unavailable(f"HTTP {response.status_code}", endpoint=endpoint)
            return response

        return self.layer.send(endpoint, lambda: self.http.request(method, target, content=content), handle)

    def upload_file(self, name: str, content: bytes, *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Upload in base64 chunks of at most 5,000,000 characters (`files/modify`)."""
        encoded = base64.b64encode(content).decode("ascii")
        chunks = [encoded[i:i + UPLOAD_CHUNK_CHARS] for i in range(0, len(encoded), UPLOAD_CHUNK_CHARS)] or [""]
        result: dict[str, Any] | None = None
        for number, chunk in enumerate(chunks, start=1):
            request = {"size": len(content), "name": name, "chunk_no": number, "chunks_total": len(chunks),
                       "chunk_data": chunk, **(extra or {})}
            result = self.modify("files", request)
        return result or {}


# -- helpers -------------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    raise TypeError(f"cannot send {type(value).__name__} to Scoro")


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _messages(raw: Any) -> list[str]:
    """Error messages come as {"error": [..]}, {"error": "..."}, {"error": {field: msg}} or a list."""
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list):
        return [str(m) for m in raw]
    if isinstance(raw, dict):
        out: list[str] = []
        for key, value in raw.items():
            if isinstance(value, dict):
                out += [f"{k}: {'; '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in value.items()]
            elif isinstance(value, list):
                out += [str(v) for v in value]
            elif value is not None:
                out.append(str(value) if key in ("error", "errors", "warning") else f"{key}: {value}")
        return out
    return [str(raw)]


def _error_for(status: int, messages: list[str], endpoint: str) -> ApiError:
    if status == 401:
        return AuthenticationFailed("authentication failed", status=status, messages=messages, endpoint=endpoint,
                                    hint="Check SCORO_API_KEY (or SCORO_USERNAME/SCORO_PASSWORD) and the base URL")
    if status == 403:
        return PermissionDenied("permission denied", status=status, messages=messages, endpoint=endpoint,
                                hint="Check SCORO_COMPANY_ACCOUNT_ID and the user's rights in Scoro")
    if status == 404:
        return NotFound("not found", status=status, messages=messages, endpoint=endpoint)
    if status >= 500:
        return Unavailable(f"server error {status}", status=status, messages=messages, endpoint=endpoint)
    return ValidationFailed("request refused", status=status, messages=messages, endpoint=endpoint)


def _rate_limited(response: httpx.Response, endpoint: str, messages: list[str] | None = None) -> RateLimited:
    headers = response.headers
    daily = _int_or_none(headers.get("x-daily-requests-remaining")) == 0
    retry_after = seconds_header(headers.get("retry-after"))
    if retry_after is None:
        reset = headers.get("x-daily-requests-reset") if daily else headers.get("x-ratelimit-reset")
        retry_after = seconds_header(reset) or 2.0
    what = "daily request quota used up" if daily else "rate limited"
    return RateLimited(what, retry_after=retry_after, daily=daily, status=429, messages=messages or [],
                       endpoint=endpoint, hint=f"retry after {retry_after:.0f}s")
