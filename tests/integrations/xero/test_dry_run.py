"""Dry runs and the Xero sandbox's clock, end to end between the Scoro sandbox and the Xero sandbox.

A dry run is the real run against a copy of the state with both sides' writes kept: it plans what the
real run then does (the same counts per category), writes nothing on either side, and reads in
pages — the same requests as the real run's reads, never one per product or contact."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from scorolink.connectors.base import Condition, WriteOp
from scorolink.integrations.xero.run import SyncRequest, run_xero_sync
from scorolink.sync.store import SyncStore
from tests.conftest import endpoint_counts as scoro_counts
from tests.integrations.xero.conftest import endpoint_counts as xero_counts
from tests.integrations.xero.test_sync import config

SCORO_PAGE = 100  # rows per Scoro list page (the client's default)


def session(xc):
    class Session:  # an open Xero session on the sandbox, as open_xero gives one
        client, connector, oauth = xc.client, xc, xc.client.oauth
    return Session


def reads(counts: dict[str, int]) -> dict[str, int]:
    """Reads of records (the connector's custom-field discovery is read once and kept)."""
    return {k: v for k, v in counts.items() if (k.startswith("GET") or k.endswith("/list"))
            and k != "customFields/list"}


def writes(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if not (k.startswith("GET") or k.endswith("/list"))}


def many_products(connector, n: int) -> int:
    """n new Scoro products and one invoice whose lines name each of them: n item codes Xero lacks."""
    model = next(connector.read("Invoices", [Condition("IsSent", "=", True)], columns=[
        "Id", "CompanyId", "PersonId", "Currency", "Date", "Lines"]))
    line = next(line for line in model["Lines"] if line.get("ProductId") != 4)  # product 4 is deleted
    made = list(connector.write("Products", [WriteOp("insert", {"Code": f"BULK-{i}", "Name": f"Bulk {i}",
                                                                "Price": 10}) for i in range(n)]))
    assert all(r.ok for r in made)
    lines = [{"ProductId": r.record["Id"], "Comment": "work", "Amount": 1, "Price": 10,
              "VatCodeId": line["VatCodeId"], "FinanceAccountId": line["FinanceAccountId"]} for r in made]
    [invoice] = list(connector.write("Invoices", [WriteOp("insert", {
        "DocumentNumber": "BULK-1", "CompanyId": model["CompanyId"] or model["PersonId"], "Currency": model["Currency"],
        "Date": model["Date"], "Deadline": model["Date"], "IsSent": True, "Lines": lines})]))
    assert invoice.ok, invoice.error
    return n


def twins(connector) -> None:
    """Two Scoro clients of one name with different VAT numbers: two contacts, which Xero's unique contact
    names refuse the second of — the dry run must say so too."""
    made = list(connector.write("Companies", [WriteOp("insert", {"Name": "Twin Trading OÜ", "IsClient": True,
                                                                 "VATNumber": vat}) for vat in ("EE100", "EE200")]))
    assert all(r.ok for r in made)


def test_dry_run_plans_what_the_real_run_does_with_reads_bounded_by_pages(connector, sandbox, store, xero):
    xsb, xc = xero
    codes = many_products(connector, 40)
    twins(connector)
    xsb.reset_stats()
    sandbox.reset_stats()
    dry = run_xero_sync(store, connector, session(xc), config(), SyncRequest(dry_run=True))
    dry_xero, dry_scoro = xero_counts(xsb), scoro_counts(sandbox)
    assert dry.dry_run and not dry.stopped
    # nothing written anywhere: neither side, nor the sync state
    assert writes(dry_xero) == {} and writes(scoro_counts(sandbox)) == {}
    assert all(len(store.links(dry.job, name)) == 0 for name in dry.plans) and store.errors(dry.job) == []

    xsb.reset_stats()
    sandbox.reset_stats()
    real = run_xero_sync(store, connector, session(xc), config(), SyncRequest())
    real_xero, real_scoro = xero_counts(xsb), scoro_counts(sandbox)
    assert set(dry.plans) == set(real.plans)
    for name in real.plans:  # the same plan and the same outcome, category by category
        assert dry.plans[name].counts() == real.plans[name].counts(), name
        assert dry.executed.get(name, {}) == real.executed.get(name, {}), name
    assert real.executed["contacts"]["created"] > 10 and real.executed["contacts"]["failed"] == 1
    # the dry run made exactly the real run's reads ...
    assert reads(dry_xero) == reads(real_xero) and reads(dry_scoro) == reads(real_scoro), (dry_xero, dry_scoro)
    # ... and those are bounded by pages and writes, not by records: the item and product tables are read
    # once, and again after a write to them, never once per product an invoice line names
    assert real.executed["products"]["created"] >= codes
    assert dry_xero["GET Items"] <= 1 + real_xero["PUT Items"] + 1 < codes
    products = sum(1 for _ in connector.read("Products", columns=["Id"]))
    assert dry_scoro["products/list"] <= 2 * math.ceil(products / SCORO_PAGE) + 4 < codes
    contacts = sum(1 for _ in connector.read("Contacts", columns=["Id"]))
    assert dry_xero["GET Contacts"] <= 2 and dry_scoro["contacts/list"] <= 4 * math.ceil(contacts / SCORO_PAGE) + 2


def test_a_second_dry_run_after_the_real_one_plans_nothing_new(connector, store, xero):
    xsb, xc = xero
    run_xero_sync(store, connector, session(xc), config(), SyncRequest())
    links = {name: len(store.links("xero", name)) for name in ("contacts", "products", "invoices")}
    again = run_xero_sync(store, connector, session(xc), config(), SyncRequest(dry_run=True))
    assert all(not plan.ops for plan in again.plans.values())
    assert {name: len(store.links("xero", name)) for name in links} == links  # the real state untouched


def test_sync_reads_xero_changes_with_real_times(connector, store, xero):
    """The Xero sandbox's clock is the wall clock: what the sync wrote carries UpdatedDateUTC of now, its
    cursor is now, and an If-Modified-Since of "a minute ago" (ours, as the official SDK's) finds it."""
    xsb, xc = xero
    assert xsb.clock.is_realtime
    before = datetime.now(UTC) - timedelta(minutes=1)
    run_xero_sync(store, connector, session(xc), config(), SyncRequest(only=["contacts"]))
    created = {link.b_id for link in store.links("xero", "contacts").by["b"].values()}
    assert created
    recent = {c["ContactID"] for c in xc.read("Contacts", modified_since=before)}
    assert created <= recent
    stamps = [c["UpdatedDateUTC"] for c in xc.read("Contacts", modified_since=before)]
    assert all(abs(s.timestamp() - time.time()) < 300 for s in stamps)


def test_cli_dry_run_shows_progress_outside_a_terminal(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCORO_", "XERO_", "SCOROLINK_"))}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", "from scorolink.cli import main; main()", *args], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=300)

    assert cli("xero", "connect").returncode == 0
    cli("xero", "configure", "--default-sales-account", "200", "--default-expense-account", "400",
        "--tax-map", "VAT22=TAX001", "--tax-map", "VAT9=OUTPUT2", "--tax-map", "VAT0=NONE")
    preview = cli("xero", "sync", "--dry-run")
    assert preview.returncode == 0, preview.stderr
    lines = [line.split() for line in preview.stderr.splitlines() if line.startswith("done ")]
    shown = {line[1]: line for line in lines}
    assert {"tax_rates", "accounts", "contacts", "products", "invoices"} <= set(shown)
    contacts = shown["contacts"]  # done contacts dry run N read M written R req S
    assert contacts[2:4] == ["dry", "run"] and int(contacts[4]) > 0 and int(contacts[6]) > 0
    assert "\x1b[" not in preview.stderr  # plain lines, no redrawn display
    quiet = cli("xero", "sync", "--dry-run", "--json")  # --json: the result alone, no progress lines
    assert json.loads(quiet.stdout)["dry_run"] and not any(line.startswith("done ") for line in
                                                           quiet.stderr.splitlines())


def test_dry_run_over_state_in_postgresql(connector, xero, postgres_url):
    """The dry run's copy of the state comes from PostgreSQL as well (links, cursors, errors), and the
    PostgreSQL state is left as it was."""
    xsb, xc = xero
    store = SyncStore(postgres_url)
    try:
        real = run_xero_sync(store, connector, session(xc), config(), SyncRequest(only=["contacts", "products"]))
        links = {name: len(store.links("xero", name)) for name in ("contacts", "products")}
        assert links["contacts"] == real.executed["contacts"]["created"] > 0
        errors = len(store.errors("xero"))
        again = run_xero_sync(store, connector, session(xc), config(), SyncRequest(only=["contacts", "products"],
                                                                                     dry_run=True))
        assert again.dry_run and all(not plan.ops for plan in again.plans.values())  # the links came along
        assert {name: len(store.links("xero", name)) for name in links} == links
        assert len(store.errors("xero")) == errors
    finally:
        store.close()
