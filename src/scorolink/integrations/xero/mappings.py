"""Scoro ↔ Xero, category by category: the shared values and each side's mapping.

Shared models (plain values; references as in sides.Refs; accounts and tax rates by their codes,
which the reference-data categories make equal on both sides):
- tax_rates: code, name, percent — pulled from Xero, managed there;
- accounts: code, name, sales, purchases, active — pulled from Xero, managed there;
- products: code, name, description, sales_price, purchase_price, sales_account, tax_code;
- invoices and bills: number, contact, date, due_date, currency, status (draft | authorised),
  reference, lines [description, quantity, unit_price, discount, item_code, account_code, tax_code];
- receipts: date, amount, reference, kind (invoices | bills), document.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from scorolink.connectors.base import Condition, WriteOp
from scorolink.errors import ConfigError
from scorolink.sync.categories import norm
from scorolink.sync.model import Refused
from scorolink.sync.sides import Mapping, Record, Refs

PAID_OR_CLOSED = {"PAID", "VOIDED", "DELETED"}


def _active(record: Record) -> bool:
    return str(record.get("Status") or "ACTIVE").upper() == "ACTIVE"


def _dec(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


class Tables:
    """Lookup tables read on first use; a missing key re-reads its table once (the record may have
    been created since), and a write to the table's object drops it."""

    def __init__(self, loaders: dict[str, Callable[[], dict[Any, Any]]]) -> None:
        self.loaders = loaders
        self._cache: dict[str, dict[Any, Any]] = {}
        self._missed: set[tuple[str, Any]] = set()

    def table(self, name: str) -> dict[Any, Any]:
        if name not in self._cache:
            self._cache[name] = self.loaders[name]()
        return self._cache[name]

    def get(self, name: str, key: Any) -> Any:
        found = self.table(name).get(key)
        if found is None and (name, key) not in self._missed:
            self._missed.add((name, key))
            self._cache.pop(name, None)
            found = self.table(name).get(key)
        return found

    def forget(self, *names: str) -> None:
        for name in names:
            self._cache.pop(name, None)
        self._missed = {m for m in self._missed if m[0] not in names}


class ScoroCodes:
    """Scoro ids ↔ the codes shared values use (product Code, VATCode, finance AccountSymbol,
    accounting object Name)."""

    OBJECTS = {"Products": "Code", "VATCodes": "VATCode", "FinanceAccounts": "AccountSymbol",
               "AccountingObjects": "Name"}

    def __init__(self, connector: Any) -> None:
        self.connector = connector
        loaders: dict[str, Callable[[], dict[Any, Any]]] = {}
        for obj in self.OBJECTS:
            loaders[f"{obj}:ids"] = self._loader(obj, by_code=True)
            loaders[f"{obj}:codes"] = self._loader(obj, by_code=False)
        loaders["percents"] = lambda: {norm(r["VATCode"]): _dec(r.get("Percent")) for r in self.connector.read(
            "VATCodes", columns=["VATCode", "Percent"]) if r.get("VATCode")}
        self.tables = Tables(loaders)

    def _loader(self, obj: str, *, by_code: bool) -> Callable[[], dict[Any, Any]]:
        code = self.OBJECTS[obj]

        def load() -> dict[Any, Any]:
            rows = [r for r in self.connector.read(obj, columns=["Id", code]) if r.get(code)]
            return {norm(r[code]): r["Id"] for r in rows} if by_code else {r["Id"]: r[code] for r in rows}
        return load

    def find_id(self, obj: str, code: Any) -> int | None:
        return None if code in (None, "") else self.tables.get(f"{obj}:ids", norm(code))

    def id_of(self, obj: str, code: Any, what: str) -> int | None:
        found = self.find_id(obj, code)
        if found is None and code not in (None, ""):
            raise Refused(f"Scoro has no {what} {code!r}; sync {what}s first or create it in Scoro", "validation")
        return found

    def code_of(self, obj: str, record_id: Any) -> str | None:
        """The code as Scoro spells it (not the normalised key)."""
        return None if record_id in (None, "", 0) else self.tables.get(f"{obj}:codes", record_id)

    def vat_percent(self, code: Any) -> Decimal | None:
        return None if code in (None, "") else self.tables.table("percents").get(norm(code))

    def forget(self, system: str, obj: str) -> None:
        if system == "scoro" and obj in self.OBJECTS:
            self.tables.forget(f"{obj}:ids", f"{obj}:codes", *(["percents"] if obj == "VATCodes" else []))


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
            "TaxRates": lambda: {norm(r["TaxType"]): (r["TaxType"], _dec(r.get("EffectiveRate")), r)
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

    def item_id(self, code: Any) -> str | None:
        return None if code in (None, "") else self._get("Items", code)

    def has_item(self, code: Any) -> bool:
        return self.item_id(code) is not None


# -- tax rates ----------------------------------------------------------------------------------
def tax_rates(codes: ScoroCodes) -> tuple[Mapping, Mapping]:
    scoro = Mapping(
        to_shared=lambda r, _refs: {"code": r.get("VATCode"), "name": r.get("VATName"), "percent": _dec(r.get("Percent"))},
        from_shared=lambda s, _refs, _cur: {"VATCode": s["code"], "VATName": s.get("name") or s["code"],
                                            "Percent": s.get("percent") or Decimal(0), "IsActive": True,
                                            "IsSales": True, "IsPurchases": True},
        deleted=lambda r: bool(r.get("IsDeleted")), find_by=("VATCode", "code"))
    xero = Mapping(
        to_shared=lambda r, _refs: {"code": r.get("TaxType"), "name": r.get("Name"),
                                    "percent": _dec(r.get("EffectiveRate"))},
        from_shared=_managed_in_xero("tax rates"),
        in_scope=lambda r: str(r.get("Status") or "ACTIVE").upper() == "ACTIVE",
        deleted=lambda r: str(r.get("Status") or "").upper() == "DELETED")
    return scoro, xero


def code_keys(shared: dict[str, Any]) -> list[str]:
    return [f"code:{norm(shared['code'])}"] if shared.get("code") else []


# -- accounts -----------------------------------------------------------------------------------
def accounts() -> tuple[Mapping, Mapping]:
    scoro = Mapping(
        to_shared=lambda r, _refs: {"code": r.get("AccountSymbol"), "name": r.get("Name"),
                                    "sales": bool(r.get("IsSalesAccount")), "purchases": bool(r.get("IsPurchasesAccount")),
                                    "active": bool(r.get("IsActive"))},
        from_shared=lambda s, _refs, _cur: {"AccountSymbol": s["code"], "Name": s.get("name") or s["code"],
                                            "IsSalesAccount": bool(s.get("sales")),
                                            "IsPurchasesAccount": bool(s.get("purchases")),
                                            "IsActive": bool(s.get("active", True))},
        find_by=("AccountSymbol", "code"))
    xero = Mapping(
        to_shared=lambda r, _refs: {"code": r.get("Code"), "name": r.get("Name"),
                                    "sales": str(r.get("Class") or "").upper() == "REVENUE",
                                    "purchases": str(r.get("Class") or "").upper() == "EXPENSE",
                                    "active": str(r.get("Status") or "ACTIVE").upper() == "ACTIVE"},
        from_shared=_managed_in_xero("accounts"),
        in_scope=lambda r: bool(r.get("Code")) and str(r.get("Class") or "").upper() in ("REVENUE", "EXPENSE"),
        deleted=lambda r: str(r.get("Status") or "").upper() == "DELETED")
    return scoro, xero


def _managed_in_xero(what: str) -> Callable[[dict[str, Any], Refs, Record | None], Record]:
    def refuse(_s: dict[str, Any], _refs: Refs, _cur: Record | None) -> Record:
        raise Refused(f"{what} are managed in Xero: change them there (Scoro's changes are not pushed)", "gated")
    return refuse


# -- tracking: one Xero tracking category's options → Scoro accounting objects -------------------
def tracking(category_name: str | None, xero_connector: Any) -> tuple[Mapping, Mapping]:
    """Options of the chosen tracking category are Scoro's accounting objects (Scoro's integration
    takes one category). Scoro's public API only lists accounting objects, so options are linked to
    the objects of the same name (or symbol) and the missing ones reported, to be added in Scoro."""
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

    def create(s: dict[str, Any], _refs: Refs, _cur: Record | None) -> Record:
        raise Refused(f"Scoro's API cannot create accounting objects: add {s.get('name')!r} in Scoro (Settings → "
                      "Accounting objects) and the next run links it")

    scoro = Mapping(to_shared=lambda r, _refs: {"name": r.get("Name"), "symbol": r.get("ObjectSymbol")},
                    from_shared=create, deleted=lambda _r: False)
    xero = Mapping(
        to_shared=lambda r, _refs: {"name": r.get("Name")},
        from_shared=_managed_in_xero("tracking options"),
        in_scope=lambda r: str(r.get("Status") or "ACTIVE").upper() == "ACTIVE"
        and str(r.get("TrackingCategoryID")) == category_id(),
        deleted=lambda r: str(r.get("Status") or "").upper() in ("ARCHIVED", "DELETED"))
    return scoro, xero


# -- products -----------------------------------------------------------------------------------
def products(codes: ScoroCodes, xero_ref: XeroReference) -> tuple[Mapping, Mapping]:
    def scoro_out(s: dict[str, Any], _refs: Refs, _cur: Record | None) -> Record:
        record: Record = {"Code": s["code"], "Name": s.get("name") or s["code"], "Description": s.get("description") or "",
                          "Price": s.get("sales_price") or Decimal(0)}
        if s.get("purchase_price") is not None:
            record["BuyingPrice"] = s["purchase_price"]
        if s.get("sales_account"):
            record["SalesFinanceAccountId"] = codes.id_of("FinanceAccounts", s["sales_account"], "finance account")
        if s.get("tax_code"):
            record["DefaultVatCodeId"] = codes.id_of("VATCodes", s["tax_code"], "VAT code")
        return record

    scoro = Mapping(
        to_shared=lambda r, _refs: {
            "code": r.get("Code"), "name": r.get("Name"), "description": r.get("Description") or None,
            "sales_price": _dec(r.get("Price")), "purchase_price": _dec(r.get("BuyingPrice")),
            "sales_account": codes.code_of("FinanceAccounts", r.get("SalesFinanceAccountId")),
            "tax_code": codes.code_of("VATCodes", r.get("DefaultVatCodeId"))},
        from_shared=scoro_out, find_by=("Code", "code"))

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

    xero = Mapping(
        to_shared=lambda r, _refs: {
            "code": r.get("Code"), "name": r.get("Name"), "description": r.get("Description") or None,
            "sales_price": _dec((r.get("SalesDetails") or {}).get("UnitPrice")),
            "purchase_price": _dec((r.get("PurchaseDetails") or {}).get("UnitPrice")),
            "sales_account": (r.get("SalesDetails") or {}).get("AccountCode") or None,
            "tax_code": (r.get("SalesDetails") or {}).get("TaxType") or None},
        from_shared=xero_out, find_by=("Code", "code"))
    return scoro, xero


# -- documents: sales invoices and bills ----------------------------------------------------------
DOCUMENT_COLUMNS = ["Id", "DocumentNumber", "CompanyId", "PersonId", "Date", "Deadline", "Currency", "IsSent",
                    "Status", "Description", "Lines", "UpdatedDate", "IsDeleted"]
SALES_COLUMNS = [*DOCUMENT_COLUMNS, "Sum", "CreditedInvoices"]  # credit invoices travel as credit notes
KINDS = {  # Scoro object, Xero Type, how a Scoro document's status maps
    "sales": ("Invoices", "ACCREC"),
    "purchase": ("Bills", "ACCPAY"),
}


def documents(kind: str, codes: ScoroCodes, xero_ref: XeroReference,
              tracking_category: str | None = None) -> tuple[Mapping, Mapping]:
    """Sales invoices (Scoro Invoices ↔ Xero ACCREC) or bills (Scoro Bills ↔ Xero ACCPAY).

    Scoro → Xero: an invoice not marked Sent goes as a draft, a sent one awaits payment; bills
    always await payment. Xero → Scoro: only approved documents (AUTHORISED or PAID)."""
    _obj, xero_type = KINDS[kind]

    def scoro_in(r: Record, refs: Refs) -> dict[str, Any]:
        contact = r.get("CompanyId") or r.get("PersonId")
        approved = bool(r.get("IsSent")) or kind == "purchase"
        return {
            "number": r.get("DocumentNumber"), "contact": refs.shared("contacts", "a", contact),
            "date": r.get("Date"), "due_date": r.get("Deadline"), "currency": r.get("Currency"),
            "status": "authorised" if approved else "draft", "reference": r.get("Description") or None,
            "lines": [{"description": line.get("Comment") or line.get("ProductName") or "",
                       "quantity": _dec(line.get("Amount")), "unit_price": _dec(line.get("Price")),
                       "discount": _dec(line.get("Discount")) or None,
                       # codes from the ids (the names Scoro derives are not always filled in)
                       "item_code": codes.code_of("Products", line.get("ProductId")) or line.get("ProductCode") or None,
                       "account_code": codes.code_of("FinanceAccounts", line.get("FinanceAccountId"))
                       or line.get("FinanceAccountSymbol") or None,
                       "tax_code": codes.code_of("VATCodes", line.get("VatCodeId")) or line.get("VatCode") or None,
                       "tracking": codes.code_of("AccountingObjects", line.get("FinanceObjectId"))
                       if tracking_category else None}
                      for line in r.get("Lines") or []],
        }

    def scoro_out(s: dict[str, Any], refs: Refs, current: Record | None) -> Record:
        contact = refs.on("contacts", "a", s.get("contact"))
        lines = []
        for line in s.get("lines") or []:
            code = line.get("item_code")
            product = codes.find_id("Products", code)
            if code and product is None:  # the item comes along from Xero, even with products off
                item = xero_ref.item_id(code)
                if item is None:
                    raise Refused(f"line item {code!r} is neither a Scoro product nor a Xero item")
                refs.need(f"needs product {code} in Scoro first", ("products", "b", str(item)))
            lines.append({
                "Comment": line.get("description") or "", "Amount": line.get("quantity") or Decimal(1),
                "Price": line.get("unit_price") or Decimal(0), "Discount": line.get("discount") or Decimal(0),
                "ProductId": product,
                "VatCodeId": codes.id_of("VATCodes", line.get("tax_code"), "VAT code"),
                "FinanceAccountId": codes.id_of("FinanceAccounts", line.get("account_code"), "finance account"),
                "FinanceObjectId": codes.id_of("AccountingObjects", line.get("tracking"), "accounting object"),
            })
        record: Record = {"DocumentNumber": s.get("number"), "CompanyId": int(contact) if contact else None,
                          "Date": s.get("date"), "Deadline": s.get("due_date") or s.get("date"),
                          "Currency": s.get("currency"), "Description": s.get("reference") or "",
                          "IsSent": s.get("status") == "authorised",
                          "Lines": [{k: v for k, v in line.items() if v is not None} for line in lines]}
        return {k: v for k, v in record.items() if v is not None}

    scoro = Mapping(to_shared=scoro_in, from_shared=scoro_out, find_by=("DocumentNumber", "number"),
                    in_scope=lambda r: not r.get("CreditedInvoices"),  # those are the credit notes category's
                    gate=lambda r: "paid in Scoro: documents with payments are not changed" if str(
                        r.get("Status") or "").lower() == "paid" else None)

    def xero_in(r: Record, refs: Refs) -> dict[str, Any]:
        contact = (r.get("Contact") or {}).get("ContactID")
        status = str(r.get("Status") or "").upper()
        return {
            "number": r.get("InvoiceNumber"), "contact": refs.shared("contacts", "b", contact),
            "date": r.get("Date"), "due_date": r.get("DueDate"), "currency": r.get("CurrencyCode"),
            "status": "draft" if status in ("DRAFT", "SUBMITTED") else "authorised",
            "reference": r.get("Reference") or None,
            "lines": [{"description": line.get("Description") or "", "quantity": _dec(line.get("Quantity")),
                       "unit_price": _dec(line.get("UnitAmount")), "discount": _dec(line.get("DiscountRate")) or None,
                       "item_code": line.get("ItemCode") or None, "account_code": line.get("AccountCode") or None,
                       "tax_code": line.get("TaxType") or None, "tracking": _option(line, tracking_category)}
                      for line in r.get("LineItems") or []],
        }

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

    xero = Mapping(
        to_shared=xero_in, from_shared=xero_out, find_by=("InvoiceNumber", "number"),
        in_scope=lambda r: str(r.get("Status") or "").upper() in ("AUTHORISED", "PAID"),
        deleted=lambda r: str(r.get("Status") or "").upper() in ("DELETED", "VOIDED"),
        gate=lambda r: f"{r.get('Status')} in Xero with payments: not changed from Scoro" if (
            str(r.get("Status") or "").upper() in PAID_OR_CLOSED or (_dec(r.get("AmountPaid")) or 0) > 0) else None)
    return scoro, xero


# -- credit notes: Scoro credit invoices → Xero credit notes, allocated to the credited invoice ----
def credit_notes(codes: ScoroCodes, xero_ref: XeroReference, xero_connector: Any,
                 tracking_category: str | None = None) -> tuple[Mapping, Mapping]:
    """A Scoro invoice that credits another one goes to Xero as a sales credit note (amounts
    positive, as Xero wants them) and, once approved, is allocated to the credited invoice; an
    approved Xero sales credit note comes to Scoro as a credit invoice (quantities negative)."""
    doc_a, doc_b = documents("sales", codes, xero_ref, tracking_category)

    def scoro_in(r: Record, refs: Refs) -> dict[str, Any]:
        shared = doc_a.to_shared(r, refs)
        if (_dec(r.get("Sum")) or 0) < 0:  # Scoro writes a credit invoice with negative quantities
            for line in shared["lines"]:
                line["quantity"] = -line["quantity"] if line.get("quantity") is not None else None
        credited = r.get("CreditedInvoices") or []
        shared["credits"] = refs.shared("invoices", "a", credited[0]) if credited else None
        return shared

    def xero_out(s: dict[str, Any], refs: Refs, current: Record | None) -> Record:
        record = doc_b.from_shared(s, refs, current)
        record.pop("DueDate", None)
        record["Type"] = "ACCRECCREDIT"
        record["CreditNoteNumber"] = record.pop("InvoiceNumber", None)
        return {k: v for k, v in record.items() if v is not None}

    def xero_in(r: Record, refs: Refs) -> dict[str, Any]:
        shared = doc_b.to_shared({**r, "InvoiceNumber": r.get("CreditNoteNumber")}, refs)
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

    def scoro_out(s: dict[str, Any], refs: Refs, current: Record | None) -> Record:
        """A Xero credit note as a Scoro credit invoice: negative quantities, crediting the invoice it
        is allocated to (when that invoice is synced)."""
        negated = {**s, "lines": [{**line, "quantity": -(_dec(line.get("quantity")) or Decimal(1))}
                                  for line in s.get("lines") or []]}
        record = doc_a.from_shared(negated, refs, current)
        credited = refs.on("invoices", "a", s.get("credits"), required=False) if s.get("credits") else None
        if credited:
            record["CreditedInvoices"] = [int(credited)]
        return record

    scoro = Mapping(to_shared=scoro_in, from_shared=scoro_out,
                    in_scope=lambda r: bool(r.get("CreditedInvoices")), find_by=("DocumentNumber", "number"))
    xero = Mapping(to_shared=xero_in, from_shared=xero_out, find_by=("CreditNoteNumber", "number"),
                   # Xero → Scoro carries approved credit notes only, as for invoices
                   in_scope=lambda r: str(r.get("Status") or "").upper() in ("AUTHORISED", "PAID"),
                   deleted=lambda r: str(r.get("Status") or "").upper() in ("DELETED", "VOIDED"),
                   gate=lambda r: f"{r.get('Status')} in Xero: not changed from Scoro" if str(
                       r.get("Status") or "").upper() in PAID_OR_CLOSED else None, after_create=allocate)
    return scoro, xero


# -- receipts: Xero payments → Scoro receipts ---------------------------------------------------
def receipts(scoro_connector: Any) -> tuple[Mapping, Mapping]:
    """Payments on invoices and bills, pulled from Xero (Scoro's integration moves receipts only
    that way). A receipt refers to its document through the invoices or bills links."""

    def xero_in(r: Record, refs: Refs) -> dict[str, Any]:
        document = r.get("Invoice") or {}
        category = "bills" if str(document.get("Type") or "").upper() == "ACCPAY" else "invoices"
        return {"date": r.get("Date"), "amount": _dec(r.get("Amount")), "reference": r.get("Reference") or None,
                "kind": category, "document": refs.shared(category, "b", document.get("InvoiceID"))}

    def scoro_in(r: Record, refs: Refs) -> dict[str, Any]:
        line = (r.get("Receipts") or [{}])[0]
        category = "bills" if str(r.get("SalesDocType") or "").lower() == "bills" else "invoices"
        return {"date": r.get("Date"), "amount": _dec(r.get("Sum")), "reference": None, "kind": category,
                "document": refs.shared(category, "a", line.get("InvoiceId"))}

    def scoro_out(s: dict[str, Any], refs: Refs, _current: Record | None) -> Record:
        category = s.get("kind") or "invoices"
        document = refs.on(category, "a", s.get("document"))
        if document is None:
            raise Refused("a payment that is not on an invoice or bill is not a Scoro receipt")
        obj = KINDS["purchase" if category == "bills" else "sales"][0]
        found = list(scoro_connector.read(obj, [Condition("Id", "=", int(document))],
                                          columns=["Id", "CompanyId", "PersonId", "Currency"]))
        if not found:
            raise Refused(f"the {obj[:-1].lower()} {document} this payment is for is gone from Scoro")
        doc = found[0]
        return {"Date": s.get("date"), "Sum": s.get("amount"), "Currency": doc.get("Currency"),
                "ContactId": doc.get("CompanyId") or doc.get("PersonId"), "SalesDocType": category,
                "Receipts": [{"Date": s.get("date"), "InvoiceId": int(document), "Sum": s.get("amount"),
                              "SalesDocType": category}]}

    scoro = Mapping(to_shared=scoro_in, from_shared=scoro_out)
    xero = Mapping(to_shared=xero_in, from_shared=_managed_in_xero("payments"),
                   in_scope=lambda r: bool((r.get("Invoice") or {}).get("InvoiceID"))
                   and str(r.get("Status") or "AUTHORISED").upper() == "AUTHORISED",
                   deleted=lambda r: str(r.get("Status") or "").upper() == "DELETED")
    return scoro, xero


def _option(line: Record, category: str | None) -> str | None:
    if not category:
        return None
    return next((t.get("Option") for t in line.get("Tracking") or [] if norm(t.get("Name")) == norm(category)), None)


def tracking_keys(shared: dict[str, Any]) -> list[str]:
    """An option matches the accounting object with its name, or with its name as the symbol."""
    return [f"name:{norm(v)}" for v in (shared.get("name"), shared.get("symbol")) if v]


def receipt_keys(shared: dict[str, Any]) -> list[str]:
    """Receipts match by document, date and amount (one payment per document per day and sum)."""
    if not shared.get("document"):
        return []
    return [f"receipt:{shared['document']}|{shared.get('date')}|{shared.get('amount')}"]


def document_keys(shared: dict[str, Any]) -> list[str]:
    """Documents match by number and contact."""
    if not shared.get("number") or not shared.get("contact"):
        return []
    return [f"doc:{norm(shared['number'])}|{shared['contact']}"]


def xero_type(kind: str) -> list[Condition]:
    return [Condition("Type", "=", KINDS[kind][1])]
