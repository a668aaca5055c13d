"""From a source row to a canonical record the connector can write, checked against the catalog.

The header is checked once, before any row moves: unknown columns, mapping rules that name
columns the source lacks, fields the mapping targets that the object does not have. Then each
row is converted field by field; every problem is collected with its field, so one bad date does
not hide a bad number in the same row, and a failed row never stops the good ones.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scorolink.catalog.model import Field, FieldType, Nested, ObjectSpec
from scorolink.connectors.scoro_convert import coerce
from scorolink.errors import InvalidInput, InvalidValue, ScorolinkError, UnknownName
from scorolink.transfer.children import ChildRows
from scorolink.transfer.expressions import ExpressionError
from scorolink.transfer.lookups import Lookups, NoUniqueMatch
from scorolink.transfer.mapping import Mapping, NestedSource, Rules
from scorolink.transfer.sources import REPORT_PREFIX


@dataclass
class FieldError:
    field: str
    message: str


@dataclass
class Built:
    record: dict[str, Any]
    key_value: Any = None  # the value of --key (natural or id), as given
    errors: list[FieldError] = field(default_factory=list)


@dataclass
class HeaderPlan:
    """What the header check found, for the summary."""

    ignored_read_only: list[str] = field(default_factory=list)
    ignored_unknown: list[str] = field(default_factory=list)
    ignored_key: list[str] = field(default_factory=list)


class RecordBuilder:
    def __init__(self, spec: ObjectSpec, header: list[str], *, mode: str, key: str | None, mapping: Mapping,
                 lookups: Lookups, children: dict[str, ChildRows], empty: str = "skip",
                 skip_unknown: bool = False, base_dir: Path = Path("."), tz: Any = None) -> None:
        self.spec = spec
        self.mode = mode
        self.mapping = mapping
        self.lookups = lookups
        self.children = children
        self.empty = empty
        self.base_dir = base_dir
        self.tz = tz
        self.plan = HeaderPlan()
        self.key_field = self._key_field(key)
        self.key_column = self._key_column(header, key)
        self.columns = self._check_header(header, mapping.rules, skip_unknown)
        for rules in [mapping.rules, *(n.rules for n in mapping.nested.values())]:
            self._check_lookups(rules)
        for name, nested in mapping.nested.items():
            self._nested_named(name, f"[nested.{name}] of the mapping")
            if nested.column and nested.column not in header:
                raise UnknownName("source column", nested.column, header, where=f"[nested.{name}] column")

    # -- header ---------------------------------------------------------------------------------
    def _key_field(self, key: str | None) -> Field:
        name = key or self.spec.key_fields[0]
        f = self.spec.field_named(name)
        if f is None:
            raise UnknownName("field", name, [x.name for x in self.spec.fields], where=f"{self.spec.name} (--key)")
        return f

    def _key_column(self, header: list[str], key: str | None) -> str | None:
        """The source column that holds the key: the --key field itself or what maps to it."""
        name = self.key_field.name
        renamed = next((src for tgt, src in self.mapping.rules.renames.items() if tgt.lower() == name.lower()), None)
        if renamed:
            return renamed
        column = next((h for h in header if h.lower() == name.lower()), None)
        if column is None and self.mode in ("update", "delete") and not self._is_mapped(name):
            raise InvalidInput(f"{self.mode} needs the key {name} on every row, but the source has no {name} "
                               f"column (columns: {', '.join(header)}). Add it, map it in --map, or choose "
                               "another --key such as DocumentNumber or Name.")
        return column

    def _is_mapped(self, name: str) -> bool:
        return name.lower() in {t.lower() for t in self.mapping.rules.targets}

    def _check_header(self, header: list[str], rules: Rules, skip_unknown: bool) -> list[tuple[str, str]]:
        """(source column, field or nested name) pairs that pass through unchanged."""
        lowered = {h.lower(): h for h in header}
        for source in sorted(rules.sources()):
            if source.lower() not in lowered:
                raise UnknownName("source column", source, header, where="the mapping")
        for target in rules.targets:
            self._target_named(target)
        consumed = rules.consumed() | {t.lower() for t in rules.targets}
        nested_columns = {n.column.lower() for n in self.mapping.nested.values() if n.column}
        # columns read by expressions or linking child rows: not fields themselves, yet not unknown
        helpers = {c.lower() for e in rules.expressions.values() for c in e.columns} | {
            rows.parent_column.lower() for rows in self.children.values()}
        passing: list[tuple[str, str]] = []
        unknown: list[str] = []
        for column in header:
            low = column.lower()
            if low.startswith(REPORT_PREFIX) or low in consumed or low in nested_columns:
                continue
            f = self.spec.field_named(column)
            n = self.spec.nested_named(column)
            if f is None and n is None:
                if low not in helpers:
                    unknown.append(column)
                continue
            if f is not None and self._ignored(f):
                continue
            if n is not None and n.read_only:
                self.plan.ignored_read_only.append(column)
                continue
            passing.append((column, f.name if f is not None else n.field))  # type: ignore[union-attr]
        if len(unknown) == len(header) and not rules.targets and not self.mapping.nested:
            raise InvalidInput(f"None of the source's columns ({', '.join(header[:8])}"
                               f"{' …' if len(header) > 8 else ''}) is a field of {self.spec.name}: is the first "
                               "line a header of field names? See `scorolink describe " + self.spec.name + "`.")
        if unknown and not skip_unknown:
            names = [f.name for f in self.spec.fields] + [n.field for n in self.spec.nested]
            hints = []
            for column in unknown:
                close = difflib.get_close_matches(column, names, n=2, cutoff=0.75)
                hints.append(column + (f" (did you mean {', '.join(close)}?)" if close else ""))
            raise InvalidInput(f"{self.spec.name} has no field for source column(s): {'; '.join(hints)}. Rename "
                               "them to field names (see `scorolink describe " + self.spec.name + "`), map them "
                               "in --map, or pass --skip-unknown-columns to leave them out.")
        self.plan.ignored_unknown = unknown
        return passing

    def _ignored(self, f: Field) -> bool:
        """Columns present in exports that a write must not send: read-only fields, and the key on
        insert (Scoro assigns ids). They are noted once, not reported per row."""
        is_key = f.name in self.spec.key_fields
        if is_key and self.mode == "insert" and not self.spec.insert_is_upsert:
            self.plan.ignored_key.append(f.name)
            return True
        if is_key:
            return False
        if f.read_only and not (self.spec.insert_is_upsert and f.name in ("UserId", "Date")):
            self.plan.ignored_read_only.append(f.name)
            return True
        return False

    def _target_named(self, name: str) -> Field | Nested:
        found = self.spec.field_named(name) or self.spec.nested_named(name)
        if found is None:
            raise UnknownName("field", name, [f.name for f in self.spec.fields] + [n.field for n in self.spec.nested],
                              where=f"{self.spec.name} (a target of the mapping)")
        return found

    def _nested_named(self, name: str, where: str) -> Nested:
        n = self.spec.nested_named(name)
        if n is None:
            raise UnknownName("nested field", name, [x.field for x in self.spec.nested], where=where)
        if n.read_only:
            raise InvalidInput(f"{self.spec.name}.{n.field} is read-only in Scoro; it cannot be imported.")
        return n

    # -- rows -----------------------------------------------------------------------------------
    def build(self, values: dict[str, Any]) -> Built:
        errors: list[FieldError] = []
        record: dict[str, Any] = {}
        shape = values.get("__shape__")
        if shape:
            errors.append(FieldError("(row)", f"the row {shape}; check its delimiters and quotes"))
        raw: dict[str, Any] = {name: values.get(column) for column, name in self.columns}
        raw.update(self._apply(self.mapping.rules, values, errors))
        for name, value in raw.items():
            target = self.spec.field_named(name) or self.spec.nested_named(name)
            self._put(record, target, value, errors)
        for name, nested in self.mapping.nested.items():
            n = self._nested_named(name, "the mapping")
            value = self._nested_value(nested, n, values, errors)
            if value is not None:
                record[n.field] = value
        key_value = values.get(self.key_column) if self.key_column else record.get(self.key_field.name)
        if isinstance(key_value, str):
            key_value = key_value.strip() or None
        return Built(record, key_value, errors)

    def _apply(self, rules: Rules, values: dict[str, Any], errors: list[FieldError]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        lowered = {k.lower(): v for k, v in values.items()}
        for target, source in rules.renames.items():
            out[target] = lowered.get(source.lower())
        out.update(rules.constants)
        for target, expression in rules.expressions.items():
            try:
                out[target] = expression.evaluate(values)
            except ExpressionError as exc:
                errors.append(FieldError(target, f"expression {expression.text!r}: {exc}"))
        for target, rule in rules.lookups.items():
            natural = lowered.get(rule.source.lower())
            if natural in (None, "") or (isinstance(natural, str) and not natural.strip()):
                continue
            lookup = rule.lookup
            try:
                out[target] = self.lookups.table(lookup).one(natural)
            except NoUniqueMatch as exc:
                errors.append(FieldError(target, f"lookup from {rule.source}: {exc}"))
            except ScorolinkError as exc:
                errors.append(FieldError(target, f"lookup {lookup.describe()}: {exc}"))
        return out

    def _check_lookups(self, rules: Rules) -> None:
        """Lookup objects and fields exist; an empty `result` means the object's key."""
        from scorolink.catalog.scoro import CATALOG

        for rule in rules.lookups.values():
            lookup = rule.lookup
            spec = CATALOG.get(lookup.object)
            if spec is None:
                raise UnknownName("object", lookup.object, CATALOG.names(), where=f"[lookups.{rule.target}]")
            lookup.object = spec.name
            for attr in ("match", "result"):
                name = getattr(lookup, attr) or spec.key_fields[0]
                f = spec.field_named(name)
                if f is None:
                    raise UnknownName("field", name, [x.name for x in spec.fields],
                                      where=f"{spec.name} ([lookups.{rule.target}] {attr})")
                setattr(lookup, attr, f.name)

    def _put(self, record: dict[str, Any], target: Field | Nested | None, value: Any,
             errors: list[FieldError]) -> None:
        if target is None:
            return
        if isinstance(target, Nested):
            if _blank(value):
                return
            parsed = self._json(target.field, value, errors)
            if parsed is not None:
                checked = self._check_nested(target, parsed, errors)
                if checked is not None:
                    record[target.field] = checked
            return
        if _blank(value):
            if self.empty == "null" and target.name not in self.spec.key_fields:
                record[target.name] = None
            return
        try:
            record[target.name] = self._value(target, value)
        except InvalidValue as exc:
            errors.append(FieldError(target.name, str(exc).removeprefix(f"Field {target.name}: ")))
        except OSError as exc:
            errors.append(FieldError(target.name, f"cannot read file {value!r}: {exc.strerror or exc}"))

    def _value(self, f: Field, value: Any) -> Any:
        if f.type is FieldType.BINARY:
            if isinstance(value, bytes):
                return value
            path = Path(str(value))
            return (path if path.is_absolute() else self.base_dir / path).read_bytes()
        if f.type is FieldType.JSON and isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise InvalidValue(f.name, value, "JSON value", exc.msg) from exc
        return coerce(value, f, self.tz) if self.tz is not None else coerce(value, f)

    def _json(self, name: str, value: Any, errors: list[FieldError]) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            errors.append(FieldError(name, f"not valid JSON ({exc.msg} at character {exc.pos}); nested values are "
                                           "a JSON list such as [{\"ProductId\": 1, \"Amount\": 2}]"))
            return None

    def _check_nested(self, n: Nested, value: Any, errors: list[FieldError], prefix: str = "") -> Any:
        """Children typed against the nested field's own fields; deeper levels checked the same way."""
        where = f"{prefix}{n.field}"
        if n.kind == "values":
            if not isinstance(value, list):
                errors.append(FieldError(where, "expects a JSON list of values, e.g. [\"a\", \"b\"]"))
                return None
            return value
        if n.kind == "mapping":
            if not isinstance(value, dict):
                errors.append(FieldError(where, "expects a JSON object, e.g. {\"2024-01-31\": 2}"))
                return None
            return value
        items = [value] if n.kind == "object" and isinstance(value, dict) else value
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            errors.append(FieldError(where, "expects a JSON list of objects, e.g. [{\"Name\": \"x\"}]"
                                     if n.kind == "objects" else "expects a JSON object"))
            return None
        out = []
        for position, item in enumerate(items, start=1):
            out.append(self._check_child(n, item, errors, f"{where}[{position}]."))
        return out[0] if n.kind == "object" else out

    def _check_child(self, n: Nested, item: dict[str, Any], errors: list[FieldError], where: str) -> dict[str, Any]:
        if not n.fields:
            return item
        child: dict[str, Any] = {}
        for name, value in item.items():
            deeper = next((d for d in n.nested if d.field.lower() == name.lower()), None)
            if deeper is not None:
                if not _blank(value):
                    parsed = self._json(where + deeper.field, value, errors)
                    checked = self._check_nested(deeper, parsed, errors, where) if parsed is not None else None
                    if checked is not None:
                        child[deeper.field] = checked
                continue
            f = n.field_named(name)
            if f is None:
                errors.append(FieldError(where + name, f"{n.field} has no field {name}; its fields are "
                                         f"{', '.join(x.name for x in n.fields)}"))
                continue
            if f.read_only and f.name != n.key:
                continue
            if _blank(value):
                continue
            try:
                child[f.name] = self._value(f, value)
            except InvalidValue as exc:
                errors.append(FieldError(where + f.name, str(exc).removeprefix(f"Field {f.name}: ")))
        return child

    def _nested_value(self, nested: NestedSource, n: Nested, values: dict[str, Any],
                      errors: list[FieldError]) -> Any:
        if nested.column:
            cell = values.get(nested.column)
            if _blank(cell):
                return None
            parsed = self._json(n.field, cell, errors)
            if parsed is None:
                return None
            items = parsed if isinstance(parsed, list) else [parsed]
            mapped = [self._mapped_child(nested, item, errors) if isinstance(item, dict) else item for item in items]
            return self._check_nested(n, mapped if isinstance(parsed, list) else mapped[0], errors)
        rows = self.children[n.field]
        link = _get_ci(values, rows.parent_column)
        found = rows.children(link)
        if not found:
            return None
        mapped = []
        for number, _line, cells in found:
            child_errors: list[FieldError] = []
            mapped.append(self._mapped_child(nested, cells, child_errors))
            errors.extend(FieldError(f"{n.field} (row {number} of {rows.path.name}) {e.field}", e.message)
                          for e in child_errors)
        return self._check_nested(n, _from_child_rows(n, mapped, self._json, errors), errors)

    def _mapped_child(self, nested: NestedSource, cells: dict[str, Any], errors: list[FieldError]) -> dict[str, Any]:
        rules = nested.rules
        consumed = rules.consumed() | {c.lower() for e in rules.expressions.values() for c in e.columns}
        item = {k: v for k, v in cells.items() if k.lower() not in consumed or k in rules.targets}
        item.update(self._apply(rules, cells, errors))
        return {k: v for k, v in item.items() if not _blank(v)}


def _from_child_rows(n: Nested, rows: list[dict[str, Any]], parse: Any, errors: list[FieldError]) -> Any:
    """Child CSV rows in the shape the nested field has on a record (see export's `_child_rows`)."""
    if n.kind == "values":
        return [r.get("Value") for r in rows if not _blank(r.get("Value"))]
    if n.kind == "mapping":
        return {r.get("Key"): r.get("Value") for r in rows if not _blank(r.get("Key"))}
    if not n.fields:
        return [parse(n.field, r.get("Value"), errors) for r in rows]
    return rows[0] if n.kind == "object" else rows


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _get_ci(values: dict[str, Any], name: str) -> Any:
    lowered = name.lower()
    return next((v for k, v in values.items() if k.lower() == lowered), None)
