"""The sync engine over real components: two sites of the Scoro sandbox as the two sides, and the
state in real SQLite (and PostgreSQL where a test asks for it)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.scoro import ScoroConnector
from scorolink.session import sandbox_settings
from scorolink.sync.categories import PairedCategory, contact_keys, contacts_compatible
from scorolink.sync.engine import SyncEngine
from scorolink.sync.planner import CategorySettings
from scorolink.sync.scoro_contacts import ScoroContacts
from scorolink.sync.store import SyncStore


def site_connector(sandbox, index: int) -> ScoroConnector:
    site = sandbox.sites[index]
    settings = replace(sandbox_settings(sandbox), base_url=f"http://sandbox.local{site['base_path']}",
                       company_account_id=site["company_account_ids"][0], api_key=site["api_key"])
    return ScoroConnector(ScoroClient(settings, transport=SyncASGITransport(sandbox.app), sleep=lambda _s: None,
                                      backoff_base=0.01))


@pytest.fixture
def sides(sandbox):
    a, b = site_connector(sandbox, 0), site_connector(sandbox, 1)
    yield a, b
    a.close()
    b.close()


def contacts_engine(store: SyncStore, a: ScoroConnector, b: ScoroConnector, **settings) -> SyncEngine:
    category = PairedCategory("contacts", ScoroContacts(a), ScoroContacts(b, only_listed=False), contact_keys,
                              compatible=contacts_compatible)
    return SyncEngine(store, "test-job", [category], {"contacts": CategorySettings(**settings)})


@pytest.fixture
def store(tmp_path):
    s = SyncStore(f"sqlite:///{tmp_path}/state.db")
    yield s
    s.close()

