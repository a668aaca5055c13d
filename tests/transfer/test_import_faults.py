"""Imports under faults over real HTTP on loopback: a create whose answer is lost (slow past the
client's timeout, answer cut short, connection dropped, 5xx) is never sent again blind, so every row
ends as exactly one record; a delete reports a record that was never there as `not found`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.scoro import ScoroConnector
from scorolink.sandbox.scoro import Faults, SandboxConfig, ScoroSandbox
from scorolink.session import sandbox_settings
from scorolink.transfer.importer import ImportOptions, ImportSummary, run_import
from scorolink.transfer.journal import SENDING, Journal
from scorolink.transfer.sources import CsvSource
from tests.conftest import make_connector
from tests.transfer.conftest import read_csv, write_csv

pytestmark = pytest.mark.loopback

ALL_KINDS = ("http_500", "http_502", "http_503", "timeout", "drop", "error_200", "malformed_json", "lost_ack", "slow")


@contextmanager
def served(faults: Faults | None = None, **client: float) -> Iterator[tuple[ScoroSandbox, ScoroConnector]]:
    """A sandbox served over loopback and a connector reaching it through a real HTTP client."""
    sandbox = ScoroSandbox(SandboxConfig(seed=3, size=60, faults=faults or Faults()))
    with sandbox.run_in_thread() as base_url:
        settings = replace(sandbox_settings(sandbox), base_url=base_url, **client)
        connector = ScoroConnector(ScoroClient(settings, backoff_base=0.01, backoff_cap=0.05))
        try:
            yield sandbox, connector
        finally:
            connector.close()
    sandbox.close()


def do(connector: ScoroConnector, path: Path, tmp_path: Path, **options) -> ImportSummary:
    options.setdefault("journal_dir", tmp_path / "journal")
    options.setdefault("results_path", tmp_path / "results.csv")
    return run_import(connector, "Companies", CsvSource(path), ImportOptions(**options))


def creates(sandbox: ScoroSandbox) -> int:
    return sandbox.stats()["requests"]["by_endpoint"].get("contacts/modify", 0)


def counted(sandbox: ScoroSandbox, prefix: str) -> Counter:
    """Names of the sandbox's companies starting with prefix, read with faults off."""
    sandbox.faults.faults = Faults()
    check = make_connector(sandbox)
    try:
        return Counter(c["Name"] for c in check.read("Companies", columns=["Name"]) if c["Name"].startswith(prefix))
    finally:
        check.close()


def test_a_create_answered_after_the_client_gave_up_is_looked_up_not_sent_again(tmp_path):
    """Slow answers: Scoro finishes the create after the client's timeout. The row waits for
    server_timeout, finds the record and adopts it: one create request per row, one record."""
    rows = [[f"Slow Co {i}", "x"] for i in range(3)]
    with served(Faults(slow_seconds=1.0), timeout=0.5, server_timeout=2.0) as (sandbox, connector):
        do(connector, write_csv(tmp_path / "warm.csv", ["Name"], [["Slow Co warm-up"]]), tmp_path)
        sandbox.reset_stats()
        sandbox.inject("slow")  # the next request, the first create, is carried out 1 s late
        summary = do(connector, write_csv(tmp_path / "c.csv", ["Name", "Comments"], rows), tmp_path)
        assert (summary.inserted, summary.failed, summary.unknown) == (3, 0, 0)
        assert sandbox.stats()["faults_injected"] == {"slow": 1}
        assert creates(sandbox) == 3  # the slow one was not sent a second time
        assert counted(sandbox, "Slow Co ") == Counter({r[0]: 1 for r in [["Slow Co warm-up"], *rows]})


@pytest.mark.parametrize("lost", ["lost_ack", "drop", "http_502", "timeout"])
def test_a_create_whose_answer_is_lost_ends_as_one_record(tmp_path, lost):
    """lost_ack and timeout carry the create out, drop and 502 do not: either way, one record."""
    rows = [[f"Lost Co {i}", "x"] for i in range(4)]
    with served(Faults(timeout_seconds=1.0), timeout=0.5, server_timeout=2.0) as (sandbox, connector):
        do(connector, write_csv(tmp_path / "warm.csv", ["Name"], [["Lost Co warm-up"]]), tmp_path)
        sandbox.reset_stats()
        sandbox.inject(lost)
        summary = do(connector, write_csv(tmp_path / "c.csv", ["Name", "Comments"], rows), tmp_path, workers=1)
        assert (summary.inserted, summary.failed) == (4, 0)
        carried_out = lost in ("lost_ack", "timeout")
        assert creates(sandbox) == 4 if carried_out else 5  # re-sent only when the lookup found nothing
        assert counted(sandbox, "Lost Co ") == Counter({r[0]: 1 for r in [["Lost Co warm-up"], *rows]})


def test_a_create_that_cannot_be_settled_stays_unknown_and_the_rerun_looks_it_up(tmp_path):
    """The create is carried out but its answer is lost, and every attempt of the lookup fails:
    the row is reported unknown, stays `sending` in the journal, and the rerun adopts the record
    instead of sending it again (before, it was marked failed and the rerun sent it blind)."""
    path = write_csv(tmp_path / "c.csv", ["Name", "Comments"], [["Unsettled Co", "x"]])
    with served(timeout=2.0, server_timeout=0.3, max_attempts=3) as (sandbox, connector):
        do(connector, write_csv(tmp_path / "warm.csv", ["Name"], [["Unsettled warm-up"]]), tmp_path)
        sandbox.reset_stats()
        sandbox.inject("lost_ack", "http_503", "http_500", "drop")  # the create, then the lookup's 3 attempts
        first = do(connector, path, tmp_path)
        assert (first.inserted, first.unknown, first.failed) == (0, 1, 1)
        [result] = read_csv(tmp_path / "results.csv")
        assert result["scorolink_outcome"] == "unknown" and "run the same import again" in result["scorolink_error"]
        journal = Journal(Path(first.journal))
        entry = journal.get(1)
        journal.close()
        assert entry is not None and entry.state == SENDING
        again = do(connector, path, tmp_path)
        assert (again.inserted, again.unknown, again.failed) == (1, 0, 0)
        assert creates(sandbox) == 1  # the rerun found the record: nothing sent again
        assert counted(sandbox, "Unsettled Co") == Counter({"Unsettled Co": 1})


def test_a_delete_of_a_missing_record_is_not_found_and_a_lost_delete_is_done(tmp_path):
    with served(timeout=2.0) as (sandbox, connector):
        ids = [c["Id"] for c in connector.read("Companies", columns=["Id"])][:2]
        path = write_csv(tmp_path / "d.csv", ["Id"], [[ids[0]], [999999], [ids[1]]])
        sandbox.reset_stats()
        sandbox.inject("lost_ack")  # the first delete is carried out, its answer lost: the retry's 404 means done
        summary = do(connector, path, tmp_path, mode="delete", workers=1)
        assert (summary.deleted, summary.not_found, summary.failed) == (2, 1, 1)
        outcomes = [r["scorolink_outcome"] for r in read_csv(tmp_path / "results.csv")]
        assert outcomes == ["deleted", "not found", "deleted"]
        remaining = {c["Id"] for c in connector.read("Companies", columns=["Id"])}
        assert not set(ids) & remaining


def test_a_rerun_of_an_interrupted_delete_takes_404_as_done(tmp_path):
    """A delete sent by a run that died before its answer (journal `sending`) may have reached
    Scoro: the rerun's 404 is done, not `not found`."""
    with served(timeout=2.0) as (sandbox, connector):
        target = next(iter(connector.read("Companies", columns=["Id"])))["Id"]
        path = write_csv(tmp_path / "d.csv", ["Id"], [[target]])
        original = Journal.done

        def dying(self, *args, **kwargs):
            raise SystemExit("killed")

        Journal.done = dying  # type: ignore[method-assign]
        try:
            with pytest.raises(SystemExit):
                do(connector, path, tmp_path, mode="delete")
        finally:
            Journal.done = original  # type: ignore[method-assign]
        again = do(connector, path, tmp_path, mode="delete")
        assert (again.deleted, again.not_found, again.failed) == (1, 0, 0)


def test_soak_500_rows_at_a_30_percent_fault_rate_end_as_one_record_each(tmp_path):
    """Every fault kind at 30 % over loopback, fast timeouts; the same import is rerun until it
    exits clean (at most 8 runs) and each row is then exactly one record."""
    rows = [[f"Soak Co {i:04d}", f"row {i}"] for i in range(500)]
    path = write_csv(tmp_path / "c.csv", ["Name", "Comments"], rows)
    faults = Faults(rate=0.3, kinds=ALL_KINDS, seed=11, timeout_seconds=0.6, slow_seconds=0.6)
    with served(faults, timeout=0.3, server_timeout=2.5, max_attempts=6) as (sandbox, connector):
        summaries = []
        for _ in range(8):
            summaries.append(do(connector, path, tmp_path, workers=4))
            last = summaries[-1]
            if not last.failed and not last.stopped:
                break
        injected = sandbox.stats()["faults_injected"]
        counts = counted(sandbox, "Soak Co ")
    assert not summaries[-1].failed, [(s.inserted, s.failed, s.unknown) for s in summaries]
    assert sum(s.inserted for s in summaries) == 500
    assert counts == Counter({r[0]: 1 for r in rows})
    assert {"lost_ack", "slow", "timeout", "drop", "http_500"} <= set(injected)
