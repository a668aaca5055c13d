"""Scoro's two datetime families (ISO with offset, SQL style) in the site timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


class TimeFormat:
    """Formats epoch seconds the way Scoro writes them for one site."""

    def __init__(self, timezone: str) -> None:
        self.tz = ZoneInfo(timezone)
        self._offsets: dict[int, int] = {}  # hour number -> UTC offset in seconds (generation formats millions)

    def _wall(self, ts: float) -> tuple[datetime, int]:
        hour = int(ts // 3600)
        offset = self._offsets.get(hour)
        if offset is None:
            delta = datetime.fromtimestamp(hour * 3600, self.tz).utcoffset()
            offset = self._offsets[hour] = int(delta.total_seconds()) if delta else 0
        return datetime.fromtimestamp(int(ts) + offset, UTC), offset

    def local(self, ts: float) -> datetime:
        return datetime.fromtimestamp(ts, UTC).astimezone(self.tz).replace(microsecond=0)

    def iso(self, ts: float | None) -> str | None:
        if ts is None:
            return None
        d, off = self._wall(ts)
        sign, off = ("+", off) if off >= 0 else ("-", -off)
        return (f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}"
                f"{sign}{off // 3600:02d}:{off % 3600 // 60:02d}")

    def sql(self, ts: float | None) -> str | None:
        if ts is None:
            return None
        d, _ = self._wall(ts)
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d}:{d.second:02d}"

    def date(self, ts: float | None) -> str | None:
        if ts is None:
            return None
        d, _ = self._wall(ts)
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"

    def day_start_ts(self, day: str) -> float:
        """Epoch seconds of local midnight at the start of ``day`` (``YYYY-mm-dd``)."""
        d = date.fromisoformat(day[:10])
        return datetime(d.year, d.month, d.day, tzinfo=self.tz).timestamp()

    def next_day_start_ts(self, day: str) -> float:
        d = date.fromisoformat(day[:10]) + timedelta(days=1)
        return datetime(d.year, d.month, d.day, tzinfo=self.tz).timestamp()

    def parse(self, value: str) -> float | None:
        """Epoch seconds of an ISO/SQL datetime or date; naive values are read in the site timezone."""
        try:
            dt = datetime.fromisoformat(str(value).strip().replace(" ", "T", 1))
        except ValueError:
            return None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=self.tz)
        return dt.timestamp()
