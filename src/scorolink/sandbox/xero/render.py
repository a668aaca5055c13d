"""Records -> Xero JSON: .NET dates with their ISO ``*String`` twins, derived fields, no nulls (A2, A4).

``typed=True`` gives the same shape with Python values (datetime, Decimal) for ``where`` and ``order``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from .books import Books
from .wire import iso_date_string, iso_utc, money, net_date, net_datetime, strip_none

DATE_KEYS = ("Date", "DueDate", "FullyPaidOnDate", "ExpectedPaymentDate", "PlannedPaymentDate")
# Top-level names ``where`` and ``order`` accept per collection (anything else: "No property or field").
FIELDS = {
    "Contacts": {"ContactID", "ContactNumber", "AccountNumber", "ContactStatus", "Name", "FirstName", "LastName",
                 "EmailAddress", "CompanyNumber", "TaxNumber", "IsSupplier", "IsCustomer", "DefaultCurrency",
                 "UpdatedDateUTC", "HasAttachments", "Addresses", "Phones", "Website"},
    "Items": {"ItemID", "Code", "Name", "Description", "IsSold", "IsPurchased", "UpdatedDateUTC",
              "IsTrackedAsInventory", "SalesDetails", "PurchaseDetails"},
    "Invoices": {"InvoiceID", "InvoiceNumber", "Type", "Status", "Contact", "Date", "DueDate", "Reference",
                 "CurrencyCode", "SubTotal", "TotalTax", "Total", "AmountDue", "AmountPaid", "AmountCredited",
                 "UpdatedDateUTC", "HasAttachments", "FullyPaidOnDate", "SentToContact", "LineAmountTypes"},
    "CreditNotes": {"CreditNoteID", "CreditNoteNumber", "Type", "Status", "Contact", "Date", "DueDate", "Reference",
                    "CurrencyCode", "SubTotal", "TotalTax", "Total", "RemainingCredit", "UpdatedDateUTC",
                    "HasAttachments", "FullyPaidOnDate", "LineAmountTypes"},
    "Payments": {"PaymentID", "Date", "Amount", "Reference", "Status", "PaymentType", "UpdatedDateUTC",
                 "IsReconciled", "Invoice", "CreditNote", "Account", "CurrencyRate"},
    "Accounts": {"AccountID", "Code", "Name", "Type", "Status", "Class", "TaxType", "SystemAccount",
                 "EnablePaymentsToAccount", "BankAccountNumber", "CurrencyCode", "UpdatedDateUTC", "ReportingCode"},
    "TaxRates": {"TaxType", "Name", "Status", "ReportTaxType", "EffectiveRate", "DisplayTaxRate"},
    "TrackingCategories": {"TrackingCategoryID", "Name", "Status"},
    "Currencies": {"Code", "Description"},
}


class Renderer:
    def __init__(self, books: Books, unitdp: int = 2, typed: bool = False, summary: bool = False,
                 origin: str = "") -> None:
        self.b, self.unitdp, self.typed, self.summary, self.origin = books, unitdp, typed, summary, origin
        self._roles: dict[str, set[str]] | None = None

    # -- value formats ------------------------------------------------------------------------------------
    def _date(self, out: dict, key: str, twin: bool) -> None:
        if key not in out:
            return
        day = out[key]
        if self.typed:
            d = date.fromisoformat(day)
            out[key] = datetime(d.year, d.month, d.day, tzinfo=UTC)
            return
        out[key] = net_date(day)
        if twin:
            out[f"{key}String"] = iso_date_string(day)

    def _stamp(self, out: dict, iso_twin: bool = False) -> None:
        ts = out.get("UpdatedDateUTC")
        if ts is None:
            return
        if self.typed:
            out["UpdatedDateUTC"] = datetime.fromtimestamp(ts, UTC)
            return
        out["UpdatedDateUTC"] = net_datetime(ts)
        if iso_twin:
            out["UpdatedDateUTCString"] = iso_utc(ts)

    def _money(self, v: Any) -> Any:
        return Decimal(str(v)) if self.typed else v

    def roles(self) -> dict[str, set[str]]:
        """IsCustomer / IsSupplier are derived from AR / AP documents (A4) and never bump UpdatedDateUTC."""
        if self._roles is None:
            roles: dict[str, set[str]] = {"AR": set(), "AP": set()}
            for coll in ("Invoices", "CreditNotes"):
                for d in self.b.rows(coll):
                    if d["Status"] not in ("DELETED",):
                        roles["AR" if d["Type"].startswith("ACCREC") else "AP"].add(d["Contact"]["ContactID"])
            self._roles = roles
        return self._roles

    # -- objects ------------------------------------------------------------------------------------------
    def render(self, coll: str, rec: dict) -> dict:
        out = getattr(self, f"_{coll.lower()}", self._plain)(dict(rec))
        return out if self.typed else strip_none(out)

    def _plain(self, out: dict) -> dict:
        self._stamp(out)
        return out

    def _attachments_flag(self, out: dict) -> None:
        out["HasAttachments"] = bool(out.pop("_attachments", None))

    def _contacts(self, out: dict) -> dict:
        roles = self.roles()
        out["IsCustomer"] = out["ContactID"] in roles["AR"]
        out["IsSupplier"] = out["ContactID"] in roles["AP"]
        self._attachments_flag(out)
        out["HasValidationErrors"] = False
        if self.summary:
            for k in ("Addresses", "Phones", "ContactPersons"):
                out.pop(k, None)
        else:
            out.setdefault("Addresses", [])
            out.setdefault("Phones", [])
        self._stamp(out)
        return out

    def _contact_ref(self, contact_id: str) -> dict:
        c = self.b.get("Contacts", contact_id) or {"ContactID": contact_id}
        ref = {k: c[k] for k in ("ContactID", "ContactNumber", "Name", "ContactStatus", "FirstName", "LastName",
                                 "EmailAddress") if c.get(k) is not None}
        if not self.typed:
            ref["HasValidationErrors"] = False
        return ref

    def _line(self, li: dict) -> dict:
        li = {k: v for k, v in li.items() if not k.startswith("_")}
        li["UnitAmount"] = self._money(float(money(li.get("UnitAmount", 0), self.unitdp)))
        for k in ("Quantity", "LineAmount", "TaxAmount", "DiscountRate"):
            if k in li:
                li[k] = self._money(li[k])
        li.setdefault("Tracking", [])
        return li

    def _document(self, out: dict, number_key: str) -> dict:
        out["Contact"] = self._contact_ref(out["Contact"]["ContactID"])
        if self.summary:
            out.pop("LineItems", None)
        else:
            out["LineItems"] = [self._line(li) for li in out.get("LineItems", [])]
        for k in ("SubTotal", "TotalTax", "Total", "TotalDiscount", "AmountDue", "AmountPaid", "AmountCredited",
                  "RemainingCredit", "CurrencyRate"):
            if k in out:
                out[k] = self._money(out[k])
        out["IsDiscounted"] = bool(out.get("TotalDiscount"))
        self._attachments_flag(out)
        out["HasErrors"] = False
        for key in DATE_KEYS:
            self._date(out, key, twin=key in ("Date", "DueDate"))
        payments = []
        for p in out.get("Payments", []):
            p = dict(p)
            self._date(p, "Date", twin=False)
            p["HasAccount"], p["HasValidationErrors"] = True, False
            payments.append(p)
        out["Payments"] = payments
        self._stamp(out, iso_twin=number_key == "InvoiceNumber")
        return out

    def _invoices(self, out: dict) -> dict:
        credits = []
        for c in out.get("CreditNotes", []):
            cn = self.b.get("CreditNotes", c["CreditNoteID"]) or {}
            entry = {"CreditNoteID": c["CreditNoteID"], "CreditNoteNumber": cn.get("CreditNoteNumber"),
                     "Date": c["Date"], "AppliedAmount": c["AppliedAmount"], "Total": cn.get("Total")}
            self._date(entry, "Date", twin=False)
            credits.append(entry)
        out["CreditNotes"] = credits
        out.setdefault("Prepayments", [])
        out.setdefault("Overpayments", [])
        return self._document(out, "InvoiceNumber")

    def _creditnotes(self, out: dict) -> dict:
        allocations = []
        for a in out.get("Allocations", []):
            if a.get("IsDeleted"):
                continue
            a = self.allocation(a)
            allocations.append(a)
        out["Allocations"] = allocations
        return self._document(out, "CreditNoteNumber")

    def allocation(self, a: dict) -> dict:
        a = dict(a)
        inv = self.b.get("Invoices", a["Invoice"]["InvoiceID"]) or {}
        a["Invoice"] = {"InvoiceID": a["Invoice"]["InvoiceID"], "InvoiceNumber": inv.get("InvoiceNumber"),
                        "Type": inv.get("Type")}
        a["Amount"] = self._money(a["Amount"])
        self._date(a, "Date", twin=False)
        return a

    def _payments(self, out: dict) -> dict:
        coll, doc_id = out.pop("_doc")
        doc = self.b.get(coll, doc_id) or {}
        if coll == "Invoices":
            out["Invoice"] = {"InvoiceID": doc_id, "InvoiceNumber": doc.get("InvoiceNumber"), "Type": doc.get("Type"),
                              "Contact": self._contact_ref(doc["Contact"]["ContactID"]) if doc else None}
        else:
            out["CreditNote"] = {"CreditNoteID": doc_id, "CreditNoteNumber": doc.get("CreditNoteNumber"),
                                 "Type": doc.get("Type"),
                                 "Contact": self._contact_ref(doc["Contact"]["ContactID"]) if doc else None}
        for k in ("Amount", "BankAmount", "CurrencyRate"):
            out[k] = self._money(out[k])
        out["HasAccount"], out["HasValidationErrors"] = True, False
        self._date(out, "Date", twin=False)
        self._stamp(out)
        return out

    def _items(self, out: dict) -> dict:
        for k in ("SalesDetails", "PurchaseDetails"):
            if k in out and "UnitPrice" in out[k]:
                out[k] = {**out[k], "UnitPrice": self._money(float(money(out[k]["UnitPrice"], self.unitdp)))}
        self._stamp(out)
        return out

    def _accounts(self, out: dict) -> dict:
        self._attachments_flag(out)
        self._stamp(out)
        return out

    @staticmethod
    def _unstamped(out: dict) -> dict:
        """Xero's reference data carries no UpdatedDateUTC (and ignores If-Modified-Since, A6)."""
        out.pop("UpdatedDateUTC", None)
        return out

    def _taxrates(self, out: dict) -> dict:
        return self._unstamped(out)

    def _currencies(self, out: dict) -> dict:
        return self._unstamped(out)

    def _trackingcategories(self, out: dict) -> dict:
        self._unstamped(out)
        out["Options"] = [dict(o) for o in out.get("Options", []) if o["Status"] != "DELETED"]
        return out

    def _organisation(self, out: dict) -> dict:
        ts = out.pop("_created", None)
        if ts is not None:
            out["CreatedDateUTC"] = datetime.fromtimestamp(ts, UTC) if self.typed else net_datetime(ts)
        for key in ("PeriodLockDate", "EndOfYearLockDate"):
            self._date(out, key, twin=False)
        return out


def get_path(rec: dict, path: str) -> Any:
    value: Any = rec
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
