"""The site's time zone: learnt from Scoro once, kept with the site's facts, never guessed.

Invoices, bills, projects and receipts carry SQL-style datetimes with no offset, in the site's
zone (reference §7.2). Where it comes from, in order:
1. `SCORO_TIMEZONE` / `--timezone` / `timezone` in scorolink.toml: an explicit override;
2. the site's facts (learnt by an earlier run);
3. the user settings (`timezone`) of a user-token login (`userAuth/modify` returns them;
   `users/settings/{id}` when the token was given and the user id is known);
4. the users list: the `timezone` most of the first page's users carry;
5. the offsets of the ISO datetimes on that page: a fixed offset when they are all the same (it
   knows no daylight-saving rules, and says so); when they differ, a zone whose rules give each
   of them (`_from_offsets`).
When none of these answers, reading a datetime without an offset fails with a message naming
SCORO_TIMEZONE; nothing is read as UTC by default.

`SiteZone` is a tzinfo that learns on first use, so a read that meets no SQL-style datetime (a
key lookup, most objects) costs no request for it.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

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
        moments = [m for r in rows for v in r.values() if (m := _moment(v)) is not None]
        return _from_offsets(moments) if moments else None

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


def _moment(value: Any) -> datetime | None:
    """An ISO datetime with an offset (`2026-03-25T15:47:20+02:00`), else None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.utcoffset() is not None else None


def _offset_name(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# Which of the zones with the same rules names them (not Antarctica/Macquarie for Hobart's).
REGIONS = ("Europe", "America", "Australia", "Asia", "Africa", "Pacific", "Atlantic", "Indian")


def _from_offsets(moments: list[datetime]) -> tuple[str, str]:
    """The zone the offsets of ISO datetimes tell. One offset throughout: that fixed offset (it
    cannot tell daylight-saving rules). Several (a site that changes its clocks): a fixed offset is
    wrong for part of the year, so the zone is one whose rules give every offset seen at its
    instant; of the zones that do, the rules most zones share (the EU's for a Tallinn site's
    +02:00/+03:00, not Cairo's), named by the first of those zones."""
    offsets = Counter(_offset_name(m.utcoffset() or timedelta(0)) for m in moments)
    if len(offsets) == 1:
        return next(iter(offsets)), "ISO datetime offsets (no daylight-saving rules)"
    seen = {(m.astimezone(UTC), m.utcoffset()) for m in moments}
    matching = []
    for name in sorted(available_timezones()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/")):
            continue
        zone = ZoneInfo(name)
        if all(when.astimezone(zone).utcoffset() == offset for when, offset in seen):
            matching.append(zone)
    if not matching:
        return offsets.most_common(1)[0][0], "ISO datetime offsets (no daylight-saving rules)"
    latest = max(when for when, _ in seen)
    # the offset every hour of the two years up to the latest instant seen: zones with the same
    # pattern have the same rules there
    probes = [latest - timedelta(hours=i) for i in range(2 * 365 * 24)]
    families: dict[tuple[timedelta | None, ...], list[str]] = {}
    for zone in matching:
        families.setdefault(tuple(p.astimezone(zone).utcoffset() for p in probes), []).append(zone.key)
    family = max(families.values(), key=len)
    name = min(family, key=lambda n: (REGIONS.index(r) if (r := n.split("/")[0]) in REGIONS else len(REGIONS), n))
    return name, f"ISO datetime offsets (daylight-saving rules of {name} and {len(family) - 1} zones alike)"
