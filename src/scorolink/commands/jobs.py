"""`scorolink jobs …`, `scorolink runs …`, `scorolink serve`, `scorolink worker`, `scorolink beat`:
scheduled operations and their runs, on one machine or on Celery workers."""

from __future__ import annotations

import signal
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from scorolink import output
from scorolink.commands.common import JsonOpt, StateOpt, emit_json, err, open_state
from scorolink.errors import ConfigError

jobs_app = typer.Typer(help="Scheduled operations (replicate today; export, import and sync next).",
                       no_args_is_help=True)
runs_app = typer.Typer(help="Runs of jobs: state, times, counts, requests and log.", invoke_without_command=True)
app = typer.Typer()  # serve, worker, beat

SandboxOpt = Annotated[bool, typer.Option("--sandbox", help="Allow runs on the default connection to use the "
                                          "bundled sandbox's demo data when it has no credentials.")]


def _now() -> Any:
    from scorolink.runtime.store import SystemClock

    return SystemClock().now()


def _params(items: list[str] | None) -> dict[str, Any]:
    """`--param KEY=VALUE` options as operation settings."""
    from scorolink.runtime.jobs import param_value

    params: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param {item!r}: use KEY=VALUE, e.g. --param naming=snake.")
        params[key.strip()] = param_value(value.strip())
    return params


# -- jobs ---------------------------------------------------------------------------------------------

@jobs_app.command("add")
def jobs_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Job name (letters, digits, - _ .).")],
    schedule: Annotated[str, typer.Option("--schedule", "-s", help="'every 5m', 'hourly', 'hourly :15', "
                                          "'daily 02:30', 'weekly mon 09:00', 'cron */5 * * * *' or 'manual' (UTC).")],
    operation: Annotated[str, typer.Option(help="What the job runs: replicate or export.")] = "replicate",
    connection: Annotated[str, typer.Option(help="Connection name: 'default' (the [scoro] account, or the "
                                            "bundled sandbox) or a [connections.NAME] table.")] = "default",
    to: Annotated[str | None, typer.Option("--to", help="Where to: replicate's database URL (default "
                                      "sqlite:///scoro.db) or export's CSV file.")] = None,
    objects: Annotated[str | None, typer.Option(help="Replicate: comma-separated objects (default: all).")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="Any operation setting as KEY=VALUE "
                                                    "(e.g. naming=snake, full=true, group=2); repeatable.")] = None,
    state: StateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a job: an operation on a connection with a schedule."""
    from scorolink.runtime.jobs import add_job

    params = _params(param)
    if to:
        params["to"] = to
    if objects:
        params["objects"] = [o.strip() for o in objects.split(",") if o.strip()]
    store, _ = open_state(ctx, state)
    job = add_job(store, name, operation=operation, connection=connection, schedule=schedule, params=params,
                  now=_now())
    if as_json:
        emit_json(job)
    else:
        err.print(f"Added job {name}: {operation} on {connection}, {job['schedule']}, next run "
                  f"{job['next_run_at'] or '(manual: use `scorolink jobs run-now ' + name + '`)'}.")


@jobs_app.command("list")
def jobs_list(ctx: typer.Context, state: StateOpt = None, as_json: JsonOpt = False) -> None:
    """List jobs with their schedule, next run and last run."""
    from scorolink.runtime.jobs import list_jobs

    store, _ = open_state(ctx, state)
    rows = list_jobs(store)
    if as_json:
        emit_json(rows)
        return
    output.print_table([{"job": j["name"], "operation": j["operation"], "connection": j["connection"],
                         "schedule": j["schedule"], "enabled": "yes" if j["enabled"] else "paused",
                         "next run": j["next_run_at"] or "", "last run": j["last_run"] or "",
                         "last state": j["last_state"] or ""} for j in rows], title=f"{len(rows)} job(s)")


@jobs_app.command("run-now")
def jobs_run_now(ctx: typer.Context, job: Annotated[str, typer.Argument(help="Job name.")], state: StateOpt = None,
                 param: Annotated[list[str] | None, typer.Option(
                     "--param", "-p", help="A setting for this run only, as KEY=VALUE (e.g. dry_run=true, "
                     "record=invoices:42); repeatable. The job keeps its own.")] = None,
                 as_json: JsonOpt = False) -> None:
    """Queue a run of JOB now (a running `scorolink serve` or Celery workers pick it up)."""
    from scorolink.runtime.jobs import run_now

    store, _ = open_state(ctx, state)
    run_id = run_now(store, job, _now(), _params(param))
    if as_json:
        emit_json({"run": run_id, "job": job, "state": "queued"})
    else:
        err.print(f"Queued run {run_id} of {job}; follow it with `scorolink runs show {run_id}` (it starts when "
                  "`scorolink serve` or a worker is running; `scorolink serve --once` runs it and exits).")


def _toggle(ctx: typer.Context, job: str, state: str | None, enabled: bool) -> None:
    from scorolink.runtime.jobs import set_enabled

    store, _ = open_state(ctx, state)
    row = set_enabled(store, job, enabled, _now())
    err.print(f"{job}: {'resumed, next run ' + str(row['next_run_at']) if enabled else 'paused'}.")


@jobs_app.command("pause")
def jobs_pause(ctx: typer.Context, job: Annotated[str, typer.Argument(help="Job name.")],
               state: StateOpt = None) -> None:
    """Stop scheduling JOB (a run already going finishes)."""
    _toggle(ctx, job, state, False)


@jobs_app.command("resume")
def jobs_resume(ctx: typer.Context, job: Annotated[str, typer.Argument(help="Job name.")],
                state: StateOpt = None) -> None:
    """Schedule JOB again from now on (missed due times are not run)."""
    _toggle(ctx, job, state, True)


@jobs_app.command("remove")
def jobs_remove(ctx: typer.Context, job: Annotated[str, typer.Argument(help="Job name.")],
                state: StateOpt = None) -> None:
    """Remove JOB and its run history (jobs declared in scorolink.toml come back: edit the file)."""
    from scorolink.runtime.jobs import get_job, remove_job

    store, _ = open_state(ctx, state)
    if get_job(store, job)["source"] == "config":
        raise ConfigError(f"Job {job!r} is declared under [jobs.{job}] in scorolink.toml; remove it there.")
    remove_job(store, job)
    err.print(f"Removed job {job}.")


# -- runs ---------------------------------------------------------------------------------------------

@runs_app.callback()
def runs_list(
    ctx: typer.Context,
    job: Annotated[str | None, typer.Option("--job", help="Only this job's runs.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Newest N runs.")] = 50,
    state: StateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List runs, newest first (`scorolink runs show RUN` for one run's log)."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = ctx.find_root().obj
        return
    from scorolink.runtime.jobs import list_runs

    store, _ = open_state(ctx, state)
    rows = list_runs(store, job, limit)
    if as_json:
        emit_json(rows)
        return
    output.print_table([{"run": r["id"], "job": r["job"], "trigger": r["trigger"], "state": r["state"],
                         "due": r["due_at"], "started": r["started_at"] or "", "finished": r["finished_at"] or "",
                         "slices": r["slices"], "requests": r["requests"],
                         "rows": (r["counts"] or {}).get("rows", ""), "error": r["error"] or ""} for r in rows],
                       title=f"{len(rows)} run(s)")


@runs_app.command("show")
def runs_show(ctx: typer.Context, run: Annotated[int, typer.Argument(help="Run id.")], state: StateOpt = None,
              as_json: JsonOpt = False) -> None:
    """One run: state, times, counts, requests and its log."""
    from scorolink.runtime.jobs import get_run

    store, _ = open_state(ctx, state)
    info = get_run(store, run)
    if as_json:
        emit_json(info)
        return
    console = output.stdout_console()
    console.print(Text(f"run {info['id']}", style="bold"), f"of {info['job']} ({info['operation']} on "
                  f"{info['connection']}, {info['trigger']}):", Text(str(info["state"]), style="bold"))
    for key in ("due_at", "started_at", "finished_at", "slices", "requests", "counts", "error"):
        if info[key] not in (None, ""):
            console.print(f"  {key}: {info[key]}")
    for line in info["log"]:  # a log reads best as lines, each message whole
        console.print(f"{line['at']}  {line['level']:<5}  {line['message']}", soft_wrap=True)


# -- serve / worker / beat ----------------------------------------------------------------------------

@app.command("serve")
def serve_cmd(
    ctx: typer.Context,
    workers: Annotated[int | None, typer.Option(help="Runs at the same time ([runtime] workers, default 2).")] = None,
    tick: Annotated[float | None, typer.Option(help="Seconds between looks for due jobs (default 15).")] = None,
    once: Annotated[bool, typer.Option("--once", help="Run what is due or queued now, wait for it, and exit.")] = False,
    web: Annotated[bool, typer.Option("--web/--no-web", help="Also serve the dashboard (as `scorolink web`).")] = False,
    web_host: Annotated[str, typer.Option(help="Dashboard address with --web.")] = "127.0.0.1",
    web_port: Annotated[int, typer.Option(help="Dashboard port with --web.")] = 8080,
    state: StateOpt = None,
    sandbox: SandboxOpt = False,
) -> None:
    """Single-machine mode: an in-process scheduler and a worker pool over the state database. Jobs
    missed while it was stopped run once on start (coalesced); runs cut off are resumed."""
    from scorolink.runtime.connections import ConfiguredConnections, refuse_silent_sandbox
    from scorolink.runtime.local import LocalRunner

    config = ctx.find_root().obj.config
    refuse_silent_sandbox("serve", config, sandbox)
    store, settings = open_state(ctx, state, workers=workers, tick_seconds=tick)
    conns = ConfiguredConnections(config, max_retry_wait=settings.max_retry_wait, allow_sandbox=sandbox)
    runner = LocalRunner(store, conns, workers=settings.workers, budget=settings.budget,
                         lease_seconds=settings.lease_seconds, rehand_seconds=settings.rehand_seconds)
    if once:
        runner.run_until_idle()
        runner.stop()
        _report(runner)
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    err.print(f"scorolink serve: state {settings.state}, {settings.workers} worker(s), dispatch every "
              f"{settings.tick_seconds:g}s; Ctrl-C stops.")
    server = None
    if web:
        from scorolink.commands import web as web_command

        dashboard = web_command.web_app(ctx, store, on_queue=runner.wake)
        server, _ = web_command.start_server(dashboard, web_host, web_port)
        web_command.announce(dashboard, web_host, web_port)
    runner.start(settings.tick_seconds)
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.should_exit = True
        err.print("Stopping: waiting for running slices to checkpoint…")
        runner.stop()


def _report(runner: Any) -> None:
    for o in runner.outcomes:
        if o.status == "finished":
            err.print(f"run {o.run_id}: {o.state}")


def _celery_app(ctx: typer.Context, service: str, state: str | None, broker: str | None,
                sandbox: bool) -> tuple[Any, Any]:
    from scorolink.runtime.connections import refuse_silent_sandbox

    try:
        from scorolink.runtime.celery_app import create_app
    except ImportError as exc:
        raise ConfigError("Celery is not installed: pip install 'scorolink[celery]'.") from exc
    config = ctx.find_root().obj.config
    refuse_silent_sandbox(service, config, sandbox)
    store, settings = open_state(ctx, state, broker=broker)
    store.dispose()  # no state-database connections inherited by forked pool processes
    return create_app(settings, config, allow_sandbox=sandbox), settings


@app.command("worker")
def worker_cmd(
    ctx: typer.Context,
    concurrency: Annotated[int, typer.Option(help="Runs at the same time in this worker.")] = 2,
    pool: Annotated[str, typer.Option(help="Celery pool: prefork, threads or solo.")] = "prefork",
    broker: Annotated[str | None, typer.Option(help="Broker URL ([runtime] broker, SCOROLINK_BROKER_URL).")] = None,
    loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "info",
    state: StateOpt = None,
    sandbox: SandboxOpt = False,
) -> None:
    """Scale-out: a Celery worker that executes runs (Redis broker, PostgreSQL state)."""
    celery, settings = _celery_app(ctx, "worker", state, broker, sandbox)
    err.print(f"scorolink worker: broker {settings.broker}, state {_safe(settings.state)}")
    celery.worker_main(["worker", f"--concurrency={concurrency}", f"--pool={pool}", f"--loglevel={loglevel}",
                        "--without-gossip", "--without-mingle"])


@app.command("beat")
def beat_cmd(
    ctx: typer.Context,
    broker: Annotated[str | None, typer.Option(help="Broker URL ([runtime] broker, SCOROLINK_BROKER_URL).")] = None,
    loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "info",
    state: StateOpt = None,
    sandbox: SandboxOpt = False,
) -> None:
    """Scale-out: the Celery beat that runs the dispatcher every tick. Running two by mistake is harmless
    (due runs are claimed in the state database)."""
    celery, settings = _celery_app(ctx, "beat", state, broker, sandbox)
    err.print(f"scorolink beat: dispatching every {settings.tick_seconds:g}s via {settings.broker}")
    # Beat's own schedule file only remembers when it last sent the tick: keep it private and throwaway
    # (the job schedules live in the state database).
    with tempfile.TemporaryDirectory(prefix="scorolink-beat-") as folder:
        celery.start(["beat", f"--loglevel={loglevel}", f"--schedule={Path(folder) / 'celerybeat-schedule'}"])


def _safe(url: str) -> str:
    """A URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}@{host}"
    return url
