"""The dashboard's ASGI app: one Starlette application, the security middleware in front of it, the
pages' routes from `web.pages`, templates and static files from this package."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from scorolink.errors import ScorolinkError
from scorolink.runtime.store import Clock, StateStore, SystemClock
from scorolink.web import accounts
from scorolink.web.context import HERE, Web, web_of
from scorolink.web.security import Security
from scorolink.web.tables import ensure_tables


def create_app(store: StateStore, config_file: str | None = None, *, clock: Clock | None = None,
               limiter: accounts.LoginLimiter | None = None, on_queue: Callable[[], Any] | None = None) -> Starlette:
    """`on_queue`: what wakes this process's runner when a page queued a run (`scorolink serve --web`)."""
    from scorolink.web.pages import connections, data, dbsync, integrations, jobs, login

    ensure_tables(store)
    web = Web(store, config_file, clock or SystemClock(), limiter or accounts.LoginLimiter(), on_queue=on_queue)
    if not accounts.has_users(store):
        web.setup_token = secrets.token_urlsafe(24)
    routes = [
        Route("/", lambda request: RedirectResponse("/connections", status_code=303)),
        *login.routes, *connections.routes, *integrations.routes, *dbsync.routes, *jobs.routes, *data.routes,
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(Security, store=store)],
                    exception_handlers={ScorolinkError: _expected_error, 404: _not_found})
    app.state.web = web
    return app


async def _expected_error(request: Request, exc: Exception) -> Response:
    """A ScorolinkError a route did not catch: its message, on the page, without a traceback."""
    return web_of(request).render(request, "error.html", status=400, message=str(exc))


async def _not_found(request: Request, exc: Exception) -> Response:
    if "session" not in request.scope:
        return HTMLResponse("Not found", status_code=404)
    return web_of(request).render(request, "error.html", status=404, message=f"No page at {request.url.path}.")
