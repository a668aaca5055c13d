"""The Xero integration's settings page, described for the dashboard (integrations/panel.py): its
categories and directions as Scoro's Xero integration has them, automatic mode every five minutes,
the default accounts, tracking category and tax map, and the operations behind the buttons — the
functions `scorolink xero configure | sync | errors` call."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from scorolink.errors import ConfigError, ScorolinkError
from scorolink.integrations.panel import Category, Panel, Schedules, Setting, token_health
from scorolink.integrations.settings_file import XERO


class XeroPanel(Panel):
    def open(self, config_file: str | None, flags: dict[str, Any] | None,
             account: str = "default") -> AbstractContextManager[Any]:
        from scorolink.integrations.xero.session import open_xero

        return open_xero(flags or None, config_file, account=account)

    def authorize(self, session: Any, *, state: str, redirect_uri: str, code_challenge: str,
                  tenant: str | None = None) -> str:
        """Xero's authorize page; the bundled (in-process) sandbox has none a browser can reach, so its
        consent step is taken here and the browser goes straight to the callback, as `xero connect`
        does with it."""
        url = session.oauth.authorization_url(state, redirect_uri=redirect_uri, code_challenge=code_challenge)
        return str(url) if session.sandbox is None else self.sandbox_consent(session, url)

    def finish_sign_in(self, session: Any, *, code: str, redirect_uri: str, code_verifier: str,
                       tenant: str | None, callback: dict[str, str] | None = None, scoro: Any = None,
                       state: Any = None) -> None:
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
                **token_health(tokens)}

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
    sync_table=XERO,
    object_hint="invoices:42 (a Scoro id), invoices:xero:ID (a Xero id), or receipts:42 (the payments of "
                "Scoro invoice or bill 42)",
    directions={TO_XERO: "Scoro → Xero", TO_SCORO: "Xero → Scoro"},
)
