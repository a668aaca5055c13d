"""What an integration's settings page is made of, described once per integration: its categories
(with the directions each may run in, one way at a time), its schedule choices, its default settings
and flags, and the operations behind each button. The dashboard draws every integration's page from
this description; an integration plugs in by adding `integrations/<name>/panel.py` with a `PANEL`
and a line in KNOWN below. The dashboard reaches the integration packages only through this module
(imported by name, as the runtime finds their operations).

Every operation is the one its CLI calls (configuration writes, dry run, run, record errors), so a
page can do nothing the CLI cannot.
"""

from __future__ import annotations

import importlib
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from scorolink.errors import ConfigError

# name -> module holding its PANEL; a module not there yet shows as "not available yet".
KNOWN = {"xero": "scorolink.integrations.xero.panel", "quickbooks": "scorolink.integrations.quickbooks.panel"}
TITLES = {"xero": "Xero", "quickbooks": "QuickBooks Online"}


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    directions: tuple[str, ...]  # as the CLI writes them; the first is the default
    bookmark: bool = False  # a Scoro bookmark may limit what is pushed
    follows: str | None = None  # set with another category (credit notes with invoices)
    background: bool = False  # a background item on its own schedule (QuickBooks)
    note: str = ""


@dataclass(frozen=True)
class Setting:
    name: str
    label: str
    hint: str = ""
    flag: bool = False  # a checkbox (e.g. "sync documents without tax details") rather than text


@dataclass(frozen=True)
class Schedules:
    """Automatic mode's choices (runtime schedules) and, where the integration has them, the separate
    choices for background items; manual mode is always there."""

    automatic: tuple[str, ...]
    background: tuple[str, ...] = ()


@dataclass
class Panel:
    """One integration's description; subclasses implement the operations with the CLI's functions."""

    name: str
    title: str
    operation: str  # the runtime operation a sync job runs
    cli: str  # the command group, for the page's "same as" lines
    categories: tuple[Category, ...]
    schedules: Schedules
    settings: tuple[Setting, ...] = ()
    tax_map: bool = False  # a Scoro VAT code -> counterpart tax type table
    object_hint: str = ""  # how one record is named for "send one object"
    directions: dict[str, str] = field(default_factory=dict)  # direction -> words on the page

    def job_name(self, connection: str) -> str:
        """The runtime job that syncs this integration for one Scoro connection."""
        return f"{self.name}-sync" + ("" if connection == "default" else f"-{connection}")

    # -- configuration ------------------------------------------------------------------------
    def current(self, config_file: str | None) -> dict[str, Any]:
        raise NotImplementedError

    def locked(self, state: Any) -> dict[str, str]:
        raise NotImplementedError

    def save(self, config_file: str | None, categories: dict[str, dict[str, Any]], settings: dict[str, Any],
             tax_map: list[str], locked: dict[str, str]) -> bool:
        raise NotImplementedError

    # -- the connection -----------------------------------------------------------------------
    def open(self, config_file: str | None, flags: dict[str, Any] | None,
             account: str = "default") -> AbstractContextManager[Any]:
        """The integration's session for one Scoro account (`account`, the connection's name: its tokens are
        its own), with that account's settings (`flags`, [connections.NAME.<integration>])."""
        raise NotImplementedError

    def authorize(self, session: Any, *, state: str, redirect_uri: str, code_challenge: str) -> str:
        """Where to send the browser to sign in (its answer comes back to `redirect_uri`)."""
        raise NotImplementedError

    def finish_sign_in(self, session: Any, *, code: str, redirect_uri: str, code_verifier: str,
                       tenant: str | None) -> None:
        """Exchange the callback's code and store the tokens (and the organisation or company in use)."""
        raise NotImplementedError

    def status(self, session: Any) -> dict[str, Any]:
        raise NotImplementedError

    def check(self, session: Any, scoro: Any) -> dict[str, Any]:
        raise NotImplementedError

    # -- syncing ------------------------------------------------------------------------------
    def sync(self, state: Any, scoro: Any, session: Any, config_file: str | None, *, only: list[str] | None,
             record: str | None, dry_run: bool) -> Any:
        raise NotImplementedError

    def errors(self, state: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def retry(self, state: Any, error_id: int) -> None:
        raise NotImplementedError

    def dismiss(self, state: Any, error_id: int) -> None:
        raise NotImplementedError

    def result_view(self, result: Any) -> dict[str, Any]:
        """A sync result as the page shows it: rows per category, planned writes, held-back records."""
        raise NotImplementedError


def available() -> list[tuple[str, str, Panel | None]]:
    """(name, title, panel or None when its package is not there yet) for every known integration."""
    out: list[tuple[str, str, Panel | None]] = []
    for name, module in KNOWN.items():
        try:
            panel = importlib.import_module(module).PANEL
        except ModuleNotFoundError:
            panel = None
        out.append((name, TITLES[name], panel))
    return out


def panel_for_operation(operation: str) -> Panel | None:
    """The integration whose sync job runs `operation` (None for replicate, export and the like)."""
    return next((p for _, _, p in available() if p is not None and p.operation == operation), None)


def run_view(name: str, result: Any, open_errors: int) -> dict[str, Any] | None:
    """A sync run's result as its integration's page shows it (the plan of a dry run, what was written,
    what was held back), JSON-ready, so the run's page shows it whichever worker ran it; None when the
    integration has no page."""
    import json

    panel = next((p for known, _, p in available() if known == name), None)
    if panel is None:
        return None
    view = {**panel.result_view(result), "open_errors": open_errors}
    return dict(json.loads(json.dumps(view, default=str)))


def database_panel() -> Any:
    """The database sync's page functions (integrations/database/panel.py): overview, settle."""
    return importlib.import_module("scorolink.integrations.database.panel")


def panel_of(name: str) -> Panel:
    for known, title, panel in available():
        if known == name:
            if panel is None:
                raise ConfigError(f"The {title} integration is not available in this version yet.")
            return panel
    raise ConfigError(f"No integration {name!r}: use one of {', '.join(KNOWN)}.")
