"""The record interface every connector speaks: conditions in, canonical records out."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from scorolink.errors import InvalidInput, ScorolinkError

Record = dict[str, Any]

OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "like", "in", "is null", "is not null")


@dataclass(frozen=True)
class Condition:
    """`field op value`; values are already typed for the field (the connector converts them)."""

    field: str
    op: str
    value: Any = None

    def __str__(self) -> str:
        if self.op in ("is null", "is not null"):
            return f"{self.field} {self.op.upper()}"
        return f"{self.field} {self.op.upper() if self.op.isalpha() else self.op} {self.value!r}"


_CONDITION = re.compile(
    r"""^\s*(?P<field>[A-Za-z_][\w.]*)\s*
        (?P<op>>=|<=|!=|<>|=|<|>|\bnot\s+like\b|\blike\b|\bnot\s+in\b|\bin\b|\bis\s+not\s+null\b|\bis\s+null\b)
        \s*(?P<value>.*?)\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def parse_condition(text: str) -> Condition:
    """Parse `Field op value` as typed on a command line: `Status = unpaid`, `Date >= 2024-01-01`,
    `Id in (1, 2, 3)`, `Name like 'Acme%'`, `Deadline is null`. Values stay text here."""
    match = _CONDITION.match(text)
    if not match:
        raise InvalidInput(
            f"Cannot read condition {text!r}. Write it as 'Field op value' with op one of "
            "=, !=, <, <=, >, >=, LIKE, IN (a, b), IS NULL, IS NOT NULL — e.g. \"Date >= 2024-01-01\"."
        )
    op = " ".join(match["op"].lower().split())
    op = "!=" if op == "<>" else op
    if op in ("not like", "not in"):
        raise InvalidInput(f"{op.upper()} is not supported in --where; use the query command for it.")
    raw = match["value"]
    if raw[:1] in ("=", "<", ">", "!"):  # `Date => x`, `Id =< 3`: the operator is what is wrong, not the value
        typed = match["op"] + raw[: len(raw) - len(raw.lstrip("=<>!"))]
        raise InvalidInput(f"Condition {text!r}: {typed!r} is not an operator. Use one of =, !=, <, <=, >, >= "
                           "(e.g. \"Date >= 2024-01-01\").")
    if op in ("is null", "is not null"):
        if raw:
            raise InvalidInput(f"Condition {text!r}: nothing may follow {op.upper()}.")
        return Condition(match["field"], op)
    if not raw:
        raise InvalidInput(f"Condition {text!r} has no value after {op!r}.")
    if op == "in":
        inner = raw.strip()
        if not (inner.startswith("(") and inner.endswith(")")):
            raise InvalidInput(f"Condition {text!r}: IN needs a list in parentheses, e.g. Id IN (1, 2).")
        return Condition(match["field"], op, tuple(_unquote(v) for v in _split_list(inner[1:-1])))
    return Condition(match["field"], op, _unquote(raw))


def _split_list(text: str) -> list[str]:
    parts, current, quote = [], "", ""
    for ch in text:
        if quote:
            current += ch
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            current += ch
        elif ch == ",":
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


@dataclass
class WriteOp:
    """One record to write. `record` uses canonical names; updates and deletes carry the key."""

    action: str  # insert | update | delete | upsert
    record: Record
    ref: Any = None  # caller's reference (row number), echoed in the result


@dataclass
class WriteResult:
    op: WriteOp
    ok: bool
    record: Record | None = None  # the saved record as Scoro returned it (RETURNING)
    error: str | None = None
    field_errors: list[str] = field(default_factory=list)
    outcome_unknown: bool = False


class Connector(Protocol):
    def read(self, obj: str, where: Iterable[Condition] = (), *, columns: Iterable[str] | None = None,
             include_deleted: bool = False, limit: int | None = None) -> Iterator[Record]: ...

    def write(self, obj: str, ops: Iterable[WriteOp]) -> Iterator[WriteResult]: ...


def matches(record: Record, conditions: Iterable[Condition]) -> bool:
    """Evaluate typed conditions on a canonical record (SQL semantics: NULL matches nothing)."""
    return all(_match(record.get(c.field), c) for c in conditions)


def _match(value: Any, c: Condition) -> bool:
    if c.op == "is null":
        return value is None or value == ""
    if c.op == "is not null":
        return not (value is None or value == "")
    if value is None:
        return False
    try:
        if c.op == "=":
            return bool(value == c.value)
        if c.op == "!=":
            return bool(value != c.value)
        if c.op == "in":
            return value in c.value
        if c.op == "like":
            return _like(str(c.value)).match(str(value)) is not None
        if c.op == "<":
            return bool(value < c.value)
        if c.op == "<=":
            return bool(value <= c.value)
        if c.op == ">":
            return bool(value > c.value)
        if c.op == ">=":
            return bool(value >= c.value)
    except TypeError:
        return False
    raise ScorolinkError(f"Unsupported operator {c.op!r}")


def _like(pattern: str) -> re.Pattern[str]:
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL)
