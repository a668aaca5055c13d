"""What a plan will do, for `--explain`: per object the pushed and local conditions, the columns
fetched, join lookups, LIMIT, and how many requests to expect."""

from __future__ import annotations

from typing import Any

from scorolink.query.plan import QueryPlan, Ref


def expected_requests(ref: Ref, *, page: int = 100, detailed_page: int = 25,
                      lookup_limit: int = 50) -> tuple[int, str]:
    """(minimum requests, how they are counted) for fetching one reference."""
    spec = ref.spec
    detail = any((f := spec.field_named(c)) is not None and f.detail_only for c in ref.columns) or \
        any((nested := spec.nested_named(c)) is not None and nested.detail_only for c in ref.columns)
    size = detailed_page if detail and spec.detailed_list else page
    pages = f"pages of {size}" + (" (detailed list)" if size == detailed_page else "")
    binaries = [f.name for f in spec.binary_fields if f.name in ref.columns]
    extra = f"; +1 per record for {', '.join(binaries)}" if binaries else ""
    key = spec.key_fields[0] if len(spec.key_fields) == 1 else None
    pushed = [c for c, _ in ref.pushed]
    if spec.reader == "company_account":
        return 1, "1 request (company accounts)" + extra
    if spec.reader == "per_parent" and spec.parent is not None:
        pin = next((c for c in pushed if c.field == spec.parent.field), None)
        if pin is not None:
            count = len(pin.value) if pin.op == "in" else 1
            return count, f"{count} request(s): one list per named {spec.parent.object} record" + extra
        if ref.lookup is not None:
            return 0, (f"one list per {spec.parent.object} key joined from {ref.lookup[1].alias} "
                       f"(up to {lookup_limit}; otherwise every {spec.parent.object} record)") + extra
        return 2, (f"a scan of {spec.parent.object} keys, then one list request per {spec.parent.object} "
                   "record (Scoro lists these per parent)") + extra
    if ref.lookup is not None:
        mine, driver, _ = ref.lookup
        return 0, (f"one request per distinct {mine} from {driver.alias}, in batches of 100 keys "
                   f"(up to {lookup_limit} keys; more are read by one scan in {pages})") + extra
    fan = next((c for c in pushed if c.op == "in"), None)
    if fan is not None:
        count = len(fan.value)
        return count, f"{count} request series, one per IN value (Scoro filters one value at a time), {pages}" + extra
    if key and any(c.field == key and c.op == "=" for c in pushed):
        return 1, "1 request (key equality)" + extra
    if ref.limit is not None:
        count = max(1, -(-ref.limit // size))
        return count, f"at most {count} request(s): LIMIT {ref.limit} pushed, {pages}" + extra
    if pushed:
        return 1, f"1 request per {size} matching rows ({pages}, filtered by Scoro)" + extra
    return 1, f"a full scan: 1 request per {size} records ({pages})" + extra


def explain(plan: QueryPlan, *, page: int = 100, detailed_page: int = 25, lookup_limit: int = 50,
            replica: str | None = None) -> dict[str, Any]:
    objects = []
    minimum = 0
    for ref in plan.order:
        low, how = expected_requests(ref, page=page, detailed_page=detailed_page, lookup_limit=lookup_limit)
        minimum += low
        lookup = None
        if ref.lookup is not None:
            mine, driver, theirs = ref.lookup
            lookup = f"{ref.alias}.{mine} IN (distinct {driver.alias}.{theirs})"
        binaries = {f.name for f in ref.spec.binary_fields}
        objects.append({
            "ref": ref.alias, "object": ref.name, "columns": ref.column_list(),
            "pushed": [text for _, text in ref.pushed] if replica is None else [],
            "local": ref.local if replica is None else ref.local + [text for _, text in ref.pushed],
            "join_lookup": lookup if replica is None else None,
            "limit_pushed": ref.limit if replica is None else None,
            "detail_columns": [c for c in ref.column_list()
                               if ((f := ref.spec.field_named(c)) is not None and f.detail_only)
                               or ((n := ref.spec.nested_named(c)) is not None and n.detail_only)],
            "binary_columns": [c for c in ref.column_list() if c in binaries],
            "expected_requests": how if replica is None else "0 (replica)",
        })
    return {
        "source": replica or "Scoro API",
        "objects": objects,
        "local_only": plan.local_predicates,
        "local_engine": "SQLite runs the whole statement over the fetched rows (joins, GROUP BY, "
                        "aggregates, ORDER BY, subqueries, and every condition again)",
        "minimum_requests": 0 if replica else minimum,
    }


def render(info: dict[str, Any]) -> str:
    lines = [f"Source: {info['source']}"]
    for o in info["objects"]:
        lines.append(f"- {o['object']} AS {o['ref']}")
        lines.append(f"    columns:   {', '.join(o['columns'])}")
        lines.append(f"    pushed:    {'; '.join(o['pushed']) or '(none)'}")
        lines.append(f"    local:     {'; '.join(o['local']) or '(none)'}")
        if o["join_lookup"]:
            lines.append(f"    lookup:    {o['join_lookup']}")
        if o["limit_pushed"] is not None:
            lines.append(f"    limit:     {o['limit_pushed']} (pushed)")
        if o["detail_columns"]:
            lines.append(f"    detail:    {', '.join(o['detail_columns'])} (detailed list pages)")
        lines.append(f"    requests:  {o['expected_requests']}")
    if info["local_only"]:
        lines.append(f"Local only: {'; '.join(info['local_only'])}")
    lines.append(f"Local engine: {info['local_engine']}")
    if info.get("setup_requests"):
        setup = ", ".join(f"{n} {e}" for e, n in info["setup_requests"].items())
        lines.append(f"Setup:  {setup} (sent to plan it: what the site's facts did not know yet; kept, so the "
                     "statement and later runs do not send it again)")
    if info.get("login_requests"):
        lines.append("Login:  1 userAuth/modify (user login: sent before the first request)")
    expected = f"Expected requests: at least {info['minimum_requests']}"
    sent = sum(info.get("setup_requests", {}).values())
    if sent:
        expected += f": {sent} sent now to plan it, at least {info['minimum_requests'] - sent} when it runs"
    if info.get("timezone_requests"):
        zone = ", ".join(f"{n} {e}" for e, n in info["timezone_requests"].items())
        lines.append(f"Time zone: {zone} when the first datetime without an offset arrives (the site's zone is "
                     "not known yet; kept for later runs)")
        expected += f" (+{sum(info['timezone_requests'].values())} for the time zone if a datetime without an offset arrives)"
    lines.append(expected)
    if "writes" in info:
        lines.append(f"Writes: {info['writes']}")
    return "\n".join(lines)

