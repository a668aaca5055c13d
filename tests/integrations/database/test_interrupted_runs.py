"""Every object Scoro's API can create, on SQLite and PostgreSQL: runs cut off at random Scoro writes (the
write made, its answer lost), then rerun, end with both sides equal and no record lost or made twice.
The process-level kill (SIGKILL of the command, every object) is test_killed_runs'."""

from __future__ import annotations

import random

import pytest

from scorolink.catalog.scoro import CATALOG
from scorolink.connectors.base import WriteOp
from scorolink.integrations.database.objects import DEFAULT_KEYS, Capabilities
from scorolink.integrations.database.table import default_map
from tests.integrations.database.conftest import execute, failures, sync, writes
from tests.integrations.database.test_every_object import (
    EDIT,
    existing_contacts,
    scoro_ids,
    table_rows,
    usable_ids,
)

WITH_INSERT = sorted(o for o in EDIT if Capabilities.of(CATALOG.get(o)).insert)
CURRENCIES = ["USD", "GBP", "SEK", "NOK", "DKK"]


class Cut(BaseException):
    """The run stops here, as a killed process would (not an error any code handles)."""


def cut_after(connector, writes_allowed: int):
    """Let `writes_allowed` modify requests through, then stop the run right after the next one is made."""
    call = connector.client.call
    made = {"n": 0}

    def cutting(module, action=None, *args, **kwargs):
        result = call(module, action, *args, **kwargs)
        if action == "modify":
            made["n"] += 1
            if made["n"] > writes_allowed:
                raise Cut()
        return result

    connector.client.call = cutting
    return lambda: setattr(connector.client, "call", call)


@pytest.mark.parametrize("obj", WITH_INSERT)
def test_runs_cut_at_random_writes_rerun_to_the_same_end_state(obj, scoro, small_sandbox, db_url, state_url):
    spec = CATALOG.get(obj)
    key, field = spec.key_fields[0], EDIT[obj]
    writable = [c.column for c in default_map(spec).writable()]
    assert failures(sync(scoro, db_url, state_url, [obj])) == []
    usable = usable_ids(scoro, obj)
    source = next(r for r in table_rows(db_url, obj) if str(r[key]) in usable)
    before = scoro_ids(scoro, obj)
    for n in range(4):  # rows typed into the table: each a Scoro create
        copy = existing_contacts(scoro, {c: source[c] for c in writable})
        copy[field] = CURRENCIES[n] if obj == "ReceiptGroups" else f"Cut run row {n}"
        for f in DEFAULT_KEYS.get(obj, ()):  # a new row has its own natural key (a document number of its own)
            if isinstance(copy[f], str) and f not in ("Module", field):
                copy[f] = f"{copy[f]}-{n}"
        cols = ", ".join(f'"{c}"' for c in copy)
        execute(db_url, f'INSERT INTO "{obj}" ({cols}) VALUES ({", ".join("?" * len(copy))})', list(copy.values()))
    [full] = [r for r in scoro.read(obj) if str(r[key]) == str(source[key])]
    values = existing_contacts(scoro, {c: full.get(c) for c in writable if c in full})
    made = list(scoro.write(obj, [WriteOp("insert", {**values, field: CURRENCIES[4] if obj == "ReceiptGroups"
                                                     else "Made in Scoro"})]))[0]
    assert made.ok, made.error
    rng = random.Random(obj)
    cuts = 0
    for _ in range(2):  # two runs cut at a random write each (the second may end before its point comes)
        restore = cut_after(scoro, rng.randrange(0, 4))
        try:
            sync(scoro, db_url, state_url, [obj])
        except Cut:
            cuts += 1
        finally:
            restore()
    assert cuts >= 1
    assert failures(sync(scoro, db_url, state_url, [obj]), state_url) == []
    ids = scoro_ids(scoro, obj)
    rows = table_rows(db_url, obj)
    assert len(ids) == len(before) + 5  # four rows created once each, and the record made in Scoro
    assert sorted(str(r[key]) for r in rows) == sorted(ids)  # the same records on both sides, none twice
    small_sandbox.reset_stats()
    idle = sync(scoro, db_url, state_url, [obj])
    assert writes(small_sandbox) == {} and idle.executed.get(obj, {}) == {}, idle.executed
