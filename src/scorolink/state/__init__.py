"""The state database: opening it, its shared column types, and its migrations (Alembic)."""
