"""What every command module shares: the stderr console, the root options' State, JSON output."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from scorolink import output

# Messages carry names and values from the user's data and settings (`[scoro]`, `[xero_sync.X]`): never
# read them as Rich markup. Colour goes through style= or rich.text.Text, not through markup.
err = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)


def note(message: str) -> None:
    """A dim side remark on stderr (counts, hints), kept out of stdout's data."""
    err.print(message, style="dim")


class State:
    """The root options (`scorolink --base-url … COMMAND`), kept on the Click context for every command."""

    def __init__(self, flags: dict[str, Any], config: str | None) -> None:
        self.flags = flags
        self.config = config

    def open(self) -> Any:
        from scorolink.session import open_scoro

        session = open_scoro(self.flags, self.config)
        if session.sandbox is not None:
            from scorolink.session import sandbox_data_path

            kept = sandbox_data_path()
            where = f"kept in {kept}; `scorolink sandbox reset` starts it afresh" if kept else "in memory"
            note("No Scoro credentials configured (SCORO_API_KEY or SCORO_USERNAME/SCORO_PASSWORD): "
                 f"using the bundled sandbox ({where}).")
        return session


def emit_json(value: Any) -> None:
    typer.echo(output.dumps(value, indent=2))


# `--no-csv-escape` of every command that writes or reads CSV (export, import, read, query): cells
# that would open as spreadsheet formulas are written with a leading apostrophe, and read back
# without it, unless this says otherwise. Unset: the SCOROLINK_CSV_ESCAPE setting (default on).
CsvEscapeOption = Annotated[bool | None, typer.Option(
    "--csv-escape/--no-csv-escape", show_default=False,
    help="Write cells starting with = + - @ tab or CR with a leading apostrophe so spreadsheets do not run "
         "them as formulas, and strip it on import (default on; SCOROLINK_CSV_ESCAPE=0 turns it off).")]


# Options several commands share, defined once.
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
StateOpt = Annotated[str | None, typer.Option("--state", help="State database (default: [runtime] state in "
                                              "scorolink.toml, SCOROLINK_STATE_URL, or sqlite:///scorolink-state.db).")]


def open_state(ctx: typer.Context, state: str | None, sync_config: bool = True, **flags: Any) -> tuple[Any, Any]:
    """The runtime's state database for a command (--state, [runtime] state, SCOROLINK_STATE_URL), with the
    jobs declared in scorolink.toml brought in; returns (store, runtime settings)."""
    from scorolink.runtime.jobs import sync_config_jobs
    from scorolink.runtime.settings import load_runtime_settings
    from scorolink.runtime.store import StateStore, SystemClock

    config = ctx.find_root().obj.config if ctx.find_root().obj else None
    settings, declared = load_runtime_settings(config, state=state, **flags)
    store = StateStore(settings.state)
    if sync_config and declared:
        sync_config_jobs(store, declared, SystemClock().now())
    return store, settings
