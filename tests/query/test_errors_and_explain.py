"""Bad input is refused with a message that says what to fix, before any request; --explain tells
what would be pushed, what runs locally, and how many requests to expect."""

from __future__ import annotations

import pytest

from scorolink.errors import InvalidInput, UnknownName
from scorolink.query.explain import render
from scorolink.query.parse import SqlSyntaxError
from scorolink.query.plan import AmbiguousColumn
from tests.conftest import endpoint_counts


@pytest.mark.parametrize(("sql", "line", "column"), [
    ("SELECT Id FROM", 1, 14),
    ("SELECT Id\nFROM Invoices WHERE Id = = 1", 2, 26),
    ("SELECT Id FROM Invoices WHERE Name = 'open", 1, 38),
])
def test_syntax_errors_give_the_position(sandbox, engine, sql, line, column):
    with pytest.raises(SqlSyntaxError) as info:
        engine.execute(sql)
    assert (info.value.line, info.value.column) == (line, column)
    assert f"line {line}, column {column}" in str(info.value)
    assert endpoint_counts(sandbox) == {}


def test_unknown_object_and_column_name_the_closest_match(sandbox, engine):
    with pytest.raises(UnknownName, match="Unknown object: 'Invoice'. Did you mean Invoices"):
        engine.execute("SELECT Id FROM Invoice")
    with pytest.raises(UnknownName, match="Unknown column of Invoices: 'DocumentNo'. Did you mean DocumentNumber"):
        engine.execute("SELECT DocumentNo FROM Invoices")
    with pytest.raises(UnknownName, match="Unknown column of Companies: 'Nme'"):
        engine.execute("SELECT i.Id FROM Invoices i JOIN Companies c ON c.Id = i.CompanyId WHERE c.Nme = 'x'")
    with pytest.raises(UnknownName, match="table or alias"):
        engine.execute("SELECT x.Id FROM Invoices i")
    assert endpoint_counts(sandbox) == {}


def test_ambiguous_columns_must_be_qualified(sandbox, engine):
    with pytest.raises(AmbiguousColumn, match="qualify it"):
        engine.execute("SELECT Id FROM Invoices i JOIN Companies c ON c.Id = i.CompanyId")


def test_only_one_statement_of_a_supported_kind(engine):
    with pytest.raises(SqlSyntaxError, match="one statement at a time"):
        engine.execute("SELECT 1 FROM Invoices; SELECT 2 FROM Invoices")
    with pytest.raises(SqlSyntaxError, match="DROP is not supported"):
        engine.execute("DROP TABLE Invoices")


def test_parameters(sandbox, engine):
    assert engine.execute("SELECT Id FROM Invoices WHERE Id = ?", [5]).rows == [(5,)]
    assert engine.execute("SELECT Id FROM Invoices WHERE Id = :id", {"id": 6}).rows == [(6,)]
    with pytest.raises(InvalidInput, match=r"has 2 \? placeholder"):
        engine.execute("SELECT Id FROM Invoices WHERE Id = ? OR Id = ?", [5])
    with pytest.raises(InvalidInput, match=":id"):
        engine.execute("SELECT Id FROM Invoices WHERE Id = :id", {"other": 1})


def test_explain_shows_pushed_and_local_parts_and_sends_nothing(sandbox, engine):
    info = engine.explain("SELECT i.Id, c.Name FROM Invoices i JOIN Companies c ON c.Id = i.CompanyId "
                          "WHERE i.Date >= '2025-01-01' AND i.Description LIKE '%x%' AND c.Name LIKE 'A%'")
    assert endpoint_counts(sandbox) == {}
    invoices, companies = info["objects"]
    assert invoices["object"] == "Invoices" and invoices["pushed"] == ["i.\"Date\" >= '2025-01-01'"]
    assert invoices["local"] == ["i.\"Description\" LIKE '%x%'"]
    assert companies["join_lookup"] == "c.Id IN (distinct i.CompanyId)"
    assert "one request per distinct Id" in companies["expected_requests"]
    text = render(info)
    assert "pushed:" in text and "local:" in text and "Expected requests: at least 1" in text


def test_explain_counts_requests(engine):
    key = engine.explain("SELECT Id FROM Invoices WHERE Id = 3")["objects"][0]
    assert key["expected_requests"].startswith("1 request (key equality)")
    inlist = engine.explain("SELECT Id FROM Invoices WHERE Id IN (1, 2, 3)")
    assert inlist["minimum_requests"] == 3
    limit = engine.explain("SELECT Id FROM Invoices LIMIT 150")["objects"][0]
    assert limit["limit_pushed"] == 150 and limit["expected_requests"].startswith("at most 2 request(s)")
    scan = engine.explain("SELECT Id, Lines FROM Invoices WHERE Sum > 5")["objects"][0]
    assert scan["pushed"] == [] and "pages of 25 (detailed list)" in scan["expected_requests"]
    assert scan["detail_columns"] == ["Lines"]
    files = engine.explain("SELECT Id, Content FROM Files")["objects"][0]
    assert "+1 per record for Content" in files["expected_requests"]


def test_explain_of_dml_names_the_writes(sandbox, engine):
    info = engine.explain("DELETE FROM Tasks WHERE ProjectId = 3")
    [tasks] = info["objects"]
    assert tasks["object"] == "Tasks" and any("ProjectId" in p for p in tasks["pushed"] + tasks["local"])
    assert "delete request per matching row" in info["writes"]
    assert endpoint_counts(sandbox) == {}


def test_is_null_on_the_outer_side_of_a_left_join_stays_local(engine):
    info = engine.explain("SELECT c.Id FROM Companies c LEFT JOIN Invoices i ON i.CompanyId = c.Id "
                          "WHERE i.Id IS NULL")
    companies, invoices = sorted(info["objects"], key=lambda o: o["ref"])
    assert invoices["pushed"] == [] and companies["join_lookup"] is None


def test_recursive_ctes_are_accepted_and_a_runaway_one_stops_with_a_clear_error(engine, monkeypatch):
    from scorolink.query.execute import QueryFailed

    counted = engine.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5) "
                             "SELECT x FROM c")
    assert [r[0] for r in counted.rows] == [1, 2, 3, 4, 5] and counted.requests == 0
    monkeypatch.setenv("SCOROLINK_SQL_MAX_ROWS", "1000")
    with pytest.raises(QueryFailed, match="more than 1,000 rows"):
        engine.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c")
    monkeypatch.setenv("SCOROLINK_SQL_TIMEOUT", "0.5")
    with pytest.raises(QueryFailed, match="longer than 0.5 s"):
        engine.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
