"""Reading one `[<table>.<category>]` table of a counterpart's sync settings (`[xero_sync.invoices]`,
`[quickbooks_sync.contacts]`): enabled, direction (in the counterpart's words: to-xero, to-scoro), start_date
and bookmark, each refused with the setting named and the fix when it is wrong."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from scorolink.errors import ConfigError
from scorolink.sync.planner import CategorySettings


def parse_direction(table: str, category: str, text: str, allowed: tuple[str, ...], names: dict[str, str]) -> str:
    """`text` (a name of `names`: a_to_b → "to-xero") as a direction `category` allows (the first of `allowed`
    being its default)."""
    wanted = {name: key for key, name in names.items()}.get(text.lower())
    if wanted not in allowed:
        raise ConfigError(f"[{table}.{category}] direction {text!r}: use "
                          f"{' or '.join(names[d] for d in allowed)} (one way at a time, as in Scoro).")
    return wanted


def read_category(table: str, name: str, values: Any, settings: CategorySettings, *, directions: tuple[str, ...],
                  names: dict[str, str], bookmarkable: Collection[str]) -> str | None:
    """Sets `settings` from the category's table; its bookmark (the Scoro bookmark limiting what is pushed), if
    it names one."""
    if not isinstance(values, dict):
        raise ConfigError(f"[{table}.{name}] must be a table (enabled, direction, start_date, bookmark).")
    settings.enabled = bool(values.get("enabled", True))
    if "direction" in values:
        settings.direction = parse_direction(table, name, str(values["direction"]), directions, names)
    if values.get("start_date"):
        try:
            settings.start_date = date.fromisoformat(str(values["start_date"]))
        except ValueError as exc:
            raise ConfigError(f"[{table}.{name}] start_date {values['start_date']!r}: write YYYY-MM-DD.") from exc
    if values.get("bookmark") in (None, ""):
        return None
    if name not in bookmarkable:
        raise ConfigError(f"[{table}.{name}] bookmark: bookmarks limit what is pushed from Scoro for "
                          f"{', '.join(sorted(bookmarkable))} only.")
    return str(values["bookmark"])
