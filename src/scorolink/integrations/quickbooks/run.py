"""One way to run the Scoro ↔ QuickBooks sync, used by `scorolink quickbooks sync` and the runtime's
`quickbooks_sync` operation: the checks Scoro's integration makes (setup complete, home currencies equal, one
Scoro company account ↔ one QuickBooks company, start dates, class tracking), then the engine, one run of a
pair at a time. The state of a pair lives in the state database under its own sync key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from scorolink.errors import ConfigError
from scorolink.integrations.quickbooks.attachments import sync_attachments
from scorolink.integrations.quickbooks.integration import (
    BACKGROUND,
    FOLLOW_INVOICES,
    ORDER,
    Company,
    QuickBooksSyncConfig,
    check_class_tracking,
    check_currency,
    check_manual_send,
    pull_receipts,
    quickbooks_engine,
)
from scorolink.sync.engine import SyncResult
from scorolink.sync.rules import check_pairing, check_start_dates
from scorolink.sync.store import SyncStore

JOB = "quickbooks"


@dataclass
class SyncRequest:
    """What to sync: every enabled category, `only` some, the background items, or one `record`
    (category, side, id)."""

    only: list[str] | None = None
    record: tuple[str, str, str] | None = None
    dry_run: bool = False
    background: bool = False

    def __post_init__(self) -> None:
        for name in self.only or []:
            if name not in ORDER:
                raise ConfigError(f"category {name!r}: use one of {', '.join(ORDER)}.")
        if self.background:
            self.only = list(BACKGROUND)
        if self.only and "invoices" in self.only:  # credit memos and their applications are part of invoices
            self.only += [name for name in FOLLOW_INVOICES if name not in self.only]


def sync_job(store: SyncStore, scoro_account: str) -> str:
    """`quickbooks` for the first Scoro account a state database syncs, `quickbooks:<account>` after."""
    first = store.setting(JOB, "scoro_account")
    return JOB if first in (None, scoro_account) else f"{JOB}:{scoro_account}"


def sync_jobs(store: SyncStore) -> list[str]:
    keys = [j for j in store.jobs_with_key("scoro_account") if j == JOB or j.startswith(JOB + ":")]
    return sorted(set(keys) | {JOB})


def run_quickbooks_sync(store: SyncStore, scoro: Any, session: Any, config: QuickBooksSyncConfig,
                        request: SyncRequest, *, wait: float = 600.0) -> SyncResult:
    """Sync Scoro (a ScoroConnector) with QuickBooks (an open QuickBooksSession)."""
    config.check_ready()
    account, realm = str(scoro.client.settings.company_account_id), str(session.client.realm_id)
    job = sync_job(store, account)
    company = Company(session.client)
    check_currency(scoro, company)
    if request.dry_run:
        return _run(store, job, scoro, session, config, request, account, realm, company)
    with store.hold(job, wait=wait):
        return _run(store, job, scoro, session, config, request, account, realm, company)


def connection_date(session: Any) -> date | None:
    connected = session.oauth.connected_on()
    return datetime.fromisoformat(connected).date() if connected else None


def _run(store: SyncStore, job: str, scoro: Any, session: Any, config: QuickBooksSyncConfig, request: SyncRequest,
         account: str, realm: str, company: Company) -> SyncResult:
    for other in store.jobs_with_setting("quickbooks_realm", realm):
        if other != job:
            raise ConfigError(f"QuickBooks company {realm} already syncs with Scoro account "
                              f"{store.setting(other, 'scoro_account')}: one QuickBooks company syncs with one Scoro "
                              "company account.")
    check_pairing(store, job, {"scoro_account": account, "quickbooks_realm": realm}, "QuickBooks")
    check_start_dates(store, job, config.categories, connection_date(session), table="quickbooks_sync",
                      system="QuickBooks")
    check_class_tracking(store, job, config, company)
    engine = quickbooks_engine(store, job, scoro, session.connector, config, company)
    record = request.record
    if record is not None and record[0] == "attachments":
        return _attachments(engine, store, job, scoro, session, record[2], request.dry_run)
    if record is not None and record[0] == "receipts" and record[1] == "a":
        return pull_receipts(engine, store, job, session.connector, record[2], dry_run=request.dry_run)
    if record is not None and record[1] == "a":
        check_manual_send(store, job, scoro, session.connector, record[0], record[2])
    result = engine.run(dry_run=request.dry_run, only=request.only or None, record=record)
    documents_pushed = any(config.categories[c].enabled and config.categories[c].direction == "a_to_b"
                           for c in ("invoices", "bills"))
    if config.attachments == "automatic" and documents_pushed and not request.background and not result.stopped:
        result.executed["attachments"] = sync_attachments(store, job, scoro, session, dry_run=request.dry_run,
                                                          document=record[2] if record else None)
    return result


def _attachments(engine: Any, store: SyncStore, job: str, scoro: Any, session: Any, document: str,
                 dry_run: bool) -> SyncResult:
    """`--object attachments:ID`: the files of one synced Scoro invoice or bill, sent now (manual file sync)."""
    if not any(store.counterpart(job, c, "a", document) for c in ("invoices", "bills")):
        raise ConfigError(f"Scoro invoice or bill {document} is not synced with QuickBooks; send it first "
                          f"(--object invoices:{document}).")
    result = engine.run(dry_run=dry_run, records=[])
    result.executed["attachments"] = sync_attachments(store, job, scoro, session, document=document, dry_run=dry_run)
    return result
