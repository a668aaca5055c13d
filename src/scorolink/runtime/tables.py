"""The runtime's state: connections, jobs, runs and their log, as SQLAlchemy Core tables.

The same tables serve SQLite (the single-machine default) and PostgreSQL (Celery workers at scale).
Datetimes are stored as naive UTC and handed back timezone-aware (state/types.py), so comparisons in SQL
mean the same on both engines. The schema's history is in state/migrations: a change here needs a
revision there.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from scorolink.state.types import UTCDateTime

metadata = MetaData()

# One row per connection (one account of one system). The lease makes it the unit of concurrency:
# at most one active run per connection, so per-account rate limits hold across workers.
connections = Table(
    "runtime_connections", metadata,
    Column("name", String(200), primary_key=True),
    Column("lease_owner", String(200)),
    Column("lease_run_id", Integer),
    Column("lease_until", UTCDateTime()),
    Column("not_before", UTCDateTime()),  # paused until (Retry-After, spent daily quota)
    Column("pause_reason", Text),
)

jobs = Table(
    "runtime_jobs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("operation", String(50), nullable=False),
    Column("connection", String(200), nullable=False),
    Column("params", JSON, nullable=False),
    Column("schedule_kind", String(20), nullable=False),  # interval|hourly|daily|weekly|cron|manual
    Column("schedule_expr", String(200), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("next_run_at", UTCDateTime()),
    Column("source", String(20), nullable=False, default="cli"),  # cli | config (scorolink.toml)
    Column("created_at", UTCDateTime(), nullable=False),
)

runs = Table(
    "runtime_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", Integer, ForeignKey("runtime_jobs.id", ondelete="CASCADE"), nullable=False),
    Column("operation", String(50), nullable=False),
    Column("connection", String(200), nullable=False),
    Column("params", JSON, nullable=False),
    Column("trigger", String(20), nullable=False),  # scheduled | manual
    # The due time this run was created for: unique per job, so two dispatchers cannot both claim it.
    Column("due_at", UTCDateTime(), nullable=False),
    Column("state", String(20), nullable=False),  # queued|running|succeeded|failed|partially_failed
    Column("queued_at", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime()),
    Column("finished_at", UTCDateTime()),
    Column("handed_at", UTCDateTime()),  # last hand-off to a worker (re-handed when it goes stale)
    Column("not_before", UTCDateTime()),
    Column("lease_owner", String(200)),
    Column("lease_until", UTCDateTime()),
    Column("attempt", Integer, nullable=False, default=0),  # claims, takeovers included
    Column("slices", Integer, nullable=False, default=0),
    Column("checkpoint", JSON),
    Column("counts", JSON),
    Column("requests", Integer, nullable=False, default=0),
    Column("error", Text),
    UniqueConstraint("job_id", "due_at", name="uq_runtime_runs_job_due"),
    Index("ix_runtime_runs_state", "state"),
)

run_log = Table(
    "runtime_run_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runtime_runs.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("level", String(10), nullable=False),
    Column("message", Text, nullable=False),
)

ACTIVE_STATES = ("queued", "running")
FINAL_STATES = ("succeeded", "failed", "partially_failed")
