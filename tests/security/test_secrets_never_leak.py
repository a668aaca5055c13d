"""Credentials never reach an output or a store (issue 20, item 4).

Operations run as real processes with literal secrets — against the Scoro sandbox over loopback, and
against a misbehaving gateway that answers every call with an HTML error page echoing the request
(API key, password and all). Then every output (stdout, stderr) and every file the operations left
(state database with runtime_runs and runtime_run_log, mirror, import journal, query cache, CSVs) is
searched for each secret, as text and as bytes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scorolink.sandbox.scoro import SandboxConfig, ScoroSandbox

pytestmark = pytest.mark.loopback
SCOROLINK = str(Path(sys.executable).parent / "scorolink")
LEAKY_KEY = "ScoroAPI_leaky-key-0123456789abcdef"
LEAKY_PASSWORD = "pw-leaky-password-42"


@pytest.fixture
def echoing_gateway() -> Iterator[str]:
    """Answers every request with a 502 HTML page that echoes the request body (as some proxies do)."""

    class Echo(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            page = b"<pre>" + body + b"</pre> bad gateway"
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v2"
    server.shutdown()
    server.server_close()


class Runner:
    def __init__(self, folder: Path, **env: str) -> None:
        self.folder = folder
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("SCORO_", "SCOROLINK_"))}
        self.env.update(SCOROLINK_CACHE_DIR=str(folder / "cache"), **env)
        self.outputs: list[str] = []

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([SCOROLINK, *args], cwd=self.folder, env=self.env, capture_output=True, text=True,
                              timeout=300)
        self.outputs += [done.stdout, done.stderr]
        if ok:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    def assert_nothing_holds(self, *secrets: str, files_expected: bool = True) -> None:
        files = [p for p in self.folder.rglob("*") if p.is_file()]
        assert files or not files_expected, "the operations left no files to search"
        for secret in secrets:
            for text in self.outputs:
                assert secret not in text
            for path in files:
                assert secret.encode() not in path.read_bytes(), f"{secret!r} found in {path}"


def test_an_echoed_request_never_carries_the_key_into_messages_or_runs(tmp_path, echoing_gateway):
    run = Runner(tmp_path, SCORO_BASE_URL=echoing_gateway, SCORO_COMPANY_ACCOUNT_ID="acme", SCORO_API_KEY=LEAKY_KEY)
    failed = run("read", "Projects", "--limit", "1", ok=False)
    assert failed.returncode != 0 and "502" in failed.stderr + failed.stdout  # the real cause is still told

    (tmp_path / "scorolink.toml").write_text(
        '[runtime]\nstate = "sqlite:///state.db"\n\n'
        f'[connections.echo]\nbase_url = "{echoing_gateway}"\ncompany_account_id = "acme"\n'
        f'api_key = "{LEAKY_KEY}"\nmax_attempts = 2\n')
    run("jobs", "add", "mirror", "--connection", "echo", "--schedule", "manual", "--objects", "Projects",
        "--to", "sqlite:///mirror.db")
    run("jobs", "run-now", "mirror")
    run("serve", "--once")
    shown = run("runs", "show", "1", "--json").stdout
    assert '"failed"' in shown and "502" in shown  # runtime_runs and runtime_run_log got the error ...
    (tmp_path / "scorolink.toml").unlink()  # (the config file itself holds the key on purpose)
    run.assert_nothing_holds(LEAKY_KEY)  # ... without the key


def test_a_login_with_an_echoed_password_never_shows_it(tmp_path, echoing_gateway):
    run = Runner(tmp_path, SCORO_BASE_URL=echoing_gateway, SCORO_COMPANY_ACCOUNT_ID="acme",
                 SCORO_USERNAME="someone", SCORO_PASSWORD=LEAKY_PASSWORD)
    failed = run("read", "Projects", "--limit", "1", ok=False)
    assert failed.returncode != 0
    run.assert_nothing_holds(LEAKY_PASSWORD, files_expected=False)


def test_every_store_of_ordinary_operations_is_free_of_the_credentials(tmp_path):
    sb = ScoroSandbox(SandboxConfig(seed=3, size=60))
    site = sb.default
    user = site["users"][0]
    with sb.run_in_thread() as base_url:
        key = Runner(tmp_path, SCORO_BASE_URL=base_url, SCORO_COMPANY_ACCOUNT_ID=site["company_account_ids"][0],
                     SCORO_API_KEY=site["api_key"])
        key("replicate", "--to", "sqlite:///mirror.db", "--objects", "Companies,Projects")
        key("export", "Companies", "-o", "companies.csv", "--limit", "5")
        (tmp_path / "new.csv").write_text("Name\nLeak Test One\nLeak Test Two\n")
        key("import", "Companies", "new.csv", "--journal-dir", "journal")
        key("query", "SELECT Id, Name FROM Companies LIMIT 3")
        key("query", "SELECT Id, Name FROM Companies LIMIT 3")  # from the cache
        key("read", "Projects", "--limit", "2", "--format", "json")
        login = Runner(tmp_path, SCORO_BASE_URL=base_url, SCORO_COMPANY_ACCOUNT_ID=site["company_account_ids"][0],
                       SCORO_USERNAME=user["username"], SCORO_PASSWORD=user["password"])
        login("read", "Projects", "--limit", "2")
        login("query", "SELECT Id FROM Projects LIMIT 2")
    sb.close()
    assert (tmp_path / "mirror.db").exists() and any((tmp_path / "journal").iterdir())
    key.outputs += login.outputs
    key.assert_nothing_holds(site["api_key"], user["password"])
