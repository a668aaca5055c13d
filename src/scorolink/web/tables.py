"""The dashboard's tables in the runtime's state database: its users (one admin today), its settings
(the session signing key) and the audit log of every change made through it or `scorolink web`.

They sit on the runtime's MetaData, so whatever creates or migrates the runtime tables sees them too;
`ensure_tables` creates them in a state database opened before this module was imported."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, String, Table, Text

from scorolink.runtime.store import StateStore
from scorolink.runtime.tables import UTCDateTime, metadata

users = Table(
    "web_users", metadata,
    Column("username", String(100), primary_key=True),
    Column("password_hash", Text, nullable=False),  # scrypt, see web.accounts
    Column("changed_at", UTCDateTime(), nullable=False),  # sessions older than this are signed out
)

settings = Table(
    "web_settings", metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

audit = Table(
    "web_audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(100), nullable=False),  # the signed-in user, or cli:<login> for the CLI
    Column("action", String(100), nullable=False),
    Column("target", String(400), nullable=False, default=""),
    Column("detail", JSON),  # never a secret: callers pass masked values
)

WEB_TABLES = (users, settings, audit)


def ensure_tables(store: StateStore) -> None:
    metadata.create_all(store.engine, tables=list(WEB_TABLES))
