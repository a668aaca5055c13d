"""The dashboard's tables in the runtime's state database: its users (one admin today), its settings
(the session signing key), the audit log of every change made through it or `scorolink web`, and the
sign-ins under way (web/sign_ins.py).

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

sign_ins = Table(
    "web_sign_ins", metadata,
    Column("state", String(100), primary_key=True),  # the OAuth `state` the provider hands back
    Column("integration", String(50), nullable=False),
    Column("connection", String(200), nullable=False),  # the Scoro account being connected
    Column("tenant", String(200)),  # the organisation asked for, if any
    Column("redirect_uri", Text, nullable=False),
    Column("session_hash", String(64), nullable=False),  # sha256 of the starting session's CSRF token
    Column("expires_at", UTCDateTime(), nullable=False),
)

WEB_TABLES = (users, settings, audit, sign_ins)


def ensure_tables(store: StateStore) -> None:
    metadata.create_all(store.engine, tables=list(WEB_TABLES))
