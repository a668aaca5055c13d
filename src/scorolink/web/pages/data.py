"""Data: the catalog (objects, fields, filters, operations), a record browser through the connector,
the SQL console (live API or a mirror, with the plan `--explain` prints) and the mirror's ERD."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from scorolink import output
from scorolink.catalog.describe import describe_object, object_summary
from scorolink.catalog.scoro import CATALOG
from scorolink.connectors.base import parse_condition
from scorolink.errors import ScorolinkError, UnknownName
from scorolink.runtime import jobs as runtime_jobs
from scorolink.saved_connections import list_connections
from scorolink.web.context import web_of
from scorolink.web.pages.jobs import DEFAULT_MIRROR, mirrors

BROWSE_LIMIT = 100
SQL_ROW_LIMIT = 500


def _connection_names(request: Request) -> list[str]:
    return [c["name"] for c in list_connections(web_of(request).config_file)]


async def objects_page(request: Request) -> Response:
    return web_of(request).render(request, "objects.html", objects=[object_summary(spec) for spec in CATALOG])


async def object_page(request: Request) -> Response:
    name = request.path_params["name"]
    spec = CATALOG.get(name)
    if spec is None:
        raise UnknownName("object", name, CATALOG.names())
    return web_of(request).render(request, "object.html", info=describe_object(spec))


def _table(records: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    columns: list[str] = []
    for record in records:
        columns += [k for k in record if k not in columns]
    return columns, [[output.cell(r.get(c)) for c in columns] for r in records]


async def records_page(request: Request) -> Response:
    """GET with the filters in the address, so a filtered view can be bookmarked and nothing changes."""
    web = web_of(request)
    q = request.query_params
    form = {"connection": q.get("connection") or "default", "object": q.get("object") or "",
            "where": q.get("where") or "", "columns": q.get("columns") or "",
            "limit": q.get("limit") or "50"}
    context: dict[str, Any] = {"form": form, "connections": _connection_names(request),
                               "objects": [s.name for s in CATALOG]}
    if form["object"]:
        try:
            limit = max(1, min(int(form["limit"]), BROWSE_LIMIT))
        except ValueError:
            limit = 50
        try:
            conditions = [parse_condition(w) for w in form["where"].splitlines() if w.strip()]
            cols = [c.strip() for c in form["columns"].split(",") if c.strip()] or None

            def read() -> tuple[list[dict[str, Any]], int]:
                with web.connections().open(form["connection"]) as conn:
                    rows = list(conn.connector.read(form["object"], conditions, columns=cols, limit=limit))
                    return rows, conn.client.stats.total

            records, requests = await run_in_threadpool(read)
            columns, rows = _table(records)
            context.update(columns=columns, rows=rows, requests=requests, shown=len(rows))
        except ScorolinkError as exc:
            context["error"] = str(exc)
    return web.render(request, "records.html", status=400 if "error" in context else 200, **context)


def _sources(request: Request) -> list[str]:
    web = web_of(request)
    found = [m["url"] for m in mirrors(runtime_jobs.list_jobs(web.store))]
    return found or [DEFAULT_MIRROR]


async def sql_page(request: Request) -> Response:
    web = web_of(request)
    form = {"sql": request.query_params.get("sql") or "SELECT Id, ProjectName FROM Projects LIMIT 10",
            "source": request.query_params.get("source") or "live", "connection": "default",
            "mirror": request.query_params.get("mirror") or _sources(request)[0]}
    return web.render(request, "sql.html", form=form, connections=_connection_names(request),
                      mirrors=_sources(request))


async def sql_run(request: Request) -> Response:
    """POST: a statement may write (INSERT, UPDATE, DELETE), as `scorolink query` may."""
    from scorolink.query.cache import FileCache
    from scorolink.query.engine import QueryEngine
    from scorolink.query.explain import render

    web = web_of(request)
    data = await request.form()
    form = {k: str(data.get(k) or "").strip() for k in ("sql", "source", "connection", "mirror")}
    explain_only = bool(data.get("explain_only"))
    confirm = bool(data.get("confirm"))
    context: dict[str, Any] = {"form": form, "connections": _connection_names(request), "mirrors": _sources(request),
                               "explain_only": explain_only, "confirm": confirm}

    def run(engine: Any) -> None:
        context["plan"] = render(engine.explain(form["sql"]))
        if explain_only:
            return
        result = engine.execute(form["sql"], confirm=confirm)
        rows = result.rows[:SQL_ROW_LIMIT]
        context.update(columns=result.columns, rows=[[output.cell(v) for v in row] for row in rows],
                       rowcount=result.rowcount, total=len(result.rows), requests=result.requests,
                       cached=result.cached)

    def go() -> None:
        cache = FileCache()
        if form["source"] == "mirror":
            run(QueryEngine(replica=form["mirror"] or DEFAULT_MIRROR, cache=cache))
            return
        with web.connections().open(form["connection"] or "default") as conn:
            run(QueryEngine(conn.connector, cache=cache))

    try:
        await run_in_threadpool(go)
    except ScorolinkError as exc:
        context["error"] = str(exc)
    if form["sql"].lstrip()[:6].lower() in ("insert", "update", "delete") and not explain_only:
        web.audit(request, "sql write", form["connection"] if form["source"] != "mirror" else form["mirror"],
                  {"sql": form["sql"], "rows": context.get("rowcount"), "error": context.get("error")})
    return web.render(request, "sql.html", status=400 if "error" in context else 200, **context)


async def erd_page(request: Request) -> Response:
    from scorolink.replicate.erd import render_erd
    from scorolink.replicate.introspect import mirror_tables

    web = web_of(request)
    db = request.query_params.get("db") or None
    columns = request.query_params.get("columns") or "keys"
    objects = [o.strip() for o in (request.query_params.get("objects") or "").split(",") if o.strip()] or None
    context: dict[str, Any] = {"db": db or "", "columns": columns, "objects": ",".join(objects or []),
                               "mirrors": _sources(request)}
    try:
        tables = await run_in_threadpool(mirror_tables, db, objects)
        context.update(svg=render_erd(tables, "svg", columns="all" if columns == "all" else "keys"),
                       count=len(tables))
    except ScorolinkError as exc:
        context["error"] = str(exc)
    return web.render(request, "erd.html", status=400 if "error" in context else 200, **context)


routes = [
    Route("/data/objects", objects_page, methods=["GET"]),
    Route("/data/objects/{name}", object_page, methods=["GET"]),
    Route("/data/records", records_page, methods=["GET"]),
    Route("/data/sql", sql_page, methods=["GET"]),
    Route("/data/sql", sql_run, methods=["POST"]),
    Route("/data/erd", erd_page, methods=["GET"]),
]
