"""The site's time zone is learnt from Scoro, kept, overridable, and never guessed; SQL-style
datetimes of a site in a daylight-saving zone land in the mirror as the right UTC instants."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.base import Condition, WriteOp
from scorolink.connectors.scoro import ScoroConnector
from scorolink.connectors.site_facts import SiteFacts
from scorolink.errors import ConfigError
from scorolink.replicate.engine import ReplicateOptions, replicate
from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox
from scorolink.session import sandbox_settings
from tests.replicate.test_replicate import rows


@contextmanager
def http_sandbox(**config: Any) -> Iterator[tuple[ScoroSandbox, str]]:
    sb = ScoroSandbox(SandboxConfig(**{"seed": 3, "size": 60, "sites": 1, **config}))
    try:
        with sb.run_in_thread() as base_url:
            yield sb, base_url
    finally:
        sb.close()


def http_connector(sb: ScoroSandbox, base_url: str, facts: SiteFacts | None = None, **settings: Any) -> ScoroConnector:
    s = replace(sandbox_settings(sb, base_url=base_url), **settings)
    client = ScoroClient(s, sleep=lambda _s: None, backoff_base=0.01)
    return ScoroConnector(client, facts=facts)


def utc_of(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def touch(sb: ScoroSandbox, connector: ScoroConnector, invoice_id: int) -> datetime:
    """Update one invoice now; returns the sandbox's instant of the change, to the second."""
    [result] = connector.write("Invoices", [WriteOp("update", {"Id": invoice_id, "Description": f"at {sb.clock.now()}"})])
    assert result.ok, result.error
    return datetime.fromtimestamp(int(sb.clock.now()), UTC)


def test_a_tallinn_site_across_both_dst_transitions_mirrors_the_right_utc(tmp_path):
    # 2026: summer time starts 29 March 01:00 UTC and ends 25 October 01:00 UTC in Europe/Tallinn.
    with http_sandbox(site_timezones={"demo": "Europe/Tallinn"}, start_time="2026-03-28T20:00:00+00:00") as (sb, url):
        mirror = f"sqlite:///{tmp_path / 'mirror.db'}"
        sb.set_count("demo", "invoices", 6)
        connector = http_connector(sb, url)  # no time zone configured: learnt from the site
        options = ReplicateOptions(objects=["Invoices"], overlap_seconds=0)
        ids = [r["Id"] for r in connector.read("Invoices", columns=["Id"])][:4]
        replicate(connector, mirror, options)
        expected = {ids[0]: touch(sb, connector, ids[0])}          # 22:00 local, +02:00 (winter)
        sb.advance_clock(8 * 3600)                                   # 29 March 04:00 UTC: summer time
        expected[ids[1]] = touch(sb, connector, ids[1])              # 07:00 local, +03:00
        sb.advance_clock((datetime(2026, 10, 24, 23, 0, tzinfo=UTC) - datetime.fromtimestamp(sb.clock.now(), UTC))
                         .total_seconds())
        expected[ids[2]] = touch(sb, connector, ids[2])              # 25 Oct 02:00 local, +03:00
        sb.advance_clock(4 * 3600)                                   # 03:00 UTC: winter time again
        expected[ids[3]] = touch(sb, connector, ids[3])              # 05:00 local, +02:00
        summary = replicate(connector, mirror, options)
        assert summary.objects["Invoices"].mode == "incremental" and not summary.failed
        assert connector.tz.describe() == {"timezone": "Europe/Tallinn", "source": "users list"}
        got = {r[0]: (utc_of(r[1]), utc_of(r[2])) for r in rows(
            mirror, "SELECT Id, UpdatedDate, WhenModified FROM Invoices WHERE Id IN (?, ?, ?, ?)", tuple(ids))}
        # what Scoro sent was local time without an offset: check the wire said so
        wire = connector.client.list_page("invoices", 1, per_page=1, filter={"id": ids[1]})[0]["modified_date"]
        assert "T" not in wire and "+" not in wire
        for rid, when in expected.items():
            assert got[int(rid)] == (when, when), (rid, got[int(rid)], when)


def test_the_zone_is_learnt_once_per_site_and_kept_across_connectors(tmp_path, monkeypatch):
    monkeypatch.setenv("SCOROLINK_CACHE_DIR", str(tmp_path))
    with http_sandbox(site_timezones={"demo": "America/New_York"}) as (sb, url):
        settings = sandbox_settings(sb, base_url=url)
        first = http_connector(sb, url, facts=SiteFacts.for_site(settings))
        list(first.read("Invoices", columns=["Id", "UpdatedDate"]))
        assert sb.stats()["requests"]["by_endpoint"].get("users/list") == 1
        second = http_connector(sb, url, facts=SiteFacts.for_site(settings))  # another process, same site
        records = list(second.read("Invoices", columns=["Id", "UpdatedDate"]))
        assert sb.stats()["requests"]["by_endpoint"].get("users/list") == 1
        assert second.tz.describe()["timezone"] == "America/New_York"
        assert all(r["UpdatedDate"].tzinfo is UTC for r in records)
        facts_file = next((tmp_path / "sites").glob("*.json"))
        assert oct(facts_file.stat().st_mode & 0o777) == "0o600"


def test_a_user_login_learns_the_zone_from_its_settings_without_listing_users():
    with http_sandbox(site_timezones={"demo": "Asia/Tokyo"}) as (sb, url):
        user = sb.default["users"][0]
        connector = http_connector(sb, url, api_key=None, username=user["username"], password=user["password"])
        assert connector.tz.describe() == {"timezone": "Asia/Tokyo", "source": "user settings"}
        by_endpoint = sb.stats()["requests"]["by_endpoint"]
        assert by_endpoint.get("userAuth/modify") == 1 and "users/list" not in by_endpoint


def test_scoro_timezone_overrides_what_the_site_says():
    with http_sandbox(site_timezones={"demo": "Europe/Tallinn"}) as (sb, url):
        learnt = http_connector(sb, url)
        forced = http_connector(sb, url, timezone="UTC")
        [a] = learnt.read("Invoices", [Condition("Id", "=", 1)], columns=["Id", "UpdatedDate"])
        [b] = forced.read("Invoices", [Condition("Id", "=", 1)], columns=["Id", "UpdatedDate"])
        assert forced.tz.describe() == {"timezone": "UTC", "source": "setting"}
        assert (b["UpdatedDate"] - a["UpdatedDate"]).total_seconds() in (7200, 10800)


def test_a_site_whose_zone_cannot_be_learnt_refuses_to_guess():
    with http_sandbox() as (sb, url):
        sb.set_count("demo", "users", 0)
        connector = http_connector(sb, url)
        assert [r["Id"] for r in connector.read("Invoices", columns=["Id"])]  # no datetime: no zone needed
        with pytest.raises(ConfigError, match="SCORO_TIMEZONE"):
            list(connector.read("Invoices", columns=["Id", "UpdatedDate"]))


def test_connection_test_shows_the_learnt_zone(tmp_path):
    with http_sandbox(site_timezones={"demo": "Europe/Helsinki"}) as (sb, url):
        site = sb.default
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCORO_")}
        env.update({"SCORO_BASE_URL": url, "SCORO_API_KEY": site["api_key"],
                    "SCORO_COMPANY_ACCOUNT_ID": site["company_account_ids"][0], "SCOROLINK_CACHE_DIR": str(tmp_path)})
        cli = [sys.executable, "-c", "from scorolink.cli import main; main()"]
        result = subprocess.run([*cli, "connection", "test", "--json"], capture_output=True, text=True, env=env,
                                timeout=120)
        assert result.returncode == 0, result.stderr
        info = json.loads(result.stdout)
        assert (info["timezone"], info["timezone_source"]) == ("Europe/Helsinki", "users list")
        forced = subprocess.run([*cli, "--timezone", "Asia/Tokyo", "connection", "test"], capture_output=True,
                                text=True, env=env, timeout=120)
        assert forced.returncode == 0 and "Asia/Tokyo (setting)" in forced.stdout, forced.stderr
        refreshed = subprocess.run([*cli, "connection", "refresh", "--json"], capture_output=True, text=True,
                                   env=env, timeout=120)
        assert refreshed.returncode == 0, refreshed.stderr
        assert json.loads(refreshed.stdout)["timezone"] == "Europe/Helsinki"


class Rewrites(httpx.HTTPTransport):
    """Over real HTTP to the sandbox, with the answers of some endpoints changed (`edits`: endpoint prefix →
    function of the JSON body); `paths` records every endpoint asked."""

    def __init__(self, edits: dict[str, Any]) -> None:
        super().__init__()
        self.edits, self.paths = edits, []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        path = request.url.path.split("/api/v2/", 1)[-1]
        self.paths.append(path)
        edit = next((e for prefix, e in self.edits.items() if path.startswith(prefix)), None)
        if edit is None:
            return response
        response.read()
        return httpx.Response(200, json=edit(json.loads(response.content)))


def refused(_body: dict) -> dict:
    return {"status": "ERROR", "statusCode": 403, "messages": {"error": ["No permission"]}}


def without_zone(body: dict) -> dict:
    body["data"]["settings"].pop("timezone")
    return body


def without_settings(body: dict) -> dict:
    body["data"].pop("settings")
    return body


def users_without_zone(body: dict) -> dict:
    body["data"] = [{k: v for k, v in r.items() if k != "timezone"} for r in body["data"]]
    return body


def users_without_zone_or_offset(body: dict) -> dict:
    body["data"] = [{k: v for k, v in r.items() if k != "timezone" and not (isinstance(v, str) and "T" in v[:11])}
                    for r in body["data"]]
    return body


def users_of_one_offset_without_zone(body: dict) -> dict:
    body["data"] = [r for r in users_without_zone(body)["data"] if "-05:00" not in json.dumps(r)]
    assert body["data"]
    return body


NEW_YORK_RULES = "a zone with America/New_York's rules"
LOGIN, KEY = "login", "api key"
# (credentials, edits, what is learnt (None: refused), the endpoints asked)
ANSWERS = {
    "settings-without-timezone": (LOGIN, {"userAuth/modify": without_zone},
                                  ("America/New_York", "user settings"), ["userAuth/modify", "users/settings/"]),
    "settings-without-timezone-settings-call-refused": (
        LOGIN, {"userAuth/modify": without_zone, "users/settings": refused},
        ("America/New_York", "users list"), ["userAuth/modify", "users/settings/", "users/list"]),
    "login-answer-without-settings": (LOGIN, {"userAuth/modify": without_settings},
                                      ("America/New_York", "users list"), ["userAuth/modify", "users/list"]),
    "everything-refused-to-a-user": (
        LOGIN, {"userAuth/modify": without_zone, "users/settings": refused, "users/list": refused},
        None, ["userAuth/modify", "users/settings/", "users/list"]),
    "api-key": (KEY, {}, ("America/New_York", "users list"), ["users/list"]),
    # the page's ISO datetimes carry -05:00 and -04:00: a zone with New York's rules, not a fixed offset
    "api-key-users-without-timezone": (KEY, {"users/list": users_without_zone},
                                       (NEW_YORK_RULES, "ISO datetime offsets (daylight-saving rules of"),
                                       ["users/list"]),
    # one offset throughout tells no rules: that fixed offset, and the source says so
    "api-key-users-without-timezone-one-offset": (KEY, {"users/list": users_of_one_offset_without_zone},
                                                  ("-04:00", "ISO datetime offsets (no daylight-saving rules)"),
                                                  ["users/list"]),
    "api-key-users-refused": (KEY, {"users/list": refused}, None, ["users/list"]),
    "api-key-users-without-timezone-or-offsets": (KEY, {"users/list": users_without_zone_or_offset}, None,
                                                  ["users/list"]),
}


@pytest.mark.parametrize("case", list(ANSWERS))
def test_each_source_of_the_zone_and_what_happens_when_it_errs_or_lacks_the_field(case):
    credentials, edits, learnt, asked = ANSWERS[case]
    # 2 July: New York is on summer time (-04:00), what the ISO offsets of the users page carry
    with http_sandbox(site_timezones={"demo": "America/New_York"}, start_time="2026-07-02T12:00:00+00:00") as (sb, url):
        settings = sandbox_settings(sb, base_url=url)
        if credentials == LOGIN:
            user = sb.default["users"][0]
            settings = replace(settings, api_key=None, username=user["username"], password=user["password"])
        transport = Rewrites(edits)
        connector = ScoroConnector(ScoroClient(settings, transport=transport, sleep=lambda _s: None), facts=SiteFacts())
        if learnt is None:
            with pytest.raises(ConfigError, match="SCORO_TIMEZONE"):
                connector.tz.describe()
            assert connector.facts.get("timezone") is None  # nothing guessed, nothing kept
        elif learnt[0] == NEW_YORK_RULES:
            found = connector.tz.describe()
            assert found["source"].startswith(learnt[1]) and found["timezone"].startswith("America/"), found
            new_york, zone = ZoneInfo("America/New_York"), ZoneInfo(found["timezone"])
            hours = [datetime(2025, 7, 2, tzinfo=UTC) + timedelta(hours=h) for h in range(366 * 24)]
            assert all(h.astimezone(zone).utcoffset() == h.astimezone(new_york).utcoffset() for h in hours)
            assert connector.facts.get("timezone") == {"name": found["timezone"], "source": found["source"]}
        else:
            assert connector.tz.describe() == {"timezone": learnt[0], "source": learnt[1]}
            assert connector.facts.get("timezone") == {"name": learnt[0], "source": learnt[1]}
        assert [p.rstrip("0123456789") for p in transport.paths] == asked
