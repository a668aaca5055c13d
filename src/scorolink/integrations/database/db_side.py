"""The table's side of a sync: rows in, rows out, on SQLite, PostgreSQL and DuckDB.

Change tracking compares each row with the link the last run left: the link keeps the hash of the
row's shared values as written or read, so a row whose values hash the same is unchanged (our own
writes included: echo-free), one that hashes differently was edited, a linked row that is gone was
deleted, and a row with no link is new. A full read of the table each run is what makes this work on
all three databases and for every tool that edits the table: a change-tracking column only moves when
the writer sets it (a spreadsheet tool or a plain UPDATE does not), misses deletes, and triggers do not
exist in DuckDB. Reading a local table of 10,000 rows takes a fraction of a second; Scoro is still read
only through its cursor. `_modified_at` (kept by a trigger where the database has them) only serves the
`newest` conflict policy. `_version`, the row's change counter, is the row's version: exact where a
timestamp to the second is not; a change is still told by the values, and identified for writing by
what was last agreed (the sync engine's link), so a value set back and forth within a second is carried.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

from scorolink.errors import InvalidInput
from scorolink.integrations.database.table import ChildMap, TableMap
from scorolink.integrations.database.values import typed
from scorolink.replicate.destination import Destination
from scorolink.sync.model import Resolver, SideRecord, WriteOutcome, WriteRequest


class DatabaseSide:
    """`links()` gives the b ids of active links (to see deleted rows); `held(row_id)` says a row has a
    change Scoro refused, which the Scoro value must not overwrite; `skip(record)` leaves a refused,
    unchanged row out until its retry is due."""

    def __init__(self, db: Destination, table: TableMap, *, on_scoro_delete: str = "remove",
                 links: Callable[[], set[str]] = set, held: Callable[[str], str | None] = lambda _r: None,
                 skip: Callable[[SideRecord], bool] = lambda _r: False) -> None:
        self.db = db
        self.table = table
        self.on_scoro_delete = on_scoro_delete
        self.links = links
        self.held = held
        self.skip = skip
        self.q = db.q

    # -- reading ------------------------------------------------------------------------------------
    def read(self, since: datetime | None) -> Iterator[SideRecord]:
        """Every row (see the module's note), and a deleted record for each linked row that is gone."""
        records = self._select()
        present = {r.id for r in records if not r.deleted}
        for record in records:
            if not self.skip(record):
                yield record
        for gone in sorted(self.links() - present):
            yield SideRecord(gone, {}, deleted=True)

    def fetch(self, ids: list[str], *, own_transaction: bool = True) -> list[SideRecord]:
        wanted = [int(i) for i in ids if str(i).lstrip("-").isdigit()] if self._int_key() else list(ids)
        if not wanted:
            return []
        return [r for r in self._select(wanted, own_transaction=own_transaction) if not r.deleted]

    def _int_key(self) -> bool:
        return True  # the default table's _row_id, and mapped tables' keys, are integers or text of digits

    def _select(self, ids: list[Any] | None = None, *, own_transaction: bool = True) -> list[SideRecord]:
        t = self.table
        where, params = "", []
        if ids is not None:
            where = f" WHERE {self.q(t.key)} IN ({', '.join([self.db.param] * len(ids))})"
            params = ids
        cols = [t.key, t.scoro_id, *(c.column for c in t.writable()),
                *([t.modified] if t.modified else []), *([t.deleted] if t.deleted else []),
                *([t.version] if t.version else [])]
        with self.db.transaction() if own_transaction else nullcontext():
            rows = self.db.query(f"SELECT {', '.join(map(self.q, cols))} FROM {self.q(t.table)}{where}", params)
            lines = {child.nested: self._lines(child, [r[0] for r in rows]) for child in t.children}
        out = []
        for row in rows:
            values = dict(zip(cols, row, strict=True))
            shared: dict[str, Any] = {c.field: _typed_or_raw(values[c.column], c.type) for c in t.writable()}
            for child in t.children:
                shared[child.nested] = lines[child.nested].get(values[t.key]) or None
            shared["_id"] = values[t.scoro_id]
            modified = typed(values.get(t.modified), "datetime") if t.modified else None
            flagged = bool(typed(values.get(t.deleted), "boolean")) if t.deleted else False
            version = str(values[t.version]) if t.version else modified.isoformat() if modified else None
            out.append(SideRecord(str(values[t.key]), shared, version=version, modified=modified, deleted=flagged,
                                  native=values))
        return out

    def _lines(self, child: ChildMap, parents: list[Any]) -> dict[Any, list[dict[str, Any]]]:
        if not parents:
            return {}
        cols = [child.parent, *(c.column for c in child.writable())]
        marks = ", ".join([self.db.param] * len(parents))
        rows = self.db.query(f"SELECT {', '.join(map(self.q, cols))} FROM {self.q(child.table)} "
                             f"WHERE {self.q(child.parent)} IN ({marks}) ORDER BY {self.q(child.parent)}, "
                             f"{self.q(child.position)}", parents)
        out: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            out[row[0]].append({c.field: _typed_or_raw(v, c.type)
                                for c, v in zip(child.writable(), row[1:], strict=True)})
        return out

    # -- writing ------------------------------------------------------------------------------------
    def build(self, shared: dict[str, Any], resolver: Resolver, current: SideRecord | None) -> dict[str, Any]:
        return {k: v for k, v in shared.items() if k != "_ro"}

    def write(self, requests: list[WriteRequest]) -> list[WriteOutcome]:
        """The batch's rows in one transaction, read back in one query before it commits: what the link
        records as agreed is what the sync wrote, never an edit another program made right after the
        commit (that edit stays a change, and the next run carries it)."""
        outcomes: dict[int, WriteOutcome] = {}
        rows: dict[int, Any] = {}
        with self.db.transaction():
            for request in requests:
                if request.op == "update" and (reason := self.held(str(request.target_id))):
                    outcomes[request.ref] = WriteOutcome(request.ref, False, error=(
                        f"held: the row has a change Scoro refused ({reason}); fix the row and the next run "
                        "carries both ways"))
                    continue
                row_id = self._write(request)
                if request.op == "delete":
                    outcomes[request.ref] = WriteOutcome(request.ref, True)
                else:
                    rows[request.ref] = row_id
            found = {r.id: r for r in self.fetch([str(i) for i in rows.values()], own_transaction=False)}
        for ref, row_id in rows.items():
            record = found.get(str(row_id))
            outcomes[ref] = WriteOutcome(ref, record is not None, record=record,
                                         error=None if record else f"row {row_id} vanished while it was written")
        return [outcomes[request.ref] for request in requests]

    def _write(self, request: WriteRequest) -> Any:
        t = self.table
        if request.op == "delete":
            if self.on_scoro_delete == "flag" and t.deleted:
                self._update(t.table, t.key, int(str(request.target_id)), {t.deleted: self._bind(True, "boolean")},
                             bump=t.version)
            else:
                for child in t.children:
                    self.db.execute(f"DELETE FROM {self.q(child.table)} WHERE {self.q(child.parent)} = {self.db.param}",
                                    [int(str(request.target_id))])
                self.db.execute(f"DELETE FROM {self.q(t.table)} WHERE {self.q(t.key)} = {self.db.param}",
                                [int(str(request.target_id))])
            return request.target_id
        shared = request.shared
        values = {c.column: self._bind(shared.get(c.field), c.type) for c in t.writable()}
        values.update(self._readonly(shared.get("_ro") or {}))
        values[t.scoro_id] = self._bind(shared.get("_id"), t.scoro_id_type)
        if t.modified:
            values[t.modified] = self._bind(datetime.now(UTC), "datetime")
        if request.op == "create":
            cols = list(values)
            row_id = self.db.execute(
                f"INSERT INTO {self.q(t.table)} ({', '.join(map(self.q, cols))}) VALUES "
                f"({', '.join([self.db.param] * len(cols))}) RETURNING {self.q(t.key)}", list(values.values())
            ).fetchone()[0]
        else:
            row_id = int(str(request.target_id))
            self._update(t.table, t.key, row_id, values, bump=t.version)
        for child in t.children:
            if child.nested in shared:
                self._replace_lines(child, row_id, shared.get(child.nested) or [],
                                    ((shared.get("_ro") or {}).get(child.nested) or []))
        return row_id

    def _update(self, table: str, key: str, row_id: Any, values: dict[str, Any], bump: str | None = None) -> None:
        """`bump`: the change counter, one up (the trigger does the same where the database has triggers;
        on DuckDB this is what moves it)."""
        sets = ", ".join([f"{self.q(c)} = {self.db.param}" for c in values]
                         + ([f"{self.q(bump)} = coalesce({self.q(bump)}, 0) + 1"] if bump else []))
        self.db.execute(f"UPDATE {self.q(table)} SET {sets} WHERE {self.q(key)} = {self.db.param}",
                        [*values.values(), row_id])

    def _readonly(self, ro: dict[str, Any]) -> dict[str, Any]:
        return {c.column: self._bind(ro.get(c.field), c.type) for c in self.table.read_only() if c.field in ro}

    def _replace_lines(self, child: ChildMap, row_id: Any, lines: list[dict[str, Any]],
                       ro_lines: list[dict[str, Any]]) -> None:
        self.db.execute(f"DELETE FROM {self.q(child.table)} WHERE {self.q(child.parent)} = {self.db.param}", [row_id])
        for position, line in enumerate(lines):
            values = {child.parent: row_id, child.position: position}
            values.update({c.column: self._bind(line.get(c.field), c.type) for c in child.writable()})
            ro = ro_lines[position] if position < len(ro_lines) else {}
            values.update({c.column: self._bind(ro.get(c.field), c.type) for c in child.columns if c.read_only})
            if child.scoro_id:
                values[child.scoro_id] = ro.get("_id")
            cols = list(values)
            self.db.execute(f"INSERT INTO {self.q(child.table)} ({', '.join(map(self.q, cols))}) VALUES "
                            f"({', '.join([self.db.param] * len(cols))})", list(values.values()))

    def write_back(self, written: list[tuple[str, SideRecord]]) -> None:
        """After rows went to Scoro (row id, the record Scoro saved), in one transaction: the Scoro id and
        read-only values into each row (and each line's id and read-only values, by position). None of
        them is a shared value, so this is no change."""
        with self.db.transaction():
            for row_id, record in written:
                self._write_back(row_id, record)

    def _write_back(self, row_id: str, record: SideRecord) -> None:
        t = self.table
        ro = record.shared.get("_ro") or {}
        values = self._readonly(ro)
        values[t.scoro_id] = self._bind(record.shared.get("_id"), t.scoro_id_type)
        self._update(t.table, t.key, int(row_id), values, bump=t.version)
        for child in t.children:
            ro_lines = ro.get(child.nested) or []
            rows = self.db.query(f"SELECT {self.q(child.key)} FROM {self.q(child.table)} WHERE "
                                 f"{self.q(child.parent)} = {self.db.param} ORDER BY {self.q(child.position)}",
                                 [int(row_id)])
            for (line_key,), line_ro in zip(rows, ro_lines, strict=False):
                line_values = {c.column: self._bind(line_ro.get(c.field), c.type) for c in child.columns
                               if c.read_only}
                if child.scoro_id:
                    line_values[child.scoro_id] = line_ro.get("_id")
                if line_values:
                    self._update(child.table, child.key, line_key, line_values)

    def _bind(self, value: Any, kind: str) -> Any:
        value = typed(value, kind)
        convert = self.db.converter(kind)
        return convert(value) if convert is not None and value is not None else value

    def find(self, shared: dict[str, Any]) -> SideRecord | None:
        """The row a create whose commit was lost made: by the Scoro id it carries."""
        if shared.get("_id") in (None, ""):
            return None
        t = self.table
        rows = self.db.query(f"SELECT {self.q(t.key)} FROM {self.q(t.table)} WHERE {self.q(t.scoro_id)} = "
                             f"{self.db.param}", [self._bind(shared["_id"], t.scoro_id_type)])
        found = self.fetch([str(rows[0][0])]) if rows else []
        return found[0] if found else None


def _typed_or_raw(value: Any, kind: str) -> Any:
    """A value in its typed form; one that is not of the column's type (text typed into an id column of a
    SQLite table) as it was typed: a change like any other, refused with its row and field on its way to
    Scoro (shared.to_scoro), so one bad cell never stops the table from being read."""
    try:
        return typed(value, kind)
    except InvalidInput:
        return value
