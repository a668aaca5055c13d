"""Finding the record a lost answer may have created.

When a create was sent and no answer came back (a timeout, a crash between the request and the
journal), the record may exist. Before sending it again, look for a record with the same values
that no other row of this import has claimed; adopt it if there is one. The search uses the
connector's filters, so fields Scoro filters natively narrow it on the server.
"""

from __future__ import annotations

from typing import Any

from scorolink.catalog.model import FieldType, ObjectSpec
from scorolink.connectors.base import Condition, Connector

_COMPARABLE = (FieldType.INTEGER, FieldType.DECIMAL, FieldType.STRING, FieldType.BOOLEAN, FieldType.DATE,
               FieldType.DATETIME, FieldType.TIME)


def find_created(connector: Connector, spec: ObjectSpec, record: dict[str, Any], claimed: set[str]) -> Any:
    """The key of an unclaimed record equal to `record` on its plain fields, or None. With
    several (an identical record made earlier by hand), the newest, as ids grow."""
    key = spec.key_fields[0]
    conditions = []
    for name, value in record.items():
        f = spec.field_named(name)
        if (f is None or value is None or f.read_only or f.custom or f.detail_only or f.type not in _COMPARABLE
                or (isinstance(value, str) and not value.strip())):
            continue
        conditions.append(Condition(f.name, "=", value))
    if not conditions:
        return None
    columns = list(dict.fromkeys([key, *(c.field for c in conditions)]))
    found = [r[key] for r in connector.read(spec.name, conditions, columns=columns)
             if r.get(key) is not None and str(r[key]) not in claimed]
    return max(found, key=_sortable) if found else None


def _sortable(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int) else (1, str(value))
