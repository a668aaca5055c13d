"""Rules Scoro's accounting integrations share, whatever the counterpart: a category's start date (not before
the counterpart was connected; locked once its initial sync has run, at the date that sync used), the
pairing of one Scoro company account with one counterpart company, and the manual send of one document."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from scorolink.connectors.base import Condition
from scorolink.errors import ConfigError
from scorolink.sync.planner import CategorySettings
from scorolink.sync.store import SyncStore


def check_start_dates(store: SyncStore, job: str, categories: dict[str, CategorySettings], connected: date | None,
                      *, table: str, system: str) -> None:
    """`table` names the configuration table in messages (`xero_sync`), `system` the counterpart."""
    for name, settings in categories.items():
        if not settings.enabled:
            continue
        wanted = settings.start_date.isoformat() if settings.start_date else ""
        if settings.start_date and connected and settings.start_date < connected:
            raise ConfigError(f"[{table}.{name}] start_date {wanted} is before {system} was connected ({connected}); "
                              "older records need a historical migration, not the sync.")
        fixed = store.setting(job, f"start_date:{name}")  # written with the initial sync, the date it used
        if fixed is not None and fixed != wanted:
            raise ConfigError(f"[{table}.{name}] start_date is locked after the initial sync (it was "
                              f"{fixed or 'not set'}); set it back, or use a new state database for a new sync.")


def check_pairing(store: SyncStore, job: str, pair: dict[str, str], system: str) -> None:
    """One Scoro company account ↔ one counterpart company: the links of a sync state belong to the pair that
    made them (`pair`: setting name → value, e.g. scoro_account, quickbooks_realm)."""
    for key, value in pair.items():
        fixed = store.setting(job, key)
        if fixed is None:
            store.set_setting(job, key, value)
        elif fixed != value:
            raise ConfigError(f"This sync state pairs {key.replace('_', ' ')} {fixed}, not {value}: one Scoro "
                              f"company account syncs with one {system} company. Use another --state for this pair.")


def check_manual_send(store: SyncStore, job: str, scoro: Any, category: str, document_id: str, *, system: str,
                      paid_there: Callable[[str], bool]) -> None:
    """A manual send of one invoice or bill works only until a payment is attached to it (seed), in Scoro or
    in the counterpart (`paid_there(counterpart id)`)."""
    if category not in ("invoices", "bills"):
        return
    obj = "Bills" if category == "bills" else "Invoices"
    found = list(scoro.read(obj, [Condition("Id", "=", int(document_id))], columns=["Id", "Status"])) \
        if str(document_id).isdigit() else []
    paid_in_scoro = bool(found) and str(found[0].get("Status") or "").lower() == "paid"
    counterpart = store.counterpart(job, category, "a", str(document_id))
    if paid_in_scoro or (counterpart and paid_there(counterpart)):
        raise ConfigError(f"Scoro {obj[:-1].lower()} {document_id} has a payment attached "
                          f"({'in Scoro' if paid_in_scoro else 'in ' + system}): a manual send works only until "
                          f"then. Pull its receipts instead (--object receipts:{document_id}).")
