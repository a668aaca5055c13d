"""QuickBooks Online Accounting API v3 on the wire: auth, realm, minorversion, envelopes, Faults, query paging,
CDC, batch, requestid, throttles. Everything here speaks QuickBooks' JSON; canonical records are the
connector's job. Facts from accounting-apis.md PART B:

- `…/v3/company/{realmId}/{entity}`; every call carries `minorversion` (75 is the floor and default since
  August 2025; pinned here, configurable) and `Accept: application/json` (XML otherwise);
- a Fault may come with **HTTP 200**: every body is checked for one (keys in any case; the 401 body is
  lower-case); 5010 is a stale SyncToken, 610 an object gone or inactive, 6240 a duplicate name;
- throttles are HTTP 429, often with an XML body, and no Retry-After: decided on the status alone, waited
  60 seconds (B10) through the shared HTTP layer; 500/503 are retried;
- limits per realm and app: 500 a minute, 10 a second, 10 in flight; batch calls 40 a minute — paced
  here so a long sync does not provoke the throttle;
- every write carries a `requestid` (at most 50 characters, 36 on /batch): QuickBooks answers a repeated
  one with the first answer, so writes are retried like reads and a lost answer never writes twice;
- `/batch` takes at most 30 items, each answered on its own (`bId`), not transactionally;
- queries: `STARTPOSITION` from 1, `MAXRESULTS` at most 1000; CDC looks back at most 30 days and returns at
  most 1000 objects.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
)
from scorolink.clients.http import HttpClient, HttpLayer, RetryPolicy, json_numbers, server_error
from scorolink.clients.oauth import BearerToken
from scorolink.clients.pacing import RollingLimiter
from scorolink.config import load_table_settings
from scorolink.errors import ConfigError
from scorolink.integrations.quickbooks.oauth import (
    ACCOUNTING_SCOPE,
    PRODUCTION_DISCOVERY,
    SANDBOX_DISCOVERY,
    QuickBooksApp,
    QuickBooksOAuth,
)

API_URLS = {"production": "https://quickbooks.api.intuit.com/v3/company",
            "sandbox": "https://sandbox-quickbooks.api.intuit.com/v3/company"}
DISCOVERY_URLS = {"production": PRODUCTION_DISCOVERY, "sandbox": SANDBOX_DISCOVERY}
MINOR_VERSION = 75
MAX_BATCH = 30
MAX_RESULTS = 1000
MAX_REQUEST_ID = 50
MAX_BATCH_REQUEST_ID = 36
CDC_WINDOW_DAYS = 30
CDC_MAX_OBJECTS = 1000
THROTTLE_WAIT = 60.0  # B10: wait a minute after a 429 (no Retry-After has been seen)
RECONNECT_HINT = "Reconnect with `scorolink quickbooks connect`"


class QuickBooksFault(ValidationFailed):
    """A Fault QuickBooks answered (any HTTP status): `codes` are its error codes, as strings."""

    def __init__(self, message: str, *, codes: list[str], **kw: Any) -> None:
        super().__init__(message, **kw)
        self.codes = codes


class StaleObject(QuickBooksFault):
    """5010: the SyncToken sent is not the current one (the record changed since it was read)."""


# -- settings ------------------------------------------------------------------------------
@dataclass
class QuickBooksSettings:
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    realm_id: str | None = None  # the company; default: the one connected
    environment: str = "production"  # production | sandbox (Intuit's developer sandbox companies)
    redirect_uri: str = "http://localhost:8721/callback"
    scopes: str = ACCOUNTING_SCOPE
    discovery_url: str | None = None  # default: Intuit's document for the environment
    api_url: str | None = None  # default: the environment's …/v3/company
    authorize_url: str | None = None  # default: from the discovery document
    token_url: str | None = None
    revocation_url: str | None = None
    key_file: str | None = None  # default: .scorolink/secret.key (unless SCOROLINK_SECRET_KEY)
    minorversion: int = MINOR_VERSION
    timeout: float = 120.0  # QuickBooks times a request out after 120 s (B10)
    max_attempts: int = 5
    max_retry_wait: float = 65.0  # a throttle's 60 s wait fits under it
    per_minute: int | None = 500
    per_second: int | None = 10
    concurrent: int = 10
    batch_per_minute: int | None = 40
    batch_size: int = MAX_BATCH
    page_size: int = MAX_RESULTS
    cdc_max_objects: int = CDC_MAX_OBJECTS

    @property
    def configured(self) -> bool:
        """True when an app is configured; otherwise the commands use the bundled QuickBooks sandbox."""
        return bool(self.client_id and self.client_secret)

    @property
    def base_url(self) -> str:
        return (self.api_url or API_URLS.get(self.environment, API_URLS["production"])).rstrip("/")

    def validate(self) -> QuickBooksSettings:
        if not self.configured:
            raise ConfigError("QUICKBOOKS_CLIENT_ID and QUICKBOOKS_CLIENT_SECRET are not set. Create an app at "
                              "developer.intuit.com → My Apps, register the redirect URI "
                              f"{self.redirect_uri}, and set both (or client_id/client_secret under [quickbooks]).")
        if self.environment not in API_URLS:
            raise ConfigError(f"[quickbooks] environment {self.environment!r}: use production or sandbox.")
        if self.minorversion < MINOR_VERSION:
            raise ConfigError(f"[quickbooks] minorversion {self.minorversion}: QuickBooks ignores versions below "
                              f"{MINOR_VERSION} since August 2025; use {MINOR_VERSION} or later.")
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise ConfigError(f"[quickbooks] batch_size must be between 1 and {MAX_BATCH}, not {self.batch_size}.")
        if not 1 <= self.page_size <= MAX_RESULTS:
            raise ConfigError(f"[quickbooks] page_size must be between 1 and {MAX_RESULTS}, not {self.page_size}.")
        return self

    def app(self, endpoints: dict[str, str] | None = None) -> QuickBooksApp:
        """The app's registration with Intuit's endpoints: the explicit ones, else the discovery document's."""
        found = endpoints or {}
        return QuickBooksApp(str(self.client_id), str(self.client_secret), self.redirect_uri, self.scopes,
                             self.authorize_url or found.get("authorization_endpoint", ""),
                             self.token_url or found.get("token_endpoint", ""),
                             self.revocation_url or found.get("revocation_endpoint", ""))

    @property
    def discovery(self) -> str:
        return self.discovery_url or DISCOVERY_URLS.get(self.environment, PRODUCTION_DISCOVERY)

    @property
    def needs_discovery(self) -> bool:
        return not (self.authorize_url and self.token_url and self.revocation_url)


ENV = {"client_id": "QUICKBOOKS_CLIENT_ID", "client_secret": "QUICKBOOKS_CLIENT_SECRET",
       "realm_id": "QUICKBOOKS_REALM_ID", "environment": "QUICKBOOKS_ENVIRONMENT",
       "redirect_uri": "QUICKBOOKS_REDIRECT_URI", "api_url": "QUICKBOOKS_API_URL",
       "discovery_url": "QUICKBOOKS_DISCOVERY_URL", "minorversion": "QUICKBOOKS_MINORVERSION"}


def load_quickbooks_settings(flags: dict[str, Any] | None = None, config_file: Any = None) -> QuickBooksSettings:
    """Flags over environment (QUICKBOOKS_*) over the [quickbooks] table of scorolink.toml."""
    settings: QuickBooksSettings = load_table_settings(QuickBooksSettings, "quickbooks", ENV, flags, config_file)
    return settings


# -- pacing --------------------------------------------------------------------------------
class BatchPacer:
    """A batch call takes a slot of the batch window and one of the realm's general windows."""

    def __init__(self, batch: RollingLimiter, general: RollingLimiter) -> None:
        self.batch, self.general = batch, general

    @contextmanager
    def slot(self) -> Iterator[None]:
        with ExitStack() as stack:
            stack.enter_context(self.batch.slot())
            stack.enter_context(self.general.slot())
            yield

    def observe(self, headers: httpx.Headers) -> None:
        pass

    def pause(self, seconds: float) -> None:
        self.batch.pause(seconds)
        self.general.pause(seconds)


# -- the client ----------------------------------------------------------------------------
class QuickBooksClient(HttpClient):
    """A synchronous, thread-safe client for one QuickBooks company (realm)."""

    def __init__(self, settings: QuickBooksSettings, oauth: QuickBooksOAuth, *, realm_id: str | None = None,
                 transport: httpx.BaseTransport | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, backoff_base: float = 0.5, backoff_cap: float = 30.0,
                 seed: int | None = None, max_rate_waits: int = 10) -> None:
        self.settings = settings
        self.oauth = oauth
        self._realm_id = realm_id or settings.realm_id
        self.http = httpx.Client(transport=transport, timeout=settings.timeout,
                                 headers={"Accept": "application/json", "User-Agent": "scorolink/0.1"})
        self.limiter = RollingLimiter({60.0: settings.per_minute, 1.0: settings.per_second},
                                      concurrent=settings.concurrent, clock=clock, sleep=sleep)
        self.batch_limiter = RollingLimiter({60.0: settings.batch_per_minute}, clock=clock, sleep=sleep)
        policy = RetryPolicy.of("QuickBooks", settings, max_rate_waits=max_rate_waits, backoff_base=backoff_base,
                                backoff_cap=backoff_cap)
        self.layer = HttpLayer(self.limiter, policy, sleep=sleep, seed=seed)
        self.batch_layer = HttpLayer(BatchPacer(self.batch_limiter, self.limiter), policy, stats=self.layer.stats,
                                     sleep=sleep, seed=seed)
        self.stats = self.layer.stats
        redact.register(settings.client_secret)

    @property
    def realm_id(self) -> str:
        if not self._realm_id:
            self._realm_id = self.oauth.tokens().tenant_id
        if not self._realm_id:
            raise ConfigError("No QuickBooks company chosen: connect one with `scorolink quickbooks connect` "
                              "(or set QUICKBOOKS_REALM_ID).")
        return self._realm_id

    # -- the one request path ----------------------------------------------------------------
    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None,
                content: bytes | None = None, content_type: str | None = None,
                request_id: str | None = None) -> dict[str, Any]:
        """One call with retries; the JSON body as a dict (numbers as Decimal), or a typed ApiError.

        Writes (every POST but a query) carry a `requestid` (one is made when none is given), so a retry after
        a lost answer gets the first answer again instead of writing twice."""
        method = method.upper()
        head = path.strip("/").split("/")[0].split("?")[0].lower()
        endpoint = f"{method} {head}" + ("/{id}" if "/" in path.strip("/") else "")
        query: dict[str, Any] = {**(params or {}), "minorversion": self.settings.minorversion}
        writes = method == "POST" and head != "query"
        if writes:
            limit = MAX_BATCH_REQUEST_ID if head == "batch" else MAX_REQUEST_ID
            key = request_id or uuid.uuid4().hex
            if len(key) > limit:
                raise ValueError(f"requestid longer than {limit} characters: {key[:20]}…")
            query["requestid"] = key
        headers: dict[str, str] = {}
        if body is not None:
            content = json.dumps(body, default=json_numbers).encode()
            headers["Content-Type"] = "application/json"
        elif content_type:
            headers["Content-Type"] = content_type
        url = f"{self.settings.base_url}/{self.realm_id}/{path.lstrip('/')}"
        bearer = BearerToken(self.oauth)

        def send() -> httpx.Response:
            return self.http.request(method, url, params={k: _param(v) for k, v in query.items() if v is not None},
                                     content=content, headers={**headers, **bearer.header()})

        def handle(response: httpx.Response) -> dict[str, Any]:
            if response.status_code == 429:
                raise throttled(response, endpoint)
            bearer.refresh_on_401(response)
            server_error(response, endpoint, lambda r: fault_messages(_json(r)))
            return check(response, endpoint)

        layer = self.batch_layer if head == "batch" else self.layer
        return layer.send(endpoint, send, handle, writes="idempotent" if writes else "read")

    # -- reads -------------------------------------------------------------------------------
    def get(self, entity: str, record_id: str) -> dict[str, Any]:
        body = self.request("GET", f"{entity.lower()}/{record_id}")
        return _one(body, entity)

    def query(self, statement: str) -> dict[str, Any]:
        """One query; its `QueryResponse` (the entity key is absent when nothing matched)."""
        body = self.request("POST", "query", content=statement.encode(), content_type="application/text")
        response = _key(body, "QueryResponse")
        return response if isinstance(response, dict) else {}

    def query_pages(self, entity: str, where: str = "", *, order: str = "Id",
                    page_size: int | None = None) -> Iterator[list[dict[str, Any]]]:
        """Every row of a query, page by page (STARTPOSITION / MAXRESULTS, at most 1000); a short page ends it.
        Ordered by Id, which an edit does not change, so a record edited during the scan keeps its place."""
        size = min(page_size or self.settings.page_size, MAX_RESULTS)
        start = 1
        while True:
            statement = f"SELECT * FROM {entity}{f' WHERE {where}' if where else ''} ORDERBY {order} " \
                        f"STARTPOSITION {start} MAXRESULTS {size}"
            rows = _rows(self.query(statement), entity)
            if rows:
                yield rows
            if len(rows) < size:
                return
            start += len(rows)

    def cdc(self, entities: list[str], since: datetime) -> dict[str, list[dict[str, Any]]]:
        """Changes since `since` (at most 30 days ago) per entity, deletions as `status: Deleted` tombstones."""
        moment = since if since.tzinfo else since.replace(tzinfo=UTC)
        body = self.request("GET", "cdc", params={"entities": ",".join(entities),
                                                  "changedSince": moment.astimezone(UTC).isoformat(timespec="seconds")})
        out: dict[str, list[dict[str, Any]]] = {e: [] for e in entities}
        for group in _key(body, "CDCResponse") or []:
            for response in (group.get("QueryResponse") or []) if isinstance(group, dict) else []:
                for entity in entities:
                    out[entity] += _rows(response, entity) if isinstance(response, dict) else []
        return out

    def company_info(self) -> dict[str, Any]:
        return self.get("companyinfo", self.realm_id)

    def preferences(self) -> dict[str, Any]:
        return _one(self.request("GET", "preferences"), "Preferences")

    # -- writes ------------------------------------------------------------------------------
    def save(self, entity: str, body: dict[str, Any], *, request_id: str | None = None,
             operation: str | None = None) -> dict[str, Any]:
        """Create (no Id), update (Id and SyncToken), or `operation=delete|void` one object; the saved object."""
        params = {"operation": operation} if operation else None
        return _one(self.request("POST", entity.lower(), params=params, body=body, request_id=request_id), entity)

    def batch(self, items: list[dict[str, Any]], *, request_id: str | None = None) -> dict[str, dict[str, Any]]:
        """At most 30 items (`bId`, `operation`, one entity object, or a `Query`); each answer by its bId."""
        if len(items) > MAX_BATCH:
            raise ValueError(f"a QuickBooks batch holds at most {MAX_BATCH} items, not {len(items)}")
        body = self.request("POST", "batch", body={"BatchItemRequest": items}, request_id=request_id)
        answers = _key(body, "BatchItemResponse") or []
        return {str(a.get("bId")): a for a in answers if isinstance(a, dict)}

    def upload(self, entity: str, record_id: str, file_name: str, content: bytes, content_type: str, *,
               request_id: str | None = None) -> dict[str, Any]:
        """Attach a file to a transaction: multipart `file_metadata_01` (an Attachable) and `file_content_01`."""
        boundary = "scorolink" + uuid.uuid4().hex
        meta = json.dumps({"AttachableRef": [{"EntityRef": {"type": entity, "value": record_id}}],
                           "FileName": file_name, "ContentType": content_type})
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="file_metadata_01"; '
                 f'filename="attachment.json"\r\nContent-Type: application/json\r\n\r\n{meta}\r\n'.encode(),
                 f'--{boundary}\r\nContent-Disposition: form-data; name="file_content_01"; '
                 f'filename="{file_name}"\r\nContent-Type: {content_type}\r\n\r\n'.encode() + content + b"\r\n",
                 f"--{boundary}--\r\n".encode()]
        body = self.request("POST", "upload", content=b"".join(parts),
                            content_type=f"multipart/form-data; boundary={boundary}", request_id=request_id)
        answers = _key(body, "AttachableResponse") or []
        first = answers[0] if answers and isinstance(answers[0], dict) else {}
        if _key(first, "Fault"):
            raise fault_error(first, "POST upload")
        return first.get("Attachable") or {}


def request_key(*parts: str, size: int = MAX_BATCH_REQUEST_ID) -> str:
    """A requestid derived from what is written: the same write retried (even by a later run) replays."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:size]


# -- wire helpers --------------------------------------------------------------------------
def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        return None


def _key(body: Any, name: str) -> Any:
    """A top-level key in any case (the 401 body is lower-case)."""
    if not isinstance(body, dict):
        return None
    if name in body:
        return body[name]
    lowered = name.lower()
    return next((v for k, v in body.items() if str(k).lower() == lowered), None)


def _one(body: dict[str, Any], entity: str) -> dict[str, Any]:
    found = _key(body, entity)
    if not isinstance(found, dict):
        raise Unavailable(f"the reply holds no {entity}", endpoint=entity)
    return found


def _rows(response: dict[str, Any], entity: str) -> list[dict[str, Any]]:
    rows = _key(response, entity)
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def fault_errors(body: Any) -> list[dict[str, Any]]:
    fault = _key(body, "Fault")
    errors = _key(fault, "Error") if isinstance(fault, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def fault_messages(body: Any) -> list[str]:
    """QuickBooks' own words: `code Message: Detail` per error."""
    out = []
    for error in fault_errors(body):
        code, message, detail = _key(error, "code"), _key(error, "Message"), _key(error, "Detail")
        text = " ".join(str(p) for p in (code, message) if p)
        if detail and detail != message:
            text += f": {detail}"
        out.append(text)
    return out


def fault_error(body: Any, endpoint: str, status: int | None = None) -> ApiError:
    codes = [str(_key(e, "code") or "") for e in fault_errors(body)]
    messages = fault_messages(body)
    if "5010" in codes:
        return StaleObject("the record changed in QuickBooks since it was read (stale SyncToken)", codes=codes,
                           status=status, messages=messages, endpoint=endpoint)
    if "3001" in codes:
        return RateLimited("QuickBooks throttled the request", retry_after=THROTTLE_WAIT, status=status,
                           messages=messages, endpoint=endpoint)
    return QuickBooksFault("QuickBooks refused the request", codes=codes, status=status, messages=messages,
                           endpoint=endpoint)


def throttled(response: httpx.Response, endpoint: str) -> RateLimited:
    """A 429, whatever its body (often XML): wait a minute unless a Retry-After says otherwise."""
    try:
        retry_after = max(0.0, float(response.headers.get("retry-after") or THROTTLE_WAIT))
    except ValueError:
        retry_after = THROTTLE_WAIT
    return RateLimited("QuickBooks throttled the request (ThrottleExceeded)", retry_after=retry_after, status=429,
                       endpoint=endpoint, hint=f"retry after {retry_after:.0f}s")


def check(response: httpx.Response, endpoint: str) -> dict[str, Any]:
    status = response.status_code
    body = _json(response)
    if status == 401:
        raise AuthenticationFailed("QuickBooks refused the access token", status=status,
                                   messages=fault_messages(body), endpoint=endpoint, hint=RECONNECT_HINT)
    if status == 403:
        raise PermissionDenied("this connection may not reach the company", status=status,
                               messages=fault_messages(body), endpoint=endpoint,
                               hint="Check QUICKBOOKS_REALM_ID, or reconnect with `scorolink quickbooks connect`")
    if status == 404 and not fault_errors(body):
        raise NotFound("not found", status=status, endpoint=endpoint)
    if not isinstance(body, dict):
        if status >= 400:
            raise ValidationFailed(f"HTTP {status}", status=status, endpoint=endpoint)
        raise Unavailable(f"HTTP {status} with a body that is not a JSON object", endpoint=endpoint)
    if fault_errors(body) or status >= 400:  # a Fault can come with HTTP 200 (B7)
        raise fault_error(body, endpoint, status)
    return body

