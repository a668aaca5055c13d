"""Connection settings: command-line flags, then environment, then `scorolink.toml`.

    [scoro]
    subdomain = "acme"              # or base_url = "https://acme.scoro.com/api/v2"
    company_account_id = "acme"
    api_key = "ScoroAPI_..."        # or username + password (user-level access)
    timezone = "Europe/Tallinn"     # overrides the site time zone scorolink learns from Scoro

    [scoro.modules]                 # override a module path the public sources do not confirm
    Bookings = "bookings"

Environment variables: SCORO_BASE_URL, SCORO_SUBDOMAIN, SCORO_COMPANY_ACCOUNT_ID,
SCORO_API_KEY, SCORO_USERNAME, SCORO_PASSWORD, SCORO_TIMEZONE, SCORO_LANG.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scorolink.errors import ConfigError

CONFIG_FILE_ENV = "SCOROLINK_CONFIG"
DEFAULT_CONFIG_FILE = "scorolink.toml"


@dataclass
class ScoroSettings:
    base_url: str | None = None
    subdomain: str | None = None
    company_account_id: str | None = None
    api_key: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    user_token: str | None = field(default=None, repr=False)
    timezone: str | None = None  # None: learnt from the site (connectors/site_timezone.py)
    lang: str | None = None
    user_agent: str = "scorolink/0.1 (+https://github.com/scorolink/scorolink)"
    app_id: str | None = None  # `scoro-app-id` header, only for public (App Store) integrations
    timeout: float = 60.0
    # How long Scoro may go on with a request the client gave up on (not documented: the safe side).
    # A create whose answer was lost is looked up only once this long has passed since it was sent.
    server_timeout: float = 120.0
    max_attempts: int = 5
    max_concurrency: int = 4
    per_window: int | None = None  # requests per 2-second window; None learns it from the headers
    max_retry_wait: float = 120.0  # longer Retry-After waits are raised, not slept
    page_size: int = 100
    detailed_page_size: int = 25
    modules: dict[str, str] = field(default_factory=dict)
    custom_fields_max_age: float = 86400.0  # seconds discovered custom fields are reused (site facts)

    @property
    def configured(self) -> bool:
        """True when any credential is set; otherwise the CLI falls back to the bundled sandbox."""
        return bool(self.api_key or self.username or self.user_token)

    @property
    def url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        if self.subdomain:
            return f"https://{self.subdomain}.scoro.com/api/v2"
        raise ConfigError(
            "No Scoro address: set SCORO_BASE_URL (e.g. https://acme.scoro.com/api/v2) or SCORO_SUBDOMAIN "
            "(the part before .scoro.com), or `base_url`/`subdomain` under [scoro] in scorolink.toml."
        )

    @property
    def tz(self) -> ZoneInfo | None:
        """The overriding zone, or None when the site's own is to be learnt."""
        if not self.timezone:
            return None
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"SCORO_TIMEZONE {self.timezone!r} is not a time zone name; use one like Europe/Tallinn or UTC."
            ) from exc

    def validate(self) -> ScoroSettings:
        _ = self.url
        _ = self.tz
        if not self.company_account_id:
            raise ConfigError(
                "SCORO_COMPANY_ACCOUNT_ID is not set. Find it under Settings → Site settings → Integrations → "
                "Scoro API (column company_account_id), or list accounts with `scorolink connection accounts`."
            )
        if self.api_key and self.username:
            raise ConfigError("Set either SCORO_API_KEY or SCORO_USERNAME/SCORO_PASSWORD, not both.")
        if self.username and not self.password:
            raise ConfigError("SCORO_USERNAME is set but SCORO_PASSWORD is not.")
        if not (self.api_key or self.username or self.user_token):
            raise ConfigError("No credentials: set SCORO_API_KEY, or SCORO_USERNAME and SCORO_PASSWORD.")
        return self


_ENV = {
    "base_url": "SCORO_BASE_URL",
    "subdomain": "SCORO_SUBDOMAIN",
    "company_account_id": "SCORO_COMPANY_ACCOUNT_ID",
    "api_key": "SCORO_API_KEY",
    "username": "SCORO_USERNAME",
    "password": "SCORO_PASSWORD",
    "timezone": "SCORO_TIMEZONE",
    "lang": "SCORO_LANG",
    "per_window": "SCORO_PER_WINDOW",
    "max_concurrency": "SCORO_MAX_CONCURRENCY",
    "timeout": "SCORO_TIMEOUT",
    "server_timeout": "SCORO_SERVER_TIMEOUT",
}


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    candidate = explicit or os.environ.get(CONFIG_FILE_ENV)
    if candidate:
        path = Path(candidate)
        if not path.exists():
            raise ConfigError(f"Config file {path} does not exist (from --config or {CONFIG_FILE_ENV}).")
        return path
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.exists() else None


def read_config_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def load_scoro_settings(
    flags: dict[str, Any] | None = None, config_file: str | os.PathLike[str] | None = None
) -> ScoroSettings:
    """Merge flags over environment over the [scoro] table of scorolink.toml."""
    merged: dict[str, Any] = dict(read_config_file(config_path(config_file)).get("scoro", {}))
    for key, env in _ENV.items():
        if os.environ.get(env):
            merged[key] = os.environ[env]
    merged.update({k: v for k, v in (flags or {}).items() if v is not None})
    known = {f.name: f for f in fields(ScoroSettings)}
    unknown = sorted(set(merged) - set(known))
    if unknown:
        raise ConfigError(f"Unknown setting(s) under [scoro]: {', '.join(unknown)}. Known: {', '.join(known)}.")
    for name in ("timeout", "server_timeout", "max_retry_wait", "custom_fields_max_age"):
        if name in merged:
            merged[name] = _number(name, merged[name], float)
    for name in ("per_window", "max_concurrency", "max_attempts", "page_size", "detailed_page_size"):
        if name in merged:
            merged[name] = _number(name, merged[name], int)
    return ScoroSettings(**merged)


def _number(name: str, value: Any, kind: type) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"Setting {name} must be a number, got {value!r}.") from exc


def load_table_settings(cls: Any, table: str, env: dict[str, str], flags: dict[str, Any] | None = None,
                        config_file: str | os.PathLike[str] | None = None) -> Any:
    """A settings dataclass from flags over environment (`env`: field → variable) over the [`table`] table of
    scorolink.toml; unknown keys are refused by name, and fields annotated int or float are coerced."""
    merged: dict[str, Any] = dict(read_config_file(config_path(config_file)).get(table, {}))
    for key, name in env.items():
        if os.environ.get(name):
            merged[key] = os.environ[name]
    merged.update({k: v for k, v in (flags or {}).items() if v is not None})
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(merged) - set(known))
    if unknown:
        raise ConfigError(f"Unknown setting(s) under [{table}]: {', '.join(unknown)}. Known: {', '.join(known)}.")
    for name, value in list(merged.items()):
        kind = str(known[name].type)
        if value is not None and kind.split(" ")[0] in ("int", "float"):
            merged[name] = _number(name, value, int if kind.startswith("int") else float)
    return cls(**merged)
