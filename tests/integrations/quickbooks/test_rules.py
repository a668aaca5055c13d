"""More of the seed's rules end to end: projects on documents, start dates, receipts to QuickBooks, the
runtime operation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from scorolink.clients.oauth import TokenSet
from scorolink.connectors.base import Condition, WriteOp
from scorolink.errors import ConfigError
from scorolink.integrations.quickbooks.integration import QuickBooksSyncConfig
from tests.integrations.quickbooks.test_sync import SETUP, errors, only, qb, run, scoro, store  # noqa: F401

INVOICE_COLUMNS = ["Id", "DocumentNumber", "CompanyId", "PersonId", "Date", "Deadline", "Currency", "Lines"]


def copy_invoice(sc, number: str, projects: list[int], company: int | None = None) -> int:
    """A new Scoro invoice like the first one in euros, its lines in the given projects."""
    source = next(i for i in sc.read("Invoices", columns=INVOICE_COLUMNS) if i["Currency"] == "EUR")
    lines = [{k: v for k, v in line.items() if k in ("ProductId", "Amount", "Price", "VatCodeId", "Comment",
                                                      "FinanceAccountId")} for line in source["Lines"]]
    while len(lines) < len(projects):
        lines.append(dict(lines[0]))
    for line, project in zip(lines, projects, strict=False):
        line["ProjectId"] = project
    record = {"DocumentNumber": number, "CompanyId": company or source["CompanyId"], "Date": source["Date"],
              "Deadline": source["Deadline"], "Currency": "EUR", "Lines": lines}
    [made] = list(sc.write("Invoices", [WriteOp("insert", {k: v for k, v in record.items() if v is not None})]))
    assert made.ok, made.error
    return int(made.record["Id"])


def test_an_invoice_carries_its_one_project_and_several_are_reported(scoro, qb, store):  # noqa: F811
    _ssb, sc = scoro
    _qsb, session = qb
    run(store, sc, session, only(contacts={"direction": "to-scoro"}, projects={}))
    scoro_projects = [int(p["Id"]) for p in sc.read("Projects", columns=["Id"])
                      if store.counterpart("quickbooks", "projects", "a", str(p["Id"]))]
    assert len(scoro_projects) >= 2
    one = copy_invoice(sc, "QB-ONE-1", scoro_projects[:1])
    several = copy_invoice(sc, "QB-TWO-1", scoro_projects[:2])
    chosen = only(invoices={}, projects={}, tax_rates={})
    for invoice in (one, several):
        run(store, sc, session, chosen, record=("invoices", "a", str(invoice)))
    [with_one] = session.connector.fetch("Invoice", [store.counterpart("quickbooks", "invoices", "a", str(one))])
    assert with_one["ProjectRef"]["value"] == store.counterpart("quickbooks", "projects", "a", str(scoro_projects[0]))
    [with_two] = session.connector.fetch("Invoice", [store.counterpart("quickbooks", "invoices", "a", str(several))])
    assert "ProjectRef" not in with_two
    [reported] = [e for e in errors(store, "invoices") if e["source_id"] == str(several)]
    assert "several projects" in reported["message"]


def test_start_dates_not_before_the_connection_and_locked_after_the_first_sync(scoro, qb, store):  # noqa: F811
    _ssb, sc = scoro
    _qsb, session = qb
    tokens = session.oauth.tokens()
    connected = datetime.now(UTC) - timedelta(days=3)
    session.oauth.store.save(TokenSet(**{**tokens.__dict__, "tenants": [
        {"tenantId": tokens.tenant_id, "createdDateUtc": connected.isoformat()}]}))
    too_early = (connected - timedelta(days=10)).date().isoformat()
    with pytest.raises(ConfigError, match="before QuickBooks was connected"):
        run(store, sc, session, only(contacts={"start_date": too_early}))
    first = connected.date().isoformat()
    run(store, sc, session, only(contacts={"start_date": first}))
    with pytest.raises(ConfigError, match="locked after the initial sync"):
        run(store, sc, session, only(contacts={"start_date": date.today().isoformat()}))


def test_receipts_go_to_quickbooks_as_payments(scoro, qb, store):  # noqa: F811
    _ssb, sc = scoro
    _qsb, session = qb
    run(store, sc, session)
    receipts = store.links("quickbooks", "receipts")
    assert len(receipts) >= 1
    payments = [r for r in session.connector.read("Payment") if r.get("TotalAmt")]
    linked = [link for link in (receipts.get("b", f"p{p['Id']}") for p in payments) if link is not None]
    assert linked
    [payment] = session.connector.fetch("Payment", [linked[0].b_id[1:]])
    [receipt] = list(sc.read("ReceiptGroups", [Condition("Id", "=", int(linked[0].a_id))]))
    assert payment["TotalAmt"] == receipt["Sum"]


def test_the_runtime_operation_runs_the_sync(scoro, qb, store, tmp_path, monkeypatch):  # noqa: F811
    from scorolink.integrations.quickbooks import operation

    _ssb, sc = scoro
    _qsb, session = qb
    toml = tmp_path / "scorolink.toml"
    toml.write_text('[quickbooks_sync]\nmode = "automatic"\ndefault_income_account = "4100"\n'
                    'default_expense_account = "6000"\n\n[quickbooks_sync.tax_rates]\n\n[quickbooks_sync.accounts]\n')
    monkeypatch.setattr("scorolink.integrations.quickbooks.session.open_quickbooks", lambda *_a, **_k: session)
    session.close = lambda: None  # the fixture closes it

    class Connection:
        name = "default"
        connector = sc

        def system(self, _name):
            return {}

    class Checkpoint:
        state = None
        logged: list[str] = []

        def __init__(self, url):
            self.store = url

        def log(self, message, level="info"):
            self.logged.append(message)

    checkpoint = Checkpoint(f"sqlite:///{tmp_path}/jobs-state.db")
    result = operation.quickbooks_sync_operation({"background": True, "config": str(toml)}, Connection(), checkpoint)
    assert result.done and result.counts.get("created", 0) > 0
    assert "quickbooks sync run" in checkpoint.logged[-1]
    with pytest.raises(ConfigError, match="categories"):
        operation.check({"categories": ["nothing"]})


def test_attachments_go_with_their_document_once(scoro, qb, store):  # noqa: F811
    _ssb, sc = scoro
    qsb, session = qb
    result = run(store, sc, session)
    related = [(f["Id"], i) for f in sc.read("Files", columns=["Id", "Relations"])
               for i in (f.get("Relations") or {}).get("invoices", [])
               if store.counterpart("quickbooks", "invoices", "a", str(i))]
    assert related and result.executed["attachments"]["uploaded"] == len(related)
    for _file, invoice in related:
        target = store.counterpart("quickbooks", "invoices", "a", str(invoice))
        found = session.client.query("SELECT * FROM Attachable WHERE AttachableRef.EntityRef.Type = 'Invoice' "
                                     f"AND AttachableRef.EntityRef.Value = '{target}'").get("Attachable", [])
        assert len(found) == 1 and found[0]["Size"] > 0
    again = run(store, sc, session)
    assert again.executed["attachments"]["uploaded"] == 0


def test_attachments_can_be_sent_by_hand(scoro, qb, store):  # noqa: F811
    _ssb, sc = scoro
    _qsb, session = qb
    manual = QuickBooksSyncConfig.from_dict({**SETUP, "attachments": "manual", "invoices": {}, "tax_rates": {}})
    run(store, sc, session, manual)
    invoice = next(i for f in sc.read("Files", columns=["Relations"]) for i in (f.get("Relations") or {}).get(
        "invoices", []) if store.counterpart("quickbooks", "invoices", "a", str(i)))
    target = store.counterpart("quickbooks", "invoices", "a", str(invoice))
    statement = ("SELECT * FROM Attachable WHERE AttachableRef.EntityRef.Type = 'Invoice' AND "
                 f"AttachableRef.EntityRef.Value = '{target}'")
    assert not session.client.query(statement).get("Attachable")
    sent = run(store, sc, session, manual, record=("attachments", "a", str(invoice)))
    assert sent.executed["attachments"]["uploaded"] >= 1
    assert len(session.client.query(statement).get("Attachable", [])) >= 1


def test_edits_in_scoro_to_tax_rates_are_reported_not_pushed(scoro, qb, store):  # noqa: F811
    ssb, sc = scoro
    qsb, session = qb
    chosen = only(tax_rates={}, accounts={})
    run(store, sc, session, chosen)
    link = next(iter(store.links("quickbooks", "tax_rates").by["a"].values()))
    list(sc.write("VATCodes", [WriteOp("update", {"Id": int(link.a_id), "VATName": "renamed in Scoro"})]))
    ssb.advance_clock(5)
    qsb.reset_stats()
    result = run(store, sc, session, chosen)
    [issue] = [i for i in result.plans["tax_rates"].issues if i.kind == "managed_elsewhere"]
    assert issue.source_id == link.a_id and "not carried" in issue.message
    assert not qsb.stats()["writes"]


def test_a_scoro_bookmark_limits_what_is_pushed_but_its_status_filter_is_ignored(scoro, qb, store):  # noqa: F811
    ssb, sc = scoro
    _qsb, session = qb
    ssb.reset_stats()
    run(store, sc, session, only(invoices={"bookmark": "Unpaid invoices"}, tax_rates={}))
    lists = [r["body"] for r in ssb.recent_requests(500) if r["path"].endswith("/invoices/list")
             and "bookmark" in r["body"]]
    unpaid = {str(i["Id"]) for i in sc.read("Invoices", [Condition("Status", "=", "unpaid")], columns=["Id"])}
    pushed = set(store.links("quickbooks", "invoices").by["a"])
    refused = {e["source_id"] for e in errors(store, "invoices")}
    # The seed: an invoices bookmark's Status filter is ignored (all receipt statuses), as for Xero; this
    # bookmark has no other filter, so invoices of every receipt status go, each read through the bookmark.
    assert (pushed | refused) - unpaid
    assert lists and all(body.get("bookmark") == {"bookmark_id": "3"} for body in lists)
    with pytest.raises(ConfigError, match="bookmark 'Open deals' is unknown"):
        run(store, sc, session, only(invoices={"bookmark": "Open deals"}))


def test_a_supplier_named_on_an_invoice_becomes_a_customer_too(scoro, qb, store):  # noqa: F811
    ssb, sc = scoro
    qsb, session = qb
    [supplier] = list(sc.write("Companies", [WriteOp("insert", {"Name": "Supplier Only OÜ", "IsSupplier": True})]))
    run(store, sc, session, only(contacts={}))
    [vendor] = [v for v in session.connector.read("Vendor") if v["DisplayName"] == "Supplier Only OÜ"]
    link = store.links("quickbooks", "contacts").get("a", str(supplier.record["Id"]))
    assert link.b_id == f"v{vendor['Id']}"
    invoice = copy_invoice(sc, "QB-SUPPLIER-1", [], company=int(supplier.record["Id"]))
    run(store, sc, session, only(invoices={}, tax_rates={}), record=("invoices", "a", str(invoice)))
    [renamed] = session.connector.fetch("Vendor", [vendor["Id"]])
    assert renamed["DisplayName"] == "Supplier Only OÜ (v)"
    [customer] = [c for c in session.connector.read("Customer") if c["DisplayName"] == "Supplier Only OÜ"]
    [sent] = session.connector.fetch("Invoice", [store.counterpart("quickbooks", "invoices", "a", str(invoice))])
    assert sent["CustomerRef"]["value"] == customer["Id"]
    # the contact keeps its link (a pair is known by its older half) and nothing is written again
    everything = only(contacts={}, invoices={}, tax_rates={})
    run(store, sc, session, everything)  # the other invoices
    qsb.reset_stats()
    ssb.reset_stats()
    again = run(store, sc, session, everything)
    assert store.links("quickbooks", "contacts").get("a", str(supplier.record["Id"])).b_id == f"v{vendor['Id']}"
    assert not qsb.stats()["writes"], again.executed
