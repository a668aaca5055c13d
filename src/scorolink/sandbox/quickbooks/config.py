"""Configuration of the QuickBooks Online sandbox: the public, stable part of its API.

Every value the reference leaves open (accounting-apis.md PART E) is a setting here, with the safest
reading as its default, so a client that works against the sandbox also works against QuickBooks."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..common import FAULT_KINDS, Faults

__all__ = ["FAULT_KINDS", "Faults", "QuickBooksSandboxConfig", "RateLimit"]


@dataclass(frozen=True)
class RateLimit:
    """QuickBooks' limits per realm and app (B10). ``None`` switches a limit off."""

    per_minute: int | None = 500
    per_second: int | None = 10
    concurrent: int | None = 10
    batch_per_minute: int | None = 40

    @classmethod
    def off(cls) -> RateLimit:
        return cls(per_minute=None, per_second=None, concurrent=None, batch_per_minute=None)


@dataclass(frozen=True)
class QuickBooksSandboxConfig:
    seed: int = 1
    # Approximate number of invoices per realm; customers, items, bills and payments scale with it.
    size: int = 30
    realms: int = 2
    # SQLite file that keeps the state between runs (None: in memory).
    data: str | None = None
    client_id: str | None = None       # default: derived from the seed
    client_secret: str | None = None
    rate_limit: RateLimit = field(default_factory=RateLimit)
    faults: Faults = field(default_factory=Faults)
    # None: the clock is the wall clock (HTTP Date, MetaData times). An ISO instant starts the clock there
    # instead (it then runs in real time, plus advance_clock): for tests that want stable times.
    start_time: str | None = None
    access_token_seconds: int = 3600
    # B1: a refresh token expires 100 days after its last use (rolling); hard maximum 5 years.
    refresh_token_idle_seconds: int = 100 * 86400
    refresh_token_hard_seconds: int = 5 * 365 * 86400
    authorization_code_seconds: int = 300
    # The old refresh token stops working as soon as a new one is issued (the safest reading of "always use
    # the newest refresh_token"); a positive value keeps it usable that many seconds.
    refresh_grace_seconds: int = 0
    # B2: minorversion 1-74 is ignored (treated as 75). "refuse" answers 400 instead.
    minorversion_floor: int = 75
    minorversion_below_floor: str = "ignore"
    # E4: a requestid reused with a different body: "replay" the first answer (the blog's reading) or
    # "error" (fault 600 Duplicate Request ID).
    requestid_reuse: str = "replay"
    requestid_ttl_seconds: int = 86400
    # E1: batch items above this are refused whole with 1040.
    batch_max_items: int = 30
    # E5: the throttle body is XML even when JSON was asked for ("xml") or a JSON Fault ("json").
    throttle_body: str = "xml"
    # E6: CDC returns at most this many objects in total over all the entities asked for.
    cdc_max_objects: int = 1000
    cdc_window_days: int = 30
    # E2: whether IsProject may be used in a query WHERE (unverified; off gives 4001).
    is_project_queryable: bool = False
    # E9: DocNumber unique per entity type (6140 on a duplicate) on invoices and credit memos.
    unique_doc_numbers: bool = True
    upload_max_bytes: int = 100 * 1024 * 1024
    download_url_seconds: int = 900
    # Fixed test rates: home-currency units per one unit of the foreign currency, by (home, foreign).
    exchange_rates: dict[str, float] = field(default_factory=lambda: {
        "USD": 1.0, "EUR": 1.08, "GBP": 1.27, "AUD": 0.66, "CAD": 0.73, "SEK": 0.095})

    def __post_init__(self) -> None:
        if self.realms < 1:
            raise ValueError("QuickBooksSandboxConfig.realms must be at least 1")
        if self.size < 0:
            raise ValueError("QuickBooksSandboxConfig.size must be >= 0")
        if self.minorversion_below_floor not in ("ignore", "refuse"):
            raise ValueError("QuickBooksSandboxConfig.minorversion_below_floor must be 'ignore' or 'refuse'")
        if self.requestid_reuse not in ("replay", "error"):
            raise ValueError("QuickBooksSandboxConfig.requestid_reuse must be 'replay' or 'error'")
        if self.throttle_body not in ("xml", "json"):
            raise ValueError("QuickBooksSandboxConfig.throttle_body must be 'xml' or 'json'")

    def rate(self, home: str, foreign: str) -> float:
        """Home-currency units per one unit of ``foreign`` (via USD)."""
        return round(self.exchange_rates.get(foreign, 1.0) / self.exchange_rates.get(home, 1.0), 6)


# Where the workspace's bundled QuickBooks sandbox keeps its state (the CLI uses it without an app configured).
WORKSPACE_DATA_ENV = "SCOROLINK_QUICKBOOKS_SANDBOX_DATA"
WORKSPACE_DATA = ".scorolink/quickbooks-sandbox.db"
WORKSPACE_REALMS = 4  # the fourth company keeps its books in euros, as Scoro's European sites do
WORKSPACE_SIZE = 30


def workspace_data_path() -> str:
    return os.environ.get(WORKSPACE_DATA_ENV) or WORKSPACE_DATA
