"""The Scoro ↔ Xero sync's configuration on disk: reading and changing the [xero_sync] tables of
scorolink.toml. `scorolink xero configure` and the dashboard's settings page both change it through
`configure`, so both refuse the same values with the same words before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scorolink.commands.sync_report import write_section
from scorolink.config import read_config_file
from scorolink.errors import ConfigError
from scorolink.integrations.xero.integration import NAMES, ORDER, XeroSyncConfig

CATEGORY_KEYS = ("direction", "enabled", "start_date", "bookmark")
DEFAULT_KEYS = ("default_sales_account", "default_expense_account", "tracking_category")
SETTING_KEYS = (*DEFAULT_KEYS, "bookmark_filters")  # what `configure` may set besides categories


def read_section(path: Path) -> dict[str, Any]:
    return dict(read_config_file(path if path.exists() else None).get("xero_sync", {}))


def locked_start_dates(state: Any) -> dict[str, str]:
    """Category -> the start date its initial sync used ('' for none), for every pair a state database
    (a SyncStore) syncs: those dates no longer change (as in Scoro)."""
    from scorolink.integrations.xero.run import sync_jobs

    locked: dict[str, str] = {}
    for job in sync_jobs(state):
        for name in ORDER:
            fixed = state.setting(job, f"start_date:{name}")
            if fixed is not None:
                locked.setdefault(name, fixed)
    return locked


def configure(path: Path, categories: dict[str, dict[str, Any]] | None = None, *,
              defaults: dict[str, str | None] | None = None, tax_map: list[str] | None = None,
              locked: dict[str, str] | None = None,
              allow_different_tax_rates: bool | None = None) -> tuple[XeroSyncConfig, bool]:
    """Apply changes to [xero_sync]: per category (direction, enabled, start_date, bookmark), the default
    accounts and tracking category, and SCORO_VAT_CODE=XERO_TAX_TYPE tax-map items. A start date in
    `locked` (after the initial sync) cannot change. Returns the effective configuration and whether the
    file was written; bad values are refused before anything is written."""
    data = read_section(path)
    changed = False
    for category, values in (categories or {}).items():
        if category not in ORDER:
            raise ConfigError(f"--category {category!r}: use one of {', '.join(ORDER)}.")
        table = dict(data.get(category, {}))
        for key in CATEGORY_KEYS:
            value = values.get(key)
            if value is None or table.get(key) == value or (value == "" and key not in table):
                continue
            if key == "start_date" and locked is not None and category in locked and value != locked[category]:
                raise ConfigError(f"[xero_sync.{category}] start_date is locked after the initial sync (it used "
                                  f"{locked[category] or 'no start date'}); older records need a historical "
                                  "migration, or a new state database for a new sync.")
            table[key] = value
            changed = True
        data[category] = table
    for key, value in (defaults or {}).items():
        if key not in SETTING_KEYS:
            raise ConfigError(f"[xero_sync] {key}: use one of {', '.join(SETTING_KEYS)}.")
        if value and data.get(key) != value:
            data[key] = value
            changed = True
    if allow_different_tax_rates is not None and data.get("allow_different_tax_rates") != allow_different_tax_rates:
        data["allow_different_tax_rates"] = allow_different_tax_rates
        changed = True
    for item in tax_map or []:
        code, sep, tax = item.partition("=")
        if not sep or not code.strip() or not tax.strip():
            raise ConfigError(f"--tax-map {item!r}: write SCORO_VAT_CODE=XERO_TAX_TYPE, e.g. VAT22=TAX001.")
        data.setdefault("tax_map", {})[code.strip()] = tax.strip()
        changed = True
    config = XeroSyncConfig.from_dict(data)  # refuses bad values before anything is written
    if changed:
        write_section(path, "xero_sync", data)
    return config, changed


def summary(config: XeroSyncConfig) -> dict[str, Any]:
    """The effective configuration, as `xero configure --json` prints it."""
    effective = {name: {"enabled": s.enabled, "direction": NAMES.get(s.direction, s.direction),
                        "start_date": s.start_date.isoformat() if s.start_date else None,
                        "bookmark": config.bookmarks.get(name)}
                 for name, s in config.categories.items()}
    return {"categories": effective, "default_sales_account": config.default_sales_account,
            "default_expense_account": config.default_expense_account,
            "tracking_category": config.tracking_category, "tax_map": config.tax_map,
            "allow_different_tax_rates": config.allow_different_tax_rates,
            "bookmark_filters": config.bookmark_filters}
