"""`scorolink web` (the dashboard on its own) and `scorolink web set-password`."""

from __future__ import annotations

import sys
import threading
import time
from typing import Annotated, Any

import typer

from scorolink.commands.common import StateOpt, err, open_state
from scorolink.errors import ConfigError

app = typer.Typer(help="The web dashboard: connections, jobs and runs, data.", invoke_without_command=True)

HostOpt = Annotated[str, typer.Option("--host", help="Address to listen on. Keep 127.0.0.1 and put a TLS reverse "
                                      "proxy in front to reach it from elsewhere (README: the web dashboard).")]
PortOpt = Annotated[int, typer.Option("--port", help="Port to listen on.")]


def _store(ctx: typer.Context, state: str | None) -> Any:
    from scorolink.web.tables import ensure_tables

    store, _ = open_state(ctx, state)
    ensure_tables(store)
    return store


def web_app(ctx: typer.Context, store: Any, on_queue: Any = None) -> Any:
    """The dashboard's ASGI app on `store`, with the same settings file as the CLI; `on_queue` wakes the
    runner of this process when a page queued a run."""
    try:
        from scorolink.web import create_app
    except ImportError as exc:
        raise ConfigError("The dashboard needs its extra: pip install 'scorolink[web]'.") from exc
    return create_app(store, ctx.find_root().obj.config if ctx.find_root().obj else None, on_queue=on_queue)


def start_server(app: Any, host: str, port: int) -> tuple[Any, threading.Thread]:
    """uvicorn in a thread (`scorolink serve --web`); set `server.should_exit` to stop it."""
    server = _server(app, host, port)
    thread = threading.Thread(target=server.run, name="scorolink-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        raise ConfigError(f"The dashboard could not listen on {host}:{port} (in use? try --web-port).")
    return server, thread


def _server(app: Any, host: str, port: int) -> Any:
    import uvicorn

    # proxy_headers: behind a reverse proxy on this machine, X-Forwarded-Proto/For give the scheme (for
    # Secure cookies) and the client address (for the login rate limit).
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", proxy_headers=True,
                            forwarded_allow_ips="127.0.0.1", server_header=False)
    return uvicorn.Server(config)


def announce(app: Any, host: str, port: int) -> None:
    shown = f"[{host}]" if ":" in host else host
    web = app.state.web
    if web.setup_token:
        err.print(f"scorolink web: first run, no admin password yet. Open http://{shown}:{port}/setup?token="
                  f"{web.setup_token} to set it (or run `scorolink web set-password`).", highlight=False)
    else:
        err.print(f"scorolink web: http://{shown}:{port}/ (sign in as admin)", highlight=False)
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print("Listening beyond this machine: serve it behind a TLS reverse proxy (README).", style="yellow")


@app.callback()
def web_cmd(ctx: typer.Context, host: HostOpt = "127.0.0.1", port: PortOpt = 8080, state: StateOpt = None) -> None:
    """Serve the dashboard (pages only: runs execute under `scorolink serve` or Celery workers;
    `scorolink serve --web` does both in one process)."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = ctx.find_root().obj
        return
    app = web_app(ctx, _store(ctx, state))
    announce(app, host, port)
    _server(app, host, port).run()


@app.command("set-password")
def set_password_cmd(
    ctx: typer.Context,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first "
                                                 "line of standard input (for scripts).")] = False,
    state: StateOpt = None,
) -> None:
    """Set or reset the dashboard's admin password (signs every session out)."""
    from scorolink.runtime.store import SystemClock
    from scorolink.web.accounts import cli_actor, set_password

    store = _store(ctx, state)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New admin password", hide_input=True, confirmation_prompt=True)
    set_password(store, password, SystemClock().now(), actor=cli_actor())
    err.print("Admin password set; every dashboard session has been signed out.")
