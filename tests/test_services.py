"""The test run's own PostgreSQL server (tests/services.py): reachable, real, one database per test."""

from __future__ import annotations

import psycopg
import pytest

from tests.services import PostgresServer, create_database, drop_database


def test_postgres_url_is_a_real_postgres_database(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        version = conn.execute("SHOW server_version").fetchone()
        assert version is not None and version[0][:1].isdigit()
        conn.execute("CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL)")
        conn.execute("INSERT INTO items (id, name) VALUES (%s, %s)", (1, "first ✓"))
        conn.commit()
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT id, name FROM items").fetchall() == [(1, "first ✓")]


def test_postgres_url_databases_are_isolated(postgres_server: PostgresServer, postgres_url: str) -> None:
    other_url = create_database(postgres_server, "isolation_other")
    try:
        assert other_url != postgres_url
        with psycopg.connect(postgres_url) as conn:
            conn.execute("CREATE TABLE only_here (x integer)")
            conn.execute("INSERT INTO only_here VALUES (1)")
            conn.commit()
            db = conn.execute("SELECT current_database()").fetchone()
        with psycopg.connect(other_url) as other:
            assert other.execute("SELECT current_database()").fetchone() == ("isolation_other",)
            assert other.execute("SELECT current_database()").fetchone() != db
            with pytest.raises(psycopg.errors.UndefinedTable):
                other.execute("SELECT * FROM only_here")
    finally:
        drop_database(postgres_server, "isolation_other")
