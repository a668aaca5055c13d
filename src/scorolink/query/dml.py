"""INSERT / UPDATE / DELETE over Scoro: each statement becomes connector writes (Scoro `modify` and
`delete`), row by row, with the saved records available to RETURNING.

Everything that can be checked is checked before the first request: the object allows the
operation, the columns exist, literal values have the field's type. UPDATE and DELETE first find
their rows with a SELECT (conditions pushed as for any query) and refuse to touch more than one
row unless confirmed.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Protocol

from sqlglot import exp

from scorolink.catalog.model import ObjectSpec
from scorolink.connectors.base import WriteOp
from scorolink.connectors.scoro_convert import coerce
from scorolink.errors import InvalidInput, InvalidValue, OperationNotAllowed, ScorolinkError, UnknownName
from scorolink.query.execute import Result, create_table, insert_records, run_local
from scorolink.query.parse import DIALECT
from scorolink.query.plan import Planner, QueryPlan, field_or_nested, literal_value


class QueryEngine(Protocol):
    """What DML needs of the query engine (query/engine.py), which calls into this module: a protocol
    rather than an import keeps the dependency one way."""

    connector: Any
    replica: str | None
    lookup_limit: int

    @property
    def tz(self) -> Any: ...

    def spec(self, name: str) -> ObjectSpec: ...

    def plan_select(self, statement: exp.Expression) -> QueryPlan: ...

    def select(self, statement: exp.Expression) -> Result: ...


ACTIONS = {exp.Insert: "insert", exp.Update: "update", exp.Delete: "delete"}


class ConfirmationRequired(ScorolinkError):
    """An UPDATE or DELETE would touch more than one row and was not confirmed."""

    exit_code = 1

    def __init__(self, action: str, obj: str, count: int) -> None:
        super().__init__(f"{action.upper()} would change {count} {obj} rows; nothing was changed. Run it again "
                         f"with --yes (DB-API: connect(..., allow_many=True)) to apply it.")
        self.count = count


class WriteFailed(ScorolinkError):
    """Some rows were not written; the message lists which and why."""


def _target(engine: QueryEngine, statement: exp.Expression) -> tuple[ObjectSpec, exp.Table, str]:
    table = statement.this
    if isinstance(table, exp.Schema):
        table = table.this
    if not isinstance(table, exp.Table):
        raise InvalidInput("Name the object to write, e.g. INSERT INTO Companies (Name) VALUES ('Acme').")
    spec = engine.spec(table.name)
    action = ACTIONS[type(statement)]
    if not spec.allows(action):
        raise OperationNotAllowed(spec.name, action, spec.operations)
    return spec, table, action


def _check_writable(engine: QueryEngine, spec: ObjectSpec, action: str) -> None:
    if engine.replica is not None:
        raise InvalidInput(f"{action.upper()} changes Scoro; it cannot run on --replica. Leave --replica out.")
    engine.connector.check_operation(spec, action)


def _value(spec: ObjectSpec, name: str, value: Any, tz: Any, row: int | None = None) -> Any:
    where = f"Row {row}: " if row is not None else ""
    n = spec.nested_named(name)
    if n is not None:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise InvalidInput(f"{where}{spec.name}.{name} takes JSON text (a list of objects), "
                                   f"not {value[:40]!r}.") from None
        return value
    f = spec.field_named(name)
    assert f is not None
    try:
        return coerce(value, f, tz)
    except InvalidValue as exc:
        raise InvalidValue(f.name, value, f.type.value, f"{where}{spec.name}".strip()) from exc


def _columns(spec: ObjectSpec, names: list[str]) -> list[str]:
    out = []
    for name in names:
        canonical = field_or_nested(spec, name)
        if canonical is None:
            raise UnknownName("column", name, [f.name for f in spec.fields] + [n.field for n in spec.nested],
                              where=spec.name)
        out.append(canonical)
    return out


def run(engine: QueryEngine, statement: exp.Expression, *, confirm: bool = False) -> Result:
    spec, table, action = _target(engine, statement)
    _check_writable(engine, spec, action)
    if isinstance(statement, exp.Insert):
        ops = _insert_ops(engine, spec, statement)
    else:
        ops = _keyed_ops(engine, spec, table, statement, action, confirm)
    return _apply(engine, spec, table, ops, statement.args.get("returning"))


def _insert_ops(engine: QueryEngine, spec: ObjectSpec, statement: exp.Insert) -> list[WriteOp]:
    schema = statement.this
    if not isinstance(schema, exp.Schema) or not schema.expressions:
        raise InvalidInput(f"Name the columns: INSERT INTO {spec.name} (Col1, Col2) VALUES (...).")
    columns = _columns(spec, [c.name for c in schema.expressions])
    source = statement.expression
    rows: list[tuple[Any, ...]]
    if isinstance(source, exp.Values):
        rows = []
        for i, tup in enumerate(source.expressions, 1):
            items = tup.expressions if isinstance(tup, exp.Tuple) else [tup]
            values = []
            for item in items:
                ok, value = (True, None) if isinstance(item, exp.Null) else literal_value(item)
                if not ok:
                    raise InvalidInput(f"Row {i}: VALUES takes literals; {item.sql(dialect=DIALECT)!r} is not one "
                                       "(use INSERT ... SELECT for computed values).")
                values.append(value)
            rows.append(tuple(values))
    elif isinstance(source, (exp.Select, exp.Union)):
        rows = [tuple(r) for r in engine.select(source).rows]
    else:
        raise InvalidInput("INSERT takes VALUES (...) or a SELECT.")
    ops = []
    for i, row in enumerate(rows, 1):
        if len(row) != len(columns):
            raise InvalidInput(f"Row {i} has {len(row)} value(s) for {len(columns)} column(s).")
        record = {c: _value(spec, c, v, engine.tz, i) for c, v in zip(columns, row, strict=True)}
        ops.append(WriteOp("insert", record, ref=i))
    return ops


def _keyed_ops(engine: QueryEngine, spec: ObjectSpec, table: exp.Table, statement: exp.Expression,
               action: str, confirm: bool) -> list[WriteOp]:
    keys = list(spec.key_fields)
    assignments: list[tuple[str, exp.Expression]] = []
    if isinstance(statement, exp.Update):
        for eq in statement.expressions:
            if not isinstance(eq, exp.EQ) or not isinstance(eq.this, exp.Column):
                raise InvalidInput("SET takes Column = value pairs.")
            name = _columns(spec, [eq.this.name])[0]
            if name in keys:
                raise InvalidInput(f"{spec.name}.{name} is the key; it cannot be changed.")
            ok, value = (True, None) if isinstance(eq.expression, exp.Null) else literal_value(eq.expression)
            if ok:
                _value(spec, name, value, engine.tz)  # a wrong type fails before any request
            assignments.append((name, eq.expression))
    select = exp.select(*[exp.column(k, table=table.alias_or_name, quoted=True) for k in keys])
    for i, (_, expr) in enumerate(assignments):
        select = select.select(exp.alias_(expr.copy(), f"__set{i}"))
    source = table.copy()
    select = select.from_(source)
    where = statement.args.get("where")
    if where is not None:
        select = select.where(where.this.copy())
    rows = engine.select(select).rows
    if len(rows) > 1 and not confirm:
        raise ConfirmationRequired(action, spec.name, len(rows))
    ops = []
    for i, row in enumerate(rows, 1):
        record = {k: row[j] for j, k in enumerate(keys)}
        for j, (name, _) in enumerate(assignments):
            record[name] = _value(spec, name, row[len(keys) + j], engine.tz, i)
        ops.append(WriteOp(action, record, ref=i))
    return ops


def _apply(engine: QueryEngine, spec: ObjectSpec, table: exp.Table, ops: list[WriteOp],
           returning: exp.Returning | None) -> Result:
    plan = _returning_plan(engine, spec, table, returning) if returning is not None else None
    saved, failed = [], []
    for res in engine.connector.write(spec.name, ops):
        if res.ok:
            saved.append(res.record or dict(res.op.record))
        else:
            detail = "; ".join(res.field_errors) or res.error or "unknown error"
            failed.append(f"row {res.op.ref}: {detail}" + (" (outcome unknown: check Scoro before retrying)"
                                                            if res.outcome_unknown else ""))
    if failed:
        raise WriteFailed(f"{len(failed)} of {len(ops)} {spec.name} row(s) were not written "
                          f"({len(saved)} were): " + " | ".join(failed[:5]) + (" ..." if len(failed) > 5 else ""))
    if plan is None:
        return Result([], [], rowcount=len(saved))
    db = sqlite3.connect(":memory:")
    try:
        ref = plan.refs[0]
        ref.columns |= {k for r in saved for k in r if field_or_nested(spec, k)}
        cols = create_table(db, ref)
        insert_records(db, ref, cols, saved)
        columns, rows = run_local(db, plan)
    finally:
        db.close()
    return Result(columns, rows, rowcount=len(saved))


def _returning_plan(engine: QueryEngine, spec: ObjectSpec, table: exp.Table, returning: exp.Returning) -> QueryPlan:
    """RETURNING exprs as `SELECT exprs FROM Object`, planned like a query (names are checked before
    anything is written) and later run over the saved records."""
    select = exp.select(*[e.copy() for e in returning.expressions]).from_(table.copy())
    return Planner(lambda _name: spec, lambda _ref, conds: [False] * len(conds)).plan(select)


def explain_dml(engine: QueryEngine, statement: exp.Expression, sizes: dict[str, Any]) -> dict[str, Any]:
    from scorolink.query.explain import explain

    spec, table, action = _target(engine, statement)
    _check_writable(engine, spec, action)
    if isinstance(statement, exp.Insert):
        source = statement.expression
        if isinstance(source, (exp.Select, exp.Union)):
            info = explain(engine.plan_select(source), lookup_limit=engine.lookup_limit, **sizes)
        else:
            n = len(source.expressions) if isinstance(source, exp.Values) else 0
            info = {"source": "Scoro API", "objects": [], "local_only": [], "local_engine": "-",
                    "minimum_requests": 0}
            info["writes"] = f"{n} {spec.name} insert(s): one modify request per row"
            info["minimum_requests"] = n
            return info
        info["writes"] = f"one {spec.name} modify request per selected row"
        return info
    keys = list(spec.key_fields)
    select = exp.select(*[exp.column(k, table=table.alias_or_name) for k in keys]).from_(table.copy())
    where = statement.args.get("where")
    if where is not None:
        select = select.where(where.this.copy())
    info = explain(engine.plan_select(select), lookup_limit=engine.lookup_limit, **sizes)
    verb = "modify" if action == "update" else "delete"
    info["writes"] = (f"one {spec.name} {verb} request per matching row; more than one row needs --yes")
    return info
