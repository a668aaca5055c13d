"""`scorolink objects` and `scorolink describe`: the catalog of Scoro objects."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from scorolink import output
from scorolink.catalog.describe import describe_object, object_summary
from scorolink.catalog.scoro import CATALOG
from scorolink.commands.common import emit_json
from scorolink.errors import UnknownName

app = typer.Typer()


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
    console.print(Text(info["name"], style="bold"), " module", Text(info["module"], style="cyan"),
                  f" key {info['key']}  operations {', '.join(info['operations'])}  incremental {info['incremental'] or '-'}")
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
