"""Sites: separate Scoro accounts served by one sandbox, each with its key, company accounts and users."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .clock import TimeFormat


@dataclass
class Site:
    name: str
    index: int
    api_key: str
    accounts: list[str]
    timezone: str
    tf: TimeFormat
    users: list[dict] = field(default_factory=list)  # {"user_id", "username", "password"}

    @property
    def base_path(self) -> str:
        return "/api/v2" if self.index == 0 else f"/sites/{self.name}/api/v2"

    def public(self) -> dict:
        return {"site": self.name, "base_path": self.base_path, "api_key": self.api_key,
                "company_account_ids": list(self.accounts), "users": [dict(u) for u in self.users],
                "timezone": self.timezone}


def site_name(index: int) -> str:
    return "demo" if index == 0 else f"site{index}"


def make_site(seed: int, index: int, timezone: str) -> Site:
    name = site_name(index)
    key = "ScoroAPI_" + hashlib.sha256(f"{seed}:{name}:key".encode()).hexdigest()[:32]
    return Site(name, index, key, [name, f"{name}_fi"], timezone, TimeFormat(timezone))


def password(seed: int, site: str, user_id: int) -> str:
    return "pw-" + hashlib.sha256(f"{seed}:{site}:{user_id}:pw".encode()).hexdigest()[:10]
