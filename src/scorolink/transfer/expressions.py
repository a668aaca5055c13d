"""Simple expressions of an import mapping, e.g. `Quantity * UnitPrice` or
`upper(FirstName) + " " + LastName`, evaluated safely over one source row.

Python expression syntax, restricted to literals, source column names, arithmetic, comparisons,
`and`/`or`/`not`, `x if cond else y` and a short list of functions; no attributes, no imports, no
subscripts. Numbers in CSV cells are text, so arithmetic first turns numeric text into Decimal.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from scorolink.errors import ConfigError


class ExpressionError(ValueError):
    """Evaluating an expression on one row failed (a bad number, a missing column)."""


def _num(value: Any) -> Any:
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ExpressionError("an empty value is not a number")
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ExpressionError(f"{value!r} is not a number") from exc


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _round(value: Any, places: Any = 0) -> Decimal:
    return _num(value).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "upper": lambda v: _text(v).upper(),
    "lower": lambda v: _text(v).lower(),
    "strip": lambda v: _text(v).strip(),
    "title": lambda v: _text(v).title(),
    "concat": lambda *vs: "".join(_text(v) for v in vs),
    "coalesce": lambda *vs: next((v for v in vs if v not in (None, "")), None),
    "replace": lambda v, old, new: _text(v).replace(_text(old), _text(new)),
    "round": _round,
    "number": _num,
    "int": lambda v: int(_num(v)),
    "text": _text,
    "len": lambda v: len(_text(v)),
    "left": lambda v, n: _text(v)[: int(n)],
    "right": lambda v, n: _text(v)[-int(n):] if int(n) else "",
}

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
}
_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}
_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.Name,
            ast.Constant, ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.USub, ast.UAdd,
            ast.Not, ast.And, ast.Or, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)


class Expression:
    def __init__(self, text: str, target: str) -> None:
        self.text = text
        self.target = target
        try:
            self.tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise ConfigError(f"Mapping expression for {target}: {text!r} is not a valid expression "
                              f"({exc.msg} at column {exc.offset}).") from exc
        names: set[str] = set()
        for node in ast.walk(self.tree):
            if not isinstance(node, _ALLOWED):
                raise ConfigError(f"Mapping expression for {target}: {type(node).__name__} is not allowed in "
                                  f"{text!r}; use column names, literals, + - * / %, comparisons, and/or/not, "
                                  f"'a if cond else b' and the functions {', '.join(sorted(FUNCTIONS))}.")
            if isinstance(node, ast.Call):
                if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
                    raise ConfigError(f"Mapping expression for {target}: only the functions "
                                      f"{', '.join(sorted(FUNCTIONS))} can be called in {text!r}.")
            elif isinstance(node, ast.Name):
                names.add(node.id)
        called = {n.func.id for n in ast.walk(self.tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        self.columns = names - called

    def evaluate(self, row: dict[str, Any]) -> Any:
        return self._eval(self.tree.body, row)

    def _eval(self, node: ast.AST, row: dict[str, Any]) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in row:
                raise ExpressionError(f"column {node.id} is not in the source")
            return row[node.id]
        if isinstance(node, ast.BinOp):
            left, right = self._eval(node.left, row), self._eval(node.right, row)
            if isinstance(node.op, ast.Add):  # numbers add; anything else concatenates as text
                if _numeric(left) and _numeric(right):
                    return _num(left) + _num(right)
                return _text(left) + _text(right)
            try:
                return _BINARY[type(node.op)](_num(left), _num(right))
            except (ZeroDivisionError, InvalidOperation) as exc:
                raise ExpressionError(f"division by zero in {self.text!r}") from exc
        if isinstance(node, ast.UnaryOp):
            value = self._eval(node.operand, row)
            if isinstance(node.op, ast.Not):
                return not value
            return -_num(value) if isinstance(node.op, ast.USub) else _num(value)
        if isinstance(node, ast.BoolOp):
            values = (self._eval(v, row) for v in node.values)
            return all(values) if isinstance(node.op, ast.And) else any(values)
        if isinstance(node, ast.Compare):
            left = self._eval(node.left, row)
            for op, comparator in zip(node.ops, node.comparators, strict=True):
                right = self._eval(comparator, row)
                a, b = (_num(left), _num(right)) if _numeric(left) and _numeric(right) else (left, right)
                if not _COMPARE[type(op)](a, b):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            return self._eval(node.body if self._eval(node.test, row) else node.orelse, row)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            args = [self._eval(a, row) for a in node.args]
            try:
                return FUNCTIONS[node.func.id](*args)
            except TypeError as exc:
                raise ExpressionError(f"{node.func.id}(): {exc}") from exc
        raise ExpressionError(f"cannot evaluate {ast.dump(node)}")


def _numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, Decimal)):
        return True
    if isinstance(value, str) and value.strip():
        try:
            Decimal(value.strip())
            return True
        except InvalidOperation:
            return False
    return False
