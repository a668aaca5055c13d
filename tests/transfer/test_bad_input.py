"""Bad input gets a clear error naming what to fix, and loses nothing: good rows still land."""

from __future__ import annotations

import tracemalloc

import pytest

from scorolink.connectors.base import Condition
from scorolink.errors import ConfigError, InvalidInput, UnknownName
from scorolink.transfer.mapping import parse_mapping
from tests.conftest import endpoint_counts
from tests.transfer.conftest import read_csv, write_csv


def test_a_file_in_another_encoding_names_the_line_and_the_option(connector, do_import, tmp_path):
    path = write_csv(tmp_path / "latin.csv", ["Name", "Comments"], [["Plain", "ok"]] * 3 + [["Müller GmbH", "é"]],
                     encoding="latin-1")
    with pytest.raises(InvalidInput, match=r"not valid utf-8.*near line 5.*--encoding"):
        do_import("Companies", path)
    summary = do_import("Companies", path, encoding="latin-1")
    assert summary.inserted == 4
    assert list(connector.read("Companies", [Condition("Name", "=", "Müller GmbH")]))


def test_a_wrong_delimiter_is_named_and_the_right_one_is_detected(connector, do_import, tmp_path):
    path = write_csv(tmp_path / "semi.csv", ["Name", "Comments"], [["Semi Co", "a, b"]], delimiter=";")
    with pytest.raises(InvalidInput, match="pass --delimiter ';'"):
        do_import("Companies", path, delimiter=",")
    assert do_import("Companies", path).inserted == 1  # detected from the header
    [saved] = connector.read("Companies", [Condition("Name", "=", "Semi Co")], columns=["Comments"])
    assert saved["Comments"] == "a, b"


def test_a_file_without_a_header_row(do_import, tmp_path):
    path = write_csv(tmp_path / "nohead.csv", ["Acme Ltd", "big client"], [["Other Ltd", "small"]])
    with pytest.raises(InvalidInput, match="is the first line a header of field names"):
        do_import("Companies", path)


def test_duplicate_and_blank_header_columns(do_import, tmp_path):
    with pytest.raises(InvalidInput, match="duplicate header column.*name \\(same as Name\\)"):
        do_import("Companies", write_csv(tmp_path / "dup.csv", ["Name", "Comments", "name"], [["a", "b", "c"]]))
    with pytest.raises(InvalidInput, match="column.* 2 have no name"):
        do_import("Companies", write_csv(tmp_path / "blank.csv", ["Name", "", "Comments"], [["a", "b", "c"]]))


def test_unknown_columns_are_named_with_the_closest_field(connector, do_import, tmp_path):
    path = write_csv(tmp_path / "u.csv", ["Name", "Coments", "Colour"], [["Unknown Cols Oy", "x", "red"]])
    with pytest.raises(InvalidInput, match=r"Coments \(did you mean Comments\?\); Colour\..*--skip-unknown-columns"):
        do_import("Companies", path)
    summary = do_import("Companies", path, skip_unknown=True)
    assert summary.inserted == 1
    assert "Unknown column(s) skipped: Coments, Colour." in summary.notes


def test_bad_numbers_dates_and_types_fail_their_rows_and_the_good_rows_land(connector, sandbox, do_import, tmp_path):
    path = write_csv(tmp_path / "p.csv", ["ProjectName", "Deadline", "Duration", "IsPrivate", "ManagerId"], [
        ["Good one", "2031-01-31", "12:30:00", "true", ""],
        ["Bad date", "2031-13-45", "", "", ""],
        ["Bad number", "", "", "", "twelve"],
        ["Bad bool and int", "", "", "maybe", "1.5"],
        ["Good two", "", "", "0", ""],
    ])
    sandbox.reset_stats()
    summary = do_import("Projects", path)
    assert (summary.inserted, summary.failed) == (2, 3)
    assert endpoint_counts(sandbox).get("projects/modify") == 2  # invalid rows never reach Scoro
    errors = {e["scorolink_row"]: e for e in read_csv(tmp_path / "errors.csv")}
    assert errors["2"]["scorolink_field"] == "Deadline" and "date (YYYY-MM-DD)" in errors["2"]["scorolink_error"]
    assert errors["3"]["scorolink_field"] == "ManagerId" and "'twelve' is not a valid integer" in errors["3"]["scorolink_error"]
    assert errors["4"]["scorolink_field"] == "IsPrivate; ManagerId"  # every problem of the row, not just the first
    assert errors["4"]["scorolink_line"] == "5"
    names = {p["ProjectName"] for p in connector.read("Projects", columns=["ProjectName"])}
    assert {"Good one", "Good two"} <= names and not names & {"Bad date", "Bad number", "Bad bool and int"}


def test_a_row_with_too_many_cells_is_reported(do_import, tmp_path):
    path = tmp_path / "shape.csv"
    path.write_text("Name,Comments\r\nFine Co,ok\r\nBroken Co,a,b\r\n", encoding="utf-8")
    summary = do_import("Companies", path)
    assert (summary.inserted, summary.failed) == (1, 1)
    [error] = read_csv(tmp_path / "errors.csv")
    assert "has 3 cells but the header has 2" in error["scorolink_error"]


def test_an_empty_file_and_a_header_only_file(do_import, tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(InvalidInput, match="is empty; the first line must be a header"):
        do_import("Companies", tmp_path / "empty.csv")
    summary = do_import("Companies", write_csv(tmp_path / "head.csv", ["Name"], []))
    assert (summary.rows, summary.failed) == (0, 0)


def test_bad_nested_json_and_unknown_child_fields(do_import, tmp_path):
    path = write_csv(tmp_path / "q.csv", ["Description", "Lines"], [
        ["bad json", "[{\"Price\": 1,}]"], ["unknown child", "[{\"Prise\": 1}]"], ["bad child value", "[{\"Price\": \"x\"}]"]])
    summary = do_import("Quotes", path)
    assert summary.failed == 3
    errors = [e["scorolink_error"] for e in read_csv(tmp_path / "errors.csv")]
    assert "not valid JSON" in errors[0]
    assert "Lines has no field Prise" in errors[1]
    assert "Lines[1].Price: 'x' is not a valid decimal" in errors[2]


def test_mapping_mistakes_are_refused_before_any_row(connector, sandbox, do_import, tmp_path):
    path = write_csv(tmp_path / "m.csv", ["Company", "Note"], [["x", "y"]])
    sandbox.reset_stats()
    with pytest.raises(UnknownName, match="source column of the mapping: 'Nte'. Did you mean Note"):
        do_import("Companies", path, mapping={"columns": {"Name": "Company", "Comments": "Nte"}})
    with pytest.raises(UnknownName, match="Unknown field of Companies \\(a target of the mapping\\): 'Coments'"):
        do_import("Companies", path, mapping={"columns": {"Name": "Company", "Coments": "Note"}})
    with pytest.raises(UnknownName, match="Unknown object of \\[lookups.CompanyId\\]: 'Companys'"):
        do_import("Projects", path, mapping={"columns": {"ProjectName": "Note"},
                                             "lookups": {"CompanyId": {"object": "Companys", "match": "Name",
                                                                       "from": "Company"}}})
    with pytest.raises(ConfigError, match="only the functions .* can be called"):
        parse_mapping({"expressions": {"Name": "__import__('os').system('true')"}})
    with pytest.raises(ConfigError, match="Attribute is not allowed"):
        parse_mapping({"expressions": {"Name": "Note.upper"}})
    with pytest.raises(ConfigError, match="unknown key\\(s\\) colums"):
        parse_mapping({"colums": {}})
    assert not any(k.endswith("/modify") for k in endpoint_counts(sandbox))


def test_a_large_file_streams_in_constant_memory(do_import, tmp_path):
    rows = [[f"Product {i}", f"P-{i:06d}", str(i % 500)] for i in range(30_000)]
    path = write_csv(tmp_path / "big.csv", ["Name", "Code", "Price"], rows)
    tracemalloc.start()
    summary = do_import("Products", path, dry_run=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (summary.rows, summary.inserted, summary.failed) == (30_000, 30_000, 0)
    assert peak < 15 * 2**20  # the file is about 0.9 MB; holding its rows as dicts would take far more


def test_a_cell_over_128_kib_is_read_and_one_over_the_limit_rejects_its_row_only(do_import, tmp_path):
    from scorolink.transfer.sources import CELL_LIMIT

    rows = [["Long Co ok", "x" * 200_000], ["Long Co too long", "y" * (CELL_LIMIT + 1)], ["Long Co after", "z"]]
    summary = do_import("Companies", write_csv(tmp_path / "long.csv", ["Name", "Comments"], rows))
    assert (summary.inserted, summary.failed) == (2, 1)
    [error] = read_csv(tmp_path / "errors.csv")
    assert error["scorolink_row"] == "2" and f"over the limit of {CELL_LIMIT:,}" in error["scorolink_error"]
    assert "column Comments" in error["scorolink_error"]


def test_an_integer_too_large_for_any_database_is_refused_locally_naming_the_field(connector, sandbox, do_import,
                                                                                     tmp_path):
    from scorolink.errors import InvalidValue
    from scorolink.query.engine import QueryEngine

    path = write_csv(tmp_path / "big.csv", ["Name", "ManagerId"], [["Big Co", "1e23"], ["Fine Co", "1"]])
    sandbox.reset_stats()
    summary = do_import("Companies", path)
    assert (summary.inserted, summary.failed) == (1, 1)
    [error] = read_csv(tmp_path / "errors.csv")
    assert error["scorolink_field"] == "ManagerId" and "integer (whole, from" in error["scorolink_error"]
    assert endpoint_counts(sandbox).get("contacts/modify") == 1  # the bad row never reached Scoro
    with pytest.raises(InvalidValue, match="ManagerId"):
        QueryEngine(connector).execute("UPDATE Companies SET ManagerId = 100000000000000000000000 WHERE Id = 1")
