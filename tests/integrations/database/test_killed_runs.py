"""`scorolink dbsync` killed with SIGKILL at random moments, for every one of the 22 objects, then rerun: at
the end the table and Scoro hold the same records, none lost and none twice, and an unchanged run writes
nothing on either side.

Per object, two rounds (test_kill_soak.kill_and_rerun: each kill after a random delay, kept within 0.9 of
the shortest run seen so that kills land on a fast machine too, then one run to the end): one kill of the
first run, which loads Scoro's records into a new table, and KILLS of a run carrying rows typed into the
table (each a Scoro create), a record made in Scoro and an edit on each side. Bounded: 66 kills in all,
every subprocess with a timeout (about 100 s of CPU for the 22 objects). The in-process cuts at random Scoro
writes (test_interrupted_runs) reach deeper into a run's writes at no process cost."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from scorolink.catalog.scoro import CATALOG
from scorolink.connectors.base import WriteOp
from scorolink.integrations.database.objects import DEFAULT_KEYS, Capabilities
from scorolink.integrations.database.table import default_map
from scorolink.session import start_bundled_sandbox
from tests.conftest import make_connector
from tests.integrations.database.conftest import execute, sync, writes
from tests.integrations.database.test_crash_and_cli import CLI, _env
from tests.integrations.database.test_every_object import (
    EDIT,
    NEW_VALUE,
    existing_contacts,
    scoro_ids,
    table_rows,
    usable_ids,
)
from tests.test_kill_soak import kill_and_rerun

KILLS = 2  # kills of the run carrying changes (and one of the first run): 66 in all
CURRENCIES = ["USD", "GBP", "SEK", "NOK", "DKK"]
TABLE_ROWS = 4  # rows typed into the table between the rounds


def with_scoro(action: Any) -> Any:
    """`action(connector)` against the bundled sandbox the commands use (opened between runs only)."""
    sandbox = start_bundled_sandbox()
    try:
        scoro = make_connector(sandbox)
        scoro.sandbox = sandbox  # for the request counts
        try:
            return action(scoro)
        finally:
            scoro.close()
    finally:
        sandbox.close()


@pytest.fixture
def bundled(tmp_path, monkeypatch) -> Path:
    for key, value in _env(tmp_path).items():
        if key.startswith("SCOROLINK_"):
            monkeypatch.setenv(key, value)
    return tmp_path


def changes_on_both_sides(obj: str, db: str, scoro: Any) -> dict[str, Any]:
    """Rows typed into the table, a record made in Scoro, an edit on each side. Returns what to look for."""
    spec = CATALOG.get(obj)
    caps = Capabilities.of(spec)
    key, field = spec.key_fields[0], EDIT[obj]
    writable = [c.column for c in default_map(spec).writable()]
    usable = usable_ids(scoro, obj)
    rows = [r for r in table_rows(db, obj) if str(r[key]) in usable]
    made: list[str] = []
    if caps.insert:
        for n in range(TABLE_ROWS):
            copy = existing_contacts(scoro, {c: rows[0][c] for c in writable})
            copy[field] = CURRENCIES[n] if obj == "ReceiptGroups" else f"Killed run row {n}"
            for f in DEFAULT_KEYS.get(obj, ()):  # its own natural key (a document number of its own)
                if isinstance(copy[f], str) and f not in ("Module", field):
                    copy[f] = f"{copy[f]}-k{n}"
            cols = ", ".join(f'"{c}"' for c in copy)
            execute(db, f'INSERT INTO "{obj}" ({cols}) VALUES ({", ".join("?" * len(copy))})', list(copy.values()))
            made.append(copy[field])
        full = next(r for r in scoro.read(obj) if str(r[key]) == str(rows[0][key]))
        values = existing_contacts(scoro, {c: full.get(c) for c in writable if c in full})
        value = CURRENCIES[4] if obj == "ReceiptGroups" else "Made in Scoro"
        created = list(scoro.write(obj, [WriteOp("insert", {**values, field: value})]))[0]
        assert created.ok, created.error
    if caps.update:
        edited = NEW_VALUE.get(obj, "Edited in the table before a kill")
        execute(db, f'UPDATE "{obj}" SET "{field}" = ? WHERE _row_id = ?', [edited, rows[0]["_row_id"]])
        in_scoro = "GBP" if obj == "ReceiptGroups" else "Edited in Scoro before a kill"
        assert list(scoro.write(obj, [WriteOp("update", {key: rows[-1][key], field: in_scoro})]))[0].ok
    return {"new_rows": made, "created": caps.insert}


@pytest.mark.parametrize("obj", sorted(EDIT))
def test_sigkills_at_random_moments_lose_and_duplicate_nothing(obj, bundled):
    started = time.monotonic()
    key, field = CATALOG.get(obj).key_fields[0], EDIT[obj]
    db = f"sqlite:///{bundled}/tables.db"
    args = [*CLI, "dbsync", obj, "--db", db, "--json"]
    env = _env(bundled)
    rng = random.Random(obj)
    # past the command's start-up (about 1 s of imports and opening the state) most of the time; kill_and_rerun
    # keeps each delay within 0.9 of the shortest run seen
    delay = lambda: rng.uniform(0.8, 2.5)  # noqa: E731
    first, _ = kill_and_rerun(args, env, bundled, delay, kills=1)
    before = with_scoro(lambda scoro: scoro_ids(scoro, obj))
    assert sorted(str(r[key]) for r in table_rows(db, obj)) == sorted(before)  # loaded once each

    wanted = with_scoro(lambda scoro: changes_on_both_sides(obj, db, scoro))
    second, _ = kill_and_rerun(args, env, bundled, delay, kills=KILLS)
    after = with_scoro(lambda scoro: scoro_ids(scoro, obj))
    rows = table_rows(db, obj)
    assert sorted(str(r[key]) for r in rows) == sorted(after)  # the same records on both sides, none twice
    if wanted["created"]:  # each table row created once, the record made in Scoro brought once
        assert len(after) == len(before) + TABLE_ROWS + 1
        values = Counter(r[field] for r in rows)
        assert obj == "ReceiptGroups" or all(values[v] == 1 for v in wanted["new_rows"]), values  # (currencies repeat)

    # and an unchanged run writes nothing on either side (in-process: the same sandbox file, state and table)
    def idle(scoro: Any) -> tuple[dict[str, int], dict[str, int]]:
        result = sync(scoro, db, env["SCOROLINK_STATE_URL"], [obj])
        return {k: v for k, v in result.executed.get(obj, {}).items() if k != "failed"}, writes(scoro.sandbox)

    assert with_scoro(idle) == ({}, {})
    assert first["kills"] + second["kills"] >= 2, (first, second)
    print(json.dumps({obj: {"first_run": first, "second_run": second, "seconds": round(time.monotonic() - started, 1)}}))
