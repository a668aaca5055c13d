"""Contacts between the Scoro sandbox and the Xero sandbox, in both directions."""

from __future__ import annotations

from scorolink.connectors.base import Condition, WriteOp
from scorolink.integrations.xero.contacts import contacts_mapping
from scorolink.integrations.xero.sides import XeroSide
from scorolink.sync.categories import PairedCategory, contact_keys, contacts_compatible
from scorolink.sync.engine import SyncEngine
from scorolink.sync.planner import CategorySettings
from scorolink.sync.scoro_contacts import ScoroContacts
from scorolink.sync.sides import Refs
from tests.integrations.xero.conftest import endpoint_counts as xero_counts


def engine(store, scoro, xero_connector, direction: str) -> SyncEngine:
    xero_side = XeroSide(xero_connector, "Contacts", "ContactID", contacts_mapping(), Refs())
    category = PairedCategory("contacts", ScoroContacts(scoro), xero_side, contact_keys, compatible=contacts_compatible)
    return SyncEngine(store, "xero", [category], {"contacts": CategorySettings(direction=direction)})


def test_scoro_clients_and_suppliers_go_to_xero_once(connector, store, xero):
    xsb, xc = xero
    listed = [c for c in connector.read("Contacts", columns=["Id", "IsClient", "IsSupplier"])
              if c["IsClient"] or c["IsSupplier"]]
    first = engine(store, connector, xc, "a_to_b").run()
    done = first.executed["contacts"]
    assert done.get("failed", 0) == 0, store.errors("xero")
    assert done.get("created", 0) + done.get("linked", 0) == len(listed) - len(first.plans["contacts"].issues)
    xsb.reset_stats()
    second = engine(store, connector, xc, "a_to_b").run()
    assert second.executed.get("contacts", {}) == {}
    assert not any(k.startswith(("PUT", "POST")) for k in xero_counts(xsb))


def test_xero_contacts_arrive_in_scoro_as_companies(connector, store, xero):
    xsb, xc = xero
    xero_names = {c["Name"] for c in xc.read("Contacts")}
    result = engine(store, connector, xc, "b_to_a").run()
    assert result.executed["contacts"].get("failed", 0) == 0, store.errors("xero")
    scoro_names = {c["Name"] for c in connector.read("Companies", columns=["Name"])}
    assert xero_names <= scoro_names
    # an edit in Xero travels; nothing else is rewritten
    some = next(iter(xc.read("Contacts", limit=1)))
    list(xc.write("Contacts", [WriteOp("update", {"ContactID": some["ContactID"], "TaxNumber": "GB123456789"})]))
    xsb.advance_clock(5)
    again = engine(store, connector, xc, "b_to_a").run()
    assert again.executed["contacts"] == {"updated": 1}
    target = store.counterpart("xero", "contacts", "b", some["ContactID"])
    [row] = connector.read("Companies", [Condition("Id", "=", int(target))], columns=["VATNumber"])
    assert row["VATNumber"] == "GB123456789"
