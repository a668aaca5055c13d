"""Destination URLs and files: what is refused before anything is written, and who can read what is."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from scorolink.errors import ConfigError
from scorolink.replicate.destination import open_destination
from scorolink.replicate.engine import ReplicateOptions, replicate
from scorolink.replicate.schema import MirrorOptions


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("scheme", ["sqlite", "duckdb"])
def test_a_new_mirror_file_is_private_whatever_the_umask(connector, tmp_path, scheme):
    path = tmp_path / f"m.{scheme}"
    old = os.umask(0o022)
    try:
        summary = replicate(connector, f"{scheme}:///{path}", ReplicateOptions(objects=["Projects"]))
    finally:
        os.umask(old)
    assert summary.failed == []
    assert mode(path) == 0o600
    for side in (tmp_path / f"m.{scheme}-wal", tmp_path / f"m.{scheme}-shm"):
        if side.exists():
            assert mode(side) & 0o077 == 0


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "duckdb:///:memory:"])
def test_a_mirror_in_memory_is_refused_with_the_reason(url):
    with pytest.raises(ConfigError, match="in memory, gone when the command ends"):
        open_destination(url)


def test_mode_ro_is_honoured_not_made_part_of_the_file_name(tmp_path):
    path = tmp_path / "ro.db"
    with pytest.raises(ConfigError, match=r"read-only access \(\?mode=ro\)"):
        open_destination(f"sqlite:///{path}?mode=ro")
    assert list(tmp_path.iterdir()) == []  # neither ro.db nor "ro.db?mode=ro"
    dest = open_destination(f"sqlite:///{path}?cache=private")  # other parameters go to SQLite as URI
    dest.close()
    assert [p.name for p in tmp_path.iterdir()] == ["ro.db"]


def test_a_refused_destination_is_left_as_it_was(connector, tmp_path):
    path = tmp_path / "theirs.db"
    with sqlite3.connect(path) as db:
        db.execute('CREATE TABLE "Projects" (x INTEGER PRIMARY KEY)')
    before = path.read_bytes()
    summary_error = None
    try:
        replicate(connector, f"sqlite:///{path}", ReplicateOptions(objects=["Projects"], mirror=MirrorOptions()))
    except ConfigError as exc:
        summary_error = str(exc)
    assert summary_error and "Nothing was written" in summary_error
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
    assert path.read_bytes() == before
