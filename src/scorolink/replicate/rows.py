"""Canonical records → DB-ready rows for an object's main table and its child tables.

Converters are chosen once per column from the column's type as it exists in the database
(which may be wider than the catalog's after schema evolution) and compiled into one function
per table, so the per-record work is a single tuple expression. The row hash covers the main
row's DB-ready values and every child row; a record whose hash matches the stored one is not
written again.

Values no database takes alike are made the same on SQLite, PostgreSQL and DuckDB (`Cleaning`),
counted, and never stop an object: a year-less date (`0000-01-20`, Scoro's birthday without a year)
keeps its month and day in year YEARLESS_YEAR (`1604-01-20`), another date that is not a date is
NULL, and NUL characters are removed from text and JSON.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from scorolink.catalog.model import ObjectSpec
from scorolink.replicate.destination import INLINE, Destination, _string
from scorolink.replicate.schema import (
    BUILT_ROLES,
    CHILD_ID,
    CUSTOM_FIELDS,
    DELETED,
    KEY,
    Column,
    Table,
    remote_id,
    sourced,
)

Converter = Callable[[Any], Any] | None

# A leap year (so 29 February fits), in every database's range, and what address books use for a
# birthday without a year.
YEARLESS_YEAR = 1604
_YEARLESS = re.compile(r"0000-(\d\d)-(\d\d)")
YEARLESS, BAD_DATE, BAD_DATETIME, NUL = "year-less date", "not a date (NULL)", "not a datetime (NULL)", "NUL removed"


class Cleaning:
    """The values of one object that had to be changed to fit every database, by kind, and the
    records they were in."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.rows = 0
        self._touched = False

    def _note(self, kind: str) -> None:
        self.values[kind] = self.values.get(kind, 0) + 1
        self._touched = True

    def row_done(self) -> None:
        if self._touched:
            self.rows += 1
            self._touched = False

    def date(self, value: Any) -> date | None:
        """A date column's value that is not a date (the connector keeps what does not parse)."""
        if isinstance(value, datetime):
            return value.date()
        text = str(value).strip()
        yearless = _YEARLESS.fullmatch(text[:10])
        try:
            if yearless:
                day = date(YEARLESS_YEAR, int(yearless[1]), int(yearless[2]))
                self._note(YEARLESS)
                return day
            return date.fromisoformat(text[:10])
        except ValueError:
            self._note(BAD_DATE)
            return None

    def datetime(self, value: Any) -> Any:
        """A datetime column's value that is not a datetime: ISO text is kept as it is (the database
        reads it), a year-less date alone (a birthday in SyncHub's datetime `Contact.Birthday`) is
        midnight UTC in YEARLESS_YEAR, anything else (`0000-00-00 10:00`, garbage) is NULL."""
        text = str(value).strip()
        yearless = _YEARLESS.fullmatch(text)
        try:
            if yearless:
                moment = datetime(YEARLESS_YEAR, int(yearless[1]), int(yearless[2]), tzinfo=UTC)
                self._note(YEARLESS)
                return moment
            datetime.fromisoformat(text)
        except ValueError:
            self._note(BAD_DATETIME)
            return None
        return value

    def coerced(self, coerce: Callable[[Any], Any], logical: str) -> Callable[[Any], Any]:
        """`coerce`, noting the values it cannot convert (NULL instead)."""
        kind = f"not {'an' if logical[0] in 'aeiou' else 'a'} {logical} (NULL)"

        def convert(value: Any) -> Any:
            out = coerce(value)
            if out is None:
                self._note(kind)
            return out
        return convert

    def text(self, value: str) -> str:
        self._note(NUL)
        return value.replace("\x00", "")

    def json(self, value: Any, conv: Callable[[Any], Any]) -> Any:
        text = conv(value)
        if isinstance(text, str) and "\\u0000" in text:
            self._note(NUL)
            return conv(_without_nul(value))
        return text


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class Getter:
    source: str
    conv: Converter
    logical: str




@dataclass(slots=True)
class BuiltRecord:
    remote_id: str
    values: tuple[Any, ...]  # schema.RECORD_META then the main table's field columns, DB-ready
    children: dict[str, list[tuple[Any, ...]]]  # child table → rows (account and positions included)
    hash: str


def _getters(table: Table, types: dict[str, str], dest: Destination, clean: Cleaning | None = None) -> list[Getter]:
    return [_getter(c, types, dest, clean) for c in sourced(table)]


def _getter(c: Column, types: dict[str, str], dest: Destination, clean: Cleaning | None = None) -> Getter:
    logical = types.get(c.name, c.type)
    conv = dest.converter(logical)
    if c.coerce is not None:  # a column narrower than Scoro's value (`--schema synchub`)
        coerce = c.coerce if clean is None else clean.coerced(c.coerce, c.type)
        conv = coerce if conv is None else (lambda v, _c=conv: _c(coerce(v)))  # type: ignore[misc]
    return Getter(c.source or "", conv, logical)


def _converted(expr: str, conv: Converter, env: dict[str, Any], logical: str = "") -> str:
    """`expr` converted for the database: None never reaches a converter, and the common conversions
    are written out inline (`INLINE`) rather than called. Dates that are not dates, text with NUL
    and JSON with NUL go through the object's `Cleaning` (`_clean` in env) on the side path."""
    clean = env.get("_clean")
    if conv is None:
        converted = "v"
    else:
        name = f"c{len(env)}"
        env[name] = conv
        inline = INLINE.get(conv)
        converted = f"{name}(v)" if inline is None else f"({inline[0].format(v='v', c=name)})"
        if inline is not None:
            env.update(inline[1])
        if clean is not None and conv is _string:
            converted = f"((v if '\\x00' not in v else _clean.text(v)) if type(v) is str else {name}(v))"
        elif clean is not None and logical == "json":
            converted = f"_clean.json(v, {name})"
    if clean is not None and logical == "date":
        env["_date"] = date
        converted = f"({converted} if type(v) is _date else (None if (v := _clean.date(v)) is None else {converted}))"
    elif clean is not None and logical == "datetime":
        env["_datetime"] = datetime
        converted = (f"({converted} if isinstance(v, _datetime) else "
                     f"(None if (v := _clean.datetime(v)) is None else {converted}))")
    if converted == "v":
        return expr
    return f"(None if (v := {expr}) is None else {converted})"


def _value_exprs(getters: list[Getter], kind: str, item: str, get: str, env: dict[str, Any]) -> list[str]:
    """Python expressions for a table's column values, given the element's name (`item`) and, for
    dict elements, the name bound to its `.get`."""
    parts = []
    for g in getters:
        source, conv = g.source, g.conv
        if kind == "mapping":  # the element is a (key, value) pair
            expr = f"{item}[0]" if source == KEY else f"{item}[1]"
        elif kind == "values":  # the element is the value itself
            expr = item
        else:
            expr = f"{get}({source!r})"
        parts.append(_converted(expr, conv, env, g.logical))
    return parts


def _compile(getters: list[Getter], kind: str, lead: tuple[str, ...] = (),
             env: dict[str, Any] | None = None) -> Callable[[Any], tuple[Any, ...]]:
    """One generated function per table turning an element into its column values (after the `lead`
    expressions, written over `env` and the same names): the loader's hot path, where a plain loop
    over (field, converter) pairs costs several times more per record."""
    env = {} if env is None else env
    parts = [*lead, *_value_exprs(getters, kind, "item", "get", env)]
    head = "    get = item.get\n" if kind not in ("mapping", "values") else ""
    code = f"def values(item):\n{head}    return ({', '.join(parts)}{',' if parts else ''})\n"
    exec(code, env)  # noqa: S102 - the code is built from catalog field names, quoted with repr()
    return env["values"]  # type: ignore[no-any-return]


def _compile_child(chain: tuple[tuple[str, str], ...], getters: list[Getter], clean: Cleaning | None = None,
                   roles: tuple[tuple[Column, Getter], ...] = ()
                   ) -> Callable[[dict[str, Any], str, str], list[tuple[Any, ...]]]:
    """One generated function per child table: the nested loops from the record down to the table's
    level, yielding (account, parent id, ancestor positions..., position, values..., roles...) rows
    (roles: the values of `schema.BUILT_ROLES` columns). Elements that are not what their kind says
    (a list where a dict belongs...) unwind to nothing."""
    env: dict[str, Any] = {"_clean": clean} if clean is not None else {}
    lines = ["def rows(record, account, rid):", "    out = []", "    append = out.append"]
    container, ind, positions = "record", "    ", []
    for depth, (field, kind) in enumerate(chain):
        last = depth == len(chain) - 1
        value, pos, item = f"v{depth}", f"p{depth}", f"i{depth}"
        lines.append(f"{ind}{value} = {container}.get({field!r})")
        if kind == "object":
            lines += [f"{ind}if isinstance({value}, dict):", f"{ind}    {pos}, {item} = 0, {value}"]
            ind += "    "
        elif kind == "mapping":
            lines += [f"{ind}if isinstance({value}, dict):",
                      f"{ind}    for {pos}, {item} in enumerate({value}.items()):"]
            ind += "        "
        else:  # objects, values: a list
            lines += [f"{ind}if isinstance({value}, list):", f"{ind}    for {pos}, {item} in enumerate({value}):"]
            ind += "        "
            if kind == "objects":
                lines += [f"{ind}if not isinstance({item}, dict):", f"{ind}    continue"]
        positions.append(pos)
        if not last:
            if kind not in ("objects", "object"):
                lines += [f"{ind}if not isinstance({item}, dict):", f"{ind}    continue"]
            container = item
            continue
        if kind == "values":  # project_accounts is [{"id": "acct"}]
            lines += [f"{ind}if isinstance({item}, dict) and len({item}) == 1:",
                      f"{ind}    {item} = next(iter({item}.values()))"]
        elif kind in ("objects", "object"):
            lines.append(f"{ind}get = {item}.get")
        parts = _value_exprs(getters, kind, item, "get", env)
        parts += [_role_expr(col, g, kind, positions, env) for col, g in roles]
        lines.append(f"{ind}append((account, rid, {', '.join(positions + parts)}))")
    lines.append("    return out")
    exec("\n".join(lines) + "\n", env)  # noqa: S102 - field names quoted with repr()
    return env["rows"]  # type: ignore[no-any-return]


def _role_expr(col: Column, g: Getter, kind: str, positions: list[str], env: dict[str, Any]) -> str:
    """A built role's value inside the generated child loop (see `_compile_child`)."""
    if col.role == CHILD_ID:  # the element's own id where it has one, else its positions
        by_position = " + '|' + ".join(f"str({p})" for p in positions)
        if col.source and kind in ("objects", "object"):
            key = col.source
            return f"(rid + '|' + (str(get({key!r})) if get({key!r}) is not None else {by_position}))"
        return f"(rid + '|' + {by_position})"
    if col.role == DELETED:
        return _converted("bool(record.get('IsDeleted'))", g.conv, env)
    return _converted(f"record.get({col.source!r})", g.conv, env, g.logical)  # PARENT_KEY


class _Hasher:
    """A stable digest of plain values (str, int, float, bool, None, bytes, tuples, lists, dicts and
    the drivers' own value types): pickle without its memo, so equal values give equal bytes
    whatever their identity, and about four times cheaper than hashing repr()."""

    def __init__(self) -> None:
        self._buf = io.BytesIO()
        self._pickler = self._new_pickler()

    def _new_pickler(self) -> pickle.Pickler:
        pickler = pickle.Pickler(self._buf, protocol=5)
        pickler.fast = True  # no memo: the bytes depend on the values only
        return pickler

    def __call__(self, value: Any) -> str:
        buf = self._buf
        buf.seek(0)
        buf.truncate()
        try:
            self._pickler.dump(value)
        except (pickle.PicklingError, TypeError, AttributeError):
            self._pickler = self._new_pickler()  # a failed dump may leave the pickler mid-structure
            return hashlib.blake2b(repr(value).encode(), digest_size=10).hexdigest()  # stable for such values
        with buf.getbuffer() as view:
            return hashlib.blake2b(view, digest_size=10).hexdigest()


class RowBuilder:
    """Builds rows for one object, given its tables and the column types the database has."""

    def __init__(self, spec: ObjectSpec, tables: list[Table], dest: Destination,
                 types: dict[str, dict[str, str]], account: str):
        self.spec = spec
        self.account = account
        self.cleaning = Cleaning()
        self.main = tables[0]
        self.children = tables[1:]
        self.main_values = self._compile_main(spec, types.get(self.main.name, {}), dest)
        by_name = {t.name: t for t in tables}
        # `--schema synchub` keeps custom field values as rows too: they are given to the child loop
        # as a list under CUSTOM_FIELDS.
        custom = any(t.path == (CUSTOM_FIELDS,) for t in self.children)
        self.custom_fields = tuple(f.name for f in spec.fields if f.custom) if custom else None
        self.child_plans = []
        for t in self.children:
            chain = []  # (nested field, kind) from the record down to this table
            node: Table | None = t
            while node is not None and node.kind != "main":
                chain.append((node.path[-1], node.kind))
                node = by_name.get(node.parent) if node.parent else None
            t_types = types.get(t.name, {})
            roles = tuple((c, _getter(c, t_types, dest)) for c in t.columns if c.role in BUILT_ROLES)
            rows = _compile_child(tuple(reversed(chain)), _getters(t, t_types, dest, self.cleaning), self.cleaning,
                                  roles)
            self.child_plans.append((t.name, rows))
        self.keys = spec.key_fields
        self.hash = _Hasher()

    def _compile_main(self, spec: ObjectSpec, types: dict[str, str], dest: Destination
                      ) -> Callable[[Any], tuple[Any, ...]]:
        """schema.RECORD_META (Scoro's own timestamps as metadata columns, never widened, and the deleted
        flag), then the field columns: one generated function, so the timestamps convert inline too."""
        env: dict[str, Any] = {"_clean": self.cleaning}
        stamp = dest.converter("datetime")
        flag = "bool(get('IsDeleted'))" if spec.field_named("IsDeleted") is not None else "False"
        lead = (_converted("get('CreatedDate')", stamp, env), _converted("get('UpdatedDate')", stamp, env),
                _converted(flag, dest.converter("boolean"), env))
        return _compile(_getters(self.main, types, dest, self.cleaning), "objects", lead, env)

    def build(self, record: dict[str, Any]) -> BuiltRecord:
        if self.custom_fields is not None:
            record = {**record, CUSTOM_FIELDS: [{"ID": name, "Value": record[name]} for name in self.custom_fields
                                                if record.get(name) is not None]}
        values = self.main_values(record)
        children: dict[str, list[tuple[Any, ...]]] = {}
        keys = self.keys
        rid = str(record.get(keys[0])) if len(keys) == 1 and record.get(keys[0]) is not None \
            else remote_id(self.spec, record)
        account = self.account
        for name, rows in self.child_plans:
            children[name] = rows(record, account, rid)
        self.cleaning.row_done()
        return BuiltRecord(rid, values, children, self.hash((values, children) if children else values))
