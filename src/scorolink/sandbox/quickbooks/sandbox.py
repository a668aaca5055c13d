"""QuickBooksSandbox: builds (or reopens) the realms' companies and serves them in-process or over HTTP."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from ..common import Clock, FaultPlan, RequestLog, SandboxBase, parse_utc
from ..records import Store
from .api import Api, Call, Reply
from .app import build_app
from .company import Company
from .config import FAULT_KINDS, QuickBooksSandboxConfig
from .generate import populate, realm_profiles
from .oauth import ACCOUNTING, PATHS, OAuth
from .ratelimit import RateLimiter
from .wire import QBOError

LOG_SIZE = 1000
SAVED_PROFILE_KEYS = ("accounts", "DefaultSalesTaxCode", "MultiCurrencyEnabled", "ClassTrackingPerTxn",
                      "ClassTrackingPerTxnLine", "CustomTxnNumbers", "UsingSalesTax")


class QuickBooksSandbox(SandboxBase):
    thread_name = "quickbooks-sandbox"
    own_date = True   # Date follows the sandbox clock

    def __init__(self, config: QuickBooksSandboxConfig | None = None) -> None:
        self.config = cfg = config or QuickBooksSandboxConfig()
        self.store = Store(cfg.data)
        self.clock = Clock(parse_utc(cfg.start_time)) if cfg.start_time else Clock.realtime()
        saved_offset = float(self.store.meta_get("clock_advanced") or 0)
        if saved_offset:
            self.clock.advance(saved_offset)
        created = float(self.store.meta_get("created") or self.clock.now())
        self.store.meta_set("created", str(created))
        self.profiles = realm_profiles(cfg.seed, cfg.realms, created)
        self._lock = threading.RLock()    # serialises API calls (execute)
        self.requests = RequestLog(self._lock, self._empty_stats, LOG_SIZE)
        self._companies: dict[str, Company] = {}
        self._generating = False
        for profile in self.profiles:
            rid = profile["realmId"]
            co = Company(self.store, profile, cfg, self.clock.now, self._on_change)
            self._companies[rid] = co
            saved = self.store.meta_json(f"realm:{rid}", None)
            if saved is None:
                self._generating = True
                try:
                    populate(co, cfg.seed, cfg.size, created)
                finally:
                    self._generating = False
                self._save_profile(profile)
            else:
                profile.update(saved)
        self.store.commit()
        self.oauth = OAuth(cfg, self.store, self.clock.now, self.realm_ids, cfg.seed)
        self.api = Api(cfg, hashlib.sha256(f"qbo-files:{cfg.seed}:{self.oauth.client_secret}".encode()).digest())
        self.limiter = RateLimiter(cfg.rate_limit)
        self.faults = FaultPlan(cfg.faults, FAULT_KINDS)
        self._idempotency: dict[tuple[str, str], dict] = {}
        self.app = build_app(self)

    def _save_profile(self, profile: dict) -> None:
        self.store.meta_set(f"realm:{profile['realmId']}",
                            json.dumps({k: profile[k] for k in SAVED_PROFILE_KEYS if k in profile}))

    # -- realms and tokens ------------------------------------------------------------------------------
    @property
    def realm_ids(self) -> list[str]:
        return [p["realmId"] for p in self.profiles]

    @property
    def client_id(self) -> str:
        return self.oauth.client_id

    @property
    def client_secret(self) -> str:
        return self.oauth.client_secret

    def company(self, realm: str) -> Company:
        if realm not in self._companies:
            raise ValueError(f"unknown realm {realm!r}; realms: {self.realm_ids}")
        return self._companies[realm]

    def company_or_none(self, realm: str) -> Company | None:
        return self._companies.get(realm)

    def issue_token(self, realm: str | None = None, scope: str | None = None) -> dict:
        """A token reply for ``realm`` (default: the first) without the browser step."""
        return self.oauth.issue_for_tests(realm, scope or ACCOUNTING)

    def set_preferences(self, realm: str, **changes: Any) -> None:
        """Switch a company's Preferences (MultiCurrencyEnabled, ClassTrackingPerTxnLine, CustomTxnNumbers …)."""
        with self._lock:
            co = self.company(realm)
            co.set_preferences(**changes)
            self._save_profile(co.profile)
            self.store.commit()

    def describe(self) -> dict:
        return {"client_id": self.client_id, "client_secret": self.client_secret,
                "realms": [{"realmId": p["realmId"], "CompanyName": p["CompanyName"], "Country": p["Country"],
                            "HomeCurrency": p["HomeCurrency"], "MultiCurrencyEnabled": p["MultiCurrencyEnabled"],
                            "ClassTrackingPerTxnLine": p["ClassTrackingPerTxnLine"]} for p in self.profiles],
                "paths": {"api": "/v3", "authorize": PATHS["authorize"], "token": PATHS["token"],
                          "revocation": PATHS["revoke"], "discovery": PATHS["discovery"],
                          "userinfo": PATHS["userinfo"], "jwks": PATHS["jwks"]}}

    # -- the API call, atomically -----------------------------------------------------------------------
    def execute(self, call: Call) -> Reply:
        """One call under the sandbox lock; a repeated ``requestid`` gets the first answer again (B8)."""
        with self._lock:
            co = self._companies[call.realm]
            self._count_minorversion(call)
            try:
                self._check_minorversion(call)
                key = self._request_key(call)
            except QBOError as err:
                return self.api.fault(co, err)
            if key is not None:
                now = self.clock.now()
                self._idempotency = {k: v for k, v in self._idempotency.items() if v["expires"] > now}
                cached = self._idempotency.get(key)
                digest = hashlib.sha256(call.method.encode() + "/".join(call.parts).lower().encode() + call.body)
                if cached is not None:
                    if cached["digest"] != digest.hexdigest() and self.config.requestid_reuse == "error":
                        return self.api.fault(co, QBOError("600", f"Duplicate Request ID : requestid {key[1]} was "
                                                                  "already used for a different request",
                                                           element="requestid"))
                    self.requests.bump("requestid_replays")
                    return Reply(cached["status"], cached["payload"], dict(cached["headers"]))
            reply = self.api.handle(co, call)
            if call.parts and call.parts[0].lower() == "batch" and isinstance(reply.payload, dict):
                items = json.loads(call.body or b"{}").get("BatchItemRequest") if reply.status == 200 else None
                with self._lock:
                    self.requests.stats["batch_items"] += len(items or [])
            if key is not None:
                self._idempotency[key] = {"digest": digest.hexdigest(), "status": reply.status,
                                          "payload": reply.payload, "headers": reply.headers,
                                          "expires": self.clock.now() + self.config.requestid_ttl_seconds}
            self.store.commit()
            return reply

    def _count_minorversion(self, call: Call) -> None:
        self.requests.bump("minorversions", call.query.get("minorversion") or "none")

    def _check_minorversion(self, call: Call) -> None:
        raw = call.query.get("minorversion")
        if raw is None or raw == "":
            return
        if not raw.isdigit():
            raise QBOError("2010", f"minorversion must be a whole number (the floor and default is "
                                   f"{self.config.minorversion_floor}), not {raw!r}", element="minorversion")
        if int(raw) < self.config.minorversion_floor and self.config.minorversion_below_floor == "refuse":
            raise QBOError("2010", f"minorversion {raw} is no longer supported; the minimum is "
                                   f"{self.config.minorversion_floor}", element="minorversion")

    def _request_key(self, call: Call) -> tuple[str, str] | None:
        rid = call.query.get("requestid")
        if not rid or call.method != "POST":
            return None
        limit = 36 if call.parts and call.parts[0].lower() == "batch" else 50
        if len(rid) > limit:
            raise QBOError("2050", f"requestid is {len(rid)} characters; at most {limit} here", element="requestid")
        return call.realm, rid

    def _on_change(self, realm: str, entity: str, rec: dict, action: str) -> None:
        if self._generating:
            return
        with self._lock:
            w = self.requests.stats["writes"].setdefault(entity, {})
            w[action.lower()] = w.get(action.lower(), 0) + 1

    # -- control ----------------------------------------------------------------------------------------
    def advance_clock(self, seconds: float) -> float:
        now = self.clock.advance(seconds)
        self.store.meta_set("clock_advanced", str(float(self.store.meta_get("clock_advanced") or 0) + seconds))
        return now

    # -- observation ------------------------------------------------------------------------------------
    @staticmethod
    def _empty_stats() -> dict:
        return {"requests": {"total": 0, "by_endpoint": {}, "by_method": {}, "by_realm": {}, "by_status": {}},
                "writes": {}, "batch_items": 0, "faults_injected": {}, "rate_limited": {}, "requestid_replays": 0,
                "minorversions": {}}

    def record(self, entry: dict, status: int | None) -> None:
        self.requests.record(entry, status, (("by_endpoint", entry["endpoint"]), ("by_method", entry["method"]),
                                             ("by_realm", entry.get("realm") or "none")))

    def reset_stats(self) -> None:
        super().reset_stats()
        self.limiter.reset()

    # -- serving ----------------------------------------------------------------------------------------
    def close(self) -> None:
        self.store.commit()
        self.store.close()
