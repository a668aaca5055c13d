"""`scorolink sandbox scoro | xero | reset`: serve the local API emulators over HTTP, and start the
workspace's bundled sandboxes afresh."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from scorolink.commands.common import emit_json, err
from scorolink.errors import InvalidInput, ScorolinkError

T = TypeVar("T")

app = typer.Typer(help="Serve local emulators of the APIs scorolink talks to, or reset the workspace's bundled "
                       "sandboxes.", no_args_is_help=True)


class PortUnavailable(ScorolinkError):
    exit_code = 2


@contextlib.contextmanager
def _port_errors() -> Iterator[None]:
    from scorolink.sandbox.common import PortBusy

    try:
        yield
    except PortBusy as exc:
        raise PortUnavailable(exc.strerror or str(exc)) from None


# The options the three `sandbox` commands share; each command gives its own default where they differ.
HostOpt = Annotated[str, typer.Option(help="Interface to listen on.")]
PortOpt = Annotated[int, typer.Option(help="Port (0 picks a free one).")]
DataOpt = Annotated[Path | None, typer.Option(help="SQLite file that keeps the sandbox's state between runs.")]
SeedOpt = Annotated[int, typer.Option(help="Seed for the generated data, ids and faults.")]
FaultRateOpt = Annotated[float, typer.Option(help="Share of API calls that fail (0..1), seeded.")]
StartTimeOpt = Annotated[str | None, typer.Option(
    help="Fix the sandbox clock at this ISO instant (default: real time).")]


@app.command("scoro")
def sandbox_scoro(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8765,
    data: DataOpt = None,
    seed: SeedOpt = 1,
    size: Annotated[int, typer.Option(help="Approximate number of records in the default site.")] = 300,
    sites: Annotated[int, typer.Option(help="Number of separate Scoro sites (accounts).")] = 2,
    rate_limit: Annotated[int | None, typer.Option(help="Requests allowed per 2-second window.")] = None,
    daily_quota: Annotated[int | None, typer.Option(help="Requests allowed per day.")] = None,
    fault_rate: FaultRateOpt = 0.0,
    fault_kinds: Annotated[str | None, typer.Option(help="Comma-separated fault kinds to draw from.")] = None,
    timeout_seconds: Annotated[float, typer.Option(help="Delay of a `timeout` fault.")] = 30.0,
    slow_seconds: Annotated[float, typer.Option(help="Delay of a `slow` fault.")] = 8.0,
    expose_secrets: Annotated[bool, typer.Option(help="Let GET /_sandbox/sites show keys and passwords.")] = False,
    show_users: Annotated[bool, typer.Option("--show-users", help="Also print every site's users and their "
                                             "passwords (for user-level login).")] = False,
    comments_by_module: Annotated[str, typer.Option(
        help="What `comments/list` without object_id answers (the reference is silent): answer (every comment "
             "of the module, rows saying their record), refuse (an error), empty (no rows), untagged (rows "
             "without module and object_id).")] = "answer",
    ignore_modified_filter: Annotated[str | None, typer.Option(
        help="Comma-separated modules whose list ignores a modified_date filter (e.g. timeEntries).")] = None,
    timezone: Annotated[str | None, typer.Option(help="The sites' time zone (default Europe/Tallinn).")] = None,
) -> None:
    """Serve the Scoro API v2 emulator over HTTP. Once the port is bound, prints one JSON line with base_url,
    api_key, company_account_id and every site, then serves until Ctrl+C."""
    from scorolink.sandbox.scoro.cli import serve_command

    _check_fault_rate(fault_rate)
    with _port_errors():
        serve_command(host=host, port=port, data=_path(data), seed=seed, size=size, sites=sites,
                      rate_per_window=rate_limit, daily_quota=daily_quota, fault_rate=fault_rate,
                      fault_kinds=fault_kinds, timeout_seconds=timeout_seconds, slow_seconds=slow_seconds,
                      expose_secrets=expose_secrets, show_users=show_users, comments_by_module=comments_by_module,
                      ignore_modified_filter=ignore_modified_filter, timezone=timezone)


@app.command("xero")
def sandbox_xero(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8766,
    data: DataOpt = None,
    seed: SeedOpt = 1,
    size: Annotated[int, typer.Option(help="Approximate number of sales invoices per organisation.")] = 60,
    tenants: Annotated[int, typer.Option(help="Number of Xero organisations (tenants) the app is connected to.")] = 2,
    rate_limit: Annotated[str | None, typer.Option(
        help="Xero's limits, default minute=60,concurrent=5,day=5000,app=10000,window=rolling; give any subset, "
             "a limit as 'off', or just 'off'.")] = None,
    fault_rate: FaultRateOpt = 0.0,
    webhook_url: Annotated[str | None, typer.Option(
        help="Deliver signed webhooks here (after the intent-to-receive round).")] = None,
    start_time: StartTimeOpt = None,
) -> None:
    """Serve the Xero Accounting API emulator (OAuth2, connections, tenants, rate limits, webhooks). Once the
    port is bound, prints one JSON line with base_url, token_url, client_id, client_secret and tenant_ids, then
    serves until Ctrl+C."""
    from scorolink.sandbox.xero.cli import parse_rate_limit, serve_command

    limits = _checked(parse_rate_limit, rate_limit, fault_rate, tenants=tenants)
    with _port_errors():
        serve_command(host=host, port=port, data=_path(data), seed=seed, size=size,
                      tenants=tenants, rate_limit=limits, fault_rate=fault_rate, webhook_url=webhook_url,
                      start_time=_instant(start_time))


@app.command("quickbooks")
def sandbox_quickbooks(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8767,
    data: DataOpt = None,
    seed: SeedOpt = 1,
    size: Annotated[int, typer.Option(help="Approximate number of invoices per company.")] = 30,
    realms: Annotated[int, typer.Option(help="Number of QuickBooks companies (realms).")] = 2,
    rate_limit: Annotated[str | None, typer.Option(
        help="QuickBooks' throttles, default minute=500,second=10,concurrent=10,batch=40; any subset, a limit as "
             "'off', or just 'off'.")] = None,
    fault_rate: FaultRateOpt = 0.0,
    start_time: StartTimeOpt = None,
) -> None:
    """Serve the QuickBooks Online Accounting API emulator (Intuit OAuth2, realms, query language, CDC, batch,
    uploads, throttles). Once the port is bound, prints one JSON line with base_url, authorize_url, token_url,
    discovery_url, client_id, client_secret and realm_ids, then serves until Ctrl+C."""
    from scorolink.sandbox.quickbooks.cli import parse_rate_limit, serve_command

    limits = _checked(parse_rate_limit, rate_limit, fault_rate, realms=realms)
    with _port_errors():
        serve_command(host=host, port=port, data=_path(data), seed=seed, realms=realms,
                      rate_limit=limits, fault_rate=fault_rate, size=size, start_time=_instant(start_time))


def _path(data: Path | None) -> str | None:
    return str(data) if data else None


def _check_fault_rate(fault_rate: float) -> None:
    if not 0.0 <= fault_rate <= 1.0:
        raise InvalidInput(f"--fault-rate must be between 0 and 1, not {fault_rate}")


def _checked(parse_rate_limit: Callable[[str | None], T], rate_limit: str | None, fault_rate: float,
             **counts: int) -> T:
    """The --rate-limit, --fault-rate and --tenants/--realms of a sandbox command checked before anything
    is built, so a mistake is a clear error naming the option; returns the parsed limits."""
    try:
        limits = parse_rate_limit(rate_limit)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    _check_fault_rate(fault_rate)
    for name, count in counts.items():
        if count < 1:
            raise InvalidInput(f"--{name} must be at least 1")
    return limits


def _instant(text: str | None) -> str | None:
    """--start-time checked here, so a mistyped instant is a clear error rather than a traceback."""
    if text is None:
        return None
    from scorolink.sandbox.common import parse_utc

    try:
        parse_utc(text)
    except ValueError:
        raise InvalidInput(f"--start-time {text!r} is not an ISO instant; use e.g. 2026-03-02T09:00:00+00:00") from None
    return text


@app.command("reset")
def sandbox_reset(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable list of the removed files.")] = False,
) -> None:
    """Start the workspace's bundled sandboxes afresh: remove the Scoro sandbox's state file
    (.scorolink/scoro-sandbox.db, or SCOROLINK_SANDBOX_DATA), the Xero sandbox's (.scorolink/xero-sandbox.db,
    or SCOROLINK_XERO_SANDBOX_DATA), the QuickBooks sandbox's (.scorolink/quickbooks-sandbox.db, or
    SCOROLINK_QUICKBOOKS_SANDBOX_DATA) and the tokens they issued. The next command builds them again from the seed."""
    from scorolink.sandbox.quickbooks.config import workspace_data_path as quickbooks_data_path
    from scorolink.sandbox.xero.config import workspace_data_path as xero_data_path
    from scorolink.session import sandbox_data_path

    removed = []
    for base in (sandbox_data_path(), xero_data_path(), quickbooks_data_path()):
        if not base:
            continue
        for path in (Path(base), Path(f"{base}-wal"), Path(f"{base}-shm"), Path(f"{base}-journal")):
            if path.exists():
                path.unlink()
                removed.append(str(path))
    removed += _forget_sandbox_tokens()
    if as_json:
        emit_json({"removed": removed})
    elif removed:
        err.print("Removed " + ", ".join(removed) + ". The next command starts from a fresh sandbox.",
                  markup=False, highlight=False)
    else:
        err.print("Nothing to reset: the bundled sandboxes have no saved state in this workspace.")


def _forget_sandbox_tokens() -> list[str]:
    """The tokens the bundled Xero sandbox issued, kept in the state database: a fresh sandbox knows none
    of them. Only an existing state database is opened (a reset creates nothing)."""
    from scorolink.state.store import state_url

    url = state_url(None)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):].split("?", 1)[0]).exists():
        return []
    from scorolink.state.credentials import CredentialStore
    from scorolink.state.store import StateStore

    store = StateStore(url)
    try:
        credentials = CredentialStore(store)
        gone = [(a, i, t) for a, i, t in credentials.keys() if i in ("xero-sandbox", "quickbooks-sandbox")]
        for account, integration, tenant in gone:
            credentials.delete(integration, tenant, account)
    finally:
        store.dispose()
    return [f"{url}: bundled sandbox tokens ({len(gone)})"] if gone else []

