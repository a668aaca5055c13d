"""Crashes, schema evolution, foreign keys and bad input: the mirror never ends half-written."""

from __future__ import annotations

import contextlib
import json
import random
import subprocess
import sys
from dataclasses import replace
from typing import Any

import pytest

from scorolink.catalog.model import Field, FieldType
from scorolink.connectors.base import WriteOp
from scorolink.errors import ConfigError
from scorolink.replicate import destination as destination_module
from scorolink.replicate.destination import open_destination
from scorolink.replicate.engine import ReplicateOptions, replicate
from scorolink.replicate.schema import MirrorOptions
from scorolink.replicate.state import INTERNAL_TABLES
from tests.conftest import make_connector
from tests.replicate.test_replicate import BACKENDS, mirror_url, rows  # noqa: F401  (fixture)

OBJECTS = ["Invoices", "Projects", "Tasks", "People", "TimeOffs", "Products"]


class Crash(Exception):
    """Stands for the process dying: raised from inside the database layer."""


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every mirror table's rows without the load timestamp; the cursor state without timings."""
    dest = open_destination(url)
    try:
        out = {}
        for table in sorted(dest.tables()):
            cols = [c for c in dest.columns(table) if c not in ("WhenUpsertedIntoDataStore", "updated_at",
                                                                 "cursor_run_seconds", "last_full_at",
                                                                 "last_reconcile_at", "last_sweep_at")]
            select = ", ".join(dest.q(c) for c in cols)
            out[table] = sorted(tuple(map(str, r)) for r in dest.query(f"SELECT {select} FROM {dest.q(table)}"))
        return out
    finally:
        dest.close()


def crash_after(monkeypatch: pytest.MonkeyPatch, statements: int) -> None:
    """Make the Nth database write from now raise, whichever statement it is."""
    calls = {"n": 0}

    def wrap(original: Any) -> Any:
        def wrapped(self: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
            if not sql.lstrip().upper().startswith(("SELECT", "PRAGMA", "SHOW")):
                calls["n"] += 1
                if calls["n"] == statements:
                    raise Crash(f"killed at write {statements}")
            return original(self, sql, *args, **kwargs)
        return wrapped

    for cls in (destination_module.Destination, destination_module.SQLiteDestination,
                destination_module.PostgresDestination, destination_module.DuckDBDestination):
        for name in ("execute", "executemany", "upsert"):
            if name in cls.__dict__:
                monkeypatch.setattr(cls, name, wrap(cls.__dict__[name]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_run_killed_at_random_points_and_restarted_ends_identical(sandbox, mirror_url, tmp_path, seed):  # noqa: F811
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    connector = make_connector(sandbox)
    rng = random.Random(seed)
    # A first full run and an incremental run after changes, each killed somewhere, then finished.
    for step in range(2):
        if step == 1:
            sandbox.advance_clock(60)
            invoice = next(iter(connector.read("Invoices")))
            list(connector.write("Invoices", [WriteOp("update", {"Id": invoice["Id"], "Description": f"edit {seed}"})]))
            task = next(iter(connector.read("Tasks")))
            list(connector.write("Tasks", [WriteOp("delete", {"Id": task["Id"]})]))
        for _ in range(2):
            with pytest.MonkeyPatch.context() as mp:
                crash_after(mp, rng.randint(1, 60))
                with contextlib.suppress(Crash):  # a late crash point may fall after the run's last write
                    replicate(connector, mirror_url, ReplicateOptions(objects=OBJECTS, workers=1, batch_size=7))
        replicate(connector, mirror_url, ReplicateOptions(objects=OBJECTS, batch_size=7))
        replicate(connector, reference, ReplicateOptions(objects=OBJECTS))
    got, want = snapshot(mirror_url), snapshot(reference)
    assert set(got) == set(want)
    for table in want:
        if table not in INTERNAL_TABLES:
            # Compare values as text: the reference is SQLite, the mirror any backend.
            assert len(got[table]) == len(want[table]), table
    got_ids = {t: sorted(r[:2] for r in got[t]) for t in got if t not in INTERNAL_TABLES}
    want_ids = {t: sorted(r[:2] for r in want[t]) for t in want if t not in INTERNAL_TABLES}
    assert got_ids == want_ids
    if mirror_url.startswith("sqlite"):
        assert got == want


def test_a_killed_cli_process_resumes_to_the_same_mirror(tmp_path):
    """A real SIGKILL of `scorolink replicate` against a rate-limited sandbox on loopback."""
    import os
    import signal
    import time

    from scorolink.sandbox.scoro import RateLimit, SandboxConfig, ScoroSandbox

    sandbox = ScoroSandbox(SandboxConfig(seed=3, size=300, rate_limit=RateLimit(per_window=12)))
    with sandbox.run_in_thread(host="127.0.0.1", port=0) as base_url:
        site = sandbox.default
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCORO_")}
        env.update(SCORO_BASE_URL=base_url, SCORO_API_KEY=site["api_key"],
                   SCORO_COMPANY_ACCOUNT_ID=site["company_account_ids"][0])
        killed, reference = tmp_path / "killed.db", tmp_path / "reference.db"
        args = [sys.executable, "-c", "from scorolink.cli import main; main()", "replicate", "--json",
                "--objects", ",".join(OBJECTS + ["TaskComments"])]
        proc = subprocess.Popen([*args, "--to", f"sqlite:///{killed}"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(2.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for target in (killed, reference):
            done = subprocess.run([*args, "--to", f"sqlite:///{target}"], env=env, capture_output=True, text=True,
                                  timeout=300)
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["failed"] == []
    assert snapshot(f"sqlite:///{killed}") == snapshot(f"sqlite:///{reference}")


def test_a_new_custom_field_adds_a_column_and_fills_it(connector, mirror_url, monkeypatch):  # noqa: F811
    real = connector.custom_fields()
    trimmed = {m: tuple(f for f in fs if f.name != "fk_money") for m, fs in real.items()}
    monkeypatch.setattr(connector, "_custom", trimmed)
    replicate(connector, mirror_url, ReplicateOptions(objects=["Companies"]))
    assert "fk_money" not in open_destination(mirror_url).columns("Companies")
    monkeypatch.setattr(connector, "_custom", real)
    summary = replicate(connector, mirror_url, ReplicateOptions(objects=["Companies"]))
    assert "Companies.fk_money" in summary.schema.added
    assert summary.objects["Companies"].mode == "full"  # old rows get the new column's values
    filled = rows(mirror_url, 'SELECT count(*) FROM "Companies" WHERE "fk_money" IS NOT NULL')[0][0]
    expected = sum(1 for c in connector.read("Companies", include_deleted=True) if c.get("fk_money") is not None)
    assert filled == expected > 0
    assert replicate(connector, mirror_url, ReplicateOptions(objects=["Companies"])).objects["Companies"].mode == \
        "incremental"


def test_a_field_whose_type_widens_keeps_its_values(connector, mirror_url, monkeypatch):  # noqa: F811
    replicate(connector, mirror_url, ReplicateOptions(objects=["Products"]))
    before = dict(rows(mirror_url, 'SELECT "RemoteID", "Price" FROM "Products"'))
    original = connector.spec

    def as_text(name: str, **kw: Any) -> Any:
        spec = original(name, **kw)
        fields = tuple(replace(f, type=FieldType.STRING) if f.name == "Price" else f for f in spec.fields)
        return replace(spec, fields=fields)

    monkeypatch.setattr(connector, "spec", as_text)
    summary = replicate(connector, mirror_url, ReplicateOptions(objects=["Products"], full=True))
    assert summary.failed == []
    if not mirror_url.startswith("sqlite"):
        assert any(w.startswith("Products.Price decimal→string") for w in summary.schema.widened)
    after = dict(rows(mirror_url, 'SELECT "RemoteID", "Price" FROM "Products"'))
    assert set(after) == set(before)
    for key, value in before.items():
        if value is not None:
            assert float(after[key]) == float(value)


def test_foreign_keys_are_declared_and_never_reject_scoros_data(connector, tmp_path, postgres_url):
    objects = ["Invoices", "Companies", "People", "Products", "Projects", "Users", "VATCodes"]
    opts = ReplicateOptions(objects=objects, mirror=MirrorOptions(foreign_keys=True))
    sqlite_url = f"sqlite:///{tmp_path / 'fk.db'}"
    for url in (sqlite_url, postgres_url):
        summary = replicate(connector, url, opts)
        assert summary.failed == []
        summary = replicate(connector, url, opts)  # and again: constraints do not block updates
        assert summary.failed == []
    fks = rows(sqlite_url, "SELECT * FROM pragma_foreign_key_list('Invoices')")
    assert {(r[2], r[3]) for r in fks} >= {("Companies", "CompanyId"), ("Projects", "ProjectId")}
    assert rows(sqlite_url, "SELECT count(*) FROM pragma_foreign_key_list('Invoices_Lines')")[0][0] >= 2
    pg = rows(postgres_url, "SELECT conrelid::regclass::text, convalidated FROM pg_constraint WHERE contype = 'f'")
    assert any(t == '"Invoices"' for t, _ in pg) and not any(valid for _, valid in pg)


def test_duckdb_refuses_foreign_keys_before_writing(connector, tmp_path):
    url = f"duckdb:///{tmp_path / 'm.duckdb'}"
    with pytest.raises(ConfigError, match="--foreign-keys"):
        replicate(connector, url, ReplicateOptions(objects=["Invoices"], mirror=MirrorOptions(foreign_keys=True)))
    assert open_destination(url).tables() == set()


@pytest.mark.parametrize("url, message", [
    ("mysql://localhost/db", "unsupported scheme 'mysql'"),
    ("scoro.db", "unsupported scheme"),
    ("sqlite://", "names no file"),
    ("sqlite:////no/such/folder/m.db", "does not exist"),
    ("postgresql://postgres@127.0.0.1:1/none", "Cannot reach PostgreSQL"),
])
def test_bad_destinations_fail_clearly(connector, url, message):
    with pytest.raises(ConfigError, match=message):
        replicate(connector, url, ReplicateOptions(objects=["Products"]))


def test_a_read_only_postgres_user_is_refused_before_any_data_moves(connector, postgres_url):
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE ROLE reader LOGIN")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    reader = postgres_url.replace("postgres@", "reader@")
    with pytest.raises(ConfigError, match="read-only"):
        replicate(connector, reader, ReplicateOptions(objects=["Products"]))


def test_an_incompatible_existing_table_stops_the_run_before_anything_is_written(connector, mirror_url):  # noqa: F811
    dest = open_destination(mirror_url)
    with dest.transaction():
        dest.execute('CREATE TABLE "Products" (id INTEGER PRIMARY KEY, name TEXT)')
    dest.close()
    with pytest.raises(ConfigError, match=r"table Products exists with primary key \(id\)"):
        replicate(connector, mirror_url, ReplicateOptions(objects=["Invoices", "Products"]))
    assert open_destination(mirror_url).tables() == {"Products"}  # nothing else was created


def test_changing_naming_on_an_existing_mirror_is_refused(connector, tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    replicate(connector, url, ReplicateOptions(objects=["Products"]))
    with pytest.raises(ConfigError, match="--naming pascal"):
        replicate(connector, url, ReplicateOptions(objects=["Products"], mirror=MirrorOptions(naming="snake")))


def test_an_object_the_api_refuses_is_reported_and_the_others_load(sandbox, tmp_path):
    connector = make_connector(sandbox, modules={"Products": "noSuchModule"})
    summary = replicate(connector, f"sqlite:///{tmp_path / 'm.db'}", ReplicateOptions(objects=["Products", "Tasks"]))
    assert summary.failed == ["Products"] and summary.objects["Products"].error
    assert summary.objects["Tasks"].rows > 0


def test_custom_field_type_from_the_catalog_shapes_its_column(connector, tmp_path):
    fields = connector.custom_fields()
    money = next(f for fs in fields.values() for f in fs if f.name == "fk_money")
    assert isinstance(money, Field) and money.type is FieldType.DECIMAL
    url = f"sqlite:///{tmp_path / 'm.db'}"
    replicate(connector, url, ReplicateOptions(objects=["Companies"]))
    assert open_destination(url).columns("Companies")["fk_money"] == "NUMERIC"


def test_foreign_keys_asked_for_on_an_existing_sqlite_mirror_rebuild_its_tables(connector, tmp_path):
    """SQLite cannot add a constraint to a table: the run makes each table again with its foreign keys
    and moves the rows over, keeping columns the catalog no longer has, indexes of its own and the
    user's, and views over the table."""
    url = f"sqlite:///{tmp_path / 'fk.db'}"
    objects = ["Invoices", "Companies", "People", "Projects"]
    replicate(connector, url, ReplicateOptions(objects=objects))
    dest = open_destination(url)
    with dest.transaction():
        dest.execute('ALTER TABLE "Invoices" ADD COLUMN "Legacy" TEXT')
        dest.execute('UPDATE "Invoices" SET "Legacy" = \'kept \' || "RemoteID"')
        dest.execute('CREATE INDEX "mine" ON "Invoices" ("Status")')
        dest.execute('CREATE VIEW "open_invoices" AS SELECT "RemoteID" FROM "Invoices" WHERE "IsDeleted" = 0')
    tables = sorted(dest.tables())

    def table_rows(t: str) -> list[tuple]:
        return sorted(tuple(map(str, r)) for r in dest.query(f'SELECT * FROM "{t}"'))

    before = {t: table_rows(t) for t in tables if t not in INTERNAL_TABLES}
    indexes = {r[0] for r in dest.query("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    assert rows(url, "SELECT count(*) FROM pragma_foreign_key_list('Invoices')")[0][0] == 0
    dest.close()

    with_fks = ReplicateOptions(objects=objects, mirror=MirrorOptions(foreign_keys=True))
    for crash_at in (3, 5, 9):  # killed inside the rebuild: the mirror is as it was
        with pytest.MonkeyPatch.context() as mp:
            crash_after(mp, crash_at)
            with pytest.raises(Crash):
                replicate(connector, url, with_fks)
        assert rows(url, "SELECT count(*) FROM pragma_foreign_key_list('Invoices')")[0][0] == 0
        assert sorted(r[0] for r in rows(url, "SELECT name FROM sqlite_master WHERE type = 'table'")) == tables
    summary = replicate(connector, url, with_fks)
    assert summary.failed == []
    assert {"Invoices", "Invoices_Lines", "Projects"} <= set(summary.schema.foreign_keys_added)
    fks = rows(url, "SELECT * FROM pragma_foreign_key_list('Invoices')")
    assert {(r[2], r[3]) for r in fks} >= {("Companies", "CompanyId"), ("Projects", "ProjectId")}
    assert {(r[2], r[3]) for r in rows(url, "SELECT * FROM pragma_foreign_key_list('Invoices_Lines')")} >= {
        ("Invoices", "ParentRemoteID")}
    dest = open_destination(url)
    try:
        assert sorted(dest.tables()) == tables  # no table left behind from the rebuild
        for t in before:  # every row as it was (nothing changed in Scoro in between)
            assert table_rows(t) == before[t], t
        assert indexes <= {r[0] for r in dest.query("SELECT name FROM sqlite_master WHERE type = 'index' "
                                                    "AND sql IS NOT NULL")}
        assert dest.query('SELECT count(*) FROM "open_invoices"')[0][0] > 0
        assert dest.query('SELECT count(*) FROM "Invoices" WHERE "Legacy" LIKE \'kept %\'')[0][0] == len(before["Invoices"])
        assert dest.primary_key("Invoices") == ("RemoteAccount", "RemoteID")
    finally:
        dest.close()
    again = replicate(connector, url, with_fks)
    assert again.schema.foreign_keys_added == []  # the constraints are there now: nothing to rebuild
    assert len(rows(url, "SELECT * FROM pragma_foreign_key_list('Invoices')")) == len(fks)
