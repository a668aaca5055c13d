"""The accounting integrations' configuration on disk: the `[xero_sync]` and `[quickbooks_sync]` tables of
scorolink.toml, read and changed per Scoro account. `scorolink xero configure`, `scorolink quickbooks
configure` and the dashboard's settings pages all change them through `configure`, so each refuses the same
values with the same words before anything is written.

One Scoro account (entity) syncs with one organisation or company, so each keeps its own settings:

    [xero_sync]                 # the default account (flags / environment / [scoro])
    default_sales_account = "200"
    [xero_sync.invoices]
    enabled = true

    [xero_sync.acme]            # the account [connections.acme]
    default_sales_account = "4000"
    [xero_sync.acme.invoices]
    enabled = false

A sub-table is an account's when a `[connections.NAME]` table of that name exists; every other sub-table is
a category (or the tax map), as before accounts had tables. A named account without a table of its own uses
the default's settings (files written before keep working); its first change copies them into its own table,
so only what was asked changes."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scorolink.config import config_path, load_scoro_settings, read_config_file
from scorolink.errors import ConfigError

DEFAULT = "default"  # the ordinary Scoro account (runtime.connections.DEFAULT_CONNECTION)
CATEGORY_KEYS = ("direction", "enabled", "start_date", "bookmark")


@dataclass(frozen=True)
class SyncTable:
    """One integration's table: its categories, the settings `configure` may set, and where its parsing
    (the integration's config class) and its sync keys (run.sync_job / sync_jobs) live."""

    table: str
    system: str
    settings: tuple[str, ...]
    module: str  # the integration: ORDER (its categories), NAMES (direction words) and the config class
    config_class: str  # in `module`, with from_dict(); refuses bad values
    run_module: str  # has sync_job(store, scoro_account) and sync_jobs(store)
    tax_words: str  # how a tax-map item is written, e.g. SCORO_VAT_CODE=XERO_TAX_TYPE
    tax_example: str

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(importlib.import_module(self.module).ORDER)

    @property
    def direction_names(self) -> dict[str, str]:
        return dict(importlib.import_module(self.module).NAMES)

    def parse(self, data: dict[str, Any]) -> Any:
        return getattr(importlib.import_module(self.module), self.config_class).from_dict(data)

    def header(self, account: str) -> str:
        return f"[{self.table}]" if account == DEFAULT else f"[{self.table}.{account}]"


XERO = SyncTable(
    table="xero_sync", system="Xero",
    settings=("default_sales_account", "default_expense_account", "tracking_category", "bookmark_filters",
              "allow_different_tax_rates"),
    module="scorolink.integrations.xero.integration", config_class="XeroSyncConfig",
    run_module="scorolink.integrations.xero.run",
    tax_words="SCORO_VAT_CODE=XERO_TAX_TYPE", tax_example="VAT22=TAX001")

QUICKBOOKS = SyncTable(
    table="quickbooks_sync", system="QuickBooks",
    settings=("mode", "schedule", "background_schedule", "default_income_account", "default_expense_account",
              "sync_without_tax", "attachments"),
    module="scorolink.integrations.quickbooks.integration", config_class="QuickBooksSyncConfig",
    run_module="scorolink.integrations.quickbooks.run",
    tax_words="SCORO_VAT_CODE=QUICKBOOKS_TAX_CODE", tax_example='VAT22="23% S"')


def settings_path(config_file: str | None) -> Path:
    """The scorolink.toml the commands read (--config, SCOROLINK_CONFIG, ./scorolink.toml) — written there."""
    return config_path(config_file) or Path("scorolink.toml")


def _accounts(spec: SyncTable, whole: dict[str, Any]) -> set[str]:
    """The named Scoro accounts ([connections.NAME]); a name that is also a key of the table is refused."""
    names = set(whole.get("connections", {}))
    clash = sorted(names & {*spec.order, *spec.settings, "tax_map"})
    if clash:
        raise ConfigError(f"[connections.{clash[0]}]: that name is also a {spec.header(DEFAULT)} setting or category, "
                          f"so its {spec.system} settings could not be told apart; rename the connection.")
    return names


def _whole(spec: SyncTable, path: Path) -> tuple[dict[str, Any], set[str]]:
    whole = read_config_file(path if path.exists() else None)
    return dict(whole.get(spec.table, {})), _accounts(spec, whole)


def _check_account(spec: SyncTable, account: str, accounts: set[str]) -> None:
    if account != DEFAULT and account not in accounts:
        raise ConfigError(f"--connection {account!r}: no [connections.{account}] table (known: "
                          f"{', '.join([DEFAULT, *sorted(accounts)])}).")


def has_own_table(spec: SyncTable, path: Path, account: str = DEFAULT) -> bool:
    """Whether `account` has settings of its own (the default always has)."""
    table, accounts = _whole(spec, path)
    return account == DEFAULT or (account in accounts and isinstance(table.get(account), dict))


def read_section(spec: SyncTable, path: Path, account: str = DEFAULT) -> dict[str, Any]:
    """The settings of one Scoro account: its own table, else (a named account) the default's. A name with no
    [connections.NAME] (a test's or a service's own connections) reads the default's too."""
    table, accounts = _whole(spec, path)
    if account in accounts and isinstance(table.get(account), dict):
        return dict(table[account])
    return {k: v for k, v in table.items() if k not in accounts}


def load(spec: SyncTable, config_file: str | None, account: str | None = None) -> Any:
    """The effective configuration of one account (the integration's config object)."""
    return spec.parse(read_section(spec, settings_path(config_file), account or DEFAULT))


def scoro_account_id(config_file: str | None, account: str) -> str | None:
    """The Scoro company account a connection syncs (its sync state's key), from the settings alone; None for
    the bundled sandbox, whose account is known only once it runs."""
    if account == DEFAULT:
        settings = load_scoro_settings(None, config_file)
        return str(settings.company_account_id) if settings.configured and settings.company_account_id else None
    table = read_config_file(config_path(config_file)).get("connections", {}).get(account, {})
    found = table.get("company_account_id") if isinstance(table, dict) else None
    return str(found) if found else None


def locked_start_dates(spec: SyncTable, state: Any, scoro_account: str | None = None) -> dict[str, str]:
    """Category -> the start date its initial sync used ('' for none): those dates no longer change (as in
    Scoro). `state` is a SyncStore; with `scoro_account` only that account's pair counts, else every pair
    the state database syncs."""
    run = importlib.import_module(spec.run_module)
    jobs = [run.sync_job(state, scoro_account)] if scoro_account else run.sync_jobs(state)
    locked: dict[str, str] = {}
    for job in jobs:
        for name in spec.order:
            fixed = state.setting(job, f"start_date:{name}")
            if fixed is not None:
                locked.setdefault(name, fixed)
    return locked


def configure(spec: SyncTable, path: Path, categories: dict[str, dict[str, Any]] | None = None, *,
              account: str = DEFAULT, settings: dict[str, Any] | None = None, tax_map: list[str] | None = None,
              tax_map_remove: list[str] | None = None, locked: dict[str, str] | None = None) -> tuple[Any, bool]:
    """Apply changes to one account's table: per category (direction, enabled, start_date, bookmark), the
    settings (None or '' leaves one as it is), tax-map items to add (CODE=TAX) and codes to remove. A start
    date in `locked` (after the initial sync) cannot change. Returns the effective configuration and whether
    the file was written; bad values are refused before anything is written."""
    table, accounts = _whole(spec, path)
    _check_account(spec, account, accounts)
    data = read_section(spec, path, account)
    where = spec.header(account)[1:-1]
    changed = False  # a named account's first change writes its own copy of what it read (the default's)
    for category, values in (categories or {}).items():
        if category not in spec.order:
            raise ConfigError(f"--category {category!r}: use one of {', '.join(spec.order)}.")
        current = dict(data.get(category, {}))
        for key in CATEGORY_KEYS:
            value = values.get(key)
            if value is None or current.get(key) == value or (value == "" and key not in current):
                continue
            if key == "start_date" and locked is not None and category in locked and value != locked[category]:
                raise ConfigError(f"[{where}.{category}] start_date is locked after the initial sync (it used "
                                  f"{locked[category] or 'no start date'}); older records need a historical "
                                  "migration, or a new state database for a new sync.")
            current[key] = value
            changed = True
        data[category] = current
    for key, value in (settings or {}).items():
        if key not in spec.settings:
            raise ConfigError(f"[{where}] {key}: use one of {', '.join(spec.settings)}.")
        if value is None or value == "" or data.get(key) == value:
            continue
        data[key] = value
        changed = True
    for item in tax_map or []:
        code, sep, tax = item.partition("=")
        if not sep or not code.strip() or not tax.strip():
            raise ConfigError(f"--tax-map {item!r}: write {spec.tax_words}, e.g. {spec.tax_example}.")
        if data.get("tax_map", {}).get(code.strip()) != tax.strip():
            data["tax_map"] = {**data.get("tax_map", {}), code.strip(): tax.strip()}
            changed = True
    for code in tax_map_remove or []:
        mapped = dict(data.get("tax_map", {}))
        if code.strip() not in mapped:
            raise ConfigError(f"--tax-map-remove {code!r}: the tax map of {spec.header(account)} has no such "
                              f"Scoro VAT code (it has {', '.join(mapped) or 'none'}).")
        del mapped[code.strip()]
        data["tax_map"] = mapped
        changed = True
    if data.get("tax_map") == {}:
        del data["tax_map"]
    config = spec.parse(data)  # refuses bad values before anything is written
    if changed:
        if account == DEFAULT:
            table = {**data, **{k: v for k, v in table.items() if k in accounts}}
        else:
            table[account] = data
        write_section(path, spec.table, table)
    return config, changed


def summary(spec: SyncTable, config: Any) -> dict[str, Any]:
    """The effective configuration, as `configure --json` prints it."""
    effective = {name: {"enabled": s.enabled, "direction": spec.direction_names.get(s.direction, s.direction),
                        "start_date": s.start_date.isoformat() if s.start_date else None,
                        "bookmark": config.bookmarks.get(name)}
                 for name, s in config.categories.items()}
    return {"categories": effective, **{k: getattr(config, k) for k in spec.settings}, "tax_map": config.tax_map}


# -- the writer --------------------------------------------------------------------------------------------
def write_section(path: Path, table: str, data: dict[str, Any]) -> None:
    """Rewrite the [`table`] tables of scorolink.toml, keeping everything else as it was."""
    kept: list[str] = []
    skipping = False
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            header = line.strip()
            if header.startswith("["):
                skipping = header.strip("[]").split(".")[0].strip() == table
            if not skipping:
                kept.append(line)
    text = "\n".join(kept).rstrip()
    path.write_text((text + "\n\n" if text else "") + "\n".join(_tables(table, data)) + "\n", encoding="utf-8")


def _tables(header: str, data: dict[str, Any]) -> list[str]:
    """`[header]` with its values, then each sub-table (an account's settings hold category tables)."""
    lines = [f"[{header}]"] + [f"{_key(k)} = {_toml(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for name, sub in data.items():
        if isinstance(sub, dict):
            lines += ["", *_tables(f"{header}.{_key(name)}", sub)]
    return lines


def _key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else '"' + name.replace('"', '\\"') + '"'


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
