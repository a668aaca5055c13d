"""The files an import leaves behind for people: the errors file (every failed row with its
number, field and message, followed by the row's own cells, so it can be fixed and imported again)
and the results file (every row with its outcome and the Scoro id it created or touched)."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from scorolink import output
from scorolink.transfer.sources import REPORT_PREFIX

ERROR_COLUMNS = [f"{REPORT_PREFIX}row", f"{REPORT_PREFIX}line", f"{REPORT_PREFIX}field", f"{REPORT_PREFIX}error"]
RESULT_COLUMNS = [f"{REPORT_PREFIX}row", f"{REPORT_PREFIX}outcome", f"{REPORT_PREFIX}id", f"{REPORT_PREFIX}error"]


class RowReport:
    """A CSV written as rows finish; opened only when the first row arrives."""

    def __init__(self, path: Path | None, header: list[str], extra: list[str]) -> None:
        self.path = path
        self.header = [h for h in header if not h.startswith(REPORT_PREFIX)]
        self.extra = extra
        self.count = 0
        self._file: IO[str] | None = None
        self._writer: Any = None

    def write(self, values: dict[str, Any], *extra: Any) -> None:
        self.count += 1
        if self.path is None:
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("w", encoding="utf-8", newline="")
            self._writer = output.CsvWriter(self._file)
            self._writer.writerow(self.extra + self.header)
        self._writer.writerow([*extra, *(values.get(h) for h in self.header)])

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
