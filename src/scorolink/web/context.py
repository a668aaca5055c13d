"""What every page of the dashboard is handed: the `Web` context (state database, settings file, clock,
login limiter, templates) and how a page finds it on a request. Pages import this, never the app."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from scorolink.runtime.store import Clock, StateStore, SystemClock
from scorolink.web import accounts

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
NAV = (("Connections", "/connections"), ("Integrations", "/integrations"), ("Database sync", "/dbsync"),
       ("Jobs", "/jobs"), ("Runs", "/runs"), ("Objects", "/data/objects"),
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
    # Called when a page queued a run: the runner in this process (`scorolink serve --web`) hands it out at
    # once instead of on its next tick. None under `scorolink web`: `serve` or Celery workers pick it up.
    on_queue: Callable[[], Any] | None = None

    def now(self) -> Any:
        return self.clock.now()

    def wake(self) -> None:
        if self.on_queue is None:
            return
        try:
            self.on_queue()
        except Exception:  # the run stays queued; the runner's next tick hands it out
            log.warning("could not wake the runner", exc_info=True)

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
