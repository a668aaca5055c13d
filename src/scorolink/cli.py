"""The `scorolink` command line: the root options, every command registered by name, and the exit codes.

Each command lives in its own module under `scorolink.commands`; this module names them all in COMMANDS
and imports a command's module only when that command runs (or its own help is asked for), so
`scorolink --help` and a mistyped command answer at once instead of loading every dependency first.

Help and messages are plain text, never Rich markup: a `[scoro]` or `[xero_sync]` in a help text or an
error message is printed as written.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Callable
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from scorolink.errors import ScorolinkError


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scorolink")
    except PackageNotFoundError:
        return "unknown"


def _wire_xero(module: Any) -> typer.Typer:
    """`scorolink xero`: the connection commands plus the integration's (sync, errors, configure)."""
    from scorolink.integrations.xero import sync_commands as xero_sync

    if not any(g.typer_instance is xero_sync.app for g in module.xero_app.registered_groups):
        module.xero_app.add_typer(xero_sync.app)
    return module.xero_app  # type: ignore[no-any-return]


# name: (module under scorolink.commands or an integration's dotted module path, its Typer app's attribute or a function of the module giving the
# app, the line `scorolink --help` shows). The order is the order of `scorolink --help`.
COMMANDS: dict[str, tuple[str, str | Callable[[Any], typer.Typer], str]] = {
    "objects": ("catalog", "app", "List every Scoro object with its module, key and allowed operations."),
    "describe": ("catalog", "app", "Show one object's fields, filters, nested structures and relations."),
    "read": ("read", "app", "Read any object through the connector."),
    "replicate": ("replicate", "app", "Replicate Scoro into a SQL database: full the first time, incremental "
                                      "afterwards."),
    "erd": ("replicate", "app", "Draw the mirror's entity-relationship diagram: tables, keys and the catalog's "
                                "relations."),
    "export": ("transfer", "app", "Export any object to CSV (UTF-8, RFC 4180, canonical field names)."),
    "import": ("transfer", "app", "Import a CSV file or a database table into Scoro: insert, update, upsert or "
                                  "delete."),
    "query": ("query", "app", "Query and change Scoro with SQL."),
    "serve": ("jobs", "app", "Single-machine mode: an in-process scheduler and a worker pool over the state "
                             "database."),
    "worker": ("jobs", "app", "Scale-out: a Celery worker that executes runs (Redis broker, PostgreSQL state)."),
    "beat": ("jobs", "app", "Scale-out: the Celery beat that runs the dispatcher every tick."),
    "demo": ("demo", "app", "Start the Scoro sandbox on loopback and replicate every object over HTTP into "
                            "SQLite."),
    "connection": ("connection", "app", "Check the Scoro connection and list company accounts."),
    "jobs": ("jobs", "jobs_app", "Scheduled operations (replicate today; export, import and sync next)."),
    "runs": ("jobs", "runs_app", "Runs of jobs: state, times, counts, requests and log."),
    "xero": ("scorolink.integrations.xero.commands", _wire_xero,
             "Connect a Xero organisation, check the connection and sync it with Scoro."),
    "quickbooks": ("scorolink.integrations.quickbooks.commands", "quickbooks_app",
                   "Connect a QuickBooks Online company, check the connection and sync it with Scoro."),
    "state": ("state", "app", "The state database: schema upgrades and key rotation."),
    "dbsync": ("scorolink.integrations.database.commands", "app",
               "Two-way sync between Scoro objects and database tables (SQLite, PostgreSQL, DuckDB)."),
    "web": ("web", "app", "The web dashboard: connections, jobs and runs, the catalog, records and SQL."),
    "sandbox": ("sandbox", "app", "Serve local emulators of the APIs scorolink talks to, or reset the "
                                  "workspace's bundled sandboxes."),
}


def _plain(command: click.Command, path: str) -> click.Command:
    """Help as plain text (brackets kept) ending with the command's examples, for a command and everything
    under it."""
    from scorolink.commands.examples import epilog

    if hasattr(command, "rich_markup_mode"):
        command.rich_markup_mode = None
    command.epilog = epilog(path) or command.epilog
    for name, sub in getattr(command, "commands", {}).items():
        _plain(sub, f"{path} {name}")
    return command


def load_command(name: str) -> Any:
    """The Click command `name` of COMMANDS, importing its module now."""
    module_name, attribute, _ = COMMANDS[name]
    module = importlib.import_module(module_name if "." in module_name else f"scorolink.commands.{module_name}")
    typer_app = attribute(module) if callable(attribute) else getattr(module, attribute)
    command: Any = typer.main.get_group(typer_app)
    if name in command.commands:
        command = command.commands[name]  # one of a module's top-level commands
    command.name = name
    return _plain(command, name)


class LazyGroup(TyperGroup):
    """The root group: lists COMMANDS from their registered summaries and loads one only to run it.
    (Contexts and formatters are typed Any: Typer carries its own copy of Click's classes.)"""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        if cmd_name not in self.commands:
            self.commands[cmd_name] = load_command(cmd_name)
        return self.commands[cmd_name]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, summary) for name, (_, _, summary) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and name not in COMMANDS and not name.startswith("-"):
            import difflib

            close = difflib.get_close_matches(name, list(COMMANDS), n=3, cutoff=0.6)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise click.UsageError(f"No such command {name!r}.{hint} Run `scorolink --help` for the list.", ctx)
        return super().resolve_command(ctx, args)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"scorolink {_version()}")
        raise typer.Exit()


app = typer.Typer(
    cls=LazyGroup,
    help="scorolink — move Scoro data where it has to go. Without credentials every command runs against "
    "the bundled Scoro sandbox, so you can try it all without an account.",
    epilog="Run `scorolink COMMAND -h` for a command's options and examples.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120},
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
    version: Annotated[bool, typer.Option("--version", "-V", is_eager=True, callback=_show_version,
                                          help="Print the version and exit.")] = False,
) -> None:
    from scorolink.commands.common import State

    flags = {"base_url": base_url, "subdomain": subdomain, "company_account_id": company_account_id,
             "api_key": api_key, "username": username, "password": password, "timezone": timezone}
    ctx.obj = State(flags, config)


# Newer Typer releases carry their own copy of Click, whose exceptions are not click's: catch both.
_EXIT = (click.exceptions.Exit, typer.Exit)
_ABORT = (click.exceptions.Abort, typer.Abort)
_USAGE = (click.ClickException, getattr(typer, "TyperException", click.ClickException))


def print_error(message: str) -> None:
    """An expected failure on stderr: 'Error: ' in red on a terminal, the message itself never read as markup."""
    from scorolink.commands.common import err

    err.print("Error: ", style="red", end="")
    err.print(message)


def main() -> None:
    debug = "--debug" in sys.argv
    try:
        code = app(standalone_mode=False)  # click returns typer.Exit's code instead of raising it here
        if isinstance(code, int) and code:
            sys.exit(code)
    except _EXIT as exc:
        sys.exit(exc.exit_code)
    except _ABORT:
        from scorolink.commands.common import err

        err.print("Aborted.")
        sys.exit(130)
    except _USAGE as exc:
        exc.show()  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except ScorolinkError as exc:
        if debug:
            traceback.print_exc()
        print_error(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
