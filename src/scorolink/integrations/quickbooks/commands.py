"""`scorolink quickbooks connect | configure | sync | status | errors`: the Scoro ↔ QuickBooks Online
integration from the command line.

The configuration is the `[quickbooks_sync]` table of scorolink.toml (`[quickbooks_sync.NAME]` for the Scoro
account `--connection NAME`; `configure` writes it through integrations.settings_file; automatic mode
also keeps the runtime's jobs `quickbooks-sync` and `quickbooks-background` on their schedules); the sync
state lives in the runtime's state database (`--state`). Without QUICKBOOKS_CLIENT_ID and
QUICKBOOKS_CLIENT_SECRET the commands use a bundled QuickBooks sandbox (`.scorolink/quickbooks-sandbox.db`,
four companies; the fourth keeps its books in euros), and say so on stderr. Exit codes as `scorolink xero`:
0 done, 1 the sync needs a person (stopped, or record errors open), 2 bad settings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from scorolink import output
from scorolink.commands import counterpart
from scorolink.commands.common import emit_json, err
from scorolink.errors import ConfigError
from scorolink.integrations.quickbooks.session import (
    DEFAULT_SANDBOX_DATA,
    SANDBOX_DATA_ENV,
    QuickBooksSession,
    open_quickbooks,
)

quickbooks_app = typer.Typer(help="Connect a QuickBooks Online company and sync it with Scoro. Without "
                                  "QUICKBOOKS_CLIENT_ID and QUICKBOOKS_CLIENT_SECRET the commands use a bundled "
                                  "QuickBooks sandbox.", no_args_is_help=True)


ConnectionOpt = Annotated[str | None, typer.Option(
    "--connection", help="A named Scoro account ([connections.NAME]): that account, its QuickBooks app "
                         "([connections.NAME.quickbooks]), its own tokens and its settings ([quickbooks_sync.NAME]) "
                         "(default: the ordinary one).")]


def _open(ctx: typer.Context, connection: str | None = None) -> QuickBooksSession:
    """QuickBooks for the Scoro account `connection`: its app settings and its own tokens."""
    config = getattr(ctx.obj, "config", None)
    flags = counterpart.connection_flags(config, connection, "quickbooks")
    return counterpart.announce_sandbox(open_quickbooks(flags, config, account=connection or "default"),
                                        "QUICKBOOKS", SANDBOX_DATA_ENV, DEFAULT_SANDBOX_DATA)


def _state_url(ctx: typer.Context, state: str | None) -> str:
    """The runtime's state database (--state, SCOROLINK_STATE_URL, [runtime] state), which jobs share."""
    return counterpart.state_url(ctx, state)


def _config(ctx: typer.Context, connection: str | None = None) -> Any:
    """The [quickbooks_sync] settings of the Scoro account synced (integrations.settings_file)."""
    from scorolink.integrations.settings_file import QUICKBOOKS, load

    return load(QUICKBOOKS, getattr(ctx.obj, "config", None), connection)


def _sandbox_realm(session: QuickBooksSession, currency: str | None) -> str | None:
    """The bundled sandbox's company keeping its books in Scoro's currency (the person would pick it)."""
    realms = session.sandbox.describe()["realms"] if session.sandbox is not None else []
    return next((r["realmId"] for r in realms if r["HomeCurrency"] == currency), None)


@quickbooks_app.command("connect")
def connect_cmd(
    ctx: typer.Context,
    no_browser: counterpart.NoBrowserOpt = False, timeout: counterpart.TimeoutOpt = 300.0,
    realm: Annotated[str | None, typer.Option(help="With the bundled sandbox: the company (realm id) to pick "
                                                   "(default: the one in Scoro's currency).")] = None,
    state: Annotated[str | None, typer.Option(help="State database URL (default: the runtime's).")] = None,
    as_json: counterpart.JsonOpt = False,
    connection: ConnectionOpt = None,
) -> None:
    """Connect one QuickBooks company to the Scoro company account: sign in through the browser (the company
    is picked there), refuse when the home currencies differ, store the tokens encrypted in the state database
    (per company), then pull the chart of accounts and the tax rates."""
    from scorolink.integrations.quickbooks.integration import (
        Company,
        QuickBooksSyncConfig,
        check_currency,
        quickbooks_engine,
        scoro_currency,
    )
    from scorolink.integrations.quickbooks.run import sync_job
    from scorolink.sync.store import SyncStore

    with counterpart.scoro_account(ctx, connection) as scoro, _open(ctx, connection) as session:
        pick = (realm or _sandbox_realm(session, scoro_currency(scoro.connector))) if session.sandbox is not None \
            else None
        opener = counterpart.browser(session, no_browser, f"&realmId={pick}" if pick else "")
        tokens = session.oauth.connect(opener, timeout=timeout)
        company = Company(session.client)
        try:
            check_currency(scoro.connector, company)
        except ConfigError:
            session.oauth.revoke()  # not activated: the tokens are not kept
            raise
        info = session.client.company_info()
        store = SyncStore(_state_url(ctx, state))
        try:
            config = QuickBooksSyncConfig.from_dict({"tax_rates": {}, "accounts": {}})
            job = sync_job(store, str(scoro.connector.client.settings.company_account_id))
            with store.hold(job, wait=60):
                pulled = quickbooks_engine(store, job, scoro.connector, session.connector, config, company).run()
        finally:
            store.close()
        result: dict[str, Any] = {
            "connected": True, "target": session.label, "realm_id": tokens.tenant_id,
            "company": info.get("CompanyName"), "home_currency": company.home_currency,
            "pulled": {k: v for k, v in pulled.executed.items()}, "token_expires_at": counterpart.when(tokens.expires_at),
            "token_store": str(session.oauth.store.path)}
    counts = ", ".join(f"{k.replace('_', ' ')}: {sum(v.values())}" for k, v in result["pulled"].items()) or "none new"
    counterpart.show(result, as_json, "Connected", f"to {result['company']} ({result['realm_id']}, "
                     f"{result['home_currency']}); pulled {counts}. Tokens encrypted in {result['token_store']}. "
                     "Next: `scorolink quickbooks configure`.")


@quickbooks_app.command("status")
def status_cmd(ctx: typer.Context, state: Annotated[str | None, typer.Option(help="State database URL.")] = None,
               as_json: counterpart.JsonOpt = False, connection: ConnectionOpt = None) -> None:
    """Show the connected company, its home currency, the token's expiry, the setup and the last sync run."""
    from scorolink.integrations.quickbooks.integration import Company
    from scorolink.integrations.quickbooks.run import sync_jobs
    from scorolink.sync.store import SyncStore

    config = _config(ctx, connection)
    with _open(ctx, connection) as session:
        info = session.client.company_info()
        company = Company(session.client)
        tokens = session.oauth.tokens()
        result: dict[str, Any] = {
            "target": session.label, "realm_id": session.client.realm_id, "company": info.get("CompanyName"),
            "home_currency": company.home_currency, "multicurrency": company.multicurrency,
            "class_tracking": company.class_tracking, "token_expires_at": counterpart.when(tokens.expires_at),
            "refresh_token_rotated_at": counterpart.when(tokens.rotated_at), "minorversion": session.settings.minorversion,
            "mode": config.mode, "schedule": config.schedule if config.mode == "automatic" else None,
            "categories": [n for n, s in config.categories.items() if s.enabled],
            "requests": session.client.stats.total}
    store = SyncStore(_state_url(ctx, state))
    try:
        result["open_errors"] = sum(len(store.errors(job)) for job in sync_jobs(store))
    finally:
        store.close()
    counterpart.show(result, as_json, "OK", counterpart.account_line(
        result["company"], result["realm_id"], result["home_currency"], result["target"], result["token_expires_at"])
        + f"  mode: {result['mode'] or 'not set'}{' (' + str(result['schedule']) + ')' if result['schedule'] else ''}"
        f"; categories: {', '.join(result['categories']) or 'none'}; open record errors: {result['open_errors']}")


@quickbooks_app.command("sync")
def sync_cmd(
    ctx: typer.Context,
    category: Annotated[list[str] | None, typer.Option("--category", "-c", help="Only this category (repeatable): "
                        "tax_rates, accounts, classes, contacts, projects, products, invoices (with its credit "
                        "memos and their applications), bills, receipts.")] = None,
    background: Annotated[bool, typer.Option("--background", help="Only the background items: tax rates, "
                                             "accounts and classes.")] = False,
    obj: Annotated[str | None, typer.Option("--object", help="One record: CATEGORY:ID for a Scoro id (e.g. "
                                            "invoices:42, contacts:7), CATEGORY:quickbooks:ID for a QuickBooks id, "
                                            "receipts:INVOICE_ID to pull the payments of one Scoro invoice or "
                                            "bill, or attachments:INVOICE_ID to send its files.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan and show creates, updates, links and refusals; "
                                          "write nothing.")] = False,
    state: Annotated[str | None, typer.Option(help="State database URL (default: the runtime's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result.")] = False,
    connection: ConnectionOpt = None,
) -> None:
    """Sync Scoro and QuickBooks now: everything enabled in dependency order, one category, the background
    items, or one record."""
    from scorolink.integrations.quickbooks.run import SyncRequest, run_quickbooks_sync

    config = _config(ctx, connection)
    request = counterpart.sync_request(lambda: SyncRequest(
        only=category or None, record=counterpart.parse_object(obj, "quickbooks") if obj else None, dry_run=dry_run,
        background=background))

    def run(store: Any) -> Any:
        with counterpart.scoro_account(ctx, connection) as scoro, _open(ctx, connection) as session:
            return run_quickbooks_sync(store, scoro.connector, session, config, request)

    result, open_rows = counterpart.run_sync(_state_url(ctx, state), run)
    counterpart.finish_sync(result, open_rows, as_json, "QuickBooks", "scorolink quickbooks errors")


@quickbooks_app.command("configure")
def configure_cmd(
    ctx: typer.Context,
    category: Annotated[str | None, typer.Option(help="The category the options below set.")] = None,
    direction: Annotated[str | None, typer.Option(help="to-quickbooks or to-scoro (one way at a time).")] = None,
    enable: Annotated[bool | None, typer.Option("--enable/--disable", help="Include the category.")] = None,
    start_date: Annotated[str | None, typer.Option(help="First sync: records changed on or after YYYY-MM-DD (not "
                                                        "before the connection; locked after the first sync).")] = None,
    bookmark: Annotated[str | None, typer.Option(help="A Scoro bookmark (id or name) limiting what is pushed "
                                                 "(contacts, invoices, bills).")] = None,
    mode: Annotated[str | None, typer.Option(help="automatic (runtime jobs on --schedule) or manual.")] = None,
    schedule: Annotated[str | None, typer.Option(help="Automatic sync: hourly, daily or weekly.")] = None,
    background_schedule: Annotated[str | None, typer.Option(help="Background items (tax rates, accounts, "
                                                                 "classes): hourly, daily or weekly.")] = None,
    default_income_account: Annotated[str | None, typer.Option(help="QuickBooks income account (number or name) "
                                                                    "for new products.")] = None,
    default_expense_account: Annotated[str | None, typer.Option(help="QuickBooks expense account for bill lines "
                                                                     "without a product.")] = None,
    tax_map: Annotated[list[str] | None, typer.Option(help="SCORO_VAT_CODE=QUICKBOOKS_TAX_CODE (repeatable).")] = None,
    tax_map_remove: Annotated[list[str] | None, typer.Option(help="Remove the tax-map line of this Scoro VAT code "
                                                             "(repeatable).")] = None,
    without_tax: Annotated[bool | None, typer.Option("--without-tax/--with-tax", help="Documents from QuickBooks "
                                                     "carry only the subtotal (no tax details).")] = None,
    attachments: Annotated[str | None, typer.Option(help="automatic (with their invoice or bill) or manual.")] = None,
    accounts: Annotated[bool, typer.Option("--accounts", help="List QuickBooks' income and expense accounts to "
                                                              "choose the defaults from.")] = False,
    state: Annotated[str | None, typer.Option(help="State database URL (the runtime's, for automatic mode's "
                                              "jobs).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the effective configuration as JSON.")] = False,
    connection: Annotated[str | None, typer.Option(help="A named Scoro account ([connections.NAME]): its settings "
                                                   "are [quickbooks_sync.NAME] (default: the ordinary one).")] = None,
) -> None:
    """Show or change the integration's configuration: the [quickbooks_sync] table of scorolink.toml, or
    [quickbooks_sync.NAME] for the Scoro account --connection NAME."""
    from scorolink.integrations.settings_file import QUICKBOOKS, configure, settings_path, summary

    if accounts:
        with _open(ctx, connection) as session:
            rows = income_and_expense_accounts(session)
        emit_json(rows) if as_json else output.print_table(rows, title="QuickBooks income and expense accounts")
        return
    config_file = getattr(ctx.obj, "config", None)
    path, account = settings_path(config_file), connection or "default"
    if category is None and (direction or enable is not None or start_date or bookmark):
        raise ConfigError("--direction, --enable/--disable, --start-date and --bookmark need --category.")
    changes = {category: {"direction": direction, "enabled": enable, "start_date": start_date,
                          "bookmark": bookmark}} if category is not None else {}
    locked = locked_dates(_state_url(ctx, state), config_file, account) if start_date is not None else None
    config, changed = configure(QUICKBOOKS, path, changes, account=account, settings={
        "mode": mode, "schedule": schedule, "background_schedule": background_schedule,
        "default_income_account": default_income_account, "default_expense_account": default_expense_account,
        "attachments": attachments, "sync_without_tax": without_tax}, tax_map=tax_map, tax_map_remove=tax_map_remove,
        locked=locked)
    if changed:
        err.print(f"Saved {QUICKBOOKS.header(account)} in {path}.")
    if mode is not None or schedule is not None or background_schedule is not None:
        schedule_jobs(_state_url(ctx, state), config, account, config_file)
        if config.mode == "automatic":
            err.print(f"Jobs {job_name(account, False)} ({config.schedule}) and {job_name(account, True)} "
                      f"({config.background_schedule}) are scheduled; `scorolink serve` runs them.")
    shown = summary(QUICKBOOKS, config)
    if as_json:
        emit_json(shown)
        return
    output.print_table([{"category": k, **v} for k, v in shown["categories"].items()], title="Scoro ↔ QuickBooks sync")
    err.print(f"mode: {config.mode or 'not set'}" + (f" ({config.schedule}; background items {config.background_schedule})"
              if config.mode == "automatic" else "") + f"; default income account: "
              f"{config.default_income_account or '-'}; default expense account: {config.default_expense_account or '-'}"
              f"; tax map: {', '.join(f'{k}={v}' for k, v in config.tax_map.items()) or '-'}")


def income_and_expense_accounts(session: QuickBooksSession) -> list[dict[str, Any]]:
    """QuickBooks' income and expense accounts, to choose the default accounts from (`configure --accounts`)."""
    return [{"number": r.get("AcctNum") or "", "name": r.get("Name"), "type": r.get("AccountType"),
             "classification": r.get("Classification")} for r in session.connector.read("Account")
            if r.get("Classification") in ("Revenue", "Expense")]


def locked_dates(state_url: str, config_file: str | None, account: str) -> dict[str, str]:
    """The start dates this account's initial syncs used: they no longer change."""
    from scorolink.integrations.settings_file import QUICKBOOKS, locked_start_dates, scoro_account_id
    from scorolink.sync.store import SyncStore

    store = SyncStore(state_url)
    try:
        return locked_start_dates(QUICKBOOKS, store, scoro_account_id(config_file, account))
    finally:
        store.close()


def job_name(account: str, background: bool) -> str:
    """`quickbooks-sync` / `quickbooks-background` (with `-NAME` for a named Scoro account), as the dashboard
    names them."""
    return ("quickbooks-background" if background else "quickbooks-sync") + ("" if account == "default" else
                                                                               f"-{account}")


def schedule_jobs(state_url: str, config: Any, account: str, config_file: str | None) -> None:
    """Automatic mode: the runtime's jobs run the sync and the background items of one Scoro account on their
    schedules (`scorolink serve` or a Celery worker executes them); manual mode removes them."""
    from scorolink.integrations.quickbooks.integration import SCHEDULES
    from scorolink.runtime.jobs import JobError, add_job, remove_job
    from scorolink.state.store import StateStore

    store = StateStore(state_url)
    now = datetime.now(UTC)
    try:
        for background in (False, True):
            name = job_name(account, background)
            if config.mode == "automatic":
                when = config.background_schedule if background else config.schedule
                params: dict[str, Any] = {"background": background} if background else {}
                if config_file:
                    params["config"] = config_file
                add_job(store, name, operation="quickbooks_sync", connection=account, schedule=SCHEDULES[when],
                        params=params, now=now, source="quickbooks", replace=True)
            else:
                try:
                    remove_job(store, name)
                except JobError:
                    pass
    finally:
        store.dispose()


def _sync_jobs(store: Any) -> list[str]:
    from scorolink.integrations.quickbooks.run import sync_jobs

    return sync_jobs(store)


counterpart.add_errors_command(quickbooks_app, "QuickBooks", "scorolink quickbooks", _sync_jobs, _state_url)
