"""What the accounting integrations' `sync`, `errors` and `configure` commands print, in the same words for
every counterpart (`system`: "QuickBooks", …), and the writer of their scorolink.toml table.

The words themselves are the sync engine's (sync.report), as is the exit-code rule (`exit_code`)."""

from __future__ import annotations

from pathlib import Path
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
    text = "\n".join(kept).rstrip()
    path.write_text((text + "\n\n" if text else "") + "\n".join(_tables(table, data)) + "\n", encoding="utf-8")


def _tables(header: str, data: dict[str, Any]) -> list[str]:
    """`[header]` with its values, then each sub-table (an account's settings hold category tables)."""
    lines = [f"[{header}]"] + [f"{_key(k)} = {_toml(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for name, sub in data.items():
        if isinstance(sub, dict):
            lines += ["", *_tables(f"{header}.{_key(name)}", sub)]
    return lines


def _key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else '"' + name.replace('"', '\\"') + '"'


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
