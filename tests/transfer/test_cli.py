"""`scorolink import` and `scorolink export` from the command line (bundled sandbox)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.transfer.conftest import read_csv, write_csv


def run(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCORO_")}
    return subprocess.run([sys.executable, "-c", "from scorolink.cli import main; main()", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_import_reports_failed_rows_and_exits_non_zero(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["Name", "Price"], [["Good", "1"], ["Bad", "one"]])
    done = run("import", "Products", str(path), "--errors", "err.csv", "--results", "res.csv", "--json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["inserted"], summary["failed"], summary["errors_file"]) == (1, 1, "err.csv")
    assert read_csv(tmp_path / "err.csv")[0]["scorolink_field"] == "Price"
    assert [r["scorolink_outcome"] for r in read_csv(tmp_path / "res.csv")] == ["inserted", "failed"]
    assert list((tmp_path / ".scorolink" / "imports").glob("Products-*.journal"))


def test_dry_run_and_clear_errors_for_bad_options(tmp_path):
    path = write_csv(tmp_path / "c.csv", ["Name"], [["Dry Co"]])
    done = run("import", "Companies", str(path), "--dry-run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Dry run: would" in done.stdout and "Dry Co" not in done.stdout
    bad = run("import", "Companies", str(path), "--mode", "merge", cwd=tmp_path)
    assert bad.returncode == 2 and "--mode 'merge': use one of insert, update, upsert, delete" in bad.stderr
    refused = run("import", "VATCodes", str(path), "--mode", "delete", "--key", "Nme", cwd=tmp_path)
    assert refused.returncode == 2 and "Unknown field of VATCodes (--key): 'Nme'" in refused.stderr
    nested = run("import", "Invoices", str(path), "--nested", "Lines", cwd=tmp_path)
    assert nested.returncode == 2 and "write FIELD=FILE" in nested.stderr


def test_export_flatten_needs_a_file(tmp_path):
    done = run("export", "Invoices", "--nested", "flatten", cwd=tmp_path)
    assert done.returncode == 2 and "give -o FILE.csv" in done.stderr
    done = run("export", "Invoices", "--nested", "flatten", "-o", "inv.csv", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["files"]["inv_Lines.csv"] > 0
