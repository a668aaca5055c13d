"""Migrations of the state database: a database written before migrations existed (by the code of commit
e26aa0a; tests/state/make_legacy_state.py) upgrades and keeps its rows, links included; a fresh database
gets exactly the schema the code's tables declare; `scorolink state upgrade` / `current`; two processes
opening one PostgreSQL database at once migrate it once."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from typer.testing import CliRunner

from scorolink.cli import app
from scorolink.runtime import tables as runtime_tables
from scorolink.runtime.jobs import add_job, get_run, list_jobs, list_runs, run_now
from scorolink.state import credentials as credential_tables
from scorolink.state.migrate import current, head
from scorolink.state.store import StateStore
from scorolink.sync import tables as sync_tables
from scorolink.sync.store import SyncStore
from scorolink.web import tables as web_tables  # noqa: F401  (the dashboard's tables join the runtime's metadata)

LEGACY = Path(__file__).parent / "fixtures" / "state-e26aa0a.db"


def legacy_copy(tmp_path: Path) -> str:
    target = tmp_path / "state.db"
    shutil.copy(LEGACY, target)
    return f"sqlite:///{target}"


def test_a_database_from_before_migrations_upgrades_and_keeps_its_rows(tmp_path):
    url = legacy_copy(tmp_path)
    assert current(StateStore(url, create=False).engine) is None
    store = StateStore(url)  # opening upgrades
    assert current(store.engine) == head()
    jobs = list_jobs(store)
    assert [(j["name"], j["operation"], j["params"]["objects"]) for j in jobs] == [("mirror", "replicate", ["Projects"])]
    (run,) = list_runs(store)
    assert run["state"] == "queued"
    assert [line["message"] for line in get_run(store, run["id"])["log"]][-1] == "a line of the run's log"
    sync = SyncStore(url)
    links = sync.links("xero", "contacts")
    assert len(links) == 3
    assert [(link.a_id, link.b_id, link.base) for link in sorted(links.by["a"].values(), key=lambda k: k.id)] == [
        ("100", "b-0", {"Name": "Company 0"}), ("101", "b-1", {"Name": "Company 1"}),
        ("102", "b-2", {"Name": "Company 2"})]
    assert sync.counterpart("xero", "contacts", "a", "101") == "b-1"
    assert sync.cursor("xero", "a", "contacts") is not None and sync.setting("xero", "contacts.start") == "2026-01-01"
    # ... and the upgraded database goes on working: a new run, a new link
    add_job(store, "second", operation="replicate", connection="default", schedule="manual", params={},
            now=jobs[0]["created_at"])
    assert run_now(store, "second", jobs[0]["created_at"]) == run["id"] + 1
    sync.save_link("xero", "contacts", 1, a_id="103", b_id="b-3", a_version=None, b_version=None, a_hash="x",
                   b_hash="x", base={})
    assert len(sync.links("xero", "contacts")) == 4
    sync.close()


def test_a_fresh_database_has_exactly_the_schema_the_tables_declare(tmp_path):
    store = StateStore(f"sqlite:///{tmp_path / 'fresh.db'}")
    declared = sa.MetaData()
    for source in (runtime_tables.metadata, sync_tables.metadata, credential_tables.metadata):
        for table in source.tables.values():
            table.to_metadata(declared)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), declared)
    assert diff == [], f"the tables changed without a migration: {diff}"


def test_state_upgrade_and_current_commands(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SCOROLINK_STATE_URL", raising=False)
    url = legacy_copy(tmp_path)
    runner = CliRunner()
    before = json.loads(runner.invoke(app, ["state", "current", "--state", url, "--json"]).stdout)
    assert before["revision"] is None and before["head"] == head()
    done = runner.invoke(app, ["state", "upgrade", "--state", url, "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"state": url, "from": None, "to": head(), "upgraded": True}
    again = runner.invoke(app, ["state", "upgrade", "--state", url])
    assert again.exit_code == 0 and "up to date" in again.output


def test_two_openers_of_one_postgresql_database_migrate_it_once(postgres_url):
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            StateStore(postgres_url).dispose()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = StateStore(postgres_url)
    assert current(store.engine) == head()
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
    store.dispose()
