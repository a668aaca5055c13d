"""What every command module shares: the stderr console, the root options' State, JSON output."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console

from scorolink import output

err = Console(stderr=True, soft_wrap=True)


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
            err.print("No Scoro credentials configured (SCORO_API_KEY or SCORO_USERNAME/SCORO_PASSWORD): "
                      f"using the bundled sandbox ({where}).", style="dim", markup=False, highlight=False)
        return session


def emit_json(value: Any) -> None:
    typer.echo(output.dumps(value, indent=2))
