"""`scorolink export` and `scorolink import`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from scorolink import output
from scorolink.commands.common import CsvEscapeOption, emit_json, err
from scorolink.connectors.base import parse_condition
from scorolink.errors import ConfigError

app = typer.Typer()


if TYPE_CHECKING:
    from scorolink.transfer.importer import ImportSummary


@app.command("export")
def export_cmd(
    ctx: typer.Context,
    obj: Annotated[str, typer.Argument(metavar="OBJECT", help="Object name, e.g. Invoices.")],
    where: Annotated[list[str] | None, typer.Option("--where", "-w", help="Condition 'Field op value' as in "
                     "`scorolink read`; repeatable. Native filters go to the API.")] = None,
    columns: Annotated[str | None, typer.Option(help="Comma-separated fields, in this order. Binary fields "
                                                "(PictureContent, Content) only when named.")] = None,
    nested: Annotated[str, typer.Option(help="json: nested values as JSON cells; flatten: one more CSV per "
                                        "nested field (FILE_<Field>.csv) linked by Parent.<key>.")] = "json",
    out: Annotated[Path | None, typer.Option("--output", "-o", help="CSV file (default: stdout).")] = None,
    include_deleted: Annotated[bool, typer.Option(help="Also records deleted in the last 30 days.")] = False,
    limit: Annotated[int | None, typer.Option(min=0, help="Stop after N records.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary on stdout "
                                          "(needs -o).")] = False,
    csv_escape: CsvEscapeOption = None,
) -> None:
    """Export any object to CSV (UTF-8, RFC 4180, canonical field names), streaming at constant memory."""
    from scorolink.transfer.export import Exporter
    from scorolink.transfer.progress import TransferProgress

    if as_json and out is None:
        raise ConfigError("--json prints the summary on stdout, where the CSV would go: add -o FILE.csv.")
    conditions = [parse_condition(w) for w in where or []]
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    with ctx.obj.open() as session:
        exporter = Exporter(session.connector, obj, out, where=conditions, columns=cols, nested=nested,
                            include_deleted=include_deleted, limit=limit, csv_escape=csv_escape)
        with TransferProgress(err, f"export {exporter.spec.name}", disable=as_json or out is None) as bar:
            summary = exporter.run(lambda s: bar.update(s.rows, 0, s.requests))
    if as_json:
        emit_json(summary.as_dict())
        return
    files = ", ".join(f"{path} ({rows} rows)" for path, rows in summary.files.items())
    err.print(f"Exported {summary.rows} {summary.object} record(s) with {summary.requests} request(s) in "
              f"{summary.seconds:.1f} s: {files}" + (f"; {summary.binaries} binary file(s)" if summary.binaries else ""),
              highlight=False)


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    obj: Annotated[str, typer.Argument(metavar="OBJECT", help="Object name, e.g. Companies.")],
    file: Annotated[str | None, typer.Argument(metavar="[FILE]", help="CSV file with a header of field names.")] = None,
    mode: Annotated[str, typer.Option(help="insert, update, upsert or delete (only what the object allows).")]
    = "insert",
    key: Annotated[str | None, typer.Option(help="Field that finds existing records for update/upsert/delete: "
                                            "the id (default) or a natural key such as DocumentNumber or Name.")]
    = None,
    mapping: Annotated[Path | None, typer.Option("--map", help="TOML mapping: renames, constants, expressions, "
                                                 "lookups, nested sources (see README).")] = None,
    nested: Annotated[list[str] | None, typer.Option(help="Nested values from a child CSV, FIELD=FILE (e.g. "
                                                     "Lines=lines.csv; rows linked by Parent.<column>).")] = None,
    from_sql: Annotated[str | None, typer.Option(help="Import a database table instead of a file: "
                                                 "sqlite:///f.db, postgresql://..., duckdb:///f.duckdb.")] = None,
    table: Annotated[str | None, typer.Option(help="Table to read with --from-sql.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report what would happen; "
                                          "write nothing.")] = False,
    errors: Annotated[Path | None, typer.Option("--errors", help="CSV of failed rows: row, line, field, message, "
                                                "then the row's cells (fix it and import it again).")] = None,
    results: Annotated[Path | None, typer.Option("--results", help="CSV of every row with its outcome and "
                                                 "Scoro id.")] = None,
    encoding: Annotated[str, typer.Option(help="File encoding.")] = "utf-8",
    delimiter: Annotated[str | None, typer.Option(help="Cell delimiter (default: detected from the header "
                                                  "among , ; tab |).")] = None,
    empty: Annotated[str, typer.Option(help="skip: empty cells are not sent; null: they clear the field.")] = "skip",
    skip_unknown_columns: Annotated[bool, typer.Option("--skip-unknown-columns", help="Leave out columns that are "
                                                       "not fields instead of stopping.")] = False,
    journal_dir: Annotated[Path | None, typer.Option(help="Where resume journals live (default "
                                                     ".scorolink/imports).")] = None,
    restart: Annotated[bool, typer.Option("--restart", help="Forget an earlier run of this same import and "
                                          "send every row again.")] = False,
    workers: Annotated[int, typer.Option(help="Rows written at the same time, within the rate limit; 1 keeps "
                                         "strict row order.")] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
    csv_escape: CsvEscapeOption = None,
) -> None:
    """Import a CSV file or a database table into Scoro: insert, update, upsert or delete, rows checked
    against the catalog first, failed rows reported while the others go through, reruns resumed."""
    from scorolink.transfer.importer import ImportOptions, run_import
    from scorolink.transfer.journal import default_journal_dir
    from scorolink.transfer.mapping import load_mapping
    from scorolink.transfer.progress import TransferProgress
    from scorolink.transfer.sources import open_source

    nested_files = {}
    for item in nested or []:
        name, sep, path = item.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise ConfigError(f"--nested {item!r}: write FIELD=FILE, e.g. --nested Lines=invoice_lines.csv.")
        nested_files[name.strip()] = Path(path.strip())
    options = ImportOptions(mode=mode, key=key, mapping=load_mapping(mapping), nested_files=nested_files,
                            dry_run=dry_run, errors_path=errors, results_path=results, empty=empty,
                            skip_unknown=skip_unknown_columns, journal_dir=journal_dir or default_journal_dir(),
                            restart=restart, workers=workers)
    source = open_source(file, from_sql=from_sql, table=table, encoding=encoding, delimiter=delimiter,
                         csv_escape=csv_escape)
    with ctx.obj.open() as session:
        with TransferProgress(err, f"{'check' if dry_run else mode} {obj}", disable=as_json) as bar:
            summary = run_import(session.connector, obj, source, options,
                                 lambda s: bar.update(s.rows, s.failed, s.requests))
    if as_json:
        emit_json(summary.as_dict())
    else:
        _report(summary)
    if summary.failed or summary.stopped:
        raise typer.Exit(1)


def _report(s: ImportSummary) -> None:
    for note in s.notes:
        err.print(note, style="dim")
    row = {"object": s.object, "rows": s.rows, "inserted": s.inserted, "updated": s.updated, "deleted": s.deleted,
           "failed": s.failed, "done earlier": s.already_done, "requests": s.requests, "seconds": s.seconds}
    output.print_table([row], title=f"{'Dry run: would' if s.dry_run else 'Did'} {s.mode} from {s.source}")
    if s.already_done:
        err.print(f"{s.already_done} row(s) were finished by an earlier run of this import (journal {s.journal}); "
                  "pass --restart to send them again.", highlight=False)
    if s.failed:
        where = f"; details in {s.errors_file}" if s.errors_file else "; --errors FILE.csv writes every one"
        err.print(Text(f"{s.failed} row(s) failed", style="red"), end="")
        err.print(f"{where}:" if s.failures else f"{where}.")
        for failure in s.failures:
            err.print(f"  {failure}")
        if s.failed > len(s.failures):
            err.print(f"  … and {s.failed - len(s.failures)} more")
    if s.stopped:
        err.print(Text("Stopped early:", style="red"), f"{s.stopped}. Run the same command again to continue.")
