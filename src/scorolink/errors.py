"""The errors scorolink raises on purpose.

Each carries a message that says what was wrong and how to fix it; the CLI prints the
message without a traceback (``--debug`` shows one). Secrets never go into a message.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ScorolinkError(Exception):
    """Base class: an expected failure with a message a person can act on."""

    exit_code = 1


class ConfigError(ScorolinkError):
    """A setting is missing or malformed. The message names the setting and where to set it."""

    exit_code = 2


class InvalidInput(ScorolinkError):
    """Input that cannot be read (a malformed condition, an unknown action): fix it and run again."""

    exit_code = 2


class UnknownName(ScorolinkError):
    """An object or field name that the catalog does not know."""

    exit_code = 2

    def __init__(self, kind: str, name: str, choices: Iterable[str], where: str = "") -> None:
        choices = list(choices)
        close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
        lowered = {c.lower(): c for c in choices}
        if not close and name.lower() in lowered:
            close = [lowered[name.lower()]]
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        scope = f" of {where}" if where else ""
        super().__init__(f"Unknown {kind}{scope}: {name!r}.{hint} Run `scorolink objects` or "
                         f"`scorolink describe OBJECT` to see what exists.")
        self.name = name
        self.suggestions = close


class OperationNotAllowed(ScorolinkError):
    """The object does not allow this operation (from the catalog's DML table)."""

    exit_code = 2

    def __init__(self, obj: str, operation: str, allowed: Iterable[str]) -> None:
        allowed = sorted(allowed)
        super().__init__(f"{obj} does not allow {operation}; allowed: {', '.join(allowed) or 'nothing'}.")
        self.object = obj
        self.operation = operation
        self.allowed = allowed


class InvalidValue(ScorolinkError):
    """A value that cannot be converted to the field's type."""

    exit_code = 2

    def __init__(self, field: str, value: object, expected: str, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(f"Field {field}: {value!r} is not a valid {expected}{extra}.")
        self.field = field
        self.value = value
        self.expected = expected
