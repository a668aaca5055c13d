"""SELECT → a plan: which objects to fetch, which columns, which conditions go to the API, which
joins narrow the inner side by key, and the statement rewritten for the local engine.

Every table reference becomes one local table (`scorolink_q1`, ...) holding what was fetched for it;
the original SQL then runs unchanged in SQLite over those tables, so WHERE, joins, GROUP BY,
ORDER BY, subqueries and functions keep SQL semantics. Pushdown only narrows what is fetched:
a condition goes to the API when the catalog says Scoro filters that field with that operator,
and the local engine still evaluates the whole statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from scorolink.catalog.model import FieldType, ObjectSpec
from scorolink.connectors.base import Condition
from scorolink.errors import InvalidInput, UnknownName

OPS = {exp.EQ: "=", exp.NEQ: "!=", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}
FLIP = {"=": "=", "!=": "!=", ">": "<", ">=": "<=", "<": ">", "<=": ">="}
# Columns of SQLite's table-valued JSON functions, usable on nested JSON columns.
JSON_TABLE_COLUMNS = ("key", "value", "type", "atom", "id", "parent", "fullkey", "path")


class AmbiguousColumn(InvalidInput):
    pass


@dataclass(eq=False)
class Ref:
    """One table reference in the SQL: an object to fetch into local table `table` (scorolink_q1, ...)."""

    index: int
    spec: ObjectSpec
    alias: str
    table: str
    columns: set[str] = field(default_factory=set)  # canonical fields / nested names to fetch
    conditions: list[tuple[Condition, str]] = field(default_factory=list)  # candidates, with SQL text
    nullable: bool = False  # on the null-supplying side of an outer join
    edges: list[tuple[str, Ref, str]] = field(default_factory=list)  # (my field, other ref, its field)
    # decided by the planner
    pushed: list[tuple[Condition, str]] = field(default_factory=list)
    local: list[str] = field(default_factory=list)
    lookup: tuple[str, Ref, str] | None = None
    limit: int | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def column_list(self) -> list[str]:
        """Fetched columns in catalog order (fields, then nested values)."""
        names = [f.name for f in self.spec.fields if f.name in self.columns]
        return names + [n.field for n in self.spec.nested if n.field in self.columns]

    def column_type(self, name: str) -> str:
        f = self.spec.field_named(name)
        return f.type.value if f else FieldType.JSON.value


@dataclass
class QueryPlan:
    statement: exp.Expression  # rewritten for the local engine
    refs: list[Ref]
    order: list[Ref]  # fetch order: drivers before the refs they narrow
    output_types: list[str | None] | None  # per output column, None where unknown
    local_predicates: list[str]  # WHERE/ON parts evaluated only by the local engine


def field_or_nested(spec: ObjectSpec, name: str) -> str | None:
    f = spec.field_named(name)
    if f is not None:
        return f.name
    n = spec.nested_named(name)
    return n.field if n is not None else None


def plain_columns(spec: ObjectSpec) -> set[str]:
    """What `*` means: every field plain list pages return. View-only fields, nested values and
    binaries cost detailed pages or extra requests, so they come only when named."""
    return {f.name for f in spec.fields if not f.detail_only and f.type is not FieldType.BINARY}


class Planner:
    def __init__(self, resolve_object: Any, pushable: Any, stored: Any = None) -> None:
        # resolve_object(name) -> ObjectSpec (raises UnknownName);
        # pushable(ref, conditions) -> list of booleans (which conditions the API filters natively);
        # stored(field, text) -> the text the local engine stores for that value (raises InvalidValue)
        self.resolve_object = resolve_object
        self.pushable = pushable
        self.stored = stored

    def plan(self, statement: exp.Expression) -> QueryPlan:
        _name_outputs(statement)
        refs: list[Ref] = []
        by_node: dict[int, Ref] = {}
        nodes: list[tuple[exp.Table, Ref]] = []
        scopes = traverse_scope(statement)
        for scope in scopes:
            for source in scope.sources.values():
                if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier) \
                        and id(source) not in by_node:
                    spec = self.resolve_object(source.name)
                    ref = Ref(len(refs) + 1, spec, source.alias_or_name, f"scorolink_q{len(refs) + 1}")
                    ref.columns.update(spec.key_fields)
                    refs.append(ref)
                    by_node[id(source)] = ref
                    nodes.append((source, ref))
        resolved: dict[int, tuple[Ref, str]] = {}
        for scope in scopes:
            self._resolve_columns(scope, by_node, resolved)
            self._stars(scope, by_node)
        if self.stored is not None:
            self._canonical_temporal_literals(statement, resolved)
        local: list[str] = []
        for scope in scopes:
            if isinstance(scope.expression, exp.Select):
                local += self._predicates(scope, by_node, resolved)
        for ref in refs:
            self._decide(ref)
        order = self._order(refs)
        self._limit(statement, refs)
        output_types = self._output_types(statement, by_node, resolved)
        for node, ref in nodes:
            alias = node.alias_or_name
            node.set("this", exp.to_identifier(ref.table))
            node.set("db", None)
            node.set("catalog", None)
            node.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        return QueryPlan(statement, refs, order, output_types, local)

    # -- names ----------------------------------------------------------------------------------
    def _resolve_columns(self, scope: Scope, by_node: dict[int, Ref], resolved: dict[int, tuple[Ref, str]]) -> None:
        for col in scope.columns:
            if id(col) in resolved or isinstance(col.this, exp.Star):
                continue
            hit = self._resolve(scope, col, by_node)
            if hit is None:
                continue
            ref, name = hit
            ref.columns.add(name)
            resolved[id(col)] = hit
            col.set("this", exp.to_identifier(name, quoted=True))

    def _resolve(self, scope: Scope | None, col: exp.Column, by_node: dict[int, Ref]) -> tuple[Ref, str] | None:
        qualifier = col.table
        start = scope
        while scope is not None:
            sources = {k.lower(): v for k, v in scope.sources.items()}
            if qualifier:
                source = sources.get(qualifier.lower())
                if source is not None:
                    ref = by_node.get(id(source)) if isinstance(source, exp.Table) else None
                    if ref is None:
                        return None  # a derived table or a JSON function: the local engine checks it
                    name = field_or_nested(ref.spec, col.name)
                    if name is None:
                        raise UnknownName("column", col.name, _names(ref.spec), where=ref.name)
                    return ref, name
            else:
                hits: list[tuple[Ref, str]] = []
                other = False
                for source in scope.sources.values():
                    ref = by_node.get(id(source)) if isinstance(source, exp.Table) else None
                    if ref is not None:
                        name = field_or_nested(ref.spec, col.name)
                        if name is not None:
                            hits.append((ref, name))
                    elif isinstance(source, Scope):
                        selects = getattr(source.expression, "named_selects", [])
                        names = {s.lower() for s in selects} | _cte_columns(source.expression).get("", set())
                        other = other or col.name.lower() in names
                    elif isinstance(source, exp.Table):
                        ctes = _cte_columns(source)
                        other = other or col.name.lower() in JSON_TABLE_COLUMNS \
                            or col.name.lower() in ctes.get(source.name.lower(), set())
                if len(hits) > 1:
                    raise AmbiguousColumn(f"Column {col.name!r} is ambiguous: "
                                          f"{' and '.join(h[0].alias for h in hits)} both have it; qualify it "
                                          f"as {hits[0][0].alias}.{hits[0][1]}.")
                if hits and not other:
                    return hits[0]
                if other:
                    return None
                select = scope.expression
                if isinstance(select, exp.Select) and \
                        col.name.lower() in {e.alias.lower() for e in select.expressions if isinstance(e, exp.Alias)}:
                    return None  # a select alias (ORDER BY total)
            scope = scope.parent
        if qualifier:
            aliases = [k for s in _chain(start) for k in s.sources]
            raise UnknownName("table or alias", qualifier, aliases)
        choices = [n for s in _chain(start) for src in s.sources.values()
                   if (r := by_node.get(id(src))) is not None for n in _names(r.spec)]
        where = ", ".join(r.name for s in _chain(start) for src in s.sources.values()
                          if (r := by_node.get(id(src))) is not None)
        raise UnknownName("column", col.name, choices, where=where)

    def _stars(self, scope: Scope, by_node: dict[int, Ref]) -> None:
        select = scope.expression
        if not isinstance(select, exp.Select):
            return
        for e in select.expressions:
            if isinstance(e, exp.Star):
                targets = [by_node.get(id(s)) for s in scope.sources.values()]
            elif isinstance(e, exp.Column) and isinstance(e.this, exp.Star):
                source = {k.lower(): v for k, v in scope.sources.items()}.get(e.table.lower())
                if source is None:
                    raise UnknownName("table or alias", e.table, list(scope.sources))
                targets = [by_node.get(id(source))]
            else:
                continue
            for ref in targets:
                if ref is not None:
                    ref.columns |= plain_columns(ref.spec)

    def _canonical_temporal_literals(self, statement: exp.Expression, resolved: dict[int, tuple[Ref, str]]) -> None:
        """`UpdatedDate >= '2025-01-01T12:00:00+02:00'`: dates and datetimes are stored as UTC text, so a
        literal compared with one is rewritten to that text, and the local comparison stays right."""
        kinds = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Between)
        for node in list(statement.find_all(*kinds)):
            operands = [node.this, node.args.get("expression"), node.args.get("low"), node.args.get("high"),
                        *(node.expressions if isinstance(node, exp.In) else [])]
            columns = [resolved.get(id(o)) for o in operands if isinstance(o, exp.Column)]
            hit = next((c for c in columns if c is not None), None)
            if hit is None:
                continue
            f = hit[0].spec.field_named(hit[1])
            if f is None or f.type not in (FieldType.DATE, FieldType.DATETIME):
                continue
            for o in operands:
                if isinstance(o, exp.Literal) and o.is_string:
                    o.replace(exp.Literal.string(self.stored(f, o.this)))

    # -- predicates -----------------------------------------------------------------------------
    def _predicates(self, scope: Scope, by_node: dict[int, Ref], resolved: dict[int, tuple[Ref, str]]) -> list[str]:
        select = scope.expression
        mine = {id(r) for s in scope.sources.values() if (r := by_node.get(id(s))) is not None}
        joins = select.args.get("joins") or []
        from_ = select.args.get("from") or select.args.get("from_")
        preserved_only: set[int] = set()  # refs whose ON conditions must not filter them
        for i, join in enumerate(joins):
            side = (join.side or "").upper()
            joined = by_node.get(id(join.this))
            earlier = [by_node.get(id(from_.this))] if from_ is not None else []
            earlier += [by_node.get(id(j.this)) for j in joins[:i]]
            if side in ("LEFT", "FULL") and joined is not None:
                joined.nullable = True
            if side in ("RIGHT", "FULL"):
                for r in earlier:
                    if r is not None:
                        r.nullable = True
            if side == "FULL" and joined is not None:
                preserved_only.add(id(joined))
            on = join.args.get("on")
            if on is None:
                continue
            for part in _conjuncts(on):
                edge = self._edge(part, resolved, mine)
                if edge is not None:
                    a, fa, b, fb = edge
                    if side in ("", "INNER", "CROSS") or (side == "LEFT" and a is joined):
                        a.edges.append((fa, b, fb))
                    if side in ("", "INNER", "CROSS") or (side == "LEFT" and b is joined):
                        b.edges.append((fb, a, fa))
                    continue
                simple = _simple(part, resolved, mine)
                if simple is not None:
                    ref, cond = simple
                    if side in ("", "INNER", "CROSS") or (side == "LEFT" and ref is joined):
                        if id(ref) not in preserved_only:
                            ref.conditions.append((cond, part.sql(dialect="sqlite")))
        local: list[str] = []
        where = select.args.get("where")
        if where is not None:
            for part in _conjuncts(where.this):
                text = part.sql(dialect="sqlite")
                simple = _simple(part, resolved, mine)
                edge = self._edge(part, resolved, mine)
                if edge is not None:
                    a, fa, b, fb = edge
                    a.edges.append((fa, b, fb))
                    b.edges.append((fb, a, fa))
                if simple is None:
                    local.append(text)
                    continue
                ref, cond = simple
                if ref.nullable and cond.op == "is null":
                    local.append(text)  # would turn unmatched rows into matches
                    continue
                ref.conditions.append((cond, text))
        return local

    @staticmethod
    def _edge(part: exp.Expression, resolved: dict[int, tuple[Ref, str]],
              mine: set[int]) -> tuple[Ref, str, Ref, str] | None:
        if not isinstance(part, exp.EQ):
            return None
        left, right = part.this, part.expression
        if not (isinstance(left, exp.Column) and isinstance(right, exp.Column)):
            return None
        a, b = resolved.get(id(left)), resolved.get(id(right))
        if a is None or b is None or a[0] is b[0] or id(a[0]) not in mine or id(b[0]) not in mine:
            return None
        return a[0], a[1], b[0], b[1]

    def _decide(self, ref: Ref) -> None:
        if not ref.conditions:
            return
        flags = self.pushable(ref, [c for c, _ in ref.conditions])
        for (cond, text), pushed in zip(ref.conditions, flags, strict=True):
            if pushed:
                ref.pushed.append((cond, text))
            else:
                ref.local.append(text)

    @staticmethod
    def _order(refs: list[Ref]) -> list[Ref]:
        """Refs with pushed conditions first; each later ref may be narrowed by an earlier one's keys."""
        order = sorted(refs, key=lambda r: (0 if r.pushed else 1, r.index))
        done: set[int] = set()
        for ref in order:
            pushed_fields = {c.field for c, _ in ref.pushed}
            for mine, other, theirs in ref.edges:
                if id(other) in done and mine not in pushed_fields and _lookup_field(ref.spec, mine):
                    ref.lookup = (mine, other, theirs)
                    other.columns.add(theirs)
                    break
            done.add(id(ref))
        return order

    @staticmethod
    def _limit(statement: exp.Expression, refs: list[Ref]) -> None:
        """LIMIT goes to the API only when nothing but the pushed conditions decides the rows."""
        if not isinstance(statement, exp.Select) or len(refs) != 1:
            return
        limit = statement.args.get("limit")
        if limit is None:
            return
        ref = refs[0]
        if ref.local or statement.args.get("joins") or statement.args.get("group") or \
                statement.args.get("having") or statement.args.get("distinct") or statement.args.get("order") or \
                statement.find(exp.AggFunc) or statement.find(exp.Window):
            return
        where = statement.args.get("where")
        if where is not None and len(_conjuncts(where.this)) != len(ref.conditions):
            return  # some part of WHERE was not a simple condition on this object
        if where is not None and len(ref.pushed) != len(ref.conditions):
            return
        count = _int(limit.expression)
        offset_node = statement.args.get("offset")
        offset = _int(offset_node.expression) if offset_node is not None else 0
        if count is not None and offset is not None:
            ref.limit = count + offset

    # -- output types ---------------------------------------------------------------------------
    def _output_types(self, statement: exp.Expression, by_node: dict[int, Ref],
                      resolved: dict[int, tuple[Ref, str]]) -> list[str | None] | None:
        select = statement
        while isinstance(select, exp.Union):
            select = select.this
        if not isinstance(select, exp.Select):
            return None
        types: list[str | None] = []
        for e in select.expressions:
            if isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star)):
                return None  # resolved by output name after execution
            types.append(_expr_type(e, resolved))
        return types


def _name_outputs(statement: exp.Expression) -> None:
    """Output columns computed by an expression keep the SQL as written for a name (the local engine
    would otherwise name them after the rewritten text, local table names included)."""
    select = statement
    while isinstance(select, exp.Union):
        select = select.this
    if not isinstance(select, exp.Select):
        return
    for e in list(select.expressions):
        if not isinstance(e, (exp.Column, exp.Alias, exp.Star)):
            e.replace(exp.alias_(e.copy(), e.sql(dialect="sqlite"), quoted=True))


def _cte_columns(node: Any) -> dict[str, set[str]]:
    """Column names of the CTEs around `node`, by CTE name (`WITH RECURSIVE c(x) AS ...` names x),
    and under "" those of the CTE `node` itself defines, if any."""
    out: dict[str, set[str]] = {}
    for cte in node.root().find_all(exp.CTE):
        alias = cte.args.get("alias")
        names = {c.name.lower() for c in alias.columns} if alias is not None and alias.columns else set()
        names |= {s.lower() for s in getattr(cte.this, "named_selects", [])}
        out[cte.alias_or_name.lower()] = names
        if cte.this is node:
            out[""] = names
    return out


def _chain(scope: Scope | None) -> list[Scope]:
    out = []
    while scope is not None:
        out.append(scope)
        scope = scope.parent
    return out


def _names(spec: ObjectSpec) -> list[str]:
    return [f.name for f in spec.fields] + [n.field for n in spec.nested]


def _lookup_field(spec: ObjectSpec, name: str) -> bool:
    f = spec.field_named(name)
    if f is None:
        return False
    if spec.parent is not None and spec.parent.field == f.name:
        return True  # objects listed per parent read only the named parents
    return "=" in f.filters and f.type not in (FieldType.DATE, FieldType.DATETIME)


def _conjuncts(node: exp.Expression) -> list[exp.Expression]:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    if isinstance(node, exp.Between):  # two range conditions, each pushable on its own
        return [_detached(exp.GTE, node, "low"), _detached(exp.LTE, node, "high")]
    return [node]


def _detached(kind: type[exp.Binary], between: exp.Between, bound: str) -> Any:
    """A comparison over the BETWEEN's own nodes (so resolved columns stay known) that leaves the
    statement's tree untouched."""
    part = kind()
    part.args["this"] = between.this
    part.args["expression"] = between.args[bound]
    return part


def _int(node: Any) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(node.this)
        except ValueError:
            return None
    return None


def literal_value(node: exp.Expression) -> tuple[bool, Any]:
    """(True, value) for a literal; (False, None) otherwise."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Literal):
        if node.is_string:
            return True, node.this
        text = node.this
        try:
            return True, int(text)
        except ValueError:
            from decimal import Decimal

            return True, Decimal(text)
    if isinstance(node, exp.Boolean):
        return True, bool(node.this)
    if isinstance(node, exp.HexString):
        return True, bytes.fromhex(node.this)
    if isinstance(node, exp.Neg):
        ok, value = literal_value(node.this)
        if ok and not isinstance(value, str):
            return True, -value
    return False, None


def _column_of(node: exp.Expression, resolved: dict[int, tuple[Ref, str]], mine: set[int]) -> tuple[Ref, str] | None:
    while isinstance(node, exp.Paren):
        node = node.this
    if not isinstance(node, exp.Column):
        return None
    hit = resolved.get(id(node))
    if hit is None or id(hit[0]) not in mine:
        return None
    f = hit[0].spec.field_named(hit[1])
    return hit if f is not None and f.type is not FieldType.BINARY else None


def _simple(part: exp.Expression, resolved: dict[int, tuple[Ref, str]],
            mine: set[int]) -> tuple[Ref, Condition] | None:
    """`column op literal` (either way round), IN (literals), BETWEEN, LIKE, IS [NOT] NULL, or an
    OR of equalities on one column (as IN): the shapes the connector can push."""
    while isinstance(part, exp.Paren):
        part = part.this
    for kind, op in OPS.items():
        if type(part) is kind:
            col = _column_of(part.this, resolved, mine)
            ok, value = literal_value(part.expression)
            if col is None:
                col = _column_of(part.expression, resolved, mine)
                ok, value = literal_value(part.this)
                op = FLIP[op]
            if col is None or not ok:
                return None
            return col[0], Condition(col[1], op, value)
    if isinstance(part, exp.In) and not part.args.get("query") and not part.args.get("unnest"):
        col = _column_of(part.this, resolved, mine)
        items = [literal_value(v) for v in part.expressions]
        if col is None or not items or not all(ok for ok, _ in items):
            return None
        return col[0], Condition(col[1], "in", tuple(v for _, v in items))
    if isinstance(part, exp.Like) and not isinstance(part.expression, exp.Escape):
        col = _column_of(part.this, resolved, mine)
        ok, value = literal_value(part.expression)
        if col is None or not ok or not isinstance(value, str):
            return None
        return col[0], Condition(col[1], "like", value)
    if isinstance(part, exp.Is) and isinstance(part.expression, exp.Null):
        col = _column_of(part.this, resolved, mine)
        return (col[0], Condition(col[1], "is null")) if col else None
    if isinstance(part, exp.Not) and isinstance(part.this, exp.Is) and isinstance(part.this.expression, exp.Null):
        col = _column_of(part.this.this, resolved, mine)
        return (col[0], Condition(col[1], "is not null")) if col else None
    if isinstance(part, exp.Or):
        values: list[Any] = []
        target: tuple[Ref, str] | None = None
        for alt in _disjuncts(part):
            hit = _simple(alt, resolved, mine)
            if hit is None or hit[1].op not in ("=", "in"):
                return None
            ref, cond = hit
            if target is not None and (target[0] is not ref or target[1] != cond.field):
                return None
            target = (ref, cond.field)
            values += list(cond.value) if cond.op == "in" else [cond.value]
        if target is not None:
            return target[0], Condition(target[1], "in", tuple(values))
    return None


def _disjuncts(node: exp.Expression) -> list[exp.Expression]:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Or):
        return _disjuncts(node.this) + _disjuncts(node.expression)
    return [node]


def _expr_type(e: exp.Expression, resolved: dict[int, tuple[Ref, str]]) -> str | None:
    if isinstance(e, exp.Alias):
        return _expr_type(e.this, resolved)
    if isinstance(e, exp.Paren):
        return _expr_type(e.this, resolved)
    if isinstance(e, exp.Column):
        hit = resolved.get(id(e))
        return hit[0].column_type(hit[1]) if hit else None
    if isinstance(e, exp.Count):
        return FieldType.INTEGER.value
    if isinstance(e, (exp.Sum, exp.Min, exp.Max)):
        inner = _expr_type(e.this, resolved)
        return inner if inner in ("integer", "decimal", "date", "datetime", "string") else None
    if isinstance(e, exp.Avg):
        return FieldType.DECIMAL.value if _expr_type(e.this, resolved) in ("integer", "decimal") else None
    return None

