"""The Scoro ↔ Xero integration: its categories in dependency order, the directions each may run
in (as Scoro's own integration allows them), and the engine that runs them.

Reference data comes from Xero (tax rates, chart of accounts) and is managed there; contacts,
products and invoices run one way at a time, Scoro → Xero by default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from scorolink.connectors.base import Condition
from scorolink.errors import ConfigError
from scorolink.integrations.xero.contacts import contacts_mapping
from scorolink.integrations.xero.mappings import (
    DOCUMENT_COLUMNS,
    SALES_COLUMNS,
    ScoroCodes,
    XeroReference,
    accounts,
    code_keys,
    credit_notes,
    document_keys,
    documents,
    products,
    receipt_keys,
    receipts,
    tax_rates,
    tracking,
    tracking_keys,
    xero_type,
)
from scorolink.sync.categories import PairedCategory, contact_keys, contacts_compatible, norm
from scorolink.sync.engine import StoreResolver, SyncEngine
from scorolink.sync.planner import CategorySettings
from scorolink.sync.scoro_contacts import ScoroContacts
from scorolink.sync.sides import Refs, ScoroSide, XeroSide
from scorolink.sync.store import SyncStore

ORDER = ("tax_rates", "accounts", "tracking", "contacts", "products", "invoices", "credit_notes", "bills",
         "receipts")
DIRECTIONS = {  # what Scoro's Xero integration allows per category; the first is the default
    "tax_rates": ("b_to_a",), "accounts": ("b_to_a",), "tracking": ("b_to_a",), "contacts": ("a_to_b", "b_to_a"),
    "products": ("a_to_b", "b_to_a"), "invoices": ("a_to_b", "b_to_a"), "credit_notes": ("a_to_b", "b_to_a"),
    "bills": ("a_to_b", "b_to_a"),
    "receipts": ("b_to_a",),
}
NAMES = {"a_to_b": "to-xero", "b_to_a": "to-scoro"}
# Categories whose records come along with the documents that use them, even when switched off
# (Scoro: "contacts are always synchronized if they are linked to an invoice"; products likewise).
FOLLOW = {"contacts", "products"}
# Reference data managed in Xero after the first sync: edits made in Scoro are not pushed, and are reported.
MANAGED_IN_XERO = {"tax_rates", "accounts"}
# A Scoro bookmark (saved view) can limit what is pushed for these (Scoro's "advanced filtering").
BOOKMARKABLE = {"contacts": ("contacts", "companies", "people"), "invoices": ("invoices",), "bills": ("bills",),
                "credit_notes": ("invoices",)}


@dataclass
class XeroSyncConfig:
    categories: dict[str, CategorySettings] = field(default_factory=lambda: {
        name: CategorySettings(direction=DIRECTIONS[name][0], as_dependency=name in FOLLOW, enabled=name != "tracking",
                               report_edits_elsewhere=name in MANAGED_IN_XERO)
        for name in ORDER})
    default_sales_account: str | None = None  # Xero account code for lines whose Scoro account Xero lacks
    default_expense_account: str | None = None  # the same for bills
    tax_map: dict[str, str] = field(default_factory=dict)  # Scoro VAT code -> Xero tax type
    tracking_category: str | None = None  # the one Xero tracking category whose options become accounting objects
    bookmarks: dict[str, str] = field(default_factory=dict)  # category -> Scoro bookmark (id or name) limiting pushes

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> XeroSyncConfig:
        """`[xero_sync.<category>]` tables: enabled, direction (to-xero | to-scoro), start_date."""
        config = cls()
        data = dict(data)
        config.default_sales_account = data.pop("default_sales_account", None)
        config.default_expense_account = data.pop("default_expense_account", None)
        config.tracking_category = data.pop("tracking_category", None)
        tax_map = data.pop("tax_map", {})
        if not isinstance(tax_map, dict):
            raise ConfigError("[xero_sync.tax_map] must be a table of Scoro VAT code = \"Xero tax type\".")
        config.tax_map = {str(k): str(v) for k, v in tax_map.items()}
        unknown = set(data) - set(ORDER)
        if unknown:
            raise ConfigError(f"[xero_sync]: unknown categor{'ies' if len(unknown) > 1 else 'y'} "
                              f"{', '.join(sorted(unknown))}; use {', '.join(ORDER)}.")
        for name, values in data.items():
            settings = config.categories[name]
            if values.get("bookmark") not in (None, ""):
                if name not in BOOKMARKABLE:
                    raise ConfigError(f"[xero_sync.{name}] bookmark: bookmarks limit what is pushed from Scoro for "
                                      f"{', '.join(sorted(BOOKMARKABLE))} only.")
                config.bookmarks[name] = str(values["bookmark"])
            settings.enabled = bool(values.get("enabled", True))
            if "direction" in values:
                settings.direction = parse_direction(name, str(values["direction"]))
            if values.get("start_date"):
                settings.start_date = date.fromisoformat(str(values["start_date"]))
        # tracking runs once a category is chosen (as in Scoro), unless switched off explicitly
        config.categories["tracking"].enabled = bool(config.tracking_category) and bool(
            data.get("tracking", {}).get("enabled", True))
        return config


def parse_direction(category: str, text: str) -> str:
    wanted = {"to-xero": "a_to_b", "to-scoro": "b_to_a"}.get(text.lower())
    allowed = DIRECTIONS[category]
    if wanted not in allowed:
        raise ConfigError(f"[xero_sync.{category}] direction {text!r}: use "
                          f"{' or '.join(NAMES[d] for d in allowed)} (one way at a time, as in Scoro).")
    return wanted


def bookmark_of(scoro: Any, category: str, value: str | None) -> Callable[[], Any] | None:
    """The bookmark's id, found by id or name among the bookmarks of the category's module (resolved
    on first use). Scoro applies the saved view as it is: its user and status filters cannot be seen
    through the API, so unlike Scoro's own integration they are not dropped — use bookmarks without them."""
    if not value:
        return None
    found: dict[str, Any] = {}

    def resolve() -> Any:
        if "id" not in found:
            modules = BOOKMARKABLE[category]
            marks = [b for b in scoro.read("Bookmarks") if str(b.get("Module") or "").lower() in modules]
            match = [b for b in marks if str(b.get("Id")) == value or norm(b.get("Name")) == norm(value)]
            if len(match) != 1:
                known = ", ".join(f"{b['Id']} {b['Name']!r}" for b in marks) or "none"
                raise ConfigError(f"[xero_sync.{category}] bookmark {value!r} is {'ambiguous' if match else 'unknown'}"
                                  f"; bookmarks of {'/'.join(modules)}: {known}.")
            found["id"] = match[0]["Id"]
        return found["id"]

    return resolve


def xero_categories(scoro: Any, xero: Any, refs: Refs, config: XeroSyncConfig) -> list[PairedCategory]:
    codes = ScoroCodes(scoro)
    marks = {name: bookmark_of(scoro, name, config.bookmarks.get(name)) for name in BOOKMARKABLE}
    xero_ref = XeroReference(xero, config.default_sales_account, config.tax_map, config.default_expense_account)
    refs.listeners += [codes.forget, xero_ref.forget]
    tax_a, tax_b = tax_rates(codes)
    acc_a, acc_b = accounts()
    prod_a, prod_b = products(codes, xero_ref)
    track_a, track_b = tracking(config.tracking_category, xero)
    inv_a, inv_b = documents("sales", codes, xero_ref, config.tracking_category)
    bill_a, bill_b = documents("purchase", codes, xero_ref, config.tracking_category)
    credit_a, credit_b = credit_notes(codes, xero_ref, xero, config.tracking_category)
    rec_a, rec_b = receipts(scoro)
    return [
        PairedCategory("tax_rates", ScoroSide(scoro, "VATCodes", tax_a, refs), XeroSide(xero, "TaxRates", "TaxType",
                                                                                         tax_b, refs), code_keys),
        PairedCategory("accounts", ScoroSide(scoro, "FinanceAccounts", acc_a, refs),
                       XeroSide(xero, "Accounts", "AccountID", acc_b, refs), code_keys),
        PairedCategory("tracking", ScoroSide(scoro, "AccountingObjects", track_a, refs, cursor=None),
                       XeroSide(xero, "TrackingOptions", "TrackingOptionID", track_b, refs, cursor=None),
                       tracking_keys),
        PairedCategory("contacts", ScoroContacts(scoro, bookmark=marks["contacts"]), XeroSide(xero, "Contacts", "ContactID", contacts_mapping(), refs),
                       contact_keys, compatible=contacts_compatible),
        PairedCategory("products", ScoroSide(scoro, "Products", prod_a, refs),
                       XeroSide(xero, "Items", "ItemID", prod_b, refs), code_keys),
        PairedCategory("invoices", ScoroSide(scoro, "Invoices", inv_a, refs, columns=SALES_COLUMNS,
                                             bookmark=marks["invoices"]),
                       XeroSide(xero, "Invoices", "InvoiceID", inv_b, refs, where=xero_type("sales")), document_keys),
        PairedCategory("credit_notes", ScoroSide(scoro, "Invoices", credit_a, refs, columns=SALES_COLUMNS,
                                                 bookmark=marks["credit_notes"]),
                       XeroSide(xero, "CreditNotes", "CreditNoteID", credit_b, refs,
                                where=[Condition("Type", "=", "ACCRECCREDIT")]), document_keys),
        PairedCategory("bills", ScoroSide(scoro, "Bills", bill_a, refs, columns=DOCUMENT_COLUMNS, bookmark=marks["bills"]),
                       XeroSide(xero, "Invoices", "InvoiceID", bill_b, refs, where=xero_type("purchase")),
                       document_keys),
        PairedCategory("receipts", ScoroSide(scoro, "ReceiptGroups", rec_a, refs),
                       XeroSide(xero, "Payments", "PaymentID", rec_b, refs), receipt_keys),
    ]


def xero_engine(store: SyncStore, job: str, scoro: Any, xero: Any, config: XeroSyncConfig | None = None) -> SyncEngine:
    refs = Refs()
    refs.resolver = resolver = StoreResolver(store, job)  # one resolver (and one cache of links) for the run
    config = config or XeroSyncConfig()
    return SyncEngine(store, job, xero_categories(scoro, xero, refs, config), config.categories, resolver)


def check_currencies(scoro: Any, xero: Any) -> None:
    """As in Scoro: the connection cannot be used while a currency Xero uses is not active in Scoro."""
    used = {str(c["Code"]).upper() for c in xero.read("Currencies") if c.get("Code")}
    active: set[str] = set()
    for entity in scoro.read("BusinessEntity"):
        active |= {str(c).upper() for c in entity.get("ActiveCurrencies") or []}
        if entity.get("BaseCurrency"):
            active.add(str(entity["BaseCurrency"]).upper())
    missing = sorted(used - active)
    if missing:
        raise ConfigError(f"Xero uses {', '.join(missing)}, not active in Scoro (active: {', '.join(sorted(active))}). "
                          "Activate them in Scoro (Settings → Site settings → Currencies) before syncing.")


def check_start_dates(store: SyncStore, job: str, config: XeroSyncConfig, connected: date | None) -> None:
    """As in Scoro: a category's start date is not earlier than the day Xero was connected (older data is
    a historical migration), and it is locked once the category's initial sync has run."""
    for name, settings in config.categories.items():
        if not settings.enabled:
            continue
        wanted = settings.start_date.isoformat() if settings.start_date else ""
        if settings.start_date and connected and settings.start_date < connected:
            raise ConfigError(f"[xero_sync.{name}] start_date {wanted} is before Xero was connected ({connected}); "
                              "older records need a historical migration, not the sync.")
        key = f"start_date:{name}"
        fixed = store.setting(job, key)
        if fixed is None:
            if store.setting(job, f"initial_sync:{name}"):  # the initial sync has run: the date is fixed now
                store.set_setting(job, key, wanted)
        elif fixed != wanted:
            raise ConfigError(f"[xero_sync.{name}] start_date is locked after the initial sync (it was "
                              f"{fixed or 'not set'}); set it back, or use a new state database for a new sync.")


def connection_date(tenants: list[dict[str, Any]], tenant_id: str | None) -> date | None:
    """The day the Xero organisation was connected (`createdDateUtc` of its connection)."""
    from scorolink.integrations.xero.convert import parse_xero_datetime

    for tenant in tenants:
        if tenant.get("tenantId") == tenant_id and tenant.get("createdDateUtc"):
            moment = parse_xero_datetime(tenant["createdDateUtc"])
            return moment.date() if moment else None
    return None


def pull_receipts(engine: SyncEngine, store: SyncStore, job: str, xero: Any, document_id: str, *,
                  dry_run: bool = False) -> Any:
    """Scoro's manual "pull receipts" for one invoice or bill: the Xero payments on its counterpart,
    while it is not fully received (a fully paid document has nothing more to pull)."""
    for category in ("invoices", "bills"):
        counterpart = store.counterpart(job, category, "a", document_id)
        if counterpart:
            break
    else:
        raise ConfigError(f"Scoro invoice or bill {document_id} is not synced with Xero; sync it first "
                          f"(--object invoices:{document_id}).")
    payments = [p for p in xero.read("Payments") if (p.get("Invoice") or {}).get("InvoiceID") == counterpart]
    return engine.run(dry_run=dry_run, records=[("receipts", "b", str(p["PaymentID"])) for p in payments])


def check_pairing(store: SyncStore, job: str, scoro_account: str, xero_tenant: str) -> None:
    """One Scoro company account ↔ one Xero organisation: the links of a sync state belong to the pair
    that made them, so another account or organisation needs its own state database."""
    for key, value in (("scoro_account", scoro_account), ("xero_tenant", xero_tenant)):
        fixed = store.setting(job, key)
        if fixed is None:
            store.set_setting(job, key, value)
        elif fixed != value:
            raise ConfigError(f"This sync state pairs {key.replace('_', ' ')} {fixed}, not {value}: one Scoro "
                              "company account syncs with one Xero organisation. Use another --state for this pair.")
