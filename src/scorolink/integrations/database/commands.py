"""`scorolink dbsync`: keep Scoro objects and database tables equal in both directions.

    scorolink dbsync OBJECTS --db URL [--table-per-object | --map FILE] [--conflict scoro|db|newest|manual]
                             [--key Object=Field,Field] [--on-scoro-delete remove|flag] [--dry-run] [--json]
    scorolink dbsync conflicts --db URL     records parked by the manual policy, with both values
    scorolink dbsync errors --db URL        rows Scoro refused (its own message, the row, the field)
    scorolink dbsync resolve ID --take scoro|db --db URL    settle one parked conflict
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from scorolink.commands.common import emit_json, err, note
from scorolink.config import config_path, read_config_file
from scorolink.errors import ConfigError

app = typer.Typer()

VERBS = ("conflicts", "errors", "resolve")
SIDE_NAMES = {"a": "Scoro", "b": "table"}


@app.command("dbsync")
def dbsync_cmd(
    ctx: typer.Context,
    args: Annotated[list[str] | None, typer.Argument(metavar="OBJECTS | conflicts | errors | resolve ID", help="Objects to sync (comma- or space-separated), or "
                                                     "conflicts | errors | resolve ID.", show_default=False)] = None,
    db: Annotated[str | None, typer.Option("--db", help="The database: sqlite:///file.db, postgresql://user@host/db "
                                           "or duckdb:///file.duckdb (DuckDB allows one writing process at a "
                                           "time: nothing else may hold the file open while dbsync runs).")] = None,
    table_per_object: Annotated[bool, typer.Option("--table-per-object", help="A table per object, created with "
                                                   "canonical column names (the default).")] = False,
    map_file: Annotated[str | None, typer.Option("--map", help="A TOML mapping file binding existing tables and "
                                                 "their own column names.")] = None,
    conflict: Annotated[str | None, typer.Option(help="A field edited on both sides: scoro (default), db, newest "
                                                 "(the later change) or manual (parked; see `dbsync conflicts`).")] = None,
    key: Annotated[list[str] | None, typer.Option("--key", help="Natural key matching rows on the first run, as "
                                                  "Object=Field[,Field] (repeatable).")] = None,
    on_scoro_delete: Annotated[str | None, typer.Option(help="A record deleted in Scoro: remove the row (default) "
                                                        "or flag it in _deleted.")] = None,
    state: Annotated[str | None, typer.Option(help="State database URL (default sqlite:///.scorolink/state.db).")] = None,
    take: Annotated[str | None, typer.Option(help="With resolve: whose values win, scoro or db.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan and show what would be written; write nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result.")] = False,
) -> None:
    """Two-way sync between Scoro objects and database tables: a table edit goes to Scoro, a Scoro edit to the
    table. Settings come from [dbsync] in scorolink.toml under these flags."""
    words = [w for a in args or [] for w in a.split(",") if w.strip()]
    if table_per_object and map_file:
        raise typer.BadParameter("use either --table-per-object or --map", param_hint="--map")
    keys = dict(_key(k) for k in key or [])
    file_settings = read_config_file(config_path(getattr(ctx.obj, "config", None))).get("dbsync", {})
    from scorolink.integrations.database.config import options_from

    verb = words[0].lower() if words and words[0].lower() in VERBS else None
    options = options_from(file_settings, {
        "db": db, "objects": None if verb else words, "conflict": conflict, "map": None if table_per_object else map_file,
        "keys": {**(file_settings.get("keys") or {}), **keys} or None, "on_scoro_delete": on_scoro_delete,
        "state": state or os.environ.get("SCOROLINK_STATE_URL")})
    if table_per_object:
        options.mapping = None
    if verb == "conflicts" or verb == "errors":
        _list(options, verb, as_json)
        return
    if verb == "resolve":
        if len(words) != 2 or not words[1].isdigit() or take not in ("scoro", "db"):
            raise ConfigError("Resolve one parked conflict: `scorolink dbsync resolve ID --take scoro|db --db URL`, "
                              "with ID from `scorolink dbsync conflicts`.")
        with ctx.obj.open() as session:
            _resolve(session.connector, options, int(words[1]), take, as_json)
        return
    from scorolink.integrations.database.run import TableSync

    with ctx.obj.open() as session, TableSync(session.connector, options, dry_run=dry_run) as sync:
        result = sync.run(dry_run=dry_run)
        made = sync.made
    report(result, made, as_json)


def _key(text: str) -> tuple[str, tuple[str, ...]]:
    name, _, fields = text.partition("=")
    if not name.strip() or not fields.strip():
        raise typer.BadParameter(f"{text!r}: write Object=Field[,Field], e.g. Companies=Name,VATNumber",
                                 param_hint="--key")
    return name.strip(), tuple(f.strip() for f in fields.split(",") if f.strip())


def report(result: Any, made: list[str], as_json: bool) -> None:
    if as_json:
        emit_json({**result.as_dict(), "tables_created": made})
        return
    for table in made:
        note(f"created table {table}")
    for name, plan in result.plans.items():
        counts = {side_words(k): v for k, v in plan.counts().items() if v}
        done = result.executed.get(name, {})
        line = ", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing to do"
        extra = ", ".join(f"{k} {v}" for k, v in done.items() if v)
        typer.echo(f"{name}: {'would' if result.dry_run else 'planned'}: {line}" + (f"; done: {extra}" if extra else ""))
        for issue in plan.issues:
            where = f"row {issue.source_id}" if issue.side == "a" else f"Scoro {issue.source_id}"
            err.print(f"  {issue.kind}: {name} {where}: {issue.message}")
    if result.stopped:
        err.print(f"stopped: {result.stopped}")
    if result.failed:
        err.print(f"{result.failed} record(s) failed; `scorolink dbsync errors` lists them with Scoro's messages.")


def side_words(key: str) -> str:
    op, _, side = key.rpartition("_")
    return f"{op} in {SIDE_NAMES[side]}" if side in SIDE_NAMES and op else key


def parked(options: Any, verb: str) -> list[dict[str, Any]]:
    """The parked conflicts (verb `conflicts`) or refused rows (`errors`) of one database's sync."""
    from scorolink.integrations.database.run import job_name
    from scorolink.sync.store import SyncStore

    store = SyncStore(options.state)
    try:
        rows = [e for e in store.errors(job_name(options.db)) if (e["kind"] == "conflict") == (verb == "conflicts")]
    finally:
        store.close()
    return [{"id": e["id"], "object": e["category"], "kind": e["kind"],
             "scoro_id": e["source_id"] if e["side"] == "b" else e["target_id"],
             "row": e["target_id"] if e["side"] == "b" else e["source_id"],
             "refused_by": SIDE_NAMES.get(e["side"], e["side"]), "message": e["message"], "attempts": e["attempts"],
             "last_seen": e["last_seen"]} for e in rows]


def _list(options: Any, verb: str, as_json: bool) -> None:
    out = parked(options, verb)
    if as_json:
        emit_json(out)
        return
    if not out:
        typer.echo(f"No {'parked conflicts' if verb == 'conflicts' else 'refused rows'}.")
        return
    for e in out:
        typer.echo(f"[{e['id']}] {e['object']} Scoro id {e['scoro_id'] or '-'}, row {e['row'] or '-'}: {e['message']}"
                   + ("" if verb == "conflicts" else f" (attempts {e['attempts']})"))
    if verb == "conflicts":
        note("Settle one with `scorolink dbsync resolve ID --take scoro|db`.")


def _resolve(connector: Any, options: Any, error_id: int, take: str, as_json: bool) -> None:
    result = resolve(connector, options, error_id, take)
    if as_json:
        emit_json({"resolved": error_id, "took": take, **result.as_dict()})
    else:
        typer.echo(f"Conflict {error_id} settled with the {'Scoro' if take == 'scoro' else 'table'} values.")


def resolve(connector: Any, options: Any, error_id: int, take: str) -> Any:
    """Settle one parked conflict with Scoro's values (`take` scoro) or the table's (db)."""
    from scorolink.integrations.database.run import TableSync, job_name

    if take not in ("scoro", "db"):
        raise ConfigError(f"Conflict {error_id}: take scoro or db, not {take!r}.")

    job = job_name(options.db)
    with TableSync(connector, _with_object(options, job, error_id)) as sync:
        conflict = next((e for e in sync.store.errors(job) if e["id"] == error_id and e["kind"] == "conflict"), None)
        if conflict is None:
            raise ConfigError(f"No parked conflict {error_id}; `scorolink dbsync conflicts` lists them.")
        record = ((conflict["category"], "a", conflict["source_id"]) if take == "scoro"
                  else (conflict["category"], "b", conflict["target_id"]))
        result = sync.engine.run(records=[record])
        if result.failed or result.stopped:
            raise ConfigError(f"Conflict {error_id} was not settled: {result.stopped or 'the write failed'}; "
                              "`scorolink dbsync errors` says why.")
        sync.store.dismiss_error(job, error_id)
    return result


def _with_object(options: Any, job: str, error_id: int) -> Any:
    """Options for the conflict's own object."""
    from scorolink.sync.store import SyncStore

    store = SyncStore(options.state)
    try:
        found = next((e for e in store.errors(job) if e["id"] == error_id), None)
    finally:
        store.close()
    if found is None:
        raise ConfigError(f"No parked conflict {error_id}; `scorolink dbsync conflicts` lists them.")
    options.objects = [found["category"]]
    return options
