"""`scorolink connection test | accounts | list | add`: check a Scoro connection, list company accounts,
and keep named connections in scorolink.toml (secrets stored encrypted)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from scorolink import output
from scorolink.commands.common import JsonOpt, emit_json, err, open_state

app = typer.Typer(help="Check the Scoro connection, list company accounts, add named connections.",
                  no_args_is_help=True)



def _config(ctx: typer.Context) -> str | None:
    root = ctx.find_root().obj
    return root.config if root else None


@app.command("test")
def connection_test(ctx: typer.Context, as_json: JsonOpt = False,
                    connection: Annotated[str | None, typer.Option("--connection", "-c", help="A named connection "
                                          "([connections.NAME]) instead of the [scoro] settings.")] = None) -> None:
    """Check the settings: authenticate, list company accounts, read the custom fields; shows the site
    time zone (when Scoro tells it) and the rate-limit budget."""
    from scorolink.runtime.connections import ConfiguredConnections
    from scorolink.saved_connections import check_connection

    if connection:
        with ConfiguredConnections(_config(ctx)).open(connection) as conn:
            result = check_connection(conn.client, conn.connector)
        target = f"{connection}: {result['target']}"
    else:
        with ctx.obj.open() as session:
            result = check_connection(session.client, session.connector)
            target = session.label
    if as_json:
        emit_json(result)
        return
    limit = result["rate_limit"]
    output.stdout_console().print(Text("OK", style="green"), Text(
        f"{target}: {result['company_accounts']} company account(s) "
        f"({', '.join(str(a['id']) for a in result['accounts'])}), {result['custom_fields']} custom field(s), "
        f"time zone {result['timezone']} ({result['timezone_source']}), "
        f"rate limit {limit['per_window'] or '?'} per window, {limit['daily_remaining'] if limit['daily_remaining'] is not None else '?'} "
        f"left today, {result['requests']} requests"))


@app.command("refresh")
def connection_refresh(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Forget what was learnt about the site (time zone, custom fields, which filters it honours) and
    learn the time zone and custom fields again."""
    with ctx.obj.open() as session:
        result = session.connector.refresh_facts()
        result["requests"] = session.client.stats.total
    if as_json:
        emit_json(result)
        return
    output.stdout_console().print(Text("Refreshed", style="green"), Text(
        f"time zone {result['timezone']} ({result['timezone_source']}), {result['custom_fields']} custom "
        f"field(s), {result['requests']} requests"))


@app.command("accounts")
def connection_accounts(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the company accounts the credentials can act on (`companyAccount/list`)."""
    with ctx.obj.open() as session:
        rows = list(session.connector.read("BusinessEntity"))
    if as_json:
        emit_json(rows)
    else:
        output.print_table(rows, title="company accounts")


@app.command("list")
def connection_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the named connections, secrets masked."""
    from scorolink.saved_connections import list_connections

    rows = list_connections(_config(ctx))
    if as_json:
        emit_json(rows)
        return
    output.print_table([{"name": r["name"], "address": r.get("base_url") or r.get("subdomain") or "",
                         "company account": r.get("company_account_id") or "", "sign-in": r["auth"],
                         "source": r["source"]} for r in rows], title=f"{len(rows)} connection(s)")


@app.command("add")
def connection_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Connection name (letters, digits, - _).")],
    company_account_id: Annotated[str, typer.Option(help="Company account id.")],
    subdomain: Annotated[str | None, typer.Option(help="Scoro subdomain (acme for acme.scoro.com).")] = None,
    base_url: Annotated[str | None, typer.Option(help="Or the API address, e.g. https://acme.scoro.com/api/v2.")] = None,
    username: Annotated[str | None, typer.Option(help="User login instead of an API key (password prompted).")] = None,
    timezone: Annotated[str | None, typer.Option(help="Site time zone, e.g. Europe/Tallinn.")] = None,
) -> None:
    """Add [connections.NAME] to scorolink.toml. The API key (or, with --username, the password) is
    prompted for, or read from SCORO_API_KEY / SCORO_PASSWORD, and stored encrypted."""
    import os

    from scorolink.saved_connections import add_connection

    api_key = password = None
    if username:
        password = os.environ.get("SCORO_PASSWORD") or typer.prompt("Password", hide_input=True)
    else:
        api_key = os.environ.get("SCORO_API_KEY") or typer.prompt("API key", hide_input=True)
    shown = add_connection(_config(ctx), name, base_url=base_url, subdomain=subdomain,
                           company_account_id=company_account_id, api_key=api_key, username=username,
                           password=password, timezone=timezone)
    _audit(ctx, name, shown)
    err.print(f"Added connection {name} to {shown['source']} ({shown['auth']}, secret encrypted); check it with "
              f"`scorolink connection test --connection {name}`.")


def _audit(ctx: typer.Context, name: str, shown: dict[str, object]) -> None:
    """Changes are logged with who and when in the state database's audit table, as the dashboard's are."""
    try:
        from scorolink.web.accounts import cli_actor, record
        from scorolink.web.tables import ensure_tables
    except ImportError:  # without the web extra there is no audit table to write to
        return
    from scorolink.runtime.store import SystemClock

    store, _ = open_state(ctx, None)
    ensure_tables(store)
    record(store, SystemClock().now(), cli_actor(), "connection added", name, shown)
