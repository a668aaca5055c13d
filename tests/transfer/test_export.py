"""Export: CSV shape, pushed-down conditions, column choice, nested values and binaries."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

from scorolink.connectors.base import Condition
from scorolink.transfer.export import Exporter
from tests.conftest import endpoint_counts
from tests.transfer.conftest import read_csv


def test_export_writes_rfc4180_utf8_with_canonical_names(connector, tmp_path):
    out = tmp_path / "companies.csv"
    summary = Exporter(connector, "Companies", out).run()
    raw = out.read_bytes()
    assert raw.count(b"\r\n") >= summary.rows + 1 and not raw.startswith(b"\xef\xbb\xbf")
    rows = read_csv(out)
    spec = connector.spec("Companies")
    assert list(rows[0]) == [f.name for f in spec.fields if f.type.value != "binary"] + [n.field for n in spec.nested]
    assert len(rows) == summary.rows == len(list(connector.read("Companies")))
    assert all(json.loads(r["Tags"]) is not None for r in rows if r["Tags"])  # nested values as JSON cells


def test_where_is_pushed_down_like_read(connector, sandbox, tmp_path):
    connector.custom_fields()
    sandbox.reset_stats()
    where = [Condition("Status", "=", "unpaid")]
    summary = Exporter(connector, "Invoices", tmp_path / "i.csv", where=where, columns=["Id", "Status"]).run()
    pushed = endpoint_counts(sandbox)
    assert pushed == {"invoices/list": 1}
    assert [r["Id"] for r in read_csv(tmp_path / "i.csv")] == [
        str(r["Id"]) for r in connector.read("Invoices", where, columns=["Id"])]
    assert summary.rows > 0 and all(r["Status"] == "unpaid" for r in read_csv(tmp_path / "i.csv"))
    assert summary.requests == 1


def test_columns_keep_their_order_and_only_named_binaries_are_fetched(connector, sandbox, tmp_path):
    out = tmp_path / "files.csv"
    sandbox.reset_stats()
    Exporter(connector, "Files", out, columns=["FileName", "Id"]).run()
    assert list(read_csv(out)[0]) == ["FileName", "Id"]
    assert "files/download" not in " ".join(endpoint_counts(sandbox))
    summary = Exporter(connector, "Files", out, columns=["Id", "FileName", "Content"]).run()
    rows = read_csv(out)
    assert summary.binaries == len(rows) > 0
    for row in rows:
        saved = (out.parent / row["Content"]).read_bytes()
        [record] = connector.read("Files", [Condition("Id", "=", int(row["Id"]))], columns=["Id", "Content"])
        assert saved == record["Content"]
        assert row["Content"].startswith("files_files/")


def test_flatten_writes_one_csv_per_nested_field_linked_by_the_parent_key(connector, tmp_path):
    out = tmp_path / "projects.csv"
    summary = Exporter(connector, "Projects", out, nested="flatten").run()
    phases = read_csv(tmp_path / "projects_Phases.csv")
    assert "Phases" not in read_csv(out)[0]
    records = {str(r["Id"]): r for r in connector.read("Projects")}
    assert summary.files[str(tmp_path / "projects_Phases.csv")] == len(phases) == sum(
        len(r["Phases"] or []) for r in records.values())
    for phase in phases:
        parent = records[phase["Parent.Id"]]
        assert str(parent["Phases"][int(phase["Position"]) - 1]["Id"]) == phase["Id"]


def test_export_to_stdout_from_the_cli(tmp_path):
    done = subprocess.run([sys.executable, "-c", "from scorolink.cli import main; main()", "export", "VATCodes",
                           "--columns", "Id,VATCode,Percent"], capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if not k.startswith("SCORO_")})
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(done.stdout.splitlines()))
    assert rows[0] == ["Id", "VATCode", "Percent"] and len(rows) > 2
