"""`scorolink state …`: the state database's schema (upgrade, current revision)."""

from __future__ import annotations

import typer

from scorolink.commands.common import JsonOpt, StateOpt, emit_json, err

app = typer.Typer(help="The state database: schema upgrades (and, with stored credentials, key rotation).",
                  no_args_is_help=True)



def _url(ctx: typer.Context, state: str | None) -> str:
    from scorolink.runtime.settings import load_runtime_settings

    root = ctx.find_root().obj
    settings, _ = load_runtime_settings(root.config if root else None, state=state)
    return settings.state


@app.command("upgrade")
def upgrade_cmd(ctx: typer.Context, state: StateOpt = None, as_json: JsonOpt = False) -> None:
    """Bring the state database's schema to this version's newest revision (every open does it too;
    run this to do it at a chosen time, e.g. before starting workers of a new release)."""
    from scorolink.state.migrate import upgrade
    from scorolink.state.store import StateStore

    url = _url(ctx, state)
    store = StateStore(url, create=False)
    try:
        before, after = upgrade(store.engine)
    finally:
        store.dispose()
    if as_json:
        emit_json({"state": _safe(url), "from": before, "to": after, "upgraded": before != after})
    elif before == after:
        err.print(f"State database {_safe(url)} is up to date (revision {after}).")
    else:
        err.print(f"State database {_safe(url)} upgraded from {before or 'the schema before migrations'} "
                  f"to revision {after}.")


@app.command("current")
def current_cmd(ctx: typer.Context, state: StateOpt = None, as_json: JsonOpt = False) -> None:
    """Show the state database's schema revision and the newest one this version knows."""
    from scorolink.state.migrate import current, head
    from scorolink.state.store import StateStore

    url = _url(ctx, state)
    store = StateStore(url, create=False)
    try:
        at = current(store.engine)
    finally:
        store.dispose()
    if as_json:
        emit_json({"state": _safe(url), "revision": at, "head": head()})
    else:
        typer.echo(f"{at or 'none (before migrations)'} (newest: {head()})")


def _safe(url: str) -> str:
    """A URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a message must never fail on a malformed URL
        return url
