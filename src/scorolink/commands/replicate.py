"""`scorolink replicate` and `scorolink erd`: mirror Scoro into a SQL database and draw the mirror."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from scorolink import output
from scorolink.commands.common import emit_json, err
from scorolink.errors import InvalidInput

app = typer.Typer()

DEFAULT_MIRROR = "sqlite:///scoro.db"


@app.command("replicate")
def replicate_cmd(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="Destination: sqlite:///file.db, postgresql://user@host/db or "
                                     "duckdb:///file.duckdb.")] = DEFAULT_MIRROR,
    objects: Annotated[str | None, typer.Option(help="Comma-separated objects. Default: every readable object "
                                                "except Contacts, the read-only union of People and Companies "
                                                "(name it here to mirror it too).")] = None,
    full: Annotated[bool, typer.Option("--full", help="Re-read everything instead of changes since the last "
                                       "run (records gone from Scoro are flagged IsDeleted).")] = False,
    nested: Annotated[str, typer.Option(help="separate: nested values unwound into <Object>_<Field> tables; "
                                        "json: kept as JSON columns.")] = "separate",
    naming: Annotated[str, typer.Option(help="pascal (RemoteID, Invoices_Lines) or snake (remote_id, "
                                        "invoices_lines).")] = "pascal",
    schema: Annotated[str, typer.Option(help="skyvia: tables named after the Skyvia connector's objects "
                                        "(Invoices, Invoices_Lines). synchub: SyncHub's tables, columns, types "
                                        "and foreign keys (Invoice, InvoiceLine, VatCodeID, MirrorRemoteID), the "
                                        "closest equivalent for objects it does not document.")] = "skyvia",
    include_binary: Annotated[bool, typer.Option("--include-binary", help="Also fetch binary fields (file "
                                                 "content, pictures): one extra request per record.")] = False,
    foreign_keys: Annotated[bool, typer.Option("--foreign-keys", help="Declare foreign-key constraints "
                                               "(SQLite, PostgreSQL); never enforced against Scoro's data.")] = False,
    reconcile: Annotated[bool, typer.Option("--reconcile", help="Also compare every key with Scoro to catch "
                                            "deletes older than its 30-day window (automatic every "
                                            "--reconcile-days).")] = False,
    reconcile_days: Annotated[float, typer.Option(help="Reconcile automatically when the last one is older.")] = 25,
    overlap: Annotated[float, typer.Option(help="Seconds re-read before the last cursor, de-duplicated.")] = 3600,
    workers: Annotated[int, typer.Option(help="Objects read at the same time (within the rate limit).")] = 4,
    account: Annotated[str | None, typer.Option(help="RemoteAccount value (default: the company account id); "
                                                "set it when mirroring several sites into one database.")] = None,
    per_parent: Annotated[str, typer.Option(help="Comment objects and ContactRelations are listed per parent "
                                            "record where Scoro has no module-wide list (comments use one "
                                            "when the site answers it). changed: incremental runs ask only "
                                            "parents modified since the last run, and every parent once per "
                                            "--sweep-days (a comment on an untouched parent waits for that "
                                            "sweep). all: ask every parent on every run.")] = "changed",
    sweep_days: Annotated[float, typer.Option(help="With --per-parent changed: ask every parent at least this "
                                              "often.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
) -> None:
    """Replicate Scoro into a SQL database: full the first time, incremental afterwards, nested
    values as child tables, deletes kept as IsDeleted, SyncHub's metadata columns on every row."""
    from scorolink.replicate.engine import PER_PARENT_MODES, ReplicateOptions
    from scorolink.replicate.schema import NAMINGS, NESTED_MODES, SCHEMAS, MirrorOptions

    if nested not in NESTED_MODES:
        raise typer.BadParameter(f"use {' or '.join(NESTED_MODES)}", param_hint="--nested")
    if naming not in NAMINGS:
        raise typer.BadParameter(f"use {' or '.join(NAMINGS)}", param_hint="--naming")
    if schema not in SCHEMAS:
        raise typer.BadParameter(f"use {' or '.join(SCHEMAS)}", param_hint="--schema")
    if schema == "synchub" and (naming != "pascal" or nested != "separate"):
        raise typer.BadParameter("SyncHub's schema has its own names and child tables: leave out --naming "
                                 "and --nested", param_hint="--schema synchub")
    if per_parent not in PER_PARENT_MODES:
        raise typer.BadParameter(f"use {' or '.join(PER_PARENT_MODES)}", param_hint="--per-parent")
    options = ReplicateOptions(
        objects=[o.strip() for o in objects.split(",") if o.strip()] if objects else None,
        full=full, reconcile=reconcile, reconcile_days=reconcile_days, overlap_seconds=overlap,
        workers=workers, account=account, per_parent=per_parent, sweep_days=sweep_days,
        mirror=MirrorOptions(nested=nested, naming=naming, include_binary=include_binary, foreign_keys=foreign_keys,
                             schema=schema),
    )
    with ctx.obj.open() as session:
        summary = run_replication(session.connector, to, options, as_json)
    report_replication(summary, as_json)


def run_replication(connector: Any, to: str, options: Any, as_json: bool) -> Any:
    from scorolink.replicate.engine import replicate
    from scorolink.replicate.progress import RichProgress

    progress = RichProgress(err, disable=as_json)
    try:
        with progress:
            return replicate(connector, to, options, progress)
    except KeyboardInterrupt:
        err.print(progress.interrupted_report())
        raise typer.Exit(130) from None


def report_replication(summary: Any, as_json: bool) -> None:
    if as_json:
        emit_json(summary.as_dict())
    else:
        rows = [{"object": name, "mode": r.mode, "read": r.read, "written": r.rows, "deleted": r.deleted,
                 "requests": r.requests, "seconds": round(r.seconds, 2), "error": r.error or ""}
                for name, r in summary.objects.items()]
        output.print_table(rows, title=f"Replicated {len(rows)} objects into {summary.destination} "
                                       f"with {summary.requests} requests in {summary.seconds:.1f} s")
        changes = summary.schema
        if changes.created or changes.added or changes.widened:
            err.print(f"Schema: {len(changes.created)} table(s) created, {len(changes.added)} column(s) added, "
                      f"{len(changes.widened)} widened.")
        for name, r in summary.objects.items():
            if r.cleaned_rows:
                kinds = ", ".join(f"{n} {kind}" for kind, n in r.cleaned.items())
                err.print(f"{name}: {r.cleaned_rows} record(s) had values changed to fit the database ({kinds}); "
                          "see README, Replication → Values every database takes.")
    if summary.failed:
        err.print(Text(f"{len(summary.failed)} object(s) failed:", style="red"), "; ".join(
            f"{n}: {summary.objects[n].error}" for n in summary.failed))
        raise typer.Exit(1)


def _mirror_exists(db: str | None) -> None:
    """Drawing reads a mirror, never makes one: a file database that is not there is a mistake, and opening
    it would leave an empty file behind."""
    for prefix in ("sqlite:///", "duckdb:///"):
        if db and db.startswith(prefix):
            path = db.removeprefix(prefix)
            if path not in ("", ":memory:") and not Path(path).exists():
                raise InvalidInput(f"--db {db}: no such file. Make the mirror first with `scorolink replicate "
                                   f"--to {db}`, or leave --db out to draw what replicate would create.")


@app.command("erd")
def erd_cmd(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db", help="Draw this mirror's tables (default: what `replicate` "
                                           "would create with the options below).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="mermaid, dot or svg.")] = "mermaid",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")] = None,
    objects: Annotated[str | None, typer.Option(help="Comma-separated objects (default: every mirrored one).")] = None,
    columns: Annotated[str, typer.Option(help="keys: key and relation columns only; all: every column.")] = "keys",
    nested: Annotated[str, typer.Option(help="separate or json (ignored with --db: the mirror knows).")] = "separate",
    naming: Annotated[str, typer.Option(help="pascal or snake (ignored with --db: the mirror knows).")] = "pascal",
    schema: Annotated[str, typer.Option(help="skyvia or synchub (ignored with --db: the mirror knows).")] = "skyvia",
    by_area: Annotated[bool, typer.Option("--by-area", help="One diagram per Scoro area (invoices, projects, "
                                          "contacts …) written into the --out folder, with an index.html that "
                                          "links them and lists the relations between areas: a whole account "
                                          "stays readable.")] = False,
) -> None:
    """Draw the mirror's entity-relationship diagram: tables, keys and the catalog's relations."""
    from scorolink.replicate.erd import ERD_FORMATS, render_erd, render_erd_by_area
    from scorolink.replicate.introspect import mirror_tables
    from scorolink.replicate.schema import SCHEMAS

    if fmt not in ERD_FORMATS:
        raise typer.BadParameter(f"use {', '.join(ERD_FORMATS)}", param_hint="--format")
    if schema not in SCHEMAS:
        raise typer.BadParameter(f"use {' or '.join(SCHEMAS)}", param_hint="--schema")
    names = [o.strip() for o in objects.split(",") if o.strip()] if objects else None
    _mirror_exists(db)
    tables = mirror_tables(db, names, nested=nested, naming=naming, schema=schema)
    if by_area:
        if out is None:
            raise InvalidInput("--by-area writes several files: give a folder with --out, e.g. --out erd/")
        out.mkdir(parents=True, exist_ok=True)
        files = render_erd_by_area(tables, fmt, columns=columns)
        for name, content in files.items():
            (out / name).write_text(content, encoding="utf-8")
        err.print(f"Wrote {len(files) - 2} {fmt} diagrams of {len(tables)} tables, overview.dot and index.html "
                  f"to {out}.")
        return
    text = render_erd(tables, fmt, columns=columns)
    if out:
        out.write_text(text, encoding="utf-8")
        err.print(f"Wrote {fmt} ERD of {len(tables)} tables to {out}.")
    else:
        typer.echo(text)
