"""The query language (B4): ``SELECT * | COUNT(*) FROM Entity [WHERE a op v [AND ...]] [ORDER BY|ORDERBY f
[ASC|DESC], ...] [STARTPOSITION n] [MAXRESULTS n]``. Keywords and names ignore case; AND only; operators
``= < > <= >= IN LIKE`` (``%`` wildcards); values quoted with ``'`` and ``\\'`` escapes, numbers, booleans."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .wire import QBOError

TOKEN = re.compile(r"""\s*(?:(?P<str>'(?:\\.|[^'\\])*')|(?P<num>-?\d+(?:\.\d+)?(?![\w.]))|(?P<op><=|>=|<>|!=|=|<|>)
                       |(?P<punct>[(),*])|(?P<word>[A-Za-z_][\w.]*))""", re.X)
KEYWORDS = {"select", "from", "where", "and", "or", "order", "orderby", "by", "asc", "desc", "startposition",
            "maxresults", "in", "like", "count", "true", "false", "not", "join", "group"}
MAX_RESULTS = 1000
DEFAULT_RESULTS = 100


@dataclass
class Condition:
    field: str
    op: str            # = < > <= >= in like
    values: list[Any]  # one value, or several for IN


@dataclass
class Query:
    entity: str
    count: bool = False
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start: int = 1
    max: int = DEFAULT_RESULTS


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    text = text.rstrip().rstrip(";")
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QBOError("4000", f"QueryParserError: Encountered \"{text[pos:].strip()[:20]}\" at column {pos + 1}"
                           " of the query. Was expecting a keyword, a name, a quoted value or a number.")
        pos = m.end()
        kind = m.lastgroup or ""
        value: Any = m.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        elif kind == "num":
            value = Decimal(value)
        elif kind == "word" and value.lower() in KEYWORDS:
            kind, value = "kw", value.lower()
        out.append((kind, value))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, Any]:
        return self.toks[self.i] if self.i < len(self.toks) else ("end", None)

    def take(self) -> tuple[str, Any]:
        tok = self.peek()
        self.i += 1
        return tok

    def fail(self, expected: str) -> QBOError:
        kind, value = self.peek()
        got = "the end of the query" if kind == "end" else f"\"{value}\""
        return QBOError("4000", f"QueryParserError: Encountered {got}. Was expecting {expected}. "
                                f"Query: {self.text.strip()[:200]}")

    def expect_kw(self, *words: str) -> str:
        kind, value = self.peek()
        if kind == "kw" and value in words:
            self.i += 1
            return str(value)
        raise self.fail(" or ".join(w.upper() for w in words))

    def name(self) -> str:
        kind, value = self.peek()
        if kind != "word":
            raise self.fail("a name")
        self.i += 1
        return str(value)

    def literal(self) -> Any:
        kind, value = self.take()
        if kind in ("str", "num"):
            return value
        if kind == "kw" and value in ("true", "false"):
            return value == "true"
        self.i -= 1
        raise self.fail("a quoted value, a number, true or false")

    def parse(self) -> Query:
        self.expect_kw("select")
        count = False
        kind, value = self.peek()
        if kind == "kw" and value == "count":
            self.take()
            if self.take() != ("punct", "(") or self.take() != ("punct", "*") or self.take() != ("punct", ")"):
                raise QBOError("4000", "QueryParserError: COUNT takes (*) only")
            count = True
        elif (kind, value) == ("punct", "*"):
            self.take()
            while self.peek() == ("punct", ","):   # SELECT *, Sku FROM Item (python-quickbooks)
                self.take()
                self.name()
        else:
            raise self.fail("* or COUNT(*) (QuickBooks queries return whole objects)")
        self.expect_kw("from")
        query = Query(self.name(), count=count)
        if self.peek() == ("kw", "where"):
            self.take()
            query.where.append(self.condition())
            while self.peek() == ("kw", "and"):
                self.take()
                query.where.append(self.condition())
            if self.peek() == ("kw", "or"):
                raise QBOError("4000", "QueryParserError: OR is not supported; send one query per alternative")
        if self.peek()[0] == "kw" and self.peek()[1] in ("order", "orderby"):
            if self.take()[1] == "order":
                self.expect_kw("by")
            while True:
                name = self.name()
                desc = False
                if self.peek()[0] == "kw" and self.peek()[1] in ("asc", "desc"):
                    desc = self.take()[1] == "desc"
                query.order.append((name, desc))
                if self.peek() != ("punct", ","):
                    break
                self.take()
        while self.peek()[0] == "kw" and self.peek()[1] in ("startposition", "maxresults"):
            word = self.take()[1]
            kind, value = self.take()
            if kind != "num" or value != int(value) or value < 1:
                raise QBOError("4000", f"QueryParserError: {word.upper()} takes a whole number of 1 or more")
            if word == "startposition":
                query.start = int(value)
            else:
                if value > MAX_RESULTS:
                    raise QBOError("4001", f"QueryValidationError: MAXRESULTS {value} is over the maximum of "
                                           f"{MAX_RESULTS}; page with STARTPOSITION")
                query.max = int(value)
        if self.peek()[0] != "end":
            raise self.fail("WHERE, AND, ORDERBY, STARTPOSITION, MAXRESULTS or the end of the query")
        return query

    def condition(self) -> Condition:
        name = self.name()
        kind, value = self.take()
        if kind == "op":
            if value in ("!=", "<>"):
                raise QBOError("4000", f"QueryParserError: operator {value} is not supported")
            return Condition(name, str(value), [self.literal()])
        if kind == "kw" and value == "in":
            if self.take() != ("punct", "("):
                raise self.fail("(")
            values = [self.literal()]
            while self.peek() == ("punct", ","):
                self.take()
                values.append(self.literal())
            if self.take() != ("punct", ")"):
                self.i -= 1
                raise self.fail(")")
            return Condition(name, "in", values)
        if kind == "kw" and value == "like":
            lit = self.literal()
            if not isinstance(lit, str):
                raise QBOError("4000", "QueryParserError: LIKE takes a quoted value")
            return Condition(name, "like", [lit])
        self.i -= 1
        raise self.fail("an operator (=, <, >, <=, >=, IN, LIKE)")


def parse(text: str) -> Query:
    return _Parser(text).parse()


# -- evaluation -------------------------------------------------------------------------------------------
def lookup(rec: Any, path: str) -> list[Any]:
    """Every value at a dotted path, names ignoring case; lists fan out; a reference ``{value, name}`` gives its
    value (so ``CustomerRef = '5'`` works)."""
    values = [rec]
    for part in path.lower().split("."):
        nxt: list[Any] = []
        for v in values:
            for item in (v if isinstance(v, list) else [v]):
                if isinstance(item, dict):
                    for k, sub in item.items():
                        if k.lower() == part:
                            nxt.append(sub)
        values = nxt
    out: list[Any] = []
    for v in values:
        for item in (v if isinstance(v, list) else [v]):
            out.append(item.get("value") if isinstance(item, dict) and "value" in item else item)
    return [v for v in out if v is not None]


def _coerce(value: Any, literal: Any, when: Callable[[str], float] | None) -> tuple[Any, Any] | None:
    if isinstance(literal, bool):
        if isinstance(value, bool):
            return value, literal
        return str(value).lower(), str(literal).lower()
    if isinstance(literal, Decimal) or isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return Decimal(str(value)), Decimal(str(literal))
        except InvalidOperation:
            return None
    if when is not None:
        try:
            return when(str(value)), when(str(literal))
        except ValueError:
            return None
    return str(value).lower(), str(literal).lower()


def _like(value: Any, pattern: str) -> bool:
    rx = "^" + ".*".join(re.escape(p) for p in pattern.lower().split("%")) + "$"
    return re.match(rx, str(value).lower(), re.S) is not None


def matches(rec: dict, cond: Condition, when: Callable[[str], float] | None) -> bool:
    """``when`` parses times for fields that hold them (MetaData.*Time, *Date)."""
    values = lookup(rec, cond.field)
    is_time = cond.field.lower().endswith(("time", "date"))
    for value in values:
        if cond.op == "like":
            if _like(value, cond.values[0]):
                return True
            continue
        for lit in cond.values:
            pair = _coerce(value, lit, when if is_time else None)
            if pair is None:
                continue
            a, b = pair
            ok = {"=": a == b, "in": a == b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[cond.op]
            if ok:
                return True
    return False


def sort_key(rec: dict, name: str, when: Callable[[str], float]) -> tuple:
    values = lookup(rec, name)
    if not values:
        return (0, "")
    v = values[0]
    if name.lower() == "id":
        return (1, int(v)) if str(v).isdigit() else (2, str(v))
    if isinstance(v, bool):
        return (1, int(v))
    if isinstance(v, int | float):
        return (1, v)
    if name.lower().endswith(("time", "date")):
        try:
            return (1, when(str(v)))
        except ValueError:
            pass
    return (2, str(v).lower())
