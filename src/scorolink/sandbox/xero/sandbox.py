"""XeroSandbox: builds (or reopens) the tenants' books and serves them in-process or over HTTP."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import threading

import httpx

from ..common import Clock, FaultPlan, RequestLog, SandboxBase, parse_utc
from ..records import Store
from .api import Api, Call, Reply
from .app import build_app, fingerprint, reply_from_cache
from .books import Books
from .config import FAULT_KINDS, XeroSandboxConfig
from .generate import populate, tenant_profiles
from .identity import SCOPES_FOR, Identity
from .ratelimit import RateLimiter
from .webhooks import Webhooks
from .wire import problem, validation_error

LOG_SIZE = 1000
ALL_SCOPES = "openid profile email offline_access " + " ".join(
    sorted({s for names in SCOPES_FOR.values() for s in names}))


class XeroSandbox(SandboxBase):
    thread_name = "xero-sandbox"

    def __init__(self, config: XeroSandboxConfig | None = None) -> None:
        self.config = cfg = config or XeroSandboxConfig()
        self.store = Store(cfg.data)
        self.clock = Clock(parse_utc(cfg.start_time)) if cfg.start_time else Clock.realtime()
        saved_clock = float(self.store.meta_get("clock") or 0)
        if saved_clock > self.clock.now():  # a reopened sandbox's time never runs backwards
            self.clock.advance(saved_clock - self.clock.now())
        self.profiles = tenant_profiles(cfg.seed, cfg.tenants)
        self._generating = False
        self._lock = threading.RLock()  # also serialises API calls (execute)
        self.requests = RequestLog(self._lock, self._empty_stats, LOG_SIZE)
        self._idempotency: dict[tuple[str, str], dict] = {}
        key = cfg.webhook_key or base64.b64encode(hashlib.sha256(f"webhook:{cfg.seed}".encode()).digest()).decode()
        self.webhooks = Webhooks(key, self.clock.now, cfg.seed, cfg.webhook_timeout_seconds,
                                 cfg.webhook_disable_after_seconds)
        self._books: dict[str, Books] = {}
        for profile in self.profiles:
            tid = profile["tenantId"]
            books = Books(self.store, tid, cfg, self.clock.now, self._on_change)
            self._books[tid] = books
            if self.store.meta_get(f"tenant:{tid}") is None:
                self._generating = True
                try:
                    populate(books, profile, cfg.seed, cfg.size, self.clock.base)  # not now(): same seed, same stamps
                finally:
                    self._generating = False
                self.store.meta_set(f"tenant:{tid}", json.dumps({"seed": cfg.seed, "size": cfg.size}))
        self.store.meta_set("clock", str(self.clock.now()))
        self.store.commit()
        self.identity = Identity(cfg, self.store, self.clock.now, self.profiles, cfg.seed)
        self.api = Api(self.books, self.identity.app_name, cfg)
        self.limiter = RateLimiter(cfg.rate_limit)
        self.faults = FaultPlan(cfg.faults, FAULT_KINDS)
        self.app = build_app(self)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if cfg.webhook_delivery == "auto":
            self._thread = threading.Thread(target=self._deliver_loop, name="xero-webhooks", daemon=True)
            self._thread.start()

    # -- tenants and tokens -------------------------------------------------------------------------------
    @property
    def tenant_ids(self) -> list[str]:
        return [p["tenantId"] for p in self.profiles]

    @property
    def client_id(self) -> str:
        return self.identity.client_id

    @property
    def client_secret(self) -> str:
        return self.identity.client_secret

    @property
    def webhook_key(self) -> str:
        return self.webhooks.key

    def books(self, tenant: str) -> Books:
        return self._books[tenant]

    def books_or_none(self, tenant: str) -> Books | None:
        return self._books.get(tenant)

    def issue_token(self, scope: str | None = None, tenants: list[str] | None = None) -> dict:
        """A token reply without the browser step (connects ``tenants``, default all)."""
        return self.identity.issue_for_tests(scope or ALL_SCOPES, tenants)

    def set_period_lock(self, tenant: str, day: str | None) -> None:
        """Set (``YYYY-MM-DD``) or clear the organisation's PeriodLockDate."""
        if tenant not in self._books:
            raise ValueError(f"unknown tenant {tenant!r}; tenants: {self.tenant_ids}")
        with self._lock:
            self._books[tenant].set_period_lock(day)
            self.store.commit()

    def add_custom_connection(self, tenant: str) -> tuple[str, str]:
        if tenant not in self._books:
            raise ValueError(f"unknown tenant {tenant!r}; tenants: {self.tenant_ids}")
        return self.identity.add_custom_connection(tenant)

    def describe(self) -> dict:
        return {"client_id": self.client_id, "client_secret": self.client_secret, "webhook_key": self.webhook_key,
                "tenants": [{"tenantId": p["tenantId"], "tenantName": p["tenantName"],
                             "baseCurrency": p["BaseCurrency"], "countryCode": p["CountryCode"]}
                            for p in self.profiles],
                "paths": {"api": "/api.xro/2.0", "authorize": "/identity/connect/authorize",
                          "token": "/connect/token", "revocation": "/connect/revocation",
                          "connections": "/connections"}}

    # -- the API call, atomically -------------------------------------------------------------------------
    def execute(self, call: Call, tenant: str, idem_key: str | None) -> Reply:
        """Runs one call under the sandbox lock; replays or refuses a reused Idempotency-Key (A7)."""
        with self._lock:
            now = self.clock.now()
            write = call.method in ("PUT", "POST", "PATCH")
            cache_key = None
            if idem_key is not None and write:
                if len(idem_key) > 128 or not idem_key.strip():
                    return Reply(400, problem(400, "Bad Request", "Idempotency-Key must be 1 to 128 characters"))
                cache_key = (call.client_id, idem_key)
                self._idempotency = {k: v for k, v in self._idempotency.items() if v["expires"] > now}
                cached = self._idempotency.get(cache_key)
                if cached is not None:
                    if cached["fingerprint"] != fingerprint(call, tenant):
                        message = f"Idempotency Key: {idem_key} is used with a different request."
                        return Reply(400, validation_error([{"ValidationErrors": [{"Message": message}]}]))
                    self.requests.bump("idempotent_replays")
                    return reply_from_cache(cached)
            reply = self.api.handle(call, tenant)
            if cache_key is not None:
                self._idempotency[cache_key] = {"fingerprint": fingerprint(call, tenant), "expires": now +
                                                self.config.idempotency_ttl_seconds, "status": reply.status,
                                                "payload": reply.payload, "headers": reply.headers}
            self.store.commit()
            return reply

    def _on_change(self, tenant: str, coll: str, rec: dict, created: bool) -> None:
        if self._generating:
            return
        with self._lock:
            w = self.requests.stats["writes"].setdefault(coll, {"created": 0, "updated": 0})
            w["created" if created else "updated"] += 1
        self.webhooks.event(tenant, coll, rec, created)

    # -- webhooks -----------------------------------------------------------------------------------------
    def register_webhook(self, url: str, transport: httpx.BaseTransport | None = None) -> dict:
        """Subscribe ``url`` and run the Intent to Receive round; events are delivered once it passes."""
        self.webhooks.register(url, transport)
        return self.webhooks.intent_to_receive()

    def flush_webhooks(self) -> dict:
        return self.webhooks.flush()

    def _deliver_loop(self) -> None:
        while not self._stop.wait(self.config.webhook_interval_seconds):
            with contextlib.suppress(Exception):
                self.webhooks.flush()

    # -- control ------------------------------------------------------------------------------------------
    def advance_clock(self, seconds: float) -> float:
        now = self.clock.advance(seconds)
        self.store.meta_set("clock", str(now))
        return now

    # -- observation --------------------------------------------------------------------------------------
    @staticmethod
    def _empty_stats() -> dict:
        return {"requests": {"total": 0, "by_endpoint": {}, "by_tenant": {}, "by_status": {}},
                "writes": {}, "faults_injected": {}, "rate_limited": {}, "idempotent_replays": 0}

    def record(self, entry: dict, status: int | None) -> None:
        self.requests.record(entry, status, (("by_endpoint", entry["endpoint"]),
                                             ("by_tenant", entry.get("tenant") or "none")))

    def count_rate_limited(self, problem_name: str) -> None:
        self.requests.bump("rate_limited", problem_name)

    def stats(self) -> dict:
        return {**super().stats(), "webhooks": self.webhooks.describe()}

    # -- serving ------------------------------------------------------------------------------------------
    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.store.meta_set("clock", str(self.clock.now()))
        self.store.close()
