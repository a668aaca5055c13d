"""A category as two side adapters over one shared model.

Each adapter speaks one system (Scoro, Xero, QuickBooks, a database) for one kind of record and
maps it to and from the category's shared values; the pairing adds what needs both: natural keys
for first-sync matching. The same Scoro adapter serves every counterpart system, because the
shared model does not depend on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from scorolink.sync.model import Resolver, SideRecord, WriteOutcome, WriteRequest


class SideAdapter(Protocol):
    def read(self, since: datetime | None) -> Iterable[SideRecord]: ...

    def fetch(self, ids: list[str]) -> list[SideRecord]: ...

    def build(self, shared: dict[str, Any], resolver: Resolver, current: SideRecord | None) -> dict[str, Any]: ...

    def write(self, requests: list[WriteRequest]) -> list[WriteOutcome]: ...

    def find(self, shared: dict[str, Any]) -> SideRecord | None: ...


@dataclass
class PairedCategory:
    name: str
    a: SideAdapter
    b: SideAdapter
    keys: Callable[[dict[str, Any]], list[str]]
    batch_size: int = 50
    compatible: Callable[[dict[str, Any], dict[str, Any]], bool] = lambda _a, _b: True

    def _side(self, side: str) -> SideAdapter:
        return self.a if side == "a" else self.b

    def read(self, side: str, since: datetime | None) -> Iterable[SideRecord]:
        return self._side(side).read(since)

    def fetch(self, side: str, ids: list[str]) -> list[SideRecord]:
        return self._side(side).fetch(ids) if ids else []

    def candidates(self, side: str) -> Iterable[SideRecord]:
        adapter = self._side(side)
        reader = getattr(adapter, "candidates", None)
        return reader() if reader is not None else adapter.read(None)

    def build(self, target: str, shared: dict[str, Any], resolver: Resolver,
              current: SideRecord | None) -> dict[str, Any]:
        return self._side(target).build(shared, resolver, current)

    def match_keys(self, shared: dict[str, Any]) -> list[str]:
        return self.keys(shared)

    def matches(self, shared: dict[str, Any], candidate: dict[str, Any]) -> bool:
        return self.compatible(shared, candidate)

    def dependencies(self, target: str, shared: dict[str, Any]) -> list[tuple[str, str, str]]:
        """Every record writing `shared` to `target` needs first (the build run in discovery mode)."""
        side = self._side(target)
        refs = getattr(side, "refs", None)
        if refs is None:
            return []
        return list(refs.discover(lambda: side.build(shared, refs.resolver, None)))

    def write(self, target: str, requests: list[WriteRequest]) -> list[WriteOutcome]:
        return self._side(target).write(requests)

    def find(self, target: str, shared: dict[str, Any]) -> SideRecord | None:
        return self._side(target).find(shared)


def norm(value: Any) -> str:
    """Natural-key form of a text: case and spacing do not matter."""
    return " ".join(str(value or "").split()).casefold()


def contact_keys(shared: dict[str, Any]) -> list[str]:
    """Contacts match by name plus VAT number, else name plus email, else name alone."""
    name = norm(shared.get("name"))
    if not name:
        return []
    keys = []
    if shared.get("vat_number"):
        keys.append(f"name+vat:{name}|{norm(shared['vat_number'])}")
    if shared.get("email"):
        keys.append(f"name+email:{name}|{norm(shared['email'])}")
    keys.append(f"name:{name}")
    return keys


def contacts_compatible(source: dict[str, Any], candidate: dict[str, Any]) -> bool:
    """A same-named contact is not the same one when both carry a VAT number or an email that differ."""
    for key in ("vat_number", "email"):
        if source.get(key) and candidate.get(key) and norm(source[key]) != norm(candidate[key]):
            return False
    return True


def code_keys(shared: dict[str, Any]) -> list[str]:
    """Reference data and products match by code."""
    return [f"code:{norm(shared['code'])}"] if shared.get("code") else []


def tracking_keys(shared: dict[str, Any]) -> list[str]:
    """An option matches the accounting object with its name, or with its name as the symbol."""
    return [f"name:{norm(v)}" for v in (shared.get("name"), shared.get("symbol")) if v]


def receipt_match_keys(shared: dict[str, Any]) -> list[str]:
    """Receipts match by kind (invoices or bills), date and amount; whether the document is the same one is
    the category's `compatible` check (receipts_compatible), so a first sync matches a payment whether or
    not this state has linked its document yet."""
    if not shared.get("document"):
        return []
    amount = shared.get("amount")
    if isinstance(amount, Decimal):
        amount = amount.quantize(CENT)
    return [f"receipt:{shared.get('kind') or 'invoices'}|{shared.get('date')}|{amount}"]


def receipts_compatible(same_document: Callable[[str, str, str], bool]) -> Callable[[dict[str, Any], dict[str, Any]],
                                                                                   bool]:
    """A receipt of the same kind, date and amount is the same one when it is on the same document: the
    same reference, or — one side's document not linked yet (`b:<id>`) — documents that would match
    (`same_document(kind, Scoro id, other id)`: same number and contact)."""

    def compatible(source: dict[str, Any], candidate: dict[str, Any]) -> bool:
        mine, theirs = str(source.get("document") or ""), str(candidate.get("document") or "")
        kind = str(source.get("kind") or "invoices")
        if not mine or not theirs or kind != str(candidate.get("kind") or "invoices"):
            return False
        if mine == theirs:
            return True
        if mine.startswith("b:") == theirs.startswith("b:"):
            return False
        return same_document(kind, *((mine, theirs[2:]) if theirs.startswith("b:") else (theirs, mine[2:])))

    return compatible


class SameDocument:
    """Whether Scoro document `scoro_id` and the counterpart's `other_id` of one kind (invoices, bills) are the
    same one, as that category matches them on a first sync (its keys and its `compatible` check): so a
    receipt is matched whether or not its document is linked yet. `categories` (name -> PairedCategory) is
    set once the categories are built; each side's documents are read once, in pages, when first asked."""

    def __init__(self) -> None:
        self.categories: dict[str, PairedCategory] = {}
        self._read: dict[tuple[str, str], dict[str, SideRecord]] = {}

    def _records(self, kind: str, side: str) -> dict[str, SideRecord]:
        if (kind, side) not in self._read:
            self._read[(kind, side)] = {r.id: r for r in self.categories[kind].candidates(side)}
        return self._read[(kind, side)]

    def __call__(self, kind: str, scoro_id: str, other_id: str) -> bool:
        category = self.categories.get(kind)
        if category is None:
            return False
        a, b = self._records(kind, "a").get(str(scoro_id)), self._records(kind, "b").get(str(other_id))
        if a is None or b is None:
            return False
        return bool(set(category.match_keys(a.shared)) & set(category.match_keys(b.shared))) \
            and category.matches(b.shared, a.shared)


def application_keys(shared: dict[str, Any]) -> list[str]:
    """A credit application is what it links: one credit note applied to its invoices."""
    if not shared.get("credit_note") or not shared.get("invoices"):
        return []
    return [f"applied:{shared['credit_note']}|{','.join(map(str, shared['invoices']))}"]


def document_keys(shared: dict[str, Any]) -> list[str]:
    """Documents match by number; whether the contact is the same one is the category's `compatible`
    check, which does not need the contacts to be linked first (see documents_compatible)."""
    return [f"doc:{norm(shared['number'])}"] if shared.get("number") else []


def documents_compatible(same_contact: Callable[[str, str], bool]) -> Callable[[dict[str, Any], dict[str, Any]], bool]:
    """A document with the same number is the same one when its contact is: the same reference, or —
    one side's contact not linked yet (`b:<id>`) — contacts that would match (`same_contact`)."""

    def compatible(source: dict[str, Any], candidate: dict[str, Any]) -> bool:
        mine, theirs = str(source.get("contact") or ""), str(candidate.get("contact") or "")
        if mine == theirs:
            return True
        if not mine or not theirs or mine.startswith("b:") == theirs.startswith("b:"):
            return False  # both Scoro ids (or both other-side ids), and different
        return same_contact(*((mine, theirs[2:]) if theirs.startswith("b:") else (theirs, mine[2:])))

    return compatible


CENT = Decimal("0.01")


def document_total(lines: list[dict[str, Any]], percent: Callable[[Any], Decimal | None]) -> Decimal:
    """A document's total with tax from its shared lines, each line's tax rounded to the cent (as Xero
    does); `percent(tax_code)` is the rate of a line's code on the side that reads it."""
    total = Decimal(0)
    for line in lines:
        net = (Decimal(str(line.get("quantity") or 0)) * Decimal(str(line.get("unit_price") or 0))
               * (1 - Decimal(str(line.get("discount") or 0)) / 100)).quantize(CENT, ROUND_HALF_UP)
        rate = percent(line.get("tax_code")) or Decimal(0)
        total += net + (net * rate / 100).quantize(CENT, ROUND_HALF_UP)
    return total


def totals_difference(source: dict[str, Any], target: dict[str, Any]) -> tuple[Decimal, Decimal] | None:
    """(source total, target total) of a written document when they differ by more than rounding (a
    cent per line), else None; documents carry their total as `_total`."""
    if source.get("_total") in (None, "") or target.get("_total") in (None, ""):
        return None
    mine, theirs = Decimal(str(source["_total"])), Decimal(str(target["_total"]))
    slack = CENT * max(len(source.get("lines") or []), 1)
    return (mine, theirs) if abs(mine - theirs) > slack else None
