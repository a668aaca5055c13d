"""`scorolink xero sync | configure | errors`: the Scoro ↔ Xero integration from the command line.

The configuration is the `[xero_sync]` table of scorolink.toml (`[xero_sync.NAME]` for the Scoro account
`--connection NAME`; `configure` writes it, through integrations.settings_file); the sync
state (links, cursors, outbox, errors) lives in the state database (`--state`, default
`.scorolink/state.db`). Without credentials both sides are the bundled sandboxes, kept on disk
under `.scorolink/` so that runs build on each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from scorolink import output
from scorolink.commands.common import emit_json, err
from scorolink.commands.sync_report import error_rows, report
from scorolink.errors import ConfigError
from scorolink.integrations.xero.commands import ConnectionOpt, _open
from scorolink.sync.report import Names, exit_code

app = typer.Typer()  # merged into `scorolink xero` by the CLI

EARLIER_STATE = ".scorolink/state.db"  # where the sync kept its state before it moved to the runtime's


def _state_url(ctx: typer.Context, state: str | None) -> str:
    """The runtime's state database (--state, SCOROLINK_STATE_URL, [runtime] state), which jobs share."""
    from scorolink.runtime.settings import load_runtime_settings

    url = load_runtime_settings(getattr(ctx.obj, "config", None), state=state)[0].state
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() and Path(EARLIER_STATE).exists():
            err.print(f"The sync state is now kept in {url} (the runtime's state database); an earlier "
                      f"one is in {EARLIER_STATE}: pass --state sqlite:///{EARLIER_STATE} to keep using its links, "
                      "or move that file.", style="yellow")
    return url


def _sync_config(ctx: typer.Context, connection: str | None) -> Any:
    """The [xero_sync] settings of the Scoro account synced (integrations.settings_file)."""
    from scorolink.integrations.settings_file import XERO, load

    return load(XERO, getattr(ctx.obj, "config", None), connection)


@app.command("sync")
def sync_cmd(
    ctx: typer.Context,
    category: Annotated[list[str] | None, typer.Option("--category", "-c", help="Only this category (repeatable): "
                        "tax_rates, accounts, tracking, contacts, products, invoices, credit_notes, bills, receipts.")] = None,
    obj: Annotated[str | None, typer.Option("--object", help="One record: CATEGORY:ID for a Scoro id (e.g. "
                                            "invoices:42), CATEGORY:xero:ID for a Xero id, or receipts:INVOICE_ID "
                                            "to pull the payments of one Scoro invoice or bill.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan and show creates, updates, links, conflicts "
                                          "and ambiguous matches; write nothing.")] = False,
    state: Annotated[str | None, typer.Option(help="State database URL (default: the runtime's — [runtime] state, "
                                              "SCOROLINK_STATE_URL, or sqlite:///scorolink-state.db; "
                                              "postgresql://… at scale).")] = None,
    allow_different_tax_rates: Annotated[bool, typer.Option(
        "--allow-different-tax-rates", help="Accept, for this run, a tax map pairing rates of different "
        "percentages (warned; each document's totals difference is reported on it).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result.")] = False,
    connection: ConnectionOpt = None,
) -> None:
    """Sync Scoro and Xero now: every enabled category in dependency order, one category, or one record."""
    from scorolink.integrations.xero.run import SyncRequest, run_xero_sync
    from scorolink.replicate.progress import RichProgress
    from scorolink.sync.progress import SyncProgress
    from scorolink.sync.store import SyncStore

    config = _sync_config(ctx, connection)
    try:
        request = SyncRequest(only=category or None, record=parse_object(obj) if obj else None, dry_run=dry_run,
                              allow_different_tax_rates=allow_different_tax_rates)
    except ConfigError as exc:
        raise ConfigError(f"--{exc}") from exc
    store = SyncStore(_state_url(ctx, state))
    try:
        with _scoro(ctx, connection) as scoro, _open(ctx, connection) as xero, \
                RichProgress(err, disable=as_json) as display:
            progress = SyncProgress(display, dry_run=dry_run)  # what is read, planned and written, on stderr
            result = run_xero_sync(store, scoro.connector, xero, config, request, progress=progress)
        open_rows = store.errors(result.job)
    finally:
        store.close()
    open_errors = len(open_rows)
    if as_json:
        emit_json({**result.as_dict(), "open_errors": open_errors})
    else:
        _report(result, open_rows)
    code = exit_code(result, open_errors)
    if code:
        raise typer.Exit(code)


def _scoro(ctx: typer.Context, connection: str | None) -> Any:
    """The ordinary Scoro account, or a named connection's (both carry `.connector`)."""
    if not connection or connection == "default":
        return ctx.obj.open()
    from scorolink.runtime.connections import ConfiguredConnections

    return ConfiguredConnections(getattr(ctx.obj, "config", None)).open(connection)


def parse_object(text: str) -> tuple[str, str, str]:
    parts = text.split(":")
    if len(parts) == 2:
        return parts[0], "a", parts[1]
    if len(parts) == 3 and parts[1].lower() == "xero":
        return parts[0], "b", parts[2]
    raise ConfigError(f"--object {text!r}: write CATEGORY:ID (a Scoro id, e.g. invoices:42) or CATEGORY:xero:ID.")


NAMES = Names("Xero")


def _report(result: Any, open_rows: list[dict[str, Any]]) -> None:
    report(result, open_rows, "Xero", "scorolink xero errors")


@app.command("errors")
def errors_cmd(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Also resolved and dismissed errors.")] = False,
    dismiss: Annotated[int | None, typer.Option(help="Dismiss error ID: stop retrying that record.")] = None,
    retry: Annotated[int | None, typer.Option(help="Retry error ID on the next sync run, without waiting for its "
                                              "retry interval.")] = None,
    state: Annotated[str | None, typer.Option(help="State database URL.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Records the sync could not carry, with the system's own message; retried (at once when changed,
    else at growing intervals from 5 minutes to a day) until fixed or dismissed."""
    from scorolink.integrations.xero.run import sync_jobs
    from scorolink.sync.store import SyncStore, next_retry

    store = SyncStore(_state_url(ctx, state))
    try:
        jobs = sync_jobs(store)
        if dismiss is not None:
            if not any(store.dismiss_error(job, dismiss) for job in jobs):
                raise ConfigError(f"No error {dismiss} in this sync's state; run `scorolink xero errors` to list them.")
            err.print(f"Dismissed error {dismiss}: that record is no longer retried.")
            return
        if retry is not None:
            if not any(store.retry_error(job, retry) for job in jobs):
                raise ConfigError(f"No open error {retry} in this sync's state; run `scorolink xero errors` to list "
                                  "them.")
            err.print(f"Error {retry}: its record is planned again on the next sync run (`scorolink xero sync`).")
            return
        rows = [{**row, "next_retry": next_retry(row)} for job in jobs for row in store.errors(job, include_resolved=all_)]
    finally:
        store.close()
    table = error_rows(rows, "Xero")
    if as_json:
        emit_json(rows)
        return
    output.print_table(table, title=f"{len(rows)} record error(s)", max_width=80)


@app.command("configure")
def configure_cmd(
    ctx: typer.Context,
    category: Annotated[str | None, typer.Option(help="The category the options below set.")] = None,
    direction: Annotated[str | None, typer.Option(help="to-xero or to-scoro (one way at a time).")] = None,
    enable: Annotated[bool | None, typer.Option("--enable/--disable", help="Include the category.")] = None,
    start_date: Annotated[str | None, typer.Option(help="First sync: records changed on or after YYYY-MM-DD.")] = None,
    bookmark: Annotated[str | None, typer.Option(help="A Scoro bookmark (id or name) limiting what is pushed "
                                                 "(contacts, invoices, credit_notes, bills).")] = None,
    bookmark_filters: Annotated[str | None, typer.Option(help="seed (default): a bookmark's Users and invoice Status "
                                                         "filters are not used, as in Scoro; as_saved: the bookmark "
                                                         "exactly as saved.")] = None,
    default_sales_account: Annotated[str | None, typer.Option(help="Xero account code for invoice lines whose "
                                                              "account Xero lacks.")] = None,
    default_expense_account: Annotated[str | None, typer.Option(help="The same for bill lines.")] = None,
    tracking_category: Annotated[str | None, typer.Option(help="The Xero tracking category whose options are "
                                                          "Scoro's accounting objects.")] = None,
    tax_map: Annotated[list[str] | None, typer.Option(help="SCORO_VAT_CODE=XERO_TAX_TYPE (repeatable); both "
                                                      "rates must have the same percentage.")] = None,
    tax_map_remove: Annotated[list[str] | None, typer.Option(help="Remove the tax-map line of this Scoro VAT code "
                                                             "(repeatable).")] = None,
    allow_different_tax_rates: Annotated[bool | None, typer.Option(
        "--allow-different-tax-rates/--same-tax-rates-only", help="Whether the tax map may pair rates of different "
        "percentages (warned on every run; each document's totals difference is reported on it).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the effective configuration as JSON.")] = False,
    connection: ConnectionOpt = None,
) -> None:
    """Show or change the integration's configuration: the [xero_sync] table of scorolink.toml, or
    [xero_sync.NAME] for the Scoro account --connection NAME."""
    from scorolink.integrations.settings_file import XERO, configure, settings_path, summary

    config_file = getattr(ctx.obj, "config", None)
    path = settings_path(config_file)
    account = connection or "default"
    if category is None and (direction or enable is not None or start_date or bookmark):
        raise ConfigError("--direction, --enable/--disable, --start-date and --bookmark need --category.")
    changes = {category: {"direction": direction, "enabled": enable, "start_date": start_date,
                          "bookmark": bookmark}} if category is not None else {}
    locked = _locked(ctx, account) if start_date is not None else None
    config, changed = configure(XERO, path, changes, account=account, settings={
        "default_sales_account": default_sales_account, "default_expense_account": default_expense_account,
        "tracking_category": tracking_category, "bookmark_filters": bookmark_filters,
        "allow_different_tax_rates": allow_different_tax_rates}, tax_map=tax_map, tax_map_remove=tax_map_remove,
        locked=locked)
    if changed:
        err.print(f"Saved {XERO.header(account)} in {path}.")
    shown = summary(XERO, config)
    effective = shown["categories"]
    if as_json:
        emit_json(shown)
    else:
        output.print_table([{"category": k, **v} for k, v in effective.items()], title="Scoro ↔ Xero sync")
        err.print(f"default sales account: {config.default_sales_account or '-'}; default expense account: "
                  f"{config.default_expense_account or '-'}; tax map: "
                  f"{', '.join(f'{k}={v}' for k, v in config.tax_map.items()) or '-'}")


def _locked(ctx: typer.Context, account: str) -> dict[str, str]:
    """The start dates this account's initial syncs used: they no longer change."""
    from scorolink.integrations.settings_file import XERO, locked_start_dates, scoro_account_id
    from scorolink.sync.store import SyncStore

    config_file = getattr(ctx.obj, "config", None)
    state = SyncStore(_state_url(ctx, None))
    try:
        return locked_start_dates(XERO, state, scoro_account_id(config_file, account))
    finally:
        state.close()
