"""`scorolink query "SQL"`: live SQL over Scoro (or over a replication mirror with --replica)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from scorolink import output
from scorolink.commands.common import CsvEscapeOption, emit_json, err

app = typer.Typer()


def _unique(columns: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for c in columns:
        seen[c] = seen.get(c, 0) + 1
        out.append(c if seen[c] == 1 else f"{c}_{seen[c]}")
    return out


def _print(columns: list[str], rows: list[tuple[Any, ...]], fmt: str, csv_escape: bool | None = None) -> None:
    if fmt == "json":
        names = _unique(columns)
        emit_json([dict(zip(names, row, strict=True)) for row in rows])
    elif fmt == "csv":
        writer = output.CsvWriter(sys.stdout, csv_escape)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(row)
    elif rows:  # no rows: the count on stderr says so
        names = _unique(columns)
        output.print_table([dict(zip(names, row, strict=True)) for row in rows])


@app.command("query")
def query_cmd(
    ctx: typer.Context,
    sql: Annotated[str, typer.Argument(metavar="SQL", help="One SELECT, INSERT, UPDATE or DELETE over Scoro "
                                       "objects by their canonical names (case-insensitive).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Print the plan (pushed and local conditions, "
                                          "expected requests) without running it.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Allow an UPDATE or DELETE that touches more than "
                                      "one row.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ignore cached results and do not store this "
                                           "one.")] = False,
    cache_ttl: Annotated[float, typer.Option(help="Seconds a SELECT result is reused.")] = 300,
    replica: Annotated[str | None, typer.Option("--replica", help="Run on a mirror made by `scorolink replicate` "
                                                "(e.g. sqlite:///scoro.db) instead of the live API.")] = None,
    lookup_limit: Annotated[int, typer.Option(help="Most join keys fetched by key before a join reads the "
                                              "inner object by one scan instead.")] = 50,
    csv_escape: CsvEscapeOption = None,
) -> None:
    """Query and change Scoro with SQL. Conditions Scoro filters natively go to the API, the rest of the
    statement (joins, GROUP BY, ORDER BY, subqueries) runs locally in SQLite.

    \b
    scorolink query "SELECT Id, DocumentNumber, Sum FROM Invoices WHERE Date >= '2024-01-01'"
    scorolink query "SELECT c.Name, SUM(i.Sum) FROM Invoices i JOIN Companies c ON c.Id = i.CompanyId GROUP BY 1"
    scorolink query "UPDATE Tasks SET IsCompleted = 1 WHERE ProjectId = 7" --yes
    """
    from scorolink.query.cache import FileCache
    from scorolink.query.engine import QueryEngine

    fmt = "json" if as_json else fmt
    if fmt not in ("table", "csv", "json"):
        raise typer.BadParameter("use table, csv or json", param_hint="--format")
    cache = FileCache(ttl=cache_ttl)
    if replica is not None:
        engine = QueryEngine(replica=replica, cache=cache, lookup_limit=lookup_limit)
        _run(engine, sql, fmt, explain, yes, no_cache, csv_escape)
        return
    with ctx.obj.open() as session:
        engine = QueryEngine(session.connector, cache=cache, lookup_limit=lookup_limit)
        _run(engine, sql, fmt, explain, yes, no_cache, csv_escape)


WARN_REQUESTS = 100  # a statement expected to cost more requests is announced before it is sent


def _warn_cost(engine: Any) -> Any:
    """What to do once a statement is planned, before it is sent: say so when it costs many requests
    (`Id IN` with 399 values: one request per value, as Scoro filters one value at a time), with what
    makes them up. Planning once for both keeps the requests planning sends counted with the rest."""
    if engine.replica is not None:
        return None

    def warn(info: dict[str, Any]) -> None:
        if info.get("minimum_requests", 0) > WARN_REQUESTS:
            why = "; ".join(f"{o['ref']}: {o['expected_requests']}" for o in info["objects"])
            err.print(f"[yellow]This statement needs at least {info['minimum_requests']} requests[/yellow] ({why}). "
                      "A scan of the object may cost fewer; see --explain.", highlight=False)

    return warn


def _run(engine: Any, sql: str, fmt: str, explain: bool, yes: bool, no_cache: bool,
         csv_escape: bool | None = None) -> None:
    from scorolink.query.explain import render

    if explain:
        info = engine.explain(sql)
        if fmt == "json":
            emit_json(info)
        else:
            typer.echo(render(info))
        return
    result = engine.execute(sql, confirm=yes, use_cache=not no_cache, on_plan=_warn_cost(engine))
    if result.columns:
        _print(result.columns, result.rows, fmt, csv_escape)
    written = sql.lstrip()[:6].lower() in ("insert", "update", "delete")
    what = f"{result.rowcount} row(s){' written' if written else ''}"
    source = "cache" if result.cached else f"{result.requests} request(s)"
    err.print(f"{what}, {source}", style="dim")
