"""The Xero sync as runtime jobs on two Celery workers (subprocesses of `scorolink worker`), PostgreSQL
state, a Redis broker, and both sandboxes served over loopback HTTP.

Two jobs on two connections (so the runtime hands them to two workers at once) sync the same Scoro
account with the same Xero organisation at the same time. The sync state is the runtime's, so both
see the same links; the pair's sync is held by one run at a time, and no record is created twice on
either side. The Xero credentials come from each connection's [connections.NAME.xero] table.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scorolink.clients.oauth import TokenStore
from scorolink.integrations.xero.commands import XeroSession, sandbox_browser, sandbox_settings
from scorolink.integrations.xero.oauth import XeroOAuth
from scorolink.runtime.jobs import add_job, get_run, run_now
from scorolink.runtime.store import StateStore
from scorolink.sync.store import SyncStore
from tests.conftest import make_connector
from tests.integrations.xero.conftest import make_sandbox
from tests.runtime.test_celery import Cluster, wait_for

pytestmark = pytest.mark.loopback


@pytest.fixture
def xero_served():
    sb = make_sandbox(size=20)
    with sb.run_in_thread() as origin:
        yield sb, origin
    sb.close()


def _connect(sb, origin: str, tmp: Path) -> dict[str, str]:
    """Sign in once over HTTP (the OAuth flow with its local callback); the workers read these tokens."""
    settings = sandbox_settings(sb, origin=origin)
    settings.token_store, settings.key_file = str(tmp / "xero-tokens.enc"), str(tmp / "secret.key")
    oauth = XeroOAuth(settings.app(), TokenStore(settings.token_store, settings.key_file))
    tokens = oauth.connect(sandbox_browser(XeroSession(settings, oauth)))
    oauth.close()
    keys = ("client_id", "client_secret", "api_url", "authorize_url", "token_url", "revocation_url",
            "connections_url", "redirect_uri", "token_store", "key_file")
    return {**{k: str(getattr(settings, k)) for k in keys}, "tenant_id": str(tokens.tenant_id)}


def test_two_workers_sync_the_same_organisation_at_once_and_create_nothing_twice(
        cluster, xero_served, tmp_path, monkeypatch):
    monkeypatch.delenv("SCOROLINK_SECRET_KEY", raising=False)
    xsb, origin = xero_served
    # each Scoro connection keeps its own Xero tokens: each signs in once
    xero = {name: _connect(xsb, origin, tmp_path / name) for name in ("acme1", "acme2")}
    c: Cluster = cluster()
    text = c.config.read_text()
    scoro = text[text.index("[connections.acme]") + len("[connections.acme]"):].strip()
    lines = [text[:text.index("[connections.acme]")]]
    for name in ("acme1", "acme2"):  # two connections to the same Scoro account and Xero organisation
        lines += [f"[connections.{name}]", scoro, "", f"[connections.{name}.xero]"]
        lines += [f'{k} = "{v}"' for k, v in xero[name].items()] + [""]
    lines += ["[xero_sync]", 'default_sales_account = "200"', 'default_expense_account = "400"',
              "[xero_sync.tax_map]", 'VAT22 = "TAX001"', 'VAT9 = "OUTPUT2"', 'VAT0 = "NONE"', ""]
    c.config.write_text("\n".join(lines))
    store = StateStore(c.settings.state)
    now = datetime.now(UTC)
    params = {"config": str(c.config), "categories": "tax_rates,accounts,contacts,products,invoices,bills",
              "wait": 300}
    runs = []
    for name in ("acme1", "acme2"):
        add_job(store, f"sync-{name}", operation="xero_sync", connection=name, schedule="manual", params=params,
                now=now)
        runs.append(run_now(store, f"sync-{name}", now))
    c.worker()
    c.worker()
    assert sorted(c.dispatch()) == sorted(runs)  # handed at once, one to each worker
    wait_for(lambda: all(get_run(store, r)["state"] not in ("queued", "running") for r in runs), 240,
             "both sync runs", every=0.5, between=c.dispatch)
    first, second = sorted((get_run(store, r) for r in runs), key=lambda r: r["finished_at"])
    sync = SyncStore(store)
    errors = [(e["category"], e["source_id"], e["message"]) for e in sync.errors("xero")]
    # the sandbox's own data has records Xero refuses (reported, retried); none is refused as a duplicate
    assert not any("unique" in m or "already" in m for _c, _s, m in errors), errors
    assert {first["state"], second["state"]} <= {"succeeded", "partially_failed"}, (first["log"], second["log"])
    assert second["started_at"] < first["finished_at"]  # the two runs went at the same time
    created = [r["counts"].get("created", 0) for r in (first, second)]
    assert created[0] > 0 and created[1] == 0  # the second found everything the first had made linked

    # one sync run at a time: the second's sync began after the first's ended, in the shared state
    real = [r for r in reversed(sync.runs("xero")) if not r["dry_run"]]
    assert len(real) == 2 and real[1]["started_at"] >= real[0]["finished_at"]
    # nothing twice in Xero ...
    books = xsb.books(xero["acme1"]["tenant_id"])
    for obj, key in (("Contacts", "Name"), ("Items", "Code"), ("Invoices", "InvoiceNumber")):
        counts = Counter((r.get("Type"), str(r[key]).casefold()) for r in books.rows(obj)
                         if r.get(key) and r.get("Status") not in ("DELETED", "VOIDED", "ARCHIVED"))
        assert counts and max(counts.values()) == 1, (obj, [k for k, n in counts.items() if n > 1])
    # ... nor in Scoro (tax rates and accounts came from Xero)
    connector = make_connector(c.sandbox)  # type: ignore[attr-defined]
    for obj, key in (("VATCodes", "VATCode"), ("FinanceAccounts", "AccountSymbol")):
        counts = Counter(str(r[key]).casefold() for r in connector.read(obj, columns=["Id", key]) if r.get(key))
        assert counts and max(counts.values()) == 1, (obj, [k for k, n in counts.items() if n > 1])
    connector.close()
    store.dispose()
