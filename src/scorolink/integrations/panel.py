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
from datetime import UTC, datetime
from typing import Any

from scorolink.errors import ConfigError

# name -> module holding its PANEL; a module not there yet shows as "not available yet".
KNOWN = {"xero": "scorolink.integrations.xero.panel", "quickbooks": "scorolink.integrations.quickbooks.panel"}
TITLES = {"xero": "Xero", "quickbooks": "QuickBooks Online"}
SHOWN_OPS = 200  # planned writes listed on a preview; the rest are counted


def token_health(tokens: Any) -> dict[str, Any]:
    """What a settings page shows of stored tokens (never a token itself): when they were obtained, expire
    and were last rotated, a refresh under way, and the scopes granted."""

    def when(epoch: float | None) -> datetime | None:
        return datetime.fromtimestamp(epoch, UTC) if epoch else None

    return {"expires_at": when(tokens.expires_at), "obtained_at": when(tokens.obtained_at),
            "rotated_at": when(tokens.rotated_at), "refresh_pending_since": when(tokens.refresh_pending_since),
            "has_refresh_token": bool(tokens.refresh_token), "scopes": tokens.scope.split()}


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    directions: tuple[str, ...]  # as the CLI writes them; the first is the default
    bookmark: bool = False  # a Scoro bookmark may limit what is pushed
    follows: str | None = None  # set with another category (credit notes with invoices)
    background: bool = False  # a background item on its own schedule (QuickBooks)
    note: str = ""
    off_when: str = ""  # a connection status flag that, when false, makes this category moot (class tracking)
    off_note: str = ""  # what the page says then


@dataclass(frozen=True)
class Setting:
    name: str
    label: str
    hint: str = ""
    flag: bool = False  # a checkbox (e.g. "sync documents without tax details") rather than text
    choices: bool = False  # a drop-down of the connection status's `choices[name]` (text when not connected)


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
    sync_table: Any = None  # its settings_file.SyncTable: where its settings live, per Scoro account
    tenant_word: str = "organisation"  # what one connected counterpart is called (QuickBooks: company)
    tenant_plural: str = "organisations"
    tenant_setting: str = "tenant_id"  # the app setting naming it ([connections.NAME.<name>]; QuickBooks: realm_id)

    def job_name(self, connection: str, part: str = "sync") -> str:
        """The runtime job that syncs this integration (part `sync`) or its background items (`background`)
        for one Scoro connection."""
        return f"{self.name}-{part}" + ("" if connection == "default" else f"-{connection}")

    def runtime_schedule(self, choice: str) -> str:
        """The runtime schedule of an automatic-mode choice on the page (the same words by default)."""
        return choice

    def job_params(self, part: str) -> dict[str, Any]:
        """The operation's parameters of the job running `part` (background items: those categories)."""
        return {"categories": [c.name for c in self.categories if c.background]} if part == "background" else {}

    def mode_saved(self, config_file: str | None, connection: str, modes: dict[str, str]) -> None:
        """After the page set automatic or manual mode (part -> choice or 'manual'): an integration that also
        keeps the mode in its settings writes it here, as its CLI does."""

    # -- configuration: the settings file, per Scoro account (integrations.settings_file) ---------
    def current(self, config_file: str | None, connection: str = "default") -> dict[str, Any]:
        from scorolink.integrations.settings_file import has_own_table, load, settings_path, summary

        config = load(self.sync_table, config_file, connection)
        shown = summary(self.sync_table, config)
        return {"categories": shown["categories"], "tax_map": config.tax_map,
                "settings": {s.name: bool(shown.get(s.name)) if s.flag else shown.get(s.name) or "" for s in self.settings},
                "own_table": has_own_table(self.sync_table, settings_path(config_file), connection),
                "table": self.sync_table.header(connection)}

    def locked(self, state: Any, config_file: str | None = None, connection: str = "default") -> dict[str, str]:
        """Start dates this account's initial syncs used (`state`: the state database's URL or store)."""
        from scorolink.integrations.settings_file import locked_start_dates, scoro_account_id
        from scorolink.sync.store import SyncStore

        store = SyncStore(state)
        try:
            return locked_start_dates(self.sync_table, store, scoro_account_id(config_file, connection))
        finally:
            store.close()

    def save(self, config_file: str | None, connection: str, categories: dict[str, dict[str, Any]],
             settings: dict[str, Any], tax_map: list[str], locked: dict[str, str],
             tax_map_remove: list[str] | None = None) -> bool:
        """`configure` with the page's values; refuses bad ones before writing anything."""
        from scorolink.integrations.settings_file import configure, settings_path

        return bool(configure(self.sync_table, settings_path(config_file), categories, account=connection,
                              settings=settings, tax_map=tax_map, tax_map_remove=tax_map_remove, locked=locked)[1])

    # -- the connection -----------------------------------------------------------------------
    def open(self, config_file: str | None, flags: dict[str, Any] | None,
             account: str = "default") -> AbstractContextManager[Any]:
        """The integration's session for one Scoro account (`account`, the connection's name: its tokens are
        its own), with that account's settings (`flags`, [connections.NAME.<integration>])."""
        raise NotImplementedError

    def authorize(self, session: Any, *, state: str, redirect_uri: str, code_challenge: str,
                  tenant: str | None = None) -> str:
        """Where to send the browser to sign in (its answer comes back to `redirect_uri`); `tenant` is the
        organisation or company picked on the page, where the page offers one."""
        raise NotImplementedError

    def sandbox_consent(self, session: Any, url: str) -> str:
        """The bundled (in-process) sandbox's authorize page, which no browser can reach, answered here: where
        its consent redirect sends the browser (the callback)."""
        answer = session.oauth.http.get(url, follow_redirects=False)
        if answer.status_code not in (302, 303) or not answer.headers.get("location"):
            raise ConfigError(f"The bundled {self.title} sandbox's authorize page answered HTTP {answer.status_code}.")
        return str(answer.headers["location"])

    def finish_sign_in(self, session: Any, *, code: str, redirect_uri: str, code_verifier: str,
                       tenant: str | None, callback: dict[str, str] | None = None, scoro: Any = None,
                       state: Any = None) -> None:
        """Exchange the callback's code and store the tokens (and the organisation or company in use);
        `callback` is the whole callback query, `scoro` the Scoro account's connector (for checks that
        refuse a connection, as the CLI's connect does), `state` the state database (for what the CLI's
        connect pulls right away)."""
        raise NotImplementedError

    def status(self, session: Any) -> dict[str, Any]:
        raise NotImplementedError

    def check(self, session: Any, scoro: Any) -> dict[str, Any]:
        raise NotImplementedError

    # -- record errors ------------------------------------------------------------------------
    def errors(self, state: Any, config_file: str | None = None, connection: str | None = None) -> list[dict[str, Any]]:
        """The open record errors of one Scoro account's sync (`connection`; every account's when its Scoro
        account is not known from the settings), with the next retry and who refused each."""
        from scorolink.integrations.settings_file import scoro_account_id
        from scorolink.sync.store import STANDING, SyncStore, next_retry

        account = scoro_account_id(config_file, connection) if connection else None
        store = SyncStore(state)
        try:
            jobs = [importlib.import_module(self.sync_table.run_module).sync_job(store, account)] if account else \
                self._jobs(store)
            return [{**row, "next_retry": next_retry(row), "standing": row["kind"] in STANDING,
                     "refused_by": self.sync_table.system if row["side"] == "b" else "Scoro"}
                    for job in jobs for row in store.errors(job)]
        finally:
            store.close()

    def retry(self, state: Any, error_id: int) -> None:
        self._each(state, error_id, "retry_error")

    def dismiss(self, state: Any, error_id: int) -> None:
        self._each(state, error_id, "dismiss_error")

    def result_view(self, result: Any) -> dict[str, Any]:
        """A sync result as the page shows it, in the words of the CLI's report (commands.sync_report): rows
        per category, planned writes, held-back records."""
        from scorolink.sync.report import OPS, Names, done_words, kind_words, planned_words

        names = Names(self.sync_table.system)
        rows, ops, issues = [], [], []
        for name, plan in result.plans.items():
            done = result.executed.get(name, {})
            rows.append({"category": name, "read_a": plan.read["a"], "read_b": plan.read["b"],
                         "planned": planned_words(plan.counts(), names), "unchanged": plan.counts().get("unchanged", 0),
                         "done": done_words(done)})
            for op in plan.ops:
                ops.append({"category": name, "what": OPS.get(op.op, op.op).format(side=names.side(op.target)),
                            "source": names.side("a" if op.target == "b" else "b"), "source_id": op.source_id,
                            "target_id": op.target_id or "",
                            "diff": [(k, a, b) for k, (a, b) in list(op.diff.items())[:6]]})
            for issue in plan.issues:
                issues.append({"category": name, "kind": kind_words(issue.kind),
                               "source_id": issue.source_id, "message": issue.message})
        return {"dry_run": result.dry_run, "run_id": result.run_id, "seconds": result.seconds, "rows": rows,
                "ops": ops[:SHOWN_OPS], "ops_total": len(ops), "issues": issues, "stopped": result.stopped}

    def _jobs(self, store: Any) -> list[str]:
        return list(importlib.import_module(self.sync_table.run_module).sync_jobs(store))

    def _each(self, state: Any, error_id: int, method: str) -> None:
        from scorolink.sync.store import SyncStore

        store = SyncStore(state)
        try:
            if not any(getattr(store, method)(job, error_id) for job in self._jobs(store)):
                raise ConfigError(f"No open error {error_id} in this sync's state; `{self.cli} errors` lists them.")
        finally:
            store.close()


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
