"""The engine's guarantees, checked end to end between two Scoro accounts."""

from __future__ import annotations

from collections import Counter

from scorolink.connectors.base import Condition, WriteOp
from scorolink.sync.store import SyncStore
from tests.conftest import endpoint_counts
from tests.sync.conftest import contacts_engine


def listed(connector) -> list[dict]:
    return [c for c in connector.read("Contacts", columns=["Id", "Name", "LastName", "ContactType", "IsClient",
                                                           "IsSupplier", "VATNumber", "Email"])
            if c["IsClient"] or c["IsSupplier"]]


def names(connector) -> Counter:
    return Counter(" ".join(p for p in (c["Name"], c["LastName"] if c["ContactType"] == "person" else None) if p)
                   for c in connector.read("Contacts", columns=["Name", "LastName", "ContactType"]))


def test_dry_run_plans_and_writes_nothing(sides, store, sandbox):
    a, b = sides
    engine = contacts_engine(store, a, b)
    sandbox.reset_stats()
    result = engine.run(dry_run=True)
    plan = result.plans["contacts"]
    assert plan.ops and all(op.target == "b" for op in plan.ops)
    assert not any(k.endswith(("/modify", "/delete")) for k in endpoint_counts(sandbox))
    assert store.open_ops("test-job", "contacts") == []


def test_first_sync_links_matches_creates_the_rest_and_a_second_run_writes_nothing(sides, store, sandbox):
    a, b = sides
    # both sandbox sites start with the same generated contacts: those match; two new ones are created
    list(a.write("Companies", [WriteOp("insert", {"Name": "Only In A Oy", "IsClient": True}),
                               WriteOp("insert", {"Name": "Also Only In A", "IsSupplier": True,
                                                  "Email": ["ap@only.example"]})]))
    source = listed(a)
    engine = contacts_engine(store, a, b)
    first = engine.run()
    counts = first.executed["contacts"]
    assert counts.get("failed", 0) == 0 and not first.stopped
    created, linked = counts.get("created", 0), counts.get("linked", 0)
    assert created == 2 and created + linked + len(first.plans["contacts"].issues) == len(source)
    [copy] = b.read("Companies", [Condition("Name", "=", "Also Only In A")], columns=["IsSupplier", "Email"])
    assert copy == {"IsSupplier": True, "Email": ["ap@only.example"]}
    links = store.links("test-job", "contacts")
    assert len(links) == created + linked
    sandbox.reset_stats()
    second = engine.run()
    assert second.executed.get("contacts", {}) == {}
    assert second.plans["contacts"].ops == []
    assert not any(k.endswith(("/modify", "/delete")) for k in endpoint_counts(sandbox))


def test_a_change_is_carried_once_and_our_own_write_is_not_read_back_as_a_change(sides, store, sandbox):
    a, b = sides
    engine = contacts_engine(store, a, b)
    engine.run()
    company = next(c for c in listed(a) if c["ContactType"] == "company")
    list(a.write("Companies", [WriteOp("update", {"Id": company["Id"], "VATNumber": "EE999000111"})]))
    sandbox.advance_clock(5)
    result = engine.run()
    assert result.executed["contacts"] == {"updated": 1}
    target = store.counterpart("test-job", "contacts", "a", str(company["Id"]))
    [copy] = b.read("Companies", [Condition("Id", "=", int(target))], columns=["VATNumber"])
    assert copy["VATNumber"] == "EE999000111"
    again = engine.run()
    assert again.executed.get("contacts", {}) == {}


def test_first_sync_matches_existing_records_by_name_and_vat_and_reports_ambiguity(sides, store, sandbox):
    a, b = sides
    company = next(c for c in listed(a) if c["ContactType"] == "company")
    list(a.write("Companies", [WriteOp("update", {"Id": company["Id"], "VATNumber": "FI111"})]))
    # on the other side: one record that is the same company, and a namesake with another VAT number
    [same] = list(b.write("Companies", [WriteOp("insert", {"Name": company["Name"].upper(), "VATNumber": "fi111"})]))
    [other] = list(b.write("Companies", [WriteOp("insert", {"Name": company["Name"], "VATNumber": "SE999"})]))
    engine = contacts_engine(store, a, b)
    engine.run()
    assert store.counterpart("test-job", "contacts", "a", str(company["Id"])) == str(same.record["Id"])
    # ambiguity: two equally good candidates → reported, not guessed, nothing written
    twin = next(c for c in listed(a) if c["ContactType"] == "company" and c["Id"] != company["Id"])
    list(b.write("Companies", [WriteOp("insert", {"Name": "Twin Target"})] * 2))
    list(a.write("Companies", [WriteOp("update", {"Id": twin["Id"], "Name": "Twin Target", "VATNumber": ""})]))
    store2 = SyncStore(str(store.state.url).replace("state.db", "state2.db"))
    result = contacts_engine(store2, a, b).run()
    issues = [i for i in result.plans["contacts"].issues if i.kind == "ambiguous"]
    assert [i.source_id for i in issues] == [str(twin["Id"])]
    assert names(b)["Twin Target"] == 2
    assert any(e["kind"] == "ambiguous" for e in store2.errors("test-job"))
    store2.close()
    assert other.ok


def test_a_refused_record_is_reported_with_the_apis_message_and_retried_until_fixed(sides, store, sandbox, monkeypatch):
    a, b = sides
    engine = contacts_engine(store, a, b)
    [made] = list(a.write("Companies", [WriteOp("insert", {"Name": "Refused Oy", "IsClient": True})]))
    victim = made.record
    real = b.write

    def refuse(obj, ops):
        ops = list(ops)
        if ops[0].record.get("Name") == victim["Name"]:
            from scorolink.connectors.base import WriteResult
            return iter([WriteResult(ops[0], False, error="name: refused by the test account")])
        return real(obj, ops)

    monkeypatch.setattr(b, "write", refuse)
    first = engine.run()
    assert first.executed["contacts"].get("failed") == 1
    [error] = store.errors("test-job")
    assert error["source_id"] == str(victim["Id"]) and "refused by the test account" in error["message"]
    monkeypatch.setattr(b, "write", real)
    second = engine.run()  # nothing changed in Scoro, yet the failed record is tried again
    assert second.executed["contacts"].get("created") == 1
    assert store.errors("test-job") == []
    assert store.counterpart("test-job", "contacts", "a", str(victim["Id"]))


def new_clients(connector, count: int, prefix: str = "Crash Co") -> list[str]:
    names = [f"{prefix} {i:02d}" for i in range(count)]
    list(connector.write("Companies", [WriteOp("insert", {"Name": n, "IsClient": True}) for n in names]))
    return names


def test_a_crash_after_the_remote_write_ends_with_exactly_one_record_per_source(sides, store, sandbox, monkeypatch):
    import pytest

    a, b = sides
    made = new_clients(a, 6)
    engine = contacts_engine(store, a, b)
    calls = {"n": 0}
    real = SyncStore.save_link

    def dying(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 16:  # well into the creates: the record exists in B, the link was never written
            raise SystemExit("killed")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SyncStore, "save_link", dying)
    with pytest.raises(SystemExit):
        engine.run()
    monkeypatch.setattr(SyncStore, "save_link", real)
    second = engine.run()
    # the creates sent before the crash are found by lookup, not created again
    assert second.executed["contacts"].get("adopted", 0) >= 1 and "created" not in second.executed["contacts"]
    assert all(names(b)[n] == 1 for n in made)
    third = engine.run()
    assert third.executed.get("contacts", {}) == {}


def test_both_directions_merge_fields_and_a_true_conflict_follows_the_policy(sides, store, sandbox):
    a, b = sides
    engine = contacts_engine(store, a, b, direction="both", conflict="manual")
    [made] = list(a.write("Companies", [WriteOp("insert", {"Name": "Both Ways Oy", "IsClient": True})]))
    engine.run()
    b_id = int(store.counterpart("test-job", "contacts", "a", str(made.record["Id"])))
    a_id = made.record["Id"]
    sandbox.advance_clock(5)
    # different fields on each side: merged, each side gets the other's change
    list(a.write("Companies", [WriteOp("update", {"Id": a_id, "VATNumber": "EE123"})]))
    list(b.write("Companies", [WriteOp("update", {"Id": b_id, "Phone": ["+372 5555 0000"]})]))
    sandbox.advance_clock(5)
    merged = engine.run()
    assert merged.executed["contacts"] == {"updated": 2}
    for connector, key in ((a, a_id), (b, b_id)):
        [row] = connector.read("Companies", [Condition("Id", "=", key)], columns=["VATNumber", "Phone"])
        assert row == {"VATNumber": "EE123", "Phone": ["+372 5555 0000"]}
    # the same field on both sides: with the manual policy nothing is written and a person is asked
    sandbox.advance_clock(5)
    list(a.write("Companies", [WriteOp("update", {"Id": a_id, "VATNumber": "EE-A"})]))
    list(b.write("Companies", [WriteOp("update", {"Id": b_id, "VATNumber": "EE-B"})]))
    sandbox.advance_clock(5)
    conflict = engine.run()
    [issue] = conflict.plans["contacts"].issues
    assert issue.kind == "conflict" and "vat_number" in issue.message
    assert conflict.executed.get("contacts", {}) == {}
    # with a_wins, Scoro's value is written to the other side
    settled = contacts_engine(store, a, b, direction="both", conflict="a_wins").run()
    assert settled.executed["contacts"] == {"updated": 1}
    [row] = b.read("Companies", [Condition("Id", "=", b_id)], columns=["VATNumber"])
    assert row["VATNumber"] == "EE-A"


def test_state_in_postgresql(sides, postgres_url):
    a, b = sides
    new_clients(a, 2, "Pg State")
    store = SyncStore(postgres_url)
    try:
        engine = contacts_engine(store, a, b)
        first = engine.run()
        assert first.executed["contacts"].get("created") == 2
        assert engine.run().executed.get("contacts", {}) == {}
    finally:
        store.close()


def test_failed_records_are_retried_at_growing_intervals(store, monkeypatch):
    from datetime import timedelta

    from scorolink.sync import store as store_module

    start = store_module.now()
    moment = [start]
    monkeypatch.setattr(store_module, "now", lambda: moment[0])
    store.record_error("test-job", "contacts", "b", "7", "validation", "refused", op="create")
    assert store.retry_ids("test-job", "contacts", "a") == []  # not on the very next run
    moment[0] = start + timedelta(minutes=5)
    assert store.retry_ids("test-job", "contacts", "a") == ["7"]
    store.record_error("test-job", "contacts", "b", "7", "validation", "refused again", op="create")  # attempt 2
    moment[0] += timedelta(minutes=5)
    assert store.retry_ids("test-job", "contacts", "a") == []
    moment[0] += timedelta(minutes=5)
    assert store.retry_ids("test-job", "contacts", "a") == ["7"]  # 10 minutes after the second failure
    assert store_module.retry_interval(20) == timedelta(days=1)


def test_a_run_killed_on_this_machine_does_not_hold_its_sync_for_the_lease(store, tmp_path):
    """The killed run's lock row stays behind; the next run takes it at once, not after the 60 s lease."""
    import multiprocessing
    import os
    import signal
    import time

    import pytest

    from scorolink.sync.store import SyncBusy

    url = f"sqlite:///{tmp_path}/state.db"
    ready = multiprocessing.Event()
    child = multiprocessing.get_context("fork").Process(target=_hold_forever, args=(url, ready))
    child.start()
    assert ready.wait(30)
    with pytest.raises(SyncBusy):  # alive: the row is respected
        with store.hold("job-x", wait=0.2, poll=0.1):
            pass
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    started = time.monotonic()
    with store.hold("job-x", wait=5, poll=0.1):
        assert time.monotonic() - started < 5  # taken on the first try, not waited out


def _hold_forever(url: str, ready) -> None:
    import time

    held = SyncStore(url)
    with held.hold("job-x"):
        ready.set()
        time.sleep(600)
