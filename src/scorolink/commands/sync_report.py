"""What the accounting integrations' `sync`, `errors` and `configure` commands print, in the same words for
every counterpart (`system`: "QuickBooks", …), and the writer of their scorolink.toml table.

Exit codes (the integrations' `sync`): 0 when everything went through (and for a dry run), 1 while the sync
needs a person (a stop, or record errors open after the run), 2 for bad settings (ConfigError)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text

from scorolink import output
from scorolink.commands.common import err

SHOWN = 20  # lines of each list printed; the rest are counted ("and N more")
WORDS = {"create": "create in {side}", "update": "update in {side}", "delete": "delete in {side}",
         "link": "link to {side}", "tombstone": "mark deleted in {side}"}
KINDS = {"validation": "refused", "deferred": "waiting for another record", "ambiguous": "several matches",
         "conflict": "changed on both sides", "gated": "not changed (paid or approved)", "missing": "gone",
         "managed_elsewhere": "edited where it is not managed", "out_of_scope": "outside what is synced",
         "unchanged": "unchanged", "held": "held (tax rate no longer current)", "follow_up": "written, but"}


def sides(system: str) -> dict[str, str]:
    return {"a": "Scoro", "b": system}


def planned_words(counts: dict[str, int], system: str) -> str:
    """Planned counts in words: `create_b 3` reads `create in QuickBooks 3`."""
    names, parts = sides(system), []
    for key, n in counts.items():
        if not n or key == "unchanged":
            continue
        op, _, side = key.rpartition("_")
        if op in WORDS and side in names:
            parts.append(f"{WORDS[op].format(side=names[side])} {n}")
        else:
            parts.append(f"{KINDS.get(key, key.replace('_', ' '))} {n}")
    return ", ".join(parts) or "-"


def _more(total: int) -> None:
    if total > SHOWN:
        err.print(f"  … and {total - SHOWN} more")


def report(result: Any, open_rows: list[dict[str, Any]], system: str, errors_command: str) -> None:
    names = sides(system)
    rows = []
    for name, plan in result.plans.items():
        planned = plan.counts()
        done = result.executed.get(name, {})
        rows.append({"category": name, "read": f"{plan.read['a']} from Scoro, {plan.read['b']} from {system}",
                     "planned": planned_words(planned, system), "unchanged": planned.get("unchanged", 0),
                     "done": ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in done.items()) or "-"})
    title = "Dry run (nothing written)" if result.dry_run else f"Sync run {result.run_id}"
    output.print_table(rows, title=f"{title} in {result.seconds:.1f} s")
    if result.dry_run:
        ops = [(name, op) for name, plan in result.plans.items() for op in plan.ops]
        for name, op in ops[:SHOWN]:
            source = names["a" if op.target == "b" else "b"]
            what = WORDS.get(op.op, op.op).format(side=names[op.target])
            onto = f" (as {op.target_id})" if op.target_id else ""
            diff = "; ".join(f"{k}: {a!r} → {b!r}" for k, (a, b) in list(op.diff.items())[:4])
            err.print(f"  {name}: {what}{onto}: {source} record {op.source_id}" + (f" — {diff}" if diff else ""))
        _more(len(ops))
    issues = [i for p in result.plans.values() for i in p.issues]
    reasons: dict[tuple[str, str, str], list[str]] = {}
    found = [(i.category, i.kind, i.message, i.source_id) for i in issues] if result.dry_run else [
        (r["category"], r["kind"], r["message"], r["source_id"]) for r in open_rows]
    for category, kind, message, source_id in found:  # the same reason once, with the records it holds back
        ids = reasons.setdefault((category, kind, message), [])
        if str(source_id) not in ids:
            ids.append(str(source_id))
    for (category, kind, message), ids in list(reasons.items())[:SHOWN]:
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        err.print(Text(f"{category}: {KINDS.get(kind, kind)}", style="yellow"), f"({len(ids)}: {shown}): {message}")
    _more(len(reasons))
    if result.stopped:
        err.print(Text("Stopped:", style="red"), f"{result.stopped}. The rest stays queued for the next run.")
    if open_rows:
        err.print(f"{len(open_rows)} record(s) need attention: `{errors_command}` lists them with the "
                  "systems' own words; each is retried until it goes through or is dismissed.")
    elif issues and result.dry_run:
        err.print(f"A real run would hold back the {len(issues)} record(s) above; nothing was written.")


def error_rows(rows: list[dict[str, Any]], system: str) -> list[dict[str, Any]]:
    return [{"id": r["id"], "category": r["category"], "record": r["source_id"],
             "refused by": system if r["side"] == "b" else "Scoro", "kind": r["kind"], "message": r["message"],
             "attempts": r["attempts"], "resolution": r["resolution"] or ""} for r in rows]


def write_section(path: Path, table: str, data: dict[str, Any]) -> None:
    """Rewrite the [`table`] tables of scorolink.toml, keeping everything else as it was."""
    kept: list[str] = []
    skipping = False
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            header = line.strip()
            if header.startswith("["):
                skipping = header.strip("[]").split(".")[0].strip() == table
            if not skipping:
                kept.append(line)
    lines = [f"[{table}]"]
    lines += [f"{k} = {_toml(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for name, sub in data.items():
        if isinstance(sub, dict):
            lines += ["", f"[{table}.{name}]"] + [f"{_key(k)} = {_toml(v)}" for k, v in sub.items()]
    text = "\n".join(kept).rstrip()
    path.write_text((text + "\n\n" if text else "") + "\n".join(lines) + "\n", encoding="utf-8")


def _key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else '"' + name.replace('"', '\\"') + '"'


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
