"""The Scoro ↔ Xero integration: its categories in dependency order, the directions each may run
in (as Scoro's own integration allows them), and the engine that runs them.

Reference data comes from Xero (tax rates, chart of accounts) and is managed there; contacts,
products and invoices run one way at a time, Scoro → Xero by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from scorolink.connectors.base import Condition
from scorolink.errors import ConfigError
from scorolink.integrations.xero import mappings as xero
from scorolink.integrations.xero.contacts import contacts_mapping
from scorolink.integrations.xero.mappings import XeroReference
from scorolink.integrations.xero.sides import XeroSide
from scorolink.sync import rules
from scorolink.sync.categories import (
    PairedCategory,
    SameDocument,
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
from scorolink.sync.scoro_categories import BOOKMARK_FILTERS, BOOKMARKABLE, ScoroCategories
from scorolink.sync.sides import Refs
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

@dataclass
class XeroSyncConfig:
    categories: dict[str, CategorySettings] = field(default_factory=lambda: {
        name: CategorySettings(direction=DIRECTIONS[name][0], as_dependency=name in FOLLOW, enabled=name != "tracking",
                               report_edits_elsewhere=name in MANAGED_IN_XERO)
        for name in ORDER})
    default_sales_account: str | None = None  # Xero account code for lines whose Scoro account Xero lacks
    default_expense_account: str | None = None  # the same for bills
    tax_map: dict[str, str] = field(default_factory=dict)  # Scoro VAT code -> Xero tax type
    allow_different_tax_rates: bool = False  # may the tax map pair rates of different percentages (warned)
    tracking_category: str | None = None  # the one Xero tracking category whose options become accounting objects
    bookmarks: dict[str, str] = field(default_factory=dict)  # category -> Scoro bookmark (id or name) limiting pushes
    bookmark_filters: str = "seed"  # seed: a bookmark's user and status filters are not used (as in Scoro); as_saved

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> XeroSyncConfig:
        """`[xero_sync.<category>]` tables: enabled, direction (to-xero | to-scoro), start_date."""
        config = cls()
        data = dict(data)
        config.default_sales_account = data.pop("default_sales_account", None)
        config.default_expense_account = data.pop("default_expense_account", None)
        config.tracking_category = data.pop("tracking_category", None)
        config.bookmark_filters = str(data.pop("bookmark_filters", "seed")).replace("-", "_")
        if config.bookmark_filters not in BOOKMARK_FILTERS:
            raise ConfigError(f"[xero_sync] bookmark_filters {config.bookmark_filters!r}: use seed (a bookmark's user "
                              "and invoice status filters are not used, as in Scoro) or as_saved.")
        tax_map = data.pop("tax_map", {})
        if not isinstance(tax_map, dict):
            raise ConfigError("[xero_sync.tax_map] must be a table of Scoro VAT code = \"Xero tax type\".")
        config.tax_map = {str(k): str(v) for k, v in tax_map.items()}
        allow = data.pop("allow_different_tax_rates", False)
        if not isinstance(allow, bool):
            raise ConfigError(f"[xero_sync] allow_different_tax_rates {allow!r}: use true or false.")
        config.allow_different_tax_rates = allow
        unknown = set(data) - set(ORDER)
        if unknown:
            raise ConfigError(f"[xero_sync]: unknown categor{'ies' if len(unknown) > 1 else 'y'} "
                              f"{', '.join(sorted(unknown))}; use {', '.join(ORDER)}.")
        for name, values in data.items():
            if isinstance(values, dict):
                values = {k: v for k, v in values.items() if k != ADVANCED_OVERRIDE}
            bookmark = read_category("xero_sync", name, values, config.categories[name], directions=DIRECTIONS[name],
                                     names=NAMES, bookmarkable=BOOKMARKABLE)
            if bookmark is not None:
                config.bookmarks[name] = bookmark
        follow_invoices(config, data.get("credit_notes", {}))
        # tracking runs once a category is chosen (as in Scoro), unless switched off explicitly
        config.categories["tracking"].enabled = bool(config.tracking_category) and bool(
            data.get("tracking", {}).get("enabled", True))
        return config


ADVANCED_OVERRIDE = "advanced_override"


def follow_invoices(config: XeroSyncConfig, table: dict[str, Any]) -> None:
    """Credit notes are part of the invoices sync (as in Scoro): they take the invoices category's
    enablement, direction, start date and bookmark. `advanced_override = true` under
    [xero_sync.credit_notes] sets them apart (an advanced setting); without it, a credit_notes table
    that says otherwise than invoices is refused rather than silently ignored."""
    invoices, notes = config.categories["invoices"], config.categories["credit_notes"]
    if table.get(ADVANCED_OVERRIDE):
        return
    differs: list[str] = [k for k in ("enabled", "direction", "start_date")
               if k in table and getattr(notes, k) != getattr(invoices, k)]
    if "bookmark" in table and table.get("bookmark") != config.bookmarks.get("invoices"):
        differs.append("bookmark")
    if differs:
        raise ConfigError(f"[xero_sync.credit_notes] {', '.join(differs)}: credit notes follow the invoices category "
                          "(set them under [xero_sync.invoices]); to set them apart, add advanced_override = true "
                          "under [xero_sync.credit_notes].")
    notes.enabled, notes.direction, notes.start_date = invoices.enabled, invoices.direction, invoices.start_date
    config.bookmarks.pop("credit_notes", None)
    if "invoices" in config.bookmarks:
        config.bookmarks["credit_notes"] = config.bookmarks["invoices"]


def xero_categories(scoro: Any, connector: Any, refs: Refs, config: XeroSyncConfig) -> list[PairedCategory]:
    """Scoro's adapters (sync.scoro_categories, shared with every counterpart) paired with Xero's."""
    xero_ref = XeroReference(connector, config.default_sales_account, config.tax_map, config.default_expense_account)
    refs.listeners.append(xero_ref.forget)
    scoro_side = ScoroCategories(scoro, refs, counterpart_item=xero_ref.item_id,
                                 tracking_category=config.tracking_category, bookmarks=config.bookmarks,
                                 bookmark_filters=config.bookmark_filters,
                                 config_table="xero_sync")
    a, codes, tracking = scoro_side.sides(), scoro_side.codes, config.tracking_category
    b = {
        "tax_rates": XeroSide(connector, "TaxRates", "TaxType", xero.tax_rates(), refs),
        "accounts": XeroSide(connector, "Accounts", "AccountID", xero.accounts(), refs),
        "tracking": XeroSide(connector, "TrackingOptions", "TrackingOptionID", xero.tracking(tracking, connector),
                             refs, cursor=None),
        "contacts": XeroSide(connector, "Contacts", "ContactID", contacts_mapping(), refs),
        "products": XeroSide(connector, "Items", "ItemID", xero.products(codes, xero_ref), refs),
        "invoices": XeroSide(connector, "Invoices", "InvoiceID", xero.documents("sales", codes, xero_ref, tracking),
                             refs, where=xero.xero_type("sales")),
        "credit_notes": XeroSide(connector, "CreditNotes", "CreditNoteID",
                                 xero.credit_notes(codes, xero_ref, connector, tracking), refs,
                                 where=[Condition("Type", "=", "ACCRECCREDIT")]),
        "bills": XeroSide(connector, "Invoices", "InvoiceID", xero.documents("purchase", codes, xero_ref, tracking),
                          refs, where=xero.xero_type("purchase")),
        "receipts": XeroSide(connector, "Payments", "PaymentID", xero.receipts(), refs),
    }
    keys = {"tax_rates": code_keys, "accounts": code_keys, "tracking": tracking_keys, "contacts": contact_keys,
            "products": code_keys, "invoices": document_keys, "credit_notes": document_keys,
            "bills": document_keys, "receipts": receipt_match_keys}
    same_document, receipts_document = documents_compatible(SameContact(scoro, connector)), SameDocument()
    compatible = {"contacts": contacts_compatible, "invoices": same_document, "credit_notes": same_document,
                  "bills": same_document, "receipts": receipts_compatible(receipts_document)}
    paired = [PairedCategory(name, a[name], b[name], keys[name], compatible=compatible.get(name, lambda _a, _b: True))
              for name in ORDER]
    receipts_document.categories = {c.name: c for c in paired}
    return paired


class SameContact:
    """Whether Scoro contact `scoro_id` and Xero contact `xero_id` are the same one, as the contacts
    category would match them (name plus VAT number or email): so a document can be matched on a first
    sync whichever categories run and in whatever order. Each side's contacts are read once, in pages,
    the first time the question comes up."""

    def __init__(self, scoro: Any, xero: Any) -> None:
        self.scoro, self.xero = scoro, xero
        self._a: dict[str, dict[str, Any]] | None = None
        self._b: dict[str, dict[str, Any]] | None = None

    def __call__(self, scoro_id: str, xero_id: str) -> bool:
        from scorolink.integrations.xero.contacts import to_shared as xero_shared
        from scorolink.sync.scoro_contacts import COLUMNS
        from scorolink.sync.scoro_contacts import to_shared as scoro_shared

        if self._a is None:
            self._a = {str(r["Id"]): scoro_shared(r) for r in self.scoro.read("Contacts", columns=COLUMNS)}
        if self._b is None:
            self._b = {str(r["ContactID"]): xero_shared(r) for r in self.xero.read("Contacts", [])}
        a, b = self._a.get(str(scoro_id)), self._b.get(str(xero_id))
        if a is None or b is None:
            return False
        return bool(set(contact_keys(a)) & set(contact_keys(b))) and contacts_compatible(a, b)


def xero_engine(store: SyncStore, job: str, scoro: Any, xero: Any, config: XeroSyncConfig | None = None) -> SyncEngine:
    refs = Refs()
    refs.resolver = resolver = StoreResolver(store, job)  # one resolver (and one cache of links) for the run
    config = config or XeroSyncConfig()
    return SyncEngine(store, job, xero_categories(scoro, xero, refs, config), config.categories, resolver,
                      counterpart="Xero")


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


def check_tax_map(scoro: Any, xero: Any, config: XeroSyncConfig) -> list[str]:
    """A Scoro VAT code mapped to a Xero tax rate of another percentage makes every document using it
    total differently in the two systems: refused, unless `allow_different_tax_rates` accepts it — then
    one warning per such pair, naming both rates (each document's difference is reported on it)."""
    if not config.tax_map:
        return []
    percents = {norm(r["VATCode"]): _dec(r.get("Percent")) for r in scoro.read("VATCodes", columns=["VATCode", "Percent"])
                if r.get("VATCode")}
    rates = {norm(r["TaxType"]): (str(r["TaxType"]), _dec(r.get("EffectiveRate")), r.get("Name"))
             for r in xero.read("TaxRates") if r.get("TaxType") and str(r.get("Status") or "ACTIVE").upper() == "ACTIVE"}
    pairs = []
    for code, tax in config.tax_map.items():
        if norm(tax) not in rates:
            raise ConfigError(f"[xero_sync.tax_map] {code} = {tax!r}: Xero has no active tax rate {tax!r}; it has "
                              f"{', '.join(f'{t} ({_pct(p)})' for t, p, _n in rates.values()) or 'none'}.")
        tax_type, rate, name = rates[norm(tax)]
        percent = percents.get(norm(code))
        if percent is not None and rate is not None and percent != rate:
            pairs.append(f"Scoro VAT code {code} ({_pct(percent)}) → Xero {tax_type} {name!r} ({_pct(rate)})")
    if pairs and not config.allow_different_tax_rates:
        same = {code: [t for t, r, _n in rates.values() if r == percents.get(norm(code))] for code in config.tax_map}
        hints = "; ".join(f"{code}: {', '.join(ts)}" for code, ts in same.items() if ts and config.tax_map[code] not in ts)
        raise ConfigError("[xero_sync.tax_map] maps tax rates of different percentages: " + "; ".join(pairs)
                          + ". Document totals would differ between Scoro and Xero. Map each code to a Xero tax rate "
                          "with the same percentage" + (f" ({hints})" if hints else "") + ", or accept the "
                          "difference with allow_different_tax_rates = true (`scorolink xero configure "
                          "--allow-different-tax-rates`).")
    return [f"tax map: {pair}: the totals of documents using it differ between Scoro and Xero (reported on each)"
            for pair in pairs]


def _pct(value: Decimal | None) -> str:
    return "?" if value is None else f"{value.normalize():f} %"


def check_start_dates(store: SyncStore, job: str, config: XeroSyncConfig, connected: date | None) -> None:
    """As in Scoro: a category's start date is not earlier than the day Xero was connected (older data is
    a historical migration), and it is locked once the category's initial sync has run (sync.rules)."""
    from scorolink.sync.rules import check_start_dates as check

    check(store, job, config.categories, connected, table="xero_sync", system="Xero")


def connection_date(tenants: list[dict[str, Any]], tenant_id: str | None) -> date | None:
    """The day the Xero organisation was connected (`createdDateUtc` of its connection)."""
    from scorolink.integrations.xero.convert import parse_xero_datetime

    for tenant in tenants:
        if tenant.get("tenantId") == tenant_id and tenant.get("createdDateUtc"):
            moment = parse_xero_datetime(tenant["createdDateUtc"])
            return moment.date() if moment else None
    return None


def pull_receipts(engine: SyncEngine, store: SyncStore, job: str, xero: Any, document_id: str, *,
                  dry_run: bool = False, scoro: Any = None) -> Any:
    """Scoro's manual "pull receipts" for one invoice or bill: the Xero payments on its counterpart, and
    only until the document is fully received (seed): once Scoro marks it paid (`scoro`, a ScoroConnector,
    when given), or Xero says nothing is due and every payment on it is in Scoro, the pull is refused."""
    category, counterpart = _synced_document(store, job, document_id)
    if scoro is not None:
        found = list(scoro.read("Bills" if category == "bills" else "Invoices",
                                [Condition("Id", "=", int(document_id))], columns=["Id", "Status"]))
        if found and str(found[0].get("Status") or "").lower() == "paid":
            raise ConfigError(f"Scoro {category[:-1]} {document_id} is fully received in Scoro (paid): a pull of "
                              "receipts works only until then, so nothing more is pulled (a payment in Xero not in "
                              "Scoro would be received twice there).")
    [document] = xero.read("Invoices", [Condition("InvoiceID", "=", counterpart)], include_archived=True) or [{}]
    payments = [p for p in document.get("Payments") or [] if p.get("PaymentID")]
    pulled = all(store.counterpart(job, "receipts", "b", str(p["PaymentID"])) for p in payments)
    if document and _dec(document.get("AmountDue")) == 0 and pulled:
        raise ConfigError(f"Scoro {category[:-1]} {document_id} is fully received: its Xero counterpart has nothing "
                          "due and every payment on it is in Scoro, so there is nothing more to pull.")
    return engine.run(dry_run=dry_run, records=[("receipts", "b", str(p["PaymentID"])) for p in payments])


def check_manual_send(store: SyncStore, job: str, scoro: Any, xero: Any, category: str, document_id: str) -> None:
    """A manual send of one invoice or bill works only until a payment is attached to it (seed), in
    Scoro or in Xero."""
    def paid_in_xero(counterpart: str) -> bool:
        [document] = xero.read("Invoices", [Condition("InvoiceID", "=", counterpart)], include_archived=True) or [{}]
        return (_dec(document.get("AmountPaid")) or 0) > 0 or bool(document.get("Payments"))

    rules.check_manual_send(store, job, scoro, category, document_id, system="Xero", paid_there=paid_in_xero)


def _synced_document(store: SyncStore, job: str, document_id: str) -> tuple[str, str]:
    for category in ("invoices", "bills"):
        counterpart = store.counterpart(job, category, "a", document_id)
        if counterpart:
            return category, counterpart
    raise ConfigError(f"Scoro invoice or bill {document_id} is not synced with Xero; sync it first "
                      f"(--object invoices:{document_id}).")


def _dec(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


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
