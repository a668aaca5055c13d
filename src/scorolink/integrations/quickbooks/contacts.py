"""QuickBooks' side of the contacts category: Customers and Vendors ↔ the shared contact.

As in Scoro's integration: a Scoro client becomes a Customer, a supplier a Vendor, and a contact that is
both becomes both — the Vendor named with " (v)", since QuickBooks wants a display name unique across
customers and vendors. Read back, a Customer and its " (v)" Vendor are one contact (id `c<customer>`); a
Vendor alone is `v<vendor>`. An individual (given or family name, no company name) is a person in Scoro.
A new contact goes with the currency of its Scoro client profile, else the site's; once set in
QuickBooks a contact's currency is never sent again (QuickBooks refuses to change it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from scorolink.connectors.base import Condition, WriteOp
from scorolink.integrations.quickbooks.client import request_key
from scorolink.sync.categories import norm
from scorolink.sync.model import Refused, Resolver, SideRecord, WriteOutcome, WriteRequest
from scorolink.sync.sides import Record

VENDOR_MARK = " (v)"


def _created(record: Record) -> str:
    return str((record.get("MetaData") or {}).get("CreateTime") or "")


def to_shared(customer: Record | None, vendor: Record | None) -> dict[str, Any]:
    main = customer or vendor or {}
    name = str(main.get("DisplayName") or "")
    if customer is None and name.endswith(VENDOR_MARK):
        name = name[: -len(VENDOR_MARK)]
    address = main.get("BillAddr") or {}
    shared_address = {"street": address.get("Line1") or None, "city": address.get("City") or None,
                      "postal_code": address.get("PostalCode") or None, "country": address.get("Country") or None}
    person = not main.get("CompanyName") and bool(main.get("GivenName") or main.get("FamilyName"))
    return {
        "name": name.strip(), "email": (main.get("PrimaryEmailAddr") or {}).get("Address") or None,
        "phone": (main.get("PrimaryPhone") or {}).get("FreeFormNumber") or None,
        "vat_number": main.get("PrimaryTaxIdentifier") or main.get("TaxIdentifier") or None,
        "is_customer": customer is not None, "is_supplier": vendor is not None,
        "address": shared_address if any(shared_address.values()) else None,
        "_kind": "person" if person else "company",
        "_currency": (main.get("CurrencyRef") or {}).get("value"),
    }


def from_shared(shared: dict[str, Any], name: str) -> Record:
    if not shared.get("name"):
        raise Refused("a contact without a name cannot be saved in QuickBooks")
    if any(c in name for c in ":\t\n"):
        raise Refused(f"QuickBooks display names may not contain ':', tabs or line breaks: {name!r}")
    record: Record = {"DisplayName": name[:500]}
    if shared.get("_kind") == "person":
        first, _, last = str(shared["name"]).partition(" ")
        record.update(GivenName=first[:100], FamilyName=last[:100] or None)
    else:
        record["CompanyName"] = str(shared["name"])[:100]
    if shared.get("email"):
        record["PrimaryEmailAddr"] = {"Address": shared["email"]}
    if shared.get("phone"):
        record["PrimaryPhone"] = {"FreeFormNumber": shared["phone"]}
    address = shared.get("address") or {}
    if any(address.values()):
        record["BillAddr"] = {"Line1": address.get("street") or "", "City": address.get("city") or "",
                              "PostalCode": address.get("postal_code") or "", "Country": address.get("country") or ""}
    return {k: v for k, v in record.items() if v is not None}


class QuickBooksContacts:
    """Customers (not projects) and Vendors as one contacts side."""

    def __init__(self, connector: Any, currency_of: Callable[[dict[str, Any]], str | None]) -> None:
        self.connector = connector
        self.currency_of = currency_of  # a new contact's currency (Scoro client profile, else the site's)
        self._customers: dict[str, Record] | None = None
        self._vendors: dict[str, Record] | None = None

    # -- the name index: a customer and its " (v)" vendor are one contact ----------------------------
    def _load(self) -> None:
        if self._customers is None or self._vendors is None:
            self._customers = {r["Id"]: r for r in self.connector.read("Customer", include_inactive=True)
                               if not r.get("IsProject")}
            self._vendors = {r["Id"]: r for r in self.connector.read("Vendor", include_inactive=True)}

    def forget(self, system: str, obj: str) -> None:
        if system == "quickbooks" and obj in ("Customer", "Vendor"):
            self._customers = self._vendors = None

    def _companion(self, customer: Record) -> Record | None:
        self._load()
        assert self._vendors is not None
        wanted = norm(str(customer.get("DisplayName") or "") + VENDOR_MARK)
        return next((v for v in self._vendors.values() if norm(v.get("DisplayName")) == wanted), None)

    def _owner(self, vendor: Record) -> Record | None:
        self._load()
        assert self._customers is not None
        name = str(vendor.get("DisplayName") or "")
        if not name.endswith(VENDOR_MARK):
            return None
        wanted = norm(name[: -len(VENDOR_MARK)])
        return next((c for c in self._customers.values() if norm(c.get("DisplayName")) == wanted), None)

    def _record(self, customer: Record | None, vendor: Record | None) -> SideRecord:
        main = customer or vendor or {}
        times: list[datetime] = [r["LastUpdatedTime"] for r in (customer, vendor) if r and r.get("LastUpdatedTime")]
        modified = max(times) if times else None
        side_id = f"c{customer['Id']}" if customer else f"v{(vendor or {}).get('Id')}"
        if customer and vendor and _created(vendor) < _created(customer):
            side_id = f"v{vendor['Id']}"  # a pair is known by its older half: a vendor given a customer keeps its id
        active = all(r.get("Active", True) is not False for r in (customer, vendor) if r)
        return SideRecord(side_id, to_shared(customer, vendor), version=modified.isoformat() if modified else None,
                          modified=modified, deleted=not active,
                          native={"customer": customer, "vendor": vendor, "Id": main.get("Id")})

    def _group(self, record: Record, entity: str) -> SideRecord:
        if entity == "Customer":
            return self._record(record, self._companion(record))
        owner = self._owner(record)
        return self._record(owner, record) if owner else self._record(None, record)

    # -- reading ---------------------------------------------------------------------------------
    def read(self, since: datetime | None) -> Iterator[SideRecord]:
        seen: set[str] = set()
        for entity in ("Customer", "Vendor"):
            for record in self.connector.read(entity, since=since, include_inactive=since is not None):
                if record.get("IsProject") or record.get("Deleted"):
                    continue
                found = self._group(record, entity)
                if found.id not in seen:
                    seen.add(found.id)
                    yield found

    def candidates(self) -> Iterator[SideRecord]:
        self._load()
        assert self._customers is not None and self._vendors is not None
        owned = set()
        for customer in self._customers.values():
            if customer.get("Active", True) is False:
                continue
            vendor = self._companion(customer)
            if vendor:
                owned.add(vendor["Id"])
            yield self._record(customer, vendor)
        for vendor in self._vendors.values():
            if vendor["Id"] not in owned and vendor.get("Active", True) is not False:
                yield self._record(None, vendor)

    def fetch(self, ids: list[str]) -> list[SideRecord]:
        customers = self.connector.fetch("Customer", [i[1:] for i in ids if i.startswith("c")])
        vendors = self.connector.fetch("Vendor", [i[1:] for i in ids if i.startswith("v")])
        return [self._group(r, "Customer") for r in customers] + [self._group(r, "Vendor") for r in vendors]

    def find(self, shared: dict[str, Any]) -> SideRecord | None:
        name = shared.get("name")
        if not name:
            return None
        for entity in ("Customer", "Vendor"):
            found = list(self.connector.read(entity, [Condition("DisplayName", "=", str(name))], include_inactive=True))
            if found:
                self.forget("quickbooks", entity)
                return self._group(found[0], entity)
        return None

    def _get(self, side_id: str) -> Record | None:
        """A customer (`c…`) or vendor (`v…`) from the name index, read again once when the id is new to it:
        documents ask for their contact one by one, so that must not cost a call each."""
        for attempt in range(2):
            self._load()
            assert self._customers is not None and self._vendors is not None
            found = (self._customers if side_id.startswith("c") else self._vendors).get(side_id[1:])
            if found is not None or attempt:
                return found
            self._customers = self._vendors = None
        return None

    def cached(self, side_id: str) -> SideRecord | None:
        found = self._get(side_id)
        return self._group(found, "Customer" if side_id.startswith("c") else "Vendor") if found else None

    def canonical(self, side_id: str) -> str:
        """The id a contact is known by (its pair's older half), for references read from documents."""
        found = self.cached(side_id)
        return found.id if found is not None else side_id

    def customer_for(self, vendor_side_id: str) -> str:
        """The customer side of a contact an invoice names: its customer, or — a supplier only so far — a new
        customer under its name, the vendor renamed with " (v)" (contacts on an invoice always sync, as a
        customer; display names are unique across customers and vendors)."""
        vendor = self._get(vendor_side_id)
        if vendor is None:
            raise Refused(f"QuickBooks vendor {vendor_side_id[1:]} is gone")
        owner = self._owner(vendor)
        if owner is not None:
            return f"c{owner['Id']}"
        name = str(vendor.get("DisplayName") or "")
        if not name.endswith(VENDOR_MARK):  # (a run stopped after the rename does not rename twice)
            [renamed] = list(self.connector.write("Vendor", [WriteOp("update", {
                "Id": vendor["Id"], "DisplayName": name + VENDOR_MARK})], request_id=lambda label, _b: request_key(
                    label, "vendor-mark", str(vendor["Id"]))))
            if not renamed.ok:
                raise Refused(f"the invoice's contact could not be made a QuickBooks customer: {renamed.error}")
        else:
            name = name[: -len(VENDOR_MARK)]
        body = {k: v for k, v in vendor.items() if k in ("CompanyName", "GivenName", "FamilyName", "PrimaryEmailAddr",
                                                         "PrimaryPhone", "BillAddr", "CurrencyRef")}
        body["DisplayName"] = name
        [result] = list(self.connector.write("Customer", [WriteOp("insert", body)], request_id=lambda label, _b:
                                             request_key(label, "companion-customer", str(vendor["Id"]))))
        self.forget("quickbooks", "Customer")  # the index sees the renamed vendor and its customer next time
        if not result.ok:
            raise Refused(f"the invoice's contact could not be made a QuickBooks customer: {result.error}")
        return f"c{result.record['Id']}"

    def vendor_for(self, customer_side_id: str) -> str:
        """The vendor side of a customer a bill names: its " (v)" companion, created when missing (contacts on a
        bill always sync, as a vendor)."""
        customer = self._get(customer_side_id)
        if customer is None:
            raise Refused(f"QuickBooks customer {customer_side_id[1:]} is gone")
        vendor = self._companion(customer)
        if vendor is not None:
            return f"v{vendor['Id']}"
        body = {k: v for k, v in customer.items() if k in ("CompanyName", "GivenName", "FamilyName", "PrimaryEmailAddr",
                                                           "PrimaryPhone", "BillAddr", "CurrencyRef")}
        body["DisplayName"] = str(customer.get("DisplayName") or "") + VENDOR_MARK
        [result] = list(self.connector.write("Vendor", [WriteOp("insert", body)], request_id=lambda label, _b: request_key(
            label, "companion-vendor", str(customer["Id"]))))
        self.forget("quickbooks", "Vendor")
        if not result.ok:
            raise Refused(f"the bill's contact could not be made a QuickBooks vendor: {result.error}")
        return f"v{result.record['Id']}"

    # -- writing ---------------------------------------------------------------------------------
    def build(self, shared: dict[str, Any], resolver: Resolver, current: SideRecord | None) -> Record:
        native = current.native if current else {}
        customer, vendor = native.get("customer"), native.get("vendor")
        wants_customer = bool(shared.get("is_customer")) or not shared.get("is_supplier") or customer is not None
        wants_vendor = bool(shared.get("is_supplier")) or vendor is not None
        name = str(shared.get("name") or "")
        out: Record = {}
        if wants_customer:
            out["customer"] = {**from_shared(shared, name), **({"Id": customer["Id"]} if customer else {})}
        if wants_vendor:
            vendor_name = name + VENDOR_MARK if wants_customer else name
            out["vendor"] = {**from_shared(shared, vendor_name), **({"Id": vendor["Id"]} if vendor else {})}
        currency = self.currency_of(shared)
        for key, existing in (("customer", customer), ("vendor", vendor)):
            if key in out and existing is None and currency:  # set once, on create; never changed after
                out[key]["CurrencyRef"] = {"value": currency}
        return out

    def write(self, requests: list[WriteRequest]) -> list[WriteOutcome]:
        jobs: dict[str, list[tuple[int, WriteOp]]] = {"Customer": [], "Vendor": []}
        for request in requests:
            for key, entity in (("customer", "Customer"), ("vendor", "Vendor")):
                body = request.payload.get(key)
                if body is None:
                    continue
                action = "delete" if request.op == "delete" else ("update" if body.get("Id") else "insert")
                jobs[entity].append((request.ref, WriteOp(action, dict(body), ref=request.ref)))
        done: dict[tuple[int, str], Any] = {}
        keys = {r.ref: r.idem_key for r in requests}
        for entity, pairs in jobs.items():
            ops = [op for _ref, op in pairs]
            for result in self.connector.write(entity, ops, request_id=lambda label, batch: request_key(
                    label, *[keys[op.ref] for op in batch])):
                done[(int(result.op.ref), entity)] = result
        self.forget("quickbooks", "Customer")
        outcomes = []
        for request in requests:
            results = [done[(request.ref, e)] for e in ("Customer", "Vendor") if (request.ref, e) in done]
            bad = next((r for r in results if not r.ok), None)
            if bad is not None and not any(r.ok for r in results):
                kind = "unknown_outcome" if bad.outcome_unknown else "validation"
                outcomes.append(WriteOutcome(request.ref, False, error=bad.error, kind=kind))
                continue
            saved = {e: done[(request.ref, e)].record for e in ("Customer", "Vendor")
                     if (request.ref, e) in done and done[(request.ref, e)].ok}
            record = (self._group(saved["Customer"], "Customer") if "Customer" in saved
                      else self._group(saved["Vendor"], "Vendor") if "Vendor" in saved else None)
            outcomes.append(WriteOutcome(request.ref, True, record=record,
                                         error=f"saved in part: {bad.error}" if bad is not None else None))
        return outcomes
