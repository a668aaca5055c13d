"""The web dashboard: server-rendered pages (Starlette + Jinja2) over the same library functions the
CLI calls. `create_app` builds the ASGI app; `scorolink web` and `scorolink serve --web` serve it."""

from scorolink.web.app import create_app

__all__ = ["create_app"]
