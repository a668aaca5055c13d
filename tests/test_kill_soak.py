"""Kill soak: real SIGKILLs at random moments of `scorolink replicate` and `scorolink import`
against a sandbox on loopback, and of `scorolink xero sync` against the workspace's bundled Scoro and
Xero sandboxes, each followed by a rerun; at the end nothing is lost or duplicated.

Bounded: a fixed number of kills (KILLS each), each after a random delay (0.3–2.5 s, or up to the
measured length of one uninterrupted Xero sync), then one run to the end; every subprocess has a
timeout. The figures of a run are printed with -s (bench/README.md).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from scorolink.sandbox.scoro import RateLimit, SandboxConfig, ScoroSandbox
from tests.conftest import make_connector
from tests.replicate.test_robustness import snapshot
from tests.transfer.conftest import write_csv

pytestmark = pytest.mark.loopback

KILLS = 12  # per command: 24 SIGKILLs in all
OBJECTS = "Invoices,Projects,Tasks,People,Companies,TimeEntries,TaskComments"


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from scorolink.cli import main; main()", *args]


def kill_and_rerun(args: list[str], env: dict[str, str], cwd: Path, delay: Callable[[], float], *,
                   exit_codes: tuple[int, ...] = (0,), kills: int = KILLS,
                   after_kill: Callable[[], None] = lambda: None) -> tuple[dict[str, int], str]:
    """Runs killed after `delay()` seconds until `kills` have been killed (one that ended first counts as
    finished; at most 2 × `kills` runs), then one run to the end, which must exit with one of
    `exit_codes`. Returns the figures and that run's stdout.

    A run that ended before its kill shows how short a run can be: later delays are kept within 0.9 of
    the shortest such run, so a fast machine still gets its kills rather than finished runs."""
    landed = finished = 0
    shortest = float("inf")
    while landed < kills and landed + finished < 2 * kills:
        began = time.monotonic()
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            proc.wait(timeout=min(delay(), 0.9 * shortest))
            finished += 1
            shortest = min(shortest, time.monotonic() - began)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            landed += 1
            after_kill()
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode in exit_codes, done.stderr[-2000:]
    return {"kills": landed, "finished_before_kill": finished}, done.stdout


def test_sigkills_at_random_points_of_replicate_and_import_lose_and_duplicate_nothing(tmp_path):
    rng = random.Random(20)
    started = time.monotonic()
    sandbox = ScoroSandbox(SandboxConfig(seed=9, size=400, rate_limit=RateLimit(per_window=40)))
    names = [f"Kill Co {i:04d}" for i in range(300)]
    csv_path = write_csv(tmp_path / "companies.csv", ["Name", "Comments"], [[n, "killed"] for n in names])
    with sandbox.run_in_thread() as base_url:
        site = sandbox.default
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SCORO_", "SCOROLINK_"))}
        env.update(SCORO_BASE_URL=base_url, SCORO_API_KEY=site["api_key"],
                   SCORO_COMPANY_ACCOUNT_ID=site["company_account_ids"][0])
        mirror, reference = tmp_path / "killed.db", tmp_path / "reference.db"
        # once the mirror is whole, a rerun is short (one request per object): kill within its length too
        replicated, _ = kill_and_rerun(cli("replicate", "--objects", OBJECTS, "--to", f"sqlite:///{mirror}", "--json"),
                                       env, tmp_path, lambda: rng.uniform(0.3, 1.5))
        done = subprocess.run(cli("replicate", "--objects", OBJECTS, "--to", f"sqlite:///{reference}", "--json"),
                              env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0 and json.loads(done.stdout)["failed"] == []
        imported, _ = kill_and_rerun(cli("import", "Companies", str(csv_path), "--json"), env, tmp_path,
                                     lambda: rng.uniform(0.3, 2.5))
        check = make_connector(sandbox)
        counts = Counter(c["Name"] for c in check.read("Companies", columns=["Name"])
                         if c["Name"].startswith("Kill Co"))
        check.close()
    sandbox.close()
    assert snapshot(f"sqlite:///{mirror}") == snapshot(f"sqlite:///{reference}")
    assert counts == Counter({n: 1 for n in names})
    assert replicated["kills"] + imported["kills"] >= 20
    print(json.dumps({"replicate": replicated, "import": imported, "rows": len(names),
                      "seconds": round(time.monotonic() - started, 1)}))


XERO_SIZE = "1000"  # the bundled Scoro sandbox's size: about 170 records go to Xero, 16 come to Scoro
CONFIGURE = ["xero", "configure", "--default-sales-account", "200", "--default-expense-account", "400",
             "--tax-map", "VAT22=TAX001", "--tax-map", "VAT9=OUTPUT2", "--tax-map", "VAT0=NONE"]


def both_sides(workspace: Path) -> dict[str, Counter]:
    """Every record of both bundled sandboxes of `workspace`, counted by its natural key."""
    from scorolink.integrations.xero.connector import XeroConnector
    from scorolink.sandbox.scoro import ScoroSandbox
    from scorolink.sandbox.xero import XeroSandbox, XeroSandboxConfig
    from tests.integrations.xero.conftest import make_client

    scoro_sb = ScoroSandbox(SandboxConfig(size=int(XERO_SIZE), data=str(workspace / ".scorolink/scoro-sandbox.db")))
    xero_sb = XeroSandbox(XeroSandboxConfig(data=str(workspace / ".scorolink/xero-sandbox.db")))
    scoro, client = make_connector(scoro_sb), make_client(xero_sb)
    xero = XeroConnector(client)
    try:
        return {
            "xero Contacts": Counter(r["Name"] for r in xero.read("Contacts", include_archived=True)),
            "xero Items": Counter(r["Code"] for r in xero.read("Items")),
            "xero Invoices": Counter((r["Type"], r["InvoiceNumber"]) for r in xero.read("Invoices")),
            "xero CreditNotes": Counter((r["Type"], r["CreditNoteNumber"]) for r in xero.read("CreditNotes")),
            "scoro VATCodes": Counter(r["VATCode"] for r in scoro.read("VATCodes")),
            "scoro FinanceAccounts": Counter(r["AccountSymbol"] for r in scoro.read("FinanceAccounts")),
            "scoro totals": Counter({o: sum(1 for _ in scoro.read(o, columns=["Id"]))
                                     for o in ("Companies", "People", "Products", "Invoices", "Bills", "ReceiptGroups")}),
        }
    finally:
        scoro.close()
        client.close()
        scoro_sb.close()
        xero_sb.close()


def test_sigkills_at_random_points_of_xero_sync_lose_and_duplicate_nothing(tmp_path):
    rng = random.Random(20)
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCORO_", "XERO_", "SCOROLINK_"))}
    env["SCOROLINK_SANDBOX_SIZE"] = XERO_SIZE
    killed, reference = tmp_path / "killed", tmp_path / "reference"
    killed.mkdir()
    for args in (["xero", "connect"], CONFIGURE, ["xero", "sync", "--dry-run"]):  # the dry run makes the Scoro file
        prepared = subprocess.run(cli(*args), env=env, cwd=killed, capture_output=True, text=True, timeout=300)
        assert prepared.returncode == 0, prepared.stderr[-2000:]
    shutil.copytree(killed, reference)  # the same sandboxes, tokens and settings: the same starting point
    before = both_sides(reference)
    sync = cli("xero", "sync", "--json")

    def timed(workspace: Path) -> tuple[float, dict]:
        clock = time.monotonic()
        run = subprocess.run(sync, env=env, cwd=workspace, capture_output=True, text=True, timeout=600)
        assert run.returncode in (0, 1), run.stderr[-2000:]
        return time.monotonic() - clock, json.loads(run.stdout)

    full, uninterrupted = timed(reference)
    unchanged, _ = timed(reference)  # reads all, writes nothing: where the first run's writes began
    assert uninterrupted["stopped"] is None
    created = sum(c["executed"].get("created", 0) for c in uninterrupted["categories"].values())
    assert created > 100

    def links(workspace: Path) -> int:
        with sqlite3.connect(workspace / "scorolink-state.db") as db:
            return int(db.execute("SELECT count(*) FROM sync_links").fetchone()[0])

    total = links(reference)
    at_start: list[int] = []  # links when each run began
    kills: list[tuple[int, int]] = []  # links when each killed run began, and when it was killed

    def delay() -> float:
        """A random point of the run as it is now: its start and reads take the measured unchanged run,
        the writes still left the uninterrupted run's extra time shrunk to the share of records not yet
        linked. While writes are left every other kill aims at them; an unchanged run is cut within 0.8 of
        its measured length, before it can end."""
        at_start.append(links(killed))
        left = (total - at_start[-1]) / total
        if not left:
            return rng.uniform(0.3, 0.8 * unchanged)
        return rng.uniform(0.3 if len(at_start) % 2 else 0.9 * unchanged, unchanged + (full - unchanged) * left)

    def after_kill() -> None:
        """Note the links the killed run left, and end its lease as the 60 s without renewal would: the
        process is dead (waited for), so the next run need not sit out the lease."""
        kills.append((at_start[-1], links(killed)))
        with sqlite3.connect(killed / "scorolink-state.db") as db:
            db.execute("UPDATE sync_locks SET until = '2000-01-01 00:00:00.000000'")

    figures, final = kill_and_rerun(sync, env, killed, delay, exit_codes=(0, 1), after_kill=after_kill)
    assert json.loads(final)["stopped"] is None
    again = subprocess.run(sync, env=env, cwd=killed, capture_output=True, text=True, timeout=600)
    assert {k: c["executed"] for k, c in json.loads(again.stdout)["categories"].items()
            if set(c["executed"]) - {"failed", "deferred"}} == {}  # an unchanged run writes nothing

    after, expected = both_sides(killed), both_sides(reference)
    assert after == expected  # nothing lost, nothing extra, against the run that was never killed
    made = {side: counts - before[side] for side, counts in after.items()}
    assert {side: {k: n for k, n in m.items() if n > 1} for side, m in made.items() if side != "scoro totals"} == \
        {side: {} for side in made if side != "scoro totals"}  # each record the sync made, it made once
    assert sum(m.total() for side, m in made.items() if side != "scoro totals") == created
    assert after["scoro totals"] == before["scoro totals"]  # the default categories create nothing else in Scoro
    errors = [subprocess.run(cli("xero", "errors", "--json"), env=env, cwd=w, capture_output=True, text=True,
                             timeout=300) for w in (killed, reference)]
    left = [sorted((e["category"], e["source_id"], e["kind"]) for e in json.loads(r.stdout)) for r in errors]
    assert left[0] == left[1]  # the same records wait for a person as after the run that was never killed
    mid_write = sum(1 for began, ended in kills if began < ended < total)
    assert figures["kills"] >= 10, kills  # how many cut the writes depends on timing: printed, not asserted
    print(json.dumps({"xero_sync": {**figures, "kills_mid_write": mid_write, "links_per_kill": kills},
                      "links": total, "created": created, "full_run_seconds": round(full, 1),
                      "unchanged_run_seconds": round(unchanged, 1), "seconds": round(time.monotonic() - started, 1)}))
