"""One way to run the Scoro ↔ Xero sync, used by `scorolink xero sync`, the runtime's `xero_sync`
operation and (later) the dashboard: the checks Scoro's integration makes before a sync (active
currencies, one account ↔ one organisation, start dates), then the engine, one run of a pair at a
time.

The sync's state (links, cursors, outbox, errors, settings) lives in the state database it is given
— the runtime's (`--state`, SCOROLINK_STATE_URL, `[runtime] state`), so every worker sees the same
links. The state of one pair is kept under its own sync key, so one database serves many pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from scorolink.errors import ConfigError
from scorolink.integrations.xero.integration import (
    ORDER,
    XeroSyncConfig,
    check_currencies,
    check_manual_send,
    check_pairing,
    check_start_dates,
    check_tax_map,
    connection_date,
    pull_receipts,
    xero_engine,
)
from scorolink.sync.dryrun import DryConnector, Unique, scoro_dry, shadow_store
from scorolink.sync.engine import SyncResult, run_stats
from scorolink.sync.store import SyncStore, now

LEGACY_JOB = "xero"  # the key of the first pair in a state database (and of every state written before keys)


@dataclass
class SyncRequest:
    """What to sync: every enabled category, `only` some, or one `record` (category, side, id)."""

    only: list[str] | None = None
    record: tuple[str, str, str] | None = None
    dry_run: bool = False
    allow_different_tax_rates: bool = False  # for this run, as `allow_different_tax_rates` in [xero_sync]

    def __post_init__(self) -> None:
        for name in self.only or []:
            if name not in ORDER:
                raise ConfigError(f"category {name!r}: use one of {', '.join(ORDER)}.")


def sync_job(store: SyncStore, scoro_account: str) -> str:
    """The key the state of this Scoro account's sync is kept under: `xero` for the first account a
    state database syncs (so states written before keys keep their links), `xero:<account>` after."""
    first = store.setting(LEGACY_JOB, "scoro_account")
    return LEGACY_JOB if first in (None, scoro_account) else f"{LEGACY_JOB}:{scoro_account}"


def sync_jobs(store: SyncStore) -> list[str]:
    """The sync keys of every pair this state database syncs (the first one even before its first run)."""
    keys = [job for job in store.jobs_with_key("scoro_account") if job == LEGACY_JOB
            or job.startswith(LEGACY_JOB + ":")]
    return sorted(set(keys) | {LEGACY_JOB})


def run_xero_sync(store: SyncStore, scoro: Any, xero: Any, config: XeroSyncConfig, request: SyncRequest, *,
                  wait: float = 600.0, progress: Any = None) -> SyncResult:
    """Sync Scoro (a ScoroConnector) with Xero (an open XeroSession). A real run holds the pair's sync
    for its duration, so two workers asked to sync the same pair at once take turns and neither
    creates what the other did. A dry run is the same run against a copy of the state with both
    sides' writes kept instead of sent, so it plans exactly what the real run then does; it writes
    nothing and holds nothing. `progress` (sync.progress) is told what is read, planned and written."""
    account, tenant = str(scoro.client.settings.company_account_id), str(xero.client.tenant_id)
    job = sync_job(store, account)
    connector = xero.connector
    check_currencies(scoro, connector)
    if request.allow_different_tax_rates:
        config = replace(config, allow_different_tax_rates=True)
    warnings = check_tax_map(scoro, connector, config)
    if request.dry_run:  # the real run on a copy of the state, its writes kept instead of sent (sync.dryrun)
        with shadow_store(store, job) as shadow:
            result = _run(shadow, job, scoro_dry(scoro), xero, xero_dry(connector), config, request, account,
                          tenant, progress)
        result.dry_run, result.run_id = True, store.start_run(job, True)  # the run history lists it, as before
        store.set_run(result.run_id, state="planned", finished_at=now(), stats=run_stats(result))
    else:
        with store.hold(job, wait=wait):
            result = _run(store, job, scoro, xero, connector, config, request, account, tenant, progress)
    result.warnings[:0] = warnings
    return result


# What Xero keeps unique, refused in its own words (accounting-apis.md A4, A7: PUT only creates).
XERO_UNIQUE = {
    "Contacts": Unique("Name", "The contact name {value} is already assigned to another contact. The contact name "
                       "must be unique across all active contacts.",
                       lambda r: str(r.get("ContactStatus") or "ACTIVE").upper() == "ACTIVE", fold=True),
    "Items": Unique("Code", "Price List Item with Code '{value}' already exists"),
    "Invoices": Unique("InvoiceNumber", "Invoice # must be unique.", lambda r: str(r.get("Type")) == "ACCREC"
                       and str(r.get("Status") or "").upper() != "DELETED"),
    "CreditNotes": Unique("CreditNoteNumber", "Credit Note Number must be unique.",
                          lambda r: str(r.get("Type")) == "ACCRECCREDIT" and str(r.get("Status") or "").upper()
                          != "DELETED"),
}


def xero_dry(connector: Any) -> DryConnector:
    """Xero's connector in a dry run: new ids are GUIDs (so `IDs=` lists take them) no organisation has,
    and Xero's uniqueness rules refuse what Xero would."""
    return DryConnector(connector, key=lambda obj: connector.spec(obj).key,
                        new_id=lambda n: f"00000000-0000-4000-8000-{n:012x}", stamp="UpdatedDateUTC",
                        unique=XERO_UNIQUE)


def _run(store: SyncStore, job: str, scoro: Any, xero: Any, connector: Any, config: XeroSyncConfig,
         request: SyncRequest, account: str, tenant: str, progress: Any = None) -> SyncResult:
    for other in store.jobs_with_setting("xero_tenant", tenant):
        if other != job:
            raise ConfigError(f"Xero organisation {tenant} already syncs with Scoro account "
                              f"{store.setting(other, 'scoro_account')}: one Xero organisation syncs with one Scoro "
                              "company account.")
    check_pairing(store, job, account, tenant)
    check_start_dates(store, job, config, connection_date(xero.oauth.tokens().tenants, xero.client.tenant_id))
    engine = xero_engine(store, job, scoro, connector, config)
    engine.progress = progress
    record = request.record
    if record is not None and record[0] == "receipts" and record[1] == "a":
        return pull_receipts(engine, store, job, connector, record[2], scoro=scoro)
    if record is not None and record[1] == "a":
        check_manual_send(store, job, scoro, connector, record[0], record[2])
    return engine.run(only=request.only or None, record=record)
