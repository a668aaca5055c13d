"""`scorolink demo`: the main job against the bundled sandbox."""

from __future__ import annotations

from typing import Annotated

import typer

from scorolink.commands.common import emit_json, err
from scorolink.commands.replicate import report_replication

app = typer.Typer()


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
        report_replication(summary, False)
        err.print(f"{len(counts)} tables, {sum(counts.values())} rows in {to}. Try: "
                  f"sqlite3 {to.removeprefix('sqlite:///')} 'SELECT * FROM Invoices_Lines LIMIT 5'", highlight=False)
    if summary.failed:
        raise typer.Exit(1)
