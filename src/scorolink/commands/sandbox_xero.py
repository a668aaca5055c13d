"""`scorolink sandbox xero`: serve the Xero Accounting API emulator over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scorolink.cli import sandbox_app
from scorolink.errors import InvalidInput


@sandbox_app.command("xero")
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
