"""The subset of Xero's C#-like ``where`` language the reference lists (A6, D), and ``order``.

Grammar: or := and (("OR"|"||") and)*; and := unary (("AND"|"&&") unary)*; unary := "NOT" unary | "(" or ")" |
comparison; comparison := operand (op operand)? where an operand is a field path (``Contact.ContactID``), a
literal (``"text"``, number, true/false/null, ``Guid("…")``, ``DateTime(y,m,d[,h,m,s])``) and a field path
may end in ``.Contains("x")``, ``.StartsWith("x")`` or ``.EndsWith("x")``."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

Getter = Callable[[dict, str], Any]


class QueryError(Exception):
    pass


_TOKEN = re.compile(r"""\s*(?:
    (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op>==|!=|<=|>=|<|>|&&|\|\||\(|\)|,|!)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
)""", re.VERBOSE)

_METHODS = {"contains", "startswith", "endswith"}


def tokenize(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(f"Syntax error in where clause at position {pos}: {text[pos:pos + 20]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class Parser:
    def __init__(self, text: str, fields: set[str]) -> None:
        self.toks = tokenize(text)
        self.i = 0
        self.fields = fields

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1].upper() != value.upper()):
            raise QueryError(f"Syntax error in where clause: expected {value or 'more input'}")
        self.i += 1
        return tok

    def parse(self) -> Callable[[dict, Getter], bool]:
        node = self.or_()
        if self.peek() is not None:
            raise QueryError(f"Syntax error in where clause near {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def or_(self) -> Callable[[dict, Getter], bool]:
        parts = [self.and_()]
        while (t := self.peek()) and t[1].upper() in ("OR", "||"):
            self.i += 1
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else (lambda r, g: any(p(r, g) for p in parts))

    def and_(self) -> Callable[[dict, Getter], bool]:
        parts = [self.unary()]
        while (t := self.peek()) and t[1].upper() in ("AND", "&&"):
            self.i += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda r, g: all(p(r, g) for p in parts))

    def unary(self) -> Callable[[dict, Getter], bool]:
        t = self.peek()
        if t and t[1].upper() in ("NOT", "!"):
            self.i += 1
            inner = self.unary()
            return lambda r, g: not inner(r, g)
        if t and t[1] == "(":
            self.i += 1
            inner = self.or_()
            self.take(")")
            return inner
        return self.comparison()

    def comparison(self) -> Callable[[dict, Getter], bool]:
        left = self.operand()
        t = self.peek()
        if t and t[0] == "op" and t[1] in ("==", "!=", "<", ">", "<=", ">="):
            self.i += 1
            right = self.operand()
            op = t[1]
            return lambda r, g: compare(left(r, g), op, right(r, g))
        return lambda r, g: left(r, g) is True

    def operand(self) -> Callable[[dict, Getter], Any]:
        kind, value = self.take()
        if kind == "str":
            # C#-style escapes only: unicode_escape over UTF-8 bytes would turn "Ü" into "Ã\x9c"
            text = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), value[1:-1])
            return lambda r, g: text
        if kind == "num":
            n = Decimal(value)
            return lambda r, g: n
        if kind != "name":
            raise QueryError(f"Syntax error in where clause near {value!r}")
        low = value.lower()
        if low in ("true", "false"):
            b = low == "true"
            return lambda r, g: b
        if low == "null":
            return lambda r, g: None
        if low == "guid":
            self.take("(")
            _, s = self.take()
            self.take(")")
            try:
                gid = str(uuid.UUID(s.strip('"')))
            except ValueError:
                raise QueryError(f"Guid({s}) is not a valid GUID") from None
            return lambda r, g: gid
        if low in ("datetime", "datetimeoffset"):
            self.take("(")
            nums = [int(self.take()[1])]
            while self.peek() and self.peek()[1] == ",":  # type: ignore[index]
                self.i += 1
                nums.append(int(self.take()[1]))
            self.take(")")
            try:
                dt = datetime(*nums, tzinfo=UTC)  # type: ignore[misc,arg-type]
            except (TypeError, ValueError):
                raise QueryError(f"DateTime{tuple(nums)} is not a valid date") from None
            return lambda r, g: dt
        parts = value.split(".")
        method = None
        if len(parts) > 1 and parts[-1].lower() in _METHODS:
            method = parts.pop().lower()
        elif len(parts) > 1 and parts[-1].lower() in ("tolower", "toupper"):
            raise QueryError(f"Method {parts[-1]} is not supported by the sandbox")
        path = ".".join(parts)
        if parts[0] not in self.fields:
            raise QueryError(f"No property or field '{parts[0]}' exists in type")
        if method is None:
            return lambda r, g: g(r, path)
        self.take("(")
        arg = self.operand()
        self.take(")")

        def call(r: dict, g: Getter) -> bool:
            v, a = g(r, path), arg(r, g)
            if not isinstance(v, str) or not isinstance(a, str):
                return False
            v, a = v.lower(), a.lower()  # Xero's string methods ignore case
            return a in v if method == "contains" else v.startswith(a) if method == "startswith" else v.endswith(a)

        return call


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def _norm(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int | float):
        return Decimal(str(v))
    if isinstance(v, str):
        try:
            return str(uuid.UUID(v)) if len(v) == 36 else v
        except ValueError:
            return v
    return v


def compare(a: Any, op: str, b: Any) -> bool:
    a, b = _norm(a), _norm(b)
    if isinstance(a, datetime) and isinstance(b, str):
        b = _as_dt(b)
    if isinstance(b, datetime) and isinstance(a, str):
        a = _as_dt(a)
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if a is None or b is None:
        return False
    try:
        return bool({"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op])
    except TypeError:
        return False


def _as_dt(s: str) -> Any:
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return s
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def compile_where(text: str, fields: set[str]) -> Callable[[dict, Getter], bool]:
    return Parser(text, fields).parse()


def compile_order(text: str, fields: set[str]) -> list[tuple[str, bool]]:
    """``Field [ASC|DESC][, Field2 …]`` -> [(field, descending)]."""
    out = []
    for part in text.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise QueryError(f"Invalid order clause {part.strip()!r}: use 'Field ASC' or 'Field DESC'")
        if words[0].split(".")[0] not in fields:
            raise QueryError(f"No property or field '{words[0]}' exists in type")
        out.append((words[0], len(words) == 2 and words[1].upper() == "DESC"))
    return out
