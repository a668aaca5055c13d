"""The commands of the `scorolink` CLI, one module per command or group. Each module defines its own Typer
app (or apps) and imports nothing from `scorolink.cli`; the CLI registers them explicitly, so a new command
group is one new module and one line in `scorolink.cli`."""
