"""Seeded, realistic books per tenant: organisation, currencies, tax rates, chart of accounts, tracking,
contacts, items, sales invoices and bills in every status, credit notes with allocations, and payments.
Everything goes through the same write rules as the API, so seeded data obeys them too."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from . import books as books_module
from .books import CREDIT_NOTE, INVOICE, Books

TENANTS = [
    {"tenantName": "Scoro Demo OÜ", "BaseCurrency": "EUR", "CountryCode": "EE", "Version": "GLOBAL",
     "Timezone": "FLESTANDARDTIME", "extra": ["USD", "GBP", "SEK"],
     "taxes": [("OUTPUT", "Tax on Sales 24%", 24.0, "OUTPUT"), ("INPUT", "Tax on Purchases 24%", 24.0, "INPUT"),
               ("OUTPUT2", "Reduced Rate 9%", 9.0, "OUTPUT"), ("NONE", "No Tax", 0.0, "NONE")],
     # rates the organisation added itself (TAX001…): Estonia's 22 % standard rate before July 2025
     "own_taxes": [("Standard 22%", 22.0)]},
    {"tenantName": "Demo Company (UK)", "BaseCurrency": "GBP", "CountryCode": "GB", "Version": "UK",
     "Timezone": "GMTSTANDARDTIME", "extra": ["EUR", "USD"],
     "taxes": [("OUTPUT2", "20% (VAT on Income)", 20.0, "OUTPUT"), ("INPUT2", "20% (VAT on Expenses)", 20.0, "INPUT"),
               ("RROUTPUT", "5% (VAT on Income)", 5.0, "OUTPUT"), ("ZERORATEDOUTPUT", "Zero Rated Income", 0.0,
                                                                   "OUTPUT"),
               ("NONE", "No VAT", 0.0, "NONE")]},
    {"tenantName": "Demo Company (US)", "BaseCurrency": "USD", "CountryCode": "US", "Version": "US",
     "Timezone": "EASTERNSTANDARDTIME", "extra": ["EUR", "CAD"],
     "taxes": [("OUTPUT", "Sales Tax 8.875%", 8.875, "OUTPUT"), ("INPUT", "Purchases", 0.0, "INPUT"),
               ("NONE", "Tax Exempt", 0.0, "NONE")]},
]
ACCOUNTS = [  # code, name, type, system account, sales/purchase side
    ("090", "Business Bank Account", "BANK", None, None), ("091", "Business Savings Account", "BANK", None, None),
    ("200", "Sales", "REVENUE", None, "S"), ("260", "Other Revenue", "REVENUE", None, "S"),
    ("270", "Interest Income", "REVENUE", None, None), ("310", "Cost of Goods Sold", "DIRECTCOSTS", None, "P"),
    ("400", "Advertising", "OVERHEADS", None, "P"), ("404", "Bank Fees", "OVERHEADS", None, None),
    ("412", "Consulting & Accounting", "EXPENSE", None, "P"), ("429", "General Expenses", "EXPENSE", None, "P"),
    ("453", "Office Expenses", "EXPENSE", None, "P"), ("469", "Rent", "OVERHEADS", None, "P"),
    ("489", "Telephone & Internet", "OVERHEADS", None, "P"), ("493", "Travel - National", "EXPENSE", None, "P"),
    ("610", "Accounts Receivable", "CURRENT", "DEBTORS", None), ("720", "Computer Equipment", "FIXED", None, None),
    ("800", "Accounts Payable", "CURRLIAB", "CREDITORS", None), ("820", "Sales Tax", "CURRLIAB", "GST", None),
    ("860", "Rounding", "CURRLIAB", "ROUNDING", None), ("960", "Retained Earnings", "EQUITY", "RETAINEDEARNINGS", None),
]
COMPANY_WORDS = ["Nordic", "Baltic", "Blue", "Granite", "Northwind", "Harbour", "Linden", "Amber", "Summit", "Pine",
                 "Riverside", "Aurora", "Meridian", "Cobalt", "Oak", "Silver", "Falcon", "Juniper", "Harbor", "Vista"]
COMPANY_KINDS = ["Consulting", "Digital", "Logistics", "Studio", "Media", "Architects", "Engineering", "Foods",
                 "Labs", "Partners", "Systems", "Design", "Analytics", "Events", "Interiors"]
SUFFIX = {"EE": ["OÜ", "AS"], "GB": ["Ltd", "LLP"], "US": ["Inc", "LLC"]}
FIRST = ["Mari", "Kristjan", "Liis", "Andres", "Emma", "Oliver", "Sofia", "Lucas", "Grete", "Martin", "Anna", "John"]
LAST = ["Tamm", "Saar", "Smith", "Kask", "Jones", "Brown", "Mets", "Taylor", "Rebane", "Wilson", "Ilves", "Clarke"]
SERVICES = [("CONSULT", "Consulting hour", 95.0), ("DESIGN", "Design hour", 80.0), ("PM", "Project management", 85.0),
            ("DEV", "Development hour", 105.0), ("WORKSHOP", "Workshop day", 1200.0), ("SUPPORT", "Support plan",
                                                                                         450.0),
            ("LICENSE", "Software licence", 39.0), ("TRAVEL", "Travel expenses", 1.0), ("AUDIT", "Audit package",
                                                                                       2400.0),
            ("TRAINING", "Training session", 650.0), ("HOSTING", "Hosting (monthly)", 120.0),
            ("PHOTO", "Photography day", 900.0)]


def tenant_profiles(seed: int, count: int) -> list[dict]:
    rng = random.Random(f"tenants:{seed}")
    out = []
    for i in range(count):
        base = TENANTS[i % len(TENANTS)]
        name = base["tenantName"] if i < len(TENANTS) else f"{base['tenantName']} {i + 1}"
        tid = str(__import__("uuid").UUID(int=rng.getrandbits(128), version=4))
        out.append({**base, "tenantName": name, "tenantId": tid, "tenantType": "ORGANISATION"})
    return out


def populate(b: Books, profile: dict, seed: int, size: int, start_ts: float) -> None:
    rng = random.Random(f"data:{seed}:{profile['tenantId']}")
    books_module._id_rng.append(random.Random(f"ids:{seed}:{profile['tenantId']}"))
    real_now = b.now
    t = [start_ts - 120 * 86400]

    def tick() -> float:
        t[0] += rng.uniform(60, 3 * 3600)
        t[0] = min(t[0], start_ts - 60)
        return t[0]

    b.now = tick
    try:
        _populate(b, profile, rng, size, start_ts, t)
    finally:
        b.now = real_now
        books_module._id_rng.pop()


def _populate(b: Books, p: dict, rng: random.Random, size: int, start_ts: float, t: list[float]) -> None:
    _books(b, p, rng, size, start_ts, t)
    for name, rate in p.get("own_taxes", []):  # last, so the records made before keep their seeded values
        b.upsert_tax_rate({"Name": name, "TaxComponents": [{"Name": "VAT", "Rate": rate}]}, create_only=True)


def _books(b: Books, p: dict, rng: random.Random, size: int, start_ts: float, t: list[float]) -> None:
    org = {"OrganisationID": b.tenant, "APIKey": "", "Name": p["tenantName"], "LegalName": p["tenantName"],
           "PaysTax": True, "Version": p["Version"], "OrganisationType": "COMPANY", "BaseCurrency": p["BaseCurrency"],
           "CountryCode": p["CountryCode"], "IsDemoCompany": False, "OrganisationStatus": "ACTIVE",
           "FinancialYearEndDay": 31, "FinancialYearEndMonth": 12, "SalesTaxBasis": "ACCRUALS",
           "SalesTaxPeriod": "MONTHLY", "DefaultSalesTax": "Tax Exclusive", "DefaultPurchasesTax": "Tax Exclusive",
           "Timezone": p["Timezone"], "OrganisationEntityType": "COMPANY", "ShortCode": "!" + b.tenant[:5],
           "Class": "STANDARD", "Edition": "BUSINESS", "LineOfBusiness": "Professional services",
           "_created": start_ts - 400 * 86400}
    b.store.put(b.tenant, "Organisation", b.tenant, org)
    for code in [p["BaseCurrency"], *p["extra"]]:
        b.add_currency({"Code": code})
    for tax_type, name, rate, report in p["taxes"]:
        n = len(b.rows("TaxRates"))
        b.upsert_tax_rate({"Name": name, "TaxComponents": [{"Name": "Tax", "Rate": rate}]}, create_only=True)
        rec = b.rows("TaxRates")[n]
        b.store.delete(b.tenant, "TaxRates", rec["TaxType"])
        rec.update(TaxType=tax_type, ReportTaxType=report, _system=True)
        b.store.put(b.tenant, "TaxRates", tax_type, rec)
    sales_tax, purchase_tax = p["taxes"][0][0], p["taxes"][1][0]
    org["_sales_tax"], org["_purchase_tax"] = sales_tax, purchase_tax
    b.store.put(b.tenant, "Organisation", b.tenant, org)
    for code, name, typ, system, side in ACCOUNTS:
        el = {"Code": code, "Name": name, "Type": typ,
              "TaxType": sales_tax if side == "S" else purchase_tax if side == "P" else "NONE"}
        if typ == "BANK":
            el["BankAccountNumber"] = f"EE{rng.randint(10**15, 10**16 - 1)}"
        acc = b.upsert_account(el, create_only=True)
        if system:
            b.store.put(b.tenant, "Accounts", acc["AccountID"], {**acc, "SystemAccount": system})
    region = b.upsert_tracking_category({"Name": "Region"}, create_only=True)
    for name in ("North", "South", "East", "West"):
        b.upsert_option(region["TrackingCategoryID"], {"Name": name})
    west = next(o for o in b.get("TrackingCategories", region["TrackingCategoryID"])["Options"]  # type: ignore[index]
                if o["Name"] == "West")
    b.upsert_option(region["TrackingCategoryID"], {"Status": "ARCHIVED"}, west["TrackingOptionID"])
    dept = b.upsert_tracking_category({"Name": "Department"}, create_only=True)
    for name in ("Consulting", "Design", "Development"):
        b.upsert_option(dept["TrackingCategoryID"], {"Name": name})
    if size == 0:  # an empty organisation: settings only (no items, contacts or documents)
        return
    for code, name, price in SERVICES:
        b.upsert_item({"Code": code, "Name": name, "Description": name,
                       "SalesDetails": {"UnitPrice": price, "AccountCode": "200", "TaxType": sales_tax},
                       "PurchaseDetails": {"UnitPrice": round(price * 0.6, 2), "AccountCode": "310",
                                           "TaxType": purchase_tax}}, create_only=True)
    contacts: list[dict] = []
    names: set[str] = set()
    n_contacts = max(6, size // 2 + 4)
    while len(contacts) < n_contacts:
        name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {rng.choice(SUFFIX[p['CountryCode']])}"
        if name in names:
            name = f"{name} {len(names)}"
        names.add(name)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        slug = name.split()[0].lower()
        contacts.append(b.upsert_contact({
            "Name": name, "ContactNumber": f"C{len(contacts) + 1:05d}", "FirstName": first, "LastName": last,
            "EmailAddress": f"{first.lower()}.{last.lower()}@{slug}.example", "TaxNumber": f"{p['CountryCode']}"
                                                                                            f"{rng.randint(10**8, 10**9)}",
            "Addresses": [{"AddressType": "POBOX", "AddressLine1": f"{rng.randint(1, 99)} Main Street",
                           "City": {"EE": "Tallinn", "GB": "London", "US": "New York"}[p["CountryCode"]],
                           "PostalCode": str(rng.randint(10000, 99999)), "Country": p["CountryCode"]}],
            "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": str(rng.randint(5000000, 5999999))}]}, create_only=True))
    archived = contacts[-1]
    b.upsert_contact({"ContactID": archived["ContactID"], "ContactStatus": "ARCHIVED"}, create_only=False)
    live = contacts[:-1]
    region_opts = [o for o in b.get("TrackingCategories", region["TrackingCategoryID"])["Options"]  # type: ignore[index]
                   if o["Status"] == "ACTIVE"]
    start_day = datetime.fromtimestamp(start_ts, UTC).date()
    count = size + size // 2
    ages = sorted((rng.randint(1, 110) for _ in range(count)), reverse=True)  # oldest first: stamps follow dates
    kinds = [i < size for i in range(count)]
    rng.shuffle(kinds)
    # the first sales invoices get one of each fate, so even a small tenant shows every status
    fates = ["deleted", "voided", "paid", "part"]
    inv: dict | None
    for sales, age in zip(kinds, ages, strict=True):
        contact = rng.choice(live)
        day = start_day - timedelta(days=age)
        day_ts = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
        t[0] = min(max(t[0], day_ts + rng.uniform(8 * 3600, 30 * 3600)), start_ts - 3600)
        lines = []
        for _ in range(rng.randint(1, 3)):
            code, name, price = rng.choice(SERVICES)
            line = {"ItemCode": code, "Quantity": rng.choice([1, 2, 4, 8, 10]), "AccountCode": "200" if sales else
                    rng.choice(["310", "412", "429", "453", "469"])}
            if rng.random() < 0.3:
                line["Tracking"] = [{"Name": "Region", "Option": rng.choice(region_opts)["Name"]}]
            lines.append(line)
        fate = fates.pop(0) if sales and fates else None
        status = "DRAFT" if fate == "deleted" else "AUTHORISED" if fate else \
            rng.choices(["DRAFT", "SUBMITTED", "AUTHORISED"], [2, 1, 7])[0]
        currency = p["BaseCurrency"] if rng.random() < 0.85 else p["extra"][0]
        el = {"Type": "ACCREC" if sales else "ACCPAY", "Contact": {"ContactID": contact["ContactID"]},
              "Date": day.isoformat(), "DueDate": (day + timedelta(days=14)).isoformat(), "Status": status,
              "LineItems": lines, "CurrencyCode": currency, "LineAmountTypes": "Exclusive"}
        if sales:
            el["Reference"] = f"Project {rng.randint(100, 999)}"
        else:
            el["InvoiceNumber"] = f"BILL-{rng.randint(1000, 9999)}"
        inv = b.upsert_doc(INVOICE, el, create_only=True)
        roll = {"deleted": 0.05, "voided": 0.47, "paid": 0.1, "part": 0.4}[fate] if fate else rng.random()
        if status == "AUTHORISED" and roll < 0.45:
            _pay(b, rng, inv, full=roll < 0.3, day=day)
        elif status == "AUTHORISED" and roll < 0.5:
            b.upsert_doc(INVOICE, {"Status": "VOIDED"}, create_only=False, path_id=inv["InvoiceID"])
        elif status == "DRAFT" and roll < 0.1:
            b.upsert_doc(INVOICE, {"Status": "DELETED"}, create_only=False, path_id=inv["InvoiceID"])
    open_ids = [d["InvoiceID"] for d in b.rows("Invoices") if d["Status"] == "AUTHORISED"]
    for _ in range(max(1, size // 10)):
        inv = None
        while open_ids and inv is None:   # draw until an invoice is still open (allocations close some)
            n = rng.randrange(len(open_ids))
            inv = b.get("Invoices", open_ids[n])
            if inv is None or inv["Status"] != "AUTHORISED":
                open_ids[n] = open_ids[-1]
                open_ids.pop()
                inv = None
        if inv is None:
            break
        amount = round(min(float(inv["AmountDue"]), rng.choice([50.0, 100.0, 250.0])), 2)
        cn = b.upsert_doc(CREDIT_NOTE, {
            "Type": "ACCRECCREDIT" if inv["Type"] == "ACCREC" else "ACCPAYCREDIT", "Contact": inv["Contact"],
            "Date": inv["Date"], "Status": "AUTHORISED", "CurrencyCode": inv["CurrencyCode"],
            "LineAmountTypes": "NoTax",
            "LineItems": [{"Description": "Goodwill discount", "Quantity": 1, "UnitAmount": amount,
                           "AccountCode": "200" if inv["Type"] == "ACCREC" else "429"}]}, create_only=True)
        if rng.random() < 0.7:
            b.allocate(cn["CreditNoteID"], {"Amount": amount, "Date": inv["Date"],
                                            "Invoice": {"InvoiceID": inv["InvoiceID"]}})


def _pay(b: Books, rng: random.Random, inv: dict, full: bool, day: date) -> None:
    amount = float(inv["AmountDue"]) if full else round(float(inv["AmountDue"]) * rng.choice([0.25, 0.5]), 2)
    if amount <= 0:
        return
    b.create_payment({"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Account": {"Code": "090"},
                      "Date": (day + timedelta(days=rng.randint(1, 20))).isoformat(), "Amount": amount,
                      "Reference": f"Bank transfer {rng.randint(1000, 9999)}"})
