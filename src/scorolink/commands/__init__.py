"""Command groups of the `scorolink` CLI that live next to their own feature.

Each module here imports `app` (and `err`, `State`, `emit_json`) from `scorolink.cli` and registers
its commands with decorators; `scorolink.cli` imports every module of this package once `app`
exists, so a new command group is one new file and no edit to the core CLI."""

from typing import Annotated

import typer

# `--no-csv-escape` of every command that writes or reads CSV (export, import, read, query): cells
# that would open as spreadsheet formulas are written with a leading apostrophe, and read back
# without it, unless this says otherwise. Unset: the SCOROLINK_CSV_ESCAPE setting (default on).
CsvEscapeOption = Annotated[bool | None, typer.Option(
    "--csv-escape/--no-csv-escape", show_default=False,
    help="Write cells starting with = + - @ tab or CR with a leading apostrophe so spreadsheets do not run "
         "them as formulas, and strip it on import (default on; SCOROLINK_CSV_ESCAPE=0 turns it off).")]
