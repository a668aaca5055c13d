from __future__ import annotations

from collections.abc import Iterator

import pytest

from scorolink.query.engine import QueryEngine


@pytest.fixture
def engine(sandbox, connector) -> Iterator[QueryEngine]:
    """An engine over the sandbox with custom fields already discovered and the counters at zero."""
    connector.custom_fields()
    sandbox.reset_stats()
    yield QueryEngine(connector)


def sent(sandbox, module: str, action: str = "list", n: int = 500) -> list[dict]:
    return [e for e in sandbox.recent_requests(n) if e["module"] == module and e["action"] == action]
