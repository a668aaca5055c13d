"""SQL text → one sqlglot statement, with parameters bound and syntax errors located."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from scorolink.errors import InvalidInput

DIALECT = "sqlite"
STATEMENTS = (exp.Select, exp.Union, exp.Insert, exp.Update, exp.Delete)


class SqlSyntaxError(InvalidInput):
    """SQL that does not parse; the message gives the line and column."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        where = f" at line {line}, column {column}" if line is not None else ""
        super().__init__(f"SQL syntax error{where}: {message}")
        self.line = line
        self.column = column


Params = Sequence[Any] | Mapping[str, Any] | None


def parse(sql: str, params: Params = None) -> exp.Expression:
    if not sql or not sql.strip():
        raise SqlSyntaxError("the statement is empty; write e.g. SELECT Id, Name FROM Companies")
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        message = _describe(first.get("description") or str(exc))
        near = first.get("highlight")
        raise SqlSyntaxError(f"{message}{f' (near {near!r})' if near else ''}",
                             first.get("line"), first.get("col")) from None
    except TokenError as exc:
        line, column = _position(sql, str(exc))
        raise SqlSyntaxError("cannot read the text here (an unclosed quote?)", line, column) from None
    if len(statements) != 1:
        raise SqlSyntaxError(f"one statement at a time, got {len(statements)}")
    statement = statements[0]
    if not isinstance(statement, STATEMENTS):
        raise SqlSyntaxError(f"{statement.key.upper()} is not supported; use SELECT, INSERT, UPDATE or DELETE")
    return bind(statement, params)


def _describe(text: str) -> str:
    # "Expected table name but got <Token token_type: TokenType.WHERE, text: where, ...>" → readable
    return re.sub(r"<Token token_type: [\w.]+, text: ([^,]*),.*?>", r"'\1'", text).split(". Line")[0]


def _position(sql: str, message: str) -> tuple[int, int]:
    match = re.search(r"Error tokenizing '(.*)'$", message, re.S)
    offset = len(sql)
    if match:
        found = sql.find(match[1])
        offset = found + len(match[1]) if found >= 0 else offset
    offset = _last_quote(sql, offset)
    line = sql.count("\n", 0, offset) + 1
    column = offset - (sql.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _last_quote(sql: str, end: int) -> int:
    """The opening quote that was never closed, when there is one before `end`."""
    quote, start = "", -1
    for i, ch in enumerate(sql):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote, start = ch, i
    return start if quote and start >= 0 else max(0, end - 1)


def literal(value: Any) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float, Decimal)):
        return exp.Literal.number(str(value))
    if isinstance(value, datetime):
        return exp.Literal.string(value.isoformat(" "))
    if isinstance(value, date):
        return exp.Literal.string(value.isoformat())
    if isinstance(value, (bytes, bytearray)):
        return exp.HexString(this=bytes(value).hex())
    if isinstance(value, (list, dict, tuple)):
        from scorolink.query.values import dumps_json

        return exp.Literal.string(dumps_json(value))  # nested values travel as JSON text
    return exp.Literal.string(str(value))


def bind(statement: exp.Expression, params: Params) -> exp.Expression:
    """Replace `?` (qmark) or `:name` placeholders with literals."""
    holders = list(statement.find_all(exp.Placeholder, bfs=False))  # depth-first: textual order
    if not holders:
        if params:
            raise InvalidInput(f"{len(params)} parameter(s) given but the SQL has no ? or :name placeholder")
        return statement
    named = [h for h in holders if h.name and h.name != "?"]
    if named and len(named) != len(holders):
        raise InvalidInput("use either ? placeholders or :name placeholders, not both")
    if named:
        if not isinstance(params, Mapping):
            raise InvalidInput("the SQL uses :name placeholders; pass the parameters as a dict")
        missing = sorted({h.name for h in named if h.name not in params})
        if missing:
            raise InvalidInput(f"no value for parameter(s) {', '.join(':' + m for m in missing)}")
        for h in named:
            h.replace(literal(params[h.name]))
        return statement
    if params is None or isinstance(params, (Mapping, str, bytes)):
        raise InvalidInput(f"the SQL has {len(holders)} ? placeholder(s); pass a sequence of values")
    values = list(params)
    if len(values) != len(holders):
        raise InvalidInput(f"the SQL has {len(holders)} ? placeholder(s) but {len(values)} value(s) were given")
    for h, v in zip(holders, values, strict=True):
        h.replace(literal(v))
    return statement

