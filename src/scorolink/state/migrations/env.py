"""Alembic's entry point for scorolink's state database. It runs only on a connection handed over by
scorolink.state.migrate (programmatic use): there is no alembic.ini to point at a database."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite",
                  transaction_per_migration=False)
with context.begin_transaction():  # inside the caller's transaction: one commit for the whole upgrade
    context.run_migrations()
