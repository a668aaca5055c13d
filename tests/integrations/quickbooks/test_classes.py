"""Classes: from QuickBooks to Scoro only, per document line, linked to Scoro's accounting objects by name.
Scoro's API cannot create accounting objects (financeObjects is list and view only; Skyvia lists no DML for
AccountingObjects), so each class Scoro lacks is reported on its record saying what to add in Scoro, and a
document with such a class waits for it."""
# ruff: noqa: F811 - the fixtures come from test_sync

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scorolink.connectors.base import WriteOp
from tests.integrations.quickbooks.test_sync import (  # noqa: F401 - fixtures among them
    config,
    errors,
    only,
    qb,
    qb_rows,
    run,
    scoro,
    scoro_writes,
    store,
)


def add_accounting_object_in_scoro(ssb, name: str) -> int:
    """What a person does in Scoro's settings (the API has no call for it)."""
    site = ssb.default_site.name
    rid = ssb.store.next_id(site, "financeObjects")
    ssb.store.put(site, "financeObjects", rid, {"object_id": rid, "object_symbol": name[:3].upper(), "name": name,
                                                "parent_group_name": "Departments"}, None, ssb.clock.now())
    return rid


def test_each_class_scoro_lacks_is_reported_with_what_to_add_and_linked_once_added(scoro, qb, store, monkeypatch):
    ssb, sc = scoro
    qsb, session = qb
    list(session.connector.write("Class", [WriteOp("insert", {"Name": "Marketing"})]))  # Scoro has this one
    ssb.reset_stats()
    run(store, sc, session, only(classes={}))
    classes = {c["Id"]: c for c in qb_rows(session, "Class") if c.get("Active", True)}
    links = store.links("quickbooks", "classes")
    [marketing] = [c for c in classes.values() if c["Name"] == "Marketing"]
    assert links.get("b", marketing["Id"]) is not None
    reported = {e["source_id"]: e["message"] for e in errors(store, "classes")}
    missing = {cid for cid in classes if cid != marketing["Id"]}
    assert set(reported) == missing  # one error per class Scoro lacks, on that class
    for cid in missing:
        name = classes[cid].get("FullyQualifiedName") or classes[cid]["Name"]
        assert f"add an accounting object named {name!r} in Scoro (Settings → Accounting objects)" in reported[cid]
        assert "cannot create" in reported[cid]
    assert scoro_writes(ssb) == 0  # nothing is attempted through the API
    # added in Scoro by a person: the next run (once the record's retry is due) links it and clears the error
    consulting = next(cid for cid in missing if classes[cid]["Name"] == "Consulting")
    add_accounting_object_in_scoro(ssb, "Consulting")
    later = datetime.now(UTC) + timedelta(hours=1)
    monkeypatch.setattr("scorolink.sync.store.now", lambda: later)
    run(store, sc, session, only(classes={}))
    assert store.links("quickbooks", "classes").get("b", consulting) is not None
    assert consulting not in {e["source_id"] for e in errors(store, "classes")}


def test_a_document_line_with_a_class_scoro_lacks_waits_and_says_what_to_add(scoro, qb, store):
    _ssb, sc = scoro
    qsb, session = qb
    to_scoro = {c: {"direction": "to-scoro"} for c in ("contacts", "products", "invoices")}
    run(store, sc, session, config(**to_scoro, sync_without_tax=True, bills={"enabled": False},
                                   receipts={"enabled": False}))
    names = {c["Id"]: c.get("FullyQualifiedName") or c["Name"] for c in qb_rows(session, "Class")}
    classed = [r for r in qb_rows(session, "Invoice") if any(
        (line.get("SalesItemLineDetail") or {}).get("ClassRef") for line in r.get("Line") or [])]
    assert classed
    waiting = {e["source_id"]: e["message"] for e in errors(store, "invoices")}
    for invoice in classed:
        assert store.counterpart("quickbooks", "invoices", "b", invoice["Id"]) is None
        used = {names[line["SalesItemLineDetail"]["ClassRef"]["value"]] for line in invoice["Line"]
                if (line.get("SalesItemLineDetail") or {}).get("ClassRef")}
        assert any(f"accounting object named {name!r}" in waiting[invoice["Id"]] for name in used)
        assert "the document waits" in waiting[invoice["Id"]]


def test_class_tracking_per_transaction_is_said_to_be_needed_per_line(scoro, qb, store):
    _ssb, sc = scoro
    qsb, session = qb
    qsb.set_preferences(session.client.realm_id, ClassTrackingPerTxnLine=False, ClassTrackingPerTxn=True)
    result = run(store, sc, session, only(classes={}))
    [said] = errors(store, "classes")
    assert said["source_id"] == "preferences" and "per transaction" in said["message"]
    assert "One to each row in transaction" in said["message"]
    assert "classes" not in result.executed  # skipped this run
