"""`scorolink xero sync | configure | errors`: the Scoro ↔ Xero integration from the command line.

The configuration is the `[xero_sync]` table of scorolink.toml (`[xero_sync.NAME]` for the Scoro account
`--connection NAME`; `configure` writes it, through integrations.settings_file); the sync
state (links, cursors, outbox, errors) lives in the state database (`--state`, default
`.scorolink/state.db`). Without credentials both sides are the bundled sandboxes, kept on disk
under `.scorolink/` so that runs build on each other.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from scorolink import output
from scorolink.commands import counterpart
from scorolink.commands.common import emit_json, err
from scorolink.errors import ConfigError
from scorolink.integrations.xero.commands import ConnectionOpt, _open
from scorolink.sync.report import Names

app = typer.Typer()  # merged into `scorolink xero` by the CLI

EARLIER_STATE = ".scorolink/state.db"  # where the sync kept its state before it moved to the runtime's


def _state_url(ctx: typer.Context, state: str | None) -> str:
    """The runtime's state database (--state, SCOROLINK_STATE_URL, [runtime] state), which jobs share."""
    return counterpart.state_url(ctx, state, earlier=EARLIER_STATE)


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

    config = _sync_config(ctx, connection)
    request = counterpart.sync_request(lambda: SyncRequest(
        only=category or None, record=parse_object(obj) if obj else None, dry_run=dry_run,
        allow_different_tax_rates=allow_different_tax_rates))

    def run(store: Any) -> Any:
        with counterpart.scoro_account(ctx, connection) as scoro, _open(ctx, connection) as xero, \
                RichProgress(err, disable=as_json) as display:
            progress = SyncProgress(display, dry_run=dry_run)  # what is read, planned and written, on stderr
            return run_xero_sync(store, scoro.connector, xero, config, request, progress=progress)

    result, open_rows = counterpart.run_sync(_state_url(ctx, state), run)
    counterpart.finish_sync(result, open_rows, as_json, "Xero", "scorolink xero errors")


def parse_object(text: str) -> tuple[str, str, str]:
    return counterpart.parse_object(text, "xero")


NAMES = Names("Xero")  # the dashboard's words for the two sides


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


def _sync_jobs(store: Any) -> list[str]:
    from scorolink.integrations.xero.run import sync_jobs

    return sync_jobs(store)


counterpart.add_errors_command(app, "Xero", "scorolink xero", _sync_jobs, _state_url)
