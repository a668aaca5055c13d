"""Command groups of the `scorolink` CLI that live next to their own feature.

Each module here imports `app` (and `err`, `State`, `emit_json`) from `scorolink.cli` and registers
its commands with decorators; `scorolink.cli` imports every module of this package once `app`
exists, so a new command group is one new file and no edit to the core CLI."""
