"""A first run from a populated table, for every one of the 22 objects on SQLite and PostgreSQL: a row
carrying a Scoro id and a row matching by the natural key are linked (once each, nothing written), a row
with neither is created in Scoro and its id written back, and Scoro's other records come into the table."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from scorolink.catalog.scoro import CATALOG
from scorolink.integrations.database.objects import DEFAULT_KEYS, Capabilities
from scorolink.integrations.database.table import default_map
from tests.integrations.database.conftest import execute, failures, query, sync, writes
from tests.integrations.database.test_every_object import (
    EDIT,
    NEW_VALUE,
    existing_contacts,
    scoro_ids,
    table_rows,
)


def natural(row: dict[str, Any], obj: str) -> tuple[Any, ...]:
    return tuple(row[f] for f in DEFAULT_KEYS.get(obj, ()))


@pytest.mark.parametrize("obj", sorted(EDIT))
def test_a_first_run_from_a_populated_table(obj, scoro, small_sandbox, db_url, tmp_path):
    spec = CATALOG.get(obj)
    caps = Capabilities.of(spec)
    key = spec.key_fields[0]
    table = default_map(spec)
    writable = [c.column for c in table.writable()]
    # rows as the database holds them: a Scoro → table sync into the table, whose rows are then taken out
    assert failures(sync(scoro, db_url, f"sqlite:///{tmp_path}/scratch.db", [obj])) == []
    rows = table_rows(db_url, obj)
    for child in table.children:
        execute(db_url, f'DELETE FROM "{child.table}"')
    execute(db_url, f'DELETE FROM "{obj}"')
    keys = Counter(natural(r, obj) for r in rows)
    unique = [r for r in rows if obj not in DEFAULT_KEYS or (keys[natural(r, obj)] == 1 and all(natural(r, obj)))]
    by_id, by_key = unique[0], unique[1]

    # the table as someone filled it before any sync: a row with its Scoro id, a row with only the natural key
    # (where the object has one), a new row
    typed_in = [{c: by_id[c] for c in [key, *writable]}]
    if obj in DEFAULT_KEYS:
        typed_in.append({c: by_key[c] for c in writable})
    new = existing_contacts(scoro, {c: by_key[c] for c in writable})
    new[EDIT[obj]] = NEW_VALUE.get(obj, "Created in the table")
    for f in DEFAULT_KEYS.get(obj, ()):
        if isinstance(new[f], str) and f != "Module":
            new[f] = f"{new[f]} (new)"
    typed_in.append(new)
    for row in typed_in:
        cols = ", ".join(f'"{c}"' for c in row)
        execute(db_url, f'INSERT INTO "{obj}" ({cols}) VALUES ({", ".join("?" * len(row))})', list(row.values()))
    before = scoro_ids(scoro, obj)

    small_sandbox.reset_stats()
    state = f"sqlite:///{tmp_path}/state.db"
    result = sync(scoro, db_url, state, [obj])
    issues = " ".join(failures(result, state))
    after = scoro_ids(scoro, obj)
    rows = table_rows(db_url, obj)
    linked = len(typed_in) - 1
    assert result.executed[obj].get("linked") == linked, (result.executed, issues)  # each pair once
    if caps.insert:
        assert len(after) == len(before) + 1, issues  # the new row, and nothing else, created in Scoro
        assert sum(writes(small_sandbox).values()) == 1
        [made] = after - before
        assert [r[key] for r in rows if r[EDIT[obj]] == new[EDIT[obj]] and str(r[key]) == made], issues
    else:
        assert after == before and "cannot create" in issues and writes(small_sandbox) == {}
    # every Scoro record is in the table once, with its id (the row matched by its key got it too)
    assert Counter(str(r[key]) for r in rows if r[key] is not None) == Counter(after)
    assert len([r for r in rows if r[key] is None]) == (0 if caps.insert else 1)

    # and the next run has nothing to do
    small_sandbox.reset_stats()
    idle = sync(scoro, db_url, state, [obj])
    assert writes(small_sandbox) == {}
    assert idle.executed.get(obj, {}) == {}
    assert query(db_url, f'SELECT COUNT(*) AS n FROM "{obj}"')[0]["n"] == len(rows)
