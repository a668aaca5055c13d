"""The state schema as it was before migrations (commit e26aa0a): the runtime's and the sync's tables.

Databases made then already hold some or all of these tables (made by create_all, without an
alembic_version): each table is created only when it is missing, so such a database is adopted with
its rows as they are.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables() -> dict[str, tuple[list[Any], list[tuple[str, list[str]]]]]:
    """Each table: its columns and constraints, and its indexes (name, columns)."""
    dt = sa.DateTime
    return {
        "runtime_connections": ([
            sa.Column("name", sa.String(200), primary_key=True),
            sa.Column("lease_owner", sa.String(200)),
            sa.Column("lease_run_id", sa.Integer),
            sa.Column("lease_until", dt()),
            sa.Column("not_before", dt()),
            sa.Column("pause_reason", sa.Text),
        ], []),
        "runtime_jobs": ([
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("name", sa.String(200), nullable=False, unique=True),
            sa.Column("operation", sa.String(50), nullable=False),
            sa.Column("connection", sa.String(200), nullable=False),
            sa.Column("params", sa.JSON, nullable=False),
            sa.Column("schedule_kind", sa.String(20), nullable=False),
            sa.Column("schedule_expr", sa.String(200), nullable=False),
            sa.Column("enabled", sa.Boolean, nullable=False),
            sa.Column("next_run_at", dt()),
            sa.Column("source", sa.String(20), nullable=False),
            sa.Column("created_at", dt(), nullable=False),
        ], []),
        "runtime_runs": ([
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("job_id", sa.Integer, sa.ForeignKey("runtime_jobs.id", ondelete="CASCADE"), nullable=False),
            sa.Column("operation", sa.String(50), nullable=False),
            sa.Column("connection", sa.String(200), nullable=False),
            sa.Column("params", sa.JSON, nullable=False),
            sa.Column("trigger", sa.String(20), nullable=False),
            sa.Column("due_at", dt(), nullable=False),
            sa.Column("state", sa.String(20), nullable=False),
            sa.Column("queued_at", dt(), nullable=False),
            sa.Column("started_at", dt()),
            sa.Column("finished_at", dt()),
            sa.Column("handed_at", dt()),
            sa.Column("not_before", dt()),
            sa.Column("lease_owner", sa.String(200)),
            sa.Column("lease_until", dt()),
            sa.Column("attempt", sa.Integer, nullable=False),
            sa.Column("slices", sa.Integer, nullable=False),
            sa.Column("checkpoint", sa.JSON),
            sa.Column("counts", sa.JSON),
            sa.Column("requests", sa.Integer, nullable=False),
            sa.Column("error", sa.Text),
            sa.UniqueConstraint("job_id", "due_at", name="uq_runtime_runs_job_due"),
        ], [("ix_runtime_runs_state", ["state"])]),
        "runtime_run_log": ([
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("run_id", sa.Integer, sa.ForeignKey("runtime_runs.id", ondelete="CASCADE"), nullable=False),
            sa.Column("at", dt(), nullable=False),
            sa.Column("level", sa.String(10), nullable=False),
            sa.Column("message", sa.Text, nullable=False),
        ], [("ix_runtime_run_log_run_id", ["run_id"])]),
        "sync_links": ([
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("job", sa.String(200), nullable=False),
            sa.Column("category", sa.String(50), nullable=False),
            sa.Column("a_id", sa.String(100)),
            sa.Column("b_id", sa.String(100)),
            sa.Column("a_version", sa.String(100)),
            sa.Column("b_version", sa.String(100)),
            sa.Column("a_hash", sa.String(64)),
            sa.Column("b_hash", sa.String(64)),
            sa.Column("base", sa.JSON),
            sa.Column("state", sa.String(20), nullable=False),
            sa.Column("last_synced_at", dt()),
            sa.Column("last_run_id", sa.Integer),
            sa.UniqueConstraint("job", "category", "a_id", name="sync_links_a"),
            sa.UniqueConstraint("job", "category", "b_id", name="sync_links_b"),
        ], []),
        "sync_cursors": ([
            sa.Column("job", sa.String(200), primary_key=True),
            sa.Column("side", sa.String(1), primary_key=True),
            sa.Column("category", sa.String(50), primary_key=True),
            sa.Column("value", dt()),
            sa.Column("updated_at", dt()),
        ], []),
        "sync_runs": ([
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("job", sa.String(200), nullable=False),
            sa.Column("dry_run", sa.Boolean, nullable=False),
            sa.Column("state", sa.String(20), nullable=False),
            sa.Column("started_at", dt(), nullable=False),
            sa.Column("finished_at", dt()),
            sa.Column("stats", sa.JSON),
            sa.Column("message", sa.Text),
        ], []),
        "sync_outbox": ([
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("run_id", sa.Integer, nullable=False),
            sa.Column("job", sa.String(200), nullable=False),
            sa.Column("category", sa.String(50), nullable=False),
            sa.Column("seq", sa.Integer, nullable=False),
            sa.Column("target", sa.String(1), nullable=False),
            sa.Column("op", sa.String(10), nullable=False),
            sa.Column("source_id", sa.String(100)),
            sa.Column("target_id", sa.String(100)),
            sa.Column("link_id", sa.Integer),
            sa.Column("idem_key", sa.String(64), nullable=False, unique=True),
            sa.Column("payload", sa.JSON),
            sa.Column("shared", sa.JSON),
            sa.Column("source_version", sa.String(100)),
            sa.Column("source_hash", sa.String(64)),
            sa.Column("state", sa.String(10), nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("remote_id", sa.String(100)),
            sa.Column("last_error", sa.Text),
            sa.Column("updated_at", dt()),
        ], [("sync_outbox_open", ["job", "state"])]),
        "sync_errors": ([
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("job", sa.String(200), nullable=False),
            sa.Column("category", sa.String(50), nullable=False),
            sa.Column("side", sa.String(1), nullable=False),
            sa.Column("source_id", sa.String(100)),
            sa.Column("target_id", sa.String(100)),
            sa.Column("op", sa.String(10)),
            sa.Column("kind", sa.String(30), nullable=False),
            sa.Column("message", sa.Text, nullable=False),
            sa.Column("payload", sa.JSON),
            sa.Column("first_seen", dt(), nullable=False),
            sa.Column("last_seen", dt(), nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("resolved_at", dt()),
            sa.Column("resolution", sa.String(20)),
            sa.UniqueConstraint("job", "category", "side", "source_id", "op", name="sync_errors_record"),
        ], []),
        "sync_settings": ([
            sa.Column("job", sa.String(200), primary_key=True),
            sa.Column("key", sa.String(100), primary_key=True),
            sa.Column("value", sa.Text),
        ], []),
    }


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name, (items, indexes) in _tables().items():
        if name in existing:
            continue
        op.create_table(name, *items)
        for index, columns in indexes:
            op.create_index(index, name, columns)
