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
