"""`scorolink connection test | accounts`: check the Scoro connection and list company accounts."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.text import Text

from scorolink import output
from scorolink.commands.common import emit_json

app = typer.Typer(help="Check the Scoro connection and list company accounts.", no_args_is_help=True)


@app.command("test")
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
        output.stdout_console().print(Text("OK", style="green"), f"{result['target']}: {result['company_accounts']} company account(s), "
                        f"{result['custom_fields']} custom field(s), {result['requests']} requests")


@app.command("accounts")
def connection_accounts(ctx: typer.Context,
                        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List the company accounts the credentials can act on (`companyAccount/list`)."""
    with ctx.obj.open() as session:
        rows = list(session.connector.read("BusinessEntity"))
    if as_json:
        emit_json(rows)
    else:
        output.print_table(rows, title="company accounts")
