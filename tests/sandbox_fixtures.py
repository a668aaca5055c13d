"""The two fixtures every sandbox test package starts from: `sb`, a fresh in-process sandbox closed after
the test, and a client of it. A conftest names the client fixture by the attribute it assigns:
``sb, xero = sandbox_fixtures(make_sandbox, Xero)``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

S = TypeVar("S", bound=Any)
C = TypeVar("C")


def sandbox_fixtures(make_sandbox: Callable[[], S], make_client: Callable[[S], C]) -> tuple[Any, Any]:
    @pytest.fixture
    def sb() -> Iterator[S]:
        with contextlib.closing(make_sandbox()) as sandbox:
            yield sandbox

    @pytest.fixture
    def client(sb: S) -> C:
        return make_client(sb)

    return sb, client
