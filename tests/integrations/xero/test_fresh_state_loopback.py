"""Issue 14 #1 as its author ran it: `scorolink xero sync` against both sandboxes served over loopback
HTTP, signed in through the OAuth flow. One state syncs everything from Xero into Scoro (invoices,
credit notes, bills, receipts); then, past Xero's Idempotency-Key replay window, `--state` pointing at a
fresh database syncs each category alone and then all of them: nothing is created on either side."""

from __future__ import annotations

import json
from collections import Counter

import httpx
import pytest
from typer.testing import CliRunner

from scorolink.cli import app
from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox
from tests.conftest import endpoint_counts
from tests.integrations.xero.conftest import make_sandbox
from tests.integrations.xero.test_celery_sync import _connect

pytestmark = pytest.mark.loopback

CATEGORIES = ("tax_rates", "accounts", "contacts", "products", "invoices", "credit_notes", "bills", "receipts")


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
            site = scoro.default
            xero = _connect(xsb, xero_origin, workdir)
            config = workdir / "scorolink.toml"
            config.write_text(
                f'[scoro]\nbase_url = "{scoro_origin}"\napi_key = "{site["api_key"]}"\n'
                f'company_account_id = "{site["company_account_ids"][0]}"\n\n[xero]\n'
                + "".join(f'{k} = "{v}"\n' for k, v in xero.items())
                + '\n[xero_sync]\ndefault_sales_account = "200"\ndefault_expense_account = "400"\n\n'
                '[xero_sync.tax_map]\nVAT22 = "TAX001"\nVAT9 = "OUTPUT2"\nVAT0 = "NONE"\n'
                + "".join(f'\n[xero_sync.{c}]\ndirection = "to-scoro"\n' for c in ("contacts", "products", "invoices",
                                                                                   "bills")), encoding="utf-8")
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
