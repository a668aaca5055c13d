"""Fixtures: a fresh in-process Xero sandbox (rate limits off unless a test turns them on) and a client."""

from __future__ import annotations

import pytest

from scorolink.sandbox.xero import RateLimit, XeroSandbox, XeroSandboxConfig
from tests.sandbox_fixtures import sandbox_fixtures
from tests.sandbox_xero.xero_http import Xero

sb, xero = sandbox_fixtures(lambda: XeroSandbox(XeroSandboxConfig(seed=1, size=20, rate_limit=RateLimit.off())),
                           Xero)


@pytest.fixture
def contact_id(xero: Xero) -> str:
    return xero.one("PUT", "/Contacts", "Contacts", json={"Contacts": [{"Name": "Test Customer Ltd"}]})["ContactID"]
