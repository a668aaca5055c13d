"""Scale-out: the same runs as Celery tasks (Redis broker, PostgreSQL state).

`scorolink beat` sends `scorolink.dispatch_due` every tick; that task creates due runs in the state
database and sends one `scorolink.execute_run` per run. Delivery is at least once (acks_late, and a
lost worker's message is redelivered); a duplicate finds its run claimed and returns at once. A
worker killed mid-slice leaves its run's lease to expire, and the next dispatch hands the run to
another worker, which resumes it from its checkpoint. Results are not kept: state lives in the state
database.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery

from scorolink.runtime.settings import RuntimeSettings, load_runtime_settings

log = logging.getLogger(__name__)


def create_app(settings: RuntimeSettings, config_file: str | None = None, *, allow_sandbox: bool = False) -> Celery:
    app = Celery("scorolink", broker=settings.broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": 1800},
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        # No task time limit: a slice ends at an object-group boundary once its budget is spent, and one
        # object's full read may outlast any fixed limit (a kill would restart it from scratch). Hung
        # requests are bounded by the client's timeout; a redelivery after the visibility timeout finds
        # the run's lease alive (heartbeat) and returns at once.
        timezone="UTC",
        worker_hijack_root_logger=False,
        beat_schedule={"dispatch-due": {"task": "scorolink.dispatch_due", "schedule": settings.tick_seconds}},
    )
    app.conf.scorolink_settings = settings
    app.conf.scorolink_config = config_file
    app.conf.scorolink_allow_sandbox = allow_sandbox
    _register(app)
    return app


_stores: dict[str, Any] = {}


def _store(url: str) -> Any:
    from scorolink.runtime.store import StateStore

    if url not in _stores:  # one engine per process (each forked pool child builds its own)
        _stores[url] = StateStore(url)
    return _stores[url]


def _register(app: Celery) -> None:
    # Not shared: each app (one per settings) keeps its own tasks reading its own settings.
    @app.task(name="scorolink.dispatch_due", ignore_result=True, shared=False)
    def dispatch_due_task() -> list[int]:
        from scorolink.runtime.api import dispatch_due
        from scorolink.runtime.store import SystemClock

        settings: RuntimeSettings = app.conf.scorolink_settings
        handed = dispatch_due(_store(settings.state), SystemClock().now(), rehand_seconds=settings.rehand_seconds)
        for run_id in handed:
            app.send_task("scorolink.execute_run", args=[run_id])
        return handed

    @app.task(name="scorolink.execute_run", ignore_result=True, shared=False)
    def execute_run_task(run_id: int) -> str:
        from scorolink.runtime.api import execute_run
        from scorolink.runtime.connections import ConfiguredConnections

        settings: RuntimeSettings = app.conf.scorolink_settings
        conns = ConfiguredConnections(app.conf.scorolink_config, max_retry_wait=settings.max_retry_wait,
                                     allow_sandbox=app.conf.scorolink_allow_sandbox)
        outcome = execute_run(_store(settings.state), run_id, conns, budget=settings.budget,
                              lease_seconds=settings.lease_seconds)
        log.info("run %s: %s (%s)", run_id, outcome.status, outcome.state)
        if outcome.status == "requeued":
            app.send_task("scorolink.execute_run", args=[run_id])  # the next slice, behind other work
        return outcome.status


def _default_app() -> Celery:
    config = os.environ.get("SCOROLINK_CONFIG")
    settings, _jobs = load_runtime_settings(config)
    return create_app(settings, config)


def __getattr__(name: str) -> Any:
    # `celery -A scorolink.runtime.celery_app worker` finds `app` here (built on first use, from
    # SCOROLINK_CONFIG / scorolink.toml / environment); `scorolink worker` builds the same with create_app.
    if name == "app":
        globals()["app"] = _default_app()
        return globals()["app"]
    raise AttributeError(name)
