"""Signing in and out, the first-run admin password, and the audit log."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from scorolink.errors import ConfigError
from scorolink.web import accounts
from scorolink.web.context import web_of


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _next(value: str | None) -> str:
    """Only a local path: never redirect a signed-in user to another site."""
    if not value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    return value


def _sign_in(request: Request, user: str, changed_at: object) -> None:
    session = request.scope["session"]
    session.clear()
    session.update(user=user, pw=changed_at.isoformat(), csrf=secrets.token_urlsafe(32))  # type: ignore[attr-defined]


async def login_page(request: Request) -> Response:
    web = web_of(request)
    if web.setup_token is not None and not accounts.has_users(web.store):
        return web.render(request, "setup.html", token=request.query_params.get("token", ""))
    return web.render(request, "login.html", next=_next(request.query_params.get("next")))


async def login_post(request: Request) -> Response:
    web = web_of(request)
    form = await request.form()
    client = _client(request)
    wait = web.limiter.retry_after(client)
    if wait > 0:
        response = web.render(request, "login.html", status=429, next=_next(str(form.get("next") or "")),
                              error=f"Too many failed sign-ins from this address: try again in {int(wait) + 1} s.")
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    username = str(form.get("username") or accounts.ADMIN)
    changed = accounts.check_login(web.store, username, str(form.get("password") or ""))
    if changed is None:
        web.limiter.failed(client)
        accounts.record(web.store, web.now(), username, "sign-in failed", client)
        return web.render(request, "login.html", status=401, next=_next(str(form.get("next") or "")),
                          error="Wrong user name or password.")
    _sign_in(request, username, changed)
    accounts.record(web.store, web.now(), username, "signed in", client)
    return web.redirect(request, _next(str(form.get("next") or "")))


async def setup_post(request: Request) -> Response:
    """First run: the setup token printed by `scorolink web` proves the person sits at the server."""
    web = web_of(request)
    form = await request.form()
    token = str(form.get("token") or "")
    if web.setup_token is None or accounts.has_users(web.store):
        return web.redirect(request, "/login", "The admin password is set already: sign in.")
    if not hmac.compare_digest(token, web.setup_token):
        return web.render(request, "setup.html", status=403, token="",
                          error="Wrong setup token: copy the address `scorolink web` printed when it started.")
    password, again = str(form.get("password") or ""), str(form.get("password2") or "")
    if password != again:
        return web.render(request, "setup.html", status=400, token=token, error="The two passwords differ.")
    try:
        accounts.set_password(web.store, password, web.now(), actor="first-run setup")
    except ConfigError as exc:
        return web.render(request, "setup.html", status=400, token=token, error=str(exc))
    web.setup_token = None
    _sign_in(request, accounts.ADMIN, accounts.password_changed_at(web.store, accounts.ADMIN))
    return web.redirect(request, "/connections", "Admin password set. Welcome.")


async def logout(request: Request) -> Response:
    web = web_of(request)
    web.audit(request, "signed out")
    request.scope["session"].clear()
    return web.redirect(request, "/login")


async def audit_page(request: Request) -> Response:
    web = web_of(request)
    return web.render(request, "audit.html", rows=accounts.audit_log(web.store))


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_post, methods=["POST"]),
    Route("/setup", login_page, methods=["GET"]),
    Route("/setup", setup_post, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/audit", audit_page, methods=["GET"]),
]
