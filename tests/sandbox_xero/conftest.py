"""Fixtures: a fresh in-process Xero sandbox (rate limits off unless a test turns them on) and a client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scorolink.sandbox.xero import RateLimit, XeroSandbox, XeroSandboxConfig
from tests.sandbox_xero.xero_http import Xero


@pytest.fixture
def sb() -> Iterator[XeroSandbox]:
    sandbox = XeroSandbox(XeroSandboxConfig(seed=1, size=20, rate_limit=RateLimit.off()))
    yield sandbox
    sandbox.close()


@pytest.fixture
def xero(sb: XeroSandbox) -> Xero:
    return Xero(sb)


@pytest.fixture
def contact_id(xero: Xero) -> str:
    return xero.one("PUT", "/Contacts", "Contacts", json={"Contacts": [{"Name": "Test Customer Ltd"}]})["ContactID"]
