"""The query engine: SQL in, rows out, over the live Scoro API or a replication mirror."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from scorolink.catalog.model import FieldType, ObjectSpec
from scorolink.catalog.scoro import CATALOG
from scorolink.clients.http import RequestStats
from scorolink.connectors.base import Condition
from scorolink.connectors.scoro_convert import coerce
from scorolink.errors import InvalidInput, UnknownName
from scorolink.query import dml
from scorolink.query.cache import MemoryCache, cache_key, credential_digest
from scorolink.query.execute import LiveSource, ReplicaSource, Result, Source, execute_plan
from scorolink.query.explain import explain
from scorolink.query.parse import DIALECT, Params, parse
from scorolink.query.plan import Planner, QueryPlan, Ref
from scorolink.query.values import to_sql


class QueryEngine:
    """`connector`: a ScoroConnector (live); `replica`: a mirror URL (then no request reaches Scoro).
    `cache`: a MemoryCache / FileCache or None. `lookup_limit`: the most join keys fetched one by one
    before a join reads the inner object by one scan instead."""

    def __init__(self, connector: Any = None, *, replica: str | None = None, cache: Any = None,
                 lookup_limit: int = 50) -> None:
        if connector is None and replica is None:
            raise InvalidInput("A query needs a Scoro connection or --replica URL.")
        self.connector = connector
        self.replica = replica
        self.cache = cache if cache is not None else MemoryCache(ttl=0)
        self.lookup_limit = lookup_limit
        self.sizes: dict[str, int] = {}  # rows per object learnt from unfiltered scans
        self._names: list[str] | None = None  # column names of the SELECT being planned (None: any)

    # -- names and types ---------------------------------------------------------------------------
    def spec(self, name: str) -> ObjectSpec:
        if self.connector is not None:
            # custom fields are discovered only when the statement names a column the catalog lacks
            custom = self.connector.needs_custom(name, self._names)
            return self.connector.spec(name, with_custom=custom)  # type: ignore[no-any-return]
        spec = CATALOG.get(name)
        if spec is None:
            raise UnknownName("object", name, CATALOG.names())
        return spec

    @property
    def tz(self) -> Any:
        from datetime import UTC

        return self.connector.tz if self.connector is not None else UTC

    def typed(self, spec: ObjectSpec, conditions: list[Condition]) -> list[Condition]:
        """Conditions with values of the field's type; a value that cannot be one fails here, before
        any request."""
        out = []
        for c in conditions:
            f = spec.field_named(c.field)
            if f is None:  # a nested column compared to a literal: JSON text, checked locally
                out.append(c)
                continue
            if c.op == "in":
                value: Any = tuple(coerce(v, f, self.tz) for v in c.value)
            elif c.op in ("is null", "is not null", "like"):
                value = c.value
            elif f.type is FieldType.JSON and isinstance(c.value, str) and c.value[:1] in "[{":
                value = _json_or_text(c.value)  # a JSON literal compares as the structure it spells
            else:
                value = coerce(c.value, f, self.tz)
            out.append(Condition(f.name, c.op, value))
        return out

    def _pushable(self, ref: Ref, conditions: list[Condition]) -> list[bool]:
        typed = self.typed(ref.spec, conditions)
        ref.conditions = [(t, text) for t, (_, text) in zip(typed, ref.conditions, strict=True)]
        if self.connector is None:
            return [False] * len(typed)
        fields = [c for c in typed if ref.spec.field_named(c.field) is not None]
        pushed = self.connector.plan(ref.name, fields).pushed
        parent = ref.spec.parent.field if ref.spec.reader == "per_parent" and ref.spec.parent else None
        return [c in pushed or (c.field == parent and c.op in ("=", "in")) for c in typed]

    def stored(self, f: Any, text: str) -> Any:
        return to_sql(coerce(text, f, self.tz))

    def planner(self) -> Planner:
        return Planner(self.spec, self._pushable, self.stored)

    # -- running -----------------------------------------------------------------------------------
    def source(self) -> Source:
        if self.replica is not None:
            return ReplicaSource(self.replica)
        return LiveSource(self.connector, self.lookup_limit, self.sizes)

    def source_id(self) -> str:
        if self.replica is not None:
            return f"replica:{self.replica}"
        s = self.connector.client.settings
        secret = credential_digest(s.api_key, s.password, s.user_token)
        return f"scoro:{s.url}:{s.company_account_id or ''}:{s.username or ''}:{secret}"

    def plan_select(self, statement: exp.Expression) -> QueryPlan:
        self._names = [c.name for c in statement.find_all(exp.Column)]
        try:
            return self.planner().plan(statement)
        finally:
            self._names = None

    def select(self, statement: exp.Expression,
               on_plan: Callable[[dict[str, Any]], None] | None = None) -> Result:
        """Run a SELECT (already parsed and bound), with request counts: those planning sends (custom
        fields it names, the site's time zone for a datetime literal) count too. `on_plan` is given
        the plan's explain before the first request of the fetch."""
        with RequestStats.scope() as counter:
            plan = self.plan_select(statement)
            if on_plan is not None:
                on_plan(self._explain_plan(plan, dict(counter)))
            result = execute_plan(plan, self.source())
        result.by_endpoint = dict(counter)
        result.requests = sum(counter.values())
        return result

    def execute(self, sql: str, params: Params = None, *, confirm: bool = False, use_cache: bool = True,
                on_plan: Callable[[dict[str, Any]], None] | None = None) -> Result:
        """Run one statement. `on_plan(info)`, where given, receives what `explain` would print once the
        statement is planned and before it is sent (never for an answer from the cache)."""
        statement = parse(sql, params)
        if isinstance(statement, (exp.Insert, exp.Update, exp.Delete)):
            with RequestStats.scope() as counter:
                if on_plan is not None:
                    on_plan(self._explain_statement(statement))
                result = dml.run(self, statement, confirm=confirm)
            result.by_endpoint = dict(counter)
            result.requests = sum(counter.values())
            self.cache.clear()
            return result
        # unquoted names are case-insensitive: `select id from invoices` shares the entry of `SELECT Id ...`
        normal = normalize_identifiers(statement.copy(), dialect=DIALECT)
        key = cache_key(self.source_id(), normal.sql(dialect=DIALECT))
        if use_cache:
            hit = self.cache.get(key)
            if hit is not None:
                return replace(hit, cached=True, requests=0, by_endpoint={})
        result = self.select(statement, on_plan)
        if use_cache:
            self.cache.put(key, result)
        return result

    def explain(self, sql: str, params: Params = None) -> dict[str, Any]:
        return self._explain_statement(parse(sql, params))

    def _sizes(self) -> dict[str, int]:
        settings = self.connector.client.settings if self.connector is not None else None
        return {"page": settings.page_size, "detailed_page": settings.detailed_page_size} if settings else {}

    def _explain_statement(self, statement: exp.Expression) -> dict[str, Any]:
        # Planning may itself ask Scoro (custom fields the statement names, the site's time zone for a
        # datetime literal) when the site's facts do not know them yet: those requests count too.
        with RequestStats.scope() as setup:
            if isinstance(statement, (exp.Insert, exp.Update, exp.Delete)):
                info = dml.explain_dml(self, statement, self._sizes())
                plan = None
            else:
                plan = self.plan_select(statement)
        if plan is not None:
            return self._explain_plan(plan, dict(setup))
        return self._with_setup(info, dict(setup), ())

    def _explain_plan(self, plan: QueryPlan, setup: dict[str, int]) -> dict[str, Any]:
        info = explain(plan, lookup_limit=self.lookup_limit, replica=self.replica, **self._sizes())
        return self._with_setup(info, setup, plan.order)

    def _with_setup(self, info: dict[str, Any], setup: dict[str, int], refs: Any) -> dict[str, Any]:
        """The requests on top of the fetch: `setup_requests`, those planning sent (kept with the site's
        facts, so a later run does not send them again); `login_requests`, the login a user-login
        process sends first; `timezone_requests`, the site's time zone learnt when the first datetime
        without an offset arrives, while it is not known yet."""
        info["setup_requests"] = setup
        info["minimum_requests"] += sum(setup.values())
        if self.connector is None or self.replica is not None:
            return info
        client = self.connector.client
        if not client.settings.api_key and getattr(client, "_token", None) is None:
            info["login_requests"] = {"userAuth/modify": 1}
            info["minimum_requests"] += 1
        learn = getattr(self.connector.tz, "request_to_learn", None)
        zone = learn() if learn is not None else None
        if zone is not None and any(_reads_datetimes(ref) for ref in refs):
            info["timezone_requests"] = {zone: 1}
        return info



def _reads_datetimes(ref: Ref) -> bool:
    """Whether fetching this reference reads a datetime (Scoro writes some without an offset)."""
    def nested_has(nested: Any) -> bool:
        return any(f.type is FieldType.DATETIME for f in nested.fields) or any(nested_has(n) for n in nested.nested)

    for name in ref.columns:
        f = ref.spec.field_named(name)
        if f is not None and f.type is FieldType.DATETIME:
            return True
        nested = ref.spec.nested_named(name)
        if nested is not None and nested_has(nested):
            return True
    return False


def _json_or_text(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text
