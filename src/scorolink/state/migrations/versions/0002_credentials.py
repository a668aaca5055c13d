"""Stored credentials (OAuth token sets), encrypted, one row per (integration, tenant).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credentials",
        sa.Column("integration", sa.String(50), primary_key=True),
        sa.Column("tenant", sa.String(200), primary_key=True),
        sa.Column("secret", sa.Text, nullable=False),  # Fernet token of the JSON credential
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
