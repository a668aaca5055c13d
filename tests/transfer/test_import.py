"""Import modes, keys, mapping, lookups, nested values, reports and sources."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

import pytest

from scorolink.connectors.base import Condition, WriteOp
from scorolink.errors import OperationNotAllowed
from scorolink.transfer.export import Exporter
from scorolink.transfer.importer import ImportOptions, run_import
from scorolink.transfer.sources import open_source
from tests.conftest import endpoint_counts
from tests.transfer.conftest import read_csv, write_csv


def companies(connector, **where):
    conditions = [Condition(k, "=", v) for k, v in where.items()]
    return list(connector.read("Companies", conditions, columns=["Id", "Name", "Comments", "VATNumber"]))


def test_insert_reports_each_row_with_the_id_it_created(connector, sandbox, do_import, tmp_path):
    path = write_csv(tmp_path / "c.csv", ["Name", "Comments"], [["Import One", "first"], ["Import Two", "second"]])
    sandbox.reset_stats()
    summary = do_import("Companies", path)
    assert (summary.inserted, summary.failed, summary.rows) == (2, 0, 2)
    # one request per row (Scoro has no batch write), plus the account's custom field definitions
    assert endpoint_counts(sandbox) == {"contacts/modify": 2, "customFields/list": 1}
    results = read_csv(tmp_path / "results.csv")
    assert [r["scorolink_outcome"] for r in results] == ["inserted", "inserted"]
    for row in results:
        [saved] = companies(connector, Id=int(row["scorolink_id"]))
        assert (saved["Name"], saved["Comments"]) == (row["Name"], row["Comments"])


def test_update_by_id_and_by_a_natural_key(connector, do_import, tmp_path):
    first, second = companies(connector)[:2]
    by_id = write_csv(tmp_path / "by_id.csv", ["Id", "Comments"], [[first["Id"], "updated by id"]])
    assert do_import("Companies", by_id, mode="update").updated == 1
    by_name = write_csv(tmp_path / "by_name.csv", ["Name", "Comments"], [[second["Name"], "updated by name"]])
    assert do_import("Companies", by_name, mode="update", key="Name").updated == 1
    assert companies(connector, Id=first["Id"])[0]["Comments"] == "updated by id"
    assert companies(connector, Id=second["Id"])[0]["Comments"] == "updated by name"


def test_upsert_updates_what_exists_and_inserts_the_rest(connector, do_import, tmp_path):
    existing = companies(connector)[0]
    before = len(companies(connector))
    path = write_csv(tmp_path / "up.csv", ["Name", "Comments"],
                     [[existing["Name"], "upserted"], ["Brand New Oy", "new"], ["Brand New Oy", "again"]])
    summary = do_import("Companies", path, mode="upsert", key="Name")
    # the third row finds the record the second one created: no duplicate within one file
    assert (summary.updated, summary.inserted) == (2, 1)
    assert len(companies(connector)) == before + 1
    assert companies(connector, Id=existing["Id"])[0]["Comments"] == "upserted"
    assert [c["Comments"] for c in companies(connector, Name="Brand New Oy")] == ["again"]


def test_upsert_by_id_inserts_ids_scoro_does_not_have(connector, do_import, tmp_path):
    existing = companies(connector)[0]
    path = write_csv(tmp_path / "up.csv", ["Id", "Name"], [[existing["Id"], "Renamed AS"], [999999, "From Elsewhere"]])
    summary = do_import("Companies", path, mode="upsert")
    assert (summary.updated, summary.inserted, summary.failed) == (1, 1, 0)
    assert companies(connector, Name="From Elsewhere")


def test_delete_by_natural_key_and_an_ambiguous_key_is_reported_not_guessed(connector, do_import, tmp_path):
    twins = list(connector.write("Companies", [WriteOp("insert", {"Name": "Twin AS"})] * 2))
    assert all(t.ok for t in twins)
    victim = companies(connector)[0]
    path = write_csv(tmp_path / "del.csv", ["Name"], [[victim["Name"]], ["Twin AS"], ["Nobody Here"]])
    summary = do_import("Companies", path, mode="delete", key="Name")
    assert (summary.deleted, summary.failed) == (1, 2)
    assert not companies(connector, Id=victim["Id"])
    errors = {r["scorolink_row"]: r["scorolink_error"] for r in read_csv(tmp_path / "errors.csv")}
    assert "2 Companies records have Name = 'Twin AS'" in errors["2"]
    assert "no Companies record has Name = 'Nobody Here'" in errors["3"]
    assert len(companies(connector, Name="Twin AS")) == 2


def test_operations_the_object_does_not_allow_are_refused_up_front(connector, sandbox, do_import, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["Id", "Comment"], [[1, "x"]])
    sandbox.reset_stats()
    with pytest.raises(OperationNotAllowed, match="allowed: delete, insert, select"):
        do_import("BillComments", path, mode="update")
    with pytest.raises(OperationNotAllowed, match="allowed: select"):
        do_import("Users", path, mode="insert")
    assert endpoint_counts(sandbox) == {}


def test_insert_into_labor_cost_behaves_as_upsert(connector, do_import, tmp_path):
    user = next(iter(connector.read("Users", columns=["Id"])))["Id"]
    path = write_csv(tmp_path / "lc.csv", ["UserId", "Date", "HourCost"], [[user, "2031-05-01", "40"]])
    assert do_import("LaborCost", path).inserted == 1
    path = write_csv(tmp_path / "lc2.csv", ["UserId", "Date", "HourCost"], [[user, "2031-05-01", "55.5"]])
    assert do_import("LaborCost", path, mode="upsert").inserted == 1
    costs = [r for r in connector.read("LaborCost") if r["UserId"] == user and str(r["Date"]) == "2031-05-01"]
    assert [c["HourCost"] for c in costs] == [Decimal("55.5")]


def test_mapping_renames_constants_expressions_and_lookups(connector, do_import, tmp_path):
    company = companies(connector)[0]
    vat = next(iter(connector.read("VATCodes", columns=["Id", "VATCode"])))
    product = next(iter(connector.read("Products", columns=["Id", "Code"])))
    path = write_csv(tmp_path / "inv.csv", ["Customer", "Ref", "Vat code", "Lines"], [[
        company["Name"], "abc", vat["VATCode"],
        json.dumps([{"ProductCode": product["Code"], "Qty": "3", "UnitPrice": "12.50", "Comment": "line"}])]])
    mapping = {
        "columns": {"Description": "Ref"},
        "constants": {"Currency": "EUR", "Status": "draft"},
        "lookups": {"CompanyId": {"object": "Companies", "match": "Name", "from": "Customer"},
                    "VatCodeId": {"object": "VATCodes", "match": "VATCode", "from": "Vat code"}},
        "nested": {"Lines": {"column": "Lines", "columns": {"Amount": "Qty", "Price": "UnitPrice"},
                             "lookups": {"ProductId": {"object": "Products", "match": "Code",
                                                       "from": "ProductCode"}}}},
    }
    summary = do_import("Invoices", path, mapping=mapping)
    assert summary.inserted == 1, read_csv(tmp_path / "errors.csv")
    new_id = int(read_csv(tmp_path / "results.csv")[0]["scorolink_id"])
    [saved] = connector.read("Invoices", [Condition("Id", "=", new_id)])
    assert (saved["CompanyId"], saved["VatCodeId"], saved["Currency"], saved["Description"]) == (
        company["Id"], vat["Id"], "EUR", "abc")
    [line] = saved["Lines"]
    assert (line["ProductId"], line["Amount"], line["Price"], line["Comment"]) == (
        product["Id"], Decimal("3"), Decimal("12.50"), "line")


def test_expressions_compute_fields_from_columns(connector, do_import, tmp_path):
    path = write_csv(tmp_path / "p.csv", ["First", "Last", "Hours", "Rate"], [["ada", "Lovelace", "2", "7.5"]])
    mapping = {"columns": {"Name": "First", "LastName": "Last"},
               "expressions": {"Comments": "title(First) + ' ' + upper(Last) + ': ' + text(Hours * Rate)"}}
    assert do_import("People", path, mapping=mapping).inserted == 1
    new_id = int(read_csv(tmp_path / "results.csv")[0]["scorolink_id"])
    [saved] = connector.read("People", [Condition("Id", "=", new_id)], columns=["Name", "Comments"])
    assert saved == {"Name": "ada", "Comments": "Ada LOVELACE: 15.0"}


def test_nested_lines_from_a_child_csv_like_a_flattened_export(connector, do_import, tmp_path):
    out = tmp_path / "quotes.csv"
    Exporter(connector, "Quotes", out, nested="flatten").run()
    lines = read_csv(tmp_path / "quotes_Lines.csv")
    assert lines and {"Parent.Id", "Position", "ProductId", "Price"} <= set(lines[0])
    summary = do_import("Quotes", out, nested_files={"Lines": tmp_path / "quotes_Lines.csv"})
    by_row = {r["scorolink_row"]: r for r in read_csv(tmp_path / "results.csv")}
    originals = read_csv(out)
    checked = 0
    for number, original in enumerate(originals, start=1):
        result = by_row[str(number)]
        if result["scorolink_outcome"] != "inserted":
            continue
        [copy] = connector.read("Quotes", [Condition("Id", "=", int(result["scorolink_id"]))])
        want = [line for line in lines if line["Parent.Id"] == original["Id"]]
        assert [str(line["ProductId"]) for line in copy["Lines"]] == [w["ProductId"] for w in want]
        assert [line["Price"] for line in copy["Lines"]] == [Decimal(w["Price"]) for w in want]
        checked += 1
    assert checked and checked == summary.inserted


def test_a_lookup_without_a_match_or_with_several_fails_that_row_only(connector, do_import, tmp_path):
    list(connector.write("Companies", [WriteOp("insert", {"Name": "Same Name"})] * 2))
    company = companies(connector)[0]
    path = write_csv(tmp_path / "p.csv", ["ProjectName", "Employer"],
                     [["Ok row", company["Name"]], ["No match", "Nonexistent Ltd"], ["Two matches", "Same Name"]])
    mapping = {"lookups": {"CompanyId": {"object": "Companies", "match": "Name", "from": "Employer"}}}
    summary = do_import("Projects", path, mapping=mapping)
    assert (summary.inserted, summary.failed) == (1, 2)
    errors = read_csv(tmp_path / "errors.csv")
    assert [(e["scorolink_row"], e["scorolink_field"]) for e in errors] == [("2", "CompanyId"), ("3", "CompanyId")]
    assert "no Companies record has Name = 'Nonexistent Ltd'" in errors[0]["scorolink_error"]
    assert "2 Companies records have Name = 'Same Name'" in errors[1]["scorolink_error"]
    assert errors[1]["Employer"] == "Same Name"  # the row's own cells follow, ready to fix and re-import


def test_dry_run_validates_and_plans_without_writing(connector, sandbox, do_import, tmp_path):
    existing = companies(connector)[0]
    path = write_csv(tmp_path / "c.csv", ["Name", "Comments", "VATNumber"],
                     [[existing["Name"], "x", ""], ["New Co", "y", ""], ["", "", ""]])
    sandbox.reset_stats()
    summary = do_import("Companies", path, mode="upsert", key="Name", dry_run=True)
    assert (summary.updated, summary.inserted, summary.dry_run) == (1, 1, True)
    assert not any(k.endswith(("/modify", "/delete")) for k in endpoint_counts(sandbox))
    assert [r["scorolink_outcome"] for r in read_csv(tmp_path / "results.csv")][:2] == ["would update", "would insert"]


def test_the_errors_file_can_be_fixed_and_imported_again(connector, do_import, tmp_path):
    path = write_csv(tmp_path / "t.csv", ["Name", "Price"], [["Good", "10"], ["Bad", "ten"]])
    assert do_import("Products", path).failed == 1
    errors = read_csv(tmp_path / "errors.csv")
    fixed = write_csv(tmp_path / "fixed.csv", list(errors[0]), [[*list(errors[0].values())[:4], "Bad", "10"]])
    summary = do_import("Products", fixed, errors_path=tmp_path / "errors2.csv")
    assert (summary.inserted, summary.failed) == (1, 0)


def test_files_upload_in_base64_chunks_of_at_most_five_million(connector, sandbox, do_import, tmp_path):
    content = bytes(range(256)) * (4_000_000 // 256)  # 4 MB → 5.33 M base64 characters → 2 chunks
    (tmp_path / "big.bin").write_bytes(content)
    path = write_csv(tmp_path / "files.csv", ["FileName", "Content"], [["big.bin", "big.bin"]])
    sandbox.reset_stats()
    assert do_import("Files", path).inserted == 1
    assert endpoint_counts(sandbox) == {"files/modify": 2}
    new_id = int(read_csv(tmp_path / "results.csv")[0]["scorolink_id"])
    [saved] = connector.read("Files", [Condition("Id", "=", new_id)], columns=["Id", "Content"])
    assert saved["Content"] == content


@pytest.mark.parametrize("kind", ["sqlite", "duckdb", "postgresql"])
def test_import_from_a_database_table(connector, tmp_path, kind, request):
    rows = [("Table Co 1", "from sql"), ("Table Co 2", None)]
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path}/src.db"
        conn = sqlite3.connect(tmp_path / "src.db")
        conn.execute('CREATE TABLE "new companies" (Name TEXT, Comments TEXT)')
        conn.executemany('INSERT INTO "new companies" VALUES (?, ?)', rows)
        conn.commit()
        conn.close()
    elif kind == "duckdb":
        import duckdb

        url = f"duckdb:///{tmp_path}/src.duckdb"
        conn = duckdb.connect(str(tmp_path / "src.duckdb"))
        conn.execute('CREATE TABLE "new companies" (Name TEXT, Comments TEXT)')
        conn.executemany('INSERT INTO "new companies" VALUES (?, ?)', rows)
        conn.close()
    else:
        import psycopg

        url = request.getfixturevalue("postgres_url")
        with psycopg.connect(url) as conn:
            conn.execute('CREATE TABLE "new companies" (name TEXT, comments TEXT)')
            conn.cursor().executemany('INSERT INTO "new companies" VALUES (%s, %s)', rows)
    source = open_source(None, from_sql=url, table="New Companies")
    summary = run_import(connector, "Companies", source, ImportOptions(journal_dir=tmp_path / "j"))
    assert (summary.inserted, summary.failed) == (2, 0)
    assert [c["Comments"] for c in companies(connector, Name="Table Co 1")] == ["from sql"]


def test_the_readme_mapping_with_a_child_csv_linked_by_a_natural_column(connector, do_import, tmp_path):
    company = companies(connector)[0]
    products = list(connector.read("Products", columns=["Id", "Code"]))[:2]
    write_csv(tmp_path / "invoice_lines.csv", ["Parent.Ref", "ProductCode", "Qty", "UnitPrice"], [
        ["A-1", products[0]["Code"], "2", "10"], ["A-2", products[1]["Code"], "1", "99.90"],
        ["A-1", products[1]["Code"], "5", "1.5"]])
    path = write_csv(tmp_path / "invoices.csv", ["Customer", "Ref", "Note"],
                     [[company["Name"], "A-1", "first"], [company["Name"], "A-2", "second"]])
    mapping = {
        "columns": {"Description": "Note"}, "constants": {"Currency": "EUR"},
        "lookups": {"CompanyId": {"object": "Companies", "match": "Name", "from": "Customer"}},
        "nested": {"Lines": {"file": "invoice_lines.csv", "link": "Ref",
                             "columns": {"Amount": "Qty", "Price": "UnitPrice"},
                             "lookups": {"ProductId": {"object": "Products", "match": "Code", "from": "ProductCode"}}}},
    }
    summary = do_import("Invoices", path, mapping=mapping)
    assert (summary.inserted, summary.failed) == (2, 0), read_csv(tmp_path / "errors.csv")
    ids = [int(r["scorolink_id"]) for r in read_csv(tmp_path / "results.csv")]
    first, second = (next(iter(connector.read("Invoices", [Condition("Id", "=", i)]))) for i in ids)
    assert [(line["ProductId"], line["Amount"]) for line in first["Lines"]] == [
        (products[0]["Id"], Decimal("2")), (products[1]["Id"], Decimal("5"))]
    assert [(line["ProductId"], line["Price"]) for line in second["Lines"]] == [(products[1]["Id"], Decimal("99.90"))]
    assert first["CompanyId"] == company["Id"] and first["Description"] == "first"
