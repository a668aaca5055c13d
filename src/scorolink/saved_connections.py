"""Named Scoro connections kept in scorolink.toml: add one, read it back (secrets decrypted), show it
masked, and test it.

`scorolink connection add` and the dashboard's Connections page both call `add_connection`, which
appends a `[connections.NAME]` table to the settings file. The API key or password is never written in
clear: it is stored as `api_key_encrypted` / `password_encrypted`, Fernet-encrypted with the key from
SCOROLINK_SECRET_KEY or, when that is unset, from `.scorolink/secret.key` next to the settings file
(created with 0600 permissions on first use), the same key handling as the Xero token store.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

from scorolink.config import DEFAULT_CONFIG_FILE, ScoroSettings, config_path, read_config_file
from scorolink.errors import ConfigError

ENCRYPTED = {"api_key_encrypted": "api_key", "password_encrypted": "password"}
SECRET_FIELDS = ("api_key", "password", "user_token")
MASK = "••••••••"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")


def settings_file(config_file: str | None) -> Path:
    """The settings file connections are added to (created when missing)."""
    return config_path(config_file) or Path(config_file or DEFAULT_CONFIG_FILE)


def key_file(config_file: str | None) -> Path:
    return settings_file(config_file).resolve().parent / ".scorolink" / "secret.key"


def _fernet(config_file: str | None) -> Any:
    from cryptography.fernet import Fernet

    from scorolink.clients.oauth import load_fernet_key

    return Fernet(load_fernet_key(key_file(config_file)))


def decrypt_secrets(values: dict[str, Any], config_file: str | None, where: str) -> dict[str, Any]:
    """Replace `api_key_encrypted` / `password_encrypted` by their clear values (in memory only)."""
    from cryptography.fernet import InvalidToken

    out = dict(values)
    for stored, name in ENCRYPTED.items():
        if stored in out:
            try:
                out[name] = _fernet(config_file).decrypt(str(out.pop(stored)).encode()).decode()
            except InvalidToken as exc:
                raise ConfigError(f"{where}: {stored} cannot be decrypted with this secret key (SCOROLINK_SECRET_KEY "
                                  f"or {key_file(config_file)}); add the connection again.") from exc
    return out


def add_connection(config_file: str | None, name: str, *, base_url: str | None = None, subdomain: str | None = None,
                   company_account_id: str | None = None, api_key: str | None = None, username: str | None = None,
                   password: str | None = None, timezone: str | None = None) -> dict[str, Any]:
    """Validate and append `[connections.NAME]` to the settings file; returns the masked connection."""
    if not _NAME.match(name or ""):
        raise ConfigError(f"Connection name {name!r}: use letters, digits, '-' or '_' (at most 63).")
    if name == "default":
        raise ConfigError("Connection name 'default' is the [scoro] account; pick another name.")
    path = settings_file(config_file)
    existing = read_config_file(path if path.exists() else None).get("connections", {})
    if name in existing:
        raise ConfigError(f"Connection {name!r} exists already under [connections.{name}] in {path}; "
                          "remove it there first or pick another name.")
    clear: dict[str, Any] = {k: v.strip() if isinstance(v, str) else v for k, v in dict(
        base_url=base_url, subdomain=subdomain, company_account_id=company_account_id, api_key=api_key,
        username=username, password=password, timezone=timezone).items() if v not in (None, "")}
    try:
        ScoroSettings(**clear).validate()
    except ConfigError as exc:
        raise ConfigError(f"Connection {name}: {exc}") from exc
    fernet = _fernet(config_file)
    stored: dict[str, str] = {}
    for key, value in clear.items():
        if key in ("api_key", "password"):
            stored[f"{key}_encrypted"] = fernet.encrypt(value.encode()).decode()
        else:
            stored[key] = value
    text = f"\n[connections.{name}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in stored.items())
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    if before and not before.endswith("\n"):
        text = "\n" + text
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)
    read_config_file(path)  # the file must still parse
    return masked(name, stored, str(path))


def masked(name: str, values: dict[str, Any], source: str) -> dict[str, Any]:
    """A connection for display: addresses and logins as they are, every secret as a mask."""
    shown: dict[str, Any] = {"name": name, "source": source}
    secret_keys = set(SECRET_FIELDS) | set(ENCRYPTED)
    for key, value in values.items():
        if key in secret_keys:
            shown[ENCRYPTED.get(key, key)] = MASK
        elif key == "api_key_env":
            shown[key] = value  # the variable's name, not its value
        elif key in {f.name for f in fields(ScoroSettings)}:
            shown[key] = value
    shown["auth"] = ("API key" if "api_key" in shown or "api_key_env" in shown
                     else "user login" if "username" in shown else "none")
    return shown


def list_connections(config_file: str | None) -> list[dict[str, Any]]:
    """Every named connection, masked: `default` ([scoro], or the bundled sandbox) first."""
    from scorolink.config import load_scoro_settings

    path = config_path(config_file)
    data = read_config_file(path)
    source = str(path) if path else DEFAULT_CONFIG_FILE
    default = load_scoro_settings(None, config_file)
    if default.configured:
        values = {f.name: getattr(default, f.name) for f in fields(ScoroSettings)
                  if f.name in ("base_url", "subdomain", "company_account_id", "username", "timezone")
                  and getattr(default, f.name)}
        for secret in SECRET_FIELDS:
            if getattr(default, secret):
                values[secret] = "set"
        first = masked("default", values, f"[scoro] in {source} / SCORO_* environment")
    else:
        first = {"name": "default", "source": "bundled sandbox (no [scoro] account configured)", "auth": "sandbox"}
    rows = [first]
    for name, table in sorted(dict(data.get("connections", {})).items()):
        rows.append(masked(name, dict(table) if isinstance(table, dict) else {}, f"[connections.{name}] in {source}"))
    return rows


def check_connection(client: Any, connector: Any) -> dict[str, Any]:
    """Authenticate and read: the company accounts, the site time zone (the setting, or learnt from the site:
    see connectors/site_timezone.py) and where it came from, the custom fields and the rate-limit budget seen."""
    started = time.monotonic()
    accounts = client.company_accounts()
    custom = connector.custom_field_definitions()
    zone = connector.tz.describe()
    limiter = client.limiter.state
    now = time.monotonic()
    return {
        "ok": True, "target": client.settings.url, "company_account_id": client.settings.company_account_id,
        "company_accounts": len(accounts),  # a count, as `connection test --json` has always printed
        "accounts": [{"id": a.get("id"), "name": a.get("company_name") or a.get("alternative_name") or ""}
                     for a in accounts],
        "timezone": zone["timezone"], "timezone_source": zone["source"],
        "custom_fields": len(custom),
        "rate_limit": {"per_window": limiter.limit, "window_remaining": limiter.remaining,
                       "daily_remaining": limiter.daily_remaining,
                       "daily_reset_seconds": round(max(0.0, limiter.daily_reset_at - now)) if limiter.daily_reset_at
                       else None},
        "requests": client.stats.total, "seconds": round(time.monotonic() - started, 3),
    }
