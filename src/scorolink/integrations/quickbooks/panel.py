"""The QuickBooks Online integration's settings page, described for the dashboard (integrations/panel.py), as
Scoro's QuickBooks integration has it: categories one way at a time, background items (tax rates, accounts,
classes) on their own schedule, automatic mode hourly, daily or weekly, the default income and expense
accounts as drop-downs of QuickBooks' accounts, the tax map, "sync documents without tax details", and the
operations behind the buttons — what `scorolink quickbooks connect | configure | sync | status | errors` call.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from scorolink.errors import ConfigError, ScorolinkError
from scorolink.integrations.panel import Category, Panel, Schedules, Setting, token_health
from scorolink.integrations.settings_file import QUICKBOOKS, configure, settings_path

MANUAL = "manual"


class QuickBooksPanel(Panel):
    def runtime_schedule(self, choice: str) -> str:
        """hourly / daily / weekly as `quickbooks configure --mode automatic` schedules its jobs."""
        from scorolink.integrations.quickbooks.integration import SCHEDULES

        return SCHEDULES.get(choice, choice)

    def job_params(self, part: str) -> dict[str, Any]:
        return {"background": True} if part == "background" else {}

    def mode_saved(self, config_file: str | None, connection: str, modes: dict[str, str]) -> None:
        """The mode and schedules also live in [quickbooks_sync] (the first sync needs the mode chosen), as
        `quickbooks configure --mode … --schedule … --background-schedule …` writes them."""
        settings: dict[str, Any] = {}
        if "sync" in modes:
            settings["mode"] = MANUAL if modes["sync"] == MANUAL else "automatic"
            settings["schedule"] = None if modes["sync"] == MANUAL else modes["sync"]
        if modes.get("background", MANUAL) != MANUAL:
            settings["background_schedule"] = modes["background"]
        configure(QUICKBOOKS, settings_path(config_file), account=connection, settings=settings)

    def open(self, config_file: str | None, flags: dict[str, Any] | None,
             account: str = "default") -> AbstractContextManager[Any]:
        from scorolink.integrations.quickbooks.session import open_quickbooks

        return open_quickbooks(flags or None, config_file, account=account)

    def authorize(self, session: Any, *, state: str, redirect_uri: str, code_challenge: str,
                  tenant: str | None = None) -> str:
        """Intuit's authorize page, where the person picks the company (the CLI's connect signs in without
        PKCE, and so does the page). The bundled (in-process) sandbox has no page a browser can reach: its
        consent step is taken here for the company picked on the page, and the browser goes straight to the
        callback, as `quickbooks connect --realm` does with it."""
        url = session.oauth.authorization_url(state, redirect_uri=redirect_uri)
        if session.sandbox is None:
            return str(url)
        return self.sandbox_consent(session, url + (f"&realmId={tenant}" if tenant else ""))

    def finish_sign_in(self, session: Any, *, code: str, redirect_uri: str, code_verifier: str,
                       tenant: str | None, callback: dict[str, str] | None = None, scoro: Any = None,
                       state: Any = None) -> None:
        """As `quickbooks connect`: the code exchanged, the company from the callback's realmId kept with the
        tokens, and — the home currencies differing — the connection refused and its tokens revoked; then the
        chart of accounts and the tax rates pulled, as Scoro's integration does right after connecting."""
        from scorolink.integrations.quickbooks.integration import Company, check_currency

        session.oauth.callback_params = dict(callback or {})
        session.oauth.finish_sign_in(code, redirect_uri=redirect_uri, complete=session.oauth.take_realm)
        if scoro is None:
            return
        company = Company(session.client)
        try:
            check_currency(scoro, company)
        except ConfigError:
            session.oauth.revoke()  # not activated: the tokens are not kept
            raise
        if state is not None:
            pull_reference_data(state, scoro, session, company)

    def status(self, session: Any) -> dict[str, Any]:
        """The stored connection (never a token itself) and, connected, the company as QuickBooks describes
        it (`quickbooks status`) and its income and expense accounts for the default-account drop-downs."""
        from scorolink.clients.oauth import ReconnectRequired
        from scorolink.integrations.quickbooks.commands import income_and_expense_accounts
        from scorolink.integrations.quickbooks.integration import Company

        companies = [{"id": r["realmId"], "name": f"{r['CompanyName']} ({r.get('HomeCurrency', '?')})"}
                     for r in session.sandbox.describe()["realms"]] if session.sandbox is not None else []
        try:
            tokens = session.oauth.tokens()
        except ReconnectRequired:
            return {"connected": False, "target": session.label, "companies": companies}
        out: dict[str, Any] = {
            "connected": True, "target": session.label, "tenant_id": tokens.tenant_id, "tenants": [],
            **token_health(tokens), "companies": companies}
        try:
            company = Company(session.client)
            out.update(tenant_name=session.client.company_info().get("CompanyName"),
                       home_currency=company.home_currency, multicurrency=company.multicurrency,
                       class_tracking=company.class_tracking)
            accounts = income_and_expense_accounts(session)
        except ScorolinkError as exc:
            out["problem"] = str(exc)
            return out
        out["tenants"] = [{"id": tokens.tenant_id, "name": out["tenant_name"]}]
        out["choices"] = {
            "default_income_account": [_account(a) for a in accounts if a["classification"] == "Revenue"],
            "default_expense_account": [_account(a) for a in accounts if a["classification"] == "Expense"]}
        return out

    def check(self, session: Any, scoro: Any) -> dict[str, Any]:
        """One call to QuickBooks (`quickbooks status`) and the home-currency check a sync makes first."""
        from scorolink.integrations.quickbooks.integration import Company, check_currency

        try:
            info = session.client.company_info()
            company = Company(session.client)
            currency = company.home_currency
        except ScorolinkError as exc:
            return {"ok": False, "error": str(exc)}
        result = {"ok": True, "organisation": info.get("CompanyName"), "base_currency": currency,
                  "currencies_ok": True, "currency_message": ""}
        try:
            check_currency(scoro, company)
        except ConfigError as exc:
            result.update(currencies_ok=False, currency_message=str(exc))
        return result

def pull_reference_data(state: Any, scoro: Any, session: Any, company: Any) -> dict[str, dict[str, int]]:
    """The chart of accounts and the tax rates from QuickBooks into Scoro, before any setup (as `quickbooks
    connect` pulls them): what was created, updated or linked, per category."""
    from scorolink.integrations.quickbooks.integration import QuickBooksSyncConfig, quickbooks_engine
    from scorolink.integrations.quickbooks.run import sync_job
    from scorolink.sync.store import SyncStore

    store = SyncStore(state)
    try:
        config = QuickBooksSyncConfig.from_dict({"tax_rates": {}, "accounts": {}})
        job = sync_job(store, str(scoro.client.settings.company_account_id))
        with store.hold(job, wait=60):
            return dict(quickbooks_engine(store, job, scoro, session.connector, config, company).run().executed)
    finally:
        store.close()


def _account(row: dict[str, Any]) -> dict[str, str]:
    """A drop-down option: the value `configure` stores (the number, else the name) and its words."""
    value = str(row["number"] or row["name"])
    return {"value": value, "label": f"{row['number']} {row['name']}".strip() + f" ({row['type']})"}


TO_QUICKBOOKS, TO_SCORO = "to-quickbooks", "to-scoro"
BOTH = (TO_QUICKBOOKS, TO_SCORO)
CHOICES = ("hourly", "daily", "weekly")

PANEL = QuickBooksPanel(
    name="quickbooks", title="QuickBooks Online", operation="quickbooks_sync", cli="scorolink quickbooks",
    categories=(
        Category("tax_rates", "Tax rates", (TO_SCORO,), background=True,
                 note="Pulled from QuickBooks when connected; managed there."),
        Category("accounts", "Chart of accounts", (TO_SCORO,), background=True,
                 note="Scoro's finance accounts; managed in QuickBooks."),
        Category("classes", "Classes", (TO_SCORO,), background=True, off_when="class_tracking",
                 off_note="Class tracking is off in QuickBooks: turn it on (per document line) to sync classes.",
                 note="Scoro's accounting objects; tracked per document line in QuickBooks."),
        Category("contacts", "Contacts", BOTH, bookmark=True,
                 note="Contacts on synced invoices and bills come along even when this is off."),
        Category("projects", "Projects", (TO_SCORO,),
                 note="Matched to Scoro projects by name and client."),
        Category("products", "Products", BOTH,
                 note="Products on synced documents come along even when this is off."),
        Category("invoices", "Invoices", BOTH, bookmark=True, note="Credit notes are part of invoices."),
        Category("credit_notes", "Credit notes", BOTH, follows="invoices", note="Part of the invoices sync."),
        Category("bills", "Bills", BOTH, bookmark=True),
        Category("receipts", "Receipts (payments)", BOTH),
    ),
    schedules=Schedules(automatic=CHOICES, background=CHOICES),
    settings=(
        Setting("default_income_account", "Default income account for products", choices=True,
                hint="For new products sent from Scoro (a QuickBooks account number or name)."),
        Setting("default_expense_account", "Default expense account for bills", choices=True,
                hint="Added to a synced bill line that has no product."),
        Setting("sync_without_tax", "Sync documents from QuickBooks without tax details", flag=True,
                hint="Bills and invoices from QuickBooks carry only the subtotal."),
    ),
    tax_map=True,
    sync_table=QUICKBOOKS,
    tenant_word="company",
    tenant_plural="companies",
    tenant_setting="realm_id",
    object_hint="invoices:42 (a Scoro id: Send to QuickBooks), invoices:quickbooks:ID (a QuickBooks id), "
                "receipts:42 (the payments of Scoro invoice or bill 42) or attachments:42 (its files)",
    directions={TO_QUICKBOOKS: "Scoro → QuickBooks", TO_SCORO: "QuickBooks → Scoro"},
)
