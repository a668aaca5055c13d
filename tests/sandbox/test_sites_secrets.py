"""GET /_sandbox/sites shows keys and passwords only to a sandbox started with expose_secrets."""

from __future__ import annotations

import httpx
import pytest

from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox

pytestmark = pytest.mark.loopback


@pytest.mark.parametrize("expose", [False, True])
def test_sites_hide_secrets_unless_opted_in(expose):
    sandbox = ScoroSandbox(SandboxConfig(size=30, expose_secrets=expose))
    with sandbox.run_in_thread() as base_url:
        sites = httpx.get(base_url.removesuffix("/api/v2") + "/_sandbox/sites").json()
    key, password = sandbox.default["api_key"], sandbox.default["users"][0]["password"]
    sandbox.close()
    text = str(sites)
    assert (key in text, password in text) == (expose, expose)
    assert sites[0]["company_account_ids"] == sandbox.default["company_account_ids"]
    if not expose:
        assert sites[0]["api_key"] == "***" and sites[0]["users"][0]["password"] == "***"
