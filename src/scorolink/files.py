"""Files that hold the user's data (mirrors, state, journals, the query cache) are private to the
user: created 0600 whatever the umask, in folders created 0700. A file that already exists keeps
its owner's choice of mode, except that the query cache and journals are tightened to 0600 (only
scorolink writes them)."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_file(path: Path | str, *, tighten: bool = False) -> Path:
    """Make sure `path` exists as a file readable by its owner alone; returns it. SQLite and
    DuckDB then open the existing empty file as a new database. Its side files (-wal, -journal)
    follow the main file's mode on SQLite."""
    path = Path(path)
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=PRIVATE_DIR, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        if tighten and path.stat().st_mode & 0o077:
            os.chmod(path, PRIVATE_FILE)
    else:
        os.close(fd)
    return path


def made_private(path: Path | str, existed: bool) -> None:
    """For a database that cannot start from an empty file (DuckDB): chmod 0600 right after the
    engine created it, when it did not exist before."""
    if not existed and Path(path).exists():
        os.chmod(path, PRIVATE_FILE)
