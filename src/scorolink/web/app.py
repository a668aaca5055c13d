"""The dashboard's ASGI app: one Starlette application, the security middleware in front of it, the
pages' routes from `web.pages`, templates and static files from this package."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from scorolink.errors import ScorolinkError
from scorolink.runtime.store import Clock, StateStore, SystemClock
from scorolink.web import accounts
from scorolink.web.security import Security
from scorolink.web.tables import ensure_tables

HERE = Path(__file__).parent
NAV = (("Connections", "/connections"), ("Jobs", "/jobs"), ("Runs", "/runs"), ("Objects", "/data/objects"),
       ("Records", "/data/records"), ("SQL", "/data/sql"), ("ERD", "/data/erd"), ("Audit log", "/audit"))


@dataclass
class Web:
    """What every page needs: the state database, the settings file, the clock, the login limiter."""

    store: StateStore
    config_file: str | None = None
    clock: Clock = field(default_factory=SystemClock)
    limiter: accounts.LoginLimiter = field(default_factory=accounts.LoginLimiter)
    setup_token: str | None = None  # the first-run token printed on the console (None once a user exists)
    templates: Jinja2Templates = field(default_factory=lambda: Jinja2Templates(directory=str(HERE / "templates")))

    def now(self) -> Any:
        return self.clock.now()

    def user(self, request: Request) -> str:
        return str(request.scope["session"].get("user") or "")

    def audit(self, request: Request, action: str, target: str = "", detail: dict[str, Any] | None = None) -> None:
        accounts.record(self.store, self.now(), self.user(request) or "anonymous", action, target, detail)

    def connections(self) -> Any:
        from scorolink.runtime.connections import ConfiguredConnections

        return ConfiguredConnections(self.config_file)

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        session = request.scope["session"]
        context.update(request=request, user=session.get("user"), csrf=session.get("csrf"), nav=NAV,
                       flash=session.pop("flash", None), path=request.url.path)
        return self.templates.TemplateResponse(request, template, context, status_code=status)

    def redirect(self, request: Request, url: str, message: str | None = None) -> Response:
        if message:
            request.scope["session"]["flash"] = message
        return RedirectResponse(url, status_code=303)


def web_of(request: Request) -> Web:
    return request.app.state.web  # type: ignore[no-any-return]


def create_app(store: StateStore, config_file: str | None = None, *, clock: Clock | None = None,
               limiter: accounts.LoginLimiter | None = None) -> Starlette:
    from scorolink.web.pages import connections, data, jobs, login

    ensure_tables(store)
    web = Web(store, config_file, clock or SystemClock(), limiter or accounts.LoginLimiter())
    if not accounts.has_users(store):
        web.setup_token = secrets.token_urlsafe(24)
    routes = [
        Route("/", lambda request: RedirectResponse("/connections", status_code=303)),
        *login.routes, *connections.routes, *jobs.routes, *data.routes,
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
