"""Jobs in the state database: add, list, pause, resume, remove, run now; runs and their log; jobs
declared in scorolink.toml kept in step with the file."""

from __future__ import annotations

import difflib
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from scorolink.errors import ConfigError, ScorolinkError
from scorolink.runtime.operations import check_params
from scorolink.runtime.schedules import Schedule, parse_schedule
from scorolink.runtime.store import StateStore
from scorolink.runtime.tables import ACTIVE_STATES, connections, jobs, run_log, runs


class JobError(ScorolinkError):
    exit_code = 2


def ensure_connection(c: Connection, name: str) -> None:
    dialect_insert = pg_insert if c.dialect.name == "postgresql" else sqlite_insert
    c.execute(dialect_insert(connections).values(name=name).on_conflict_do_nothing(index_elements=["name"]))


def add_job(store: StateStore, name: str, *, operation: str, connection: str, schedule: Schedule | str,
            params: dict[str, Any], now: datetime, source: str = "cli", replace: bool = False) -> dict[str, Any]:
    if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise JobError(f"Job name {name!r}: use letters, digits, '-', '_' or '.'.")
    check_params(operation, params)
    sched = parse_schedule(schedule) if isinstance(schedule, str) else schedule
    values = {"name": name, "operation": operation, "connection": connection, "params": params,
              "schedule_kind": sched.kind, "schedule_expr": sched.expr, "source": source}
    with store.begin() as c:
        ensure_connection(c, connection)
        existing = c.execute(select(jobs).where(jobs.c.name == name)).one_or_none()
        if existing is not None and not replace:
            raise JobError(f"Job {name!r} exists already; remove it first (`scorolink jobs remove {name}`) or "
                           "pick another name.")
        if existing is None:
            c.execute(insert(jobs).values(**values, enabled=True, created_at=now,
                                          next_run_at=sched.next_after(now, now)))
        elif (existing.schedule_kind, existing.schedule_expr) != (sched.kind, sched.expr):
            c.execute(update(jobs).where(jobs.c.id == existing.id).values(
                **values, created_at=now, next_run_at=sched.next_after(now, now) if existing.enabled else None))
        else:
            c.execute(update(jobs).where(jobs.c.id == existing.id).values(**values))
    return get_job(store, name)


def insert_run(c: Connection, job: Any, trigger: str, due_at: datetime, now: datetime,
               params: dict[str, Any] | None = None) -> int:
    """Queue a run of `job` (a row with id, operation, connection, params) and log that it was queued;
    `params`, when given, are this run's settings instead of the job's."""
    ensure_connection(c, job.connection)
    result = c.execute(insert(runs).values(
        job_id=job.id, operation=job.operation, connection=job.connection,
        params=job.params if params is None else params, trigger=trigger,
        due_at=due_at, state="queued", queued_at=now, attempt=0, slices=0, requests=0))
    run_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    c.execute(insert(run_log).values(run_id=run_id, at=now, level="info",
                                     message=f"queued ({trigger}, due {due_at.isoformat()})"))
    return run_id


def get_job(store: StateStore, name: str) -> dict[str, Any]:
    with store.begin() as c:
        row = c.execute(select(jobs).where(jobs.c.name == name)).one_or_none()
        if row is None:
            names = c.execute(select(jobs.c.name)).scalars().all()
            close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise JobError(f"Unknown job {name!r}.{hint} `scorolink jobs list` shows the jobs; "
                           "`scorolink jobs add` adds one.")
    return _job_dict(row)


def list_jobs(store: StateStore) -> list[dict[str, Any]]:
    with store.begin() as c:
        rows = c.execute(select(jobs).order_by(jobs.c.name)).all()
        last = {r.job_id: r for r in c.execute(
            select(runs.c.job_id, runs.c.id, runs.c.state, runs.c.finished_at)
            .where(runs.c.id.in_(select(func.max(runs.c.id)).group_by(runs.c.job_id)))).all()}
    out = []
    for row in rows:
        job = _job_dict(row)
        r = last.get(row.id)
        job.update(last_run=r.id if r else None, last_state=r.state if r else None)
        out.append(job)
    return out


def set_enabled(store: StateStore, name: str, enabled: bool, now: datetime) -> dict[str, Any]:
    job = get_job(store, name)
    sched = Schedule(job["schedule_kind"], job["schedule_expr"])
    with store.begin() as c:
        c.execute(update(jobs).where(jobs.c.name == name).values(
            enabled=enabled, next_run_at=sched.next_after(now, job["created_at"]) if enabled else None))
    return get_job(store, name)


def remove_job(store: StateStore, name: str) -> None:
    job = get_job(store, name)
    with store.begin() as c:
        run_ids = select(runs.c.id).where(runs.c.job_id == job["id"])
        c.execute(delete(run_log).where(run_log.c.run_id.in_(run_ids)))
        c.execute(delete(runs).where(runs.c.job_id == job["id"]))
        c.execute(delete(jobs).where(jobs.c.id == job["id"]))


def run_now(store: StateStore, name: str, now: datetime, params: dict[str, Any] | None = None) -> int:
    """Queue a manual run (the dispatcher hands it to a worker on its next tick). `params` change settings
    for this run only (a dry run, one record): merged over the job's, checked by the operation's model."""
    job = get_job(store, name)
    merged = None if not params else {**job["params"], **params}
    if merged is not None:
        check_params(job["operation"], merged)
    with store.begin() as c:
        active = c.execute(select(runs.c.id).where(runs.c.job_id == job["id"], runs.c.state.in_(ACTIVE_STATES))
                           ).scalar()
        if active is not None:
            raise JobError(f"Job {name!r} already has run {active} queued or running; see `scorolink runs show "
                           f"{active}`.")
        row = c.execute(select(jobs).where(jobs.c.id == job["id"])).one()
        return insert_run(c, row, "manual", now, now, merged)


def list_runs(store: StateStore, job: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    query = select(runs, jobs.c.name.label("job")).join(jobs, jobs.c.id == runs.c.job_id)
    if job is not None:
        query = query.where(runs.c.job_id == get_job(store, job)["id"])
    with store.begin() as c:
        rows = c.execute(query.order_by(runs.c.id.desc()).limit(limit)).all()
    return [_run_dict(r) for r in rows]


def get_run(store: StateStore, run_id: int) -> dict[str, Any]:
    with store.begin() as c:
        row = c.execute(select(runs, jobs.c.name.label("job")).join(jobs, jobs.c.id == runs.c.job_id)
                        .where(runs.c.id == run_id)).one_or_none()
        if row is None:
            raise JobError(f"No run {run_id}; list runs with `scorolink runs`.")
        lines = c.execute(select(run_log).where(run_log.c.run_id == run_id).order_by(run_log.c.id)).all()
    run = _run_dict(row)
    run["checkpoint"] = row.checkpoint
    run["params"] = row.params  # this run's settings (a one-off run's may differ from its job's)
    run["log"] = [{"at": ln.at, "level": ln.level, "message": ln.message} for ln in lines]
    return run


def connection_state(store: StateStore, name: str) -> dict[str, Any]:
    with store.begin() as c:
        row = c.execute(select(connections).where(connections.c.name == name)).one_or_none()
    if row is None:
        raise JobError(f"No connection {name!r} in the state database.")
    return dict(row._mapping)


def sync_config_jobs(store: StateStore, table: dict[str, Any], now: datetime) -> list[str]:
    """Make the jobs declared under [jobs.NAME] in scorolink.toml exist as declared; jobs that came from
    the file and are gone from it are removed. Returns the names declared."""
    declared = []
    for name, spec in table.items():
        if not isinstance(spec, dict):
            raise ConfigError(f"[jobs.{name}] in scorolink.toml must be a table.")
        spec = dict(spec)
        operation = spec.pop("operation", "replicate")
        connection = spec.pop("connection", "default")
        schedule = spec.pop("schedule", None)
        if not schedule:
            raise ConfigError(f"[jobs.{name}] in scorolink.toml has no schedule, e.g. schedule = \"every 5m\".")
        enabled = spec.pop("enabled", True)
        try:
            add_job(store, name, operation=operation, connection=connection, schedule=str(schedule), params=spec,
                    now=now, source="config", replace=True)
        except ConfigError as exc:
            raise ConfigError(f"[jobs.{name}] in scorolink.toml: {exc}") from exc
        if get_job(store, name)["enabled"] != bool(enabled):
            set_enabled(store, name, bool(enabled), now)
        declared.append(name)
    with store.begin() as c:
        stale = c.execute(select(jobs.c.name).where(jobs.c.source == "config", jobs.c.name.not_in(declared))
                          ).scalars().all()
    for name in stale:
        remove_job(store, name)
    return declared


def _job_dict(row: Any) -> dict[str, Any]:
    job = dict(row._mapping)
    job["schedule"] = Schedule(row.schedule_kind, row.schedule_expr).describe()
    return job


def _run_dict(row: Any) -> dict[str, Any]:
    m = row._mapping
    keys = ("id", "job", "operation", "connection", "trigger", "state", "due_at", "queued_at", "started_at",
            "finished_at", "slices", "attempt", "requests", "counts", "error", "not_before")
    return {k: m[k] for k in keys}


def param_value(text: str) -> Any:
    """A job parameter given as text (`--param KEY=VALUE`, the dashboard's form): true/false, a number,
    or the text itself."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
