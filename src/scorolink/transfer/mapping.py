"""An import mapping (`--map MAPPING.toml`): how source columns become an object's fields.

    [columns]                  # renames: field = "source column"
    Name = "Company name"

    [constants]                # the same value on every row
    CurrencyCode = "EUR"

    [expressions]              # simple expressions over source columns (see expressions.py)
    Comment = "upper(Ref) + ' / ' + Note"

    [lookups.CompanyId]        # a natural value to an id
    object = "Companies"
    match = "Name"             # field of Companies compared with the source value
    from = "Company"           # source column (default: the field name)
    result = "Id"              # field returned (default: the object's key)

    [nested.Lines]             # nested values: a JSON cell (column = ...) or a child CSV (file = ...)
    file = "lines.csv"         # child rows carry Parent.<link> naming their parent row
    link = "DocumentNumber"    # parent column those values refer to (default: --key, else Id)
    columns = { Price = "UnitPrice" }
    [nested.Lines.lookups.ProductId]
    object = "Products"
    match = "Code"
    from = "ProductCode"

Source columns that no rule consumes pass through under their own names.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scorolink.errors import ConfigError
from scorolink.transfer.expressions import Expression
from scorolink.transfer.lookups import Lookup

_TOP = {"columns", "constants", "expressions", "lookups", "nested"}
_LOOKUP = {"object", "match", "from", "result"}
_NESTED = {"file", "column", "link", "columns", "constants", "expressions", "lookups", "delimiter", "encoding"}


@dataclass
class LookupRule:
    target: str
    source: str
    lookup: Lookup


@dataclass
class Rules:
    """Rules for one level: the object's rows, or the rows of one nested field."""

    renames: dict[str, str] = field(default_factory=dict)  # target -> source column
    constants: dict[str, Any] = field(default_factory=dict)
    expressions: dict[str, Expression] = field(default_factory=dict)
    lookups: dict[str, LookupRule] = field(default_factory=dict)

    @property
    def targets(self) -> list[str]:
        return [*self.renames, *self.constants, *self.expressions, *self.lookups]

    def consumed(self) -> set[str]:
        """Source columns that a rename or lookup turns into another field."""
        return {s.lower() for s in self.renames.values()} | {r.source.lower() for r in self.lookups.values()}

    def sources(self) -> set[str]:
        used = set(self.renames.values()) | {r.source for r in self.lookups.values()}
        for expression in self.expressions.values():
            used |= expression.columns
        return used


@dataclass
class NestedSource:
    name: str  # the nested field, e.g. Lines
    file: Path | None = None
    column: str | None = None
    link: str | None = None
    delimiter: str | None = None
    encoding: str = "utf-8"
    rules: Rules = field(default_factory=Rules)


@dataclass
class Mapping:
    rules: Rules = field(default_factory=Rules)
    nested: dict[str, NestedSource] = field(default_factory=dict)
    text: str = ""  # the file's content, part of an import's identity for resuming


def load_mapping(path: str | Path | None) -> Mapping:
    if path is None:
        return Mapping()
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"--map {p}: no such file.")
    text = p.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--map {p} is not valid TOML: {exc}.") from exc
    mapping = parse_mapping(data, where=str(p), base=p.parent)
    mapping.text = text
    return mapping


def parse_mapping(data: dict[str, Any], *, where: str = "mapping", base: Path = Path(".")) -> Mapping:
    _only(data, _TOP, where)
    nested = {}
    for name, spec in _table(data, "nested", where).items():
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: [nested.{name}] must be a table with file = ... or column = ....")
        _only(spec, _NESTED, f"{where} [nested.{name}]")
        if bool(spec.get("file")) == bool(spec.get("column")):
            raise ConfigError(f"{where} [nested.{name}]: give exactly one of file = \"child.csv\" (rows linked by "
                              "Parent.<column>) or column = \"<source column holding JSON>\".")
        file = Path(spec["file"]) if spec.get("file") else None
        nested[name] = NestedSource(
            name=name, file=(base / file) if file and not file.is_absolute() else file, column=spec.get("column"),
            link=spec.get("link"), delimiter=spec.get("delimiter"), encoding=spec.get("encoding", "utf-8"),
            rules=_rules(spec, f"{where} [nested.{name}]"))
    return Mapping(rules=_rules(data, where), nested=nested)


def _rules(data: dict[str, Any], where: str) -> Rules:
    renames = {k: _string(v, f"{where} columns.{k}") for k, v in _table(data, "columns", where).items()}
    constants = dict(_table(data, "constants", where))
    expressions = {k: Expression(_string(v, f"{where} expressions.{k}"), k)
                   for k, v in _table(data, "expressions", where).items()}
    lookups = {}
    for target, spec in _table(data, "lookups", where).items():
        here = f"{where} [lookups.{target}]"
        if not isinstance(spec, dict):
            raise ConfigError(f"{here} must be a table with object = ... and match = ....")
        _only(spec, _LOOKUP, here)
        if not spec.get("object") or not spec.get("match"):
            raise ConfigError(f"{here} needs object = \"Companies\" and match = \"Name\" (the field compared).")
        lookups[target] = LookupRule(target, _string(spec.get("from", target), f"{here} from"),
                                     Lookup(spec["object"], spec["match"], spec.get("result", "")))
    seen: dict[str, str] = {}
    for kind, names in (("columns", renames), ("constants", constants), ("expressions", expressions),
                        ("lookups", lookups)):
        for name in names:
            if name.lower() in seen:
                raise ConfigError(f"{where}: {name} is set both in [{seen[name.lower()]}] and in [{kind}]; "
                                  "keep one rule per field.")
            seen[name.lower()] = kind
    return Rules(renames, constants, expressions, lookups)


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {key} must be a table ([{key}] with name = value lines).")
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a non-empty string.")
    return value


def _only(data: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}.")
