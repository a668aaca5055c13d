"""A write QuickBooks did whose answer never came back, end to end: the sync does not make it twice."""
# ruff: noqa: F811 - the fixtures come from test_sync

from __future__ import annotations

from collections import Counter

from tests.integrations.quickbooks.test_credits import lose_the_answer_to
from tests.integrations.quickbooks.test_sync import (  # noqa: F401 - fixtures among them
    config,
    qb,
    qb_rows,
    run,
    scoro,
    store,
)


def test_a_lost_answer_to_an_invoice_batch_writes_each_invoice_once(scoro, qb, store, monkeypatch):
    _ssb, sc = scoro
    qsb, session = qb
    lose_the_answer_to(qsb, session, monkeypatch, "Invoice")
    run(store, sc, session)
    run(store, sc, session)
    assert qsb.stats()["faults_injected"].get("lost_ack") == 1
    numbers = Counter(r["DocNumber"] for r in qb_rows(session, "Invoice") if r.get("DocNumber"))
    assert numbers and max(numbers.values()) == 1
    links = store.links("quickbooks", "invoices")
    assert len({link.b_id for link in links.by["a"].values()}) == len(links.by["a"])
    assert sum(qsb.stats()["writes"].get("Invoice", {}).values()) == len(links.by["a"])  # each made once
