"""One dbsync run, for the CLI and the runtime alike: open the table, pair it with the Scoro object,
and let the sync engine plan and execute (links, cursors, outbox, merge and errors are the engine's).

Side a is Scoro, side b the table. The engine's state (links, cursors, outbox, errors) lives in the
state database, by job: `dbsync:<database URL without password>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select

from scorolink.catalog.model import ObjectSpec
from scorolink.errors import ConfigError
from scorolink.integrations.database.db_side import DatabaseSide
from scorolink.integrations.database.mapping import load_mapping, mapped_table
from scorolink.integrations.database.objects import DEFAULT_KEYS, resolve
from scorolink.integrations.database.scoro_side import Hooks, ScoroObjectSide
from scorolink.integrations.database.table import TableMap, default_map, ensure_tables
from scorolink.integrations.database.values import typed
from scorolink.replicate.destination import Destination, _redact, open_destination
from scorolink.sync import tables as t
from scorolink.sync.categories import PairedCategory, norm
from scorolink.sync.engine import SyncEngine, SyncResult
from scorolink.sync.model import SideRecord, WriteRequest, digest
from scorolink.sync.planner import CategorySettings
from scorolink.sync.store import SyncStore, now

CONFLICTS = {"scoro": "a_wins", "db": "b_wins", "newest": "newest", "manual": "manual"}
ON_SCORO_DELETE = ("remove", "flag")
DEFAULT_STATE = "sqlite:///.scorolink/state.db"


@dataclass
class DbSyncOptions:
    db: str
    objects: list[str]
    conflict: str = "scoro"
    mapping: str | None = None  # a mapping file binding existing tables; None: a table per object
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)  # natural key per object
    on_scoro_delete: str = "remove"
    state: str = DEFAULT_STATE
    overlap_seconds: float = 300.0

    def check(self) -> None:
        if self.conflict not in CONFLICTS:
            raise ConfigError(f"conflict {self.conflict!r}: use one of {', '.join(CONFLICTS)}.")
        if self.on_scoro_delete not in ON_SCORO_DELETE:
            raise ConfigError(f"on_scoro_delete {self.on_scoro_delete!r}: use remove or flag.")
        if not self.db:
            raise ConfigError("Name the database: --db sqlite:///file.db, postgresql://user@host/db or "
                              "duckdb:///file.duckdb (or db = ... under [dbsync] in scorolink.toml).")


def job_name(db_url: str) -> str:
    return f"dbsync:{_redact(db_url)}"


def table_maps(specs: list[ObjectSpec], options: DbSyncOptions) -> list[TableMap]:
    if options.mapping is None:
        return [default_map(s, _key(s, options)) for s in specs]
    sections = load_mapping(options.mapping)
    out = []
    for spec in specs:
        section = next((v for k, v in sections.items() if k.lower() == spec.name.lower()), None)
        if section is None:
            raise ConfigError(f"Mapping file {options.mapping} has no [{spec.name}] section; add one or leave "
                              f"{spec.name} out of the objects.")
        table = mapped_table(spec, section, f"mapping file {options.mapping}")
        if spec.name in options.keys:
            table.natural_key = options.keys[spec.name]
        out.append(table)
    return out


def _key(spec: ObjectSpec, options: DbSyncOptions) -> tuple[str, ...]:
    key = options.keys.get(spec.name, DEFAULT_KEYS.get(spec.name, ()))
    for name in key:
        if spec.field_named(name) is None:
            raise ConfigError(f"Natural key of {spec.name}: {spec.name} has no field {name!r}.")
    return tuple(spec.field_named(n).name for n in key)  # type: ignore[union-attr]


class TableSync:
    """The pieces of one run: the database, the state store and one category per object."""

    def __init__(self, connector: Any, options: DbSyncOptions, *, dry_run: bool = False) -> None:
        options.check()
        self.options = options
        self.specs = resolve(options.objects, connector.catalog)
        self.maps = table_maps(self.specs, options)
        self.job = job_name(options.db)
        _state_folder(options.state)
        self.store = SyncStore(options.state)
        try:
            self.db: Destination = open_destination(options.db)
        except ConfigError as exc:
            self.store.close()
            if options.db.startswith("duckdb") and "lock" in str(exc).lower():
                raise ConfigError(f"{exc} DuckDB allows one writing process per file: close the program holding "
                                  "it (or let the other dbsync run finish) and run again.") from exc
            raise
        self.made: list[str] = []
        try:
            for table in self.maps:
                if not dry_run:
                    self.made += ensure_tables(self.db, table)
            self.categories = [self._category(connector, spec, table) for spec, table in zip(self.specs, self.maps,
                                                                                             strict=True)]
        except BaseException:
            self.close()
            raise
        conflict = CONFLICTS[options.conflict]
        self.engine = SyncEngine(self.store, self.job, self.categories, {
            spec.name: CategorySettings(direction="both", conflict=conflict, delete="propagate",
                                        overlap_seconds=options.overlap_seconds) for spec in self.specs})

    def close(self) -> None:
        self.db.close()
        self.store.close()

    def __enter__(self) -> TableSync:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, *, dry_run: bool = False) -> SyncResult:
        result = self.engine.run(dry_run=dry_run)
        if not dry_run:
            for category, table in zip(self.categories, self.maps, strict=True):
                self._fill_ids(category.name, table)
        return result

    def _fill_ids(self, category: str, table: TableMap) -> None:
        """Rows linked by a match (no write) get their Scoro id too."""
        q, p = self.db.q, self.db.param
        with self.db.transaction():
            empty = [str(r[0]) for r in self.db.query(
                f"SELECT {q(table.key)} FROM {q(table.table)} WHERE {q(table.scoro_id)} IS NULL")]
        if not empty:
            return
        links = self.store.links(self.job, category)
        found = [(link.a_id, row) for row in empty if (link := links.get("b", row)) is not None
                 and link.state == "active" and link.a_id]
        with self.db.transaction():
            for scoro_id, row in found:
                value = typed(scoro_id, table.scoro_id_type)
                self.db.execute(f"UPDATE {q(table.table)} SET {q(table.scoro_id)} = {p} WHERE {q(table.key)} = {p}",
                                [value, typed(row, "integer")])

    # -- one object ----------------------------------------------------------------------------------
    def _category(self, connector: Any, spec: ObjectSpec, table: TableMap) -> PairedCategory:
        name = spec.name
        exists = table.table.lower() in {x.lower() for x in self.db.tables()}
        db_side = DatabaseSide(self.db, table, on_scoro_delete=self.options.on_scoro_delete,
                               links=lambda: self._linked(name, "b"), held=lambda row: self._held(name, row),
                               skip=lambda record: self._skip(name, record))
        if not exists:  # a dry run before the first: plan against an empty table
            db_side.read = lambda since: iter(())  # type: ignore[method-assign,assignment]
        hooks = Hooks(refused=lambda shared: self._remember_refusal(name, shared),
                      written=lambda written: self._written(db_side, written))
        scoro_side = ScoroObjectSide(connector, spec, table, hooks, linked=lambda: self._linked(name, "a"),
                                     planned=self._planned, seen=lambda: self.store.cursor(self.job, "a", name))
        natural = table.natural_key

        def keys(shared: dict[str, Any]) -> list[str]:
            out = [f"id:{shared['_id']}"] if shared.get("_id") not in (None, "") else []
            values = [norm(shared.get(k)) for k in natural]
            if natural and all(values):
                out.append("key:" + "|".join(values))
            return out

        def compatible(source: dict[str, Any], candidate: dict[str, Any]) -> bool:
            a, b = source.get("_id"), candidate.get("_id")
            return a in (None, "") or b in (None, "") or str(a) == str(b)

        return PairedCategory(name, scoro_side, db_side, keys, batch_size=50, compatible=compatible)

    def _linked(self, category: str, side: str) -> set[str]:
        links = self.store.links(self.job, category)
        return {i for i, link in links.by[side].items() if link.state == "active"}

    def _planned(self, refs: list[int]) -> dict[int, Any]:
        if not refs:
            return {}
        with self.store.tx() as conn:
            return {r.id: r.payload for r in conn.execute(select(t.outbox.c.id, t.outbox.c.payload).where(
                t.outbox.c.id.in_(refs)))}

    def _open_refusals(self, category: str) -> dict[str, str]:
        """Rows with a change Scoro refused (open errors on side a): row id → Scoro's message."""
        with self.store.tx() as conn:
            rows = conn.execute(select(t.errors.c.source_id, t.errors.c.message).where(and_(
                t.errors.c.job == self.job, t.errors.c.category == category, t.errors.c.side == "a",
                t.errors.c.kind == "validation", t.errors.c.resolved_at.is_(None))))
            return {r.source_id: r.message for r in rows if r.source_id is not None}

    def _held(self, category: str, row_id: str) -> str | None:
        return self._open_refusals(category).get(row_id)

    def _remember_refusal(self, category: str, shared: dict[str, Any]) -> None:
        self.store.set_setting(self.job, f"refused:{category}:{digest(shared)}", now().isoformat())

    def _skip(self, category: str, record: SideRecord) -> bool:
        """A row Scoro refused, unchanged since, waits for its retry (5 minutes, then 10, 20, ... a day)."""
        if not hasattr(self, "_refusal_cache"):
            self._refusal_cache: dict[str, tuple[dict[str, str], set[str]]] = {}
        if category not in self._refusal_cache:
            self._refusal_cache[category] = (self._open_refusals(category),
                                             set(self.store.retry_ids(self.job, category, "b")))
        refused, due = self._refusal_cache[category]
        if record.id not in refused or record.id in due:
            return False
        return self.store.setting(self.job, f"refused:{category}:{record.hash}") is not None

    def _written(self, db_side: DatabaseSide, written: list[tuple[WriteRequest, SideRecord]]) -> None:
        with self.store.tx() as conn:
            rows = {r.id: r.source_id for r in conn.execute(select(t.outbox.c.id, t.outbox.c.source_id).where(
                t.outbox.c.id.in_([request.ref for request, _ in written])))}
        db_side.write_back([(str(rows[request.ref]), record) for request, record in written
                            if rows.get(request.ref) is not None])


def _state_folder(url: str) -> None:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
