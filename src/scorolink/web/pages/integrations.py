"""Integrations: one settings page per integration, drawn from its description (integrations/panel.py)
— connecting through the OAuth redirect, the connection's health and currency check, categories,
automatic or manual mode, defaults and tax map, "Synchronize now" (a runtime job, followed live),
a dry-run preview, one category or one record synced by hand, and the record errors with retry and
dismiss. Every button calls what the integration's CLI calls."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from scorolink.clients.oauth import pkce_challenge
from scorolink.errors import ConfigError, ScorolinkError
from scorolink.integrations.panel import Panel, available, panel_of
from scorolink.runtime import jobs as runtime_jobs
from scorolink.runtime.connections import DEFAULT_CONNECTION, ConfiguredConnections, system_tables
from scorolink.runtime.jobs import JobError
from scorolink.runtime.params import MODELS
from scorolink.runtime.schedules import parse_schedule
from scorolink.web import sign_ins
from scorolink.web.context import Web, web_of

MANUAL = "manual"
SYNC, BACKGROUND = "sync", "background"  # the parts of an integration with a schedule of their own


def _panel(request: Request) -> Panel:
    return panel_of(request.path_params["name"])


def _connection(request: Request, form: Any = None) -> str:
    value = (form.get("connection") if form is not None else None) or request.query_params.get("connection")
    return str(value or DEFAULT_CONNECTION).strip() or DEFAULT_CONNECTION


def _flags(web: Web, panel: Panel, connection: str) -> dict[str, Any]:
    """The integration's settings a Scoro connection carries ([connections.NAME.<integration>])."""
    tables = ConfiguredConnections(web.config_file).tables
    return system_tables(connection, tables.get(connection, {})).get(panel.name, {})


def page_url(panel: Panel, connection: str, anchor: str = "") -> str:
    query = "" if connection == DEFAULT_CONNECTION else f"?connection={connection}"
    return f"/integrations/{panel.name}{query}{anchor}"


def _parts(panel: Panel) -> list[tuple[str, str, tuple[str, ...]]]:
    """What has a schedule of its own: the sync, and background items where the integration has them."""
    parts = [(SYNC, "Synchronization", panel.schedules.automatic)]
    if panel.schedules.background:
        parts.append((BACKGROUND, "Background items", panel.schedules.background))
    return parts


def _job_name(panel: Panel, connection: str, part: str) -> str:
    return panel.job_name(connection, part)


def _job(web: Web, panel: Panel, connection: str, part: str = "sync") -> dict[str, Any] | None:
    try:
        return runtime_jobs.get_job(web.store, _job_name(panel, connection, part))
    except JobError:
        return None


def _schedule_text(panel: Panel, job: dict[str, Any], choices: tuple[str, ...]) -> str:
    """The choice a job's schedule was made from (as the page offers them), else the runtime's words."""
    for choice in choices:
        parsed = parse_schedule(panel.runtime_schedule(choice))
        if (parsed.kind, parsed.expr) == (job["schedule_kind"], job["schedule_expr"]):
            return choice
    return str(job["schedule"])


def _context(request: Request, panel: Panel, connection: str) -> dict[str, Any]:
    web = web_of(request)

    def status() -> dict[str, Any]:
        with panel.open(web.config_file, _flags(web, panel, connection), connection) as session:
            return panel.status(session)

    try:
        state = status()
    except ScorolinkError as exc:
        state = {"connected": False, "problem": str(exc)}
    parts = []
    for part, label, choices in _parts(panel):
        job = _job(web, panel, connection, part)
        if job is not None:
            job["schedule_text"] = _schedule_text(panel, job, choices)
        mode = MANUAL if job is None or job["schedule_kind"] == MANUAL or not job["enabled"] else "automatic"
        parts.append((part, label, choices, mode, job))
    return {"panel": panel, "connection": connection, "connections": ConfiguredConnections(web.config_file).names(),
            "parts": parts, "background": [c.name for c in panel.categories if c.background],
            "state": state, "current": panel.current(web.config_file, connection),
            "locked": panel.locked(web.store, web.config_file, connection),
            "check": request.scope["session"].pop("check", None), "now": web.now(),
            "errors_open": len(panel.errors(web.store, web.config_file, connection)),
            "page_url": page_url(panel, connection)}


async def integrations_page(request: Request) -> Response:
    web = web_of(request)
    return web.render(request, "integrations.html", integrations=available())


async def settings_page(request: Request) -> Response:
    web = web_of(request)
    panel = _panel(request)
    context = await run_in_threadpool(_context, request, panel, _connection(request))
    return web.render(request, "integration.html", **context)


async def _form(request: Request) -> Any:
    return await request.form()


# -- connecting: the OAuth redirect and its callback ----------------------------------------
async def connect(request: Request) -> Response:
    """Start a sign-in: the browser goes to the provider's authorize page and comes back to the
    callback with a code (PKCE). The sign-in under way is kept in the state database for ten minutes,
    bound to this session, so whichever dashboard process gets the callback can finish it."""
    web, panel = web_of(request), _panel(request)
    form = await _form(request)
    connection, tenant = _connection(request, form), str(form.get("tenant") or "").strip() or None
    redirect_uri = str(request.url_for("integration_callback", name=panel.name))
    pending = sign_ins.start(web.store, web.now(), integration=panel.name, connection=connection, tenant=tenant,
                             redirect_uri=redirect_uri, session_token=request.scope["session"]["csrf"])

    def start() -> str:
        with panel.open(web.config_file, _flags(web, panel, connection), connection) as session:
            return panel.authorize(session, state=pending.state, redirect_uri=redirect_uri,
                                   code_challenge=pkce_challenge(pending.verifier), tenant=tenant)

    target = await run_in_threadpool(start)
    web.audit(request, "integration sign-in started", f"{panel.name}:{connection}", {"tenant": tenant})
    return RedirectResponse(target, status_code=303)


async def callback(request: Request) -> Response:
    """The redirect back from the provider: the state must be one this session started, not used yet and
    not expired; the code is exchanged (PKCE), the tokens stored encrypted (never shown), the
    organisation checked."""
    web, panel = web_of(request), _panel(request)
    q = request.query_params
    try:
        pending = sign_ins.take(web.store, web.now(), str(q.get("state") or ""), integration=panel.name,
                                title=panel.title, session_token=request.scope["session"]["csrf"])
    except ConfigError as exc:
        web.audit(request, "integration sign-in refused", panel.name, {"reason": str(exc)})
        raise
    connection = pending.connection
    if q.get("error"):
        web.audit(request, "integration sign-in refused", f"{panel.name}:{connection}", {"error": q.get("error")})
        raise ConfigError(f"{panel.title} refused the connection: {q.get('error')} "
                          f"{q.get('error_description') or ''}".strip() + ". Press Connect to try again.")

    def finish() -> dict[str, Any]:
        with web.connections().open(connection) as scoro, \
                panel.open(web.config_file, scoro.system(panel.name), connection) as s:
            panel.finish_sign_in(s, code=str(q.get("code") or ""), redirect_uri=pending.redirect_uri,
                                 code_verifier=pending.verifier, tenant=pending.tenant, callback=dict(q),
                                 scoro=scoro.connector, state=web.store)
            return {"status": panel.status(s), "check": panel.check(s, scoro.connector)}

    done = await run_in_threadpool(finish)
    status = done["status"]
    web.audit(request, "integration connected", f"{panel.name}:{connection}",
              {"tenant": status.get("tenant_id"), "organisation": done["check"].get("organisation")})
    request.scope["session"]["check"] = _storable(done["check"])
    return web.redirect(request, page_url(panel, connection),
                        f"Connected {panel.title}: {status.get('tenant_name') or status.get('tenant_id')}.")


def _storable(check: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in check.items() if isinstance(v, (str, bool, int, type(None)))}


async def check(request: Request) -> Response:
    web, panel = web_of(request), _panel(request)
    connection = _connection(request, await _form(request))

    def go() -> dict[str, Any]:
        with web.connections().open(connection) as scoro, panel.open(web.config_file, scoro.system(panel.name), connection) as s:
            return panel.check(s, scoro.connector)

    try:
        result = await run_in_threadpool(go)
    except ScorolinkError as exc:
        result = {"ok": False, "error": str(exc)}
    web.audit(request, "integration checked", f"{panel.name}:{connection}", {"ok": result.get("ok"),
                                                                             "currencies": result.get("currencies_ok")})
    request.scope["session"]["check"] = _storable(result)
    return web.redirect(request, page_url(panel, connection, "#connection"))


# -- settings ---------------------------------------------------------------------------------
async def save_settings(request: Request) -> Response:
    web, panel = web_of(request), _panel(request)
    form = await _form(request)
    connection = _connection(request, form)
    current = panel.current(web.config_file, connection)["categories"]
    categories: dict[str, dict[str, Any]] = {}
    for category in panel.categories:
        if category.follows:
            continue
        name = category.name
        values: dict[str, Any] = {"enabled": form.get(f"{name}.enabled") == "on"}
        direction = str(form.get(f"{name}.direction") or "")
        if direction and direction != current[name]["direction"]:
            values["direction"] = direction
        if f"{name}.start_date" in form:  # a locked date's field is disabled, so it is not sent
            values["start_date"] = str(form.get(f"{name}.start_date") or "").strip()
        if category.bookmark:
            values["bookmark"] = str(form.get(f"{name}.bookmark") or "").strip()
        categories[name] = values
    settings = {s.name: form.get(s.name) == "on" if s.flag else str(form.get(s.name) or "").strip() or None
                for s in panel.settings}
    tax_map = [line.strip() for line in str(form.get("tax_map") or "").splitlines() if line.strip()]
    tax_map_remove = [str(code) for code in form.getlist("tax_map_remove") if str(code)]
    try:
        changed = panel.save(web.config_file, connection, categories, settings, tax_map,
                             panel.locked(web.store, web.config_file, connection), tax_map_remove)
    except ScorolinkError as exc:
        context = await run_in_threadpool(_context, request, panel, connection)
        return web.render(request, "integration.html", status=400, error=str(exc), **context)
    web.audit(request, "integration configured", f"{panel.name}:{connection}",
              {"categories": categories, "settings": settings, "tax_map": tax_map, "tax_map_remove": tax_map_remove}
              if changed else {"changed": False})
    return web.redirect(request, page_url(panel, connection, "#categories"),
                        "Settings saved." if changed else "Nothing changed.")


async def save_schedule(request: Request) -> Response:
    """Automatic mode is the integration's sync job on one of its schedules; manual mode keeps the job
    (for "Synchronize now") with the `manual` schedule — `scorolink jobs add … --replace`. Background
    items, where the integration has them, are a second job on their own schedule."""
    web, panel = web_of(request), _panel(request)
    form = await _form(request)
    connection = _connection(request, form)
    modes: dict[str, str] = {}
    for part, label, choices in _parts(panel):
        if f"{part}.mode" not in form:
            continue
        mode = str(form.get(f"{part}.mode"))
        schedule = str(form.get(f"{part}.schedule") or choices[0]) if mode == "automatic" else MANUAL
        if mode == "automatic" and schedule not in choices:
            raise ConfigError(f"{label} schedule {schedule!r}: {panel.title} runs automatically "
                              f"{' or '.join(choices)}.")
        modes[part] = schedule
    if not modes:
        raise ConfigError("Choose automatic or manual mode.")
    panel.mode_saved(web.config_file, connection, modes)  # refused there before any job changes
    said = []
    for part, label, _choices in _parts(panel):
        if part in modes:
            job = _ensure_job(web, panel, connection, part, modes[part])
            web.audit(request, "integration schedule set", job["name"], {"schedule": modes[part]})
            said.append(f"{label.lower()} {'manual' if modes[part] == MANUAL else 'automatic, ' + modes[part]}")
    return web.redirect(request, page_url(panel, connection, "#mode"), f"{panel.title}: {'; '.join(said)}.")


def _ensure_job(web: Web, panel: Panel, connection: str, part: str, schedule: str | None) -> dict[str, Any]:
    """The integration's sync job (or background-items job) for this connection, its parameters checked
    by the operation's model; `schedule` None keeps the job's schedule, or makes a manual job."""
    existing = _job(web, panel, connection, part)
    if existing is not None and schedule is None:
        return existing
    values: dict[str, Any] = {"config": web.config_file} if web.config_file else {}
    values.update(panel.job_params(part))
    params = MODELS[panel.operation].parse(values)
    return runtime_jobs.add_job(web.store, _job_name(panel, connection, part), operation=panel.operation,
                                connection=connection,
                                schedule=panel.runtime_schedule(schedule) if schedule else MANUAL,
                                params=params.model_dump(exclude_defaults=True), now=web.now(), source="web",
                                replace=True)


# -- syncing ----------------------------------------------------------------------------------
async def sync_now(request: Request) -> Response:
    """Every enabled category, as a run of the integration's job: the run page follows it live."""
    return await _queue(request, {}, "synchronizing now")


async def sync_here(request: Request) -> Response:
    """A dry-run preview, one category (the row's arrow), the background items, or one record (send by
    id): a run of the integration's job with those settings for that run only — `scorolink jobs run-now
    JOB --param dry_run=true --param record=…`, the same as `xero sync [--dry-run] [--category C]
    [--object R]`. The request only queues it; the run page follows it live and shows its result."""
    form = await _form(request)
    dry_run = form.get("dry_run") == "1"
    only = [str(c) for c in form.getlist("category") if str(c)]
    record = str(form.get("record") or "").strip() or None
    overrides: dict[str, Any] = {"dry_run": True} if dry_run else {}
    if only:
        overrides["categories"] = only
    if record:
        overrides["record"] = record
    return await _queue(request, overrides, describe_run(overrides))


async def _queue(request: Request, overrides: dict[str, Any], what: str) -> Response:
    web, panel = web_of(request), _panel(request)
    connection = _connection(request, await _form(request))
    try:
        job = _ensure_job(web, panel, connection, SYNC, None)
        run_id = runtime_jobs.run_now(web.store, job["name"], web.now(), overrides or None)
    except ScorolinkError as exc:
        web.audit(request, f"integration {what} refused", f"{panel.name}:{connection}", {"error": str(exc)})
        context = await run_in_threadpool(_context, request, panel, connection)
        return web.render(request, "integration.html", status=400, error=str(exc), **context)
    web.audit(request, "integration sync now" if not overrides else f"integration {what}", job["name"],
              {"run": run_id, **overrides})
    web.wake()
    said = f"{panel.title} {what}" if overrides else f"synchronizing {panel.title} now"
    return web.redirect(request, f"/runs/{run_id}", f"Queued run {run_id}: {said}.")


def describe_run(params: dict[str, Any]) -> str:
    """A sync run's settings in words: "preview of contacts", "sync of record invoices:42"."""
    categories = params.get("categories") or []
    return (("preview" if params.get("dry_run") else "sync")
            + (f" of {', '.join(categories)}" if categories else "")
            + (f" of record {params['record']}" if params.get("record") else ""))


# -- record errors ----------------------------------------------------------------------------
async def errors_page(request: Request) -> Response:
    web, panel = web_of(request), _panel(request)
    connection = _connection(request)
    rows = await run_in_threadpool(panel.errors, web.store, web.config_file, connection)
    return web.render(request, "integration_errors.html", panel=panel, rows=rows, connection=connection,
                      page_url=page_url(panel, connection))


async def error_action(request: Request) -> Response:
    web, panel = web_of(request), _panel(request)
    form = await _form(request)
    error_id, action = int(request.path_params["id"]), request.path_params["action"]
    if action not in ("retry", "dismiss"):
        raise ConfigError(f"No error action {action!r}: retry or dismiss.")
    getattr(panel, action)(web.store, error_id)
    web.audit(request, f"integration error {action}", f"{panel.name}:{error_id}")
    message = (f"Error {error_id} dismissed: that record is no longer retried." if action == "dismiss" else
               f"Error {error_id}: its record is planned again on the next sync run.")
    query = "" if _connection(request, form) == DEFAULT_CONNECTION else f"?connection={_connection(request, form)}"
    return web.redirect(request, f"/integrations/{panel.name}/errors{query}", message)


routes = [
    Route("/integrations", integrations_page, methods=["GET"]),
    Route("/integrations/{name}", settings_page, methods=["GET"]),
    Route("/integrations/{name}/connect", connect, methods=["POST"]),
    Route("/integrations/{name}/callback", callback, methods=["GET"], name="integration_callback"),
    Route("/integrations/{name}/check", check, methods=["POST"]),
    Route("/integrations/{name}/settings", save_settings, methods=["POST"]),
    Route("/integrations/{name}/schedule", save_schedule, methods=["POST"]),
    Route("/integrations/{name}/sync-now", sync_now, methods=["POST"]),
    Route("/integrations/{name}/sync", sync_here, methods=["POST"]),
    Route("/integrations/{name}/errors", errors_page, methods=["GET"]),
    Route("/integrations/{name}/errors/{id:int}/{action}", error_action, methods=["POST"]),
]

