"""Xero's side of the contacts category: Xero Contacts ↔ the shared contact.

Archived contacts count as deleted. Xero derives IsCustomer/IsSupplier from documents, so those
are read but never written. The postal (POBOX) address is the one Xero prints on invoices, so it
is the one the shared address maps to; the DEFAULT phone likewise.
"""

from __future__ import annotations

from typing import Any

from scorolink.sync.model import Refused
from scorolink.sync.sides import Mapping, Record, Refs


def contacts_mapping() -> Mapping:
    return Mapping(to_shared=to_shared, from_shared=from_shared, find_by=("Name", "name"),
                   deleted=lambda r: str(r.get("ContactStatus") or "").upper() == "ARCHIVED")


def from_shared(shared: dict[str, Any], _refs: Refs, _current: Record | None) -> Record:
    if not shared.get("name"):
        raise Refused("a contact without a name cannot be saved in Xero")
    record: Record = {"Name": shared["name"], "EmailAddress": shared.get("email") or "",
                      "TaxNumber": shared.get("vat_number") or ""}
    if shared.get("phone"):
        record["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": shared["phone"]}]
    address = shared.get("address") or {}
    if any(address.values()):
        record["Addresses"] = [{"AddressType": "POBOX", "AddressLine1": address.get("street") or "",
                                "City": address.get("city") or "", "PostalCode": address.get("postal_code") or "",
                                "Country": address.get("country") or ""}]
    return record


def to_shared(record: Record, _refs: Refs | None = None) -> dict[str, Any]:
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
