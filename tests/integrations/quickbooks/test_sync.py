"""The Scoro ↔ QuickBooks integration end to end, between the Scoro sandbox (a euro site) and the QuickBooks
sandbox's euro company, in-process (one test over HTTP on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scorolink.connectors.base import Condition, WriteOp
from scorolink.errors import ConfigError
from scorolink.integrations.quickbooks.integration import QuickBooksSyncConfig
from scorolink.integrations.quickbooks.run import SyncRequest, run_quickbooks_sync
from scorolink.sandbox.quickbooks import Faults, RateLimit
from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox
from scorolink.sync.store import SyncStore
from tests.conftest import endpoint_counts as scoro_counts
from tests.conftest import make_connector as scoro_connector
from tests.integrations.quickbooks.conftest import make_sandbox, make_session

EVERYTHING = ("tax_rates", "accounts", "classes", "contacts", "projects", "products", "invoices", "bills", "receipts")
SETUP = {"mode": "manual", "default_income_account": "4100", "default_expense_account": "6000",
         "tax_map": {"VAT22": "23% S", "VAT9": "13.5% R", "VAT0": "0% Z", "EU": "Exempt"}}


def only(**tables: Any) -> QuickBooksSyncConfig:
    """The setup with just these categories on."""
    return QuickBooksSyncConfig.from_dict({**SETUP, **{c: {"enabled": False} for c in EVERYTHING}, **tables})


def config(**override: Any) -> QuickBooksSyncConfig:
    categories = {c: {} for c in EVERYTHING}
    return QuickBooksSyncConfig.from_dict({**SETUP, **categories, **override})


@pytest.fixture
def scoro() -> Iterator[tuple[ScoroSandbox, Any]]:
    sandbox = ScoroSandbox(SandboxConfig(seed=1, size=40))
    connector = scoro_connector(sandbox)
    yield sandbox, connector
    connector.close()
    sandbox.close()


@pytest.fixture
def qb() -> Iterator[tuple[Any, Any]]:
    sandbox = make_sandbox()
    session = make_session(sandbox)
    yield sandbox, session
    session.client.close()
    sandbox.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SyncStore]:
    s = SyncStore(f"sqlite:///{tmp_path}/state.db")
    yield s
    s.close()


def run(store: SyncStore, scoro: Any, session: Any, cfg: QuickBooksSyncConfig | None = None, **request: Any):
    return run_quickbooks_sync(store, scoro, session, cfg or config(), SyncRequest(**request))


def qb_writes(sandbox: Any) -> int:
    return sum(n for entity in sandbox.stats()["writes"].values() for n in entity.values())


def scoro_writes(sandbox: ScoroSandbox) -> int:
    return sum(v for k, v in scoro_counts(sandbox).items() if k.endswith(("/modify", "/delete")))


def errors(store: SyncStore, category: str | None = None) -> list[dict]:
    return [e for e in store.errors("quickbooks") if category is None or e["category"] == category]


def qb_rows(session: Any, entity: str, **where: Any) -> list[dict]:
    return list(session.connector.read(entity, [Condition(k, "=", v) for k, v in where.items()],
                                       include_inactive=True))


# -- the first sync and the second ---------------------------------------------------------------------------
def test_first_sync_pulls_background_items_pushes_contacts_products_and_documents(scoro, qb, store):
    _ssb, sc = scoro
    _qsb, session = qb
    result = run(store, sc, session)
    assert not result.stopped
    assert {"23% S", "13.5% R", "0% Z"} <= {r["VATCode"] for r in sc.read("VATCodes", columns=["VATCode"])}
    assert {"4100", "6000"} <= {r["AccountSymbol"] for r in sc.read("FinanceAccounts", columns=["AccountSymbol"])}
    # clients are customers, suppliers vendors; a client that is also a supplier is both, the vendor with " (v)"
    customers = {r["DisplayName"] for r in qb_rows(session, "Customer")}
    vendors = {r["DisplayName"] for r in qb_rows(session, "Vendor")}
    assert {"North Health AS", "Anna Laine", "Harbor Consulting Oy", "Coastal Consulting SIA"} <= customers
    assert "Coastal Consulting SIA (v)" in vendors and "Coastal Consulting SIA" not in vendors
    [anna] = qb_rows(session, "Customer", DisplayName="Anna Laine")
    assert anna["GivenName"] == "Anna" and anna["FamilyName"] == "Laine" and "CompanyName" not in anna
    # products matched by name or created with the default income account; invoices open in QuickBooks
    items = {r["Name"]: r for r in qb_rows(session, "Item")}
    for product in sc.read("Products", columns=["Name"]):
        assert items[product["Name"]]["IncomeAccountRef"]["value"]
    invoices = qb_rows(session, "Invoice")
    numbers = {r["DocumentNumber"] for r in sc.read("Invoices", columns=["DocumentNumber"])}
    pushed = [r for r in invoices if r.get("DocNumber") in numbers]
    assert pushed and all(r["Balance"] > 0 for r in pushed)  # open: awaiting payment


def test_a_second_run_writes_nothing(scoro, qb, store):
    ssb, sc = scoro
    qsb, session = qb
    run(store, sc, session)
    qsb.reset_stats()
    ssb.reset_stats()
    again = run(store, sc, session)
    assert qb_writes(qsb) == 0 and scoro_writes(ssb) == 0
    # at most the state's own links refreshed (a project's client linked after the project was written)
    assert all(not {k for k, n in ops.items() if n} - {"failed", "linked", "uploaded"}
               for ops in again.executed.values()), again.executed
    qsb.reset_stats()
    third = run(store, sc, session)
    assert qb_writes(qsb) == 0 and not any(ops.get("linked") for ops in third.executed.values()), third.executed


def test_a_fresh_state_links_everything_and_creates_nothing(scoro, qb, tmp_path):
    ssb, sc = scoro
    qsb, session = qb
    first = SyncStore(f"sqlite:///{tmp_path}/first.db")
    run(first, sc, session)
    first.close()
    qsb.reset_stats()
    ssb.reset_stats()
    fresh = SyncStore(f"sqlite:///{tmp_path}/fresh.db")
    result = run(fresh, sc, session)
    created = {k: v.get("created", 0) for k, v in result.executed.items() if v.get("created")}
    assert created == {}, created
    assert qb_writes(qsb) == 0 and scoro_writes(ssb) == 0
    assert len(fresh.links("quickbooks", "contacts")) >= 5
    fresh.close()


# -- matching on the first sync ----------------------------------------------------------------------------
@pytest.mark.parametrize("only", [["receipts"], ["credit_notes"], None])
def test_a_fresh_state_syncing_from_quickbooks_creates_nothing_scoro_holds(scoro, qb, tmp_path, only):
    """Issue 14 #1 (shared engine): documents and payments pulled from QuickBooks by one state; a fresh state
    syncing receipts alone (their documents not linked in it), credit notes alone, or everything, links
    what Scoro holds and creates nothing."""
    ssb, sc = scoro
    qsb, session = qb
    qsb.set_preferences(session.client.realm_id, ClassTrackingPerTxnLine=False)
    directions = {c: {"direction": "to-scoro"} for c in ("contacts", "products", "invoices", "bills", "receipts")}
    cfg = config(**directions, sync_without_tax=True)
    first = SyncStore(f"sqlite:///{tmp_path}/first.db")
    made = run(first, sc, session, cfg).executed
    first.close()
    assert made["receipts"].get("created"), made
    qsb.reset_stats()
    ssb.reset_stats()
    fresh = SyncStore(f"sqlite:///{tmp_path}/fresh.db")
    result = run(fresh, sc, session, cfg, only=only)
    created = {k: v.get("created", 0) for k, v in result.executed.items() if v.get("created")}
    assert created == {}, created
    assert qb_writes(qsb) == 0 and scoro_writes(ssb) == 0
    assert fresh.links("quickbooks", "receipts").by["a"] or only == ["credit_notes"]
    fresh.close()


def test_products_match_by_name_on_the_first_sync(scoro, qb, store):
    _ssb, sc = scoro
    qsb, session = qb
    product = next(iter(sc.read("Products", columns=["Id", "Name"])))
    [made] = list(session.connector.write("Item", [WriteOp("insert", {
        "Name": product["Name"], "Type": "Service", "IncomeAccountRef": {"value": "10"}})]))
    assert made.ok, made.error
    run(store, sc, session, only(products={}))
    link = store.links("quickbooks", "products").get("a", str(product["Id"]))
    assert link is not None and link.b_id == made.record["Id"]
    assert len([r for r in qb_rows(session, "Item") if r["Name"] == product["Name"]]) == 1


def test_projects_come_from_quickbooks_matched_by_name_and_client(scoro, qb, store):
    _ssb, sc = scoro
    qsb, session = qb
    realm = session.client.realm_id
    co = qsb.company(realm)
    # a Scoro project named as the QuickBooks one, under the client QuickBooks names
    [project] = [c for c in co.store.all(realm, "Customer") if c.get("IsProject")][:1]
    parent = co.store.get(realm, "Customer", project["ParentRef"]["value"])
    [client] = list(sc.write("Companies", [WriteOp("insert", {"Name": parent["DisplayName"], "IsClient": True})]))
    [mine] = list(sc.write("Projects", [WriteOp("insert", {"ProjectName": project["DisplayName"],
                                                            "CompanyId": client.record["Id"]})]))
    before = len(list(sc.read("Projects", columns=["Id"])))
    run(store, sc, session, config(contacts={"direction": "to-scoro"}))
    link = store.links("quickbooks", "projects").get("b", project["Id"])
    assert link is not None and link.a_id == str(mine.record["Id"])
    others = [c for c in co.store.all(realm, "Customer") if c.get("IsProject") and c["Id"] != project["Id"]]
    assert len(list(sc.read("Projects", columns=["Id"]))) == before + len(others)


def test_a_project_whose_client_differs_brings_a_new_contact(scoro, qb, store):
    _ssb, sc = scoro
    qsb, session = qb
    realm = session.client.realm_id
    co = qsb.company(realm)
    project = next(c for c in co.store.all(realm, "Customer") if c.get("IsProject"))
    parent = co.store.get(realm, "Customer", project["ParentRef"]["value"])
    [other] = list(sc.write("Companies", [WriteOp("insert", {"Name": "Somebody Else OÜ", "IsClient": True})]))
    list(sc.write("Projects", [WriteOp("insert", {"ProjectName": project["DisplayName"],
                                                   "CompanyId": other.record["Id"]})]))
    run(store, sc, session, only(projects={}))
    link = store.links("quickbooks", "projects").get("b", project["Id"])
    [made] = list(sc.read("Projects", [Condition("Id", "=", int(link.a_id))], columns=["Id", "CompanyId"]))
    assert made["CompanyId"] != other.record["Id"]
    names = {c["Name"] for c in sc.read("Companies", columns=["Name"])}
    assert parent["DisplayName"] in names


# -- contacts ----------------------------------------------------------------------------------------------
def test_contacts_from_quickbooks_individuals_become_people(scoro, qb, store):
    _ssb, sc = scoro
    _qsb, session = qb
    list(session.connector.write("Customer", [WriteOp("insert", {"DisplayName": "Mari Tamm", "GivenName": "Mari",
                                                                 "FamilyName": "Tamm"}),
                                              WriteOp("insert", {"DisplayName": "Tamm Trading Ltd",
                                                                 "CompanyName": "Tamm Trading Ltd"})]))
    run(store, sc, session, only(contacts={"direction": "to-scoro"}))
    people = {(r["Name"], r["LastName"]) for r in sc.read("People", columns=["Name", "LastName"])}
    companies = {r["Name"] for r in sc.read("Companies", columns=["Name"])}
    assert ("Mari", "Tamm") in people and "Tamm Trading Ltd" in companies


def test_a_new_contact_goes_with_its_client_profiles_currency_and_keeps_it(scoro, qb, store):
    _ssb, sc = scoro
    _qsb, session = qb
    profiles = {p["Currency"]: p["Id"] for p in sc.read("ClientProfiles")}
    [usd] = list(sc.write("ClientProfiles", [WriteOp("insert", {"Name": "Dollar clients", "Currency": "USD"})])) \
        if "USD" not in profiles else [None]
    profile = usd.record["Id"] if usd else profiles["USD"]
    list(sc.write("Companies", [WriteOp("insert", {"Name": "Dollar Client Inc", "IsClient": True,
                                                    "ClientProfileId": profile})]))
    run(store, sc, session, only(contacts={}))
    [customer] = qb_rows(session, "Customer", DisplayName="Dollar Client Inc")
    assert customer["CurrencyRef"]["value"] == "USD"
    [plain] = qb_rows(session, "Customer", DisplayName="North Health AS")
    assert plain["CurrencyRef"]["value"] == "EUR"  # no profile currency: the site's


# -- refusals ----------------------------------------------------------------------------------------------
def test_different_home_currencies_refuse_the_connection(scoro, store):
    _ssb, sc = scoro
    qsb = make_sandbox()
    try:
        session = make_session(qsb, 0)  # the US company keeps its books in USD
        with pytest.raises(ConfigError, match="USD.*EUR.*Settings → Sales and finance → Currencies"):
            run(store, sc, session)
    finally:
        qsb.close()


def test_a_document_in_another_currency_than_its_contact_is_refused_naming_both(scoro, qb, store):
    _ssb, sc = scoro
    _qsb, session = qb
    run(store, sc, session)
    [refused] = [e for e in errors(store, "bills") if "currency" in e["message"]]
    assert "USD" in refused["message"] and "EUR" in refused["message"]


def test_a_document_with_an_old_tax_rate_is_held_and_said_so_on_the_record(scoro, qb, store, monkeypatch):
    _ssb, sc = scoro
    _qsb, session = qb
    unmapped = config(tax_map={"VAT0": "0% Z", "EU": "Exempt"})  # VAT22 and VAT9 are no QuickBooks rates
    run(store, sc, session, unmapped)
    held = [e for e in errors(store) if e["kind"] == "held"]
    assert held and all("VAT22" in e["message"] or "VAT9" in e["message"] for e in held)
    assert {e["category"] for e in held} <= {"invoices", "bills", "products"}
    later = datetime.now(UTC) + timedelta(days=1)  # refused records are retried at growing intervals
    monkeypatch.setattr("scorolink.sync.store.now", lambda: later)
    run(store, sc, session)  # mapped now: the held documents go through
    assert not [e for e in errors(store) if e["kind"] == "held"]


def test_the_first_sync_needs_the_setup(scoro, qb, store):
    _ssb, sc = scoro
    _qsb, session = qb
    with pytest.raises(ConfigError, match="automatic or manual.*default income account"):
        run(store, sc, session, QuickBooksSyncConfig.from_dict({"invoices": {}, "default_expense_account": "6000"}))


def test_class_tracking_off_is_said_and_on_links_classes(scoro, qb, store):
    ssb, sc = scoro
    qsb, session = qb
    realm = session.client.realm_id
    qsb.set_preferences(realm, ClassTrackingPerTxnLine=False)
    run(store, sc, session, only(classes={}))
    [off] = errors(store, "classes")
    assert "class tracking is off" in off["message"]
    qsb.set_preferences(realm, ClassTrackingPerTxnLine=True)
    list(session.connector.write("Class", [WriteOp("insert", {"Name": "Marketing"})]))
    run(store, sc, session, only(classes={}))
    assert not [e for e in errors(store, "classes") if e["source_id"] == "preferences"]
    marketing = [c for c in qb_rows(session, "Class") if c["Name"] == "Marketing"][0]
    assert store.links("quickbooks", "classes").get("b", marketing["Id"]).a_id == "1"


# -- QuickBooks → Scoro ------------------------------------------------------------------------------------
def test_invoices_bills_and_payments_come_into_scoro(scoro, qb, store):
    _ssb, sc = scoro
    qsb, session = qb
    # Scoro's API cannot create accounting objects: documents with classes Scoro lacks would be refused
    qsb.set_preferences(session.client.realm_id, ClassTrackingPerTxnLine=False)
    directions = {c: {"direction": "to-scoro"} for c in ("contacts", "products", "invoices", "bills", "receipts")}
    run(store, sc, session, config(**directions, sync_without_tax=True))
    qb_invoices = [r for r in qb_rows(session, "Invoice")]
    scoro_numbers = {r["DocumentNumber"] for r in sc.read("Invoices", columns=["DocumentNumber"])}
    linked = store.links("quickbooks", "invoices")
    assert not errors(store, "invoices"), errors(store, "invoices")
    assert all(linked.get("b", r["Id"]) is not None for r in qb_invoices if r["TotalAmt"] > 0)
    assert {r["DocNumber"] for r in qb_invoices if r.get("DocNumber")} <= scoro_numbers | {
        r["DocumentNumber"] for r in sc.read("Invoices", columns=["DocumentNumber"])}
    bills = list(sc.read("Bills", columns=["Id", "Lines"]))
    pulled = [b for b in bills if store.links("quickbooks", "bills").get("a", str(b["Id"]))]
    assert pulled and all(not line.get("VatCodeId") for b in pulled for line in b["Lines"])  # subtotal only
    assert len(store.links("quickbooks", "receipts")) > 0


def test_one_invoice_can_be_sent_until_a_payment_is_attached(scoro, qb, store):
    _ssb, sc = scoro
    _qsb, session = qb
    invoice = next(iter(sc.read("Invoices", columns=["Id"])))
    chosen = only(invoices={}, tax_rates={})
    run(store, sc, session, chosen, record=("invoices", "a", str(invoice["Id"])))
    qb_id = store.counterpart("quickbooks", "invoices", "a", str(invoice["Id"]))
    assert qb_id
    [doc] = session.connector.fetch("Invoice", [qb_id])
    [paid] = list(session.connector.write("Payment", [WriteOp("insert", {
        "CustomerRef": doc["CustomerRef"], "TotalAmt": 1, "CurrencyRef": doc.get("CurrencyRef"),
        "Line": [{"Amount": 1, "LinkedTxn": [{"TxnId": qb_id, "TxnType": "Invoice"}]}]})]))
    assert paid.ok, paid.error
    with pytest.raises(ConfigError, match="payment attached"):
        run(store, sc, session, chosen, record=("invoices", "a", str(invoice["Id"])))


# -- faults ------------------------------------------------------------------------------------------------
def test_lost_answers_faults_and_throttles_leave_no_duplicates(scoro, store):
    _ssb, sc = scoro
    qsb = make_sandbox(faults=Faults(rate=0.15, kinds=("http_500", "http_503", "lost_ack", "drop"), seed=3),
                       rate_limit=RateLimit(per_minute=40, per_second=None, concurrent=None, batch_per_minute=None))
    try:
        session = make_session(qsb, per_minute=None, per_second=None)  # no pacing: the sandbox throttles
        for _ in range(4):
            result = run(store, sc, session)
            if not result.stopped and not any(v.get("unknown") for v in result.executed.values()):
                break
        assert qsb.stats()["faults_injected"] and qsb.stats()["rate_limited"]
        names = [r["DisplayName"] for r in qb_rows(session, "Customer")]
        assert len(names) == len(set(names))
        numbers = [r["DocNumber"] for r in qb_rows(session, "Invoice") if r.get("DocNumber")]
        assert len(numbers) == len(set(numbers))
        assert len(list(sc.read("VATCodes", columns=["VATCode"]))) == len(
            {r["VATCode"] for r in sc.read("VATCodes", columns=["VATCode"])})
    finally:
        qsb.close()


def test_a_crash_between_the_write_and_its_record_does_not_duplicate(scoro, qb, store, monkeypatch):
    _ssb, sc = scoro
    qsb, session = qb
    from scorolink.sync.executor import Executor

    real = Executor._settle
    calls = {"n": 0}

    def crash(self, *args, **kw):
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt("killed after the write, before its link was saved")
        return real(self, *args, **kw)

    monkeypatch.setattr(Executor, "_settle", crash)
    with pytest.raises(KeyboardInterrupt):
        run(store, sc, session)
    monkeypatch.setattr(Executor, "_settle", real)
    store.release_all() if hasattr(store, "release_all") else None
    run(store, sc, session)
    names = [r["DisplayName"] for r in qb_rows(session, "Customer")]
    assert len(names) == len(set(names))
    numbers = [r["DocNumber"] for r in qb_rows(session, "Invoice") if r.get("DocNumber")]
    assert len(numbers) == len(set(numbers))


def test_the_sync_over_http_on_loopback(scoro, store):
    _ssb, sc = scoro
    qsb = make_sandbox()
    try:
        with qsb.run_in_thread() as origin:
            session = make_session(qsb, transport=None, origin=origin)
            result = run(store, sc, session)
            assert not result.stopped
            assert len(store.links("quickbooks", "invoices")) >= 2
            assert qsb.stats()["requests"]["by_endpoint"].get("POST batch", 0) >= 3
    finally:
        qsb.close()
