"""`scorolink sandbox scoro | xero`: serve the local API emulators over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scorolink.errors import InvalidInput

app = typer.Typer(help="Serve local emulators of the APIs scorolink talks to.", no_args_is_help=True)


@app.command("scoro")
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


@app.command("xero")
def sandbox_xero(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8766,
    data: Annotated[Path | None, typer.Option(help="SQLite file that keeps the sandbox's state between runs.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for the generated data, ids and faults.")] = 1,
    size: Annotated[int, typer.Option(help="Approximate number of sales invoices per organisation.")] = 60,
    tenants: Annotated[int, typer.Option(help="Number of Xero organisations (tenants) the app is connected to.")] = 2,
    rate_limit: Annotated[str | None, typer.Option(
        help="Xero's limits, default minute=60,concurrent=5,day=5000,app=10000,window=rolling; give any subset, "
             "a limit as 'off', or just 'off'.")] = None,
    fault_rate: Annotated[float, typer.Option(help="Share of API calls that fail (0..1), seeded.")] = 0.0,
    webhook_url: Annotated[str | None, typer.Option(
        help="Deliver signed webhooks here (after the intent-to-receive round).")] = None,
) -> None:
    """Serve the Xero Accounting API emulator (OAuth2, connections, tenants, rate limits, webhooks); prints one
    JSON line with base_url, token_url, client_id, client_secret and tenant_ids, then serves until Ctrl+C."""
    from scorolink.sandbox.xero.cli import parse_rate_limit, serve_command

    try:
        limits = parse_rate_limit(rate_limit)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if not 0.0 <= fault_rate <= 1.0:
        raise InvalidInput(f"--fault-rate must be between 0 and 1, not {fault_rate}")
    if tenants < 1:
        raise InvalidInput("--tenants must be at least 1")
    serve_command(host=host, port=port, data=str(data) if data else None, seed=seed, size=size, tenants=tenants,
                  rate_limit=limits, fault_rate=fault_rate, webhook_url=webhook_url)
