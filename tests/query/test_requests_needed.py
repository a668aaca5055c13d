"""A query sends only the requests it needs: no custom-field discovery unless a custom field is
named, discovered fields kept per site across processes (with an expiry and a refresh), the site's
time zone learnt once, and `--explain` counting every request. Over HTTP against the sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

from scorolink.connectors.site_facts import SiteFacts
from scorolink.query.engine import QueryEngine
from scorolink.session import sandbox_settings
from tests.replicate.test_timezone import http_connector, http_sandbox

KEY_LOOKUP = "SELECT Id, DocumentNumber FROM Invoices WHERE Id = 5"
EMPTY_RANGE = "SELECT Id, UpdatedDate FROM Invoices WHERE UpdatedDate >= '2031-01-01'"


def by_endpoint(sb) -> dict[str, int]:
    return dict(sb.stats()["requests"]["by_endpoint"])


def test_a_key_lookup_is_one_request_and_an_empty_pushed_range_one_more(tmp_path):
    with http_sandbox(size=300) as (sb, url):
        engine = QueryEngine(http_connector(sb, url))  # nothing learnt about the site yet
        assert engine.explain(KEY_LOOKUP)["minimum_requests"] == 1
        result = engine.execute(KEY_LOOKUP, use_cache=False)
        assert [tuple(r) for r in result.rows] == [(5, result.rows[0][1])] and result.requests == 1
        assert by_endpoint(sb) == {"invoices/list": 1}
        # a pushed datetime range learns the zone once (the literal is in the site's time), then costs one
        first = engine.explain(EMPTY_RANGE)
        assert first["setup_requests"] == {"users/list": 1} and first["minimum_requests"] == 2
        empty = engine.execute(EMPTY_RANGE, use_cache=False)
        assert list(empty.rows) == [] and empty.requests == 1
        assert by_endpoint(sb) == {"invoices/list": 2, "users/list": 1}


def test_custom_fields_are_discovered_only_when_named_and_kept_per_site_with_an_expiry(tmp_path, monkeypatch):
    monkeypatch.setenv("SCOROLINK_CACHE_DIR", str(tmp_path))
    with http_sandbox(size=300) as (sb, url):
        settings = sandbox_settings(sb, base_url=url)
        named = "SELECT Id, fk_proj FROM Projects WHERE Id = 2"
        engine = QueryEngine(http_connector(sb, url, facts=SiteFacts.for_site(settings)))
        engine.execute("SELECT Id, ProjectName FROM Projects WHERE Id = 2", use_cache=False)
        assert "customFields/list" not in by_endpoint(sb)
        info = engine.explain(named)
        assert info["setup_requests"] == {"customFields/list": 1}
        engine.execute(named, use_cache=False)
        # another process on the same site reuses them
        again = QueryEngine(http_connector(sb, url, facts=SiteFacts.for_site(settings)))
        assert again.explain(named)["minimum_requests"] == 1
        again.execute(named, use_cache=False)
        assert by_endpoint(sb)["customFields/list"] == 1
        # past their age they are discovered again
        stale = SiteFacts.for_site(settings)
        stale.clock = lambda: datetime.now(UTC).timestamp() + 2 * 86400
        QueryEngine(http_connector(sb, url, facts=stale)).execute(named, use_cache=False)
        assert by_endpoint(sb)["customFields/list"] == 2


def test_the_cli_key_lookup_is_one_request_from_the_second_process_on(tmp_path):
    with http_sandbox(size=300) as (sb, url):
        site = sb.default
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCORO_")}
        env.update({"SCORO_BASE_URL": url, "SCORO_API_KEY": site["api_key"],
                    "SCORO_COMPANY_ACCOUNT_ID": site["company_account_ids"][0], "SCOROLINK_CACHE_DIR": str(tmp_path)})
        cli = [sys.executable, "-c", "from scorolink.cli import main; main()"]
        for sql in (KEY_LOOKUP, KEY_LOOKUP.replace("5", "6")):
            done = subprocess.run([*cli, "query", sql, "--format", "json", "--no-cache"], capture_output=True,
                                  text=True, env=env, timeout=120)
            assert done.returncode == 0, done.stderr
            assert [r["Id"] for r in json.loads(done.stdout)] in ([5], [6])
        assert by_endpoint(sb) == {"invoices/list": 2}


def test_the_requests_a_result_reports_are_the_ones_the_sandbox_received():
    """Planning's own requests (custom fields it names, the site's time zone for a datetime literal) and
    the SELECT an UPDATE runs to find its rows count in `requests` like the fetch: nothing is left out."""
    with http_sandbox(size=300) as (sb, url):
        engine = QueryEngine(http_connector(sb, url))  # nothing learnt about the site yet
        for sql in ("SELECT Id, fk_proj FROM Projects WHERE Id = 2", EMPTY_RANGE, KEY_LOOKUP,
                    "UPDATE Tasks SET IsCompleted = 1 WHERE Id = 3", "UPDATE Tasks SET IsCompleted = 0 WHERE Id = 3"):
            sb.reset_stats()
            result = engine.execute(sql, use_cache=False)
            assert result.by_endpoint == by_endpoint(sb), sql
            assert result.requests == sum(by_endpoint(sb).values()), sql
        # the first statement paid for the custom fields, the second for the zone, the first UPDATE for nothing
        # more (the fields are known): a SELECT to find the row, and the write
        assert result.by_endpoint == {"tasks/list": 1, "tasks/modify": 1}


def test_explain_counts_the_time_zone_a_datetime_will_need_and_sends_nothing_for_it():
    with http_sandbox(size=300) as (sb, url):
        engine = QueryEngine(http_connector(sb, url))
        dated = "SELECT Id, UpdatedDate FROM Invoices WHERE Id = 5"
        info = engine.explain(dated)
        assert info["timezone_requests"] == {"users/list": 1} and info["minimum_requests"] == 1
        assert "timezone_requests" not in engine.explain(KEY_LOOKUP)  # reads no datetime
        assert by_endpoint(sb) == {}, "explaining sent nothing"
        from scorolink.query.explain import render

        assert "Time zone: 1 users/list" in render(info)
        result = engine.execute(dated, use_cache=False)
        assert result.requests == info["minimum_requests"] + 1 == sum(by_endpoint(sb).values())
        assert by_endpoint(sb) == {"invoices/list": 1, "users/list": 1}
        assert "timezone_requests" not in engine.explain(dated), "learnt once, then known"


def test_select_star_discovers_no_custom_field(tmp_path):
    """`SELECT *` means the columns plain list pages return (README): it names no custom field, so it
    pays for no discovery; naming one in WHERE does."""
    with http_sandbox(size=300) as (sb, url):
        engine = QueryEngine(http_connector(sb, url, timezone="UTC"))
        star = engine.execute("SELECT * FROM Invoices WHERE Id = 5", use_cache=False)
        assert not any(c.startswith("fk_") for c in star.columns)
        assert by_endpoint(sb) == {"invoices/list": 1}
        engine.execute("SELECT * FROM Invoices WHERE fk_inv_only = 'x'", use_cache=False)
        assert by_endpoint(sb)["customFields/list"] == 1


def test_explain_counts_the_login_of_a_user_login_process():
    from dataclasses import replace

    from scorolink.clients.scoro import ScoroClient
    from scorolink.connectors.scoro import ScoroConnector

    with http_sandbox(size=300, expose_secrets=True) as (sb, url):
        user = sb.default["users"][0]
        settings = replace(sandbox_settings(sb, base_url=url), api_key=None, username=user["username"],
                           password=user["password"])
        engine = QueryEngine(ScoroConnector(ScoroClient(settings, sleep=lambda _s: None)))
        info = engine.explain(KEY_LOOKUP)
        assert info["login_requests"] == {"userAuth/modify": 1} and info["minimum_requests"] == 2
        assert by_endpoint(sb) == {}
        result = engine.execute(KEY_LOOKUP, use_cache=False)
        assert result.requests == 2 and by_endpoint(sb) == {"userAuth/modify": 1, "invoices/list": 1}
        assert "login_requests" not in engine.explain(KEY_LOOKUP)


def test_the_cli_reports_what_the_sandbox_received_and_keeps_custom_fields_until_refreshed(tmp_path):
    """Fresh processes over HTTP: the first one naming a custom field discovers them (and says it sent
    two requests), the next ones do not; `connection refresh` learns them again, after which a query
    still sends one request."""
    with http_sandbox(size=300) as (sb, url):
        site = sb.default
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCORO_")}
        env.update({"SCORO_BASE_URL": url, "SCORO_API_KEY": site["api_key"],
                    "SCORO_COMPANY_ACCOUNT_ID": site["company_account_ids"][0], "SCOROLINK_CACHE_DIR": str(tmp_path)})
        cli = [sys.executable, "-c", "from scorolink.cli import main; main()"]

        def query(sql: str) -> tuple[dict[str, int], str]:
            sb.reset_stats()
            done = subprocess.run([*cli, "query", sql, "--no-cache"], capture_output=True, text=True, env=env,
                                  timeout=120)
            assert done.returncode == 0, done.stderr
            return by_endpoint(sb), done.stderr.strip().splitlines()[-1]

        named = "SELECT Id, fk_proj FROM Projects WHERE Id = 2"
        assert query("SELECT * FROM Invoices WHERE Id = 5")[0] == {"invoices/list": 1, "users/list": 1}
        assert query(named) == ({"customFields/list": 1, "projects/list": 1}, "1 row(s), 2 request(s)")
        assert query(named) == ({"projects/list": 1}, "1 row(s), 1 request(s)")
        sb.reset_stats()
        refreshed = subprocess.run([*cli, "connection", "refresh", "--json"], capture_output=True, text=True,
                                   env=env, timeout=120)
        assert refreshed.returncode == 0, refreshed.stderr
        assert by_endpoint(sb) == {"users/list": 1, "customFields/list": 1}
        tested = subprocess.run([*cli, "connection", "test", "--json"], capture_output=True, text=True, env=env,
                                timeout=120)
        # both count the definitions (a field of several modules is one field)
        assert json.loads(refreshed.stdout)["custom_fields"] == json.loads(tested.stdout)["custom_fields"] > 0
        assert query(named) == ({"projects/list": 1}, "1 row(s), 1 request(s)")
        assert query("SELECT * FROM Invoices WHERE Id = 5") == ({"invoices/list": 1}, "1 row(s), 1 request(s)")


def test_facts_learnt_by_two_processes_at_once_are_both_kept(tmp_path):
    """Two processes of one site that loaded the file before either learnt anything: the second one's
    write keeps what the first learnt, so neither fact is asked again."""
    from scorolink.connectors.site_facts import SiteFacts

    path = tmp_path / "site.json"
    first, second = SiteFacts(path), SiteFacts(path)
    first.put("timezone", {"name": "Europe/Tallinn", "source": "users list"})
    second.put("custom_fields", [])
    assert SiteFacts(path).as_dict() == {"timezone": {"name": "Europe/Tallinn", "source": "users list"},
                                         "custom_fields": []}
    second.forget()  # `connection refresh` forgets them all, the other process's included
    assert SiteFacts(path).as_dict() == {}
