"""One tenant's books: the write rules of every object (A4, A5, A7, D) and the derived values.

Each ``upsert_*`` takes one submitted element and either returns the saved record or raises ``Invalid`` with
Xero's messages; the batch layer (api.py) turns those into ValidationException or per-element results."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ..records import Store
from .config import XeroSandboxConfig
from .wire import Invalid, is_guid, money, parse_date, to_decimal

LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")
ACCOUNT_TYPES = {"BANK": "ASSET", "CURRENT": "ASSET", "CURRLIAB": "LIABILITY", "DEPRECIATN": "EXPENSE",
                 "DIRECTCOSTS": "EXPENSE", "EQUITY": "EQUITY", "EXPENSE": "EXPENSE", "FIXED": "ASSET",
                 "INVENTORY": "ASSET", "LIABILITY": "LIABILITY", "NONCURRENT": "ASSET", "OTHERINCOME": "REVENUE",
                 "OVERHEADS": "EXPENSE", "PREPAYMENT": "ASSET", "REVENUE": "REVENUE", "SALES": "REVENUE",
                 "TERMLIAB": "LIABILITY"}
CURRENCY_NAMES = {"EUR": "Euro", "USD": "United States Dollar", "GBP": "British Pound", "SEK": "Swedish Krona",
                  "NOK": "Norwegian Krone", "DKK": "Danish Krone", "AUD": "Australian Dollar",
                  "NZD": "New Zealand Dollar", "CAD": "Canadian Dollar", "PLN": "Polish Zloty", "CHF": "Swiss Franc",
                  "JPY": "Japanese Yen", "CZK": "Czech Koruna", "HUF": "Hungarian Forint", "ZAR": "South African Rand"}
NOT_FOUND = "The document with the supplied id was not found for this endpoint."
PAID_LOCK = "This document cannot be edited as it has a payment or credit note allocated to it."
BAD_STATUS = "Invoice not of valid status for modification"
VOID_LOCK = ("The status VOIDED cannot be applied to the invoice because it has payments or credit notes allocated "
             "to it.")
CONTACT_FIELDS = ("ContactNumber", "AccountNumber", "Name", "FirstName", "LastName", "EmailAddress", "CompanyNumber",
                  "TaxNumber", "AccountsReceivableTaxType", "AccountsPayableTaxType", "Addresses", "Phones",
                  "ContactPersons", "DefaultCurrency", "PaymentTerms", "SalesDefaultAccountCode",
                  "PurchasesDefaultAccountCode", "Website", "BankAccountDetails", "ContactStatus")
DATE_FIELDS = ("Date", "DueDate", "ExpectedPaymentDate", "PlannedPaymentDate")
# The document fields a client can write; read-only ones it echoes back (totals, Has*, …) are ignored.
DOC_WRITABLE = {"Type", "Contact", "Date", "DueDate", "LineAmountTypes", "CurrencyCode", "CurrencyRate", "Reference",
                "Url", "BrandingThemeID", "SentToContact", "ExpectedPaymentDate", "PlannedPaymentDate",
                "InvoiceNumber", "CreditNoteNumber", "Status", "LineItems"}
# Edits a document with payments or allocations still takes (A5, secondary notes).
PAID_EDITABLE = {"Reference", "DueDate", "InvoiceNumber", "CreditNoteNumber", "Contact", "Url", "SentToContact",
                 "ExpectedPaymentDate", "PlannedPaymentDate", "LineItems", "Status"}


@dataclass(frozen=True)
class DocKind:
    collection: str
    id_field: str
    number_field: str
    types: tuple[str, str]          # (sales, purchases)
    prefix: str
    event: str


INVOICE = DocKind("Invoices", "InvoiceID", "InvoiceNumber", ("ACCREC", "ACCPAY"), "INV-", "INVOICE")
CREDIT_NOTE = DocKind("CreditNotes", "CreditNoteID", "CreditNoteNumber", ("ACCRECCREDIT", "ACCPAYCREDIT"), "CN-",
                      "CREDITNOTE")


_id_rng: list[random.Random] = []   # set while seeded data is generated, so ids repeat with the seed


def new_id() -> str:
    if _id_rng:
        return str(uuid.UUID(int=_id_rng[-1].getrandbits(128), version=4))
    return str(uuid.uuid4())


def _d(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def _f(value: Decimal) -> float:
    return float(value)


def _same(key: str, new: Any, old: Any) -> bool:
    """Whether a submitted value equals the stored one, whatever form the client wrote it in (an SDK echoes
    unchanged fields: dates as /Date(ms)/, numbers as floats, the contact as an object)."""
    if new is None:
        return True
    if key in DATE_FIELDS:
        try:
            return parse_date(new, key) == old
        except Invalid:
            return False
    if key in ("Quantity", "UnitAmount", "DiscountRate", "CurrencyRate"):
        try:
            return old is not None and Decimal(str(new)) == Decimal(str(old))
        except ArithmeticError:
            return False
    if key == "Contact":
        return isinstance(new, dict) and (not new.get("ContactID") or
                                          str(new["ContactID"]).lower() == (old or {}).get("ContactID"))
    return bool(new == old)


class Books:
    """The records of one tenant plus the rules that keep them consistent."""

    def __init__(self, store: Store, tenant: str, config: XeroSandboxConfig, now: Callable[[], float],
                 on_change: Callable[[str, str, dict, bool], None]) -> None:
        self.store, self.tenant, self.cfg, self.now = store, tenant, config, now
        self.on_change = on_change
        self.client_id = ""   # the app making the current request (createdByMyApp)
        self._names: dict[str, str] | None = None   # active contact name (lower case) -> ContactID

    # -- storage ------------------------------------------------------------------------------------------
    def rows(self, coll: str) -> list[dict]:
        return self.store.all(self.tenant, coll)

    def get(self, coll: str, rid: str) -> dict | None:
        return self.store.get(self.tenant, coll, str(rid).lower()) or self.store.get(self.tenant, coll, str(rid))

    def save(self, coll: str, key: str, rec: dict, created: bool, touch: bool = True) -> dict:
        if touch:
            now = self.now()
            last = rec.get("UpdatedDateUTC") or 0
            rec["UpdatedDateUTC"] = max(round(now, 3), round(last + 0.001, 3))
        if coll == "Contacts" and self._names is not None:
            self._index_contact(self.store.get(self.tenant, coll, key), rec)
        self.store.put(self.tenant, coll, key, rec)
        if touch:  # a change Xero does not stamp (an attachment) is not announced either
            self.on_change(self.tenant, coll, rec, created)
        return rec

    def today(self) -> str:
        return datetime.fromtimestamp(self.now(), UTC).date().isoformat()

    @property
    def org(self) -> dict:
        return self.rows("Organisation")[0]

    def check_lock(self, day: str) -> None:
        """Nothing dated on or before the organisation's PeriodLockDate may be approved, changed or paid (A5)."""
        lock = self.org.get("PeriodLockDate")
        if lock and day <= lock:
            raise Invalid(f"The date {day} is on or before the period lock date {lock}; locked periods cannot be "
                          "changed")

    def set_period_lock(self, day: str | None) -> None:
        org = dict(self.org)
        if day:
            org["PeriodLockDate"] = parse_date(day, "PeriodLockDate")
        else:
            org.pop("PeriodLockDate", None)
        self.store.put(self.tenant, "Organisation", org["OrganisationID"], org)

    def next_number(self, name: str, prefix: str) -> str:
        key = f"{self.tenant}:seq:{name}"
        n = int(self.store.meta_get(key) or 0) + 1
        self.store.meta_set(key, str(n))
        return f"{prefix}{n:04d}"

    # -- reference data lookups ---------------------------------------------------------------------------
    def account_by_code(self, code: str) -> dict | None:
        return next((a for a in self.rows("Accounts") if a.get("Code") == str(code) and a["Status"] == "ACTIVE"), None)

    def require_account(self, code: Any) -> dict:
        """An active account for a document line (messages as seen from Xero in public client code)."""
        acc = self.account_by_code(str(code))
        if acc is None:
            if any(a.get("Code") == str(code) for a in self.rows("Accounts")):
                raise Invalid(f"Account code '{code}' has been archived, or has been deleted. Each line item must "
                              "reference a valid account.")
            raise Invalid(f"Account code '{code}' is not a valid code for this document.")
        return acc

    def tax_rate(self, tax_type: str) -> dict | None:
        return next((t for t in self.rows("TaxRates") if t["TaxType"] == tax_type), None)

    def require_tax(self, tax_type: Any) -> dict:
        t = self.tax_rate(str(tax_type))
        if t is None or t["Status"] != "ACTIVE":
            raise Invalid(f"The TaxType code {tax_type} does not exist or cannot be used for this type of transaction.")
        return t

    def currencies(self) -> set[str]:
        return {c["Code"] for c in self.rows("Currencies")}

    def currency_rate(self, code: str, given: Any) -> float:
        if code == self.org["BaseCurrency"]:
            return 1.0
        if given not in (None, "", 0):
            rate = to_decimal(given, "CurrencyRate")
            if rate <= 0:
                raise Invalid("CurrencyRate must be greater than zero")
            return float(round(rate, 6))
        return float(self.cfg.currency_rates.get(code, 1.0))

    # -- contacts -----------------------------------------------------------------------------------------
    def contact_by_name(self, name: str) -> dict | None:
        """The active contact with this name (names are unique among active contacts, ignoring case)."""
        if self._names is None:
            self._names = {}
            for c in self.rows("Contacts"):
                self._index_contact(None, c)
        cid = self._names.get(name.strip().lower())
        return self.get("Contacts", cid) if cid else None

    def _index_contact(self, old: dict | None, new: dict) -> None:
        assert self._names is not None
        if old is not None and old.get("ContactStatus") == "ACTIVE":
            self._names.pop(str(old.get("Name", "")).strip().lower(), None)
        if new.get("ContactStatus") == "ACTIVE" and new.get("Name"):
            self._names[str(new["Name"]).strip().lower()] = new["ContactID"]

    def find_contact(self, el: dict) -> dict | None:
        if el.get("ContactID"):
            return self.get("Contacts", el["ContactID"])
        if el.get("ContactNumber"):
            found = next((c for c in self.rows("Contacts") if c.get("ContactNumber") == el["ContactNumber"]), None)
            if found:
                return found
        if el.get("Name"):
            return self.contact_by_name(str(el["Name"]))
        return None

    def upsert_contact(self, el: dict, create_only: bool, path_id: str | None = None) -> dict:
        if path_id or el.get("ContactID"):
            rec = self.get("Contacts", path_id or el["ContactID"])
            if rec is None:
                raise Invalid(NOT_FOUND)
            if create_only:
                raise Invalid("ContactID cannot be set when creating a contact")
        elif create_only:
            rec = None
        else:
            rec = self.find_contact(el)
        created = rec is None
        rec = dict(rec) if rec else {"ContactID": new_id(), "ContactStatus": "ACTIVE", "_created_by": self.client_id}
        for k in CONTACT_FIELDS:
            if k in el and el[k] is not None:
                rec[k] = el[k]
        name = str(rec.get("Name") or "").strip()
        errors = []
        if not name:
            errors.append("The contact name must be specified.")
        elif len(name) > 255:
            errors.append("The contact name must be 255 characters or less.")
        if rec.get("ContactStatus") not in ("ACTIVE", "ARCHIVED", "GDPRREQUEST"):
            errors.append(f"ContactStatus '{rec.get('ContactStatus')}' is not valid (ACTIVE, ARCHIVED)")
        if name and rec["ContactStatus"] == "ACTIVE":
            other = self.contact_by_name(name)
            if other is not None and other["ContactID"] != rec["ContactID"]:
                errors.append(f"The contact name {name} is already assigned to another contact. The contact name "
                              "must be unique across all active contacts.")
        if len(str(rec.get("ContactNumber") or "")) > 50:
            errors.append("The ContactNumber must be 50 characters or less.")
        if len(rec.get("ContactPersons") or []) > 5:
            errors.append("A contact can have a maximum of 5 contact persons.")
        for key in ("Addresses", "Phones", "ContactPersons"):
            if key in rec and not isinstance(rec[key], list):
                errors.append(f"{key} must be a list")
        if rec.get("DefaultCurrency") and rec["DefaultCurrency"] not in self.currencies():
            errors.append(f"The currency {rec['DefaultCurrency']} is not enabled for this organisation.")
        for key in ("SalesDefaultAccountCode", "PurchasesDefaultAccountCode"):
            if rec.get(key) and self.account_by_code(rec[key]) is None:
                errors.append(f"Account code '{rec[key]}' has been removed as it does not match a recognised account.")
        if errors:
            raise Invalid(*errors)
        rec["Name"] = name
        return self.save("Contacts", rec["ContactID"], rec, created)

    def contact_for_document(self, el: Any) -> dict:
        if not isinstance(el, dict) or not el:
            raise Invalid("A Contact must be specified for this type of transaction")
        contact = self.find_contact(el)
        if contact is None:
            if el.get("ContactID"):
                raise Invalid("Contact not found for the given ContactID")
            if not el.get("Name"):
                raise Invalid("A Contact must be specified for this type of transaction")
            return self.upsert_contact({k: v for k, v in el.items() if k in CONTACT_FIELDS}, create_only=True)
        extra = {k: v for k, v in el.items() if k in CONTACT_FIELDS and v is not None and contact.get(k) != v}
        if extra:  # contact fields other than the id on a document update the contact (A4)
            contact = self.upsert_contact({**extra, "ContactID": contact["ContactID"]}, create_only=False)
        return contact

    # -- items --------------------------------------------------------------------------------------------
    def item_by_code(self, code: str) -> dict | None:
        return next((i for i in self.rows("Items") if i["Code"] == code), None)

    def upsert_item(self, el: dict, create_only: bool, path_id: str | None = None) -> dict:
        if path_id or el.get("ItemID"):
            rec = self.get("Items", path_id or el["ItemID"])
            if rec is None:
                raise Invalid(NOT_FOUND)
        elif create_only or not el.get("Code"):
            rec = None
        else:
            rec = self.item_by_code(str(el["Code"]))
        created = rec is None
        rec = dict(rec) if rec else {"ItemID": new_id(), "IsTrackedAsInventory": False}
        errors = []
        for k in ("Code", "Name", "Description", "PurchaseDescription", "IsSold", "IsPurchased"):
            if k in el and el[k] is not None:
                rec[k] = el[k]
        for k in ("SalesDetails", "PurchaseDetails"):
            if isinstance(el.get(k), dict):
                details = {**rec.get(k, {}), **{dk: dv for dk, dv in el[k].items() if dv is not None}}
                if "UnitPrice" in details:
                    details["UnitPrice"] = _f(money(to_decimal(details["UnitPrice"], f"{k}.UnitPrice"), 4))
                for code_key in ("AccountCode", "COGSAccountCode"):
                    if details.get(code_key) and self.account_by_code(details[code_key]) is None:
                        errors.append(f"Account code '{details[code_key]}' has been removed as it does not match a "
                                      "recognised account.")
                if details.get("TaxType") and self.tax_rate(details["TaxType"]) is None:
                    errors.append(f"The TaxType code {details['TaxType']} does not exist or cannot be used for this "
                                  "type of transaction.")
                rec[k] = details
        code = str(rec.get("Code") or "")
        if not code:
            errors.append("Item code must be specified")
        elif len(code) > 30:
            errors.append("Item code must be 30 characters or less")
        else:
            other = self.item_by_code(code)
            if other is not None and other["ItemID"] != rec["ItemID"]:
                errors.append(f"Price List Item with Code '{code}' already exists")
        if len(str(rec.get("Name") or "")) > 50:
            errors.append("Item name must be 50 characters or less")
        if len(str(rec.get("Description") or "")) > 4000:
            errors.append("Item description must be 4000 characters or less")
        if errors:
            raise Invalid(*errors)
        rec.setdefault("Name", code)
        rec["IsSold"] = bool(rec.get("IsSold", "SalesDetails" in rec))
        rec["IsPurchased"] = bool(rec.get("IsPurchased", "PurchaseDetails" in rec))
        return self.save("Items", rec["ItemID"], rec, created)

    def delete_item(self, rid: str) -> None:
        if self.get("Items", rid) is None:
            raise KeyError(rid)
        self.store.delete(self.tenant, "Items", self.get("Items", rid)["ItemID"])  # type: ignore[index]

    # -- line items and totals ----------------------------------------------------------------------------
    def lines(self, doc_type: str, lat: str, given: Any, existing: list[dict], unitdp: int) -> list[dict]:
        if not isinstance(given, list):
            raise Invalid("LineItems must be a list")
        sales = doc_type in ("ACCREC", "ACCRECCREDIT")
        old = {li["LineItemID"]: li for li in existing}
        out, errors = [], []
        for n, li in enumerate(given, 1):
            if not isinstance(li, dict):
                errors.append(f"Line item {n} must be an object")
                continue
            lid = str(li.get("LineItemID") or "").lower()
            line = dict(old[lid]) if lid in old else {"LineItemID": new_id()}
            for k in ("Description", "Quantity", "UnitAmount", "ItemCode", "AccountCode", "TaxType", "DiscountRate",
                      "DiscountAmount", "Tracking", "AccountID", "LineAmount"):
                if k in li and li[k] is not None:
                    line[k] = li[k]
            try:
                out.append(self._line(line, sales, lat, unitdp, lid in old and "LineAmount" not in li))
            except Invalid as exc:
                errors += exc.messages
        if errors:
            raise Invalid(*errors)
        return out

    def _line(self, line: dict, sales: bool, lat: str, unitdp: int, recompute: bool) -> dict:
        if line.get("ItemCode"):
            item = self.item_by_code(str(line["ItemCode"]))
            if item is None:
                raise Invalid(f"Item code '{line['ItemCode']}' is not valid")
            details = item.get("SalesDetails" if sales else "PurchaseDetails") or {}
            line.setdefault("Description", item.get("Description") or item.get("Name"))
            if "UnitAmount" not in line and "UnitPrice" in details:
                line["UnitAmount"] = details["UnitPrice"]
            if "AccountCode" not in line and "AccountID" not in line and details.get("AccountCode"):
                line["AccountCode"] = details["AccountCode"]
            if "TaxType" not in line and details.get("TaxType"):
                line["TaxType"] = details["TaxType"]
        if line.get("AccountID"):
            acc = self.get("Accounts", line.pop("AccountID"))
            if acc is None or not acc.get("Code"):
                raise Invalid("Account ID is not valid")
            line["AccountCode"] = acc["Code"]
        account = self.require_account(line["AccountCode"]) if line.get("AccountCode") else None
        if not line.get("TaxType"):
            org = self.org
            line["TaxType"] = (account or {}).get("TaxType") or \
                (org.get("_sales_tax") if sales else org.get("_purchase_tax")) or "NONE"
        rate = self.require_tax(line["TaxType"])
        qty = to_decimal(line.get("Quantity", 1), "Quantity")
        unit = money(to_decimal(line.get("UnitAmount", 0), "UnitAmount"), unitdp)
        dr = to_decimal(line["DiscountRate"], "DiscountRate") if line.get("DiscountRate") not in (None, "", 0) else None
        da = to_decimal(line["DiscountAmount"], "DiscountAmount") if line.get("DiscountAmount") not in (None, "", 0) \
            else None
        if (dr is not None or da is not None) and not sales:
            raise Invalid("Discounts are only supported on sales documents (ACCREC)")
        gross = qty * unit
        amount = money(gross * (1 - dr / 100) if dr is not None else gross - (da or 0))
        if "LineAmount" in line and not recompute:
            sent = to_decimal(line["LineAmount"], "LineAmount")
            if abs(sent - amount) > Decimal("0.01"):
                raise Invalid(f"The line total {sent} does not match the expected line total {amount}")
        tracking = line.get("Tracking") or []
        if not isinstance(tracking, list):
            raise Invalid("Tracking must be a list")
        if len(tracking) > 2:
            raise Invalid("A line item can have a maximum of 2 tracking categories")
        line["Tracking"] = [self._tracking(t) for t in tracking]
        r = Decimal(str(rate["EffectiveRate"])) / 100
        tax = Decimal(0) if lat == "NoTax" else money(amount * r) if lat == "Exclusive" else money(amount - amount / (1 + r))
        line.update(Quantity=_f(qty), UnitAmount=_f(unit), LineAmount=_f(amount), TaxAmount=_f(tax),
                    _discount=_f(money(gross) - amount))
        if dr is not None:
            line["DiscountRate"] = _f(dr)
        if not line["Tracking"]:
            line.pop("Tracking")
        return line

    def _tracking(self, t: Any) -> dict:
        if not isinstance(t, dict):
            raise Invalid("Tracking entries must be objects")
        cats = self.rows("TrackingCategories")
        cat = next((c for c in cats if (t.get("TrackingCategoryID") and c["TrackingCategoryID"] ==
                                        str(t["TrackingCategoryID"]).lower()) or
                    (not t.get("TrackingCategoryID") and c["Name"] == t.get("Name"))), None)
        if cat is None or cat["Status"] != "ACTIVE":
            raise Invalid(f"Tracking category '{t.get('Name') or t.get('TrackingCategoryID')}' is not valid")
        opt = next((o for o in cat["Options"] if (t.get("TrackingOptionID") and o["TrackingOptionID"] ==
                                                  str(t["TrackingOptionID"]).lower()) or
                    (not t.get("TrackingOptionID") and o["Name"] == t.get("Option"))), None)
        if opt is None or opt["Status"] == "DELETED":
            raise Invalid(f"Tracking option '{t.get('Option') or t.get('TrackingOptionID')}' is not valid for the "
                          f"category '{cat['Name']}'")
        if opt["Status"] != "ACTIVE":
            raise Invalid(f"The tracking option '{opt['Name']}' is archived and cannot be used")
        return {"TrackingCategoryID": cat["TrackingCategoryID"], "TrackingOptionID": opt["TrackingOptionID"],
                "Name": cat["Name"], "Option": opt["Name"]}

    @staticmethod
    def totals(doc: dict) -> None:
        lines = doc.get("LineItems") or []
        la = sum((_d(li["LineAmount"]) for li in lines), Decimal(0))
        tax = sum((_d(li["TaxAmount"]) for li in lines), Decimal(0))
        sub = la - tax if doc["LineAmountTypes"] == "Inclusive" else la
        doc.update(SubTotal=_f(sub), TotalTax=_f(tax), Total=_f(sub + tax),
                   TotalDiscount=_f(sum((_d(li.get("_discount")) for li in lines), Decimal(0))))

    # -- invoices and credit notes ------------------------------------------------------------------------
    def doc_by_number(self, kind: DocKind, number: str, doc_type: str | None = None) -> dict | None:
        return next((d for d in self.rows(kind.collection) if d.get(kind.number_field) == number and
                     d["Status"] != "DELETED" and (doc_type is None or d["Type"] == doc_type)), None)

    def find_doc(self, kind: DocKind, key: str) -> dict | None:
        """By id, or by number (GET /Invoices/{InvoiceNumber} is said to work, A3)."""
        if is_guid(key):
            return self.get(kind.collection, key)
        return self.doc_by_number(kind, key) or next(
            (d for d in self.rows(kind.collection) if d.get(kind.number_field) == key), None)

    def upsert_doc(self, kind: DocKind, el: dict, create_only: bool, path_id: str | None = None,
                   unitdp: int = 2) -> dict:
        rec = None
        if path_id or el.get(kind.id_field):
            rec = self.get(kind.collection, path_id or el[kind.id_field])
            if rec is None:
                raise Invalid(NOT_FOUND)
            if create_only:
                raise Invalid(f"{kind.id_field} {rec[kind.id_field]} already exists: PUT only creates, POST updates")
        elif (not create_only and kind is INVOICE and self.cfg.post_matches_invoice_number
              and el.get("InvoiceNumber") and el.get("Type", "ACCREC") == "ACCREC"):
            rec = self.doc_by_number(kind, str(el["InvoiceNumber"]), "ACCREC")
        return self._create_doc(kind, el, unitdp) if rec is None else self._update_doc(kind, dict(rec), el, unitdp)

    def _create_doc(self, kind: DocKind, el: dict, unitdp: int) -> dict:
        errors: list[str] = []
        doc_type = el.get("Type")
        if doc_type not in kind.types:
            raise Invalid(f"{'Invoice' if kind is INVOICE else 'Credit Note'} Type must be one of "
                          f"{', '.join(kind.types)}")
        status = el.get("Status") or "DRAFT"
        if status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
            raise Invalid(f"A document cannot be created with status {status}")
        contact = self.contact_for_document(el.get("Contact"))
        doc: dict = {kind.id_field: new_id(), "Type": doc_type, "Status": status, "_created_by": self.client_id,
                     "AmountPaid": 0.0, "Payments": []}
        if kind is INVOICE:
            doc.update(AmountCredited=0.0, CreditNotes=[])
        else:
            doc.update(Allocations=[])
        doc["Contact"] = {"ContactID": contact["ContactID"]}
        self._apply_doc_fields(kind, doc, el, errors, unitdp, creating=True)
        if errors:
            raise Invalid(*errors)
        return self._finish_doc(kind, doc, created=True)

    def _apply_doc_fields(self, kind: DocKind, doc: dict, el: dict, errors: list[str], unitdp: int,
                          creating: bool) -> None:
        sales = doc["Type"] == kind.types[0]
        lat = el.get("LineAmountTypes") or doc.get("LineAmountTypes") or "Exclusive"
        if lat not in LINE_AMOUNT_TYPES:
            errors.append(f"LineAmountTypes '{lat}' is not valid (Exclusive, Inclusive, NoTax)")
            lat = "Exclusive"
        doc["LineAmountTypes"] = lat
        for key in ("Date", "DueDate", "ExpectedPaymentDate", "PlannedPaymentDate"):
            if el.get(key) is not None:
                try:
                    doc[key] = parse_date(el[key], key)
                except Invalid as exc:
                    errors += exc.messages
        doc.setdefault("Date", self.today())
        for key in ("Url", "BrandingThemeID"):
            if el.get(key) is not None:
                doc[key] = el[key]
        if el.get("Reference") is not None and (sales or kind is CREDIT_NOTE):
            doc["Reference"] = str(el["Reference"])
        code = el.get("CurrencyCode") or doc.get("CurrencyCode") or self.org["BaseCurrency"]
        if code not in self.currencies():
            errors.append(f"The currency {code} is not enabled for this organisation. Add it with PUT /Currencies.")
        else:
            try:
                doc["CurrencyRate"] = self.currency_rate(code, el.get("CurrencyRate") or
                                                         (doc.get("CurrencyRate") if code == doc.get("CurrencyCode")
                                                          else None))
            except Invalid as exc:
                errors += exc.messages
        doc["CurrencyCode"] = code
        number = el.get(kind.number_field)
        if number is not None:
            number = str(number).strip()
            if len(number) > 255:
                errors.append(f"{kind.number_field} must be 255 characters or less")
            if sales and number:
                other = self.doc_by_number(kind, number, doc["Type"])
                if other is not None and other[kind.id_field] != doc[kind.id_field]:
                    errors.append("Invoice # must be unique." if kind is INVOICE else
                                  "Credit Note Number must be unique.")
            doc[kind.number_field] = number
        lines_ok = True
        if "LineItems" in el:
            try:
                doc["LineItems"] = self.lines(doc["Type"], lat, el["LineItems"] or [], doc.get("LineItems", []), unitdp)
            except Invalid as exc:
                errors += exc.messages
                lines_ok = False
        elif "LineAmountTypes" in el and doc.get("LineItems"):
            doc["LineItems"] = self.lines(doc["Type"], lat, [{"LineItemID": li["LineItemID"]} for li in doc["LineItems"]],
                                          doc["LineItems"], 4)
        doc.setdefault("LineItems", [])
        if "SentToContact" in el:
            if el["SentToContact"] and doc["Status"] not in ("AUTHORISED", "PAID"):
                errors.append("SentToContact can only be set on approved documents")
            doc["SentToContact"] = bool(el["SentToContact"])
        if doc["Status"] in ("SUBMITTED", "AUTHORISED") and lines_ok:
            if not doc["LineItems"]:
                errors.append("At least one line item is required to approve a document")
            if any(not li.get("AccountCode") for li in doc["LineItems"]):
                errors.append("Account code must be specified for every line item on an approved document")

    def _finish_doc(self, kind: DocKind, doc: dict, created: bool) -> dict:
        if doc["Status"] in ("AUTHORISED", "PAID", "VOIDED"):
            self.check_lock(doc["Date"])
        self.totals(doc)
        if doc["Type"] == kind.types[0] and not doc.get(kind.number_field) and doc["Status"] != "DELETED":
            doc[kind.number_field] = self.next_number(kind.collection, kind.prefix)
        self._refresh_due(kind, doc)
        return self.save(kind.collection, doc[kind.id_field], doc, created)

    def _refresh_due(self, kind: DocKind, doc: dict) -> None:
        """AmountDue / RemainingCredit and the PAID status follow payments and allocations (D)."""
        paid = _d(doc.get("AmountPaid"))
        if kind is INVOICE:
            due = _d(doc["Total"]) - paid - _d(doc.get("AmountCredited"))
            doc["AmountDue"] = _f(due)
        else:
            allocated = sum((_d(a["Amount"]) for a in doc.get("Allocations", []) if not a.get("IsDeleted")), Decimal(0))
            due = _d(doc["Total"]) - paid - allocated
            doc["RemainingCredit"] = _f(due)
        if doc["Status"] == "AUTHORISED" and due <= 0 and _d(doc["Total"]) > 0:
            doc["Status"] = "PAID"
            dates = [p["Date"] for p in doc.get("Payments", [])] + \
                [a["Date"] for a in doc.get("Allocations", []) if not a.get("IsDeleted")] + \
                [c["Date"] for c in doc.get("CreditNotes", [])]
            doc["FullyPaidOnDate"] = max(dates) if dates else self.today()
        elif doc["Status"] == "PAID" and due > 0:
            doc["Status"] = "AUTHORISED"
            doc.pop("FullyPaidOnDate", None)

    def _has_money(self, kind: DocKind, doc: dict) -> bool:
        return _d(doc.get("AmountPaid")) > 0 or _d(doc.get("AmountCredited")) > 0 or \
            any(not a.get("IsDeleted") for a in doc.get("Allocations", []))

    def _update_doc(self, kind: DocKind, doc: dict, el: dict, unitdp: int) -> dict:
        status = doc["Status"]
        target = el.get("Status") or status
        if el.get("Type") and el["Type"] != doc["Type"]:
            raise Invalid("The document type cannot be changed")
        if status in ("DELETED", "VOIDED"):
            raise Invalid(BAD_STATUS)
        if status in ("AUTHORISED", "PAID"):
            self.check_lock(doc["Date"])
        if target != status:
            if target == "PAID":
                raise Invalid("A document is set to PAID by Xero when it is fully paid; it cannot be set")
            if target == "DELETED" and status not in ("DRAFT", "SUBMITTED"):
                raise Invalid(PAID_LOCK if self._has_money(kind, doc) else BAD_STATUS)
            if target == "VOIDED":
                if self._has_money(kind, doc):
                    raise Invalid(VOID_LOCK if kind is INVOICE else PAID_LOCK)
                if status != "AUTHORISED":
                    raise Invalid(BAD_STATUS)
            if target in ("DRAFT", "SUBMITTED") and status in ("AUTHORISED", "PAID"):
                raise Invalid(BAD_STATUS)
            if target not in ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED", "VOIDED"):
                raise Invalid(f"Status '{target}' is not valid")
        if target in ("DELETED", "VOIDED"):
            doc["Status"] = target
            return self.save(kind.collection, doc[kind.id_field], doc, created=False)
        if self._has_money(kind, doc):
            blocked = [k for k in el if k in DOC_WRITABLE and k not in PAID_EDITABLE and
                       not _same(k, el[k], doc.get(k))]
            if blocked or not self._only_paid_line_edits(doc, el.get("LineItems")):
                raise Invalid(PAID_LOCK)
        if el.get("Contact") is not None:
            contact = self.contact_for_document(el["Contact"])
            doc["Contact"] = {"ContactID": contact["ContactID"]}
        doc["Status"] = target
        errors: list[str] = []
        self._apply_doc_fields(kind, doc, el, errors, unitdp, creating=False)
        if errors:
            raise Invalid(*errors)
        return self._finish_doc(kind, doc, created=False)

    @staticmethod
    def _only_paid_line_edits(doc: dict, lines: Any) -> bool:
        """On a paid document only line Description, AccountCode and Tracking may change."""
        if lines is None:
            return True
        if not isinstance(lines, list) or len(lines) != len(doc["LineItems"]):
            return False
        old = {li["LineItemID"]: li for li in doc["LineItems"]}
        for li in lines:
            cur = old.get(str(li.get("LineItemID") or "").lower()) if isinstance(li, dict) else None
            if cur is None:
                return False
            if any(li.get(k) is not None and not _same(k, li[k], cur.get(k))
                   for k in ("Quantity", "UnitAmount", "TaxType", "DiscountRate", "ItemCode")):
                return False
        return True

    def _doc_of(self, kind: DocKind, ref: Any) -> dict | None:
        """The document a reference names by id (``{"InvoiceID": …}``) or by number, if any."""
        if not isinstance(ref, dict):
            return None
        if ref.get(kind.id_field):
            return self.get(kind.collection, ref[kind.id_field])
        if ref.get(kind.number_field):
            return self.doc_by_number(kind, str(ref[kind.number_field]))
        return None

    def _settle(self, kind: DocKind, doc: dict, total: str, delta: Decimal, entries_key: str,
                entries: list[dict]) -> None:
        """A payment or allocation made on (or taken off) a document: its `total` (AmountPaid,
        AmountCredited) moved by `delta`, its `entries_key` list (Payments, CreditNotes) replaced by
        `entries`, what is due recomputed, and the document saved."""
        doc[total] = _f(_d(doc.get(total)) + delta)
        doc[entries_key] = entries
        self._refresh_due(kind, doc)
        self.save(kind.collection, doc[kind.id_field], doc, created=False)

    # -- allocations --------------------------------------------------------------------------------------
    def allocate(self, credit_id: str, el: dict) -> dict:
        cn = self.get("CreditNotes", credit_id)
        if cn is None:
            raise Invalid(NOT_FOUND)
        cn = dict(cn)
        inv = self._doc_of(INVOICE, el.get("Invoice"))
        if inv is None:
            raise Invalid("Invoice not found for the allocation")
        inv = dict(inv)
        if "Amount" not in el:
            raise Invalid("Amount must be specified for an allocation")
        amount = money(to_decimal(el["Amount"], "Amount"))
        day = parse_date(el["Date"], "Date") if el.get("Date") else self.today()
        self.check_lock(day)
        errors = []
        if cn["Status"] != "AUTHORISED":
            errors.append("Only approved credit notes can be allocated")
        if inv["Status"] != "AUTHORISED":
            errors.append("The invoice must be approved and not fully paid to allocate a credit note to it")
        if {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}[cn["Type"]] != inv["Type"]:
            errors.append("The credit note type does not match the invoice type")
        if cn["Contact"]["ContactID"] != inv["Contact"]["ContactID"]:
            errors.append("The credit note and the invoice must belong to the same contact")
        if cn["CurrencyCode"] != inv["CurrencyCode"]:
            errors.append("The credit note and the invoice must be in the same currency")
        if amount <= 0:
            errors.append("Allocation amount must be greater than zero")
        if amount > _d(cn.get("RemainingCredit")):
            errors.append("The amount allocated exceeds the remaining credit on the credit note")
        if amount > _d(inv.get("AmountDue")):
            errors.append("The amount allocated exceeds the amount outstanding on the invoice")
        if errors:
            raise Invalid(*errors)
        alloc = {"AllocationID": new_id(), "Amount": _f(amount), "Date": day, "IsDeleted": False,
                 "Invoice": {"InvoiceID": inv["InvoiceID"]}}
        self._settle(INVOICE, inv, "AmountCredited", amount, "CreditNotes",
                     [*inv.get("CreditNotes", []), {"CreditNoteID": cn["CreditNoteID"], "Date": day,
                                                    "AppliedAmount": _f(amount), "_alloc": alloc["AllocationID"]}])
        cn["Allocations"] = [*cn.get("Allocations", []), alloc]
        self._refresh_due(CREDIT_NOTE, cn)
        self.save("CreditNotes", cn["CreditNoteID"], cn, created=False)
        return alloc

    def delete_allocation(self, credit_id: str, alloc_id: str) -> dict:
        cn = self.get("CreditNotes", credit_id)
        if cn is None:
            raise KeyError(credit_id)
        cn = dict(cn)
        alloc = next((a for a in cn.get("Allocations", []) if a["AllocationID"] == alloc_id.lower() and
                      not a.get("IsDeleted")), None)
        if alloc is None:
            raise KeyError(alloc_id)
        cn["Allocations"] = [{**a, "IsDeleted": True} if a is alloc else a for a in cn["Allocations"]]
        inv = dict(self.get("Invoices", alloc["Invoice"]["InvoiceID"]) or {})
        if inv:
            self._settle(INVOICE, inv, "AmountCredited", -_d(alloc["Amount"]), "CreditNotes",
                         [c for c in inv.get("CreditNotes", []) if c.get("_alloc") != alloc["AllocationID"]])
        self._refresh_due(CREDIT_NOTE, cn)
        self.save("CreditNotes", cn["CreditNoteID"], cn, created=False)
        return {**alloc, "IsDeleted": True}

    # -- payments -----------------------------------------------------------------------------------------
    def create_payment(self, el: dict) -> dict:
        if el.get("PaymentID"):
            raise Invalid("Payments cannot be updated; delete the payment and create it again")
        errors = []
        kind: DocKind | None = None
        doc: dict | None = None
        if isinstance(el.get("Invoice"), dict):
            kind = INVOICE
            doc = self._doc_of(kind, el["Invoice"])
        elif isinstance(el.get("CreditNote"), dict):
            kind = CREDIT_NOTE
            doc = self._doc_of(kind, el["CreditNote"])
        if kind is None:
            raise Invalid("A payment must specify an Invoice or a CreditNote")
        if doc is None:
            raise Invalid(NOT_FOUND)
        acc_ref: dict = el["Account"] if isinstance(el.get("Account"), dict) else {}
        acc = self.get("Accounts", acc_ref["AccountID"]) if acc_ref.get("AccountID") else \
            self.account_by_code(str(acc_ref["Code"])) if acc_ref.get("Code") else None
        if acc is None:
            errors.append("Account code must be specified and must be a bank account or an account with "
                          "payments enabled")
        elif acc["Type"] != "BANK" and not acc.get("EnablePaymentsToAccount"):
            errors.append(f"Payments can only be made to bank accounts or accounts with payments enabled; "
                          f"'{acc.get('Code') or acc['Name']}' is not one")
        if "Amount" not in el:
            errors.append("Amount must be specified")
            amount = Decimal(0)
        else:
            amount = money(to_decimal(el["Amount"], "Amount"))
        outstanding = _d(doc.get("AmountDue") if kind is INVOICE else doc.get("RemainingCredit"))
        if doc["Status"] != "AUTHORISED":
            errors.append("Payments can only be made against Authorised documents")
        elif amount <= 0:
            errors.append("Payment amount must be greater than zero")
        elif amount > outstanding:
            errors.append("Payment amount exceeds the amount outstanding on this document")
        try:
            day = parse_date(el["Date"], "Date") if el.get("Date") else self.today()
            self.check_lock(day)
        except Invalid as exc:
            errors += exc.messages
            day = self.today()
        if errors:
            raise Invalid(*errors)
        assert acc is not None
        ptype = {"ACCREC": "ACCRECPAYMENT", "ACCPAY": "ACCPAYPAYMENT", "ACCRECCREDIT": "ARCREDITPAYMENT",
                 "ACCPAYCREDIT": "APCREDITPAYMENT"}[doc["Type"]]
        rate = self.currency_rate(doc["CurrencyCode"], el.get("CurrencyRate") or doc.get("CurrencyRate"))
        pay: dict[str, Any] = {"PaymentID": new_id(), "Date": day, "Amount": _f(amount), "Status": "AUTHORISED", "PaymentType": ptype,
               "CurrencyRate": rate, "BankAmount": _f(money(amount / Decimal(str(rate))) if acc.get("CurrencyCode") in
                                                       (None, self.org["BaseCurrency"]) else amount),
               "Reference": str(el.get("Reference") or ""), "IsReconciled": bool(el.get("IsReconciled", False)),
               "Account": {"AccountID": acc["AccountID"], "Code": acc.get("Code")},
               "_doc": [kind.collection, doc[kind.id_field]], "_created_by": self.client_id}
        if not pay["Reference"]:
            pay.pop("Reference")
        doc = dict(doc)
        self._settle(kind, doc, "AmountPaid", amount, "Payments",
                     [*doc.get("Payments", []), {"PaymentID": pay["PaymentID"], "Date": day, "Amount": _f(amount),
                                                 **({"Reference": pay["Reference"]} if "Reference" in pay else {}),
                                                 "CurrencyRate": rate}])
        return self.save("Payments", pay["PaymentID"], pay, created=True)

    def update_payment(self, rid: str, el: dict) -> dict:
        pay = self.get("Payments", rid)
        if pay is None:
            raise Invalid(NOT_FOUND)
        if el.get("Status") != "DELETED" or set(el) - {"Status", "PaymentID"}:
            raise Invalid("Payments cannot be updated; delete the payment (Status DELETED) and create it again")
        pay = dict(pay)
        if pay["Status"] == "DELETED":
            raise Invalid("This payment has already been deleted")
        if pay.get("IsReconciled"):
            raise Invalid("This payment has been reconciled and cannot be deleted")
        self.check_lock(pay["Date"])
        coll, doc_id = pay["_doc"]
        kind = INVOICE if coll == "Invoices" else CREDIT_NOTE
        doc = dict(self.get(coll, doc_id) or {})
        if doc:
            self._settle(kind, doc, "AmountPaid", -_d(pay["Amount"]), "Payments",
                         [p for p in doc.get("Payments", []) if p["PaymentID"] != pay["PaymentID"]])
        pay["Status"] = "DELETED"
        return self.save("Payments", pay["PaymentID"], pay, created=False)

    # -- accounts -----------------------------------------------------------------------------------------
    def upsert_account(self, el: dict, create_only: bool, path_id: str | None = None) -> dict:
        rec = None
        if path_id or el.get("AccountID"):
            rec = self.get("Accounts", path_id or el["AccountID"])
            if rec is None or rec["Status"] == "DELETED" or create_only:
                raise Invalid(NOT_FOUND)
        created = rec is None
        rec = dict(rec) if rec else {"AccountID": new_id(), "Status": "ACTIVE", "EnablePaymentsToAccount": False,
                                     "ShowInExpenseClaims": False}
        for k in ("Code", "Name", "Type", "Status", "Description", "TaxType", "EnablePaymentsToAccount",
                  "ShowInExpenseClaims", "BankAccountNumber", "BankAccountType", "CurrencyCode", "ReportingCode",
                  "ReportingCodeName"):
            if k in el and el[k] is not None:
                if rec.get("SystemAccount") and k in ("Type", "Status") and el[k] != rec.get(k):
                    raise Invalid("System accounts cannot be changed or archived")
                rec[k] = el[k]
        errors = []
        if rec.get("Type") not in ACCOUNT_TYPES:
            errors.append(f"Account Type '{rec.get('Type')}' is not valid" if rec.get("Type") else
                          "Account Type must be specified")
        if rec["Status"] not in ("ACTIVE", "ARCHIVED"):
            errors.append(f"Account Status '{rec['Status']}' is not valid (ACTIVE, ARCHIVED)")
        if not rec.get("Name"):
            errors.append("Please enter a Name.")
        elif len(str(rec["Name"])) > 150:
            errors.append("The account name must be 150 characters or less.")
        if not rec.get("Code") and rec.get("Type") != "BANK":
            errors.append("Please enter a Code.")
        if len(str(rec.get("Code") or "")) > 10:
            errors.append("The account code must be 10 characters or less.")
        for other in self.rows("Accounts"):
            if other["AccountID"] == rec["AccountID"] or other["Status"] == "DELETED":
                continue
            if rec.get("Name") and other["Name"].lower() == str(rec["Name"]).lower():
                errors.append("Please enter a unique Name.")
            if rec.get("Code") and other.get("Code") == str(rec["Code"]):
                errors.append("Please enter a unique Code.")
        if rec.get("TaxType") and self.tax_rate(rec["TaxType"]) is None:
            errors.append(f"The TaxType code {rec['TaxType']} does not exist or cannot be used for this type of "
                          "transaction.")
        if rec.get("Type") == "BANK":
            if not rec.get("BankAccountNumber"):
                errors.append("Bank Account Number must be specified for a bank account")
            rec.setdefault("BankAccountType", "BANK")
            rec.setdefault("CurrencyCode", self.org["BaseCurrency"])
        if errors:
            raise Invalid(*errors)
        rec["Class"] = ACCOUNT_TYPES[rec["Type"]]
        return self.save("Accounts", rec["AccountID"], rec, created)

    def delete_account(self, rid: str) -> dict:
        rec = self.get("Accounts", rid)
        if rec is None or rec["Status"] == "DELETED":
            raise KeyError(rid)
        if rec.get("SystemAccount"):
            raise Invalid("System accounts cannot be deleted")
        code = rec.get("Code")
        used = code and any(li.get("AccountCode") == code for coll in ("Invoices", "CreditNotes")
                            for d in self.rows(coll) for li in d.get("LineItems", [])) or \
            any(p["Account"]["AccountID"] == rec["AccountID"] for p in self.rows("Payments"))
        if used:
            raise Invalid("This account has transactions and cannot be deleted. Archive it instead.")
        rec = {**rec, "Status": "DELETED"}
        return self.save("Accounts", rec["AccountID"], rec, created=False)

    # -- tax rates ----------------------------------------------------------------------------------------
    def upsert_tax_rate(self, el: dict, create_only: bool) -> dict:
        rec = None
        if not create_only:
            if el.get("TaxType"):
                rec = self.tax_rate(str(el["TaxType"]))
            elif el.get("Name"):
                rec = next((t for t in self.rows("TaxRates") if t["Name"] == el["Name"]), None)
        elif el.get("Name") and any(t["Name"] == el["Name"] and t["Status"] != "DELETED"
                                    for t in self.rows("TaxRates")):
            raise Invalid("Please enter a unique Name.")
        created = rec is None
        if created:
            n = sum(1 for t in self.rows("TaxRates") if t["TaxType"].startswith("TAX")) + 1
            rec = {"TaxType": f"TAX{n:03d}", "Status": "ACTIVE", "ReportTaxType": el.get("ReportTaxType") or "OUTPUT",
                   "CanApplyToAssets": True, "CanApplyToEquity": True, "CanApplyToExpenses": True,
                   "CanApplyToLiabilities": True, "CanApplyToRevenue": True}
        else:
            rec = dict(rec)  # type: ignore[arg-type]
        if rec.get("_system") and set(el) - {"TaxType", "Name", "Status"}:
            raise Invalid("System tax rates cannot be changed")
        if el.get("Name"):
            rec["Name"] = str(el["Name"])
        if el.get("Status"):
            if el["Status"] not in ("ACTIVE", "DELETED", "ARCHIVED"):
                raise Invalid(f"Tax rate Status '{el['Status']}' is not valid")
            rec["Status"] = el["Status"]
        if "TaxComponents" in el:
            comps = el["TaxComponents"]
            if not isinstance(comps, list) or not comps:
                raise Invalid("At least one tax component is required")
            rec["TaxComponents"] = [{"Name": str(c.get("Name") or "Tax"), "Rate": _f(to_decimal(c.get("Rate", 0), "Rate")),
                                     "IsCompound": bool(c.get("IsCompound", False)),
                                     "IsNonRecoverable": bool(c.get("IsNonRecoverable", False))}
                                    for c in comps if isinstance(c, dict)]
        if not rec.get("Name"):
            raise Invalid("Please enter a Name.")
        if not rec.get("TaxComponents"):
            raise Invalid("At least one tax component is required")
        simple = sum((_d(c["Rate"]) for c in rec["TaxComponents"] if not c["IsCompound"]), Decimal(0))
        compound = Decimal(1)
        for c in rec["TaxComponents"]:
            if c["IsCompound"]:
                compound *= 1 + _d(c["Rate"]) / 100
        effective = ((1 + simple / 100) * compound - 1) * 100
        rec["EffectiveRate"] = _f(round(effective, 4))
        rec["DisplayTaxRate"] = rec["EffectiveRate"]
        return self.save("TaxRates", rec["TaxType"], rec, created)

    # -- tracking -----------------------------------------------------------------------------------------
    def upsert_tracking_category(self, el: dict, create_only: bool, path_id: str | None = None) -> dict:
        rec = None
        if path_id:
            rec = self.get("TrackingCategories", path_id)
            if rec is None or rec["Status"] == "DELETED":
                raise Invalid(NOT_FOUND)
        created = rec is None
        rec = dict(rec) if rec else {"TrackingCategoryID": new_id(), "Status": "ACTIVE", "Options": []}
        if el.get("Name") is not None:
            rec["Name"] = str(el["Name"])
        if el.get("Status") is not None:
            if el["Status"] not in ("ACTIVE", "ARCHIVED"):
                raise Invalid(f"Tracking category Status '{el['Status']}' is not valid (ACTIVE, ARCHIVED)")
            rec["Status"] = el["Status"]
        name = rec.get("Name") or ""
        if not name:
            raise Invalid("Tracking category Name must be specified")
        if len(name) > 100:
            raise Invalid("Tracking category Name must be 100 characters or less")
        others = [c for c in self.rows("TrackingCategories") if c["TrackingCategoryID"] != rec["TrackingCategoryID"]
                  and c["Status"] != "DELETED"]
        if any(c["Name"].lower() == name.lower() for c in others):
            raise Invalid(f"A tracking category with the name '{name}' already exists")
        if rec["Status"] == "ACTIVE" and sum(1 for c in others if c["Status"] == "ACTIVE") >= 2:
            raise Invalid("You can have a maximum of 2 active tracking categories")
        return self.save("TrackingCategories", rec["TrackingCategoryID"], rec, created)

    def delete_tracking_category(self, rid: str) -> dict:
        rec = self.get("TrackingCategories", rid)
        if rec is None or rec["Status"] == "DELETED":
            raise KeyError(rid)
        if self._tracking_used(rec["TrackingCategoryID"], None):
            raise Invalid("This tracking category has been used on transactions and cannot be deleted. Archive it "
                          "instead.")
        rec = {**rec, "Status": "DELETED"}
        return self.save("TrackingCategories", rec["TrackingCategoryID"], rec, created=False)

    def _tracking_used(self, cat_id: str, opt_id: str | None) -> bool:
        return any(t["TrackingCategoryID"] == cat_id and (opt_id is None or t["TrackingOptionID"] == opt_id)
                   for coll in ("Invoices", "CreditNotes") for d in self.rows(coll)
                   for li in d.get("LineItems", []) for t in li.get("Tracking", []))

    def upsert_option(self, cat_id: str, el: dict, opt_id: str | None = None) -> dict:
        cat = self.get("TrackingCategories", cat_id)
        if cat is None or cat["Status"] == "DELETED":
            raise Invalid(NOT_FOUND)
        cat = dict(cat)
        options = [dict(o) for o in cat["Options"]]
        opt = next((o for o in options if o["TrackingOptionID"] == (opt_id or "").lower()), None) if opt_id else None
        if opt_id and opt is None:
            raise Invalid(NOT_FOUND)
        if opt is None:
            opt = {"TrackingOptionID": new_id(), "Status": "ACTIVE"}
            options.append(opt)
        if el.get("Name") is not None:
            opt["Name"] = str(el["Name"])
        if el.get("Status") is not None:
            if el["Status"] not in ("ACTIVE", "ARCHIVED"):
                raise Invalid(f"Tracking option Status '{el['Status']}' is not valid (ACTIVE, ARCHIVED)")
            opt["Status"] = el["Status"]
        if not opt.get("Name"):
            raise Invalid("Tracking option Name must be specified")
        if len(opt["Name"]) > 100:
            raise Invalid("Tracking option Name must be 100 characters or less")
        if any(o is not opt and o["Status"] != "DELETED" and o["Name"].lower() == opt["Name"].lower() for o in options):
            raise Invalid(f"A tracking option with the name '{opt['Name']}' already exists")
        cat["Options"] = options
        self.save("TrackingCategories", cat["TrackingCategoryID"], cat, created=False)
        return opt

    def delete_option(self, cat_id: str, opt_id: str) -> dict:
        cat = self.get("TrackingCategories", cat_id)
        if cat is None:
            raise KeyError(cat_id)
        cat = dict(cat)
        opt = next((o for o in cat["Options"] if o["TrackingOptionID"] == opt_id.lower() and o["Status"] != "DELETED"),
                   None)
        if opt is None:
            raise KeyError(opt_id)
        if self._tracking_used(cat["TrackingCategoryID"], opt["TrackingOptionID"]):
            raise Invalid("This tracking option has been used on transactions and cannot be deleted. Archive it "
                          "instead.")
        cat["Options"] = [{**o, "Status": "DELETED"} if o is opt else o for o in cat["Options"]]
        self.save("TrackingCategories", cat["TrackingCategoryID"], cat, created=False)
        return {**opt, "Status": "DELETED"}

    # -- currencies ---------------------------------------------------------------------------------------
    def add_currency(self, el: dict) -> dict:
        code = str(el.get("Code") or "").upper()
        if code not in CURRENCY_NAMES:
            raise Invalid(f"Currency code '{el.get('Code')}' is not a valid ISO 4217 code")
        existing = next((c for c in self.rows("Currencies") if c["Code"] == code), None)
        if existing:
            return existing
        return self.save("Currencies", code, {"Code": code, "Description": CURRENCY_NAMES[code]}, created=True)
