"""Request patterns of SELECT, counted by the sandbox."""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import endpoint_counts
from tests.query.conftest import sent


def _grow(sandbox, module: str, n: int) -> None:
    sandbox.set_count(sandbox.default["site"], module, n)
    sandbox.reset_stats()


def test_equality_on_the_key_is_one_request(sandbox, engine):
    result = engine.execute("SELECT Id, DocumentNumber, Sum FROM Invoices WHERE Id = 5")
    assert endpoint_counts(sandbox) == {"invoices/list": 1}
    assert result.requests == 1
    assert result.columns == ["Id", "DocumentNumber", "Sum"]
    assert len(result.rows) == 1 and result.rows[0][0] == 5 and isinstance(result.rows[0][2], Decimal)
    assert sent(sandbox, "invoices")[0]["body"]["filter"] == {"id": 5}


def test_range_on_a_date_is_pushed(sandbox, engine, connector):
    everything = list(connector.read("Invoices", columns=["Id", "Date"]))
    sandbox.reset_stats()
    result = engine.execute("SELECT Id FROM Invoices WHERE Date >= '2025-01-01' AND Date < '2025-03-01'")
    assert endpoint_counts(sandbox) == {"invoices/list": 1}
    assert sent(sandbox, "invoices")[0]["body"]["filter"] == {"date": {"from_date": "2025-01-01",
                                                                      "to_date": "2025-02-28"}}
    expected = sorted(r["Id"] for r in everything if r["Date"] and "2025-01-01" <= r["Date"].isoformat() < "2025-03-01")
    assert sorted(r[0] for r in result.rows) == expected


def test_between_is_pushed_as_a_range(sandbox, engine):
    engine.execute("SELECT Id FROM Invoices WHERE Date BETWEEN '2025-01-01' AND '2025-01-31'")
    assert sent(sandbox, "invoices")[0]["body"]["filter"] == {"date": {"from_date": "2025-01-01",
                                                                      "to_date": "2025-01-31"}}


def test_in_list_takes_one_request_per_value_and_no_scan(sandbox, engine, connector):
    _grow(sandbox, "invoices", 250)
    ids = sorted(r["Id"] for r in connector.read("Invoices", columns=["Id"]))
    wanted = [ids[0], ids[1], ids[-1]]
    sandbox.reset_stats()
    result = engine.execute(f"SELECT Id FROM Invoices WHERE Id IN ({', '.join(map(str, wanted))})")
    assert sorted(r[0] for r in result.rows) == wanted
    # a full scan would be 3 pages; one filtered request per value is the fewest Scoro allows
    assert endpoint_counts(sandbox) == {"invoices/list": 3}
    assert sorted(e["body"]["filter"]["id"] for e in sent(sandbox, "invoices")) == wanted


def test_or_of_equalities_is_an_in_list(sandbox, engine):
    result = engine.execute("SELECT Id FROM Invoices WHERE Id = 1 OR Id = 2")
    assert sorted(r[0] for r in result.rows) == [1, 2]
    assert endpoint_counts(sandbox) == {"invoices/list": 2}


def test_a_predicate_scoro_cannot_filter_is_a_full_scan_filtered_locally(sandbox, engine, connector):
    _grow(sandbox, "invoices", 250)
    result = engine.execute("SELECT Id FROM Invoices WHERE Description LIKE '%a%' OR Sum > 100")
    assert endpoint_counts(sandbox) == {"invoices/list": 3}
    assert all(not e["body"].get("filter") for e in sent(sandbox, "invoices"))
    rows = list(connector.read("Invoices", columns=["Id", "Description", "Sum"]))
    expected = sorted(r["Id"] for r in rows if "a" in (r["Description"] or "").lower() or (r["Sum"] or 0) > 100)
    assert sorted(r[0] for r in result.rows) == expected


def test_limit_is_pushed_only_when_the_whole_where_was(sandbox, engine):
    _grow(sandbox, "invoices", 250)
    result = engine.execute("SELECT Id FROM Invoices LIMIT 5")
    assert len(result.rows) == 5 and endpoint_counts(sandbox) == {"invoices/list": 1}
    sandbox.reset_stats()
    engine.execute("SELECT Id FROM Invoices WHERE Status = 'paid' LIMIT 3")
    assert endpoint_counts(sandbox) == {"invoices/list": 1}
    sandbox.reset_stats()
    result = engine.execute("SELECT Id FROM Invoices WHERE Sum > 0 LIMIT 5")  # Sum > is not a native filter
    assert len(result.rows) == 5 and endpoint_counts(sandbox) == {"invoices/list": 3}
    sandbox.reset_stats()
    engine.execute("SELECT Id FROM Invoices ORDER BY Sum DESC LIMIT 5")  # the order is not Scoro's
    assert endpoint_counts(sandbox) == {"invoices/list": 3}


def test_only_selected_columns_are_fetched(sandbox, engine):
    engine.execute("SELECT Id, DocumentNumber FROM Invoices")
    page = sent(sandbox, "invoices")[0]["body"]
    assert not page.get("detailed_response") and page["per_page"] == 100
    sandbox.reset_stats()
    result = engine.execute("SELECT Id, Lines FROM Invoices WHERE Id = 5")  # nested: a detailed list page
    page = sent(sandbox, "invoices")[0]["body"]
    assert page.get("detailed_response") and endpoint_counts(sandbox) == {"invoices/list": 1}
    assert isinstance(result.rows[0][1], list) and result.rows[0][1]


def test_star_means_plain_list_columns_and_binaries_only_when_named(sandbox, engine):
    result = engine.execute("SELECT * FROM Files")
    assert "Content" not in result.columns
    assert set(endpoint_counts(sandbox)) == {"files/list"}
    assert not sent(sandbox, "files")[0]["body"].get("detailed_response")
    n = len(result.rows)
    sandbox.reset_stats()
    result = engine.execute("SELECT Id, Content FROM Files")
    counts = endpoint_counts(sandbox)
    assert counts.pop("files/list") == 1 and sum(counts.values()) == n  # one download per file
    assert all(isinstance(r[1], bytes) for r in result.rows)


def test_join_on_keys_fetches_the_inner_side_by_key(sandbox, engine, connector):
    result = engine.execute("SELECT i.Id, c.Name FROM Invoices i JOIN Companies c ON c.Id = i.CompanyId "
                            "WHERE i.Id IN (1, 2, 3)")
    contact_lists = sent(sandbox, "contacts")
    invoices = [r for r in connector.read("Invoices", columns=["Id", "CompanyId"]) if r["Id"] in (1, 2, 3)]
    companies = {r["Id"]: r["Name"] for r in connector.read("Companies", columns=["Id", "Name"])}
    expected = sorted((r["Id"], companies[r["CompanyId"]]) for r in invoices if r["CompanyId"] in companies)
    assert sorted(result.rows) == expected and expected
    keys = {r["CompanyId"] for r in invoices if r["CompanyId"]}
    assert len(contact_lists) == len(keys)  # by key: never a listing of every contact
    assert {e["body"]["filter"]["contact_id"] for e in contact_lists} == keys
    assert all(e["body"]["filter"]["contact_type"] == "company" for e in contact_lists)


def test_join_with_many_keys_scans_the_inner_side_once(sandbox, connector):
    from scorolink.query.engine import QueryEngine

    connector.custom_fields()
    sandbox.reset_stats()
    engine = QueryEngine(connector, lookup_limit=2)
    result = engine.execute("SELECT t.Id, p.ProjectName FROM Tasks t JOIN Projects p ON p.Id = t.ProjectId")
    assert endpoint_counts(sandbox) == {"tasks/list": 1, "projects/list": 1}
    assert result.rows and any("exceed the lookup limit" in n for n in result.notes)


def test_left_join_does_not_narrow_the_preserved_side(sandbox, engine, connector):
    result = engine.execute("SELECT c.Id, i.Id FROM Companies c LEFT JOIN Invoices i ON i.CompanyId = c.Id")
    companies = list(connector.read("Companies", columns=["Id"]))
    assert {r[0] for r in result.rows} == {r["Id"] for r in companies}


def test_group_by_order_by_and_subqueries_run_locally(sandbox, engine, connector):
    result = engine.execute(
        "SELECT Status, COUNT(*) AS n, SUM(Sum) AS total FROM Invoices GROUP BY Status ORDER BY n DESC, Status")
    invoices = list(connector.read("Invoices", columns=["Status", "Sum"]))
    expected: dict[str, list] = {}
    for r in invoices:
        expected.setdefault(r["Status"], []).append(r["Sum"])
    assert {r[0]: (r[1], r[2]) for r in result.rows} == {k: (len(v), sum(v)) for k, v in expected.items()}
    assert [r[1] for r in result.rows] == sorted((r[1] for r in result.rows), reverse=True)
    sub = engine.execute("SELECT Name FROM Companies WHERE Id IN (SELECT CompanyId FROM Invoices WHERE Sum > "
                         "(SELECT AVG(Sum) FROM Invoices)) ORDER BY Name")
    avg = sum(r["Sum"] for r in invoices) / len(invoices)
    ids = {r["CompanyId"] for r in connector.read("Invoices", columns=["CompanyId", "Sum"]) if r["Sum"] > avg}
    names = sorted(r["Name"] for r in connector.read("Companies", columns=["Id", "Name"]) if r["Id"] in ids)
    assert [r[0] for r in sub.rows] == names


def test_names_are_case_insensitive(sandbox, engine):
    a = engine.execute("select id, documentnumber from INVOICES where ID = 5")
    b = engine.execute("SELECT Id, DocumentNumber FROM Invoices WHERE Id = 5", use_cache=False)
    assert a.rows == b.rows and a.columns == ["Id", "DocumentNumber"]


def test_nested_values_are_json_columns_usable_with_json_each(sandbox, engine, connector):
    result = engine.execute("SELECT i.Id, json_extract(l.value, '$.ProductId') AS product "
                            "FROM Invoices i, json_each(i.Lines) l WHERE i.Id = 5")
    lines = next(r for r in connector.read("Invoices", columns=["Id", "Lines"]) if r["Id"] == 5)["Lines"]
    assert [r[1] for r in result.rows] == [line["ProductId"] for line in lines]


def test_per_parent_objects_read_only_the_named_parents(sandbox, engine):
    engine.execute("SELECT Id, Comment FROM ProjectComments WHERE ObjectId = 5")
    assert endpoint_counts(sandbox) == {"comments/list": 1}


def test_a_lookup_dearer_than_a_known_scan_becomes_the_scan(sandbox, engine, connector):
    tasks = list(connector.read("Tasks", columns=["Id", "ProjectId"]))
    projects = {r["ProjectId"] for r in tasks if r["ProjectId"]}
    assert len(projects) > 1
    sql = "SELECT t.Id, p.ProjectName FROM Tasks t JOIN Projects p ON p.Id = t.ProjectId"
    sandbox.reset_stats()
    first = engine.execute(sql)
    assert endpoint_counts(sandbox) == {"tasks/list": 1, "projects/list": len(projects)}  # size not known yet
    engine.execute("SELECT COUNT(*) FROM Projects")  # one page: now the engine knows a scan costs 1
    sandbox.reset_stats()
    again = engine.execute(sql, use_cache=False)
    assert endpoint_counts(sandbox) == {"tasks/list": 1, "projects/list": 1}
    assert sorted(again.rows) == sorted(first.rows)


def test_datetime_literals_compare_as_moments_in_any_notation(sandbox, engine, connector):
    rows = sorted(connector.read("Invoices", columns=["Id", "UpdatedDate"]), key=lambda r: r["UpdatedDate"])
    pivot = rows[len(rows) // 2]["UpdatedDate"]
    from datetime import timedelta, timezone

    local = pivot.astimezone(timezone(timedelta(hours=2))).isoformat()  # same moment, +02:00 notation
    result = engine.execute(f"SELECT Id FROM Invoices WHERE UpdatedDate >= '{local}'")
    assert sorted(r[0] for r in result.rows) == sorted(r["Id"] for r in rows if r["UpdatedDate"] >= pivot)
    sent_filter = sent(sandbox, "invoices")[-1]["body"]["filter"]
    assert "modified_date" in sent_filter


def test_aliases_never_collide_with_local_tables(sandbox, engine):
    result = engine.execute("SELECT q2.Id, q1.Name FROM Invoices AS q2 JOIN Companies AS q1 ON q1.Id = q2.CompanyId "
                            "WHERE q2.Id = 1")
    plain = engine.execute("SELECT i.Id, c.Name FROM Invoices i JOIN Companies c ON c.Id = i.CompanyId WHERE i.Id = 1")
    assert result.rows == plain.rows and result.rows
