"""Replication and jobs: mirrors and their destinations, jobs with schedules (add, pause, resume, run
now, remove), run history, and one run's live progress pushed over server-sent events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from scorolink import output
from scorolink.errors import ConfigError, ScorolinkError
from scorolink.replicate.introspect import mirror_tables
from scorolink.runtime import jobs as runtime_jobs
from scorolink.runtime.jobs import param_value  # the CLI's --param KEY=VALUE reading
from scorolink.runtime.operations import OPERATIONS, load_integrations
from scorolink.runtime.params import MODELS
from scorolink.runtime.tables import FINAL_STATES
from scorolink.saved_connections import list_connections
from scorolink.web import params_form
from scorolink.web.context import web_of

DEFAULT_MIRROR = "sqlite:///scoro.db"
EVENT_POLL_SECONDS = 0.5  # how often the event stream looks at the run in the state database


def mirrors(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The destinations replicate jobs write to, with the jobs that write each."""
    found: dict[str, list[str]] = {}
    for job in jobs:
        if job["operation"] == "replicate":
            found.setdefault(str(job["params"].get("to") or DEFAULT_MIRROR), []).append(job["name"])
    rows: list[dict[str, Any]] = []
    for url, names in sorted(found.items()):
        if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
            rows.append({"url": url, "jobs": names, "tables": "not created yet"})
            continue
        try:
            tables: int | str = len(mirror_tables(url, None))
        except Exception as exc:  # not created yet, or unreachable: say so on the page
            tables = f"not readable yet ({type(exc).__name__})"
        rows.append({"url": url, "jobs": names, "tables": tables})
    return rows


def _params(form: Any, operation: str) -> dict[str, Any]:
    """The operation's settings from its model's fields, then any KEY=VALUE lines (as `--param`)."""
    model = MODELS.get(operation)
    params: dict[str, Any] = params_form.read(model, operation, form) if model else {}
    for line in str(form.get("params") or "").splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"Setting {line.strip()!r}: write one KEY=VALUE a line, e.g. naming=snake.")
        params[key.strip()] = param_value(value.strip())
    return params


def _jobs_context(request: Request) -> dict[str, Any]:
    web = web_of(request)
    rows = runtime_jobs.list_jobs(web.store)
    load_integrations()
    operations = sorted(set(OPERATIONS) | set(MODELS))
    return {"jobs": rows, "mirrors": mirrors(rows), "operations": operations,
            "models": {op: params_form.fields_of(MODELS[op]) for op in operations if op in MODELS},
            "field_name": params_form.field_name,
            "connections": [c["name"] for c in list_connections(web.config_file)]}


async def jobs_page(request: Request) -> Response:
    web = web_of(request)
    return web.render(request, "jobs.html", form={}, **_jobs_context(request))


async def job_add(request: Request) -> Response:
    web = web_of(request)
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in form.keys() if k != "csrf_token"}
    values.setdefault("operation", "replicate")
    try:
        params = _params(form, values["operation"] or "replicate")
        job = runtime_jobs.add_job(web.store, values.get("name", ""), operation=values["operation"] or "replicate",
                                   connection=values.get("connection") or "default",
                                   schedule=values.get("schedule", ""),
                                   params=params, now=web.now(), source="web")
    except ScorolinkError as exc:
        return web.render(request, "jobs.html", status=400, form=values, error=str(exc), **_jobs_context(request))
    web.audit(request, "job added", job["name"], {"operation": job["operation"], "connection": job["connection"],
                                                  "schedule": job["schedule"], "params": params})
    return web.redirect(request, "/jobs", f"Added job {job['name']}: {job['schedule']}.")


async def job_action(request: Request) -> Response:
    web = web_of(request)
    name, action = request.path_params["name"], request.path_params["action"]
    now = web.now()
    if action == "run-now":
        run_id = runtime_jobs.run_now(web.store, name, now)
        web.audit(request, "job run now", name, {"run": run_id})
        web.wake()
        return web.redirect(request, f"/runs/{run_id}", f"Queued run {run_id} of {name}.")
    if action in ("pause", "resume"):
        runtime_jobs.set_enabled(web.store, name, action == "resume", now)
        web.audit(request, f"job {action}d", name)
        if action == "resume":
            web.wake()  # a resumed job may be due already
        return web.redirect(request, "/jobs", f"{name}: {action}d.")
    if action == "remove":
        if runtime_jobs.get_job(web.store, name)["source"] == "config":
            raise ConfigError(f"Job {name!r} is declared under [jobs.{name}] in scorolink.toml; remove it there.")
        runtime_jobs.remove_job(web.store, name)
        web.audit(request, "job removed", name)
        return web.redirect(request, "/jobs", f"Removed job {name}.")
    return web.render(request, "error.html", status=404, message=f"No job action {action!r}.")


async def runs_page(request: Request) -> Response:
    web = web_of(request)
    job = request.query_params.get("job") or None
    return web.render(request, "runs.html", runs=runtime_jobs.list_runs(web.store, job, 100), job=job)


def snapshot(run: dict[str, Any]) -> dict[str, Any]:
    """What the live view shows of a run: its state, counts, requests and the objects done so far."""
    checkpoint = run.get("checkpoint") or {}
    done = checkpoint.get("done") or {}
    remaining = checkpoint.get("remaining") or []
    return {"id": run["id"], "state": run["state"], "slices": run["slices"], "requests": run["requests"],
            "started_at": output.cell(run["started_at"]), "finished_at": output.cell(run["finished_at"]),
            "error": run["error"], "counts": run["counts"] or {},
            "objects_done": len(done), "objects_total": len(done) + len(remaining),
            "done": [{"object": name, **result} for name, result in done.items()],
            "final": run["state"] in FINAL_STATES}


def result_context(run: dict[str, Any]) -> dict[str, Any]:
    """An integration's sync run: its panel, the run in words, and its result once it has one (the view
    the operation kept in the checkpoint). Other runs have none."""
    from scorolink.integrations.panel import panel_for_operation
    from scorolink.web.pages.integrations import describe_run, page_url

    panel = panel_for_operation(run["operation"])
    if panel is None:
        return {"panel": None}
    params = run["params"] or {}
    view = (run.get("checkpoint") or {}).get("view") if run["state"] in FINAL_STATES else None
    return {"panel": panel, "what": describe_run(params), "view": view, "connection": run["connection"],
            "page_url": page_url(panel, run["connection"])}


async def run_page(request: Request) -> Response:
    web = web_of(request)
    run = runtime_jobs.get_run(web.store, int(request.path_params["run"]))
    return web.render(request, "run.html", run=run, snap=snapshot(run), **result_context(run))


async def run_result(request: Request) -> Response:
    """The result part of an integration run's page, fetched by run.js when the run ends."""
    web = web_of(request)
    run = runtime_jobs.get_run(web.store, int(request.path_params["run"]))
    context = result_context(run)
    if context["panel"] is None or context["view"] is None:
        raise ConfigError(f"Run {run['id']} has no sync result (yet): it is {run['state']}.")
    return web.render(request, "sync_view.html", **context)


async def run_events(request: Request) -> Response:
    """Server-sent events: a `progress` event whenever the run changes, a `log` event per new log line,
    and `end` once it has finished. The stream reads the state database, so it follows a run whichever
    process executes it (`scorolink serve`, a Celery worker)."""
    web = web_of(request)
    run_id = int(request.path_params["run"])
    runtime_jobs.get_run(web.store, run_id)  # an unknown run is a 400 page, not an empty stream
    try:  # log lines the page already shows
        after = max(0, int(request.query_params.get("after") or 0))
    except ValueError:
        after = 0

    async def events() -> AsyncIterator[str]:
        last, sent_lines = None, after
        while True:
            run = await run_in_threadpool(runtime_jobs.get_run, web.store, run_id)
            for line in run["log"][sent_lines:]:
                yield _event("log", {"at": output.cell(line["at"]), "level": line["level"], "message": line["message"]})
            sent_lines = len(run["log"])
            snap = snapshot(run)
            if snap != last:
                yield _event("progress", snap)
                last = snap
            if snap["final"]:
                yield _event("end", {"state": snap["state"]})
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(EVENT_POLL_SECONDS)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _event(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, default=str)}\n\n"


routes = [
    Route("/jobs", jobs_page, methods=["GET"]),
    Route("/jobs", job_add, methods=["POST"]),
    Route("/jobs/{name}/{action}", job_action, methods=["POST"]),
    Route("/runs", runs_page, methods=["GET"]),
    Route("/runs/{run:int}", run_page, methods=["GET"]),
    Route("/runs/{run:int}/events", run_events, methods=["GET"]),
    Route("/runs/{run:int}/result", run_result, methods=["GET"]),
]
