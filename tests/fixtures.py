"""What the test suites' fixtures share: a value closed after the test, a chain of fixtures each made from the
one before (a sandbox, its client, its connector), and a sleep that moves a sandbox's clock instead of waiting."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

T = TypeVar("T")


def closing(thing: T) -> Iterator[T]:
    """A fixture's value, closed (or disposed) after the test: `yield from closing(make())`."""
    try:
        yield thing
    finally:
        done = getattr(thing, "close", None) or getattr(thing, "dispose", None)
        if done is not None:
            done()


def fixture_chain(first: tuple[str, Callable[[], Any]], *then: tuple[str, Callable[[Any], Any]]) -> list[Any]:
    """Fixtures named as given: the first made from nothing, each next one from the one before; each closed after
    the test. Assign them in a conftest: `sb, client = fixture_chain(("sb", make_sandbox), ("client", make_client))`."""
    fixtures = []
    name, make = first

    @pytest.fixture(name=name)
    def start() -> Iterator[Any]:
        yield from closing(make())

    fixtures.append(start)
    for (before, _), (name, step) in zip([first, *then], then, strict=False):
        fixtures.append(_step(name, before, step))
    return fixtures


def _step(name: str, before: str, make: Callable[[Any], Any]) -> Any:
    @pytest.fixture(name=name)
    def step(request: pytest.FixtureRequest) -> Iterator[Any]:
        yield from closing(make(request.getfixturevalue(before)))

    return step


class SandboxSleep:
    """Records every wait and moves the sandbox clock, and this object's own clock, instead of sleeping.

    Pass `clock=sleep.now` too, so the client's pacing sees the time it waited pass."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self.calls: list[float] = []
        self.elapsed = 0.0

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.elapsed += seconds
        self.sandbox.advance_clock(seconds)

    def now(self) -> float:
        return time.monotonic() + self.elapsed

    def wall(self) -> float:
        return time.time() + self.elapsed
