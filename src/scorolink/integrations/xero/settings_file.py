"""The Scoro ↔ Xero sync's configuration on disk: reading and changing the [xero_sync] tables of
scorolink.toml. `scorolink xero configure` and the dashboard's settings page both change it through
`configure`, so both refuse the same values with the same words before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scorolink.config import read_config_file
from scorolink.errors import ConfigError
from scorolink.integrations.xero.integration import NAMES, ORDER, XeroSyncConfig

CATEGORY_KEYS = ("direction", "enabled", "start_date", "bookmark")
DEFAULT_KEYS = ("default_sales_account", "default_expense_account", "tracking_category", "bookmark_filters")


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
        if key not in DEFAULT_KEYS:
            raise ConfigError(f"[xero_sync] {key}: use one of {', '.join(DEFAULT_KEYS)}.")
        if value and data.get(key) != value:
            data[key] = value
            changed = True
    if allow_different_tax_rates is not None and data.get("allow_different_tax_rates") != allow_different_tax_rates:
        data["allow_different_tax_rates"] = allow_different_tax_rates
        changed = True
    for item in tax_map or []:
        code, sep, tax = item.partition("=")
        if not sep or not code.strip() or not tax.strip():
            raise ConfigError(f"--tax-map {item!r}: write SCORO_VAT_CODE=XERO_TAX_TYPE, e.g. VAT22=OUTPUT.")
        data.setdefault("tax_map", {})[code.strip()] = tax.strip()
        changed = True
    config = XeroSyncConfig.from_dict(data)  # refuses bad values before anything is written
    if changed:
        write_section(path, data)
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


def write_section(path: Path, data: dict[str, Any]) -> None:
    """Rewrite the [xero_sync] tables of scorolink.toml, keeping everything else as it was."""
    kept: list[str] = []
    skipping = False
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            header = line.strip()
            if header.startswith("["):
                skipping = header.strip("[]").split(".")[0].strip() == "xero_sync"
            if not skipping:
                kept.append(line)
    lines = ["[xero_sync]"]
    lines += [f"{k} = {_toml(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for name, table in data.items():
        if isinstance(table, dict):
            lines += ["", f"[xero_sync.{name}]"] + [f"{_key(k)} = {_toml(v)}" for k, v in table.items()]
    text = "\n".join(kept).rstrip()
    path.write_text((text + "\n\n" if text else "") + "\n".join(lines) + "\n", encoding="utf-8")


def _key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else '"' + name.replace('"', '\\"') + '"'


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
