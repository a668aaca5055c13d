"""Which Scoro objects a database table can be synced with, and why the others cannot.

The list comes from the catalog's `sync` flag, which tests/catalog checks against the Skyvia seed's
synchronization list (22 objects: those with an incremental cursor plus insert and update). Two of
them are narrower in the seed's own DML table, and the sync follows the DML table there:
Statuses are select-only (Scoro → table only; edits made in the table are reported, not carried)
and TaskComments are insert and delete only (new rows and deleted rows are carried; an edited
comment is reported, since Scoro cannot change a comment).
"""

from __future__ import annotations

from dataclasses import dataclass

from scorolink.catalog.model import Catalog, ObjectSpec
from scorolink.catalog.scoro import CATALOG
from scorolink.errors import ConfigError

# The natural key that matches a table row with a Scoro record on a first run (besides the Scoro id,
# which always matches). Configurable per object with --key / [dbsync.<Object>] key.
DEFAULT_KEYS: dict[str, tuple[str, ...]] = {
    "Bills": ("DocumentNumber",), "Invoices": ("DocumentNumber",), "Orders": ("DocumentNumber",),
    "Prepayments": ("DocumentNumber",), "PurchaseOrders": ("DocumentNumber",), "Quotes": ("DocumentNumber",),
    "Companies": ("Name",), "People": ("Name", "LastName"),
    "Products": ("Code",), "FinanceAccounts": ("AccountSymbol",), "Projects": ("ProjectName",),
    "Statuses": ("StatusName", "Module"), "Tasks": ("EventName",), "CalendarEvents": ("EventName",),
}


def sync_objects(catalog: Catalog = CATALOG) -> list[str]:
    return [o.name for o in catalog if o.sync]


def why_not(spec: ObjectSpec) -> str:
    """Why an object cannot be synced with a table, and what can be done with it instead."""
    missing = []
    if spec.incremental is None:
        missing.append("no incremental cursor (Scoro cannot say what changed since the last run)")
    if not spec.allows("insert"):
        missing.append("no insert")
    if not spec.allows("update"):
        missing.append("no update")
    reasons = "; ".join(missing) or "it is not on Scoro's synchronization list"
    instead = [f"`scorolink replicate --objects {spec.name}` keeps a one-way copy in a database"]
    if spec.allows("insert") or spec.allows("update"):
        instead.append(f"`scorolink import {spec.name} ...` loads rows into Scoro once")
    return f"{spec.name} cannot be synced both ways: {reasons}. Instead, " + ", or ".join(instead) + "."


def resolve(names: list[str], catalog: Catalog = CATALOG) -> list[ObjectSpec]:
    """The specs of the named objects (case-insensitive), refusing unknown and unsyncable ones."""
    if not names:
        raise ConfigError(f"Name the objects to sync, e.g. `scorolink dbsync Companies --db sqlite:///scoro.db`; "
                          f"syncable: {', '.join(sync_objects(catalog))}.")
    out = []
    for name in names:
        spec = catalog.get(name)
        if spec is None:
            raise ConfigError(f"Unknown object {name!r}; syncable objects: {', '.join(sync_objects(catalog))}.")
        if not spec.sync:
            raise ConfigError(why_not(spec))
        if spec not in out:
            out.append(spec)
    return out


@dataclass(frozen=True)
class Capabilities:
    """What the sync may do to Scoro for one object."""

    insert: bool
    update: bool
    delete: bool
    deletes_visible: bool  # Scoro flags deleted records (IsDeleted), so a Scoro delete reaches the table

    @classmethod
    def of(cls, spec: ObjectSpec) -> Capabilities:
        return cls(spec.allows("insert"), spec.allows("update"), spec.allows("delete"), spec.has_delete_flag)

    def refusal(self, spec: ObjectSpec, op: str) -> str | None:
        if op == "create" and not self.insert:
            return f"Scoro's API cannot create {spec.name}: add it in Scoro and the next run brings it into the table"
        if op == "update" and not self.update:
            return (f"Scoro's API cannot change {spec.name}: the table's edit is not carried; change it in Scoro "
                    "(the next change there overwrites the row)")
        if op == "delete" and not self.delete:
            return f"Scoro's API cannot delete {spec.name}: delete it in Scoro"
        return None
