"""Scoro's side of the contacts category: companies (and people) ↔ the shared contact.

Shared contact: name, email, phone, vat_number, is_customer, is_supplier, address {street, city,
postal_code, country}. Pushing from Scoro takes companies and people on the client or supplier
list (as Scoro's own integrations do); pulling into Scoro makes companies. A contact a document
refers to is fetched by id whatever its lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from scorolink.connectors.base import Condition, WriteOp
from scorolink.connectors.scoro import ScoroConnector
from scorolink.sync.categories import contacts_compatible, norm
from scorolink.sync.model import Refused, Resolver, SideRecord, WriteOutcome, WriteRequest
from scorolink.sync.sides import read_by_ids

COLUMNS = ["Id", "ContactType", "Name", "LastName", "VATNumber", "IsClient", "IsSupplier", "Email", "Phone",
           "Address", "ClientProfileId", "UpdatedDate", "IsDeleted"]


class ScoroContacts:
    def __init__(self, connector: ScoroConnector, *, people: bool = True, only_listed: bool = True,
                 bookmark: Any = None) -> None:
        self.connector = connector
        self.bookmark = bookmark  # a saved Scoro view that limits what is pushed
        self.people = people
        self.only_listed = only_listed  # push only clients and suppliers
        self.kinds: dict[str, str] = {}  # id -> person | company, learnt from every read

    # -- reading ---------------------------------------------------------------------------------
    def read(self, since: datetime | None) -> Iterator[SideRecord]:
        where = [Condition("UpdatedDate", ">=", since)] if since is not None else []
        deleted = since is not None
        found = self.bookmark.read(self.connector, "Contacts", where, columns=COLUMNS, include_deleted=deleted) \
            if self.bookmark else self.connector.read("Contacts", where, columns=COLUMNS, include_deleted=deleted)
        for record in found:
            if record.get("ContactType") == "person" and not self.people:
                continue
            if self.only_listed and not (record.get("IsClient") or record.get("IsSupplier")) \
                    and not record.get("IsDeleted"):
                continue
            yield self._side_record(record)

    def candidates(self) -> Iterator[SideRecord]:
        """Every contact, on a list or not: a Xero contact pulled in must match a Scoro company that is not
        a client or supplier rather than make a second one."""
        for record in self.connector.read("Contacts", [], columns=COLUMNS):
            if not record.get("IsDeleted") and (self.people or record.get("ContactType") != "person"):
                yield self._side_record(record)

    def fetch(self, ids: list[str]) -> list[SideRecord]:
        return [self._side_record(r) for r in read_by_ids(self.connector, "Contacts", ids, COLUMNS)]

    def _side_record(self, record: dict[str, Any]) -> SideRecord:
        key = str(record["Id"])
        self.kinds[key] = record.get("ContactType") or "company"
        modified = record.get("UpdatedDate")
        return SideRecord(key, to_shared(record), version=modified.isoformat() if modified else None,
                          modified=modified, deleted=bool(record.get("IsDeleted")), native=record)

    # -- writing ---------------------------------------------------------------------------------
    def build(self, shared: dict[str, Any], resolver: Resolver, current: SideRecord | None) -> dict[str, Any]:
        if not shared.get("name"):
            raise Refused("a contact without a name cannot be saved in Scoro")
        native = current.native if current else {}
        # a new contact is a person when the other side says so (`_kind`, carried: QuickBooks individuals)
        person = (native.get("ContactType") or shared.get("_kind") or "company") == "person"
        record: dict[str, Any] = {"IsClient": bool(shared.get("is_customer")),
                                  "IsSupplier": bool(shared.get("is_supplier")),
                                  "VATNumber": shared.get("vat_number") or ""}
        if person:
            first, _, last = str(shared["name"]).partition(" ")
            record.update(Name=first, LastName=last)
        else:
            record["Name"] = shared["name"]
        for field, key in (("Email", "email"), ("Phone", "phone")):
            record[field] = _first(native.get(field), shared.get(key))
        address = shared.get("address") or {}
        if any(address.values()):
            record["Address"] = {"Street": address.get("street") or "", "City": address.get("city") or "",
                                 "ZipCode": address.get("postal_code") or "", "Country": address.get("country") or ""}
        return record

    def write(self, requests: list[WriteRequest]) -> list[WriteOutcome]:
        outcomes = []
        for request in requests:  # Scoro has no batch write: one request each
            kind = self.kinds.get(str(request.target_id)) if request.target_id else request.shared.get("_kind")
            obj = "People" if kind == "person" else "Companies"
            record = dict(request.payload)
            if request.op in ("update", "delete"):
                record["Id"] = int(str(request.target_id))
            action = "insert" if request.op == "create" else request.op
            [result] = list(self.connector.write(obj, [WriteOp(action, record)]))  # RateLimited stops the run
            if result.ok:
                saved = result.record or {}
                if request.op == "delete":
                    outcomes.append(WriteOutcome(request.ref, True))
                    continue
                fresh = next(iter(self.fetch([str(saved.get("Id", request.target_id))])), None)
                outcomes.append(WriteOutcome(request.ref, True, record=fresh))
            else:
                kind = "unknown_outcome" if result.outcome_unknown else "validation"
                outcomes.append(WriteOutcome(request.ref, False, error=result.error, kind=kind))
        return outcomes

    def find(self, shared: dict[str, Any]) -> SideRecord | None:
        name = shared.get("name")
        if not name:
            return None
        # a company's Name is the whole name; a person's is the first word of it
        names = tuple({str(name), str(name).split(" ")[0]})
        candidates = [self._side_record(r) for r in self.connector.read(
            "Contacts", [Condition("Name", "in", names)], columns=COLUMNS)]
        same = [c for c in candidates if norm(c.shared.get("name")) == norm(name)
                and contacts_compatible(shared, c.shared)]
        return max(same, key=lambda c: int(c.id)) if same else None


def to_shared(record: dict[str, Any]) -> dict[str, Any]:
    person = record.get("ContactType") == "person"
    name = " ".join(p for p in (record.get("Name"), record.get("LastName") if person else None) if p)
    address = record.get("Address") if isinstance(record.get("Address"), dict) else {}
    return {
        "name": name.strip(),
        "email": _head(record.get("Email")),
        "phone": _head(record.get("Phone")),
        "vat_number": record.get("VATNumber") or None,
        "is_customer": bool(record.get("IsClient")),
        "is_supplier": bool(record.get("IsSupplier")),
        # carried (not compared): what a counterpart may need to create the contact
        "_kind": "person" if person else "company", "_client_profile": record.get("ClientProfileId") or None,
        "address": {"street": address.get("Street") or None, "city": address.get("City") or None,
                    "postal_code": address.get("ZipCode") or None, "country": address.get("Country") or None}
        if address and any(address.get(k) for k in ("Street", "City", "ZipCode", "Country")) else None,
    }


def _head(values: Any) -> str | None:
    if isinstance(values, list):
        return next((str(v).strip() for v in values if v not in (None, "")), None)
    return str(values).strip() if values else None


def _first(existing: Iterable[Any] | None, value: Any) -> list[Any]:
    """The shared value first, the record's other values kept (Scoro lists several emails)."""
    rest = [v for v in (existing or []) if v and v != value]
    return ([value] if value else []) + rest
