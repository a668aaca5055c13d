"""--replica: the same SQL on a mirror made by replication gives the same rows as on the live API."""

from __future__ import annotations

import pytest

from scorolink.errors import InvalidInput
from scorolink.query.engine import QueryEngine
from scorolink.replicate.engine import ReplicateOptions, replicate
from scorolink.replicate.schema import MirrorOptions
from tests.conftest import endpoint_counts

OBJECTS = ["Invoices", "Companies", "People", "Projects", "Tasks", "TimeEntries", "Products", "ProjectComments"]

QUERIES = [
    "SELECT Id, DocumentNumber, Sum, Date, Status, UpdatedDate FROM Invoices ORDER BY Id",
    "SELECT * FROM Projects ORDER BY Id",
    "SELECT Status, COUNT(*) AS n, SUM(Sum) AS total, MAX(Date) FROM Invoices GROUP BY Status ORDER BY Status",
    "SELECT i.Id, c.Name FROM Invoices i JOIN Companies c ON c.Id = i.CompanyId ORDER BY i.Id",
    "SELECT c.Name, COUNT(i.Id) FROM Companies c LEFT JOIN Invoices i ON i.CompanyId = c.Id GROUP BY c.Name "
    "ORDER BY 2 DESC, 1",
    "SELECT Id, Lines FROM Invoices WHERE Id IN (1, 2) ORDER BY Id",
    "SELECT Id, Duration FROM TimeEntries WHERE StartDatetime >= '2025-01-01' ORDER BY Id",
    "SELECT Name FROM Companies WHERE Id IN (SELECT CompanyId FROM Invoices WHERE Sum > 500) ORDER BY Name",
    "SELECT Name, LastName FROM People WHERE LastName LIKE '%a%' ORDER BY 1, 2",
    "SELECT p.ProjectName, COUNT(t.Id) FROM Projects p JOIN Tasks t ON t.ProjectId = p.Id GROUP BY 1 ORDER BY 1",
    "SELECT ObjectId, COUNT(*) FROM ProjectComments GROUP BY ObjectId ORDER BY 1",
    "SELECT Id, Price FROM Products WHERE Price > 10 ORDER BY Price DESC, Id LIMIT 3",
]


@pytest.fixture
def mirror(tmp_path, connector):
    path = tmp_path / "mirror.db"
    summary = replicate(connector, f"sqlite:///{path}",
                        ReplicateOptions(objects=OBJECTS, mirror=MirrorOptions(nested="json")))
    assert not summary.failed
    return f"sqlite:///{path}"


@pytest.mark.parametrize("sql", QUERIES)
def test_live_and_replica_give_the_same_rows(sandbox, connector, mirror, sql):
    live = QueryEngine(connector).execute(sql)
    sandbox.reset_stats()
    replica = QueryEngine(replica=mirror).execute(sql)
    assert endpoint_counts(sandbox) == {}  # the replica sends nothing to Scoro
    assert replica.columns == live.columns
    assert replica.rows == live.rows
    assert live.rows


def test_replica_errors_say_what_to_do(tmp_path, mirror):
    with pytest.raises(InvalidInput, match="no such file"):
        QueryEngine(replica=f"sqlite:///{tmp_path}/none.db").execute("SELECT Id FROM Invoices")
    with pytest.raises(InvalidInput, match="has no table Bills"):
        QueryEngine(replica=mirror).execute("SELECT Id FROM Bills")
    with pytest.raises(InvalidInput, match="DELETE changes Scoro"):
        QueryEngine(replica=mirror).execute("DELETE FROM Invoices WHERE Id = 1")


def test_nested_columns_need_a_json_mirror(tmp_path, connector):
    path = tmp_path / "separate.db"
    replicate(connector, f"sqlite:///{path}", ReplicateOptions(objects=["Invoices"]))
    with pytest.raises(InvalidInput, match="Invoices_Lines"):
        QueryEngine(replica=f"sqlite:///{path}").execute("SELECT Id, Lines FROM Invoices")


@pytest.mark.parametrize("sql", [QUERIES[0], QUERIES[2], QUERIES[3], QUERIES[5]])
def test_postgresql_mirror_gives_the_same_rows(connector, postgres_url, sql):
    replicate(connector, postgres_url, ReplicateOptions(objects=["Invoices", "Companies"],
                                                        mirror=MirrorOptions(nested="json")))
    assert QueryEngine(replica=postgres_url).execute(sql).rows == QueryEngine(connector).execute(sql).rows


def test_duckdb_mirror_gives_the_same_rows(tmp_path, connector):
    pytest.importorskip("duckdb")
    url = f"duckdb:///{tmp_path}/m.duckdb"
    replicate(connector, url, ReplicateOptions(objects=["Invoices", "Companies"], mirror=MirrorOptions(nested="json")))
    for sql in (QUERIES[0], QUERIES[2], QUERIES[3], QUERIES[5]):
        assert QueryEngine(replica=url).execute(sql).rows == QueryEngine(connector).execute(sql).rows, sql


@pytest.mark.parametrize("db", ["sqlite", "postgresql", "duckdb"])
def test_a_synchub_schema_mirror_is_read_through_its_own_names(request, tmp_path, sandbox, connector, db):
    """A `--schema synchub` mirror keeps Invoices as `Invoice` with SyncHub's columns: the replica finds
    each object's table and each field's column from the mirror's settings, and gives the live rows."""
    url = {"sqlite": f"sqlite:///{tmp_path / 'synchub.db'}", "duckdb": f"duckdb:///{tmp_path / 'synchub.duckdb'}",
           "postgresql": request.getfixturevalue("postgres_url") if db == "postgresql" else ""}[db]
    summary = replicate(connector, url, ReplicateOptions(objects=OBJECTS, mirror=MirrorOptions(schema="synchub")))
    assert not summary.failed
    for sql in [q for q in QUERIES if "Lines" not in q]:
        live = QueryEngine(connector).execute(sql)
        sandbox.reset_stats()
        replica = QueryEngine(replica=url).execute(sql)
        assert endpoint_counts(sandbox) == {}
        assert (replica.columns, replica.rows) == (live.columns, live.rows), sql
    with pytest.raises(InvalidInput, match=r"has no table Bill; .*--objects Bills --schema synchub"):
        QueryEngine(replica=url).execute("SELECT Id FROM Bills")
