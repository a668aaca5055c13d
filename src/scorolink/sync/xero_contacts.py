"""Xero's side of the contacts category: Xero Contacts ↔ the shared contact.

Archived contacts count as deleted. Xero derives IsCustomer/IsSupplier from documents, so those
are read but never written. The postal (POBOX) address is the one Xero prints on invoices, so it
is the one the shared address maps to; the DEFAULT phone likewise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from scorolink.connectors.base import Condition, WriteOp
from scorolink.connectors.xero import XeroConnector
from scorolink.sync.categories import contacts_compatible, norm
from scorolink.sync.model import Refused, Resolver, SideRecord, WriteOutcome, WriteRequest


class XeroContacts:
    def __init__(self, connector: XeroConnector) -> None:
        self.connector = connector

    def read(self, since: datetime | None) -> Iterator[SideRecord]:
        for record in self.connector.read("Contacts", modified_since=since, include_archived=since is not None):
            yield side_record(record)

    def fetch(self, ids: list[str]) -> list[SideRecord]:
        if not ids:
            return []
        found = self.connector.read("Contacts", [Condition("ContactID", "in", tuple(ids))], include_archived=True)
        return [side_record(r) for r in found]

    def build(self, shared: dict[str, Any], resolver: Resolver, current: SideRecord | None) -> dict[str, Any]:
        if not shared.get("name"):
            raise Refused("a contact without a name cannot be saved in Xero")
        record: dict[str, Any] = {"Name": shared["name"], "EmailAddress": shared.get("email") or "",
                                  "TaxNumber": shared.get("vat_number") or ""}
        if shared.get("phone"):
            record["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": shared["phone"]}]
        address = shared.get("address") or {}
        if any(address.values()):
            record["Addresses"] = [{"AddressType": "POBOX", "AddressLine1": address.get("street") or "",
                                    "City": address.get("city") or "", "PostalCode": address.get("postal_code") or "",
                                    "Country": address.get("country") or ""}]
        return record

    def write(self, requests: list[WriteRequest]) -> list[WriteOutcome]:
        ops = []
        for request in requests:
            record = dict(request.payload)
            if request.op == "update":
                record["ContactID"] = request.target_id
            action = {"create": "insert", "update": "update", "delete": "delete"}[request.op]
            ops.append(WriteOp(action, record, ref=request.ref))
        keys = {request.ref: request.idem_key for request in requests}
        outcomes = []
        for result in self.connector.write("Contacts", ops, idempotency_key=lambda label, batch: _batch_key(
                label, [keys[op.ref] for op in batch])):
            ref = int(result.op.ref)
            if result.ok:
                outcomes.append(WriteOutcome(ref, True, record=side_record(result.record or {})))
            else:
                kind = "unknown_outcome" if result.outcome_unknown else "validation"
                outcomes.append(WriteOutcome(ref, False, error=result.error, kind=kind))
        return outcomes

    def find(self, shared: dict[str, Any]) -> SideRecord | None:
        if not shared.get("name"):
            return None
        found = [side_record(r) for r in self.connector.read("Contacts", [Condition("Name", "=", shared["name"])])]
        same = [c for c in found if norm(c.shared["name"]) == norm(shared["name"]) and contacts_compatible(shared, c.shared)]
        return same[0] if len(same) == 1 else None


def side_record(record: dict[str, Any]) -> SideRecord:
    modified = record.get("UpdatedDateUTC")
    return SideRecord(str(record.get("ContactID")), to_shared(record),
                      version=modified.isoformat() if isinstance(modified, datetime) else None,
                      modified=modified if isinstance(modified, datetime) else None,
                      deleted=str(record.get("ContactStatus") or "").upper() == "ARCHIVED", native=record)


def to_shared(record: dict[str, Any]) -> dict[str, Any]:
    phones = record.get("Phones") or []
    phone = next((p for p in phones if str(p.get("PhoneType")).upper() == "DEFAULT" and p.get("PhoneNumber")), None)
    addresses = record.get("Addresses") or []
    postal = next((a for a in addresses if str(a.get("AddressType")).upper() == "POBOX"), None) or {}
    address = {"street": postal.get("AddressLine1") or None, "city": postal.get("City") or None,
               "postal_code": postal.get("PostalCode") or None, "country": postal.get("Country") or None}
    return {
        "name": (record.get("Name") or "").strip(),
        "email": record.get("EmailAddress") or None,
        "phone": " ".join(str(phone.get(k)) for k in ("PhoneCountryCode", "PhoneAreaCode", "PhoneNumber")
                          if phone.get(k)) if phone else None,
        "vat_number": record.get("TaxNumber") or None,
        "is_customer": bool(record.get("IsCustomer")),
        "is_supplier": bool(record.get("IsSupplier")),
        "address": address if any(address.values()) else None,
    }


def _batch_key(label: str, keys: list[str]) -> str:
    """One Idempotency-Key per request, derived from its ops' keys: a retried batch replays."""
    return hashlib.sha256("|".join([label, *keys]).encode()).hexdigest()[:64]
