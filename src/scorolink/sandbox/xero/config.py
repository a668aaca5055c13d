"""Configuration of the Xero sandbox: the public, stable part of its API.

Every value the reference leaves open (accounting-apis.md PART E) is a setting here, with the safest
reading as its default, so a client that works against the sandbox also works against Xero."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..common import FAULT_KINDS, Faults

__all__ = ["FAULT_KINDS", "Faults", "RateLimit", "XeroSandboxConfig"]


@dataclass(frozen=True)
class RateLimit:
    """Xero's limits per tenant and app (A8). ``None`` switches a limit off."""

    per_minute: int | None = 60
    concurrent: int | None = 5
    daily: int | None = 5000
    app_per_minute: int | None = 10_000
    # E3: whether the daily window is rolling or fixed is disputed. Rolling is the safest reading: a client
    # that waits for midnight UTC would still be refused.
    daily_window: str = "rolling"

    def __post_init__(self) -> None:
        if self.daily_window not in ("rolling", "fixed"):
            raise ValueError("RateLimit.daily_window must be 'rolling' or 'fixed'")

    @classmethod
    def off(cls) -> RateLimit:
        return cls(per_minute=None, concurrent=None, daily=None, app_per_minute=None)


@dataclass(frozen=True)
class XeroSandboxConfig:
    seed: int = 1
    # Approximate number of sales invoices per tenant; contacts, items, bills, credit notes and payments scale.
    size: int = 60
    tenants: int = 2
    # SQLite file that keeps the state between runs (None: in memory).
    data: str | None = None
    client_id: str | None = None       # default: derived from the seed
    client_secret: str | None = None
    app_name: str = "scorolink sandbox app"   # the envelope's ProviderName
    webhook_key: str | None = None
    rate_limit: RateLimit = field(default_factory=RateLimit)
    faults: Faults = field(default_factory=Faults)
    # None: the clock is the wall clock (HTTP Date, UpdatedDateUTC, If-Modified-Since), as Xero's is, so a
    # client's If-Modified-Since of "now minus a little" finds what it just wrote. An ISO instant fixes the
    # start instead (the clock then runs in real time plus advance_clock): stable generated data for tests.
    start_time: str | None = None
    access_token_seconds: int = 1800
    refresh_token_idle_days: int = 60
    refresh_grace_seconds: int = 1800
    # E4: retention of Idempotency-Key (one secondary source says about 6 minutes).
    idempotency_ttl_seconds: int = 360
    # E6: pageSize above this is cut to it (pagination.pageSize says what was used).
    page_size_max: int = 1000
    # E5: 3, 10 or 25 MB per file; the smallest is the safest.
    attachment_max_bytes: int = 3 * 1024 * 1024
    attachments_per_document: int = 10
    # E8: whether POST /Invoices without an InvoiceID updates the ACCREC invoice with the same number. Off
    # (the safest): such a POST is a create and fails with "Invoice # must be unique.".
    post_matches_invoice_number: bool = False
    # E7: whether Items gained paging. Off, as the reference says (Items return everything).
    items_paged: bool = False
    # E11: apps created from 2 March 2026 must use the granular scopes; on, asking for a legacy-only scope
    # (accounting.transactions, accounting.reports.read) fails with invalid_scope. The error Xero gives is
    # unknown; off by default so both families work.
    granular_scopes_only: bool = False
    # Fixed test rates (units of the currency per 1 unit of the base currency) when no CurrencyRate is sent.
    currency_rates: dict[str, float] = field(default_factory=lambda: {
        "USD": 1.08, "EUR": 1.0, "GBP": 0.85, "SEK": 11.2, "NOK": 11.5, "DKK": 7.46, "AUD": 1.65, "NZD": 1.78,
        "CAD": 1.47, "PLN": 4.3, "CHF": 0.95})
    # Webhooks: "manual" delivers on flush_webhooks(); "auto" flushes from a background thread.
    webhook_delivery: str = "manual"
    webhook_interval_seconds: float = 1.0
    webhook_timeout_seconds: float = 5.0
    # Failed deliveries are retried; the subscription is disabled this long after the first failure.
    webhook_disable_after_seconds: int = 86400

    def __post_init__(self) -> None:
        if self.tenants < 1:
            raise ValueError("XeroSandboxConfig.tenants must be at least 1")
        if self.size < 0:
            raise ValueError("XeroSandboxConfig.size must be >= 0")
        if self.webhook_delivery not in ("manual", "auto"):
            raise ValueError("XeroSandboxConfig.webhook_delivery must be 'manual' or 'auto'")


# The bundled sandbox a workspace's commands share (scorolink xero … without credentials), and the
# variable that moves it.
WORKSPACE_DATA_ENV = "SCOROLINK_XERO_SANDBOX_DATA"
WORKSPACE_DATA = ".scorolink/xero-sandbox.db"


def workspace_data_path() -> str:
    return os.environ.get(WORKSPACE_DATA_ENV) or WORKSPACE_DATA
