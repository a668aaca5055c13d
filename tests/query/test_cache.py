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


def test_a_wrong_api_key_does_not_get_cached_rows(tmp_path, sandbox, connector):

    import pytest

    from scorolink.clients.errors import AuthenticationFailed
    from tests.conftest import make_connector

    cache = FileCache(tmp_path / "c.sqlite")
    first = QueryEngine(connector, cache=cache).execute("SELECT Id, ProjectName FROM Projects")
    assert QueryEngine(connector, cache=cache).execute("SELECT Id, ProjectName FROM Projects").cached
    wrong = make_connector(sandbox, api_key="ScoroAPI_wrong")
    with pytest.raises(AuthenticationFailed):
        QueryEngine(wrong, cache=cache).execute("SELECT Id, ProjectName FROM Projects")
    wrong.close()
    assert first.rows and first.rows == cache_rows(cache)  # one entry, made with the right key


def cache_rows(cache):
    import sqlite3

    with sqlite3.connect(cache.path) as db:
        [(value,)] = db.execute("SELECT value FROM entries").fetchall()
    import json

    from scorolink.query.cache import decode

    return decode(json.loads(value)).rows


def test_the_file_cache_keeps_plain_data_private_and_a_planted_pickle_does_nothing(tmp_path, sandbox, connector,
                                                                                  monkeypatch):
    import os
    import pickle
    import sqlite3
    import stat
    from decimal import Decimal

    from scorolink.query.cache import cache_key

    monkeypatch.setenv("SCOROLINK_CACHE_DIR", str(tmp_path / "cache"))
    old = os.umask(0o022)
    try:
        cache = FileCache()
        engine = QueryEngine(connector, cache=cache)
        result = engine.execute("SELECT Id, Sum, Date FROM Invoices WHERE Id = 5")
    finally:
        os.umask(old)
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    with sqlite3.connect(cache.path) as db:
        [(text,)] = db.execute("SELECT value FROM entries").fetchall()
    assert isinstance(text, str) and '"$dec"' in text  # JSON, decimals typed
    again = engine.execute("SELECT Id, Sum, Date FROM Invoices WHERE Id = 5")
    assert again.cached and again.rows == result.rows and isinstance(again.rows[0][1], Decimal)

    marker = tmp_path / "pwned"

    class Boom:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    key = cache_key(engine.source_id(), "SELECT Id FROM Projects")
    with sqlite3.connect(cache.path) as db:  # planted in the current table and in the old pickle table
        db.execute("INSERT INTO entries VALUES (?, ?, ?)", (key, 10**12, pickle.dumps(Boom())))
        db.execute("CREATE TABLE results (key TEXT PRIMARY KEY, expires REAL, value BLOB)")
        db.execute("INSERT INTO results VALUES (?, ?, ?)", (key, 10**12, pickle.dumps(Boom())))
    sandbox.reset_stats()
    fresh = engine.execute("SELECT Id FROM Projects")
    assert not fresh.cached and fresh.rows and not marker.exists()
    assert endpoint_counts(sandbox) == {"projects/list": 1}
