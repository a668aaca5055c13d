"""Credentials per Scoro account: the key becomes (account, integration, tenant), so two Scoro accounts
connected to one integration never share a token set. Rows stored before keep their secret and get the
account '' (not yet claimed): the `default` account, or a named one whose settings name that tenant,
claims one on first use (clients/oauth.py DatabaseTokenStore).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table and a copy: changing a primary key in place is not portable (SQLite cannot).
    op.create_table(
        "credentials_v5",
        sa.Column("account", sa.String(200), primary_key=True),
        sa.Column("integration", sa.String(50), primary_key=True),
        sa.Column("tenant", sa.String(200), primary_key=True),
        sa.Column("secret", sa.Text, nullable=False),  # Fernet token of the JSON credential
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.execute("INSERT INTO credentials_v5 (account, integration, tenant, secret, updated_at) "
               "SELECT '', integration, tenant, secret, updated_at FROM credentials")
    op.drop_table("credentials")
    op.rename_table("credentials_v5", "credentials")
