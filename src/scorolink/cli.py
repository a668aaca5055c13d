"""The `scorolink` command line: the root options, every command group registered by name, and the exit
codes. Each command lives in its own module under `scorolink.commands`; this module imports them, never the
other way round."""

from __future__ import annotations

import sys
import traceback
from typing import Annotated

import click
import typer

from scorolink.commands import (
    catalog,
    connection,
    demo,
    jobs,
    query,
    read,
    replicate,
    sandbox,
    state,
    transfer,
    xero,
    xero_sync,
)
from scorolink.commands.common import State, err
from scorolink.errors import ScorolinkError

app = typer.Typer(
    help="scorolink — move Scoro data where it has to go. Without credentials every command runs against "
    "the bundled Scoro sandbox, so you can try it all without an account.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[str | None, typer.Option("--config", help="Settings file (default ./scorolink.toml).")] = None,
    base_url: Annotated[str | None, typer.Option(help="Scoro API base URL, e.g. https://acme.scoro.com/api/v2.")] = None,
    subdomain: Annotated[str | None, typer.Option(help="Scoro subdomain (acme for acme.scoro.com).")] = None,
    company_account_id: Annotated[str | None, typer.Option(help="Company account id to act on.")] = None,
    api_key: Annotated[str | None, typer.Option(help="API key (prefer SCORO_API_KEY: flags stay in shell history).")] = None,
    username: Annotated[str | None, typer.Option(help="User login for user-level access.")] = None,
    password: Annotated[str | None, typer.Option(help="Password (prefer SCORO_PASSWORD).")] = None,
    timezone: Annotated[str | None, typer.Option(help="Site time zone for SQL-style datetimes.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    flags = {"base_url": base_url, "subdomain": subdomain, "company_account_id": company_account_id,
             "api_key": api_key, "username": username, "password": password, "timezone": timezone}
    ctx.obj = State(flags, config)


# Top-level commands (typer merges a nameless group's commands into this app), then the named groups.
for module in (catalog, read, replicate, transfer, query, jobs, demo):
    app.add_typer(module.app)
app.add_typer(connection.app, name="connection")
app.add_typer(jobs.jobs_app, name="jobs")
app.add_typer(jobs.runs_app, name="runs")
xero.xero_app.add_typer(xero_sync.app)
app.add_typer(xero.xero_app, name="xero")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(state.app, name="state")


# Newer Typer releases carry their own copy of Click, whose exceptions are not click's: catch both.
_EXIT = (click.exceptions.Exit, typer.Exit)
_ABORT = (click.exceptions.Abort, typer.Abort)
_USAGE = (click.ClickException, getattr(typer, "TyperException", click.ClickException))


def main() -> None:
    debug = "--debug" in sys.argv
    try:
        code = app(standalone_mode=False)  # click returns typer.Exit's code instead of raising it here
        if isinstance(code, int) and code:
            sys.exit(code)
    except _EXIT as exc:
        sys.exit(exc.exit_code)
    except _ABORT:
        err.print("Aborted.")
        sys.exit(130)
    except _USAGE as exc:
        exc.show()  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except ScorolinkError as exc:
        if debug:
            traceback.print_exc()
        err.print(f"[red]Error:[/red] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
