"""Two-way sync between Scoro objects and database tables (SQLite, PostgreSQL, DuckDB): `scorolink dbsync`."""
