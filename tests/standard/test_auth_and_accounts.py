"""API-key and user-login access, company accounts and several sites in one sandbox."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scorolink.clients.asgi_bridge import SyncASGITransport
from scorolink.clients.errors import AuthenticationFailed, PermissionDenied
from scorolink.clients.scoro import ScoroClient
from scorolink.connectors.base import Condition, WriteOp
from scorolink.connectors.scoro import ScoroConnector
from scorolink.session import sandbox_settings


def _connector(sandbox, **changes) -> ScoroConnector:
    settings = replace(sandbox_settings(sandbox), **changes)
    return ScoroConnector(ScoroClient(settings, transport=SyncASGITransport(sandbox.app), sleep=lambda _s: None))


def test_user_login_reads_as_that_user(sandbox):
    admin = next(u for u in sandbox.default["users"] if u["category"] == "admin")
    connector = _connector(sandbox, api_key=None, username=admin["username"], password=admin["password"])
    projects = list(connector.read("Projects", columns=["Id", "Permissions"]))
    assert projects and all(p["Permissions"] for p in projects)  # user-token rows carry permissions
    assert sandbox.stats()["requests"]["by_endpoint"]["userAuth/modify"] == 1
    assert connector.client.user_settings.get("user_id") == admin["user_id"]


def test_wrong_password_is_an_authentication_error_that_names_the_settings(sandbox):
    user = sandbox.default["users"][0]
    connector = _connector(sandbox, api_key=None, username=user["username"], password="wrong")
    with pytest.raises(AuthenticationFailed) as info:
        list(connector.read("Projects"))
    assert "SCORO_USERNAME" in str(info.value) and "wrong" not in str(info.value)


def test_company_accounts_are_listed_and_a_foreign_one_is_refused(sandbox):
    connector = _connector(sandbox)
    accounts = list(connector.read("BusinessEntity"))
    assert {a["Id"] for a in accounts} == set(sandbox.default["company_account_ids"])
    with pytest.raises(PermissionDenied) as info:
        list(_connector(sandbox, company_account_id="not-ours").read("Projects"))
    assert "SCORO_COMPANY_ACCOUNT_ID" in str(info.value)


def test_sites_are_isolated_accounts(sandbox):
    other = sandbox.sites[1]
    here = _connector(sandbox)
    there = _connector(sandbox, base_url=f"http://sandbox.local{other['base_path']}", api_key=other["api_key"],
                       company_account_id=other["company_account_ids"][0])
    assert other["api_key"] != sandbox.default["api_key"]
    [created] = list(here.write("Products", [WriteOp("insert", {"Name": "Only here", "Code": "ONLY-1"})]))
    assert created.ok, created.error
    assert [p["Name"] for p in here.read("Products", [Condition("Code", "=", "ONLY-1")])] == ["Only here"]
    assert list(there.read("Products", [Condition("Code", "=", "ONLY-1")])) == []
    wrong_key = _connector(sandbox, base_url=f"http://sandbox.local{other['base_path']}",
                           company_account_id=other["company_account_ids"][0])
    with pytest.raises(AuthenticationFailed):
        list(wrong_key.read("Companies"))
