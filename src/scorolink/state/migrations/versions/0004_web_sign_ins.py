"""The dashboard's sign-ins under way (web_sign_ins): the OAuth state of a started Connect, kept in the
state database so any dashboard process sharing it can take the callback. Created only when missing.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "web_sign_ins" in set(sa.inspect(op.get_bind()).get_table_names()):
        return
    op.create_table(
        "web_sign_ins",
        sa.Column("state", sa.String(100), primary_key=True),
        sa.Column("integration", sa.String(50), nullable=False),
        sa.Column("connection", sa.String(200), nullable=False),
        sa.Column("tenant", sa.String(200)),
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
