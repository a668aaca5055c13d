"""Issue 14 as its author ran it: `scorolink xero` against both sandboxes served over loopback HTTP,
signed in through the OAuth flow.

#1: one state syncs everything from Xero into Scoro (invoices, credit notes, bills, receipts); then, past
Xero's Idempotency-Key replay window, `--state` pointing at a fresh database syncs each category alone
and then all of them: nothing is created on either side.
#2 and #5: the start date the initial sync used is locked for `configure` and for the sync; one invoice
is sent by hand until a payment is attached, and its receipts pulled until it is fully received."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from scorolink.cli import app
from scorolink.errors import ConfigError
from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox
from tests.conftest import endpoint_counts
from tests.integrations.xero.conftest import make_sandbox
from tests.integrations.xero.test_celery_sync import _connect

pytestmark = pytest.mark.loopback

CATEGORIES = ("tax_rates", "accounts", "contacts", "products", "invoices", "credit_notes", "bills", "receipts")


def _config(workdir, scoro, scoro_origin, xero, categories: str = "") -> Path:
    site = scoro.default
    config = workdir / "scorolink.toml"
    config.write_text(
        f'[scoro]\nbase_url = "{scoro_origin}"\napi_key = "{site["api_key"]}"\n'
        f'company_account_id = "{site["company_account_ids"][0]}"\n\n[xero]\n'
        + "".join(f'{k} = "{v}"\n' for k, v in xero.items())
        + '\n[xero_sync]\ndefault_sales_account = "200"\ndefault_expense_account = "400"\n\n'
        '[xero_sync.tax_map]\nVAT22 = "TAX001"\nVAT9 = "OUTPUT2"\nVAT0 = "NONE"\n' + categories, encoding="utf-8")
    return config


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "XERO_TENANT_ID", "SCOROLINK_SECRET_KEY", "SCOROLINK_CONFIG",
                 "SCOROLINK_STATE_URL", "SCORO_API_KEY", "SCORO_BASE_URL", "SCORO_SUBDOMAIN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_fresh_state_syncs_over_http_create_nothing_either_side_holds(workdir):
    scoro = ScoroSandbox(SandboxConfig(seed=1, size=300))
    xsb = make_sandbox()
    try:
        with scoro.run_in_thread() as scoro_origin, xsb.run_in_thread() as xero_origin:
            xero = _connect(xsb, xero_origin, workdir)
            config = _config(workdir, scoro, scoro_origin, xero, "".join(
                f'\n[xero_sync.{c}]\ndirection = "to-scoro"\n' for c in ("contacts", "products", "invoices", "bills")))
            runner = CliRunner()

            def sync(state: str, *args: str) -> dict:
                done = runner.invoke(app, ["--config", str(config), "xero", "sync", "--state",
                                           f"sqlite:///{workdir / state}", "--json", *args])
                assert done.exit_code in (0, 1), done.output
                return json.loads(done.stdout)

            def held() -> Counter:  # writes either sandbox has taken (over HTTP, counted by the sandbox)
                return Counter({"scoro writes": sum(v for k, v in endpoint_counts(scoro).items()
                                                    if k.endswith(("/modify", "/delete"))),
                                "xero writes": sum(w["created"] + w["updated"] for w in xsb.stats()["writes"].values())})

            first = sync("first.db")
            made = {name: c["executed"].get("created", 0) for name, c in first["categories"].items()}
            assert made["invoices"] and made["credit_notes"] and made["bills"] and made["receipts"], made
            before = held()
            httpx.post(f"{xero_origin}/_sandbox/clock", json={"advance": xsb.config.idempotency_ttl_seconds + 60})
            for only in [*([c] for c in CATEGORIES), []]:
                name = only[0] if only else "all"
                fresh = sync(f"fresh-{name}.db", *(a for c in only for a in ("--category", c)))
                created = {n: c["executed"].get("created", 0) for n, c in fresh["categories"].items()}
                assert not any(created.values()), (name, created)
                linked = {n: c["executed"].get("linked", 0) for n, c in fresh["categories"].items()}
                assert all(linked[c] for c in only or CATEGORIES if c != "tracking"), (name, linked)
                ambiguous = [i for c in fresh["categories"].values() for i in c["issues"] if i["kind"] == "ambiguous"]
                assert not ambiguous, (name, ambiguous[:3])
                assert held() == before, name  # not one write on either side
    finally:
        scoro.close()
        xsb.close()


def test_start_date_lock_and_manual_send_and_pull_over_http(workdir):
    from scorolink.connectors.base import Condition, WriteOp
    from scorolink.integrations.xero.connector import XeroConnector
    from tests.conftest import make_connector
    from tests.integrations.xero.conftest import make_client

    scoro = ScoroSandbox(SandboxConfig(seed=1, size=300))
    xsb = make_sandbox()
    try:
        with scoro.run_in_thread() as scoro_origin, xsb.run_in_thread() as xero_origin:
            config = _config(workdir, scoro, scoro_origin, _connect(xsb, xero_origin, workdir))
            runner = CliRunner()

            def cli(*args: str):
                return runner.invoke(app, ["--config", str(config), "xero", *args])

            def refusal(result) -> str:  # what the command refused with (exit 2 from `scorolink`)
                assert isinstance(result.exception, ConfigError), result.output
                return str(result.exception)

            # 2: the date the initial sync used is the one locked (the connection was made today)
            today = datetime.now(UTC).date()
            assert cli("configure", "--category", "contacts", "--start-date", today.isoformat()).exit_code == 0
            assert cli("sync", "--category", "contacts").exit_code == 0
            later = (today + timedelta(days=1)).isoformat()
            moved = cli("configure", "--category", "contacts", "--start-date", later)
            assert f"locked after the initial sync (it used {today})" in refusal(moved)
            config.write_text(config.read_text().replace(f'start_date = "{today}"', f'start_date = "{later}"'))
            refused = cli("sync", "--category", "contacts")
            assert f"locked after the initial sync (it was {today})" in refusal(refused)
            config.write_text(config.read_text().replace(f'start_date = "{later}"', f'start_date = "{today}"'))
            # 5: one invoice sent by hand until a payment is attached; its receipts pulled until fully received
            connector, xc = make_connector(scoro), XeroConnector(make_client(xsb))
            model = next(connector.read("Invoices", [Condition("Status", "=", "paid")], columns=[
                "Id", "CompanyId", "PersonId", "Currency", "Date", "Lines"]))
            line = next(line for line in model["Lines"] if line.get("ProductId") != 4)  # product 4 is deleted
            [made] = list(connector.write("Invoices", [WriteOp("insert", {
                "DocumentNumber": "H-1", "CompanyId": model["CompanyId"] or model["PersonId"], "IsSent": True,
                "Currency": model["Currency"], "Date": model["Date"], "Deadline": model["Date"], "Lines": [{
                    "ProductId": line["ProductId"], "Comment": "work", "Amount": 2, "Price": line["Price"],
                    "VatCodeId": line["VatCodeId"], "FinanceAccountId": line["FinanceAccountId"]}]})]))
            doc = str(made.record["Id"])

            def one(*args: str) -> tuple[str, dict]:
                done = cli("sync", "--object", *args, "--json")
                if done.exception is not None and not isinstance(done.exception, SystemExit):
                    return refusal(done), {}
                return "", json.loads(done.stdout)

            _no, sent = one(f"invoices:{doc}")
            assert sent["categories"]["invoices"]["executed"] == {"created": 1}
            [copy] = [i for i in xc.read("Invoices", [Condition("InvoiceNumber", "=", "H-1")]) if i["Type"] == "ACCREC"]
            assert copy["Status"] == "AUTHORISED"

            def pay(amount: Decimal) -> None:
                [paid] = list(xc.write("Payments", [WriteOp("insert", {
                    "Invoice": {"InvoiceID": copy["InvoiceID"]}, "Account": {"Code": "090"}, "Date": copy["Date"],
                    "Amount": str(amount)})]))
                assert paid.ok, paid.error

            pay((Decimal(str(copy["Total"])) / 2).quantize(Decimal("0.01")))
            refused_send, _ = one(f"invoices:{doc}")
            assert f"invoice {doc} has a payment attached (in Xero)" in refused_send
            _no, pulled = one(f"receipts:{doc}")
            assert pulled["categories"]["receipts"]["executed"] == {"created": 1}
            [copy] = xc.read("Invoices", [Condition("InvoiceID", "=", copy["InvoiceID"])])
            pay(Decimal(str(copy["AmountDue"])))
            _no, pulled = one(f"receipts:{doc}")
            assert pulled["categories"]["receipts"]["executed"] == {"created": 1}
            refused_pull, _ = one(f"receipts:{doc}")
            assert f"invoice {doc} is fully received" in refused_pull
            xc.close()
    finally:
        scoro.close()
        xsb.close()
