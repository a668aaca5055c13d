"""What a sync run tells a person, in words: one wording for every counterpart (Xero now, QuickBooks
and databases later), so `scorolink xero sync`, the runtime's job log and the coming dashboard say
the same thing the same way.

Side `a` is Scoro; side `b` is named by the counterpart (`Names("Xero")`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

SHOWN = 20  # lines of each list printed; the rest are counted ("… and N more")
IDS_SHOWN = 5  # record ids printed with one reason

OPS = {"create": "create in {side}", "update": "update in {side}", "delete": "delete in {side}",
       "link": "link to {side}", "tombstone": "mark deleted in {side}"}
DONE = {"created": "created", "updated": "updated", "deleted": "deleted", "linked": "linked", "adopted":
        "found already created", "tombstoned": "marked deleted", "failed": "refused", "deferred":
        "waiting for another record", "unknown": "outcome unknown (looked up next run)",
        "retry_later": "to retry (temporary failure)"}
KINDS = {"validation": "refused", "deferred": "waiting for another record", "ambiguous": "several matches",
         "conflict": "changed on both sides", "gated": "not changed (paid or approved)", "missing": "gone",
         "managed_elsewhere": "edited where it is not managed", "out_of_scope": "outside what is synced",
         "unchanged": "unchanged", "follow_up": "written, but a second step failed",
         "totals_differ": "totals differ", "held": "held (tax rate no longer current)", "permission": "not allowed", "unknown_outcome": "outcome unknown"}


@dataclass(frozen=True)
class Names:
    """The names of the two sides in sentences."""

    other: str = "the other system"
    scoro: str = "Scoro"

    def side(self, side: str) -> str:
        return self.scoro if side == "a" else self.other


def kind_words(kind: str) -> str:
    return KINDS.get(kind, kind.replace("_", " "))


def planned_words(counts: dict[str, int], names: Names) -> str:
    """Planned counts in words: `create_b 3` reads `create in Xero 3`, `validation 2` reads `refused 2`."""
    parts = []
    for key, n in counts.items():
        if not n or key == "unchanged":
            continue
        op, _, side = key.rpartition("_")
        if op in OPS and side in ("a", "b"):
            parts.append(f"{OPS[op].format(side=names.side(side))} {n}")
        else:
            parts.append(f"{kind_words(key)} {n}")
    return ", ".join(parts) or "-"


def done_words(counts: dict[str, int]) -> str:
    return ", ".join(f"{DONE.get(k, k.replace('_', ' '))} {n}" for k, n in counts.items() if n) or "-"


def op_line(category: str, op: Any, names: Names) -> str:
    """One planned write: `contacts: create in Xero: Scoro record 4 — name: None → 'Acme'`."""
    source = names.side("a" if op.target == "b" else "b")
    what = OPS.get(op.op, op.op).format(side=names.side(op.target))
    onto = f" (as {op.target_id})" if op.target_id else ""
    diff = "; ".join(f"{k}: {a!r} → {b!r}" for k, (a, b) in list(op.diff.items())[:4])
    return f"{category}: {what}{onto}: {source} record {op.source_id}" + (f" — {diff}" if diff else "")


def more(total: int, shown: int = SHOWN) -> str | None:
    """The line closing a cut list, or None when everything was shown."""
    return f"… and {total - shown} more" if total > shown else None


def reasons(found: Iterable[tuple[str, str, str, Any]]) -> list[tuple[str, str, str, list[str]]]:
    """(category, kind, message, source id) → each reason once with the records it holds back."""
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for category, kind, message, source_id in found:
        ids = grouped.setdefault((category, kind, message), [])
        if str(source_id) not in ids:
            ids.append(str(source_id))
    return [(c, k, m, ids) for (c, k, m), ids in grouped.items()]


def reason_line(category: str, kind: str, message: str, ids: list[str]) -> tuple[str, str]:
    """(heading, rest): `invoices: refused`, `(4: 1, 2, 5, 6): line item 'P-4' is no Scoro product`."""
    shown = ", ".join(ids[:IDS_SHOWN]) + (f" and {len(ids) - IDS_SHOWN} more" if len(ids) > IDS_SHOWN else "")
    return f"{category}: {kind_words(kind)}", f"({len(ids)}: {shown}): {message}"


def totals_message(target: str, source_total: Any, target_total: Any, other: str, *, matched: bool = False) -> str:
    """The note on a written document whose totals differ between the systems (`matched`: one found on
    both sides at the first sync and linked without a write)."""
    names = Names(other)
    source = names.side("a" if target == "b" else "b")
    mine, theirs = (Decimal(str(v)).quantize(Decimal("0.01")) for v in (source_total, target_total))
    why = ("linked to the document of the same number and contact already there, not written: their lines or "
           "tax rates differ; correct one of them or dismiss this" if matched else
           "a tax rate differs between the systems (see the tax map); correct the document or dismiss this")
    return f"total {mine} in {source}, {theirs} in {names.side(target)} (difference {theirs - mine:+}): {why}"


def scope_lines(result: Any, names: Names) -> list[str]:
    """The records a run leaves alone because they refer to what the sync does not carry — counted in
    the table, said here with the reason."""
    return [f"{name}: {kind_words('out_of_scope')} ({plan.out_of_scope}): they refer to records this sync does "
            f"not carry between Scoro and {names.other} (e.g. a payment on a document that is not synced); "
            "nothing to do unless that record should be synced" for name, plan in result.plans.items()
            if plan.out_of_scope]


def closing_lines(result: Any, open_errors: int, errors_command: str) -> list[str]:
    """What a run ends with: why it stopped, and where the open record errors are listed (only when
    there are some), or what a dry run would hold back."""
    lines = []
    if result.stopped:
        lines.append(f"Stopped: {result.stopped}. The rest stays queued for the next run.")
    if open_errors:
        lines.append(f"{open_errors} record(s) need attention: `{errors_command}` lists them with the systems' own "
                     "words; each is tried again at once when it changes, else at growing intervals (5 minutes, then "
                     "10, 20, … up to a day; `next try` there), until it goes through or is dismissed.")
    elif result.dry_run and result.issues:
        lines.append(f"A real run would hold back the {result.issues} record(s) above; nothing was written.")
    return lines


def exit_code(result: Any, open_errors: int) -> int:
    """One rule for every sync command: 1 while the sync needs a person — the run was stopped, or record
    errors are open after it, whichever run found them — else 0; a dry run exits 0 (bad settings exit 2
    before any run)."""
    return 1 if not result.dry_run and (result.stopped or open_errors) else 0


def job_line(label: str, result: Any, open_errors: int, errors_command: str) -> str:
    """The job log's line for a run: what was done, what is open, why it stopped — never "no changes"
    while record errors are open."""
    counts: dict[str, int] = {}
    for executed in result.executed.values():
        for key, n in executed.items():
            counts[key] = counts.get(key, 0) + n
    done = done_words(counts) if counts else ("nothing written" if open_errors or result.stopped else "no changes")
    return (f"{label} run {result.run_id}: {done}"
            + (f"; {open_errors} record error(s) open (`{errors_command}`)" if open_errors else "")
            + "".join(f"; warning: {w}" for w in result.warnings)
            + (f"; stopped: {result.stopped}" if result.stopped else ""))


def next_try(error: dict[str, Any], now: datetime | None = None) -> str:
    """When an open record error's record is tried again (at once if it changes before), in words."""
    from scorolink.sync.store import STANDING, next_retry

    if error.get("resolution"):
        return ""
    if error.get("kind") in STANDING:  # written already: trying it again unchanged would say the same
        return "when the record changes"
    due = next_retry(error)
    if due is None:
        return ""
    due = due if due.tzinfo else due.replace(tzinfo=UTC)
    if due <= (now or datetime.now(UTC)):
        return "next run"
    return f"after {due.strftime('%Y-%m-%d %H:%M')} UTC"
