"""Bring the destination's tables to the shape the catalog asks for, before any row moves.

Everything is checked first (settings the mirror was made with, primary keys of existing
tables) and refused with one message listing what is wrong; only then are tables created,
columns added and types widened, in one transaction. Columns are never dropped or narrowed:
a field that disappears from the API keeps its column and its history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scorolink.errors import ConfigError
from scorolink.replicate import state
from scorolink.replicate.destination import Destination, widest
from scorolink.replicate.schema import MirrorOptions, Table

# Settings that change table shapes: a mirror keeps the ones it was made with.
_SHAPING = ("naming", "nested", "schema")


@dataclass
class SchemaChanges:
    created: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)  # "Table.Column"
    widened: list[str] = field(default_factory=list)  # "Table.Column old→new"
    # Existing SQLite tables made again with the foreign-key constraints --foreign-keys asks for.
    foreign_keys_added: list[str] = field(default_factory=list)


def prepare(dest: Destination, tables: list[Table], options: MirrorOptions) -> tuple[dict[str, dict[str, str]],
                                                                                    SchemaChanges]:
    """Check, then create and evolve. Returns the effective column types per table."""
    if options.foreign_keys and not dest.supports_foreign_keys:
        raise ConfigError(f"--foreign-keys is not available for {dest.scheme} destinations (DuckDB cannot update "
                          "a row that a foreign key references). Leave it off; the relation columns are still "
                          "there and `scorolink erd` still draws them.")
    existing_tables = dest.tables()
    stored = state.read_settings(dest) if state.SETTINGS in existing_tables else {}
    wanted = {"naming": options.naming, "nested": options.nested, "schema": options.schema}
    clashes = [f"--{k} {stored[k]} (this run asks for {wanted[k]})" for k in _SHAPING
               if k in stored and stored[k] != wanted[k]]
    if clashes:
        raise ConfigError(f"The mirror at {dest.url} was made with {', '.join(clashes)}. Run with the same "
                          "options, or replicate into a new database.")
    current = {t.name: dest.columns(t.name) for t in tables if t.name in existing_tables}
    problems = []
    for t in tables:
        if t.name not in current:
            continue
        pk = dest.primary_key(t.name)
        if tuple(c.lower() for c in pk) != tuple(c.lower() for c in t.primary_key):
            problems.append(f"table {t.name} exists with primary key ({', '.join(pk) or 'none'}), "
                            f"not ({', '.join(t.primary_key)})")
    if problems:
        raise ConfigError("The destination has tables scorolink cannot use: " + "; ".join(problems)
                          + ". Rename or drop them, or replicate into another database or schema. Nothing was written.")
    changes = SchemaChanges()
    types: dict[str, dict[str, str]] = {}
    dest.prepare_writes()
    with dest.transaction():
        state.ensure_tables(dest)
        for t in tables:
            if t.name not in current:
                dest.create_table(t, options.foreign_keys)
                changes.created.append(t.name)
                types[t.name] = {c.name: c.type for c in t.columns}
            else:
                types[t.name] = _evolve(dest, t, current[t.name], changes)
                if options.foreign_keys and t.foreign_keys and dest.inline_foreign_keys:
                    missing = dest.missing_foreign_keys(t)
                    if missing:
                        dest.add_foreign_keys_by_rebuild(t, missing)
                        changes.foreign_keys_added.append(t.name)
            dest.create_indexes(t)
        if options.foreign_keys and not dest.inline_foreign_keys:
            for t in tables:
                dest.drop_foreign_keys(t.name)  # re-added NOT VALID by finish(); see PostgresDestination
        state.write_settings(dest, {**wanted, "include_binary": str(options.include_binary).lower(),
                                    "foreign_keys": str(options.foreign_keys).lower()})
    return types, changes


def _evolve(dest: Destination, table: Table, existing: dict[str, str], changes: SchemaChanges) -> dict[str, str]:
    lowered = {name.lower(): name for name in existing}
    types: dict[str, str] = {}
    for col in table.columns:
        have = lowered.get(col.name.lower())
        if have is None:
            dest.add_column(table.name, col)
            changes.added.append(f"{table.name}.{col.name}")
            types[col.name] = col.type
            continue
        old = dest.logical_type(existing[have])
        new = widest(old, col.type)
        if new != old and dest.widen_column(table.name, have, new):
            changes.widened.append(f"{table.name}.{have} {old}→{new}")
        types[col.name] = new
    return types


def finish(dest: Destination, tables: list[Table], options: MirrorOptions) -> None:
    """After the load: declare PostgreSQL's foreign keys again (NOT VALID, so never checked)."""
    if options.foreign_keys and not dest.inline_foreign_keys:
        with dest.transaction():
            for t in tables:
                dest.drop_foreign_keys(t.name)
                dest.add_foreign_keys(t)
