"""The Xero integration's settings page, described for the dashboard (integrations/panel.py): its
categories and directions as Scoro's Xero integration has them, automatic mode every five minutes,
the default accounts, tracking category and tax map, and the operations behind the buttons — the
functions `scorolink xero configure | sync | errors` call."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scorolink.config import config_path
from scorolink.errors import ConfigError, ScorolinkError
from scorolink.integrations.panel import Category, Panel, Schedules, Setting

SHOWN_OPS = 200  # planned writes listed on a preview; the rest are counted


def _when(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch else None


def _path(config_file: str | None) -> Path:
    return config_path(config_file) or Path("scorolink.toml")


class XeroPanel(Panel):
    def current(self, config_file: str | None) -> dict[str, Any]:
        from scorolink.integrations.xero.integration import XeroSyncConfig
        from scorolink.integrations.xero.settings_file import DEFAULT_KEYS, read_section, summary

        config = XeroSyncConfig.from_dict(read_section(_path(config_file)))
        shown = summary(config)
        return {"categories": shown["categories"], "settings": {k: shown[k] or "" for k in DEFAULT_KEYS},
                "tax_map": config.tax_map}

    def locked(self, state: Any) -> dict[str, str]:
        from scorolink.integrations.xero.settings_file import locked_start_dates
        from scorolink.sync.store import SyncStore

        store = SyncStore(state)
        try:
            return locked_start_dates(store)
        finally:
            store.close()

    def save(self, config_file: str | None, categories: dict[str, dict[str, Any]], settings: dict[str, Any],
             tax_map: list[str], locked: dict[str, str]) -> bool:
        from scorolink.integrations.xero.settings_file import configure

        return configure(_path(config_file), categories, defaults=settings, tax_map=tax_map, locked=locked)[1]

    def open(self, config_file: str | None, flags: dict[str, Any] | None,
             account: str = "default") -> AbstractContextManager[Any]:
        from scorolink.integrations.xero.session import open_xero

        return open_xero(flags or None, config_file, account=account)

    def authorize(self, session: Any, *, state: str, redirect_uri: str, code_challenge: str) -> str:
        """Xero's authorize page; the bundled (in-process) sandbox has none a browser can reach, so its
        consent step is taken here and the browser goes straight to the callback, as `xero connect`
        does with it."""
        url = session.oauth.authorization_url(state, redirect_uri=redirect_uri, code_challenge=code_challenge)
        if session.sandbox is None:
            return str(url)
        answer = session.oauth.http.get(url, follow_redirects=False)
        if answer.status_code not in (302, 303) or not answer.headers.get("location"):
            raise ConfigError(f"The bundled Xero sandbox's authorize page answered HTTP {answer.status_code}.")
        return str(answer.headers["location"])

    def finish_sign_in(self, session: Any, *, code: str, redirect_uri: str, code_verifier: str,
                       tenant: str | None) -> None:
        """As `xero connect --tenant`: the code exchanged, the organisations listed, one chosen, stored."""
        session.oauth.finish_sign_in(code, redirect_uri=redirect_uri, code_verifier=code_verifier,
                                     complete=session.oauth.tenants_of(tenant or session.settings.tenant_id))

    def status(self, session: Any) -> dict[str, Any]:
        """What is stored about the connection, without calling Xero: never a token itself."""
        from scorolink.clients.oauth import ReconnectRequired

        try:
            tokens = session.oauth.tokens()
        except ReconnectRequired:
            return {"connected": False, "target": session.label}
        chosen = session.settings.tenant_id or tokens.tenant_id
        tenants = [{"id": t.get("tenantId"), "name": t.get("tenantName"), "type": t.get("tenantType"),
                    "connected_at": t.get("createdDateUtc")} for t in tokens.tenants]
        return {"connected": True, "target": session.label, "tenant_id": chosen,
                "tenant_name": next((t["name"] for t in tenants if t["id"] == chosen), None), "tenants": tenants,
                "expires_at": _when(tokens.expires_at), "obtained_at": _when(tokens.obtained_at),
                "rotated_at": _when(tokens.rotated_at), "refresh_pending_since": _when(tokens.refresh_pending_since),
                "has_refresh_token": bool(tokens.refresh_token), "scopes": tokens.scope.split()}

    def check(self, session: Any, scoro: Any) -> dict[str, Any]:
        """One call to Xero (`xero status`) and the currency check a sync makes first."""
        from scorolink.integrations.xero.integration import check_currencies

        try:
            organisation = session.client.organisation()
        except ScorolinkError as exc:
            return {"ok": False, "error": str(exc)}
        result = {"ok": True, "organisation": organisation.get("Name"),
                  "base_currency": organisation.get("BaseCurrency"), "currencies_ok": True, "currency_message": ""}
        try:
            check_currencies(scoro, session.connector)
        except ConfigError as exc:
            result.update(currencies_ok=False, currency_message=str(exc))
        return result

    def sync(self, state: Any, scoro: Any, session: Any, config_file: str | None, *, only: list[str] | None,
             record: str | None, dry_run: bool) -> Any:
        """`scorolink xero sync [--category …] [--object …] [--dry-run]`: the result and the open errors."""
        from scorolink.integrations.xero.integration import XeroSyncConfig
        from scorolink.integrations.xero.run import SyncRequest, run_xero_sync
        from scorolink.integrations.xero.settings_file import read_section
        from scorolink.integrations.xero.sync_commands import parse_object
        from scorolink.sync.store import SyncStore

        config = XeroSyncConfig.from_dict(read_section(_path(config_file)))
        request = SyncRequest(only=only or None, record=parse_object(record) if record else None, dry_run=dry_run)
        store = SyncStore(state)
        try:
            result = run_xero_sync(store, scoro, session, config, request)
            return result, len(store.errors(result.job))
        finally:
            store.close()

    def errors(self, state: Any) -> list[dict[str, Any]]:
        from scorolink.integrations.xero.run import sync_jobs
        from scorolink.sync.store import SyncStore, next_retry

        store = SyncStore(state)
        try:
            return [{**row, "next_retry": next_retry(row), "refused_by": "Xero" if row["side"] == "b" else "Scoro"}
                    for job in sync_jobs(store) for row in store.errors(job)]
        finally:
            store.close()

    def retry(self, state: Any, error_id: int) -> None:
        self._each(state, error_id, "retry_error")

    def dismiss(self, state: Any, error_id: int) -> None:
        self._each(state, error_id, "dismiss_error")

    def result_view(self, result: Any) -> dict[str, Any]:
        """In the words of the CLI's report (`xero sync`)."""
        from scorolink.integrations.xero.sync_commands import NAMES
        from scorolink.sync.report import OPS, done_words, kind_words, planned_words

        rows, ops, issues = [], [], []
        for name, plan in result.plans.items():
            done = result.executed.get(name, {})
            rows.append({"category": name, "read_a": plan.read["a"], "read_b": plan.read["b"],
                         "planned": planned_words(plan.counts(), NAMES), "unchanged": plan.counts().get("unchanged", 0),
                         "done": done_words(done)})
            for op in plan.ops:
                ops.append({"category": name, "what": OPS.get(op.op, op.op).format(side=NAMES.side(op.target)),
                            "source": NAMES.side("a" if op.target == "b" else "b"), "source_id": op.source_id,
                            "target_id": op.target_id or "",
                            "diff": [(k, a, b) for k, (a, b) in list(op.diff.items())[:6]]})
            for issue in plan.issues:
                issues.append({"category": name, "kind": kind_words(issue.kind),
                               "source_id": issue.source_id, "message": issue.message})
        return {"dry_run": result.dry_run, "run_id": result.run_id, "seconds": result.seconds, "rows": rows,
                "ops": ops[:SHOWN_OPS], "ops_total": len(ops), "issues": issues, "stopped": result.stopped}

    def _each(self, state: Any, error_id: int, method: str) -> None:
        from scorolink.integrations.xero.run import sync_jobs
        from scorolink.sync.store import SyncStore

        store = SyncStore(state)
        try:
            if not any(getattr(store, method)(job, error_id) for job in sync_jobs(store)):
                raise ConfigError(f"No open error {error_id} in this sync's state; `scorolink xero errors` lists them.")
        finally:
            store.close()


TO_XERO, TO_SCORO = "to-xero", "to-scoro"
BOTH = (TO_XERO, TO_SCORO)

PANEL = XeroPanel(
    name="xero", title="Xero", operation="xero_sync", cli="scorolink xero",
    categories=(
        Category("tax_rates", "Tax rates", (TO_SCORO,), note="Pulled from Xero on the first sync; managed in Xero."),
        Category("accounts", "Chart of accounts", (TO_SCORO,), note="Scoro's finance accounts; managed in Xero."),
        Category("tracking", "Tracking category", (TO_SCORO,),
                 note="Its options become Scoro's accounting objects; runs once a tracking category is set."),
        Category("contacts", "Contacts", BOTH, bookmark=True,
                 note="Contacts on synced invoices and bills come along even when this is off."),
        Category("products", "Products and services", BOTH,
                 note="Products on synced documents come along even when this is off."),
        Category("invoices", "Invoices", BOTH, bookmark=True,
                 note="To Scoro: only sales documents approved in Xero."),
        Category("credit_notes", "Credit notes", BOTH, bookmark=True, follows="invoices",
                 note="Part of the invoices sync."),
        Category("bills", "Bills", BOTH, bookmark=True, note="To Xero as Awaiting Payment; to Scoro once approved."),
        Category("receipts", "Receipts", (TO_SCORO,), note="Payments in Xero arrive in Scoro as receipts."),
    ),
    schedules=Schedules(automatic=("every 5m",)),
    settings=(
        Setting("default_sales_account", "Default sales account",
                "Xero account code for invoice lines whose account Xero lacks, e.g. 200."),
        Setting("default_expense_account", "Default expense account", "The same for bill lines, e.g. 400."),
        Setting("tracking_category", "Tracking category",
                "The one Xero tracking category whose options are Scoro's accounting objects."),
    ),
    tax_map=True,
    object_hint="invoices:42 (a Scoro id), invoices:xero:ID (a Xero id), or receipts:42 (the payments of "
                "Scoro invoice or bill 42)",
    directions={TO_XERO: "Scoro → Xero", TO_SCORO: "Xero → Scoro"},
)
