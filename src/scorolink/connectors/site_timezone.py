"""The site's time zone: learnt from Scoro once, kept with the site's facts, never guessed.

Invoices, bills, projects and receipts carry SQL-style datetimes with no offset, in the site's
zone (reference §7.2). Where it comes from, in order:
1. `SCORO_TIMEZONE` / `--timezone` / `timezone` in scorolink.toml: an explicit override;
2. the site's facts (learnt by an earlier run);
3. the user settings (`timezone`) of a user-token login (`userAuth/modify` returns them;
   `users/settings/{id}` when the token was given and the user id is known);
4. the users list: the `timezone` most of the first page's users carry;
5. the offset of the ISO datetimes on that page (a fixed offset: it knows no daylight-saving
   rules, and says so).
When none of these answers, reading a datetime without an offset fails with a message naming
SCORO_TIMEZONE; nothing is read as UTC by default.

`SiteZone` is a tzinfo that learns on first use, so a read that meets no SQL-style datetime (a
key lookup, most objects) costs no request for it.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scorolink.clients.errors import ApiError
from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.site_facts import SiteFacts
from scorolink.errors import ConfigError

log = logging.getLogger(__name__)

FACT = "timezone"


def zone_from_name(name: str) -> tzinfo:
    """`Europe/Tallinn`, `UTC`, or a fixed offset `+02:00` (what rule 5 stores)."""
    if name[:1] in "+-" and len(name) == 6 and name[3] == ":":
        sign = 1 if name[0] == "+" else -1
        return timezone(sign * timedelta(hours=int(name[1:3]), minutes=int(name[4:6])))
    return ZoneInfo(name)


class SiteZone(tzinfo):
    """The site's zone, learnt on first use (module doc)."""

    def __init__(self, client: ScoroClient, facts: SiteFacts) -> None:
        self.client = client
        self.facts = facts
        self._zone: tzinfo | None = None
        self.name: str | None = None
        self.source: str | None = None
        self._lock = threading.Lock()

    # -- learning ----------------------------------------------------------------------------------
    def resolve(self) -> tzinfo:
        if self._zone is None:
            with self._lock:
                if self._zone is None:
                    self.name, self.source = self._learn()
                    self._zone = zone_from_name(self.name)
        return self._zone

    def describe(self) -> dict[str, Any]:
        """{"timezone": name, "source": where it came from}; learns it when needed."""
        self.resolve()
        return {"timezone": self.name, "source": self.source}

    def request_to_learn(self) -> str | None:
        """The request learning the zone would send now (`users/list`, `users/settings`), or None when
        it costs none: set, learnt before for this site, or in the user settings a login brings."""
        if self._zone is not None or self.client.settings.timezone:
            return None
        known = self.facts.get(FACT)
        if isinstance(known, dict) and known.get("name"):
            return None
        if self.client.settings.api_key:
            return "users/list"
        settings = getattr(self.client, "user_settings", None) or {}
        if not self.client.settings.user_token and not settings:
            return None  # the login every user-login process starts with returns the user settings
        if _valid(settings.get("timezone")):
            return None
        return "users/settings" if settings.get("user_id") else "users/list"

    def _learn(self) -> tuple[str, str]:
        explicit = self.client.settings.timezone
        if explicit:
            return _checked(explicit, "SCORO_TIMEZONE"), "setting"
        known = self.facts.get(FACT)
        if isinstance(known, dict) and known.get("name"):
            return _checked(str(known["name"]), "the site's facts"), str(known.get("source") or "learnt")
        found = self._from_user_settings() or self._from_users()
        if found is None:
            raise ConfigError(
                "Could not learn the Scoro site's time zone (no user settings, no `timezone` on users, no "
                "ISO datetime with an offset), and datetimes without an offset need it. Set SCORO_TIMEZONE "
                "(e.g. Europe/Tallinn) or `timezone` under [scoro] in scorolink.toml.")
        name, source = found
        self.facts.put(FACT, {"name": name, "source": source})
        log.info("site time zone %s (from %s)", name, source)
        return name, source

    def _from_user_settings(self) -> tuple[str, str] | None:
        client = self.client
        if client.settings.api_key:
            return None
        try:
            if not client.settings.user_token:
                client._auth()  # logs in, which returns the user settings
            settings = getattr(client, "user_settings", None) or {}
            if not settings.get("timezone") and settings.get("user_id"):
                settings = client.call("users", "settings", settings["user_id"]) or {}
        except ApiError as exc:
            log.info("user settings unavailable: %s", exc)
            return None
        name = settings.get("timezone") if isinstance(settings, dict) else None
        return (str(name), "user settings") if _valid(name) else None

    def _from_users(self) -> tuple[str, str] | None:
        try:
            rows = self.client.list_page("users", 1, per_page=100)
        except ApiError as exc:
            log.info("users list unavailable: %s", exc)
            return None
        zones = Counter(str(r["timezone"]) for r in rows if _valid(r.get("timezone")))
        if zones:
            return zones.most_common(1)[0][0], "users list"
        offsets = Counter(o for r in rows for v in r.values() if (o := _offset(v)) is not None)
        if offsets:
            return offsets.most_common(1)[0][0], "ISO datetime offsets (no daylight-saving rules)"
        return None

    # -- tzinfo ------------------------------------------------------------------------------------
    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return self.resolve().utcoffset(None if dt is None else dt.replace(tzinfo=None))

    def dst(self, dt: datetime | None) -> timedelta | None:
        return self.resolve().dst(None if dt is None else dt.replace(tzinfo=None))

    def tzname(self, dt: datetime | None) -> str | None:
        return self.resolve().tzname(None if dt is None else dt.replace(tzinfo=None))

    def fromutc(self, dt: datetime) -> datetime:
        zone = self.resolve()
        return zone.fromutc(dt.replace(tzinfo=zone)).replace(tzinfo=self)

    def __repr__(self) -> str:
        return f"SiteZone({self.name or 'not learnt yet'})"


def _checked(name: str, where: str) -> str:
    try:
        zone_from_name(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{where}: {name!r} is not a time zone name; use one like Europe/Tallinn or UTC.") from exc
    return name


def _valid(name: Any) -> bool:
    if not isinstance(name, str) or not name.strip():
        return False
    try:
        zone_from_name(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _offset(value: Any) -> str | None:
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    delta = moment.utcoffset()
    if delta is None:
        return None
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
