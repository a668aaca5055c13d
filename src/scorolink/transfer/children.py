"""Nested values from a child CSV: rows of `invoice_lines.csv` linked to their invoice by a
`Parent.<column>` cell that repeats a value of the parent row (its Id, DocumentNumber, ...).

The child rows are indexed once in a temporary SQLite file keyed by that value, so a parent file
of any size finds its children without holding the child file in memory. `--nested flatten`
exports write exactly this shape (`Parent.Id`, `Position`, then the child's fields).
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from scorolink.errors import InvalidInput
from scorolink.transfer.sources import CsvSource

PARENT_PREFIX = "Parent."
POSITION = "Position"


class ChildRows:
    def __init__(self, field: str, path: Path, *, encoding: str = "utf-8", delimiter: str | None = None,
                 link: str | None = None, unescape: bool | None = None) -> None:
        self.field = field
        source = CsvSource(path, encoding=encoding, delimiter=delimiter, unescape=unescape)
        links = [h for h in source.header if h.startswith(PARENT_PREFIX)]
        if link is not None:
            wanted = PARENT_PREFIX + link
            if wanted not in source.header:
                raise InvalidInput(f"{path}: nested {field} rows are linked by column {wanted!r}, which the file "
                                   f"does not have (it has {', '.join(source.header)}).")
            links = [wanted]
        if len(links) != 1:
            raise InvalidInput(f"{path}: nested {field} rows need exactly one column Parent.<parent column> (e.g. "
                               f"Parent.Id or Parent.DocumentNumber) saying which parent row they belong to; "
                               f"found {len(links) or 'none'}.")
        self.link_column = links[0]
        self.parent_column = links[0][len(PARENT_PREFIX):]
        self.header = [h for h in source.header if h not in (self.link_column, POSITION)]
        self.path = path
        self._tmp = tempfile.TemporaryDirectory(prefix="scorolink-children-")
        self.db = sqlite3.connect(str(Path(self._tmp.name) / "children.db"))
        self.db.execute("CREATE TABLE child (link TEXT, position REAL, number INTEGER, line INTEGER, body TEXT)")
        self.count = 0
        with self.db:
            for row in source.rows():
                values = row.values
                position = _position(values.get(POSITION), row.number)
                body = {k: v for k, v in values.items() if k not in (self.link_column, POSITION)}
                self.db.execute("INSERT INTO child VALUES (?, ?, ?, ?, ?)",
                                (str(values.get(self.link_column, "")).strip(), position, row.number, row.line,
                                 json.dumps(body)))
                self.count += 1
        self.db.execute("CREATE INDEX child_link ON child (link, position, number)")

    def children(self, link_value: Any) -> list[tuple[int, int, dict[str, Any]]]:
        """(child row number, line, cells) of one parent, in Position order."""
        if link_value in (None, ""):
            return []
        rows = self.db.execute("SELECT number, line, body FROM child WHERE link = ? ORDER BY position, number",
                               (str(link_value).strip(),)).fetchall()
        return [(n, line, json.loads(body)) for n, line, body in rows]

    def close(self) -> None:
        self.db.close()
        self._tmp.cleanup()


def _position(value: Any, default: int) -> float:
    try:
        return float(value) if value not in (None, "") else float(default)
    except ValueError:
        return float(default)
