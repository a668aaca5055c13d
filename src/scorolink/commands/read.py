"""`scorolink read`: any object through the connector, as a table, JSON lines or CSV."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from scorolink import output
from scorolink.commands.common import CsvEscapeOption, err
from scorolink.connectors.base import parse_condition

app = typer.Typer()


@app.command("read")
def read_cmd(
    ctx: typer.Context,
    obj: Annotated[str, typer.Argument(metavar="OBJECT", help="Object name, e.g. Invoices.")],
    where: Annotated[list[str] | None, typer.Option("--where", "-w", help="Condition 'Field op value'; repeatable. "
                     "Filters Scoro supports natively are sent to the API, the rest apply locally.")] = None,
    limit: Annotated[int | None, typer.Option(min=0, help="Stop after N records (0: none, only the count).")] = None,
    columns: Annotated[str | None, typer.Option(help="Comma-separated fields (binary fields only when named).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    include_deleted: Annotated[bool, typer.Option(help="Also records deleted in the last 30 days.")] = False,
    out: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    csv_escape: CsvEscapeOption = None,
) -> None:
    """Read any object through the connector."""
    fmt = "json" if as_json else fmt
    if fmt not in ("table", "json", "csv"):
        raise typer.BadParameter("use table, json or csv", param_hint="--format")
    conditions = [parse_condition(w) for w in where or []]
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    with ctx.obj.open() as session:
        records = session.connector.read(obj, conditions, columns=cols, include_deleted=include_deleted,
                                         limit=limit if fmt != "table" else min(100 if limit is None else limit, 100))
        if fmt == "table":
            rows = list(records)
            if not rows:
                what = " matching " + " and ".join(str(c) for c in conditions) if conditions else ""
                err.print(f"No {obj} records{what}." if limit != 0 else "No records asked for (--limit 0).")
                return
            spec = session.connector.spec(obj)
            output.print_table(rows, title=f"{spec.name}: {len(rows)} record(s)", keys=list(spec.key_fields))
            if limit is None and len(rows) == 100:
                err.print("Showing the first 100; use --limit, --format json or csv for more.", style="dim")
            return
        stream = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
        try:
            count = output.write_json_lines(records, stream) if fmt == "json" else output.write_csv(
                records, stream, cols, escape=csv_escape)
        finally:
            if out:
                stream.close()
        err.print(f"{count} record(s), {session.client.stats.total} request(s)", style="dim")
