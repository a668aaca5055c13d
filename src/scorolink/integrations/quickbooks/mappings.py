"""QuickBooks' side of every sync category but contacts: how QuickBooks records read as the shared values of
sync.categories and how shared values become QuickBooks records, and what the company knows (accounts, tax
codes, items, classes, contacts' currencies) to check Scoro's codes against before a write.

Reference data (tax codes, accounts, classes) is managed in QuickBooks and only pulled. An account's code is
its number (AcctNum), else its name; a tax rate's code is the QuickBooks tax code's name; a product matches
by name (Scoro's integration matches products by name on the first sync) and its code is the item's Sku,
else its name.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from scorolink.integrations.quickbooks.credits import cash_applied, linked
from scorolink.sync.categories import norm
from scorolink.sync.model import Refused
from scorolink.sync.scoro_categories import ScoroCodes, Tables, dec
from scorolink.sync.sides import Mapping, Record, Refs

ENTITY = "_entity"


def _active(record: Record) -> bool:
    return record.get("Active", True) is not False and not record.get("Deleted")


def account_code(record: Record) -> str | None:
    return str(record.get("AcctNum") or record.get("Name") or "") or None


def item_code(record: Record) -> str | None:
    return str(record.get("Sku") or record.get("Name") or "") or None


def ref(value: Any) -> dict[str, Any] | None:
    return {"value": str(value)} if value not in (None, "") else None


def _ref_id(record: Record | None, key: str) -> str | None:
    found = (record or {}).get(key)
    return str(found.get("value")) if isinstance(found, dict) and found.get("value") not in (None, "") else None


class QuickBooksReference:
    """What the QuickBooks company knows, read on first use and dropped after a write to it."""

    def __init__(self, connector: Any, *, default_income_account: str | None = None,
                 default_expense_account: str | None = None, tax_map: dict[str, str] | None = None,
                 home_currency: Callable[[], str | None] = lambda: None) -> None:
        self.connector = connector
        self.default_income_account = default_income_account
        self.default_expense_account = default_expense_account
        self.tax_map = {norm(k): v for k, v in (tax_map or {}).items()}
        self.home_currency = home_currency
        read = connector.read
        self.tables = Tables({
            "Account": lambda: {k: r for r in read("Account") for k in {norm(account_code(r)), norm(r.get("Name"))}},
            "Account:ids": lambda: {r["Id"]: r for r in read("Account", include_inactive=True)},
            "TaxCode": lambda: {norm(r.get("Name")): r for r in read("TaxCode", include_inactive=True)},
            "TaxCode:ids": lambda: {r["Id"]: r for r in read("TaxCode", include_inactive=True)},
            "TaxRate:ids": lambda: {r["Id"]: r for r in read("TaxRate", include_inactive=True)},
            "Item": lambda: {k: r for r in read("Item") for k in {norm(item_code(r)), norm(r.get("Name"))}},
            "Item:ids": lambda: {r["Id"]: r for r in read("Item", include_inactive=True)},
            "Class": lambda: {norm(r.get("Name")): r for r in read("Class")},
            "Class:ids": lambda: {r["Id"]: r for r in read("Class", include_inactive=True)},
        })

    def forget(self, system: str, obj: str) -> None:
        if system == "quickbooks":
            names = [n for n in self.tables.loaders if n.split(":")[0] == obj]
            self.tables.forget(*names)

    # -- codes → QuickBooks ids --------------------------------------------------------------
    def account_id(self, code: Any, *, purchase: bool = False) -> str | None:
        """A Scoro account QuickBooks knows, else the default income (or expense) account."""
        if code not in (None, ""):
            found = self.tables.get("Account", norm(code))
            if found:
                return str(found["Id"])
        default = self.default_expense_account if purchase else self.default_income_account
        if default in (None, ""):
            return None
        found = self.tables.get("Account", norm(default))
        if not found:
            setting = "default_expense_account" if purchase else "default_income_account"
            raise Refused(f"[quickbooks_sync] {setting} {default!r} is not a QuickBooks account (by number or name); "
                          "pick one from `scorolink quickbooks configure --accounts`")
        return str(found["Id"])

    def tax_code_id(self, code: Any, percent: Decimal | None) -> str | None:
        """The QuickBooks tax code of a Scoro VAT code: mapped, else the same name, else the one active code with
        the same sales rate. A code QuickBooks no longer has (or has made inactive) holds the document: tax
        rates are managed in QuickBooks and an old rate is not synced until the document is updated."""
        if code in (None, ""):
            return None
        name = self.tax_map.get(norm(code), code)
        found = self.tables.get("TaxCode", norm(name))
        if found is None and norm(code) not in self.tax_map:
            same = [r for r in self.tables.table("TaxCode").values() if _active(r) and percent is not None
                    and self.tax_percent(r) == percent]
            found = same[0] if len(same) == 1 else None
        if found is None or not _active(found):
            raise Refused(f"held: tax rate {code!r} is not a current QuickBooks tax rate (tax rates are managed in "
                          "QuickBooks); update the document's tax rates to current ones, or map it "
                          f"(`scorolink quickbooks configure --tax-map {code}=<QuickBooks tax code>`)", "held")
        return str(found["Id"])

    def tax_percent(self, tax_code: Record) -> Decimal:
        rates = self.tables.table("TaxRate:ids")
        details = ((tax_code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or [])
        total = Decimal(0)
        for detail in details:
            rate = rates.get(_ref_id(detail, "TaxRateRef") or "")
            total += dec((rate or {}).get("RateValue")) or Decimal(0)
        return total

    def item_id(self, code: Any) -> str | None:
        if code in (None, ""):
            return None
        found = self.tables.get("Item", norm(code))
        return str(found["Id"]) if found else None

    def class_id(self, name: Any) -> str | None:
        if name in (None, ""):
            return None
        found = self.tables.get("Class", norm(name))
        return str(found["Id"]) if found else None

    # -- QuickBooks ids → codes --------------------------------------------------------------
    def account_of(self, account_id: str | None) -> str | None:
        return account_code(self.tables.get("Account:ids", account_id)) if account_id else None

    def tax_of(self, tax_id: str | None) -> str | None:
        found = self.tables.get("TaxCode:ids", tax_id) if tax_id else None
        return str(found["Name"]) if found else None

    def item_of(self, item_id: str | None) -> Record | None:
        return self.tables.get("Item:ids", item_id) if item_id else None

    def class_of(self, class_id: str | None) -> str | None:
        found = self.tables.get("Class:ids", class_id) if class_id else None
        return str(found.get("FullyQualifiedName") or found.get("Name")) if found else None


def _managed_in_quickbooks(what: str) -> Callable[[dict[str, Any], Refs, Record | None], Record]:
    def refuse(_s: dict[str, Any], _refs: Refs, _cur: Record | None) -> Record:
        raise Refused(f"{what} are managed in QuickBooks: change them there (Scoro's changes are not pushed)", "gated")
    return refuse


# -- reference data, managed in QuickBooks -------------------------------------------------------
def tax_rates(qb: QuickBooksReference) -> Mapping:
    return Mapping(to_shared=lambda r, _refs: {"code": r.get("Name"), "name": r.get("Description") or r.get("Name"),
                                               "percent": qb.tax_percent(r)},
                   from_shared=_managed_in_quickbooks("tax rates"),
                   in_scope=lambda r: _active(r) and not r.get("Hidden") and r.get("Name") not in ("TAX", "NON"),
                   deleted=lambda r: not _active(r))


def accounts() -> Mapping:
    return Mapping(
        to_shared=lambda r, _refs: {"code": account_code(r), "name": r.get("Name"),
                                    "sales": r.get("Classification") == "Revenue",
                                    "purchases": r.get("Classification") == "Expense", "active": _active(r)},
        from_shared=_managed_in_quickbooks("accounts"),
        in_scope=lambda r: _active(r) and r.get("Classification") in ("Revenue", "Expense"),
        deleted=lambda r: not _active(r))


def classes() -> Mapping:
    return Mapping(to_shared=lambda r, _refs: {"name": r.get("FullyQualifiedName") or r.get("Name")},
                   from_shared=_managed_in_quickbooks("classes"), in_scope=_active,
                   deleted=lambda r: not _active(r))


def projects(canonical: Callable[[str], str] = lambda side_id: side_id) -> Mapping:
    """QuickBooks projects (customers with IsProject, under their client) → Scoro projects."""
    return Mapping(
        to_shared=lambda r, refs: {"name": r.get("DisplayName"),
                                   "client": refs.shared("contacts", "b", canonical(f"c{_ref_id(r, 'ParentRef')}"))
                                   if _ref_id(r, "ParentRef") else None},
        from_shared=_managed_in_quickbooks("projects"), in_scope=_active, deleted=lambda r: not _active(r))


# -- products -------------------------------------------------------------------------------------
def products(codes: ScoroCodes, qb: QuickBooksReference) -> Mapping:
    def out(s: dict[str, Any], _refs: Refs, current: Record | None) -> Record:
        if not s.get("name"):
            raise Refused("a product needs a name to go to QuickBooks (items are keyed by name)")
        name = str(s["name"])
        if len(name) > 100 or ":" in name:
            raise Refused(f"QuickBooks item names are at most 100 characters without ':'; {name!r} is not")
        # QuickBooks keeps one income account per item: the product's, else the default income account
        income = qb.account_id(s.get("sales_account"))
        if income is None:
            raise Refused("a product needs an income account in QuickBooks: set default_income_account "
                          "(`scorolink quickbooks configure --default-income-account …`)")
        record: Record = {"Name": name, "Sku": s.get("code") or None, "Description": s.get("description") or None,
                          "UnitPrice": s.get("sales_price") or Decimal(0), "IncomeAccountRef": ref(income)}
        if current is None:
            record["Type"] = "Service"
        if s.get("purchase_price") is not None:
            record["PurchaseCost"] = s["purchase_price"]
            expense = qb.account_id(None, purchase=True)
            if expense:
                record["ExpenseAccountRef"] = ref(expense)
        if s.get("tax_code"):
            record["SalesTaxCodeRef"] = ref(qb.tax_code_id(s["tax_code"], codes.vat_percent(s["tax_code"])))
        return {k: v for k, v in record.items() if v is not None}

    return Mapping(
        to_shared=lambda r, _refs: {
            "code": item_code(r), "name": r.get("Name"), "description": r.get("Description") or None,
            "sales_price": dec(r.get("UnitPrice")), "purchase_price": dec(r.get("PurchaseCost")) or None,
            "sales_account": qb.account_of(_ref_id(r, "IncomeAccountRef")),
            "tax_code": qb.tax_of(_ref_id(r, "SalesTaxCodeRef"))},
        from_shared=out, find_by=("Name", "name"), in_scope=lambda r: _active(r) and r.get("Type") in (
            "Service", "NonInventory", "Inventory"), deleted=lambda r: not _active(r))


# -- documents ------------------------------------------------------------------------------------
DOCUMENTS = {"invoices": ("Invoice", "CustomerRef", "c"), "credit_notes": ("CreditMemo", "CustomerRef", "c"),
             "bills": ("Bill", "VendorRef", "v")}


def documents(category: str, codes: ScoroCodes, qb: QuickBooksReference, contact_currency: Callable[[str], str | None],
              *, without_tax: bool = False, track_classes: bool = False,
              vendor_for: Callable[[str], str] | None = None, customer_for: Callable[[str], str] | None = None,
              canonical: Callable[[str], str] = lambda side_id: side_id) -> Mapping:
    """Invoices, credit memos (sales) and bills (purchase). QuickBooks has no drafts: a document sent there is
    open (awaiting payment). A line's product is its item; a bill line without one books to the line's account,
    else the default expense account. Projects: one per invoice (`ProjectRef`), one per line on bills."""
    entity, contact_key, prefix = DOCUMENTS[category]
    purchase = category == "bills"

    def line_in(line: Record) -> dict[str, Any] | None:
        detail_type = str(line.get("DetailType") or "")
        raw = line.get(detail_type)
        detail: Record = raw if isinstance(raw, dict) else {}
        if detail_type in ("SubTotalLineDetail", "DiscountLineDetail") or not detail_type:
            return None
        item = qb.item_of(_ref_id(detail, "ItemRef"))
        quantity = dec(detail.get("Qty"))
        price = dec(detail.get("UnitPrice"))
        if quantity is None or price is None:  # an account-based line: its amount is the price of one
            quantity, price = Decimal(1), dec(line.get("Amount")) or Decimal(0)
        account = _ref_id(detail, "AccountRef") or _ref_id(detail, "ItemAccountRef")
        return {"description": line.get("Description") or "", "quantity": quantity, "unit_price": price,
                "discount": None, "item_code": item_code(item) if item else None,
                "account_code": qb.account_of(account) if (purchase or not item) else None,
                "tax_code": None if without_tax else qb.tax_of(_ref_id(detail, "TaxCodeRef")),
                "tracking": qb.class_of(_ref_id(detail, "ClassRef")) if track_classes else None}

    def qb_in(r: Record, refs: Refs) -> dict[str, Any]:
        contact = _ref_id(r, contact_key)
        lines = [x for x in (line_in(line) for line in r.get("Line") or []) if x is not None]
        shared: dict[str, Any] = {
            "number": r.get("DocNumber") or None,
            "contact": refs.shared("contacts", "b", canonical(f"{prefix}{contact}")) if contact else None,
            "date": r.get("TxnDate"), "due_date": r.get("DueDate") or None,
            "currency": _ref_id(r, "CurrencyRef") or qb.home_currency(), "status": "authorised",
            "reference": r.get("PrivateNote") or None, "lines": lines}
        project = _ref_id(r, "ProjectRef")
        shared["_projects"] = [refs.shared("projects", "b", project)] if project else []
        if category == "credit_notes":
            shared["credits"] = None
        return shared

    def qb_out(s: dict[str, Any], refs: Refs, current: Record | None) -> Record:
        contact = refs.on("contacts", "b", s.get("contact"))
        if contact is not None and purchase and contact.startswith("c") and vendor_for is not None:
            contact = vendor_for(contact)  # a bill's contact syncs as a vendor too (its " (v)" companion)
        if contact is not None and not purchase and contact.startswith("v") and customer_for is not None:
            contact = customer_for(contact)  # an invoice's contact syncs as a customer too
        if contact is not None and not contact.startswith(prefix):
            raise Refused(f"the contact is a {'vendor' if prefix == 'c' else 'customer'} only in QuickBooks; mark it "
                          f"a {'client' if prefix == 'c' else 'supplier'} in Scoro so it syncs as a "
                          f"{'customer' if prefix == 'c' else 'vendor'}")
        contact_id = contact[1:] if contact else None
        currency, theirs = s.get("currency"), contact_currency(contact) if contact else None
        if currency and theirs and str(currency).upper() != str(theirs).upper():
            raise Refused(f"the document is in {currency} but its contact's currency in QuickBooks is {theirs}: "
                          "QuickBooks keeps one currency per contact; issue it in "
                          f"{theirs} or use a contact in {currency}")
        if not s.get("lines"):
            raise Refused("a document without lines cannot be sent to QuickBooks")
        lines = []
        line_projects = s.get("_line_projects") or []
        for n, line in enumerate(s["lines"], start=1):
            quantity = dec(line.get("quantity")) or Decimal(1)
            price = dec(line.get("unit_price")) or Decimal(0)
            discount = dec(line.get("discount")) or Decimal(0)
            amount = (quantity * price * (1 - discount / 100)).quantize(Decimal("0.01"))
            code = line.get("item_code")
            item = qb.item_id(code)
            if code and item is None:  # the product comes along, even with products off
                product = codes.find_id("Products", code)
                if product is None:
                    raise Refused(f"line item {code!r} is no Scoro product (deleted since?); fix the line")
                refs.need(f"needs product {code} in QuickBooks first", ("products", "a", str(product)))
            tax = qb.tax_code_id(line.get("tax_code"), codes.vat_percent(line.get("tax_code")))
            klass = qb.class_id(line.get("tracking")) if track_classes else None
            project = refs.on("projects", "b", line_projects[n - 1], required=False) if purchase and n <= len(
                line_projects) and line_projects[n - 1] else None
            if purchase and item is None:  # (a line whose product is still to come is built again then)
                account = qb.account_id(line.get("account_code"), purchase=True)
                if account is None:
                    raise Refused("a bill line without a product needs an expense account: set "
                                  "default_expense_account (`scorolink quickbooks configure --default-expense-account …`)")
                detail: Record = {"AccountRef": ref(account), "TaxCodeRef": ref(tax), "ClassRef": ref(klass),
                                  "CustomerRef": ref(project)}
                kind = "AccountBasedExpenseLineDetail"
            elif purchase:
                detail = {"ItemRef": ref(item), "Qty": quantity, "UnitPrice": price, "TaxCodeRef": ref(tax),
                          "ClassRef": ref(klass), "CustomerRef": ref(project)}
                kind = "ItemBasedExpenseLineDetail"
            else:
                if item is None and not code:
                    raise Refused("an invoice line without a product cannot go to QuickBooks (its lines are items); "
                                  "add a product to the line")
                detail = {"ItemRef": ref(item), "Qty": quantity, "UnitPrice": price, "TaxCodeRef": ref(tax),
                          "ClassRef": ref(klass)}
                kind = "SalesItemLineDetail"
            lines.append({"LineNum": n, "Description": line.get("description") or None, "Amount": amount,
                          "DetailType": kind, kind: {k: v for k, v in detail.items() if v is not None}})
        record: Record = {ENTITY: entity, contact_key: ref(contact_id), "TxnDate": s.get("date"),
                          "DueDate": s.get("due_date") if category != "credit_notes" else None,
                          "DocNumber": str(s["number"])[:21] if s.get("number") else None,
                          "PrivateNote": s.get("reference") or None,
                          "Line": [{k: v for k, v in line.items() if v is not None} for line in lines]}
        if currency and theirs:
            record["CurrencyRef"] = ref(currency)
        projects_on = sorted({str(p) for p in s.get("_projects") or [] if p})
        if not purchase and len(projects_on) == 1:
            project = refs.on("projects", "b", projects_on[0], required=False)
            if project:
                record["ProjectRef"] = ref(project)
        return {k: v for k, v in record.items() if v is not None}

    gated = ("applied in QuickBooks: a credit memo whose credit is used is not changed from Scoro"
             if category == "credit_notes" else "paid in QuickBooks: documents with payments are not changed")

    def several_projects(_saved: Record, shared: dict[str, Any], _refs: Refs) -> str | None:
        if not purchase and len({str(p) for p in shared.get("_projects") or [] if p}) > 1:
            return ("the invoice names several projects; QuickBooks allows one per invoice, so it was sent without "
                    "a project")
        return None

    return Mapping(to_shared=qb_in, from_shared=qb_out, find_by=("DocNumber", "number"),
                   deleted=lambda r: bool(r.get("Deleted")),
                   gate=lambda r: gated if (
                       dec(r.get("Balance")) is not None and dec(r.get("Balance")) != dec(r.get("TotalAmt"))) else None,
                   after_create=several_projects)


# -- receipts: Payments (invoices) and BillPayments (bills) ----------------------------------------
def receipts(qb_connector: Any, bank_account: Callable[[], str | None]) -> tuple[Mapping, Mapping]:
    """A payment on one invoice or bill (the first document a QuickBooks payment applies cash to)."""

    def qb_in(kind: str, linked_type: str) -> Callable[[Record, Refs], dict[str, Any]]:
        def to_shared(r: Record, refs: Refs) -> dict[str, Any]:
            found = linked(r, linked_type)
            document, amount = found[0] if found else (None, dec(r.get("TotalAmt")))
            if linked_type == "Invoice":
                # a Payment that also applies credit memos: the receipt is the cash part, on the invoice that
                # gets it (the credit is the credit_applications category's)
                document, amount = cash_applied(r)
            return {"date": r.get("TxnDate"), "amount": amount, "reference": r.get("PaymentRefNum") or None,
                    "kind": kind, "document": refs.shared(kind, "b", document) if document else None}
        return to_shared

    def qb_out(s: dict[str, Any], refs: Refs, _current: Record | None) -> Record:
        kind = s.get("kind") or "invoices"
        entity, linked_type, contact_key = (("BillPayment", "Bill", "VendorRef") if kind == "bills"
                                            else ("Payment", "Invoice", "CustomerRef"))
        document = refs.on(kind, "b", s.get("document"))
        if document is None:
            raise Refused("a payment that is not on an invoice or bill cannot go to QuickBooks")
        found = qb_connector.fetch(linked_type, [document])
        if not found:
            raise Refused(f"the QuickBooks {linked_type.lower()} {document} this payment is for is gone")
        doc = found[0]
        amount = dec(s.get("amount")) or Decimal(0)
        record: Record = {ENTITY: entity, contact_key: doc.get(contact_key), "TxnDate": s.get("date"),
                          "TotalAmt": amount, "CurrencyRef": doc.get("CurrencyRef"),
                          "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": document, "TxnType": linked_type}]}]}
        if entity == "BillPayment":
            bank = bank_account()
            if bank is None:
                raise Refused("QuickBooks has no bank account to pay the bill from")
            record.update(PayType="Check", CheckPayment={"BankAccountRef": ref(bank)})
        return {k: v for k, v in record.items() if v is not None}

    def open_payment(r: Record) -> bool:
        return not r.get("Deleted") and "Voided" not in str(r.get("PrivateNote") or "")

    def cash_payment(r: Record) -> bool:
        """Not a credit memo's application alone (no cash received: not a receipt)."""
        return open_payment(r) and (cash_applied(r)[1] or Decimal(0)) > 0

    payment = Mapping(to_shared=qb_in("invoices", "Invoice"), from_shared=qb_out, in_scope=cash_payment,
                      deleted=lambda r: bool(r.get("Deleted")))
    bill_payment = Mapping(to_shared=qb_in("bills", "Bill"), from_shared=qb_out, in_scope=open_payment,
                           deleted=lambda r: bool(r.get("Deleted")))
    return payment, bill_payment
