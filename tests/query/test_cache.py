from __future__ import annotations

from scorolink.query.cache import FileCache, MemoryCache
from scorolink.query.engine import QueryEngine
from tests.conftest import endpoint_counts


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_results_are_reused_within_the_ttl_only(sandbox, connector):
    clock = Clock()
    connector.custom_fields()
    engine = QueryEngine(connector, cache=MemoryCache(ttl=300, clock=clock))
    sandbox.reset_stats()
    first = engine.execute("SELECT Id, Sum FROM Invoices WHERE Id = 5")
    same = engine.execute("select id,  sum from invoices where id = 5")  # normalised SQL, same key
    assert same.cached and same.rows == first.rows and same.requests == 0
    assert endpoint_counts(sandbox) == {"invoices/list": 1}
    clock.now += 301
    assert not engine.execute("SELECT Id, Sum FROM Invoices WHERE Id = 5").cached
    assert endpoint_counts(sandbox) == {"invoices/list": 2}
    assert not engine.execute("SELECT Id, Sum FROM Invoices WHERE Id = 5", use_cache=False).cached


def test_file_cache_is_shared_between_engines(tmp_path, sandbox, connector):
    connector.custom_fields()
    sandbox.reset_stats()
    QueryEngine(connector, cache=FileCache(tmp_path / "c.sqlite")).execute("SELECT Id FROM Projects")
    again = QueryEngine(connector, cache=FileCache(tmp_path / "c.sqlite")).execute("SELECT Id FROM Projects")
    assert again.cached and endpoint_counts(sandbox) == {"projects/list": 1}
    expired = FileCache(tmp_path / "c.sqlite", clock=lambda: 10**12)
    assert not QueryEngine(connector, cache=expired).execute("SELECT Id FROM Projects").cached


def test_default_engine_does_not_cache(sandbox, engine):
    engine.execute("SELECT Id FROM Projects")
    assert not engine.execute("SELECT Id FROM Projects").cached
