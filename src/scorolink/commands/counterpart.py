"""The command bodies every accounting integration's CLI shares (`scorolink xero …`, `scorolink quickbooks …`):
opening the counterpart (saying so when it is the bundled sandbox), the browser step of `connect`, the sync state
database, running a sync and reporting it, `--object`, and `errors` (list, dismiss, retry). Each integration
keeps its own options' words and what is its own; what they print is commands.sync_report's."""

from __future__ import annotations

import os
import webbrowser
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.text import Text

from scorolink import output
from scorolink.clients.errors import AuthenticationFailed
from scorolink.commands.common import emit_json, err
from scorolink.commands.sync_report import error_rows, report
from scorolink.errors import ConfigError

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
NoBrowserOpt = Annotated[bool, typer.Option("--no-browser", help="Print the sign-in URL instead of opening a "
                                                                 "browser.")]
TimeoutOpt = Annotated[float, typer.Option(help="Seconds to wait for the sign-in to finish.")]
AllErrorsOpt = Annotated[bool, typer.Option("--all", help="Also resolved and dismissed errors.")]
DismissOpt = Annotated[int | None, typer.Option(help="Dismiss error ID: stop retrying that record.")]
RetryOpt = Annotated[int | None, typer.Option(help="Retry error ID on the next sync run, without waiting for its "
                                                   "retry interval.")]


def announce_sandbox(session: Any, env_prefix: str, data_env: str, default_data: str) -> Any:
    """`session` as it is; on stderr, that it is the bundled sandbox (no `<PREFIX>_CLIENT_ID` configured)."""
    if session.sandbox is not None:
        err.print(f"No {session.system} app configured ({env_prefix}_CLIENT_ID and {env_prefix}_CLIENT_SECRET): "
                  f"using the bundled {session.system} sandbox ({os.environ.get(data_env) or default_data}).",
                  style="dim")
    return session


def show(result: Any, as_json: bool, status: str, text: str) -> None:
    """A command's answer: `result` as JSON, or `status` (green) and `text` on stdout."""
    if as_json:
        emit_json(result)
        return
    output.stdout_console().print(Text(status, style="green"), text)


def account_line(name: Any, account: Any, currency: Any, target: str, expires: str | None) -> str:
    """`status`'s first lines: the counterpart account, how it is reached, when its access token expires."""
    return f"{name} ({account}, {currency}) via {target}\n  access token expires {expires}\n"


def when(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds") if epoch else None


def browser(session: Any, no_browser: bool, consent_query: str = "") -> Callable[[str], None]:
    """How `connect` shows the sign-in page: the person's browser (or the address on stderr), or the bundled
    sandbox's stand-in for them (`sandbox_browser`)."""
    if session.sandbox is not None:
        return sandbox_browser(session, consent_query)

    def opener(url: str) -> None:
        err.print(f"Open this address to connect {session.system}:\n{url}")
        if not no_browser:
            webbrowser.open(url)

    return opener


def sandbox_browser(session: Any, consent_query: str = "") -> Callable[[str], None]:
    """Stands in for the person at the browser: follow the sandbox's consent redirect to our loopback callback
    (`consent_query` is what the person would pick there)."""

    def visit(url: str) -> None:
        answer = session.oauth.http.get(url + consent_query, follow_redirects=False)
        location = answer.headers.get("location")
        if answer.status_code not in (302, 303) or not location:
            raise AuthenticationFailed(f"the sandbox's authorize page answered HTTP {answer.status_code}",
                                       messages=[answer.text[:200]] if answer.text else [])
        httpx.get(location, timeout=10)  # a real request to the loopback callback server

    return visit


def state_url(ctx: typer.Context, state: str | None, earlier: str | None = None) -> str:
    """The runtime's state database (--state, SCOROLINK_STATE_URL, [runtime] state), which jobs share; a SQLite
    file's folder is made. `earlier`: where the sync kept its state before, named when only that one exists."""
    from scorolink.runtime.settings import load_runtime_settings

    url: str = load_runtime_settings(getattr(ctx.obj, "config", None), state=state)[0].state
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        if earlier and not path.exists() and Path(earlier).exists():
            err.print(f"The sync state is now kept in {url} (the runtime's state database); an earlier "
                      f"one is in {earlier}: pass --state sqlite:///{earlier} to keep using its links, "
                      "or move that file.", style="yellow")
    return url


def scoro_account(ctx: typer.Context, connection: str | None) -> Any:
    """The ordinary Scoro account, or a named connection's (both carry `.connector`)."""
    if not connection or connection == "default":
        return ctx.obj.open()
    from scorolink.runtime.connections import ConfiguredConnections

    return ConfiguredConnections(getattr(ctx.obj, "config", None)).open(connection)


def connection_flags(config: str | None, connection: str | None, system: str) -> dict[str, Any] | None:
    """The `system` settings a named Scoro connection carries ([connections.NAME.<system>]), or None for the
    ordinary ones."""
    if not connection or connection == "default":
        return None
    from scorolink.runtime.connections import ConfiguredConnections, system_tables

    conns = ConfiguredConnections(config)
    if connection not in conns.tables:
        raise ConfigError(f"--connection {connection!r}: no [connections.{connection}] table (known: "
                          f"{', '.join(conns.names())}).")
    found: dict[str, Any] | None = system_tables(connection, conns.tables[connection]).get(system) or None
    return found


def parse_object(text: str, system: str) -> tuple[str, str, str]:
    """`--object`: CATEGORY:ID (a Scoro id) or CATEGORY:<system>:ID (the counterpart's) as (category, side, id)."""
    parts = text.split(":")
    if len(parts) == 2:
        return parts[0], "a", parts[1]
    if len(parts) == 3 and parts[1].lower() == system:
        return parts[0], "b", parts[2]
    raise ConfigError(f"--object {text!r}: write CATEGORY:ID (a Scoro id, e.g. invoices:42) or "
                      f"CATEGORY:{system}:ID.")


def sync_request(make: Callable[[], Any]) -> Any:
    """The run's SyncRequest; its complaints name the option (`--object …`)."""
    try:
        return make()
    except ConfigError as exc:
        raise ConfigError(f"--{exc}") from exc


def run_sync(url: str, run: Callable[[Any], Any]) -> tuple[Any, list[dict[str, Any]]]:
    """`run(store)` on the sync state at `url`; its result and the record errors it left open."""
    from scorolink.sync.store import SyncStore

    store = SyncStore(url)
    try:
        result = run(store)
        return result, store.errors(result.job)
    finally:
        store.close()


def finish_sync(result: Any, open_rows: list[dict[str, Any]], as_json: bool, system: str,
                errors_command: str) -> None:
    """The run's report (or JSON), and the exit code: 1 when it needs a person (stopped, or errors open)."""
    from scorolink.sync.report import exit_code

    if as_json:
        emit_json({**result.as_dict(), "open_errors": len(open_rows)})
    else:
        report(result, open_rows, system, errors_command)
    code = exit_code(result, len(open_rows))
    if code:
        raise typer.Exit(code)


def errors_command(url: str, jobs: Callable[[Any], Iterable[str]], *, all_: bool, dismiss: int | None,
                   retry: int | None, as_json: bool, system: str, command: str) -> None:
    """`errors`: the records the sync could not carry (with when each is tried again), or dismiss one (no
    longer retried), or retry one on the next run. `command` is the integration's (`scorolink xero`)."""
    from scorolink.sync.store import STANDING, SyncStore, next_retry

    store = SyncStore(url)
    try:
        found = list(jobs(store))
        if dismiss is not None:
            if not any(store.dismiss_error(job, dismiss) for job in found):
                raise ConfigError(f"No error {dismiss} in this sync's state; run `{command} errors` to list them.")
            err.print(f"Dismissed error {dismiss}: that record is no longer retried.")
            return
        if retry is not None:
            if any(row["id"] == retry and row["kind"] in STANDING for job in found for row in store.errors(job)):
                raise ConfigError(f"Error {retry} is on a record that was written: trying it again unchanged would "
                                  "say the same. Correct the record (the next run writes it again) or dismiss the "
                                  f"error (`{command} errors --dismiss {retry}`).")
            if not any(store.retry_error(job, retry) for job in found):
                raise ConfigError(f"No open error {retry} in this sync's state; run `{command} errors` to list "
                                  "them.")
            err.print(f"Error {retry}: its record is planned again on the next sync run (`{command} sync`).")
            return
        rows = [{**row, "next_retry": next_retry(row)} for job in found
                for row in store.errors(job, include_resolved=all_)]
    finally:
        store.close()
    table = error_rows(rows, system)
    if as_json:
        emit_json(rows)
        return
    output.print_table(table, title=f"{len(rows)} record error(s)", max_width=80)


def add_errors_command(app: typer.Typer, system: str, command: str, jobs: Callable[[Any], Iterable[str]],
                       state_url: Callable[[typer.Context, str | None], str]) -> None:
    """`<command> errors` on the integration's app: `jobs(store)` are its sync jobs, `state_url` finds its
    state database."""

    @app.command("errors")
    def errors_cmd(
        ctx: typer.Context,
        all_: AllErrorsOpt = False,
        dismiss: DismissOpt = None,
        retry: RetryOpt = None,
        state: Annotated[str | None, typer.Option(help="State database URL.")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Records the sync could not carry, with the system's own message; retried (at once when changed,
        else at growing intervals from 5 minutes to a day) until fixed or dismissed."""
        errors_command(state_url(ctx, state), jobs, all_=all_, dismiss=dismiss, retry=retry, as_json=as_json,
                       system=system, command=command)
