"""ScoroSandbox: builds (or reopens) the sites' data and serves it in-process or over HTTP."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import tempfile
import threading

from ..common import Clock, FaultPlan, RequestLog, SandboxBase, parse_utc
from . import actions  # noqa: F401  (registers the special actions)
from .api import Api
from .app import build_app
from .config import FAULT_KINDS, SandboxConfig
from .generate import Ctx, plan, populate, rows_for
from .modules import MODULES, VIRTUAL
from .ratelimit import RateLimiter
from .sites import Site, make_site, password, site_name
from .store import Store

LOG_SIZE = 1000
IN_MEMORY_MAX = 50_000  # above this size and without a data file, rows live in a temporary SQLite file


class ScoroSandbox(SandboxBase):
    thread_name = "scoro-sandbox"
    url_path = "/api/v2"   # run_in_thread yields the default site's base URL

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = cfg = config or SandboxConfig()
        self._temp_path = None
        path = cfg.data
        if path is None and cfg.size > IN_MEMORY_MAX:
            # Big throwaway sites go to a temporary file so they never have to fit in memory.
            fd, path = tempfile.mkstemp(prefix="scoro-sandbox-", suffix=".sqlite")
            os.close(fd)
            self._temp_path = path
            atexit.register(self._remove_temp)
        self.store = Store(path)
        saved_clock = self.store.meta_get("clock")
        start = max(parse_utc(cfg.start_time), float(saved_clock or 0))
        self.clock = Clock(start)
        self._sites: dict[str, Site] = {}
        for index in range(max(1, cfg.sites)):
            site = make_site(cfg.seed, index, cfg.site_timezones.get(site_name(index), cfg.timezone))
            self._sites[site.name] = site
            if self.store.meta_get(f"site:{site.name}") is None:
                # generated from the start instant, not the running clock: the same seed gives the same
                # data however long building the previous site took
                ctx = Ctx(cfg.seed, site.name, site.tf, start, site.accounts, ranges={})
                populate(self.store, ctx, plan(cfg.size))
                self.store.meta_set(f"site:{site.name}", json.dumps({"seed": cfg.seed, "size": cfg.size}))
            self._load_users(site)
        self.store.meta_set("clock", str(self.clock.now()))
        self.api = Api(cfg, self.store, self.clock, self._sites)
        self.limiter = RateLimiter(cfg.rate_limit)
        self.faults = FaultPlan(cfg.faults, FAULT_KINDS)
        self._lock = threading.Lock()
        self.requests = RequestLog(self._lock, self._empty_stats, LOG_SIZE)
        self.app = build_app(self)

    # -- sites --------------------------------------------------------------------------------------------
    @property
    def sites(self) -> list[dict]:
        return [s.public() for s in self._sites.values()]

    @property
    def default(self) -> dict:
        return self.sites[0]

    @property
    def default_site(self) -> Site:
        return next(iter(self._sites.values()))

    def site(self, name: str | None) -> Site | None:
        return self.default_site if name is None else self._sites.get(name)

    def _load_users(self, site: Site) -> None:
        site.users = [{"user_id": u["id"], "username": u["username"], "password": password(self.config.seed, site.name, u["id"]),
                       "category": u["category"]}
                      for u in self.store.scan(site.name, "users") if u.get("status") == "active"]

    # -- data control -------------------------------------------------------------------------------------
    def set_count(self, site: str, module: str, n: int) -> None:
        """Replace a module's rows in a site with exactly ``n`` fresh generated ones (new ids, live, no
        subtasks), pointing at rows that exist."""
        s = self._require_site(site)
        if module not in MODULES or module in VIRTUAL:
            raise ValueError(f"module {module!r} has no stored rows")
        if n < 0:
            raise ValueError("n must be >= 0")
        store = self.store
        ranges = {m: store.id_range(s.name, m) or (0, -1) for m in MODULES}
        ctx = Ctx(self.config.seed, s.name, s.tf, self.clock.now(), s.accounts, ranges=ranges, fresh=True,
                  seqs={name: store.seq_value(s.name, name) for name in ("lines", "receiptLines")})
        store.clear_module(s.name, module)
        if n:
            first = store.next_id(s.name, MODULES[module].sequence, n)
            ctx.ranges[module] = (first, first + n - 1)
            store.insert_many(s.name, module, rows_for(ctx, module, first, n))
        for name, value in ctx.seqs.items():
            store.raise_seq(s.name, name, value)
        if module == "users":
            self._load_users(s)

    def _require_site(self, name: str) -> Site:
        if name not in self._sites:
            raise ValueError(f"unknown site {name!r}; sites: {list(self._sites)}")
        return self._sites[name]

    def advance_clock(self, seconds: float) -> float:
        now = self.clock.advance(seconds)
        self.store.meta_set("clock", str(now))
        self.api._last_purge = 0.0
        self.api.maybe_purge()
        return now

    # -- observation --------------------------------------------------------------------------------------
    @staticmethod
    def _empty_stats() -> dict:
        return {"requests": {"total": 0, "by_endpoint": {}, "by_site": {}, "by_status": {}},
                "faults_injected": {}, "rate_limited": 0}

    def record(self, entry: dict, status: int | None) -> None:
        self.requests.record(entry, status, (("by_endpoint", f"{entry['module']}/{entry['action']}"),
                                             ("by_site", entry["site"])))

    def count(self, name: str) -> None:
        self.requests.bump(name)

    def clock_stamp(self, now: float) -> str | None:
        return self.default_site.tf.iso(now)

    # -- serving ------------------------------------------------------------------------------------------
    def close(self) -> None:
        self.store.meta_set("clock", str(self.clock.now()))
        self.store.close()
        self._remove_temp()

    def _remove_temp(self) -> None:
        if self._temp_path:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.remove(self._temp_path + suffix)
            self._temp_path = None
