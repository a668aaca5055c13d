"""INSERT / UPDATE / DELETE through the connector, for every object and operation the DML table lists."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scorolink.catalog.scoro import CATALOG
from scorolink.connectors.base import Condition
from scorolink.errors import InvalidValue, OperationNotAllowed, UnknownName
from scorolink.query.dml import ConfirmationRequired
from tests.conftest import endpoint_counts
from tests.standard.test_every_object import WRITABLE, _editable_string, _insert_case


def _allowing(op: str) -> list[str]:
    return [n for n in WRITABLE if CATALOG.get(n).allows(op)]


@pytest.mark.parametrize("name", _allowing("insert"))
def test_insert_values_for_every_object_that_allows_it(sandbox, connector, engine, name):
    spec = connector.spec(name)
    record = _insert_case(connector, spec)
    before = sum(1 for _ in connector.read(name, columns=list(spec.key_fields)))
    cols = list(record)
    result = engine.execute(f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)}) "
                            f"RETURNING {', '.join(spec.key_fields)}", [record[c] for c in cols])
    assert result.rowcount == 1 and len(result.rows) == 1
    assert result.columns == list(spec.key_fields)
    assert sum(1 for _ in connector.read(name, columns=list(spec.key_fields))) == before + 1


@pytest.mark.parametrize("name", _allowing("update"))
def test_update_where_for_every_object_that_allows_it(sandbox, connector, engine, name):
    spec = connector.spec(name)
    field = _editable_string(spec)
    target = next(iter(connector.read(name)))
    where = " AND ".join(f"{k} = ?" for k in spec.key_fields)
    result = engine.execute(f"UPDATE {name} SET {field} = ? WHERE {where}",
                            ["changed by SQL", *[target[k] for k in spec.key_fields]])
    assert result.rowcount == 1
    after = list(connector.read(name, [Condition(k, "=", target[k]) for k in spec.key_fields]))
    assert [r[field] for r in after] == ["changed by SQL"]


@pytest.mark.parametrize("name", _allowing("delete"))
def test_delete_where_for_every_object_that_allows_it(sandbox, connector, engine, name):
    spec = connector.spec(name)
    key = spec.key_fields[0]
    target = next(iter(connector.read(name, columns=[key])))
    result = engine.execute(f"DELETE FROM {name} WHERE {key} = ?", [target[key]])
    assert result.rowcount == 1
    assert target[key] not in {r[key] for r in connector.read(name, columns=[key])}


def test_insert_returning_gives_the_saved_rows_with_their_ids(sandbox, engine, connector):
    result = engine.execute("INSERT INTO Companies (Name, Comments) VALUES ('SQL One', 'a'), ('SQL Two', 'b') "
                            "RETURNING Id, Name, upper(Comments) AS c")
    assert [r[1:] for r in result.rows] == [("SQL One", "A"), ("SQL Two", "B")]
    ids = [r[0] for r in result.rows]
    assert all(isinstance(i, int) for i in ids)
    names = {r["Id"]: r["Name"] for r in connector.read("Companies", columns=["Id", "Name"])}
    assert [names[i] for i in ids] == ["SQL One", "SQL Two"]
    assert endpoint_counts(sandbox)["contacts/modify"] == 2


def test_insert_select_copies_rows(sandbox, engine, connector):
    before = len(list(connector.read("Companies", columns=["Id"])))
    result = engine.execute("INSERT INTO Companies (Name, Comments) SELECT Name || ' (copy)', 'copied' "
                            "FROM Companies WHERE Id IN (1, 2) RETURNING Name")
    assert result.rowcount == 2
    assert all(r[0].endswith(" (copy)") for r in result.rows)
    assert len(list(connector.read("Companies", columns=["Id"]))) == before + 2


def test_update_and_delete_of_many_rows_need_confirmation(sandbox, engine, connector):
    people = list(connector.read("People", columns=["Id", "Comments"]))
    sandbox.reset_stats()
    with pytest.raises(ConfirmationRequired, match=f"would change {len(people)} People rows; nothing was changed"):
        engine.execute("UPDATE People SET Comments = 'bulk'")
    assert not [k for k in endpoint_counts(sandbox) if k.endswith("/modify") or k.endswith("/delete")]
    assert [r["Comments"] for r in connector.read("People", columns=["Comments"])] == [p["Comments"] for p in people]
    result = engine.execute("UPDATE People SET Comments = 'bulk' RETURNING Id, Comments", confirm=True)
    assert result.rowcount == len(people) and {r[1] for r in result.rows} == {"bulk"}
    with pytest.raises(ConfirmationRequired):
        engine.execute("DELETE FROM People WHERE Comments = 'bulk'")
    assert len(list(connector.read("People", columns=["Id"]))) == len(people)


def test_update_with_an_expression_uses_each_rows_value(sandbox, engine, connector):
    before = {r["Id"]: r["Name"] for r in connector.read("Companies", columns=["Id", "Name"])}
    engine.execute("UPDATE Companies SET Name = Name || '!' WHERE Id = 1")
    after = {r["Id"]: r["Name"] for r in connector.read("Companies", columns=["Id", "Name"])}
    assert after[1] == before[1] + "!" and all(after[k] == v for k, v in before.items() if k != 1)


def test_operations_not_allowed_are_refused_with_the_allowed_list_before_any_request(sandbox, engine):
    with pytest.raises(OperationNotAllowed, match=r"Files does not allow update; allowed: delete, insert, select"):
        engine.execute("UPDATE Files SET FileName = 'x' WHERE Id = 1")
    with pytest.raises(OperationNotAllowed, match=r"PriceLists does not allow delete; allowed: insert, select, update"):
        engine.execute("DELETE FROM PriceLists WHERE Id = 1")
    read_only = next(s.name for s in CATALOG if s.read_only)
    with pytest.raises(OperationNotAllowed, match="allowed: select"):
        engine.execute(f"DELETE FROM {read_only}")
    assert endpoint_counts(sandbox) == {}


def test_wrong_typed_values_are_rejected_before_any_request(sandbox, engine):
    with pytest.raises(InvalidValue, match="Field Sum: 'lots' is not a valid decimal"):
        engine.execute("UPDATE Invoices SET Sum = 'lots' WHERE Id = 1")
    with pytest.raises(InvalidValue, match="Row 2"):
        engine.execute("INSERT INTO Projects (ProjectName, Deadline) VALUES ('a', '2025-01-01'), ('b', 'soon')")
    with pytest.raises(InvalidValue, match="Field Id"):
        engine.execute("SELECT Id FROM Invoices WHERE Id = 'five'")
    with pytest.raises(UnknownName, match="Did you mean Name"):
        engine.execute("INSERT INTO Companies (Nmae) VALUES ('x')")
    assert endpoint_counts(sandbox) == {}


def test_returning_names_are_checked_before_writing(sandbox, engine):
    with pytest.raises(UnknownName):
        engine.execute("INSERT INTO Companies (Name) VALUES ('x') RETURNING Nope")
    assert endpoint_counts(sandbox) == {}


def test_a_write_clears_the_cache(sandbox, connector):
    from scorolink.query.cache import MemoryCache
    from scorolink.query.engine import QueryEngine

    engine = QueryEngine(connector, cache=MemoryCache(ttl=300))
    first = engine.execute("SELECT Name FROM Companies WHERE Id = 1")
    assert engine.execute("SELECT Name FROM Companies WHERE Id = 1").cached
    engine.execute("UPDATE Companies SET Name = 'Renamed' WHERE Id = 1")
    again = engine.execute("SELECT Name FROM Companies WHERE Id = 1")
    assert not again.cached and again.rows == [("Renamed",)] != first.rows


def test_money_goes_to_scoro_as_decimal(sandbox, engine, connector):
    engine.execute("UPDATE Products SET Price = 12.345 WHERE Id = 1")
    [p] = list(connector.read("Products", [Condition("Id", "=", 1)], columns=["Price"]))
    assert p["Price"] == Decimal("12.345")


def test_rows_scoro_refuses_are_reported_and_the_others_written(sandbox, engine, connector):
    from scorolink.query.dml import WriteFailed

    task = next(iter(connector.read("Tasks", columns=["Id"])))["Id"]
    user = next(iter(connector.read("Users", columns=["Id"])))["Id"]
    before = len(list(connector.read("TimeEntries", columns=["Id"])))
    with pytest.raises(WriteFailed, match=r"1 of 2 TimeEntries row\(s\) were not written \(1 were\): row 2: .*"
                                          r"event 999999 does not exist"):
        engine.execute(f"INSERT INTO TimeEntries (EventId, UserId, Duration) VALUES ({task}, {user}, '01:00:00'), "
                       f"(999999, {user}, '01:00:00')")
    assert len(list(connector.read("TimeEntries", columns=["Id"]))) == before + 1
