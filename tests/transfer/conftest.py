"""Fixtures for export/import tests: CSV writing and an import runner with its journal in tmp."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from scorolink.transfer.importer import ImportOptions, ImportSummary, run_import
from scorolink.transfer.mapping import parse_mapping
from scorolink.transfer.sources import CsvSource


def write_csv(path: Path, header: list[str], rows: list[list[Any]], *, delimiter: str = ",",
              encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def do_import(connector, tmp_path):
    """Run an import of a CSV with the errors and results files in tmp_path; returns the summary."""

    def run(obj: str, path: Path, *, mapping: dict[str, Any] | None = None, conn: Any = None,
            **options: Any) -> ImportSummary:
        options.setdefault("errors_path", tmp_path / "errors.csv")
        options.setdefault("results_path", tmp_path / "results.csv")
        options.setdefault("journal_dir", tmp_path / "journal")
        if mapping is not None:
            options["mapping"] = parse_mapping(mapping, base=path.parent)
        source = CsvSource(path, encoding=options.pop("encoding", "utf-8"), delimiter=options.pop("delimiter", None))
        return run_import(conn or connector, obj, source, ImportOptions(**options))

    return run
