"""A mapping file (TOML) binds existing tables with their own column names, one section per object:

    [Companies]
    table = "crm_accounts"        # the existing table
    key = "account_id"            # its own key, filled by the database on insert (integer)
    scoro_id = "scoro_id"         # the column that holds the Scoro id (added by you, may be empty)
    modified = "updated_at"       # optional: when the row last changed (for the `newest` policy)
    deleted = "is_deleted"        # optional: a flag column, for on_scoro_delete = "flag"
    version = "row_version"       # optional: a change counter the table keeps (scorolink's writes add one)
    natural_key = ["Name"]        # optional: Scoro fields that match rows on the first run
    [Companies.columns]           # Scoro field = column; fields not listed are not synced
    Name = "account_name"
    VATNumber = "vat"

    [Invoices.children.Lines]     # lines in a child table
    table = "invoice_lines"
    key = "line_id"
    parent = "invoice_id"         # the column pointing at the parent row's key
    position = "line_no"          # the line's order
    scoro_id = "scoro_line_id"    # optional
    [Invoices.children.Lines.columns]
    Comment = "text"
    Amount = "qty"
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from scorolink.catalog.model import Nested, ObjectSpec
from scorolink.errors import ConfigError
from scorolink.integrations.database.table import ChildMap, ColumnMap, TableMap, logical


def load_mapping(path: str | Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"Mapping file {path} does not exist.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Mapping file {path} is not valid TOML: {exc}.") from exc


def mapped_table(spec: ObjectSpec, section: dict[str, Any], where: str) -> TableMap:
    """The TableMap of one object's section, every name checked against the catalog."""
    for setting in ("table", "key", "scoro_id"):
        if not isinstance(section.get(setting), str) or not section[setting]:
            raise ConfigError(f"{where} [{spec.name}] needs {setting} = \"column or table name\".")
    columns = _columns(spec.name, section.get("columns"), spec.field_named, f"{where} [{spec.name}.columns]")
    if not columns:
        raise ConfigError(f"{where} [{spec.name}.columns] binds no field; list at least one as Field = \"column\".")
    children = []
    for nested_name, child in (section.get("children") or {}).items():
        nested = spec.nested_named(nested_name)
        if nested is None or nested.kind != "objects":
            raise ConfigError(f"{where} [{spec.name}.children.{nested_name}]: {spec.name} has no list of records "
                              f"called {nested_name!r}.")
        children.append(_child(spec, nested, child, f"{where} [{spec.name}.children.{nested_name}]"))
    key = spec.key_fields[0]
    key_field = spec.field_named(key)
    natural = tuple(section.get("natural_key") or ())
    for name in natural:
        if not any(c.field == name for c in columns):
            raise ConfigError(f"{where} [{spec.name}] natural_key names {name!r}, which [{spec.name}.columns] does "
                              "not bind.")
    return TableMap(spec.name, section["table"], columns, scoro_id=section["scoro_id"], scoro_key=key,
                    scoro_id_type=logical(key_field.type) if key_field else "integer", key=section["key"],
                    modified=section.get("modified"), deleted=section.get("deleted"), version=section.get("version"),
                    children=children,
                    natural_key=natural, created=False)


def _columns(owner: str, mapping: Any, lookup: Any, where: str) -> list[ColumnMap]:
    if mapping is None:
        return []
    if not isinstance(mapping, dict):
        raise ConfigError(f"{where} must be a table of Field = \"column\".")
    out = []
    for field_name, column in mapping.items():
        f = lookup(field_name)
        if f is None:
            raise ConfigError(f"{where}: {owner} has no field {field_name!r}.")
        if not isinstance(column, str) or not column:
            raise ConfigError(f"{where}: {field_name} must name a column.")
        out.append(ColumnMap(f.name, column, logical(f.type), f.read_only))
    return out


def _child(spec: ObjectSpec, nested: Nested, section: dict[str, Any], where: str) -> ChildMap:
    for setting in ("table", "key", "parent", "position"):
        if not isinstance(section.get(setting), str) or not section[setting]:
            raise ConfigError(f"{where} needs {setting} = \"name\".")
    columns = _columns(f"{spec.name}.{nested.field}", section.get("columns"), nested.field_named, f"{where}.columns")
    return ChildMap(nested.field, section["table"], columns, key=section["key"], parent=section["parent"],
                    position=section["position"], scoro_id=section.get("scoro_id"), scoro_key=nested.key)
