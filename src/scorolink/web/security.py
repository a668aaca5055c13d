"""Signed session cookies, the sign-in guard and CSRF checks, as one ASGI middleware in front of every
route.

- The session is a signed (itsdangerous), time-limited cookie: HttpOnly, SameSite=Lax, and Secure
  whenever the request came over HTTPS (directly, or through a reverse proxy uvicorn trusts for
  X-Forwarded-Proto). It carries the user, the time their password was last set (a reset signs every
  session out) and the CSRF token.
- Every path but the sign-in, first-run and static ones needs a signed-in user: pages redirect to
  /login, event streams and other non-HTML answers get 401.
- Every request that is not GET/HEAD/OPTIONS must carry the session's CSRF token, as the `csrf_token`
  form field or the X-CSRF-Token header, or it is refused with 403 before any route sees it.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote

from itsdangerous import BadSignature, URLSafeTimedSerializer

from scorolink.runtime.store import StateStore
from scorolink.web import accounts

COOKIE = "scorolink_session"
MAX_AGE = 12 * 3600
MAX_FORM_BYTES = 1_000_000
PUBLIC_PATHS = frozenset({"/login", "/setup"})  # exact paths: a later /setup-xero page is not public
PUBLIC_PREFIX = "/static/"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class Security:
    def __init__(self, app: Any, store: StateStore) -> None:
        self.app = app
        self.store = store
        self.signer = URLSafeTimedSerializer(accounts.signing_key(store), salt="scorolink-web-session")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = self._load(scope)
        before = json.dumps(session, sort_keys=True)
        if "csrf" not in session:  # anonymous visitors get one too: the sign-in form carries it
            session["csrf"] = secrets.token_urlsafe(32)
        scope["session"] = session
        path = scope["path"]
        secure = scope.get("scheme") == "https"

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and json.dumps(session, sort_keys=True) != before:
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", self._cookie(session, secure).encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        public = path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIX)
        if not public and not self._signed_in(session):
            await self._refuse_anonymous(scope, send_with_cookie)
            return
        if scope["method"] not in SAFE_METHODS:
            body = await _read_body(receive)
            if body is None:
                await _plain(send_with_cookie, 413, "Request body too large.")
                return
            if not _csrf_ok(scope, body, session["csrf"]):
                await _plain(send_with_cookie, 403, "CSRF token missing or wrong: reload the page and submit again.")
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send_with_cookie)

    def _load(self, scope: Scope) -> dict[str, Any]:
        cookie = SimpleCookie()
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                try:
                    cookie.load(value.decode("latin-1"))
                except Exception:  # a malformed cookie header from elsewhere: ignore it
                    continue
        morsel = cookie.get(COOKIE)
        if morsel is None:
            return {}
        try:
            data = self.signer.loads(morsel.value, max_age=MAX_AGE)
        except BadSignature:
            return {}
        return data if isinstance(data, dict) else {}

    def _cookie(self, session: dict[str, Any], secure: bool) -> str:
        value = self.signer.dumps(session)
        return (f"{COOKIE}={value}; Path=/; Max-Age={MAX_AGE}; HttpOnly; SameSite=Lax"
                + ("; Secure" if secure else ""))

    def _signed_in(self, session: dict[str, Any]) -> bool:
        user = session.get("user")
        if not user:
            return False
        changed = accounts.password_changed_at(self.store, user)
        return changed is not None and changed.isoformat() == session.get("pw")

    async def _refuse_anonymous(self, scope: Scope, send: Send) -> None:
        accept = dict(scope.get("headers", [])).get(b"accept", b"").decode("latin-1")
        if scope["method"] == "GET" and "text/html" in accept:
            target = scope["path"] + (("?" + scope["query_string"].decode()) if scope.get("query_string") else "")
            await send({"type": "http.response.start", "status": 303,
                        "headers": [(b"location", f"/login?next={quote(target)}".encode()),
                                    (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        await _plain(send, 401, "Sign in first (/login).")


def _csrf_ok(scope: Scope, body: bytes, expected: str) -> bool:
    headers = dict(scope.get("headers", []))
    given = headers.get(b"x-csrf-token", b"").decode("latin-1")
    if not given and headers.get(b"content-type", b"").startswith(b"application/x-www-form-urlencoded"):
        given = (parse_qs(body.decode("utf-8", "replace")).get("csrf_token") or [""])[0]
    return bool(given) and hmac.compare_digest(given, expected)


async def _read_body(receive: Receive) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, upstream: Receive) -> Receive:
    """The body read for the CSRF check, handed to the route once; then the client's own messages."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await upstream()

    return receive


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
