"""One QuickBooks company (realm): its entities and the rules a write must pass (B3, B6, B7, B12).

Records are dicts in wire vocabulary, with private keys starting with ``_`` (``_created`` and ``_updated`` as
epoch seconds, ``_voided``). Reads, queries and CDC never see private keys. Money is worked out in Decimal."""

from __future__ import annotations

import base64
import contextlib
import copy
import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ..records import Store
from . import query as q
from .config import QuickBooksSandboxConfig
from .entities import (
    ACCOUNT_TYPES,
    ATTACHMENT_TYPES,
    ITEM_TYPES,
    LINE_TYPES,
    META,
    NAME_LIST,
    NOT_IN_CDC,
    READ_ONLY,
    READ_ONLY_ITEM_TYPES,
    SPECS,
    SUBTYPES,
    TRANSACTION,
    Spec,
)
from .wire import QBOError, cents, day, money, num, parse_when, stamp

DUPLICATE_NAME = ("The name supplied already exists. : Another customer, vendor or employee is already using this "
                  "name. Please use a different name.")
STALE = ("Stale Object Error : You and {user} were working on this at the same time. {user} finished before you "
         "did, so your work was not saved.")
INACTIVE = "Object Not Found : Something you're trying to use has been made inactive. Check the fields with {what}."
GONE = "Object Not Found : Another user has deleted this transaction."


def blank(value: Any) -> bool:
    """The SDK sends its defaults: ``""`` (and None) mean "not sent"."""
    return value is None or value == ""


def clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if not blank(v)}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def ref_id(ref: Any) -> str | None:
    if isinstance(ref, dict) and not blank(ref.get("value")):
        return str(ref["value"])
    if isinstance(ref, str | int) and not isinstance(ref, bool) and str(ref):
        return str(ref)
    return None


def _norm(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("value")                  # a reference: its id
    return "" if value is None else str(value).strip().lower()


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


class Company:
    def __init__(self, store: Store, profile: dict, config: QuickBooksSandboxConfig, now: Callable[[], float],
                 on_change: Callable[[str, str, dict, str], None]) -> None:
        self.store = store
        self.profile = profile
        self.realm = str(profile["realmId"])
        self.tz = str(profile["tz"])
        self.cfg = config
        self._now = now
        self._at: float | None = None
        self._on_change = on_change
        self._hidden: set[tuple[str, str]] = set()   # created earlier in the running batch (B9)
        self._in_batch = False
        self.deferred = False                         # seed data: balances worked out once at the end
        self._link_index: dict[tuple[str, str], dict[str, Decimal]] | None = None
        self._value_index: dict[tuple[str, str], dict[str, set[str]]] = {}
        self._max_doc: dict[str, int] = {}
        self._upload: bytes | None = None             # the file of the running /upload

    # -- time and ids -----------------------------------------------------------------------------------
    def now(self) -> float:
        return self._at if self._at is not None else self._now()

    @contextlib.contextmanager
    def at(self, ts: float) -> Iterator[None]:
        """Stamp writes at ``ts`` (seed data) instead of the clock."""
        self._at = ts
        try:
            yield
        finally:
            self._at = None

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Objects created inside are invisible to the rest of the batch (B9)."""
        self._in_batch = True
        try:
            yield
        finally:
            self._in_batch = False
            self._hidden.clear()

    def _next_id(self, entity: str) -> str:
        key = f"seq:{self.realm}:{entity}"
        n = int(self.store.meta_get(key) or 0) + 1
        self.store.meta_set(key, str(n))
        return str(n)

    @property
    def home(self) -> str:
        return str(self.profile["HomeCurrency"])

    @property
    def multicurrency(self) -> bool:
        return bool(self.profile["MultiCurrencyEnabled"])

    @property
    def class_per_line(self) -> bool:
        return bool(self.profile["ClassTrackingPerTxnLine"])

    @property
    def class_tracking(self) -> bool:
        return bool(self.profile["ClassTrackingPerTxnLine"] or self.profile["ClassTrackingPerTxn"])

    @property
    def us_sales_tax(self) -> bool:
        return self.profile["Country"] == "US"

    # -- raw access -------------------------------------------------------------------------------------
    def all(self, entity: str) -> list[dict]:
        return [r for r in self.store.all(self.realm, entity) if (entity, r["Id"]) not in self._hidden]

    def get(self, entity: str, rid: str) -> dict | None:
        if (entity, rid) in self._hidden:
            return None
        return self.store.get(self.realm, entity, rid)

    def read(self, entity: str, rid: str) -> dict:
        rec = self.get(entity, rid)
        if rec is None:
            raise QBOError("610", f"Object Not Found : Something you're trying to use has been made inactive or "
                                  f"deleted: {entity} with Id {rid} does not exist.", element="Id")
        return rec

    def _put(self, entity: str, rec: dict, action: str) -> None:
        self.store.put(self.realm, entity, rec["Id"], rec)
        for (ent, field), index in self._value_index.items():
            if ent == entity:
                index.setdefault(_norm(rec.get(field)), set()).add(rec["Id"])
        number = str(rec.get("DocNumber", ""))
        if number.isdigit() and entity in self._max_doc:
            self._max_doc[entity] = max(self._max_doc[entity], int(number))
        self._on_change(self.realm, entity, rec, action)

    def _stamp(self, rec: dict, created: bool) -> None:
        now = self.now()
        if created:
            rec["_created"] = now
        rec["_updated"] = now
        rec["MetaData"] = {"CreateTime": stamp(rec["_created"], self.tz),
                           "LastUpdatedTime": stamp(now, self.tz)}

    # -- references -------------------------------------------------------------------------------------
    def resolve(self, entity: str, ref: Any, element: str, active: bool = True) -> dict:
        rid = ref_id(ref)
        if rid is None:
            raise QBOError("2020", f"Required param missing, need to supply the required value for the API: "
                                   f"{element}", element=element)
        rec = self.get(entity, rid)
        if rec is None:
            raise QBOError("2500", f"Invalid Reference Id : {entity} assigned to {element} ({rid}) does not exist",
                           element=element)
        if active and rec.get("Active") is False:
            raise QBOError("610", INACTIVE.format(what=element), element=element)
        return rec

    def ref(self, entity: str, rec: dict) -> dict:
        name = rec.get("DisplayName") or rec.get("FullyQualifiedName") or rec.get("Name") or rec.get("DocNumber")
        out = {"value": rec["Id"]}
        if name:
            out["name"] = name
        return out

    # -- the write entry points -------------------------------------------------------------------------
    def write(self, entity: str, body: dict, operation: str | None = None, include: str | None = None) -> dict:
        """POST /{entity}: create, update (full or sparse), delete or void. Returns the stored record, or a
        ``{"status": "Deleted"}`` stub."""
        spec = SPECS[entity.lower()]
        if not isinstance(body, dict):
            raise QBOError("2010", f"The request body must be a {spec.name} object")
        operation = (operation or "").lower() or None
        include = (include or "").lower() or None
        if spec.kind == READ_ONLY:
            raise QBOError("500", f"Operation {operation or 'create/update'} is not supported for {spec.name}: it "
                                  "is read and query only through this API.", element="Operation")
        if operation == "delete":
            return self.delete(spec, body)
        if operation == "void":
            return self.void(spec, body)
        if operation == "update" and include == "void":
            if spec.name not in ("Payment", "BillPayment"):
                raise QBOError("500", f"Operation void is not supported for {spec.name}.", element="Operation")
            return self.void(spec, body, via_update=True)
        if operation not in (None, "create", "update"):
            raise QBOError("500", f"Operation {operation} is not supported.", element="Operation")
        body = clean(body)
        rid = body.get("Id")
        if not blank(rid) and str(rid) not in ("0",):
            return self.update(spec, body)
        return self.create(spec, body)

    def create(self, spec: Spec, body: dict) -> dict:
        rec = self._writable(spec, body)
        self._derive(spec, rec, None)
        rec["Id"] = self._next_id(spec.name)
        rec["SyncToken"] = "0"
        rec["domain"] = "QBO"
        rec["sparse"] = False
        self._stamp(rec, created=True)
        self._put(spec.name, rec, "Create")
        self._after(spec, None, rec)
        if self._in_batch:
            self._hidden.add((spec.name, rec["Id"]))
        return rec

    def update(self, spec: Spec, body: dict) -> dict:
        rid = str(body["Id"])
        existing = self.get(spec.name, rid)
        if existing is None or existing.get("status") == "Deleted":
            raise QBOError("610", GONE if spec.kind == TRANSACTION else
                           f"Object Not Found : {spec.name} with Id {rid} does not exist.", element="Id")
        self._check_token(existing, body)
        if spec.name == "Bill" and blank(body.get("VendorRef")):
            raise QBOError("2020", "Required param missing, need to supply the required value for the API: "
                                   "VendorRef (it must be sent on every write, sparse ones too)", element="VendorRef")
        writable = self._writable(spec, body)
        kept = {k: v for k, v in existing.items() if k in META or k in spec.read_only or k.startswith("_")}
        if truthy(body.get("sparse")):
            # top-level merge; arrays replaced whole (B6). An empty array is the SDK's default for a list it
            # was not given (python-quickbooks sends "Line": [] on every sparse update), so it means "not sent".
            writable = {k: v for k, v in writable.items() if v != []}
            rec = {**copy.deepcopy(existing), **writable}
        else:
            rec = {**copy.deepcopy(kept), **writable}       # a full update clears what it leaves out
            for sticky in ("CurrencyRef", "IsProject"):      # fixed once set; not cleared by omission
                if sticky in existing and sticky not in writable:
                    rec[sticky] = existing[sticky]
        self._derive(spec, rec, existing)
        rec["SyncToken"] = str(int(existing["SyncToken"]) + 1)
        rec["sparse"] = False
        self._stamp(rec, created=False)
        self._put(spec.name, rec, "Update")
        self._after(spec, existing, rec)
        return rec

    def _check_token(self, existing: dict, body: dict) -> None:
        token = body.get("SyncToken")
        if blank(token):
            raise QBOError("2020", "Required param missing, need to supply the required value for the API: "
                                   "SyncToken", element="SyncToken")
        if str(token) != existing["SyncToken"]:
            raise QBOError("5010", STALE.format(user="another user") +
                           f" (SyncToken {token} was sent; the current one is {existing['SyncToken']})",
                           element="SyncToken")

    def _writable(self, spec: Spec, body: dict) -> dict:
        return {k: copy.deepcopy(v) for k, v in body.items()
                if k not in META and k not in spec.read_only and not k.startswith("_")}

    # -- delete and void (B7) ---------------------------------------------------------------------------
    def delete(self, spec: Spec, body: dict) -> dict:
        if spec.kind == NAME_LIST:
            raise QBOError("500", f"Operation delete is not supported for {spec.name}: a name-list entity is made "
                                  "inactive instead (send Active: false in a sparse update).", element="Operation")
        rid = ref_id(body.get("Id"))
        existing = self.get(spec.name, rid or "")
        if existing is None:
            raise QBOError("610", GONE, element="Id")
        self._check_token(existing, clean(body))
        if spec.name in ("Invoice", "CreditMemo", "Bill") and self._linked_payments(spec.name, existing):
            raise QBOError("6000", f"A business validation error has occurred while processing your request: "
                                   f"{spec.name} {rid} has payments linked to it; delete or unlink them first.")
        self.store.delete(self.realm, spec.name, existing["Id"])
        tomb = {"domain": "QBO", "status": "Deleted", "Id": existing["Id"], "_updated": self.now()}
        tomb["MetaData"] = {"LastUpdatedTime": stamp(tomb["_updated"], self.tz)}
        self.store.put(self.realm, f"_deleted:{spec.name}", existing["Id"], tomb)
        self._on_change(self.realm, spec.name, existing, "Delete")
        self._after(spec, existing, None)
        return {"status": "Deleted", "domain": "QBO", "Id": existing["Id"]}

    def void(self, spec: Spec, body: dict, via_update: bool = False) -> dict:
        name = spec.name
        if name == "Bill":
            # Observed: HTTP 200 carrying a SystemFault (SPIKE).
            raise QBOError("10000", "An application error has occurred while processing your request: Bill cannot "
                                    "be voided", status=200, fault_type="SystemFault")
        if name == "BillPayment" and not via_update:
            raise QBOError("500", "Operation void is not supported.", element="Operation")
        if name not in ("Invoice", "Payment", "BillPayment"):
            raise QBOError("500", "Operation void is not supported.", element="Operation")
        rid = ref_id(body.get("Id"))
        existing = self.get(name, rid or "")
        if existing is None:
            raise QBOError("610", GONE, element="Id")
        self._check_token(existing, clean(body))
        if name == "Invoice" and self._linked_payments(name, existing):
            raise QBOError("6000", f"A business validation error has occurred while processing your request: "
                                   f"Invoice {rid} has payments linked to it; void or delete them first.")
        rec = copy.deepcopy(existing)
        rec["_voided"] = True
        rec["PrivateNote"] = ("Voided - " + rec["PrivateNote"]) if rec.get("PrivateNote") else "Voided"
        for line in rec.get("Line", []):
            line["Amount"] = 0
            for detail in ("SalesItemLineDetail", "ItemBasedExpenseLineDetail"):
                if detail in line:
                    line[detail]["Qty"] = 0
        if name == "Invoice":
            rec["TotalAmt"] = rec["Balance"] = 0
            if "TxnTaxDetail" in rec:
                rec["TxnTaxDetail"] = {"TotalTax": 0}
            if self.multicurrency:
                rec["HomeTotalAmt"] = rec["HomeBalance"] = 0
        else:
            rec["TotalAmt"] = 0
            rec["Line"] = []
            if name == "Payment":
                rec["UnappliedAmt"] = 0
        rec["SyncToken"] = str(int(existing["SyncToken"]) + 1)
        self._stamp(rec, created=False)
        self._put(name, rec, "Void")
        self._after(spec, existing, rec)
        return rec

    def _linked_payments(self, entity: str, rec: dict) -> list[str]:
        return list(self._links().get((entity, rec["Id"]), {}))

    def _links(self) -> dict[tuple[str, str], dict[str, Decimal]]:
        """(TxnType, TxnId) -> {payment id: amount applied}, over payments and bill payments not voided; built
        once, then kept up to date by each payment write."""
        if self._link_index is None:
            self._link_index = {}
            for payer in ("Payment", "BillPayment"):
                for p in self.store.all(self.realm, payer):
                    self._index_payment(p, add=True)
        return self._link_index

    def _index_payment(self, p: dict, add: bool) -> set[tuple[str, str]]:
        index = self._link_index if self._link_index is not None else self._links()
        touched: set[tuple[str, str]] = set()
        for line in p.get("Line", []):
            for lt in line.get("LinkedTxn", []):
                key = (str(lt.get("TxnType")), str(lt.get("TxnId")))
                touched.add(key)
                slot = index.setdefault(key, {})
                if not add:
                    slot.pop(p["Id"], None)
                elif not p.get("_voided"):
                    slot[p["Id"]] = slot.get(p["Id"], Decimal(0)) + money(line.get("Amount"))
        return touched

    def _after(self, spec: Spec, old: dict | None, new: dict | None) -> None:
        """Work out what a transaction write changes elsewhere: the balances and links of the documents it
        touches, and the balances of their contacts."""
        if spec.kind != TRANSACTION or self.deferred:
            return
        docs: set[tuple[str, str]] = set()
        if spec.name in ("Payment", "BillPayment"):
            self._links()
            if old is not None:
                docs |= self._index_payment(old, add=False)
            if new is not None:
                docs |= self._index_payment(new, add=True)
        else:
            docs.add((spec.name, (new or old or {})["Id"]))
        contacts: set[tuple[str, str]] = set()
        for rec in (old, new):
            for field, contact in (("CustomerRef", "Customer"), ("VendorRef", "Vendor")):
                if rec is not None and ref_id(rec.get(field)):
                    contacts.add((contact, str(ref_id(rec[field]))))
        for kind, rid in docs:
            doc = self.store.get(self.realm, kind, rid)
            if doc is not None:
                self._balance_of(kind, doc)
        self._contact_balances(contacts)

    def _balance_of(self, kind: str, doc: dict) -> None:
        slot = self._links().get((kind, doc["Id"]), {})
        balance = num(money(doc.get("TotalAmt")) - sum(slot.values(), Decimal(0)))
        payer = "BillPayment" if kind == "Bill" else "Payment"
        links = [{"TxnId": pid, "TxnType": payer} for pid in slot]
        if doc.get("Balance") == balance and (kind == "CreditMemo" or doc.get("LinkedTxn") == links):
            return
        doc["Balance"] = balance
        if kind == "CreditMemo":
            doc["RemainingCredit"] = balance
        else:
            doc["LinkedTxn"] = links
        self._home(doc, ("TotalAmt", "Balance"))
        self.store.put(self.realm, kind, doc["Id"], doc)

    def _contact_balances(self, contacts: set[tuple[str, str]]) -> None:
        """A contact's Balance: its open invoices less its open credit memos (customers), its open bills
        (vendors); a customer's BalanceWithJobs adds its sub-customers'. One pass over the documents."""
        wanted = {"Customer": {cid for c, cid in contacts if c == "Customer"},
                  "Vendor": {cid for c, cid in contacts if c == "Vendor"}}
        for contact, kinds in (("Customer", (("Invoice", 1), ("CreditMemo", -1))), ("Vendor", (("Bill", 1),))):
            ids = wanted[contact]
            if not ids:
                continue
            field = "CustomerRef" if contact == "Customer" else "VendorRef"
            totals = dict.fromkeys(ids, Decimal(0))
            for kind, sign in kinds:
                for cid in ids:
                    for doc in self.find(kind, field, cid):
                        totals[cid] += sign * money(doc.get("Balance"))
            for cid, total in totals.items():
                rec = self.store.get(self.realm, contact, cid)
                if rec is not None and rec.get("Balance") != num(total):
                    rec["Balance"] = num(total)
                    self.store.put(self.realm, contact, cid, rec)
        parents = set(wanted["Customer"])
        for cid in wanted["Customer"]:
            rec = self.store.get(self.realm, "Customer", cid)
            if rec is not None and ref_id(rec.get("ParentRef")):
                parents.add(str(ref_id(rec["ParentRef"])))
        if not parents:
            return
        jobs = {pid: sum((money(c.get("Balance")) for c in self.find("Customer", "ParentRef", pid)), Decimal(0))
                for pid in parents}
        for pid, children in jobs.items():
            parent_rec = self.store.get(self.realm, "Customer", pid)
            if parent_rec is None:
                continue
            with_jobs = num(money(parent_rec.get("Balance")) + children)
            if parent_rec.get("BalanceWithJobs") != with_jobs:
                parent_rec["BalanceWithJobs"] = with_jobs
                self.store.put(self.realm, "Customer", pid, parent_rec)

    # -- derivation and validation per entity -----------------------------------------------------------
    def _derive(self, spec: Spec, rec: dict, existing: dict | None) -> None:
        getattr(self, f"_derive_{spec.name.lower()}")(rec, existing)

    def _check_name(self, value: str, element: str, limit: int) -> None:
        if any(c in value for c in ":\t\n"):
            raise QBOError("2010", f"{element} may not contain a colon (:), a tab or a newline: {value!r}",
                           element=element)
        if len(value) > limit:
            raise QBOError("2050", f"{element} is longer than {limit} characters", element=element)

    def _unique(self, entities: tuple[str, ...], field: str, value: str, own: str | None, detail: str) -> None:
        for entity in entities:
            for other in self.find(entity, field, value):
                if other["Id"] == own and entity == entities[0]:
                    continue
                raise QBOError("6240", f"{detail} Id={other['Id']}", element=field)

    def find(self, entity: str, field: str, value: Any) -> list[dict]:
        """Records whose ``field`` equals ``value`` (trimmed, ignoring case), through an index built on first
        use and fed by every write, so uniqueness checks stay cheap in big companies."""
        index = self._value_index.get((entity, field))
        if index is None:
            index = {}
            for r in self.store.all(self.realm, entity):
                index.setdefault(_norm(r.get(field)), set()).add(r["Id"])
            self._value_index[(entity, field)] = index
        key = _norm(value)
        out = []
        for rid in sorted(index.get(key, ())):
            rec = self.store.get(self.realm, entity, rid)
            if rec is None or _norm(rec.get(field)) != key:
                index[key].discard(rid)          # renamed or deleted since
            else:
                out.append(rec)
        return out

    def _currency(self, rec: dict, existing: dict | None, what: str) -> None:
        """One currency per contact, fixed once set (B3 Preferences)."""
        code = ref_id(rec.get("CurrencyRef")) or (ref_id(existing.get("CurrencyRef")) if existing else None)
        code = (code or self.home).upper()
        if existing is not None and ref_id(existing.get("CurrencyRef")) and code != ref_id(existing["CurrencyRef"]):
            raise QBOError("6000", f"A business validation error has occurred while processing your request: "
                                   f"You can't change the currency of a {what} once it is set (it is "
                                   f"{ref_id(existing['CurrencyRef'])}; {code} was sent). Create a new {what} "
                                   "for the other currency.", element="CurrencyRef")
        if code != self.home and not self.multicurrency:
            raise QBOError("6000", f"A business validation error has occurred while processing your request: "
                                   f"Multicurrency is off in this company, so a {what} can only use the home "
                                   f"currency {self.home} (not {code}). Turn on multicurrency in QuickBooks.",
                           element="CurrencyRef")
        if code not in self.cfg.exchange_rates:
            raise QBOError("2500", f"Invalid Reference Id : currency {code} is not known; use one of "
                                   f"{sorted(self.cfg.exchange_rates)}", element="CurrencyRef")
        rec["CurrencyRef"] = {"value": code, "name": code}

    def _contact(self, rec: dict, existing: dict | None, what: str) -> None:
        if blank(rec.get("DisplayName")):
            parts = [rec.get(k) for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")]
            name = " ".join(str(p) for p in parts if not blank(p))
            if not name:
                raise QBOError("6080", "No Name Provided : You must supply a DisplayName or at least one of Title, "
                                       "GivenName, MiddleName, FamilyName or Suffix.", element="DisplayName")
            rec["DisplayName"] = name
        self._check_name(str(rec["DisplayName"]), "DisplayName", 500)
        self._unique(("Customer", "Vendor") if what == "customer" else ("Vendor", "Customer"), "DisplayName",
                     str(rec["DisplayName"]), existing["Id"] if existing else None, DUPLICATE_NAME)
        rec.setdefault("PrintOnCheckName", rec["DisplayName"])
        rec["Active"] = rec.get("Active", True) is not False and not (rec.get("Active") == "false")
        self._currency(rec, existing, what)

    def _derive_customer(self, rec: dict, existing: dict | None) -> None:
        self._contact(rec, existing, "customer")
        parent_ref = rec.get("ParentRef")
        if ref_id(parent_ref):
            parent = self.resolve("Customer", parent_ref, "ParentRef", active=False)
            if existing is not None and parent["Id"] == existing["Id"]:
                raise QBOError("2010", "A customer cannot be its own parent", element="ParentRef")
            rec["ParentRef"] = self.ref("Customer", parent)
            rec["Job"] = True if blank(rec.get("Job")) else truthy(rec["Job"]) or rec["Job"] is True
            rec["Level"] = int(parent.get("Level", 0)) + 1
            rec["FullyQualifiedName"] = f"{parent.get('FullyQualifiedName', parent['DisplayName'])}:{rec['DisplayName']}"
            rec.setdefault("BillWithParent", False)
        else:
            rec.pop("ParentRef", None)
            rec["Job"] = False
            rec["Level"] = 0
            rec["FullyQualifiedName"] = rec["DisplayName"]
            rec["BillWithParent"] = False
        rec["IsProject"] = bool(existing.get("IsProject")) if existing else False   # read-only over REST
        rec.setdefault("Taxable", False)
        rec.setdefault("Balance", 0)
        rec.setdefault("BalanceWithJobs", rec["Balance"])

    def _derive_vendor(self, rec: dict, existing: dict | None) -> None:
        self._contact(rec, existing, "vendor")
        rec.setdefault("Vendor1099", False)
        rec.setdefault("Balance", 0)

    def _active(self, rec: dict) -> None:
        rec["Active"] = not (rec.get("Active") is False or rec.get("Active") == "false")

    def _derive_item(self, rec: dict, existing: dict | None) -> None:
        if blank(rec.get("Name")):
            raise QBOError("2020", "Required param missing, need to supply the required value for the API: Name",
                           element="Name")
        self._check_name(str(rec["Name"]), "Name", 100)
        self._unique(("Item",), "Name", str(rec["Name"]), existing["Id"] if existing else None,
                     "The name supplied already exists. : Another product or service is already using this name.")
        kind = rec.get("Type") or (existing or {}).get("Type") or "NonInventory"
        if kind in READ_ONLY_ITEM_TYPES:
            raise QBOError("2010", f"Item Type {kind} cannot be written through this API; use Service, "
                                   "NonInventory or Inventory", element="Type")
        if kind not in ITEM_TYPES:
            raise QBOError("2010", f"Item Type must be one of {list(ITEM_TYPES)}, not {kind!r}", element="Type")
        if existing is not None and existing.get("Type") == "Inventory" and kind != "Inventory":
            raise QBOError("6000", "A business validation error has occurred while processing your request: an "
                                   "Inventory item cannot change its Type", element="Type")
        rec["Type"] = kind
        needed = {"Service": ["IncomeAccountRef"], "NonInventory": [],
                  "Inventory": ["IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef", "QtyOnHand",
                                "InvStartDate"]}[kind]
        for name in needed:
            if blank(rec.get(name)):
                raise QBOError("2020", f"Required param missing, need to supply the required value for the API: "
                                       f"{name} (a {kind} item needs it)", element=name)
        for name in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
            if not blank(rec.get(name)):
                acct = self.resolve("Account", rec[name], name)
                if name == "AssetAccountRef" and acct["AccountType"] != "Other Current Asset":
                    raise QBOError("6000", "A business validation error has occurred while processing your request: "
                                           "AssetAccountRef must be an Other Current Asset account", element=name)
                rec[name] = self.ref("Account", acct)
        if kind == "Inventory":
            rec["TrackQtyOnHand"] = True
        for name in ("SalesTaxCodeRef", "PurchaseTaxCodeRef"):
            if not blank(rec.get(name)):
                rec[name] = self.ref("TaxCode", self.resolve("TaxCode", rec[name], name))
        if ref_id(rec.get("ParentRef")):
            parent = self.resolve("Item", rec["ParentRef"], "ParentRef")
            rec["SubItem"] = True
            rec["ParentRef"] = self.ref("Item", parent)
            rec["Level"] = int(parent.get("Level", 0)) + 1
            rec["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{rec['Name']}"
        else:
            rec["Level"] = 0
            rec["FullyQualifiedName"] = rec["Name"]
        for name in ("UnitPrice", "PurchaseCost", "QtyOnHand"):
            if name in rec:
                rec[name] = num(money(rec[name], name)) if name != "QtyOnHand" else float(money(rec[name], name))
        rec.setdefault("Taxable", False)
        self._active(rec)

    def _derive_account(self, rec: dict, existing: dict | None) -> None:
        name = str(rec.get("Name") or "")
        if not name:
            raise QBOError("2020", "Required param missing, need to supply the required value for the API: Name",
                           element="Name")
        was_active = existing is None or existing.get("Active", True)
        self._active(rec)
        if rec["Active"] and name.endswith(" (deleted)") and not was_active:
            name = name[: -len(" (deleted)")]
        if not rec["Active"]:
            if not name.endswith(" (deleted)"):
                name += " (deleted)"        # observed on deactivation (SPIKE)
            rec["CurrentBalance"] = 0
        self._check_name(name, "Name", 100)
        rec["Name"] = name
        self._unique(("Account",), "Name", name, existing["Id"] if existing else None,
                     "The name supplied already exists. : Another account is already using this name.")
        kind, sub = rec.get("AccountType"), rec.get("AccountSubType")
        if blank(kind) and blank(sub):
            raise QBOError("6010", "Invalid Account Type used : You must select either AccountType or "
                                   "AccountSubType", element="AccountType")
        if blank(kind):
            kind = SUBTYPES.get(str(sub))
            if kind is None:
                raise QBOError("6010", f"Invalid Account Type used : AccountSubType {sub!r} is not known",
                               element="AccountSubType")
        if kind not in ACCOUNT_TYPES:
            raise QBOError("6010", f"Invalid Account Type used : AccountType {kind!r} is not one of "
                                   f"{sorted(ACCOUNT_TYPES)}", element="AccountType")
        rec["AccountType"] = kind
        rec["Classification"], default_sub = ACCOUNT_TYPES[str(kind)]
        rec["AccountSubType"] = sub if not blank(sub) else default_sub
        limit = 20 if self.profile["Country"] in ("AU", "CA") else 7
        if not blank(rec.get("AcctNum")) and len(str(rec["AcctNum"])) > limit:
            raise QBOError("2050", f"AcctNum is longer than {limit} characters", element="AcctNum")
        self._nest(rec, "Account", "SubAccount", name)
        self._currency(rec, existing, "account")
        rec.setdefault("CurrentBalance", 0)
        rec.setdefault("CurrentBalanceWithSubAccounts", rec["CurrentBalance"])

    def _nest(self, rec: dict, entity: str, flag: str, name: str) -> None:
        """An account or class under its ParentRef, if any: `flag` (SubAccount, SubClass) says so and the
        FullyQualifiedName is the parent's, a colon and `name`."""
        if ref_id(rec.get("ParentRef")):
            parent = self.resolve(entity, rec["ParentRef"], "ParentRef")
            rec[flag] = True
            rec["ParentRef"] = self.ref(entity, parent)
            rec["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{name}"
        else:
            rec[flag] = False
            rec["FullyQualifiedName"] = name

    def _derive_class(self, rec: dict, existing: dict | None) -> None:
        if not self.class_tracking:
            raise QBOError("6000", "A business validation error has occurred while processing your request: class "
                                   "tracking is off in this company (Preferences.AccountingInfoPrefs."
                                   "ClassTrackingPerTxnLine); turn it on in QuickBooks to use classes.")
        if blank(rec.get("Name")):
            raise QBOError("2020", "Required param missing, need to supply the required value for the API: Name",
                           element="Name")
        self._check_name(str(rec["Name"]), "Name", 100)
        self._active(rec)
        self._nest(rec, "Class", "SubClass", rec["Name"])
        self._unique(("Class",), "FullyQualifiedName", rec["FullyQualifiedName"],
                     existing["Id"] if existing else None, "The name supplied already exists. : Another class is "
                                                           "already using this name.")

    def _derive_attachable(self, rec: dict, existing: dict | None) -> None:
        has_file = bool(existing and existing.get("_file")) or self._upload is not None
        if blank(rec.get("Note")) and not has_file:
            raise QBOError("6000", "A business validation error has occurred while processing your request: You "
                                   "must have at least a note string or file attachment.")
        refs = rec.get("AttachableRef") or []
        if not isinstance(refs, list):
            raise QBOError("2010", "AttachableRef must be a list", element="AttachableRef")
        for r in refs:
            entity_ref = r.get("EntityRef") or {}
            kind = str(entity_ref.get("type") or entity_ref.get("Type") or "")
            spec = SPECS.get(kind.lower())
            if spec is None or spec.kind == READ_ONLY:
                raise QBOError("2010", f"AttachableRef.EntityRef.type {kind!r} is not an entity that takes "
                                       "attachments", element="AttachableRef")
            target = self.resolve(spec.name, entity_ref, "AttachableRef.EntityRef", active=False)
            r["EntityRef"] = {"type": spec.name, "value": target["Id"]}
            r.setdefault("IncludeOnSend", False)
        if not blank(rec.get("Note")) and len(str(rec["Note"])) > 2000:
            raise QBOError("2050", "Note is longer than 2000 characters", element="Note")
        if not blank(rec.get("FileName")) and len(str(rec["FileName"])) > 1000:
            raise QBOError("2050", "FileName is longer than 1000 characters", element="FileName")
        if self._upload is not None:
            rec["_file"] = base64.b64encode(self._upload).decode()
            rec["Size"] = len(self._upload)

    # -- transactions -----------------------------------------------------------------------------------
    def _txn_common(self, rec: dict, existing: dict | None, contact_entity: str, contact_field: str) -> dict:
        if blank(rec.get(contact_field)):
            raise QBOError("2020", f"Required param missing, need to supply the required value for the API: "
                                   f"{contact_field}", element=contact_field)
        contact = self.resolve(contact_entity, rec[contact_field], contact_field)
        rec[contact_field] = self.ref(contact_entity, contact)
        today = day(self.now(), self.tz)
        rec["TxnDate"] = self._date(rec.get("TxnDate") or today, "TxnDate")
        contact_currency = ref_id(contact.get("CurrencyRef")) or self.home
        sent = ref_id(rec.get("CurrencyRef"))
        if sent is None and self.multicurrency:
            raise QBOError("2020", "Required param missing, need to supply the required value for the API: "
                                   "CurrencyRef (multicurrency is on in this company)", element="CurrencyRef")
        currency = (sent or contact_currency).upper()
        if currency != contact_currency:
            raise QBOError("6000", f"A business validation error has occurred while processing your request: The "
                                   f"currency of the transaction ({currency}) must match the currency of the "
                                   f"{contact_entity.lower()} ({contact_currency}).", element="CurrencyRef")
        rec["CurrencyRef"] = {"value": currency, "name": currency}
        rate = money(rec.get("ExchangeRate"), "ExchangeRate")
        if currency == self.home:
            rate = Decimal(1)
        elif rate <= 0:
            rate = Decimal(str(self.cfg.rate(self.home, currency)))
        rec["ExchangeRate"] = float(rate)
        if ref_id(rec.get("ProjectRef")):
            project = self.resolve("Customer", rec["ProjectRef"], "ProjectRef")
            if not project.get("IsProject"):
                raise QBOError("2500", f"Invalid Reference Id : ProjectRef {project['Id']} is not a project",
                               element="ProjectRef")
            rec["ProjectRef"] = {"value": project["Id"]}
        if not blank(rec.get("DocNumber")) and len(str(rec["DocNumber"])) > 21:
            raise QBOError("2050", "String length is either shorter or longer than supported by specification: "
                                   "DocNumber may be at most 21 characters", element="DocNumber")
        return contact

    def _date(self, value: Any, element: str) -> str:
        try:
            return date.fromisoformat(str(value)[:10]).isoformat()
        except ValueError:
            raise QBOError("2010", f"{element} must be a date YYYY-MM-DD, not {value!r}", element=element) from None

    def _doc_number(self, entity: str, rec: dict, existing: dict | None) -> None:
        custom = bool(self.profile.get("CustomTxnNumbers"))
        if blank(rec.get("DocNumber")):
            if existing is not None and existing.get("DocNumber") and not custom:
                rec["DocNumber"] = existing["DocNumber"]
            elif not custom:
                if entity not in self._max_doc:
                    self._max_doc[entity] = max((int(r["DocNumber"]) for r in self.store.all(self.realm, entity)
                                                 if str(r.get("DocNumber", "")).isdigit()), default=1000)
                rec["DocNumber"] = str(self._max_doc[entity] + 1)
            return
        if self.cfg.unique_doc_numbers:
            for other in self.find(entity, "DocNumber", rec["DocNumber"]):
                if existing is None or other["Id"] != existing["Id"]:
                    raise QBOError("6140", f"Duplicate Document Number Error : You must specify a different number. "
                                           f"This number has already been used. DocNumber={rec['DocNumber']} is "
                                           f"assigned to TxnType={entity} with TxnId={other['Id']}",
                                   element="DocNumber")
        rec["DocNumber"] = str(rec["DocNumber"])

    def _class_ref(self, detail: dict) -> None:
        if ref_id(detail.get("ClassRef")):
            if not self.class_per_line:
                raise QBOError("6000", "A business validation error has occurred while processing your request: "
                                       "class tracking per line is off in this company (Preferences."
                                       "AccountingInfoPrefs.ClassTrackingPerTxnLine); leave ClassRef out or turn "
                                       "it on in QuickBooks.", element="ClassRef")
            detail["ClassRef"] = self.ref("Class", self.resolve("Class", detail["ClassRef"], "ClassRef"))

    def _tax_code(self, ref: Any, element: str) -> dict | None:
        rid = ref_id(ref)
        if rid is None:
            return None
        if self.us_sales_tax and rid in ("TAX", "NON"):
            return {"Id": rid}
        return self.resolve("TaxCode", ref, element)

    def _lines(self, entity: str, rec: dict) -> list[dict]:
        raw = rec.get("Line")
        if not isinstance(raw, list) or not raw:
            raise QBOError("2020", f"Required param missing, need to supply the required value for the API: Line "
                                   f"({entity} needs at least one line)", element="Line")
        allowed = LINE_TYPES[entity]
        lines: list[dict] = []
        for i, line in enumerate(raw, 1):
            if not isinstance(line, dict):
                raise QBOError("2010", f"Line {i} must be an object", element="Line")
            kind = line.get("DetailType")
            if kind == "SubTotalLineDetail":
                continue          # worked out again below
            if kind not in allowed:
                raise QBOError("2010", f"Line {i}: DetailType must be one of {list(allowed)}, not {kind!r}",
                               element="Line.DetailType")
            line = {k: v for k, v in line.items() if k not in ("LinkedTxn",) or entity == "Bill"}
            detail = line.setdefault(kind, {}) if kind != "DescriptionOnly" else line.get(kind, {})
            if kind in ("SalesItemLineDetail", "ItemBasedExpenseLineDetail"):
                item = self.resolve("Item", detail.get("ItemRef"), f"Line.{kind}.ItemRef")
                detail["ItemRef"] = self.ref("Item", item)
                qty = money(detail.get("Qty"), "Qty") if not blank(detail.get("Qty")) else None
                price = money(detail.get("UnitPrice"), "UnitPrice") if not blank(detail.get("UnitPrice")) else None
                amount = money(line.get("Amount"), "Amount") if not blank(line.get("Amount")) else None
                if amount is None:
                    if qty is None or price is None:
                        raise QBOError("2020", f"Required param missing, need to supply the required value for the "
                                               f"API: Line {i} Amount", element="Line.Amount")
                    amount = qty * price
                if qty is not None:
                    detail["Qty"] = float(qty)
                if price is not None:
                    detail["UnitPrice"] = float(price)
                line["Amount"] = num(amount)
                if kind == "SalesItemLineDetail":
                    acct = item.get("IncomeAccountRef")
                    if acct:
                        detail["ItemAccountRef"] = acct     # a line's account follows the item's (B3)
                    code = self._tax_code(detail.get("TaxCodeRef"), "TaxCodeRef")
                    if code is not None:
                        detail["TaxCodeRef"] = {"value": code["Id"]}
                else:
                    detail.setdefault("BillableStatus", "NotBillable")
                self._class_ref(detail)
            elif kind == "AccountBasedExpenseLineDetail":
                acct = self.resolve("Account", detail.get("AccountRef"), "Line.AccountBasedExpenseLineDetail.AccountRef")
                detail["AccountRef"] = self.ref("Account", acct)
                if blank(line.get("Amount")):
                    raise QBOError("2020", f"Required param missing, need to supply the required value for the API: "
                                           f"Line {i} Amount", element="Line.Amount")
                line["Amount"] = num(money(line["Amount"], "Amount"))
                detail.setdefault("BillableStatus", "NotBillable")
                self._class_ref(detail)
            elif kind == "DiscountLineDetail":
                line["Amount"] = num(money(line.get("Amount"), "Amount"))
            elif kind == "DescriptionOnly":
                line.pop("Amount", None)
            else:
                line["Amount"] = num(money(line.get("Amount"), "Amount"))
            if ref_id(detail.get("CustomerRef")):
                detail["CustomerRef"] = self.ref("Customer", self.resolve("Customer", detail["CustomerRef"],
                                                                          "CustomerRef"))
            if ref_id(detail.get("TaxCodeRef")) and kind != "SalesItemLineDetail":
                code = self._tax_code(detail["TaxCodeRef"], "TaxCodeRef")
                detail["TaxCodeRef"] = {"value": code["Id"]} if code else detail["TaxCodeRef"]
            lines.append(line)
        for n, line in enumerate(lines, 1):
            line["Id"] = str(n)
            line["LineNum"] = n
        return lines

    def _rates_of(self, code: dict | None, purchase: bool) -> list[tuple[dict, Decimal]]:
        if code is None or code.get("Id") == "NON":
            return []
        if code.get("Id") == "TAX":
            code = self.get("TaxCode", str(self.profile.get("DefaultSalesTaxCode", "")))
            if code is None:
                return []
        key = "PurchaseTaxRateList" if purchase else "SalesTaxRateList"
        out = []
        for d in (code.get(key) or {}).get("TaxRateDetail", []):
            rate = self.get("TaxRate", str(d["TaxRateRef"]["value"]))
            if rate is not None:
                out.append((rate, Decimal(str(rate["RateValue"]))))
        return out

    def _totals(self, entity: str, rec: dict, lines: list[dict]) -> Decimal:
        """Sum lines, apply discounts and tax; returns TotalAmt. Appends the SubTotalLineDetail line on sales."""
        purchase = entity == "Bill"
        sales_lines = [ln for ln in lines if ln["DetailType"] in ("SalesItemLineDetail", "GroupLineDetail",
                                                                  "AccountBasedExpenseLineDetail",
                                                                  "ItemBasedExpenseLineDetail")]
        subtotal = sum((money(ln["Amount"]) for ln in sales_lines), Decimal(0))
        discount = Decimal(0)
        for ln in lines:
            if ln["DetailType"] == "DiscountLineDetail":
                d = ln["DiscountLineDetail"]
                if truthy(d.get("PercentBased")) and not blank(d.get("DiscountPercent")):
                    ln["Amount"] = num(subtotal * money(d["DiscountPercent"]) / 100)
                discount += money(ln["Amount"])
        mode = rec.get("GlobalTaxCalculation") or ("NotApplicable" if self.us_sales_tax else "TaxExcluded")
        if mode not in ("TaxExcluded", "TaxInclusive", "NotApplicable"):
            raise QBOError("2010", f"GlobalTaxCalculation must be TaxExcluded, TaxInclusive or NotApplicable, not "
                                   f"{mode!r}", element="GlobalTaxCalculation")
        if not self.us_sales_tax:
            rec["GlobalTaxCalculation"] = mode
        tax = Decimal(0)
        by_rate: dict[str, list[Any]] = {}
        txn_code = None
        detail_in = rec.get("TxnTaxDetail") or {}
        if self.us_sales_tax:
            txn_code = self._tax_code(detail_in.get("TxnTaxCodeRef"), "TxnTaxDetail.TxnTaxCodeRef")
        for ln in sales_lines:
            detail = ln.get(ln["DetailType"], {})
            code_ref = ref_id(detail.get("TaxCodeRef"))
            if code_ref is None or mode == "NotApplicable" and not self.us_sales_tax:
                continue
            if self.us_sales_tax:
                if code_ref != "TAX":
                    continue
                rates = self._rates_of(txn_code or {"Id": "TAX"}, purchase)
            else:
                rates = self._rates_of(self.get("TaxCode", code_ref), purchase)
            amount = money(ln["Amount"])
            total_rate = sum((r for _, r in rates), Decimal(0))
            net = amount / (1 + total_rate / 100) if mode == "TaxInclusive" else amount
            for rate, value in rates:
                t = net * value / 100
                slot = by_rate.setdefault(rate["Id"], [rate, Decimal(0), Decimal(0)])
                slot[1] += t
                slot[2] += net
                tax += t
        tax = cents(tax)
        tax_lines = [{"Amount": num(slot[1]), "DetailType": "TaxLineDetail", "TaxLineDetail": {
            "TaxRateRef": {"value": rid}, "PercentBased": True, "TaxPercent": float(slot[0]["RateValue"]),
            "NetAmountTaxable": num(slot[2])}} for rid, slot in by_rate.items()]
        txn_detail: dict[str, Any] = {"TotalTax": num(tax)}
        if txn_code is not None and self.us_sales_tax:
            txn_detail["TxnTaxCodeRef"] = {"value": txn_code["Id"]}
        if tax_lines:
            txn_detail["TaxLine"] = tax_lines
        rec["TxnTaxDetail"] = txn_detail
        if entity != "Bill":
            lines.append({"Amount": num(subtotal), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
        total = subtotal - discount + (tax if mode != "TaxInclusive" else Decimal(0))
        return cents(total)

    def _sales_doc(self, entity: str, rec: dict, existing: dict | None) -> None:
        self._txn_common(rec, existing, "Customer", "CustomerRef")
        self._doc_number(entity, rec, existing)
        lines = self._lines(entity, rec)
        total = self._totals(entity, rec, lines)
        rec["Line"] = lines
        rec["TotalAmt"] = num(total)
        rec["Balance"] = num(total)       # payments are applied by _after
        if entity == "Invoice":
            due = rec.get("DueDate") or (date.fromisoformat(rec["TxnDate"]) + timedelta(days=30)).isoformat()
            rec["DueDate"] = self._date(due, "DueDate")
            rec.setdefault("EmailStatus", "NotSet")
            rec.setdefault("PrintStatus", "NotSet")
            rec["LinkedTxn"] = (existing or {}).get("LinkedTxn", [])
        else:
            rec["RemainingCredit"] = num(total)
        rec.pop("_voided", None) if existing is None else None
        self._home(rec, ("TotalAmt", "Balance"))

    def _home(self, rec: dict, fields: tuple[str, ...]) -> None:
        if not self.multicurrency:
            return
        rate = Decimal(str(rec.get("ExchangeRate", 1)))
        for f in fields:
            rec[f"Home{f}"] = num(money(rec[f]) * rate)

    def _derive_invoice(self, rec: dict, existing: dict | None) -> None:
        self._sales_doc("Invoice", rec, existing)

    def _derive_creditmemo(self, rec: dict, existing: dict | None) -> None:
        self._sales_doc("CreditMemo", rec, existing)

    def _derive_bill(self, rec: dict, existing: dict | None) -> None:
        self._txn_common(rec, existing, "Vendor", "VendorRef")
        lines = self._lines("Bill", rec)
        total = self._totals("Bill", rec, lines)
        rec["Line"] = lines
        rec["TotalAmt"] = rec["Balance"] = num(total)
        due = rec.get("DueDate") or (date.fromisoformat(rec["TxnDate"]) + timedelta(days=30)).isoformat()
        rec["DueDate"] = self._date(due, "DueDate")
        ap = rec.get("APAccountRef") or {"value": self.profile["accounts"]["AP"]}
        rec["APAccountRef"] = self.ref("Account", self.resolve("Account", ap, "APAccountRef"))
        rec["LinkedTxn"] = (existing or {}).get("LinkedTxn", [])
        self._home(rec, ("TotalAmt", "Balance"))

    def _payment_lines(self, rec: dict, kinds: tuple[str, ...], contact_field: str,
                       existing: dict | None) -> tuple[Decimal, Decimal]:
        """Checks a payment's LinkedTxn lines; returns (applied to documents, credits used). Lines naming the same
        document (one credit memo on two lines, say) together may not take more than it has open."""
        applied = credits = Decimal(0)
        taken: dict[tuple[str, str], Decimal] = {}  # by this payment's lines so far
        lines = rec.get("Line") or []
        if not isinstance(lines, list):
            raise QBOError("2010", "Line must be a list", element="Line")
        own = existing["Id"] if existing else None
        payer = "BillPayment" if contact_field == "VendorRef" else "Payment"
        for i, line in enumerate(lines, 1):
            amount = money(line.get("Amount"), "Amount")
            links = line.get("LinkedTxn") or []
            if not links:
                raise QBOError("2020", f"Required param missing, need to supply the required value for the API: "
                                       f"Line {i} LinkedTxn", element="Line.LinkedTxn")
            for link in links:
                kind = link.get("TxnType")
                if kind not in kinds:
                    raise QBOError("2010", f"Line {i}: LinkedTxn.TxnType must be one of {list(kinds)}, not {kind!r}",
                                   element="Line.LinkedTxn.TxnType")
                doc = self.get(kind, str(link.get("TxnId")))
                if doc is None:
                    raise QBOError("610", GONE + f" ({kind} {link.get('TxnId')})", element="Line.LinkedTxn.TxnId")
                if ref_id(doc.get(contact_field)) != ref_id(rec[contact_field]):
                    raise QBOError("6000", f"A business validation error has occurred while processing your request: "
                                           f"{kind} {doc['Id']} belongs to another {contact_field[:-3].lower()}",
                                   element="Line.LinkedTxn")
                key = (str(kind), str(doc["Id"]))
                open_amount = money(doc.get("TotalAmt")) - self._paid(kind, doc["Id"], payer, own) - taken.get(
                    key, Decimal(0))
                taken[key] = taken.get(key, Decimal(0)) + amount
                if amount > open_amount:
                    raise QBOError("6000", f"A business validation error has occurred while processing your request: "
                                           f"Line {i} applies {amount} to {kind} {doc['Id']}, whose open balance is "
                                           f"{cents(open_amount)}", element="Line.Amount")
                link["TxnId"] = doc["Id"]
                link.pop("TxnLineId", None)
            line["Amount"] = num(amount)
            if links[0]["TxnType"] == "CreditMemo":
                credits += amount
            else:
                applied += amount
        return applied, credits

    def _paid(self, kind: str, doc_id: str, payer: str, skip: str | None) -> Decimal:
        slot = self._links().get((kind, doc_id), {})
        return sum((v for pid, v in slot.items() if pid != skip), Decimal(0))

    def _derive_payment(self, rec: dict, existing: dict | None) -> None:
        if blank(rec.get("TotalAmt")):
            raise QBOError("2020", "Required param missing, need to supply the required value for the API: TotalAmt",
                           element="TotalAmt")
        self._txn_common(rec, existing, "Customer", "CustomerRef")
        total = money(rec["TotalAmt"], "TotalAmt")
        applied, credits = self._payment_lines(rec, ("Invoice", "CreditMemo"), "CustomerRef", existing)
        unapplied = total - (applied - credits)
        if credits > applied:  # a credit pays charges only: what it does not pay stays on the credit memo
            raise QBOError("6000", f"A business validation error has occurred while processing your request: the "
                                   f"credits used ({cents(credits)}) are more than the charges they pay "
                                   f"({cents(applied)})", element="Line.Amount")
        if unapplied < 0:
            raise QBOError("6000", f"A business validation error has occurred while processing your request: the "
                                   f"lines apply {cents(applied - credits)}, more than TotalAmt {cents(total)}",
                           element="TotalAmt")
        rec["TotalAmt"] = num(total)
        rec["UnappliedAmt"] = num(unapplied)
        deposit = rec.get("DepositToAccountRef") or {"value": self.profile["accounts"]["UndepositedFunds"]}
        rec["DepositToAccountRef"] = {"value": self.resolve("Account", deposit, "DepositToAccountRef")["Id"]}
        rec.setdefault("ProcessPayment", False)
        self._home(rec, ("TotalAmt",))
        rec.pop("HomeBalance", None)

    def _paid_from(self, detail: dict, element: str, account_type: str) -> dict:
        """The reference to the account a bill payment is paid from (``CheckPayment.BankAccountRef`` …),
        which must be of `account_type`."""
        acct = self.resolve("Account", detail.get(element.rpartition(".")[2]), element)
        if acct["AccountType"] != account_type:
            raise QBOError("6000", "A business validation error has occurred while processing your request: "
                                   f"{element} must be a {account_type} account", element=element)
        return self.ref("Account", acct)

    def _derive_billpayment(self, rec: dict, existing: dict | None) -> None:
        for name in ("TotalAmt", "PayType"):
            if blank(rec.get(name)):
                raise QBOError("2020", f"Required param missing, need to supply the required value for the API: "
                                       f"{name}", element=name)
        self._txn_common(rec, existing, "Vendor", "VendorRef")
        pay = rec["PayType"]
        if pay == "Check":
            detail = rec.get("CheckPayment") or {}
            rec["CheckPayment"] = {**detail, "BankAccountRef": self._paid_from(detail, "CheckPayment.BankAccountRef",
                                                                               "Bank")}
            rec.setdefault("CheckPayment", {}).setdefault("PrintStatus", "NeedToPrint")
        elif pay == "CreditCard":
            detail = rec.get("CreditCardPayment") or {}
            rec["CreditCardPayment"] = {"CCAccountRef": self._paid_from(detail, "CreditCardPayment.CCAccountRef",
                                                                        "Credit Card")}
        else:
            raise QBOError("2010", f"PayType must be Check or CreditCard, not {pay!r}", element="PayType")
        total = money(rec["TotalAmt"], "TotalAmt")
        applied, _ = self._payment_lines(rec, ("Bill",), "VendorRef", existing)
        if applied > total:
            raise QBOError("6000", f"A business validation error has occurred while processing your request: the "
                                   f"lines apply {cents(applied)}, more than TotalAmt {cents(total)}",
                           element="TotalAmt")
        rec["TotalAmt"] = num(total)   # an overpayment stays with the vendor as credit
        self._home(rec, ("TotalAmt",))

    def recompute_balances(self) -> None:
        """Every document's and contact's balance from scratch (after seeding)."""
        self._link_index = None
        for kind in ("Invoice", "CreditMemo", "Bill"):
            for doc in self.store.all(self.realm, kind):
                self._balance_of(kind, doc)
        self._contact_balances({(c, r["Id"]) for c in ("Customer", "Vendor") for r in self.store.all(self.realm, c)})

    # -- attachments ------------------------------------------------------------------------------------
    def attach_file(self, meta: dict, content: bytes, filename: str | None, content_type: str | None) -> dict:
        """``/upload``: an Attachable holding the file (B12); with an ``Id`` in the metadata, the file replaces
        that Attachable's."""
        meta = clean(meta)
        name = meta.get("FileName") or filename
        if blank(name):
            raise QBOError("2020", "Required param missing, need to supply the required value for the API: FileName",
                           element="FileName")
        ext = str(name).rsplit(".", 1)[-1].lower() if "." in str(name) else ""
        if ext not in ATTACHMENT_TYPES:
            raise QBOError("6000", f"A business validation error has occurred while processing your request: files "
                                   f"of type .{ext or '(none)'} cannot be attached; allowed: "
                                   f"{', '.join(ATTACHMENT_TYPES)}", element="FileName")
        meta["FileName"] = name
        meta["ContentType"] = meta.get("ContentType") or content_type or "application/octet-stream"
        spec = SPECS["attachable"]
        self._upload = content
        try:
            if not blank(meta.get("Id")):
                return self.update(spec, {**meta, "sparse": True})
            return self.create(spec, meta)
        finally:
            self._upload = None

    def file_of(self, rid: str) -> tuple[bytes, str, str] | None:
        rec = self.get("Attachable", rid)
        if rec is None or not rec.get("_file"):
            return None
        return base64.b64decode(rec["_file"]), str(rec.get("ContentType") or "application/octet-stream"), \
            str(rec.get("FileName") or f"attachment-{rid}")

    # -- reads ------------------------------------------------------------------------------------------
    def when(self, text: str) -> float:
        return parse_when(text, self.tz)

    def query(self, text: str) -> dict:
        parsed = q.parse(text)
        spec = SPECS.get(parsed.entity.lower())
        if spec is None:
            raise QBOError("4000", f"QueryParserError: Invalid entity name {parsed.entity!r}; known: "
                                   f"{sorted(s.name for s in SPECS.values())}")
        for cond in parsed.where:
            name = cond.field.lower()
            if name == "isproject" and spec.name == "Customer" and self.cfg.is_project_queryable:
                continue
            if name not in spec.queryable:
                raise QBOError("4001", f"QueryValidationError: property '{cond.field}' is not queryable")
            if name == "id" and cond.op not in ("=", "in"):
                raise QBOError("4001", "QueryValidationError: Id can only be used with = and IN")
        for name, _ in parsed.order:
            if name.lower() not in spec.queryable:
                raise QBOError("4001", f"QueryValidationError: property '{name}' is not queryable")
        rows = [r for r in self.records(spec.name) if all(q.matches(r, c, self.when) for c in parsed.where)]
        if spec.kind == NAME_LIST and not any(c.field.lower() == "active" for c in parsed.where):
            rows = [r for r in rows if r.get("Active", True)]        # inactive hidden by default (B4)
        if parsed.count:
            return {"totalCount": len(rows)}
        order = parsed.order or [("Id", False)]
        for name, desc in reversed(order):
            rows.sort(key=lambda r, n=name: q.sort_key(r, n, self.when), reverse=desc)  # type: ignore[misc]
        page = rows[parsed.start - 1: parsed.start - 1 + parsed.max]
        if not page:
            return {}
        return {spec.name: page, "startPosition": parsed.start, "maxResults": len(page)}

    def records(self, entity: str) -> list[dict]:
        if entity == "CompanyInfo":
            return [self.company_info()]
        if entity == "Preferences":
            return [self.preferences()]
        return self.all(entity)

    def cdc(self, entities: str, since: str) -> list[dict]:
        if blank(entities):
            raise QBOError("2020", "Required param missing, need to supply the required value for the API: entities",
                           element="entities")
        if blank(since):
            raise QBOError("2020", "Required param missing, need to supply the required value for the API: "
                                   "changedSince", element="changedSince")
        try:
            start = self.when(since)
        except ValueError:
            raise QBOError("2010", f"changedSince must be an ISO date or datetime, not {since!r}",
                           element="changedSince") from None
        if start < self.now() - self.cfg.cdc_window_days * 86400:
            raise QBOError("2010", f"changedSince {since} is more than {self.cfg.cdc_window_days} days ago; CDC "
                                   f"looks back at most {self.cfg.cdc_window_days} days: read older changes with a "
                                   "query on MetaData.LastUpdatedTime", element="changedSince")
        out: list[dict] = []
        budget = self.cfg.cdc_max_objects
        for raw in entities.split(","):
            spec = SPECS.get(raw.strip().lower())
            if raw.strip() in NOT_IN_CDC or (spec is not None and not spec.cdc):
                raise QBOError("2010", f"CDC does not cover {raw.strip()} (nor {', '.join(NOT_IN_CDC)}); query it "
                                       "instead", element="entities")
            if spec is None:
                raise QBOError("2010", f"entities: {raw.strip()!r} is not a known entity", element="entities")
            changed = [r for r in self.store.all(self.realm, spec.name) if r.get("_updated", 0) >= start]
            changed += [t for t in self.store.all(self.realm, f"_deleted:{spec.name}") if t["_updated"] >= start]
            changed.sort(key=lambda r: (r["_updated"], int(r["Id"])))
            changed = changed[:max(0, budget)]
            budget -= len(changed)
            if changed:
                out.append({spec.name: changed, "startPosition": 1, "maxResults": len(changed),
                            "totalCount": len(changed)})
            else:
                out.append({})
        return out

    def company_info(self) -> dict:
        p = self.profile
        rec = {"CompanyName": p["CompanyName"], "LegalName": p["CompanyName"], "Country": p["Country"],
               "CompanyAddr": p["CompanyAddr"], "LegalAddr": p["CompanyAddr"], "CustomerCommunicationAddr":
               p["CompanyAddr"], "Email": {"Address": p["Email"]}, "FiscalYearStartMonth": "January",
               "SupportedLanguages": "en", "DefaultTimeZone": p["tz"],
               "NameValue": [{"Name": "NeoEnabled", "Value": "true"},
                             {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
                             {"Name": "PayrollFeature", "Value": "false"}],
               "Id": "1", "SyncToken": "0", "domain": "QBO", "sparse": False,
               "MetaData": {"CreateTime": stamp(p["created"], self.tz),
                            "LastUpdatedTime": stamp(p["created"], self.tz)}}
        return rec

    def preferences(self) -> dict:
        p = self.profile
        return {
            "AccountingInfoPrefs": {"TrackDepartments": False, "DepartmentTerminology": "Location",
                                    "ClassTrackingPerTxn": bool(p["ClassTrackingPerTxn"]),
                                    "ClassTrackingPerTxnLine": bool(p["ClassTrackingPerTxnLine"]),
                                    "CustomerTerminology": "Customers", "UseAccountNumbers": True},
            "SalesFormsPrefs": {"CustomTxnNumbers": bool(p.get("CustomTxnNumbers")), "AllowDiscount": True,
                                "AllowShipping": False, "DefaultTerms": {"value": "3"}},
            "VendorAndPurchasesPrefs": {"TrackingByCustomer": True, "BillableExpenseTracking": True},
            "TaxPrefs": {"UsingSalesTax": bool(p["UsingSalesTax"]), "PartnerTaxEnabled": bool(p["UsingSalesTax"])},
            "CurrencyPrefs": {"MultiCurrencyEnabled": bool(p["MultiCurrencyEnabled"]),
                              "HomeCurrency": {"value": p["HomeCurrency"]}},
            "Id": "1", "SyncToken": "0", "domain": "QBO", "sparse": False,
            "MetaData": {"CreateTime": stamp(p["created"], self.tz),
                         "LastUpdatedTime": stamp(p["created"], self.tz)}}

    def set_preferences(self, **changes: Any) -> None:
        """Test control: switch multicurrency, class tracking, custom numbers. Multicurrency cannot be turned
        off once on (B3)."""
        if "MultiCurrencyEnabled" in changes and self.profile["MultiCurrencyEnabled"] and \
                not changes["MultiCurrencyEnabled"]:
            raise ValueError("multicurrency cannot be turned off once it is on")
        unknown = set(changes) - {"MultiCurrencyEnabled", "ClassTrackingPerTxn", "ClassTrackingPerTxnLine",
                                  "CustomTxnNumbers", "UsingSalesTax"}
        if unknown:
            raise ValueError(f"unknown preferences {sorted(unknown)}")
        self.profile.update(changes)
        self.store.meta_set(f"prefs:{self.realm}", json.dumps(
            {k: self.profile[k] for k in ("MultiCurrencyEnabled", "ClassTrackingPerTxn", "ClassTrackingPerTxnLine",
                                          "CustomTxnNumbers", "UsingSalesTax")}))
