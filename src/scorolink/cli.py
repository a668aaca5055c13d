"""The `scorolink` command line: thin — parse, call the library, present."""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console

from scorolink import output
from scorolink.catalog.describe import describe_object, object_summary
from scorolink.catalog.scoro import CATALOG
from scorolink.commands import CsvEscapeOption
from scorolink.connectors.base import parse_condition
from scorolink.errors import ScorolinkError, UnknownName

app = typer.Typer(
    help="scorolink — move Scoro data where it has to go. Without credentials every command runs against "
    "the bundled Scoro sandbox, so you can try it all without an account.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
connection_app = typer.Typer(help="Check the Scoro connection and list company accounts.", no_args_is_help=True)
sandbox_app = typer.Typer(help="Serve local emulators of the APIs scorolink talks to.", no_args_is_help=True)
app.add_typer(connection_app, name="connection")
app.add_typer(sandbox_app, name="sandbox")

err = Console(stderr=True, soft_wrap=True)


class State:
    def __init__(self, flags: dict[str, Any], config: str | None) -> None:
        self.flags = flags
        self.config = config

    def open(self) -> Any:
        from scorolink.session import open_scoro

        session = open_scoro(self.flags, self.config)
        if session.sandbox is not None:
            err.print("[dim]No Scoro credentials configured (SCORO_API_KEY or SCORO_USERNAME/SCORO_PASSWORD): "
                      "using the bundled sandbox.[/dim]")
        return session


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


def emit_json(value: Any) -> None:
    typer.echo(output.dumps(value, indent=2))



# -- catalog ----------------------------------------------------------------------------------
@app.command("objects")
def objects_cmd(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List every Scoro object with its module, key and allowed operations."""
    rows = [object_summary(spec) for spec in CATALOG]
    if as_json:
        emit_json(rows)
        return
    table = [{"object": r["name"], "module": r["module"], "key": r["key"], "operations": ",".join(r["operations"]),
              "incremental": r["incremental"] or "", "sync": "yes" if r["sync"] else ""} for r in rows]
    output.print_table(table, title=f"{len(rows)} Scoro objects")


@app.command("describe")
def describe_cmd(
    ctx: typer.Context,
    obj: Annotated[str, typer.Argument(metavar="OBJECT", help="Object name, e.g. Invoices.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    live: Annotated[bool, typer.Option("--live", help="Add the custom fields of the connected account.")] = False,
) -> None:
    """Show one object's fields, filters, nested structures and relations."""
    spec = CATALOG.get(obj)
    if spec is None:
        raise UnknownName("object", obj, CATALOG.names())
    if live:
        with ctx.obj.open() as session:
            spec = session.connector.spec(spec.name)
    info = describe_object(spec)
    if as_json:
        emit_json(info)
        return
    console = output.stdout_console()
    console.print(f"[bold]{info['name']}[/bold]  module [cyan]{info['module']}[/cyan]  key {info['key']}  "
                  f"operations {', '.join(info['operations'])}  incremental {info['incremental'] or '-'}")
    output.print_table([{"field": f["name"], "type": f["type"], "api key": f["api_key"],
                         "read-only": "yes" if f["read_only"] else "", "filters": " ".join(f["filters"]),
                         "view-only": "yes" if f.get("detail_only") else ""} for f in info["fields"]],
                       console=console)
    if info["nested"]:
        output.print_table([{"nested": n["field"], "type": n["type"], "kind": n["kind"], "api key": n["api_key"]}
                            for n in info["nested"]], console=console)
    if info["relations"]:
        output.print_table([{"field": r["field"], "references": f"{r['object']}.{r['target_field']}"}
                            for r in info["relations"]], console=console)


# -- connection -------------------------------------------------------------------------------
@connection_app.command("test")
def connection_test(ctx: typer.Context,
                    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """Check the settings: authenticate, list company accounts, read one page."""
    started = time.monotonic()
    with ctx.obj.open() as session:
        accounts = session.client.company_accounts()
        custom = session.connector.custom_field_definitions()
        result = {"ok": True, "target": session.label, "company_accounts": len(accounts),
                  "custom_fields": len(custom), "requests": session.client.stats.total,
                  "seconds": round(time.monotonic() - started, 3)}
    if as_json:
        emit_json(result)
    else:
        output.stdout_console().print(f"[green]OK[/green] {result['target']}: {result['company_accounts']} company account(s), "
                        f"{result['custom_fields']} custom field(s), {result['requests']} requests")


@connection_app.command("accounts")
def connection_accounts(ctx: typer.Context,
                        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List the company accounts the credentials can act on (`companyAccount/list`)."""
    with ctx.obj.open() as session:
        rows = list(session.connector.read("BusinessEntity"))
    if as_json:
        emit_json(rows)
    else:
        output.print_table(rows, title="company accounts")


# -- read -------------------------------------------------------------------------------------
@app.command("read")
def read_cmd(
    ctx: typer.Context,
    obj: Annotated[str, typer.Argument(metavar="OBJECT", help="Object name, e.g. Invoices.")],
    where: Annotated[list[str] | None, typer.Option("--where", "-w", help="Condition 'Field op value'; repeatable. "
                     "Filters Scoro supports natively are sent to the API, the rest apply locally.")] = None,
    limit: Annotated[int | None, typer.Option(help="Stop after N records.")] = None,
    columns: Annotated[str | None, typer.Option(help="Comma-separated fields (binary fields only when named).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    include_deleted: Annotated[bool, typer.Option(help="Also records deleted in the last 30 days.")] = False,
    out: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    csv_escape: CsvEscapeOption = None,
) -> None:
    """Read any object through the connector."""
    if fmt not in ("table", "json", "csv"):
        raise typer.BadParameter("use table, json or csv", param_hint="--format")
    conditions = [parse_condition(w) for w in where or []]
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    with ctx.obj.open() as session:
        records = session.connector.read(obj, conditions, columns=cols, include_deleted=include_deleted,
                                         limit=limit if fmt != "table" else min(limit or 100, 100))
        if fmt == "table":
            rows = list(records)
            output.print_table(rows, title=f"{obj}: {len(rows)} record(s)")
            if limit is None and len(rows) == 100:
                err.print("[dim]Showing the first 100; use --limit, --format json or csv for more.[/dim]")
            return
        stream = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
        try:
            count = output.write_json_lines(records, stream) if fmt == "json" else output.write_csv(
                records, stream, cols, escape=csv_escape)
        finally:
            if out:
                stream.close()
        err.print(f"[dim]{count} record(s), {session.client.stats.total} request(s)[/dim]")


# -- replicate --------------------------------------------------------------------------------
DEFAULT_MIRROR = "sqlite:///scoro.db"


@app.command("replicate")
def replicate_cmd(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="Destination: sqlite:///file.db, postgresql://user@host/db or "
                                     "duckdb:///file.duckdb.")] = DEFAULT_MIRROR,
    objects: Annotated[str | None, typer.Option(help="Comma-separated objects. Default: every readable object "
                                                "except Contacts, the read-only union of People and Companies "
                                                "(name it here to mirror it too).")] = None,
    full: Annotated[bool, typer.Option("--full", help="Re-read everything instead of changes since the last "
                                       "run (records gone from Scoro are flagged IsDeleted).")] = False,
    nested: Annotated[str, typer.Option(help="separate: nested values unwound into <Object>_<Field> tables; "
                                        "json: kept as JSON columns.")] = "separate",
    naming: Annotated[str, typer.Option(help="pascal (RemoteID, Invoices_Lines) or snake (remote_id, "
                                        "invoices_lines).")] = "pascal",
    include_binary: Annotated[bool, typer.Option("--include-binary", help="Also fetch binary fields (file "
                                                 "content, pictures): one extra request per record.")] = False,
    foreign_keys: Annotated[bool, typer.Option("--foreign-keys", help="Declare foreign-key constraints "
                                               "(SQLite, PostgreSQL); never enforced against Scoro's data.")] = False,
    reconcile: Annotated[bool, typer.Option("--reconcile", help="Also compare every key with Scoro to catch "
                                            "deletes older than its 30-day window (automatic every "
                                            "--reconcile-days).")] = False,
    reconcile_days: Annotated[float, typer.Option(help="Reconcile automatically when the last one is older.")] = 25,
    overlap: Annotated[float, typer.Option(help="Seconds re-read before the last cursor, de-duplicated.")] = 3600,
    workers: Annotated[int, typer.Option(help="Objects read at the same time (within the rate limit).")] = 4,
    account: Annotated[str | None, typer.Option(help="RemoteAccount value (default: the company account id); "
                                                "set it when mirroring several sites into one database.")] = None,
    per_parent: Annotated[str, typer.Option(help="Comment objects and ContactRelations cost one request per "
                                            "parent record. all: ask every parent on every run. changed: "
                                            "incremental runs ask only parents modified since the last run, "
                                            "and every parent once per --sweep-days (a comment on an untouched "
                                            "parent waits for that sweep).")] = "all",
    sweep_days: Annotated[float, typer.Option(help="With --per-parent changed: ask every parent at least this "
                                              "often.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
) -> None:
    """Replicate Scoro into a SQL database: full the first time, incremental afterwards, nested
    values as child tables, deletes kept as IsDeleted, SyncHub's metadata columns on every row."""
    from scorolink.replicate.engine import PER_PARENT_MODES, ReplicateOptions
    from scorolink.replicate.schema import NAMINGS, NESTED_MODES, MirrorOptions

    if nested not in NESTED_MODES:
        raise typer.BadParameter(f"use {' or '.join(NESTED_MODES)}", param_hint="--nested")
    if naming not in NAMINGS:
        raise typer.BadParameter(f"use {' or '.join(NAMINGS)}", param_hint="--naming")
    if per_parent not in PER_PARENT_MODES:
        raise typer.BadParameter(f"use {' or '.join(PER_PARENT_MODES)}", param_hint="--per-parent")
    options = ReplicateOptions(
        objects=[o.strip() for o in objects.split(",") if o.strip()] if objects else None,
        full=full, reconcile=reconcile, reconcile_days=reconcile_days, overlap_seconds=overlap,
        workers=workers, account=account, per_parent=per_parent, sweep_days=sweep_days,
        mirror=MirrorOptions(nested=nested, naming=naming, include_binary=include_binary, foreign_keys=foreign_keys),
    )
    with ctx.obj.open() as session:
        summary = _run_replication(session.connector, to, options, as_json)
    _report_replication(summary, as_json)


def _run_replication(connector: Any, to: str, options: Any, as_json: bool) -> Any:
    from scorolink.replicate.engine import replicate
    from scorolink.replicate.progress import RichProgress

    with RichProgress(err, disable=as_json) as progress:
        return replicate(connector, to, options, progress)


def _report_replication(summary: Any, as_json: bool) -> None:
    if as_json:
        emit_json(summary.as_dict())
    else:
        rows = [{"object": name, "mode": r.mode, "read": r.read, "written": r.rows, "deleted": r.deleted,
                 "requests": r.requests, "seconds": round(r.seconds, 2), "error": r.error or ""}
                for name, r in summary.objects.items()]
        output.print_table(rows, title=f"Replicated {len(rows)} objects into {summary.destination} "
                                       f"with {summary.requests} requests in {summary.seconds:.1f} s")
        for name, r in summary.objects.items():
            if r.cleaned_rows:
                kinds = ", ".join(f"{n} {kind}" for kind, n in r.cleaned.items())
                err.print(f"{name}: {r.cleaned_rows} record(s) had values changed to fit the database ({kinds}); "
                          "see README, Replication → Values every database takes.", highlight=False)
        changes = summary.schema
        if changes.created or changes.added or changes.widened:
            err.print(f"Schema: {len(changes.created)} table(s) created, {len(changes.added)} column(s) added, "
                      f"{len(changes.widened)} widened.")
    if summary.failed:
        err.print(f"[red]{len(summary.failed)} object(s) failed:[/red] " + "; ".join(
            f"{n}: {summary.objects[n].error}" for n in summary.failed), highlight=False)
        raise typer.Exit(1)


@app.command("erd")
def erd_cmd(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db", help="Draw this mirror's tables (default: what `replicate` "
                                           "would create with the options below).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="mermaid, dot or svg.")] = "mermaid",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")] = None,
    objects: Annotated[str | None, typer.Option(help="Comma-separated objects (default: every mirrored one).")] = None,
    columns: Annotated[str, typer.Option(help="keys: key and relation columns only; all: every column.")] = "keys",
    nested: Annotated[str, typer.Option(help="separate or json (ignored with --db: the mirror knows).")] = "separate",
    naming: Annotated[str, typer.Option(help="pascal or snake (ignored with --db: the mirror knows).")] = "pascal",
) -> None:
    """Draw the mirror's entity-relationship diagram: tables, keys and the catalog's relations."""
    from scorolink.replicate.erd import ERD_FORMATS, render_erd
    from scorolink.replicate.introspect import mirror_tables

    if fmt not in ERD_FORMATS:
        raise typer.BadParameter(f"use {', '.join(ERD_FORMATS)}", param_hint="--format")
    names = [o.strip() for o in objects.split(",") if o.strip()] if objects else None
    tables = mirror_tables(db, names, nested=nested, naming=naming)
    text = render_erd(tables, fmt, columns=columns)
    if out:
        out.write_text(text, encoding="utf-8")
        err.print(f"Wrote {fmt} ERD of {len(tables)} tables to {out}.")
    else:
        typer.echo(text)


# -- sandbox ----------------------------------------------------------------------------------
@sandbox_app.command("scoro")
def sandbox_scoro(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8765,
    data: Annotated[Path | None, typer.Option(help="SQLite file that keeps the sandbox's state between runs.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for the generated data and faults.")] = 1,
    size: Annotated[int, typer.Option(help="Approximate number of records in the default site.")] = 300,
    sites: Annotated[int, typer.Option(help="Number of separate Scoro sites (accounts).")] = 2,
    rate_limit: Annotated[int | None, typer.Option(help="Requests allowed per 2-second window.")] = None,
    daily_quota: Annotated[int | None, typer.Option(help="Requests allowed per day.")] = None,
    fault_rate: Annotated[float, typer.Option(help="Share of requests that fail (0..1).")] = 0.0,
    fault_kinds: Annotated[str | None, typer.Option(help="Comma-separated fault kinds to draw from.")] = None,
    timeout_seconds: Annotated[float, typer.Option(help="Delay of a `timeout` fault.")] = 30.0,
    slow_seconds: Annotated[float, typer.Option(help="Delay of a `slow` fault.")] = 8.0,
    expose_secrets: Annotated[bool, typer.Option(help="Let GET /_sandbox/sites show keys and passwords.")] = False,
) -> None:
    """Serve the Scoro API v2 emulator over HTTP; prints one JSON line with base_url, api_key and
    company_account_id, then serves until Ctrl+C."""
    from scorolink.sandbox.scoro.cli import serve_command

    serve_command(host=host, port=port, data=str(data) if data else None, seed=seed, size=size, sites=sites,
                  rate_per_window=rate_limit, daily_quota=daily_quota, fault_rate=fault_rate,
                  fault_kinds=fault_kinds, timeout_seconds=timeout_seconds, slow_seconds=slow_seconds,
                  expose_secrets=expose_secrets)


# -- demo (the main job) ------------------------------------------------------------------------
@app.command("demo")
def demo_cmd(
    to: Annotated[str, typer.Option("--to", help="Where to replicate the sandbox.")] = "sqlite:///scorolink-demo.db",
    size: Annotated[int, typer.Option(help="Approximate number of sandbox records.")] = 300,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
) -> None:
    """Start the Scoro sandbox on loopback and replicate every object over HTTP into SQLite; run it
    twice to see an incremental run."""
    from scorolink.demo import run_demo
    from scorolink.replicate.progress import RichProgress

    with RichProgress(err, disable=as_json) as progress:
        summary, counts = run_demo(to, size=size, progress=progress)
    if as_json:
        emit_json({**summary.as_dict(), "tables": counts})
    else:
        _report_replication(summary, False)
        err.print(f"{len(counts)} tables, {sum(counts.values())} rows in {to}. Try: "
                  f"sqlite3 {to.removeprefix('sqlite:///')} 'SELECT * FROM Invoices_Lines LIMIT 5'", highlight=False)
    if summary.failed:
        raise typer.Exit(1)


def _register_command_modules() -> None:
    import importlib
    import pkgutil

    import scorolink.commands as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")


_register_command_modules()


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
