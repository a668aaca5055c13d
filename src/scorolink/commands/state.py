"""`scorolink state …`: the state database's schema (upgrade, current revision)."""

from __future__ import annotations

from typing import Annotated

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


NEW_KEY_ENV = "SCOROLINK_NEW_SECRET_KEY"


@app.command("rotate-key")
def rotate_key_cmd(
    ctx: typer.Context,
    new_key_file: Annotated[str | None, typer.Option(help="File holding the new Fernet key (or set "
                                                     f"{NEW_KEY_ENV}).")] = None,
    key_file: Annotated[str, typer.Option(help="The current key file, when SCOROLINK_SECRET_KEY is not set; it "
                                          "is rewritten with the new key.")] = ".scorolink/secret.key",
    state: StateOpt = None,
) -> None:
    """Re-encrypt every stored credential with a new key, in one transaction. With SCOROLINK_SECRET_KEY,
    set it to the new key afterwards; with a key file, the file is rewritten with the new key."""
    import os
    from pathlib import Path

    from scorolink.errors import ConfigError
    from scorolink.state.credentials import rotate_key
    from scorolink.state.secrets import SECRET_KEY_ENV, check_fernet_key, load_fernet_key
    from scorolink.state.store import StateStore

    if new_key_file:
        new = check_fernet_key(Path(new_key_file).read_bytes().strip(), new_key_file)
    elif os.environ.get(NEW_KEY_ENV):
        new = check_fernet_key(os.environ[NEW_KEY_ENV].strip().encode(), NEW_KEY_ENV)
    else:
        raise ConfigError(f"Give the new key: --new-key-file FILE or {NEW_KEY_ENV}. Make one with `python -c "
                          "\"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\"`.")
    from_env = bool(os.environ.get(SECRET_KEY_ENV))
    if not from_env and not Path(key_file).exists():
        raise ConfigError(f"No current key: {SECRET_KEY_ENV} is not set and {key_file} does not exist.")
    old = load_fernet_key(Path(key_file))
    url = _url(ctx, state)
    store = StateStore(url)
    try:
        count = rotate_key(store, old, new)
    finally:
        store.dispose()
    if from_env:
        err.print(f"Re-encrypted {count} credential(s) in {_safe(url)}. Now set {SECRET_KEY_ENV} to the new key "
                  "everywhere scorolink runs (workers included) and restart them.")
    else:
        tmp = Path(key_file).with_suffix(".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(new)
        os.replace(tmp, key_file)
        err.print(f"Re-encrypted {count} credential(s) in {_safe(url)} and wrote the new key to {key_file}.")


def _safe(url: str) -> str:
    """A URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a message must never fail on a malformed URL
        return url
