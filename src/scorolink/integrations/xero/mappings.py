"""Xero's side of every sync category: how Xero's records read as the shared values of
sync.categories and how shared values become Xero records, and what the organisation knows
(accounts, tax rates, items) to check Scoro's codes against before a write. Scoro's side of each
category is sync.scoro_categories, shared with every counterpart.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from scorolink.connectors.base import Condition, WriteOp
from scorolink.errors import ConfigError
from scorolink.sync.categories import norm
from scorolink.sync.model import Refused
from scorolink.sync.scoro_categories import ScoroCodes, Tables, dec
from scorolink.sync.sides import Mapping, Record, Refs

PAID_OR_CLOSED = {"PAID", "VOIDED", "DELETED"}
XERO_TYPES = {"sales": "ACCREC", "purchase": "ACCPAY"}  # Xero's Invoices Type of each document kind


def _active(record: Record) -> bool:
    return str(record.get("Status") or "ACTIVE").upper() == "ACTIVE"


class XeroReference:
    """What the Xero organisation knows — account codes, tax types with their rates, item codes —
    so shared codes from Scoro are checked before a write."""

    def __init__(self, connector: Any, default_sales_account: str | None = None,
                 tax_map: dict[str, str] | None = None, default_expense_account: str | None = None) -> None:
        self.connector = connector
        self.default_sales_account = default_sales_account
        self.default_expense_account = default_expense_account
        self.tax_map = {norm(k): v for k, v in (tax_map or {}).items()}  # Scoro VAT code -> Xero TaxType
        self.tables = Tables({
            "Accounts": lambda: {norm(r["Code"]): r["Code"] for r in connector.read("Accounts")
                                 if r.get("Code") and _active(r)},
            "TaxRates": lambda: {norm(r["TaxType"]): (r["TaxType"], dec(r.get("EffectiveRate")), r)
                                 for r in connector.read("TaxRates") if _active(r)},
            "Items": lambda: {norm(r["Code"]): r["ItemID"] for r in connector.read("Items") if r.get("Code")},
        })

    def forget(self, system: str, obj: str) -> None:
        if system == "xero" and obj in self.tables.loaders:
            self.tables.forget(obj)

    def _get(self, name: str, code: Any) -> Any:
        return self.tables.get(name, norm(code))

    def account(self, code: Any, *, purchase: bool = False) -> str | None:
        """A Scoro account code Xero knows, else the configured default sales (or expense) account,
        else none (Xero then takes the item's own account)."""
        if code not in (None, ""):
            found = self._get("Accounts", code)
            if found:
                return str(found)
        return self.default_expense_account if purchase else self.default_sales_account

    def tax_type(self, code: Any, percent: Decimal | None) -> str | None:
        """Xero's tax type for a Scoro VAT code: the same code (pulled from Xero), else the one sales
        tax rate with the same percentage; otherwise refused, naming the code."""
        if code in (None, ""):
            return None
        if norm(code) in self.tax_map:
            return self.tax_map[norm(code)]
        found = self._get("TaxRates", code)
        if found:
            return str(found[0])
        same = [t for t, rate, r in self.tables.table("TaxRates").values() if percent is not None and rate == percent
                and r.get("CanApplyToRevenue", True)]
        if len(same) == 1:
            return str(same[0])
        raise Refused(f"VAT code {code!r} ({percent}%) has no Xero tax rate" + (
            f" (several have {percent}%: {', '.join(sorted(same))})" if same else "") +
            f"; map it (`scorolink xero configure --tax-map {code}=<Xero tax type>`), or use the tax rates pulled from Xero")

    def percent(self, tax_type: Any) -> Decimal | None:
        """The rate of a Xero tax type (None when Xero has no active rate of that type)."""
        found = None if tax_type in (None, "") else self._get("TaxRates", tax_type)
        return found[1] if found else None

    def no_tax_type(self) -> str | None:
        """The Xero tax type of a line that carries no tax: NONE (every organisation's "No tax"), else
        the one active 0 % rate, else none."""
        if self._get("TaxRates", "NONE"):
            return "NONE"
        zero = [t for t, rate, _r in self.tables.table("TaxRates").values() if rate == 0]
        return str(zero[0]) if len(zero) == 1 else None

    def item_id(self, code: Any) -> str | None:
        return None if code in (None, "") else self._get("Items", code)

    def has_item(self, code: Any) -> bool:
        return self.item_id(code) is not None



def _managed_in_xero(what: str) -> Callable[[dict[str, Any], Refs, Record | None], Record]:
    def refuse(_s: dict[str, Any], _refs: Refs, _cur: Record | None) -> Record:
        raise Refused(f"{what} are managed in Xero: change them there (Scoro's changes are not pushed)", "gated")
    return refuse


# -- reference data, managed in Xero ----------------------------------------------------------------
def tax_rates() -> Mapping:
    return Mapping(
        to_shared=lambda r, _refs: {"code": r.get("TaxType"), "name": r.get("Name"),
                                    "percent": dec(r.get("EffectiveRate"))},
        from_shared=_managed_in_xero("tax rates"),
        in_scope=lambda r: str(r.get("Status") or "ACTIVE").upper() == "ACTIVE",
        deleted=lambda r: str(r.get("Status") or "").upper() == "DELETED")


def accounts() -> Mapping:
    return Mapping(
        to_shared=lambda r, _refs: {"code": r.get("Code"), "name": r.get("Name"),
                                    "sales": str(r.get("Class") or "").upper() == "REVENUE",
                                    "purchases": str(r.get("Class") or "").upper() == "EXPENSE",
                                    "active": str(r.get("Status") or "ACTIVE").upper() == "ACTIVE"},
        from_shared=_managed_in_xero("accounts"),
        in_scope=lambda r: bool(r.get("Code")) and str(r.get("Class") or "").upper() in ("REVENUE", "EXPENSE"),
        deleted=lambda r: str(r.get("Status") or "").upper() == "DELETED")


def tracking(category_name: str | None, xero_connector: Any) -> Mapping:
    """The options of the one chosen tracking category (Scoro's integration takes one category)."""
    found: dict[str, str] = {}

    def category_id() -> str:
        if "id" not in found:
            categories = list(xero_connector.read("TrackingCategories"))
            match = [c for c in categories if norm(c.get("Name")) == norm(category_name)]
            if not match:
                raise ConfigError(f"tracking_category {category_name!r} is not a Xero tracking category; Xero has "
                                  f"{', '.join(c['Name'] for c in categories) or 'none'}.")
            found["id"] = str(match[0]["TrackingCategoryID"])
        return found["id"]

    return Mapping(
        to_shared=lambda r, _refs: {"name": r.get("Name")},
        from_shared=_managed_in_xero("tracking options"),
        in_scope=lambda r: str(r.get("Status") or "ACTIVE").upper() == "ACTIVE"
        and str(r.get("TrackingCategoryID")) == category_id(),
        deleted=lambda r: str(r.get("Status") or "").upper() in ("ARCHIVED", "DELETED"))


# -- products -----------------------------------------------------------------------------------
def products(codes: ScoroCodes, xero_ref: XeroReference) -> Mapping:
    def xero_out(s: dict[str, Any], _refs: Refs, _cur: Record | None) -> Record:
        if not s.get("code"):
            raise Refused("a product needs a Code to go to Xero (Xero items are keyed by code)")
        if len(str(s["code"])) > 30:
            raise Refused(f"Xero item codes are at most 30 characters; {s['code']!r} is longer")
        sales: Record = {"UnitPrice": s.get("sales_price") or Decimal(0)}
        account = xero_ref.account(s.get("sales_account"))
        if account:
            sales["AccountCode"] = account
        tax = xero_ref.tax_type(s.get("tax_code"), codes.vat_percent(s.get("tax_code")))
        if tax:
            sales["TaxType"] = tax
        record: Record = {"Code": s["code"], "Name": (s.get("name") or s["code"])[:50],
                          "Description": s.get("description") or "", "SalesDetails": sales}
        if s.get("purchase_price") is not None:
            record["PurchaseDetails"] = {"UnitPrice": s["purchase_price"]}
        return record

    return Mapping(
        to_shared=lambda r, _refs: {
            "code": r.get("Code"), "name": r.get("Name"), "description": r.get("Description") or None,
            "sales_price": dec((r.get("SalesDetails") or {}).get("UnitPrice")),
            "purchase_price": dec((r.get("PurchaseDetails") or {}).get("UnitPrice")),
            "sales_account": (r.get("SalesDetails") or {}).get("AccountCode") or None,
            "tax_code": (r.get("SalesDetails") or {}).get("TaxType") or None},
        from_shared=xero_out, find_by=("Code", "code"))


def _number_kept(r: Record) -> bool:
    """A voided document keeps its number ("Invoice # must be unique." for another with it); a deleted one
    frees it (the uniqueness rule the dry run and the Xero sandbox apply: run.XERO_UNIQUE)."""
    return str(r.get("Status") or "").upper() == "VOIDED"


# -- documents: sales invoices (ACCREC) and bills (ACCPAY) ----------------------------------------
def documents(kind: str, codes: ScoroCodes, xero_ref: XeroReference,
              tracking_category: str | None = None) -> Mapping:
    """Xero → Scoro carries only approved documents (AUTHORISED or PAID); a draft Scoro invoice goes
    as a DRAFT, an approved one as AUTHORISED, and an approved Xero document never goes back."""
    xero_type = XERO_TYPES[kind]

    def xero_in(r: Record, refs: Refs) -> dict[str, Any]:
        contact = (r.get("Contact") or {}).get("ContactID")
        status = str(r.get("Status") or "").upper()
        amounts = str(r.get("LineAmountTypes") or "Exclusive")
        return {
            "number": r.get("InvoiceNumber"), "contact": refs.shared("contacts", "b", contact),
            "date": r.get("Date"), "due_date": r.get("DueDate"), "currency": r.get("CurrencyCode"),
            "status": "draft" if status in ("DRAFT", "SUBMITTED") else "authorised",
            "reference": r.get("Reference") or None, "_total": dec(r.get("Total")),  # compared after a write
            "lines": [{"description": line.get("Description") or "", "quantity": dec(line.get("Quantity")),
                       "discount": dec(line.get("DiscountRate")) or None,
                       "item_code": line.get("ItemCode") or None, "account_code": line.get("AccountCode") or None,
                       **_net_of_tax(line, amounts), "tracking": _option(line, tracking_category)}
                      for line in r.get("LineItems") or []],
        }

    def _net_of_tax(line: Record, amounts: str) -> dict[str, Any]:
        """A line's price before tax and its tax code, as the shared values (and Scoro) have them: a
        NoTax document's lines carry no tax whatever their TaxType says, and an Inclusive document's
        UnitAmount includes the tax."""
        tax, price = line.get("TaxType") or None, dec(line.get("UnitAmount"))
        if amounts == "NoTax":
            return {"unit_price": price, "tax_code": xero_ref.no_tax_type()}
        if amounts == "Inclusive" and price is not None:
            rate = xero_ref.percent(tax) or Decimal(0)
            price = (price * 100 / (100 + rate)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        return {"unit_price": price, "tax_code": tax}

    def xero_out(s: dict[str, Any], refs: Refs, current: Record | None) -> Record:
        contact = refs.on("contacts", "b", s.get("contact"))
        if not s.get("lines"):
            raise Refused("a document without lines cannot be sent to Xero")
        items = []
        for line in s["lines"]:
            item: Record = {"Description": line.get("description") or line.get("item_code") or "-",
                            "Quantity": line.get("quantity") or Decimal(1),
                            "UnitAmount": line.get("unit_price") or Decimal(0)}
            if line.get("discount") not in (None, ""):
                item["DiscountRate"] = line["discount"]
            code = line.get("item_code")
            if code not in (None, ""):
                if not xero_ref.has_item(code):  # the product comes along, even with products off
                    product = codes.find_id("Products", code)
                    if product is None:
                        raise Refused(f"line item {code!r} is no Scoro product (deleted since?); fix the line")
                    refs.need(f"needs product {code} in Xero first", ("products", "a", str(product)))
                item["ItemCode"] = code
            account = xero_ref.account(line.get("account_code"), purchase=kind == "purchase")
            if account:
                item["AccountCode"] = account
            tax = xero_ref.tax_type(line.get("tax_code"), codes.vat_percent(line.get("tax_code")))
            if tax:
                item["TaxType"] = tax
            if tracking_category and line.get("tracking"):
                item["Tracking"] = [{"Name": tracking_category, "Option": line["tracking"]}]
            items.append(item)
        status = "AUTHORISED" if s.get("status") == "authorised" else "DRAFT"
        if current and str(current.get("Status") or "").upper() == "AUTHORISED":
            status = "AUTHORISED"  # an approved document never goes back to draft
        record: Record = {"Type": xero_type, "InvoiceNumber": s.get("number"), "Contact": {"ContactID": contact},
                          "Date": s.get("date"), "DueDate": s.get("due_date") or s.get("date"),
                          "CurrencyCode": s.get("currency"), "Reference": s.get("reference") or "",
                          "Status": status, "LineAmountTypes": "Exclusive", "LineItems": items}
        return {k: v for k, v in record.items() if v is not None}

    return Mapping(
        to_shared=xero_in, from_shared=xero_out, find_by=("InvoiceNumber", "number"),
        in_scope=lambda r: str(r.get("Status") or "").upper() in ("AUTHORISED", "PAID"),
        candidate=lambda _r: True,  # a DRAFT or SUBMITTED document is the same one: linked, never re-created
        deleted=lambda r: str(r.get("Status") or "").upper() in ("DELETED", "VOIDED"),
        held=_number_kept,  # a VOIDED one keeps its number in Xero: the same document too
        gate=lambda r: f"{r.get('Status')} in Xero with payments: not changed from Scoro" if (
            str(r.get("Status") or "").upper() in PAID_OR_CLOSED or (dec(r.get("AmountPaid")) or 0) > 0) else None)


# -- credit notes: allocated to the credited invoice once approved -------------------------------
def credit_notes(codes: ScoroCodes, xero_ref: XeroReference, xero_connector: Any,
                 tracking_category: str | None = None) -> Mapping:
    """Xero sales credit notes (amounts positive, as Xero wants them); a created approved one is
    allocated to the credited invoice."""
    doc = documents("sales", codes, xero_ref, tracking_category)

    def xero_out(s: dict[str, Any], refs: Refs, current: Record | None) -> Record:
        record = doc.from_shared(s, refs, current)
        record.pop("DueDate", None)
        record["Type"] = "ACCRECCREDIT"
        record["CreditNoteNumber"] = record.pop("InvoiceNumber", None)
        return {k: v for k, v in record.items() if v is not None}

    def xero_in(r: Record, refs: Refs) -> dict[str, Any]:
        shared = doc.to_shared({**r, "InvoiceNumber": r.get("CreditNoteNumber")}, refs)
        allocated = [a.get("Invoice", {}).get("InvoiceID") for a in r.get("Allocations") or []]
        shared["credits"] = refs.shared("invoices", "b", allocated[0]) if allocated else None
        return shared

    def allocate(saved: Record, shared: dict[str, Any], refs: Refs) -> str | None:
        if str(saved.get("Status") or "").upper() != "AUTHORISED" or not shared.get("credits"):
            return None  # a draft is allocated once approved in Xero
        invoice = refs.on("invoices", "b", shared["credits"], required=False)
        if invoice is None:
            return "credit note created but not allocated: the credited invoice is not in Xero"
        [result] = list(xero_connector.write("Allocations", [WriteOp("insert", {
            "CreditNoteID": saved.get("CreditNoteID"), "Amount": saved.get("Total"), "Date": saved.get("Date"),
            "Invoice": {"InvoiceID": invoice}})]))
        return None if result.ok else f"credit note created but not allocated: {result.error}"

    return Mapping(to_shared=xero_in, from_shared=xero_out, find_by=("CreditNoteNumber", "number"),
                   # Xero → Scoro carries approved credit notes only, as for invoices
                   in_scope=lambda r: str(r.get("Status") or "").upper() in ("AUTHORISED", "PAID"),
                   candidate=lambda _r: True,  # drafts too, as for invoices
                   deleted=lambda r: str(r.get("Status") or "").upper() in ("DELETED", "VOIDED"),
                   held=_number_kept,
                   gate=lambda r: f"{r.get('Status')} in Xero: not changed from Scoro" if str(
                       r.get("Status") or "").upper() in PAID_OR_CLOSED else None, after_create=allocate)


# -- receipts: Xero payments, pulled into Scoro -------------------------------------------------
def receipts() -> Mapping:
    """Payments on invoices and bills (Scoro's integration moves receipts only from Xero)."""

    def xero_in(r: Record, refs: Refs) -> dict[str, Any]:
        document = r.get("Invoice") or {}
        category = "bills" if str(document.get("Type") or "").upper() == "ACCPAY" else "invoices"
        return {"date": r.get("Date"), "amount": dec(r.get("Amount")), "reference": r.get("Reference") or None,
                "kind": category, "document": refs.shared(category, "b", document.get("InvoiceID"))}

    return Mapping(to_shared=xero_in, from_shared=_managed_in_xero("payments"),
                   in_scope=lambda r: bool((r.get("Invoice") or {}).get("InvoiceID"))
                   and str(r.get("Status") or "AUTHORISED").upper() == "AUTHORISED",
                   deleted=lambda r: str(r.get("Status") or "").upper() == "DELETED")


def _option(line: Record, category: str | None) -> str | None:
    if not category:
        return None
    return next((t.get("Option") for t in line.get("Tracking") or [] if norm(t.get("Name")) == norm(category)), None)


def xero_type(kind: str) -> list[Condition]:
    return [Condition("Type", "=", XERO_TYPES[kind])]
