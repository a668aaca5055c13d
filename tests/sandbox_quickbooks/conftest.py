"""Fixtures: a fresh in-process QuickBooks sandbox (rate limits off unless a test turns them on) and clients
for its US company (multicurrency off, class tracking per line on) and its UK one (multicurrency on)."""

from __future__ import annotations

import pytest

from scorolink.sandbox.quickbooks import QuickBooksSandbox, QuickBooksSandboxConfig, RateLimit
from tests.sandbox_fixtures import sandbox_fixtures
from tests.sandbox_quickbooks.qbo_http import QBO

sb, qbo = sandbox_fixtures(lambda: QuickBooksSandbox(QuickBooksSandboxConfig(seed=1, size=12,
                                                                         rate_limit=RateLimit.off())), QBO)


@pytest.fixture
def uk(sb: QuickBooksSandbox) -> QBO:
    return QBO(sb, sb.realm_ids[1])


@pytest.fixture
def customer(qbo: QBO) -> dict:
    return qbo.create("Customer", {"DisplayName": "Test Customer LLC", "PrimaryEmailAddr": {"Address": "t@ex.com"}})


@pytest.fixture
def service_item(qbo: QBO) -> dict:
    return qbo.first("Item", "where Type = 'Service'")
