"""What the sandbox test packages share: the two fixtures each starts from (`sb`, a fresh in-process sandbox
closed after the test, and a client of it; a conftest names the client fixture by the attribute it
assigns: ``sb, xero = sandbox_fixtures(make_sandbox, Xero)``), and a `serve_command` in a child process."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_command(code: str, **popen: Any) -> Iterator[tuple[dict, subprocess.Popen]]:
    """A sandbox's `serve_command` run by `code` in a child Python until the end: yields the JSON line it
    printed (how to reach it) and the process."""
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, **popen)
    try:
        assert proc.stdout is not None
        yield json.loads(proc.stdout.readline()), proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)
