"""What the accounting integrations' `sync`, `errors` and `configure` commands print, in the same words for
every counterpart (`system`: "QuickBooks", …); their scorolink.toml tables are integrations.settings_file's.

The words themselves are the sync engine's (sync.report), as is the exit-code rule (`exit_code`)."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from scorolink import output
from scorolink.commands.common import err
from scorolink.sync.report import (
    SHOWN,
    Names,
    closing_lines,
    done_words,
    kind_words,
    more,
    next_try,
    op_line,
    planned_words,
    reason_line,
    reasons,
    scope_lines,
)


def report(result: Any, open_rows: list[dict[str, Any]], system: str, errors_command: str) -> None:
    """A sync run's report on stderr: per category what was read, planned and done; a dry run's writes; the
    reasons records were held back (each once, with its records); what to do next."""
    names = Names(system)
    rows = []
    for name, plan in result.plans.items():
        planned = plan.counts()
        rows.append({"category": name, "read": f"{plan.read['a']} from Scoro, {plan.read['b']} from {system}",
                     "planned": planned_words(planned, names), "unchanged": planned.get("unchanged", 0),
                     "done": done_words(result.executed.get(name, {}))})
    title = "Dry run (nothing written)" if result.dry_run else f"Sync run {result.run_id}"
    output.print_table(rows, title=f"{title} in {result.seconds:.1f} s")
    for warning in result.warnings:
        err.print(Text("Warning:", style="yellow"), warning)
    if result.dry_run:
        ops = [(name, op) for name, plan in result.plans.items() for op in plan.ops]
        for name, op in ops[:SHOWN]:
            err.print("  " + op_line(name, op, names))
        _more(len(ops))
    issues = [i for p in result.plans.values() for i in p.issues]
    found = [(i.category, i.kind, i.message, i.source_id) for i in issues] if result.dry_run else [
        (r["category"], r["kind"], r["message"], r["source_id"]) for r in open_rows]
    grouped = reasons(found)
    for category, kind, message, ids in grouped[:SHOWN]:
        heading, rest = reason_line(category, kind, message, ids)
        err.print(Text(heading, style="yellow"), rest)
    _more(len(grouped))
    for line in scope_lines(result, names):
        err.print(line)
    for line in closing_lines(result, len(open_rows), errors_command):
        err.print(Text(line, style="red") if line.startswith("Stopped") else line)


def _more(total: int) -> None:
    line = more(total)
    if line:
        err.print("  " + line)


def error_rows(rows: list[dict[str, Any]], system: str) -> list[dict[str, Any]]:
    """The `errors` table; each row also gets its `next_try` (for --json too)."""
    names = Names(system)
    for row in rows:
        row["next_try"] = next_try(row)
    return [{"id": r["id"], "category": r["category"], "record": r["source_id"], "attempts": r["attempts"],
             "next try": r["next_try"], "message": r["message"], "kind": kind_words(r["kind"]),
             "going to": names.side(r["side"]), "resolution": r["resolution"] or ""} for r in rows]
