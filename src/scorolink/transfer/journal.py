"""The import journal: which rows of this import are finished, so a rerun of the same command
after a crash or Ctrl+C neither creates a record twice nor skips one.

A row is written to the journal as `sending` (committed) before its request goes out and as
`done` with the Scoro id after the answer. A rerun therefore knows three kinds of rows: done
(skipped, reported with their id), never started (sent), and `sending` — the answer was lost, so
the record may or may not exist; those are looked up in Scoro before anything is re-sent. A row
stays `sending` until a lookup settles it: a create whose answer was lost never becomes `failed`
(a rerun would then send it blind), and its `updated_at` says when it was last sent, so the
lookup waits for Scoro's own timeout to pass first.

The journal's file name is a digest of what identifies the import: object, mode, key, the
source (file path or database table) and the mapping. Each row also keeps a digest of its
content, so a file edited between runs is noticed row by row instead of trusted blindly.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scorolink import output
from scorolink.files import private_file

SENDING, DONE, FAILED = "sending", "done", "failed"


@dataclass
class Entry:
    state: str
    row_hash: str
    action: str | None
    scoro_id: str | None
    error: str | None
    updated_at: str

    @property
    def sent_at(self) -> float:
        """When the row was last written (for a `sending` row: when its request went out), epoch seconds."""
        return datetime.fromisoformat(self.updated_at).timestamp()


def import_identity(*parts: Any) -> str:
    digest = hashlib.blake2b(digest_size=10)
    for part in parts:
        digest.update(output.dumps(part, sort_keys=True).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def row_digest(record: dict[str, Any], key_value: Any) -> str:
    return hashlib.blake2b(output.dumps([record, key_value], sort_keys=True).encode(), digest_size=12).hexdigest()


class Journal:
    def __init__(self, path: Path, *, restart: bool = False) -> None:
        if restart and path.exists():
            path.unlink()
        private_file(path, tighten=True)
        self.path = path
        self.db = sqlite3.connect(str(path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a row marked sent must survive a power cut
        self.db.execute("CREATE TABLE IF NOT EXISTS rows (row_no INTEGER PRIMARY KEY, row_hash TEXT NOT NULL, "
                        "state TEXT NOT NULL, action TEXT, scoro_id TEXT, error TEXT, updated_at TEXT NOT NULL)")
        self.existing = self.db.execute("SELECT count(*) FROM rows").fetchone()[0]

    def get(self, row_no: int) -> Entry | None:
        row = self.db.execute("SELECT state, row_hash, action, scoro_id, error, updated_at FROM rows WHERE row_no = ?",
                              (row_no,)).fetchone()
        return Entry(*row) if row else None

    def _put(self, row_no: int, row_hash: str, state: str, action: str | None, scoro_id: Any,
             error: str | None) -> None:
        self.db.execute("INSERT OR REPLACE INTO rows VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (row_no, row_hash, state, action, None if scoro_id is None else str(scoro_id), error,
                         datetime.now(UTC).isoformat()))

    def sending(self, row_no: int, row_hash: str, action: str, scoro_id: Any = None) -> None:
        self._put(row_no, row_hash, SENDING, action, scoro_id, None)

    def done(self, row_no: int, row_hash: str, action: str, scoro_id: Any) -> None:
        self._put(row_no, row_hash, DONE, action, scoro_id, None)

    def failed(self, row_no: int, row_hash: str, action: str | None, error: str) -> None:
        self._put(row_no, row_hash, FAILED, action, None, error)

    def forget(self, row_no: int) -> None:
        """The request was refused before Scoro acted on it (rate limit, authentication)."""
        self.db.execute("DELETE FROM rows WHERE row_no = ?", (row_no,))

    def claimed_ids(self) -> set[str]:
        """Ids this import already created or touched: never adopted for another row."""
        return {r[0] for r in self.db.execute("SELECT scoro_id FROM rows WHERE scoro_id IS NOT NULL")}

    def close(self) -> None:
        self.db.close()


def default_journal_dir() -> Path:
    return Path(".scorolink") / "imports"
