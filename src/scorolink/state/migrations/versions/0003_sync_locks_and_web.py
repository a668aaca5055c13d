"""The sync's run lock (sync_locks: one run of a sync pair at a time across workers) and the dashboard's
tables (web_users, web_settings, web_audit). Each is created only when missing, so a database whose
dashboard tables were made before this revision keeps them with their rows.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _tables() -> dict[str, list[Any]]:
    dt = sa.DateTime
    return {
        "sync_locks": [
            sa.Column("job", sa.String(200), primary_key=True),
            sa.Column("owner", sa.String(200), nullable=False),
            sa.Column("until", dt(), nullable=False),
        ],
        "web_users": [
            sa.Column("username", sa.String(100), primary_key=True),
            sa.Column("password_hash", sa.Text, nullable=False),
            sa.Column("changed_at", dt(), nullable=False),
        ],
        "web_settings": [
            sa.Column("name", sa.String(100), primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
        ],
        "web_audit": [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("at", dt(), nullable=False),
            sa.Column("actor", sa.String(100), nullable=False),
            sa.Column("action", sa.String(100), nullable=False),
            sa.Column("target", sa.String(400), nullable=False),
            sa.Column("detail", sa.JSON),
        ],
    }


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name, columns in _tables().items():
        if name not in existing:
            op.create_table(name, *columns)

