"""Seed data per realm, deterministic from the seed: companies with their Preferences, a chart of accounts,
tax codes and rates, classes, customers (with projects), vendors, items and a history of documents.

Everything is written through the company's own rules (so seeded records look like created ones), stamped
at fixed offsets before the moment of generation; a few name-list records are older than CDC's window."""

from __future__ import annotations

import hashlib
import random
from decimal import Decimal
from typing import Any

from .company import Company
from .entities import SPECS

DAY = 86400

PROFILES: list[dict[str, Any]] = [
    {"CompanyName": "Scorolink Sandbox US Inc.", "Country": "US", "tz": "America/Los_Angeles",
     "HomeCurrency": "USD", "MultiCurrencyEnabled": False, "ClassTrackingPerTxn": False,
     "ClassTrackingPerTxnLine": True, "UsingSalesTax": True, "CustomTxnNumbers": False,
     "CompanyAddr": {"Line1": "2600 Marine Way", "City": "Mountain View", "CountrySubDivisionCode": "CA",
                     "PostalCode": "94043", "Country": "US"}, "foreign": []},
    {"CompanyName": "Scorolink Sandbox UK Ltd", "Country": "GB", "tz": "Europe/London",
     "HomeCurrency": "GBP", "MultiCurrencyEnabled": True, "ClassTrackingPerTxn": False,
     "ClassTrackingPerTxnLine": False, "UsingSalesTax": True, "CustomTxnNumbers": False,
     "CompanyAddr": {"Line1": "1 Finsbury Avenue", "City": "London", "PostalCode": "EC2M 2PF", "Country": "GB"},
     "foreign": ["EUR", "USD"]},
    {"CompanyName": "Scorolink Sandbox AU Pty Ltd", "Country": "AU", "tz": "Australia/Sydney",
     "HomeCurrency": "AUD", "MultiCurrencyEnabled": True, "ClassTrackingPerTxn": False,
     "ClassTrackingPerTxnLine": True, "UsingSalesTax": True, "CustomTxnNumbers": True,
     "CompanyAddr": {"Line1": "200 George St", "City": "Sydney", "CountrySubDivisionCode": "NSW",
                     "PostalCode": "2000", "Country": "AU"}, "foreign": ["USD"]},
    # The fourth (and after): a euro company, as Scoro's European sites would pair with.
    {"CompanyName": "Scorolink Sandbox IE Ltd", "Country": "IE", "tz": "Europe/Dublin",
     "HomeCurrency": "EUR", "MultiCurrencyEnabled": True, "ClassTrackingPerTxn": False,
     "ClassTrackingPerTxnLine": True, "UsingSalesTax": True, "CustomTxnNumbers": False,
     "CompanyAddr": {"Line1": "1 Grand Canal Square", "City": "Dublin", "PostalCode": "D02 P820", "Country": "IE"},
     "foreign": ["USD", "GBP"]},
]

ACCOUNTS = [  # key, Name, AccountType, AccountSubType, AcctNum
    ("Checking", "Checking", "Bank", "Checking", "1010"),
    ("Savings", "Savings", "Bank", "Savings", "1020"),
    ("AR", "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", "1100"),
    ("UndepositedFunds", "Undeposited Funds", "Other Current Asset", "UndepositedFunds", "1200"),
    ("Inventory", "Inventory Asset", "Other Current Asset", "Inventory", "1300"),
    ("AP", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", "2000"),
    ("Card", "Mastercard", "Credit Card", "CreditCard", "2100"),
    ("Equity", "Opening Balance Equity", "Equity", "OpeningBalanceEquity", "3000"),
    ("Sales", "Sales of Product Income", "Income", "SalesOfProductIncome", "4000"),
    ("Services", "Services", "Income", "ServiceFeeIncome", "4100"),
    ("Consulting", "Consulting Income", "Income", "ServiceFeeIncome", "4200"),
    ("COGS", "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", "5000"),
    ("Office", "Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses", "6000"),
    ("Advertising", "Advertising", "Expense", "AdvertisingPromotional", "6100"),
    ("Travel", "Travel", "Expense", "Travel", "6200"),
    ("Legal", "Legal & Professional Fees", "Expense", "LegalProfessionalFees", "6300"),
    ("Rent", "Rent or Lease", "Expense", "RentOrLeaseOfBuildings", "6400"),
]

TAXES: dict[str, dict[str, Any]] = {  # rates: (Name, RateValue, purchase?); codes: (Name, sales rate, purchase rate)
    "US": {"rates": [("California", 7.25), ("Santa Clara County", 1.5), ("Out-of-state", 0.0)],
           "codes": [("California", ["California", "Santa Clara County"], []), ("Out-of-state", ["Out-of-state"], [])]},
    "GB": {"rates": [("20.0% S", 20.0), ("5.0% R", 5.0), ("0.0% Z", 0.0), ("20.0% ECG", 20.0)],
           "codes": [("20.0% S", ["20.0% S"], ["20.0% S"]), ("5.0% R", ["5.0% R"], ["5.0% R"]),
                     ("0.0% Z", ["0.0% Z"], ["0.0% Z"]), ("Exempt", [], []), ("No VAT", [], []),
                     ("20.0% ECG", [], ["20.0% ECG"])]},
    "IE": {"rates": [("23% S", 23.0), ("13.5% R", 13.5), ("0% Z", 0.0)],
           "codes": [("23% S", ["23% S"], ["23% S"]), ("13.5% R", ["13.5% R"], ["13.5% R"]),
                     ("0% Z", ["0% Z"], ["0% Z"]), ("Exempt", [], [])]},
    "AU": {"rates": [("GST (sales)", 10.0), ("GST (purchases)", 10.0), ("GST free", 0.0)],
           "codes": [("GST", ["GST (sales)"], ["GST (purchases)"]), ("FRE", ["GST free"], ["GST free"]),
                     ("N-T", [], [])]},
}

COMPANY_WORDS = ["Amber", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Indigo", "Juniper",
                 "Kestrel", "Lumen", "Meadow", "Nimbus", "Orchid", "Pioneer", "Quartz", "Riverside", "Summit",
                 "Tidal", "Umber", "Vertex", "Willow", "Zephyr"]
COMPANY_KINDS = ["Design", "Logistics", "Consulting", "Foods", "Media", "Labs", "Builders", "Studio", "Partners"]
SUFFIXES = {"US": "LLC", "GB": "Ltd", "AU": "Pty Ltd", "IE": "Ltd"}
GIVEN = ["Ava", "Ben", "Chloe", "Daniel", "Emma", "Finn", "Grace", "Henry", "Isla", "Jack", "Kate", "Liam"]
FAMILY = ["Anderson", "Brooks", "Carter", "Dawson", "Ellis", "Fraser", "Gibson", "Hughes", "Irving", "Jensen"]
PROJECTS = ["Website redesign", "Brand refresh", "Warehouse fit-out", "Annual audit", "Mobile app"]
ITEMS = [  # Name, Type, UnitPrice, income key, expense key
    ("Consulting hours", "Service", "150", "Consulting", "Legal"),
    ("Design work", "Service", "95", "Services", None),
    ("Support plan", "Service", "400", "Services", None),
    ("Training day", "Service", "1200", "Services", None),
    ("Printed materials", "NonInventory", "35", "Sales", "Office"),
    ("Travel expenses", "NonInventory", "1", "Services", "Travel"),
    ("Widget", "Inventory", "25", "Sales", "COGS"),
    ("Gadget", "Inventory", "60", "Sales", "COGS"),
]
CLASSES = ["Consulting", "Design", "Development", "Support"]


def realm_id(seed: int, index: int) -> str:
    """A 16-digit company id, as QuickBooks' sandbox companies have (B2), stable per seed."""
    digest = hashlib.sha256(f"qbo-realm:{seed}:{index}".encode()).hexdigest()
    return "9341" + str(int(digest[:16], 16))[:12].rjust(12, "0")


def realm_profiles(seed: int, count: int, created: float) -> list[dict]:
    out = []
    for i in range(count):
        base = dict(PROFILES[i % len(PROFILES)])
        if i >= len(PROFILES):
            base["CompanyName"] = f"{base['CompanyName']} {i // len(PROFILES) + 1}"
        base["realmId"] = realm_id(seed, i)
        base["Email"] = f"books@{base['Country'].lower()}{i + 1}.sandbox.example"
        base["created"] = created - 400 * DAY
        out.append(base)
    return out


def populate(co: Company, seed: int, size: int, now: float) -> None:
    co.deferred = True
    try:
        _populate(co, seed, size, now)
    finally:
        co.deferred = False
    co.recompute_balances()


def _populate(co: Company, seed: int, size: int, now: float) -> None:
    rng = random.Random(f"{seed}:{co.realm}")
    p = co.profile
    stamps = iter(range(10**6))

    def at(days_ago: float) -> Any:
        return co.at(now - days_ago * DAY + next(stamps) * 0.001)

    def write(entity: str, body: dict, days_ago: float) -> dict:
        with at(days_ago):
            return co.create(SPECS[entity.lower()], body)

    accounts: dict[str, str] = {}
    for key, name, kind, sub, num in ACCOUNTS:
        accounts[key] = write("Account", {"Name": name, "AccountType": kind, "AccountSubType": sub, "AcctNum": num},
                              60)["Id"]
    p["accounts"] = accounts
    _taxes(co, now)
    classes: list[str] = []
    if co.class_tracking:
        for name in CLASSES:
            classes.append(write("Class", {"Name": name}, 50)["Id"])
        write("Class", {"Name": "Backend", "ParentRef": {"value": classes[2]}}, 50)
    currencies = [co.home] + list(p["foreign"]) if co.multicurrency else [co.home]

    def contact(i: int, vendor: bool) -> dict:
        if rng.random() < 0.3:
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            body: dict[str, Any] = {"GivenName": given, "FamilyName": family, "DisplayName": f"{given} {family}"}
        else:
            name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {SUFFIXES.get(p['Country'], 'Inc.')}"
            body = {"CompanyName": name, "DisplayName": name}
        if vendor:
            body["DisplayName"] += " (v)" if rng.random() < 0.2 else ""
        if co.find("Customer", "DisplayName", body["DisplayName"]) or \
                co.find("Vendor", "DisplayName", body["DisplayName"]):
            body["DisplayName"] = f"{body['DisplayName']} #{i}"
        slug = "".join(c for c in body["DisplayName"].lower() if c.isalnum())[:20]
        body["PrimaryEmailAddr"] = {"Address": f"{slug}@example.com"}
        body["PrimaryPhone"] = {"FreeFormNumber": f"555-01{i:02d}"}
        body["BillAddr"] = {"Line1": f"{10 + i} Market Street", "City": p["CompanyAddr"]["City"],
                            "Country": p["Country"]}
        cur = currencies[i % len(currencies)] if i % 4 == 3 else co.home
        body["CurrencyRef"] = {"value": cur}
        return body

    n_customers = max(4, size // 2)
    customers = []
    for i in range(n_customers):
        # the first few are older than CDC's window: only a query finds them
        customers.append(write("Customer", contact(i, False), 45 if i < 2 else 40 - i * 30 / n_customers))
    projects = []
    for j, name in enumerate(PROJECTS[: max(1, min(len(PROJECTS), size // 10 + 1))]):
        parent = customers[j % len(customers)]
        rec = write("Customer", {"DisplayName": name, "ParentRef": {"value": parent["Id"]}, "Job": True,
                                 "CurrencyRef": parent["CurrencyRef"]}, 28)
        rec["IsProject"] = True          # fixtures only: IsProject is read-only over REST (B3)
        co.store.put(co.realm, "Customer", rec["Id"], rec)
        projects.append(rec)
    vendors = [write("Vendor", contact(1_000_000 + i, True), 40 - i * 10 / max(3, size // 3))
               for i in range(max(3, size // 3))]
    items: list[dict] = []
    for name, kind, price, income, expense in ITEMS:
        body: dict[str, Any] = {"Name": name, "Type": kind, "UnitPrice": price,
                                "IncomeAccountRef": {"value": accounts[income]}, "Taxable": True}
        if expense:
            body["ExpenseAccountRef"] = {"value": accounts[expense]}
            body["PurchaseCost"] = str(Decimal(price) * Decimal("0.6"))
        if kind == "Inventory":
            body.update({"AssetAccountRef": {"value": accounts["Inventory"]}, "TrackQtyOnHand": True,
                         "QtyOnHand": 500, "InvStartDate": "2026-01-01", "Sku": f"SKU-{len(items) + 1:03d}"})
        items.append(write("Item", body, 55))
    sales_code, purchase_code = _default_codes(co)

    def sales_line(detail_extra: dict | None = None) -> dict:
        item = rng.choice(items)
        qty = rng.randint(1, 8)
        detail: dict[str, Any] = {"ItemRef": {"value": item["Id"]}, "Qty": qty, "UnitPrice": item["UnitPrice"]}
        if sales_code:
            detail["TaxCodeRef"] = {"value": sales_code}
        if classes and co.class_per_line and rng.random() < 0.5:
            detail["ClassRef"] = {"value": rng.choice(classes)}
        detail.update(detail_extra or {})
        return {"DetailType": "SalesItemLineDetail", "Amount": str(Decimal(str(item["UnitPrice"])) * qty),
                "Description": item["Name"], "SalesItemLineDetail": detail}

    def doc(entity: str, contact: dict, days_ago: float, lines: list[dict], n: int, **extra: Any) -> dict:
        body: dict[str, Any] = {"Line": lines, **extra}
        body["CustomerRef" if entity != "Bill" else "VendorRef"] = {"value": contact["Id"]}
        if co.multicurrency:
            body["CurrencyRef"] = contact["CurrencyRef"]
        if p.get("CustomTxnNumbers") and entity != "Bill":
            body["DocNumber"] = f"{'INV' if entity == 'Invoice' else 'CM'}-{n:04d}"
        return write(entity, body, days_ago)

    invoices = []
    plain = [c for c in customers]
    for i in range(size):
        days_ago = 26 - i * 25 / max(1, size)
        extra: dict[str, Any] = {}
        customer = rng.choice(plain)
        if projects and i % 7 == 3:
            project = projects[i % len(projects)]
            customer = next(c for c in customers if c["Id"] == project["ParentRef"]["value"])
            extra["ProjectRef"] = {"value": project["Id"]}
        if co.us_sales_tax and sales_code:
            extra["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": p["DefaultSalesTaxCode"]}}
        lines = [sales_line() for _ in range(rng.randint(1, 3))]
        invoices.append(doc("Invoice", customer, days_ago, lines, i + 1, **extra))
    for i in range(max(1, size // 6)):
        customer = rng.choice(plain)
        doc("CreditMemo", customer, 20 - i, [sales_line()], i + 1)
    bills = []
    for i in range(max(2, size // 2)):
        vendor = rng.choice(vendors)
        lines = []
        for _ in range(rng.randint(1, 2)):
            detail: dict[str, Any] = {"AccountRef": {"value": accounts[rng.choice(["Office", "Travel", "Legal",
                                                                                   "Advertising", "Rent"])]}}
            if purchase_code:
                detail["TaxCodeRef"] = {"value": purchase_code}
            if projects and rng.random() < 0.3:
                detail["CustomerRef"] = {"value": rng.choice(projects)["Id"]}
                detail["BillableStatus"] = "Billable"
            if classes and co.class_per_line and rng.random() < 0.4:
                detail["ClassRef"] = {"value": rng.choice(classes)}
            lines.append({"DetailType": "AccountBasedExpenseLineDetail", "Amount": str(rng.randint(20, 900)),
                          "Description": "Services", "AccountBasedExpenseLineDetail": detail})
        if rng.random() < 0.3:
            item = rng.choice([it for it in items if it["Type"] != "Service"])
            lines.append({"DetailType": "ItemBasedExpenseLineDetail", "Amount": str(item.get("PurchaseCost", 10)),
                          "ItemBasedExpenseLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 1,
                                                         "UnitPrice": item.get("PurchaseCost", 10)}})
        bills.append(doc("Bill", vendor, 25 - i * 20 / max(1, size // 2), lines, i + 1,
                         DocNumber=f"B-{seed}{i + 1:04d}"))
    for i, inv in enumerate(invoices[: max(1, len(invoices) // 3)]):
        amount = Decimal(str(inv["TotalAmt"])) if i % 2 == 0 else (Decimal(str(inv["TotalAmt"])) / 2).quantize(
            Decimal("0.01"))
        body = {"CustomerRef": inv["CustomerRef"], "TotalAmt": str(amount),
                "Line": [{"Amount": str(amount), "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}]}
        if co.multicurrency:
            body["CurrencyRef"] = inv["CurrencyRef"]
        write("Payment", body, 10 - i * 0.1)
    for i, bill in enumerate(bills[: max(1, len(bills) // 4)]):
        body = {"VendorRef": bill["VendorRef"], "TotalAmt": bill["TotalAmt"], "PayType": "Check",
                "CheckPayment": {"BankAccountRef": {"value": accounts["Checking"]}},
                "Line": [{"Amount": bill["TotalAmt"], "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]}
        if co.multicurrency:
            body["CurrencyRef"] = bill["CurrencyRef"]
        write("BillPayment", body, 8 - i * 0.1)
    if invoices:
        write("Attachable", {"Note": "Signed purchase order on file",
                             "AttachableRef": [{"EntityRef": {"type": "Invoice", "value": invoices[0]["Id"]}}]}, 5)


def _taxes(co: Company, now: float) -> None:
    spec = TAXES.get(co.profile["Country"], TAXES["GB"])
    rate_ids: dict[str, str] = {}
    for name, value in spec["rates"]:
        rid = co._next_id("TaxRate")
        rec = {"Id": rid, "SyncToken": "0", "Name": name, "Description": name, "Active": True, "RateValue": value,
               "AgencyRef": {"value": "1"}, "SpecialTaxType": "NONE", "DisplayType": "ReadOnly",
               "EffectiveTaxRate": [{"RateValue": value, "EffectiveDate": "2020-01-01T00:00:00Z"}],
               "domain": "QBO", "sparse": False}
        with co.at(now - 60 * DAY):
            co._stamp(rec, created=True)
        co.store.put(co.realm, "TaxRate", rid, rec)
        rate_ids[name] = rid
    codes: dict[str, str] = {}
    if co.us_sales_tax:
        for pseudo, taxable in (("TAX", True), ("NON", False)):
            rec = {"Id": pseudo, "SyncToken": "0", "Name": pseudo, "Description": "Taxable" if taxable else
                   "Non-taxable", "Active": True, "Taxable": taxable, "TaxGroup": False, "Hidden": False,
                   "SalesTaxRateList": {"TaxRateDetail": []}, "PurchaseTaxRateList": {"TaxRateDetail": []},
                   "domain": "QBO", "sparse": False}
            with co.at(now - 60 * DAY):
                co._stamp(rec, created=True)
            co.store.put(co.realm, "TaxCode", pseudo, rec)
    for name, sales, purchase in spec["codes"]:
        rid = co._next_id("TaxCode")

        def details(names: list[str]) -> dict:
            return {"TaxRateDetail": [{"TaxRateRef": {"value": rate_ids[n], "name": n}, "TaxTypeApplicable":
                                       "TaxOnAmount", "TaxOrder": k} for k, n in enumerate(names)]}

        rec = {"Id": rid, "SyncToken": "0", "Name": name, "Description": name, "Active": True,
               "Taxable": bool(sales or purchase), "TaxGroup": len(sales) > 1, "Hidden": False,
               "SalesTaxRateList": details(sales), "PurchaseTaxRateList": details(purchase),
               "domain": "QBO", "sparse": False}
        with co.at(now - 60 * DAY):
            co._stamp(rec, created=True)
        co.store.put(co.realm, "TaxCode", rid, rec)
        codes[name] = rid
    if co.us_sales_tax and co.profile["Country"] == "US":
        co.profile["DefaultSalesTaxCode"] = codes["California"]


def _default_codes(co: Company) -> tuple[str | None, str | None]:
    """The tax codes seeded lines use: TAX on US lines (the rate comes from TxnTaxCodeRef), the standard rate
    elsewhere."""
    if co.profile["Country"] == "US":
        return "TAX", None
    by_name = {r["Name"]: r["Id"] for r in co.all("TaxCode")}
    if co.profile["Country"] == "AU":
        return by_name.get("GST"), by_name.get("GST")
    if co.profile["Country"] == "IE":
        return by_name.get("23% S"), by_name.get("23% S")
    return by_name.get("20.0% S"), by_name.get("20.0% S")
