from __future__ import annotations

from decimal import Decimal

import pytest

import scorolink.dbapi as dbapi
from tests.conftest import endpoint_counts


def test_module_globals():
    assert (dbapi.apilevel, dbapi.threadsafety, dbapi.paramstyle) == ("2.0", 1, "qmark")
    for name in ("Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError",
                 "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError"):
        assert issubclass(getattr(dbapi, name), Exception)
    assert issubclass(dbapi.ProgrammingError, dbapi.DatabaseError) and issubclass(dbapi.DatabaseError, dbapi.Error)


def test_cursor_select(sandbox, connector):
    connector.custom_fields()
    sandbox.reset_stats()
    with dbapi.connect(connector) as conn:
        cur = conn.cursor()
        cur.execute("SELECT Id, Sum, Date FROM Invoices WHERE Id IN (?, ?) ORDER BY Id", (1, 2))
        assert [d[0] for d in cur.description] == ["Id", "Sum", "Date"]
        assert cur.description[0][1] == dbapi.NUMBER and cur.description[2][1] == dbapi.DATETIME
        assert cur.rowcount == 2 and cur.requests == 2
        first = cur.fetchone()
        assert first[0] == 1 and isinstance(first[1], Decimal)
        assert cur.fetchmany(5) == [cur._rows[1]] and cur.fetchall() == [] and cur.fetchone() is None
        cur.execute("SELECT Id FROM Invoices WHERE Id IN (?, ?) ORDER BY Id", (1, 2))
        assert list(cur) == [(1,), (2,)]
        cur.execute("SELECT Id FROM Invoices WHERE Id IN (?, ?) ORDER BY Id", (1, 2))  # cached
        assert cur.requests == 0
    assert endpoint_counts(sandbox) == {"invoices/list": 4}


def test_errors_map_to_the_pep_249_classes(sandbox, connector):
    conn = dbapi.connect(connector)
    cur = conn.cursor()
    with pytest.raises(dbapi.ProgrammingError, match="syntax error"):
        cur.execute("SELEC Id FROM Invoices")
    with pytest.raises(dbapi.ProgrammingError, match="Did you mean Invoices"):
        cur.execute("SELECT Id FROM Invoicez")
    with pytest.raises(dbapi.DataError):
        cur.execute("SELECT Id FROM Invoices WHERE Date = ?", ["someday"])
    with pytest.raises(dbapi.NotSupportedError, match="allowed"):
        cur.execute("UPDATE Users SET Email = 'x' WHERE Id = 1")
    with pytest.raises(dbapi.IntegrityError, match="--yes"):
        cur.execute("DELETE FROM Tasks")
    with pytest.raises(dbapi.NotSupportedError):
        conn.rollback()
    conn.close()
    with pytest.raises(dbapi.InterfaceError):
        conn.cursor()


def test_dml_rowcount_returning_and_allow_many(sandbox, connector):
    conn = dbapi.connect(connector, allow_many=True)
    cur = conn.cursor()
    cur.execute("INSERT INTO Companies (Name) VALUES (?)", ["DB-API Ltd"])
    assert cur.rowcount == 1 and cur.description is None
    with pytest.raises(dbapi.ProgrammingError, match="RETURNING"):
        cur.fetchall()
    cur.execute("UPDATE Companies SET Comments = 'seen' WHERE Name LIKE 'DB-API%' OR Id = 1 RETURNING Id")
    assert cur.rowcount == 2 and len(cur.fetchall()) == 2
    cur.executemany("INSERT INTO Companies (Name) VALUES (?)", [["a"], ["b"]])
    assert cur.rowcount == 2
    conn.commit()


def test_connect_without_arguments_uses_the_bundled_sandbox(monkeypatch):
    for var in ("SCORO_API_KEY", "SCORO_USERNAME", "SCORO_PASSWORD", "SCORO_BASE_URL", "SCORO_SUBDOMAIN"):
        monkeypatch.delenv(var, raising=False)
    with dbapi.connect() as conn:
        cur = conn.cursor()
        cur.execute("SELECT COUNT(*) FROM Projects")
        assert cur.fetchone()[0] > 0
