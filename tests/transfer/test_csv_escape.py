"""CSV written by scorolink is safe to open in a spreadsheet: cells that would run as formulas get
a leading apostrophe (export, read --format csv, query --format csv, the reports), and import reads
them back as they were. --no-csv-escape turns it off on every command."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest

from scorolink import output
from scorolink.transfer.export import Exporter
from tests.transfer.conftest import read_csv, write_csv

HOSTILE = ["=cmd|' /C calc'!A0", "+SUM(1+1)", "@SUM(A1:A2)", "-2+3", "\t=1", "\r=1", "'=already"]
HARMLESS = ["-5", "+3.25", "-1e5", "Plain Co", "a=b", "'quoted", ""]


@pytest.mark.parametrize("text", HOSTILE + HARMLESS)
def test_escaping_is_undone_exactly(text):
    escaped = output.escape_cell(text)
    assert output.unescape_cell(escaped) == text
    assert (escaped != text) == (text in HOSTILE)
    if text in HOSTILE:
        assert escaped.startswith("'")


def test_export_neutralises_formulas_and_import_round_trips(connector, do_import, tmp_path):
    names = [f"{h}Inj {i}" for i, h in enumerate(HOSTILE)] + ["-5", "Inj plain"]
    rows = [[output.escape_cell(n)] for n in names]  # as scorolink writes them: `'=already` is `''=already`
    created = do_import("Companies", write_csv(tmp_path / "in.csv", ["Name"], rows))
    assert created.inserted == len(names)
    out = tmp_path / "out.csv"
    Exporter(connector, "Companies", out, columns=["Name"]).run()
    cells = [row["Name"] for row in read_csv(out)]
    exported = [c for c in cells if "Inj" in c or c == "-5"]
    assert sorted(exported) == sorted(output.escape_cell(n) for n in names)
    assert all(c[:1] not in output.FORMULA_START for c in exported if c != "-5")  # no formula opens
    assert "-5" in exported  # numbers stay numbers
    # the exported file imports back to the original values (a new copy of each company)
    again = tmp_path / "again.csv"
    write_csv(again, ["Name"], [[c] for c in exported])
    summary = do_import("Companies", again)
    assert summary.inserted == len(names)
    counts: dict[str, int] = {}
    for c in connector.read("Companies", columns=["Name"]):
        counts[c["Name"]] = counts.get(c["Name"], 0) + 1
    assert all(counts[n] == 2 for n in names)

    raw = tmp_path / "raw.csv"
    Exporter(connector, "Companies", raw, columns=["Name"], csv_escape=False).run()
    assert "+SUM(1+1)Inj 1" in [row["Name"] for row in read_csv(raw)]


def test_reports_are_escaped_too(do_import, tmp_path):
    path = write_csv(tmp_path / "p.csv", ["Name", "Price"], [["=HYPERLINK(\"x\")", "one"]])
    do_import("Products", path)
    [error] = read_csv(tmp_path / "errors.csv")
    assert error["Name"] == "'=HYPERLINK(\"x\")"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SCORO_", "SCOROLINK_"))}
    return subprocess.run([sys.executable, "-c", "from scorolink.cli import main; main()", *args],
                          env={**base, **(env or {})}, capture_output=True, text=True, timeout=120)


def test_query_and_read_csv_are_escaped_unless_turned_off(tmp_path):
    env = {"SCOROLINK_CACHE_DIR": str(tmp_path / "cache")}
    sql = "SELECT '=1+1' AS f, '-5' AS n, '@x' AS a FROM Companies LIMIT 1"
    done = cli("query", sql, "--format", "csv", env=env)
    assert done.returncode == 0, done.stderr
    assert list(csv.reader(io.StringIO(done.stdout)))[1] == ["'=1+1", "-5", "'@x"]
    plain = cli("query", sql, "--format", "csv", "--no-csv-escape", env=env)
    assert list(csv.reader(io.StringIO(plain.stdout)))[1] == ["=1+1", "-5", "@x"]
    by_setting = cli("query", sql, "--format", "csv", env={**env, "SCOROLINK_CSV_ESCAPE": "0"})
    assert list(csv.reader(io.StringIO(by_setting.stdout)))[1] == ["=1+1", "-5", "@x"]
    read = cli("read", "Companies", "--format", "csv", "--limit", "3", "--columns", "Id,Name", env=env)
    assert read.returncode == 0 and read.stdout.startswith("Id,Name")


def test_read_uses_the_shared_writer():
    buffer = io.StringIO()
    output.write_csv([{"Name": "=1+1", "Sum": -5}], buffer)
    assert buffer.getvalue().splitlines()[1] == "'=1+1,-5"
    buffer = io.StringIO()
    output.write_csv([{"Name": "=1+1"}], buffer, escape=False)
    assert buffer.getvalue().splitlines()[1] == "=1+1"
