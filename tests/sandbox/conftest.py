"""Sandbox fixtures; the HTTP helpers live in sandbox_http.py."""

from __future__ import annotations

import pytest
from sandbox_http import Client

from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox


@pytest.fixture(scope="module")
def shared() -> ScoroSandbox:
    """A read-mostly sandbox shared by the tests of one module (tests that write use ``sb``)."""
    return ScoroSandbox(SandboxConfig(seed=1, size=300))


@pytest.fixture
def sb() -> ScoroSandbox:
    return ScoroSandbox(SandboxConfig(seed=1, size=300))


@pytest.fixture
def api(sb: ScoroSandbox) -> Client:
    return Client(sb)
