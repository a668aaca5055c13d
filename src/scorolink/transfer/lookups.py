"""Natural values to ids: company name → CompanyId, product code → ProductId, DocumentNumber → Id.

A lookup reads its object once (only the two columns it needs, so plain list pages) and answers
from memory; an import of a million rows costs the same few requests as one of ten. No match and
several matches are answers too, reported on the row rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scorolink.connectors.base import Connector


class NoUniqueMatch(ValueError):
    """A natural value that matched no record, or several."""


@dataclass
class Lookup:
    object: str
    match: str  # field of `object` compared with the source value
    result: str  # field of `object` returned (normally its key)

    def describe(self) -> str:
        return f"{self.object}.{self.match}"


class LookupTable:
    def __init__(self, connector: Connector, lookup: Lookup) -> None:
        self.connector = connector
        self.lookup = lookup
        self._exact: dict[str, list[Any]] | None = None
        self._folded: dict[str, list[Any]] = {}

    def _load(self) -> dict[str, list[Any]]:
        if self._exact is None:
            self._exact = {}
            columns = list(dict.fromkeys([self.lookup.match, self.lookup.result]))
            for record in self.connector.read(self.lookup.object, columns=columns):
                self.add(record.get(self.lookup.match), record.get(self.lookup.result))
        return self._exact

    def add(self, value: Any, result: Any) -> None:
        """Remember a record (also one this import just created, so a later row finds it)."""
        if value in (None, "") or result is None:
            return
        exact = self._exact if self._exact is not None else self._load()
        text = _text(value)
        if result not in exact.setdefault(text, []):
            exact[text].append(result)
            folded = self._folded.setdefault(text.casefold(), [])
            if result not in folded:
                folded.append(result)

    def remove(self, result: Any) -> None:
        for table in (self._exact or {}, self._folded):
            for ids in table.values():
                if result in ids:
                    ids.remove(result)

    def find(self, value: Any) -> list[Any]:
        """Every result for `value`: exact text first, then ignoring case and surrounding spaces."""
        exact = self._load()
        text = _text(value)
        return exact.get(text) or self._folded.get(text.strip().casefold()) or []

    def one(self, value: Any) -> Any:
        found = self.find(value)
        if not found:
            raise NoUniqueMatch(f"no {self.lookup.object} record has {self.lookup.match} = {value!r}")
        if len(found) > 1:
            shown = ", ".join(map(str, found[:5])) + (" …" if len(found) > 5 else "")
            raise NoUniqueMatch(f"{len(found)} {self.lookup.object} records have {self.lookup.match} = {value!r} "
                               f"({self.lookup.result} {shown}); make it unique in Scoro or give the "
                               f"{self.lookup.result} itself")
        return found[0]


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


class Lookups:
    """One table per (object, match, result), shared by every mapping rule that needs it."""

    def __init__(self, connector: Connector) -> None:
        self.connector = connector
        self.tables: dict[tuple[str, str, str], LookupTable] = {}

    def table(self, lookup: Lookup) -> LookupTable:
        key = (lookup.object.lower(), lookup.match.lower(), lookup.result.lower())
        if key not in self.tables:
            self.tables[key] = LookupTable(self.connector, lookup)
        return self.tables[key]
