"""The Scoro ↔ QuickBooks Online integration: its categories in dependency order, the directions each may run
in (as Scoro's own integration allows them), its settings (`[quickbooks_sync]` in scorolink.toml), the checks
Scoro's integration makes before a sync, and the engine that runs them.

Reference data (tax rates, chart of accounts, classes: the "background items") and projects come from
QuickBooks and are managed there; contacts, products, invoices (with credit memos), bills and receipts run
one way at a time, Scoro → QuickBooks by default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scorolink.errors import ConfigError
from scorolink.integrations.quickbooks import mappings as qbm
from scorolink.integrations.quickbooks.contacts import QuickBooksContacts
from scorolink.integrations.quickbooks.credits import CreditApplications, applications, applies_credit
from scorolink.integrations.quickbooks.sides import Part, QuickBooksSide
from scorolink.sync import rules
from scorolink.sync.categories import (
    PairedCategory,
    SameDocument,
    application_keys,
    code_keys,
    contact_keys,
    contacts_compatible,
    document_keys,
    documents_compatible,
    norm,
    receipt_match_keys,
    receipts_compatible,
    tracking_keys,
)
from scorolink.sync.category_tables import read_category
from scorolink.sync.engine import StoreResolver, SyncEngine
from scorolink.sync.planner import CategorySettings
from scorolink.sync.scoro_categories import BOOKMARKABLE, ScoroCategories
from scorolink.sync.sides import Refs
from scorolink.sync.store import SyncStore

TABLE = "quickbooks_sync"
ORDER = ("tax_rates", "accounts", "classes", "contacts", "projects", "products", "invoices", "credit_notes",
         "credit_applications", "bills", "receipts")
# Credit memos and their application to the invoices they credit are part of the invoices category (as in
# Scoro): they take its enablement, direction, start date and bookmark, and have no settings of their own.
FOLLOW_INVOICES = ("credit_notes", "credit_applications")
BACKGROUND = ("tax_rates", "accounts", "classes")  # Scoro's "background items", on their own schedule
DIRECTIONS = {  # what Scoro's QuickBooks integration allows per category; the first is the default
    "tax_rates": ("b_to_a",), "accounts": ("b_to_a",), "classes": ("b_to_a",), "projects": ("b_to_a",),
    "contacts": ("a_to_b", "b_to_a"), "products": ("a_to_b", "b_to_a"), "invoices": ("a_to_b", "b_to_a"),
    "credit_notes": ("a_to_b", "b_to_a"), "credit_applications": ("a_to_b", "b_to_a"), "bills": ("a_to_b", "b_to_a"),
    "receipts": ("a_to_b", "b_to_a"),
}
NAMES = {"a_to_b": "to-quickbooks", "b_to_a": "to-scoro"}
# Records that come along with the documents that use them, even with their category off (seed).
FOLLOW = {"contacts", "products"}
MANAGED_IN_QUICKBOOKS = {"tax_rates", "accounts", "classes"}  # Scoro's edits are reported, not pushed
SCHEDULES = {"hourly": "every 1h", "daily": "every 1d", "weekly": "every 7d"}  # as the runtime's schedules
MODES = ("automatic", "manual")


@dataclass
class QuickBooksSyncConfig:
    categories: dict[str, CategorySettings] = field(default_factory=lambda: {
        name: CategorySettings(direction=DIRECTIONS[name][0], as_dependency=name in FOLLOW, enabled=False,
                               report_edits_elsewhere=name in MANAGED_IN_QUICKBOOKS) for name in ORDER})
    chosen: list[str] = field(default_factory=list)  # the categories the configuration names
    mode: str | None = None  # automatic | manual: must be chosen before the first sync
    schedule: str = "hourly"  # automatic: hourly | daily | weekly
    background_schedule: str = "daily"  # background items' own schedule (automatic mode)
    default_income_account: str | None = None  # QuickBooks account (number or name) for new products
    default_expense_account: str | None = None  # for bill lines without a product
    tax_map: dict[str, str] = field(default_factory=dict)  # Scoro VAT code -> QuickBooks tax code name
    sync_without_tax: bool = False  # documents from QuickBooks carry only the subtotal (no tax details)
    attachments: str = "automatic"  # automatic: with their invoice or bill | manual: `--object attachments:ID`
    bookmarks: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuickBooksSyncConfig:
        """`[quickbooks_sync]`: mode, schedule, background_schedule, default_income_account,
        default_expense_account, sync_without_tax, attachments, tax_map; `[quickbooks_sync.<category>]`: enabled,
        direction (to-quickbooks | to-scoro), start_date, bookmark."""
        config = cls()
        data = dict(data)
        for key in ("mode", "schedule", "background_schedule", "default_income_account", "default_expense_account",
                    "attachments"):
            if key in data:
                setattr(config, key, str(data.pop(key)))
        config.sync_without_tax = bool(data.pop("sync_without_tax", False))
        tax_map = data.pop("tax_map", {})
        if not isinstance(tax_map, dict):
            raise ConfigError(f"[{TABLE}.tax_map] must be a table of Scoro VAT code = \"QuickBooks tax code\".")
        config.tax_map = {str(k): str(v) for k, v in tax_map.items()}
        if config.mode is not None and config.mode not in MODES:
            raise ConfigError(f"[{TABLE}] mode {config.mode!r}: use automatic or manual.")
        for key in ("schedule", "background_schedule"):
            if getattr(config, key) not in SCHEDULES:
                raise ConfigError(f"[{TABLE}] {key} {getattr(config, key)!r}: use hourly, daily or weekly.")
        if config.attachments not in ("automatic", "manual"):
            raise ConfigError(f"[{TABLE}] attachments {config.attachments!r}: use automatic or manual.")
        unknown = set(data) - set(ORDER)
        if unknown:
            raise ConfigError(f"[{TABLE}]: unknown setting or categor{'ies' if len(unknown) > 1 else 'y'} "
                              f"{', '.join(sorted(unknown))}; categories are {', '.join(ORDER)}.")
        for name in FOLLOW_INVOICES:
            if name in data:
                raise ConfigError(f"[{TABLE}.{name}]: credit memos (and their application to the invoices they "
                                  f"credit) are part of the invoices category, as in Scoro; set them under "
                                  f"[{TABLE}.invoices].")
        for name, values in data.items():
            bookmark = read_category(TABLE, name, values, config.categories[name], directions=DIRECTIONS[name],
                                     names=NAMES, bookmarkable=[k for k in BOOKMARKABLE if k != "credit_notes"])
            config.chosen.append(name)
            if bookmark is not None:
                config.bookmarks[name] = bookmark
        invoices = config.categories["invoices"]
        for name in FOLLOW_INVOICES:
            follower = config.categories[name]
            follower.enabled, follower.direction = invoices.enabled, invoices.direction
            follower.start_date = invoices.start_date
        if "invoices" in config.bookmarks:
            config.bookmarks["credit_notes"] = config.bookmarks["invoices"]
        return config

    def check_ready(self) -> None:
        """Scoro's integration saves its setup (and syncs) only once these are set."""
        missing = []
        if not any(self.categories[n].enabled for n in ORDER):
            missing.append(f"what to sync (a [{TABLE}.<category>] table, `scorolink quickbooks configure "
                           "--category invoices --enable`)")
        if self.mode is None:
            missing.append("automatic or manual synchronisation (`--mode automatic --schedule hourly` or "
                           "`--mode manual`)")
        if not self.default_income_account:
            missing.append("the default income account (`--default-income-account`)")
        if not self.default_expense_account:
            missing.append("the default expense account (`--default-expense-account`)")
        if missing:
            raise ConfigError("Set up the QuickBooks integration before its first sync: " + "; ".join(missing) + ".")


# -- keys ------------------------------------------------------------------------------------------------
def name_keys(shared: dict[str, Any]) -> list[str]:
    """Products match by name (Scoro's QuickBooks integration matches them so on the initial sync)."""
    return [f"name:{norm(shared['name'])}"] if shared.get("name") else []


def project_keys(shared: dict[str, Any]) -> list[str]:
    """Projects match by name and client; a different client is a different project."""
    return [f"project:{norm(shared['name'])}|{shared.get('client') or ''}"] if shared.get("name") else []


# -- the company -----------------------------------------------------------------------------------------
class Company:
    """What the QuickBooks company's Preferences say (read once per run)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._prefs: dict[str, Any] | None = None

    @property
    def prefs(self) -> dict[str, Any]:
        if self._prefs is None:
            self._prefs = self.client.preferences()
        return self._prefs

    @property
    def home_currency(self) -> str | None:
        found = (self.prefs.get("CurrencyPrefs") or {}).get("HomeCurrency")
        return str(found.get("value") if isinstance(found, dict) else found or "") or None

    @property
    def multicurrency(self) -> bool:
        return bool((self.prefs.get("CurrencyPrefs") or {}).get("MultiCurrencyEnabled"))

    @property
    def class_tracking(self) -> bool:
        return bool((self.prefs.get("AccountingInfoPrefs") or {}).get("ClassTrackingPerTxnLine"))


def scoro_currency(scoro: Any) -> str | None:
    """The Scoro company account's base currency."""
    account = str(scoro.client.settings.company_account_id or "")
    entities = list(scoro.read("BusinessEntity"))
    mine = [e for e in entities if str(e.get("Id")) == account] or entities[:1]
    return str(mine[0].get("BaseCurrency") or "").upper() or None if mine else None


def check_currency(scoro: Any, company: Company) -> None:
    """As in Scoro: the connection cannot be activated while the home currencies differ."""
    theirs, mine = (company.home_currency or "").upper(), scoro_currency(scoro)
    if theirs and mine and theirs != mine:
        raise ConfigError(f"QuickBooks keeps its books in {theirs} and Scoro in {mine}: the connection cannot be "
                          f"activated while they differ. Change Scoro's base currency (Settings → Sales and finance → "
                          f"Currencies) to {theirs}, or QuickBooks' currency (Settings → Advanced → Currency, or "
                          "turn on multicurrency) to match, then connect again.")


# -- the categories --------------------------------------------------------------------------------------
def quickbooks_categories(scoro: Any, connector: Any, refs: Refs, config: QuickBooksSyncConfig,
                          company: Company) -> list[PairedCategory]:
    """Scoro's adapters (sync.scoro_categories, shared with every counterpart) paired with QuickBooks'."""
    qb = qbm.QuickBooksReference(connector, default_income_account=config.default_income_account,
                                 default_expense_account=config.default_expense_account, tax_map=config.tax_map,
                                 home_currency=lambda: company.home_currency)
    refs.listeners.append(qb.forget)
    track = company.class_tracking
    scoro_side = ScoroCategories(scoro, refs, counterpart_item=qb.item_id,
                                 tracking_category="classes" if track else None, bookmarks=config.bookmarks,
                                 config_table=TABLE)
    a, codes = scoro_side.sides(), scoro_side.codes
    profiles: dict[Any, Any] = {}

    def currency_of(shared: dict[str, Any]) -> str | None:
        """A new contact's currency: its Scoro client profile's, else the site's (seed)."""
        profile = shared.get("_client_profile")
        if profile and not profiles:
            profiles.update({str(p["Id"]): p.get("Currency") for p in scoro.read("ClientProfiles")})
        currency = (profiles.get(str(profile)) if profile else None) or scoro_currency(scoro)
        if currency and not company.multicurrency and currency != company.home_currency:
            return None  # QuickBooks takes only its home currency then; the document check names the mismatch
        return currency

    contacts = QuickBooksContacts(connector, currency_of)
    refs.listeners.append(contacts.forget)

    def contact_currency(side_id: str) -> str | None:
        found = contacts.cached(side_id)
        return found.shared.get("_currency") if found else None

    def bank_account() -> str | None:
        banks = [r for r in connector.read("Account") if r.get("AccountType") == "Bank"]
        return str(banks[0]["Id"]) if banks else None

    def doc(category: str) -> qbm.Mapping:
        return qbm.documents(category, codes, qb, contact_currency, without_tax=config.sync_without_tax,
                             track_classes=track, vendor_for=contacts.vendor_for,
                             customer_for=contacts.customer_for, canonical=contacts.canonical)

    payment, bill_payment = qbm.receipts(connector, bank_account)
    b: dict[str, Any] = {
        "tax_rates": QuickBooksSide(connector, [Part("TaxCode", qbm.tax_rates(qb))], refs, cursor=None),
        "accounts": QuickBooksSide(connector, [Part("Account", qbm.accounts())], refs),
        "classes": QuickBooksSide(connector, [Part("Class", qbm.classes())], refs),
        "contacts": contacts,
        "projects": QuickBooksSide(connector, [Part("Customer", qbm.projects(contacts.canonical), keep=lambda r: bool(
            r.get("IsProject")))], refs),
        "products": QuickBooksSide(connector, [Part("Item", qbm.products(codes, qb))], refs),
        "invoices": QuickBooksSide(connector, [Part("Invoice", doc("invoices"))], refs),
        "credit_notes": QuickBooksSide(connector, [Part("CreditMemo", doc("credit_notes"))], refs),
        "bills": QuickBooksSide(connector, [Part("Bill", doc("bills"))], refs),
        "credit_applications": CreditApplications(connector, [Part("Payment", applications(connector),
                                                                   keep=applies_credit)], refs),
        "receipts": QuickBooksSide(connector, [Part("Payment", payment, prefix="p"),
                                               Part("BillPayment", bill_payment, prefix="bp")], refs),
    }
    a["classes"] = a["tracking"]
    keys: dict[str, Callable[[dict[str, Any]], list[str]]] = {
        "tax_rates": code_keys, "accounts": code_keys, "classes": tracking_keys, "contacts": contact_keys,
        "projects": project_keys, "products": name_keys, "invoices": document_keys, "credit_notes": document_keys,
        "credit_applications": application_keys, "bills": document_keys, "receipts": receipt_match_keys}
    same_document, receipts_document = documents_compatible(SameContact(scoro, contacts)), SameDocument()
    compatible = {"contacts": contacts_compatible, "invoices": same_document, "credit_notes": same_document,
                  "bills": same_document, "receipts": receipts_compatible(receipts_document)}
    paired = [PairedCategory(name, a[name], b[name], keys[name], batch_size=connector.client.settings.batch_size,
                             compatible=compatible.get(name, lambda _a, _b: True)) for name in ORDER]
    receipts_document.categories = {c.name: c for c in paired}
    return paired


class SameContact:
    """Whether Scoro contact `scoro_id` and QuickBooks contact `qb_id` would match as contacts (name plus VAT
    number or email), so a document can be matched on a first sync before its contact is linked."""

    def __init__(self, scoro: Any, contacts: QuickBooksContacts) -> None:
        self.scoro, self.contacts = scoro, contacts
        self._a: dict[str, dict[str, Any]] | None = None

    def __call__(self, scoro_id: str, qb_id: str) -> bool:
        from scorolink.sync.scoro_contacts import COLUMNS
        from scorolink.sync.scoro_contacts import to_shared as scoro_shared

        if self._a is None:
            self._a = {str(r["Id"]): scoro_shared(r) for r in self.scoro.read("Contacts", columns=COLUMNS)}
        theirs = self.contacts.cached(qb_id)
        a = self._a.get(str(scoro_id))
        if a is None or theirs is None:
            return False
        b = theirs.shared
        return bool(set(contact_keys(a)) & set(contact_keys(b))) and contacts_compatible(a, b)


def quickbooks_engine(store: SyncStore, job: str, scoro: Any, connector: Any,
                      config: QuickBooksSyncConfig | None = None, company: Company | None = None) -> SyncEngine:
    refs = Refs()
    refs.resolver = resolver = StoreResolver(store, job)
    config = config or QuickBooksSyncConfig()
    company = company or Company(connector.client)
    return SyncEngine(store, job, quickbooks_categories(scoro, connector, refs, config, company), config.categories,
                      resolver)


def check_class_tracking(store: SyncStore, job: str, config: QuickBooksSyncConfig, company: Company) -> None:
    """Classes need class tracking per line in QuickBooks: when it is off, the category is skipped this run
    and the reason kept as an open error (resolved once tracking is on)."""
    if not config.categories["classes"].enabled:
        return
    if company.class_tracking:
        store.resolve_errors(job, "classes", "b", "preferences")
        return
    config.categories["classes"].enabled = False
    per_transaction = bool((company.prefs.get("AccountingInfoPrefs") or {}).get("ClassTrackingPerTxn"))
    message = ("classes are tracked per transaction in QuickBooks, and Scoro takes them per document line: set "
               "'Assign classes' to 'One to each row in transaction' under Settings → Advanced → Categories to "
               "sync classes") if per_transaction else (
        "class tracking is off in QuickBooks: turn on 'Track classes' (one to each row in transaction) under "
        "Settings → Advanced → Categories to sync classes")
    store.record_error(job, "classes", "a", "preferences", "validation", message)


def check_manual_send(store: SyncStore, job: str, scoro: Any, connector: Any, category: str, document_id: str) -> None:
    """A manual send of one invoice or bill works only until a payment is attached to it (seed)."""
    def paid_in_quickbooks(counterpart: str) -> bool:
        [document] = connector.fetch("Bill" if category == "bills" else "Invoice", [counterpart]) or [{}]
        return bool(document) and qbm.dec(document.get("Balance")) != qbm.dec(document.get("TotalAmt"))

    rules.check_manual_send(store, job, scoro, category, document_id, system="QuickBooks",
                            paid_there=paid_in_quickbooks)


def pull_receipts(engine: SyncEngine, store: SyncStore, job: str, connector: Any, document_id: str, *,
                  dry_run: bool = False) -> Any:
    """The QuickBooks payments on one synced invoice or bill, until the document is fully received."""
    receipts = engine.settings["receipts"]
    if not (receipts.enabled and receipts.direction == "b_to_a"):
        raise ConfigError("Pulling receipts from QuickBooks needs the receipts category on, to Scoro (one way at a "
                          "time): `scorolink quickbooks configure --category receipts --enable --direction "
                          "to-scoro`.")
    kinds = {"invoices": ("Invoice", "Payment", "p"), "bills": ("Bill", "BillPayment", "bp")}
    found = [(c, store.counterpart(job, c, "a", document_id)) for c in kinds]
    category, counterpart = next(((c, x) for c, x in found if x), ("", None))
    if counterpart is None:
        raise ConfigError(f"Scoro invoice or bill {document_id} is not synced with QuickBooks; sync it first "
                          f"(--object invoices:{document_id}).")
    entity, payment_entity, prefix = kinds[category]
    [document] = connector.fetch(entity, [counterpart]) or [{}]
    payments = [t["TxnId"] for t in document.get("LinkedTxn") or [] if t.get("TxnType") == payment_entity]
    pulled = all(store.counterpart(job, "receipts", "b", f"{prefix}{p}") for p in payments)
    if document and qbm.dec(document.get("Balance")) == 0 and pulled:
        raise ConfigError(f"Scoro {category[:-1]} {document_id} is fully received: nothing is due on it in QuickBooks "
                          "and every payment on it is in Scoro, so there is nothing more to pull.")
    return engine.run(dry_run=dry_run, records=[("receipts", "b", f"{prefix}{p}") for p in payments])
