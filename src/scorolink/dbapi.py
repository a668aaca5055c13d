"""A PEP 249 (DB-API 2.0) interface to live SQL over Scoro, for notebooks and BI tools.

    import scorolink.dbapi
    conn = scorolink.dbapi.connect()                      # configured account, or the bundled sandbox
    cur = conn.cursor()
    cur.execute("SELECT Id, Name FROM Companies WHERE Id = ?", (7,))
    cur.fetchall()

`connect(connector=..., replica=..., cache_ttl=300, allow_many=False, lookup_limit=50)`;
`allow_many=True` lets UPDATE and DELETE touch more than one row (the CLI's --yes).
Parameters use the `qmark` style (`?`); `:name` with a dict works too. Scoro has no
transactions: every statement is applied at once, `commit()` does nothing and `rollback()` raises.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from scorolink.errors import (
    ConfigError,
    InvalidInput,
    InvalidValue,
    OperationNotAllowed,
    ScorolinkError,
    UnknownName,
)

apilevel = "2.0"
threadsafety = 1  # threads may share the module, not connections
paramstyle = "qmark"


class Warning(Exception):  # noqa: A001 - the name PEP 249 requires
    pass


class Error(Exception):
    pass


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class DataError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


def _translate(exc: ScorolinkError) -> Error:
    from scorolink.query.dml import ConfirmationRequired, WriteFailed

    if isinstance(exc, InvalidValue):
        kind: type[Error] = DataError
    elif isinstance(exc, OperationNotAllowed):
        kind = NotSupportedError
    elif isinstance(exc, ConfirmationRequired):
        kind = IntegrityError
    elif isinstance(exc, WriteFailed):
        kind = OperationalError
    elif isinstance(exc, (InvalidInput, UnknownName, ConfigError)):
        kind = ProgrammingError
    else:
        kind = OperationalError
    error = kind(str(exc))
    error.__cause__ = exc
    return error


# -- type objects and constructors (PEP 249) ---------------------------------------------------------
class _Type:
    def __init__(self, *names: str) -> None:
        self.names = frozenset(names)

    def __eq__(self, other: object) -> bool:
        return other in self.names

    def __hash__(self) -> int:
        return hash(self.names)


STRING = _Type("string", "time", "json")
BINARY = _Type("binary")
NUMBER = _Type("integer", "decimal", "boolean")
DATETIME = _Type("date", "datetime")
ROWID = _Type("rowid")

Date = _dt.date
Time = _dt.time
Timestamp = _dt.datetime


def DateFromTicks(ticks: float) -> _dt.date:  # noqa: N802
    return _dt.date.fromtimestamp(ticks)


def TimeFromTicks(ticks: float) -> _dt.time:  # noqa: N802
    return _dt.datetime.fromtimestamp(ticks).time()


def TimestampFromTicks(ticks: float) -> _dt.datetime:  # noqa: N802
    return _dt.datetime.fromtimestamp(ticks)


def Binary(value: bytes) -> bytes:  # noqa: N802
    return bytes(value)


def _type_code(values: list[Any]) -> str | None:
    from decimal import Decimal

    for v in values:
        if v is None:
            continue
        if isinstance(v, bool) or isinstance(v, int):
            return "integer"
        if isinstance(v, Decimal | float):
            return "decimal"
        if isinstance(v, _dt.datetime):
            return "datetime"
        if isinstance(v, _dt.date):
            return "date"
        if isinstance(v, bytes):
            return "binary"
        return "string"
    return None


class Connection:
    def __init__(self, engine: Any, session: Any = None, allow_many: bool = False) -> None:
        self.engine = engine
        self._session = session
        self.allow_many = allow_many
        self.closed = False

    def cursor(self) -> Cursor:
        self._check()
        return Cursor(self)

    def commit(self) -> None:
        self._check()  # every statement is already applied in Scoro

    def rollback(self) -> None:
        raise NotSupportedError("Scoro has no transactions: each statement is applied when it runs.")

    def close(self) -> None:
        if not self.closed and self._session is not None:
            self._session.close()
        self.closed = True

    def _check(self) -> None:
        if self.closed:
            raise InterfaceError("The connection is closed.")

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Cursor:
    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.description: tuple[tuple[Any, ...], ...] | None = None
        self.rowcount = -1
        self.requests = 0  # Scoro requests the last statement sent
        self._rows: list[tuple[Any, ...]] = []
        self._pos = 0
        self.closed = False

    def execute(self, operation: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None) -> Cursor:
        if self.closed:
            raise InterfaceError("The cursor is closed.")
        self.connection._check()
        try:
            result = self.connection.engine.execute(operation, parameters, confirm=self.connection.allow_many)
        except ScorolinkError as exc:
            raise _translate(exc) from exc
        self._rows = list(result.rows)
        self._pos = 0
        self.rowcount = result.rowcount
        self.requests = result.requests
        if result.columns:
            self.description = tuple(
                (name, _type_code([row[i] for row in self._rows]), None, None, None, None, True)
                for i, name in enumerate(result.columns))
        else:
            self.description = None
        return self

    def executemany(self, operation: str, seq_of_parameters: Sequence[Sequence[Any] | Mapping[str, Any]]) -> Cursor:
        total = 0
        for params in seq_of_parameters:
            self.execute(operation, params)
            total += max(self.rowcount, 0)
        self.rowcount = total
        return self

    def fetchone(self) -> tuple[Any, ...] | None:
        self._need_result()
        if self._pos >= len(self._rows):
            return None
        row = self._rows[self._pos]
        self._pos += 1
        return row

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        self._need_result()
        size = self.arraysize if size is None else size
        rows = self._rows[self._pos:self._pos + size]
        self._pos += len(rows)
        return rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        self._need_result()
        rows = self._rows[self._pos:]
        self._pos = len(self._rows)
        return rows

    def _need_result(self) -> None:
        if self.description is None:
            raise ProgrammingError("The last statement returned no rows (use RETURNING to get written rows).")

    def setinputsizes(self, sizes: Any) -> None:
        pass

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while (row := self.fetchone()) is not None:
            yield row


def connect(connector: Any = None, *, replica: str | None = None, cache_ttl: float = 300,
            allow_many: bool = False, lookup_limit: int = 50, config: str | None = None,
            **settings: Any) -> Connection:
    """Open a connection: to `connector` (a ScoroConnector), to a replication mirror (`replica`
    URL), or else to the account configured by environment / scorolink.toml / `settings`
    (the bundled sandbox when none is configured)."""
    from scorolink.query.cache import MemoryCache
    from scorolink.query.engine import QueryEngine

    cache = MemoryCache(ttl=cache_ttl)
    session = None
    try:
        if connector is None and replica is None:
            from scorolink.session import open_scoro

            session = open_scoro(settings or None, config)
            connector = session.connector
        engine = QueryEngine(connector, replica=replica, cache=cache, lookup_limit=lookup_limit)
    except ScorolinkError as exc:
        raise _translate(exc) from exc
    return Connection(engine, session, allow_many)
