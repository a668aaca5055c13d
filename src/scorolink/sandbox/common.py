"""What the sandboxes need alike: their clock, their fault plan, their request log and counters
(`SandboxBase`), and the ASGI plumbing of serving (reading a body, answering, cutting a connection short,
running on loopback); `http.py` builds their shared HTTP surface on it. The sandboxes import nothing of
scorolink's clients, connectors or catalog."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import random
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

S = TypeVar("S")


class Clock:
    """Sandbox time = a base instant + real time elapsed since + seconds added by ``advance``.

    The base comes from configuration (or a data file), so generated data does not depend on the day the
    sandbox runs, while successive writes still get increasing timestamps. Token lifetimes, rate-limit
    windows, change filters and retention all read this clock, so tests can jump over them.

    ``Clock.realtime()`` follows the wall clock instead (plus ``advance``): its base is the moment it was made."""

    def __init__(self, base_ts: float, realtime: bool = False) -> None:
        self._base = base_ts
        self._started = time.monotonic()
        self._advanced = 0.0
        self._realtime = realtime
        self._lock = threading.Lock()

    @classmethod
    def realtime(cls) -> Clock:
        return cls(time.time(), realtime=True)

    @property
    def base(self) -> float:
        return self._base

    @property
    def is_realtime(self) -> bool:
        return self._realtime

    def now(self) -> float:
        with self._lock:
            if self._realtime:
                return time.time() + self._advanced
            return self._base + (time.monotonic() - self._started) + self._advanced

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._advanced += float(seconds)
        return self.now()


def parse_utc(value: str) -> float:
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


class SandboxConnectionDropped(ConnectionResetError):
    """Raised inside an ASGI app to cut a response short (drop, lost_ack)."""


class _DropFilter(logging.Filter):
    """Keeps uvicorn from logging a traceback for every connection a sandbox drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], SandboxConnectionDropped))


logging.getLogger("uvicorn.error").addFilter(_DropFilter())


async def read_body(receive: Any) -> bytes:
    raw = b""
    while True:
        message = await receive()
        raw += message.get("body", b"")
        if not message.get("more_body"):
            return raw


def origin(scope: dict) -> str:
    """``scheme://host`` the client used, for links a sandbox writes into its answers."""
    host = dict(scope.get("headers") or []).get(b"host", b"").decode() or "localhost"
    return f"{scope.get('scheme', 'http')}://{host}"


def _headers(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()]


async def send_response(send: Any, status: int, headers: dict[str, str], data: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": _headers({**headers, "content-length": str(len(data))})})
    await send({"type": "http.response.body", "body": data})


async def drop_response(send: Any, headers: dict[str, str], partial: bytes) -> None:
    """Announce a body with Content-Length, send only part of it, then abort the connection."""
    await send({"type": "http.response.start", "status": 200,
                "headers": _headers({**headers, "content-length": "4096"})})
    await send({"type": "http.response.body", "body": partial, "more_body": True})
    raise SandboxConnectionDropped("connection dropped by the sandbox (fault injection)")


@contextlib.contextmanager
def serve_in_thread(app: Any, host: str, port: int, name: str, **uvicorn_options: Any) -> Iterator[str]:
    """Serve an ASGI app over real HTTP from a background thread; yields ``http://host:port``."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off",
                                           timeout_graceful_shutdown=1, **uvicorn_options))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("sandbox server did not start")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def serve(app: Any, host: str, port: int, **uvicorn_options: Any) -> None:
    import uvicorn

    uvicorn.run(app, host=host, port=port, lifespan="off", **uvicorn_options)


class PortBusy(OSError):
    """The address to serve on is taken (or not ours): raised before anything is printed or built."""


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (0 picks a free port). The `sandbox` commands bind first and only
    then print how to reach them, so a printed address is always one that answers."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port in TIME_WAIT is free; a listener is not
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        reason = "it is already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise PortBusy(exc.errno, f"cannot listen on {host}:{port}: {reason}. Stop what holds it or pick "
                                  "another with --port (--port 0 picks a free one).") from None
    sock.set_inheritable(True)
    return sock


def open_on(host: str, port: int, build: Callable[[], S]) -> tuple[S, socket.socket, str]:
    """The `sandbox` commands' start: bind ``host:port`` first (a taken port raises PortBusy before anything
    is built or printed), then build the sandbox. Returns it, the bound socket and the origin
    (``http://host:port``) it answers on."""
    sock = listen(host, port)
    try:
        sandbox = build()
    except BaseException:
        sock.close()
        raise
    bound = sock.getsockname()[1]
    return sandbox, sock, f"http://{host if ':' not in host else f'[{host}]'}:{bound}"


def serve_until_interrupted(sandbox: SandboxBase, sock: socket.socket, **uvicorn_options: Any) -> None:
    """The `scorolink sandbox ...` commands: serve on an already bound socket until Ctrl+C, then save and
    close the sandbox."""
    import uvicorn

    options = {"log_level": "warning", **sandbox.uvicorn_options(), **uvicorn_options}
    server = uvicorn.Server(uvicorn.Config(sandbox.app, lifespan="off", **options))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        sandbox.close()
        sys.stdout.flush()


FAULT_KINDS = ("http_500", "http_503", "timeout", "drop", "lost_ack")


@dataclass(frozen=True)
class Faults:
    """Random faults: each API request fails with probability ``rate``, kind drawn from ``kinds`` (seeded).
    ``timeout`` answers after ``timeout_seconds`` (a slow answer); ``drop`` cuts the answer short before the
    call runs; ``lost_ack`` runs the call, then cuts the answer short (the write is done, the client never
    hears of it)."""

    rate: float = 0.0
    kinds: tuple[str, ...] = ("http_500", "http_503", "timeout", "drop")
    seed: int = 1
    timeout_seconds: float = 30.0

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {list(FAULT_KINDS)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("Faults.rate must be between 0 and 1")


class FaultPlan:
    """Which request fails how. Injected faults come first, in order; otherwise each API request fails
    with probability ``faults.rate`` from a seeded RNG, so a run's fault sequence is reproducible."""

    def __init__(self, faults: Any, known: Iterable[str]) -> None:
        self.faults = faults  # a Faults config: rate, kinds, seed
        self.known = tuple(known)
        self._rng = random.Random(faults.seed)
        self._queue: deque[str] = deque()
        self._lock = threading.Lock()

    def inject(self, *kinds: str) -> None:
        unknown = [k for k in kinds if k not in self.known]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {list(self.known)}")
        with self._lock:
            self._queue.extend(kinds)

    def next(self) -> str | None:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            if self.faults.rate > 0 and self.faults.kinds and self._rng.random() < self.faults.rate:
                return self._rng.choice(self.faults.kinds)
        return None

    def pending(self) -> list[str]:
        with self._lock:
            return list(self._queue)


class RequestLog:
    """A sandbox's request log and counters: the last `size` requests, and a stats dict of the shape
    `empty()` makes, with `requests` holding `total` and `by_*` buckets. `lock` is the sandbox's own
    (the Xero sandbox's also serialises API calls), so counting inside it is safe with an RLock."""

    def __init__(self, lock: Any, empty: Callable[[], dict], size: int = 1000) -> None:
        self.lock = lock
        self._empty = empty
        self._log: deque[dict] = deque(maxlen=size)
        self.stats = empty()

    def record(self, entry: dict, status: int | None, buckets: Iterable[tuple[str, str]]) -> None:
        """One request answered with `status` (None: dropped), counted in each (bucket, value) and by status."""
        with self.lock:
            self._log.append({**entry, "status": status})
            req = self.stats["requests"]
            req["total"] += 1
            for key, value in (*buckets, ("by_status", str(status) if status is not None else "dropped")):
                req[key][value] = req[key].get(value, 0) + 1

    def bump(self, counter: str, name: str | None = None) -> None:
        """Add one to `stats[counter]`, or to `stats[counter][name]` (starting at 0)."""
        with self.lock:
            if name is None:
                self.stats[counter] += 1
            else:
                self.stats[counter][name] = self.stats[counter].get(name, 0) + 1

    def snapshot(self) -> dict:
        with self.lock:
            return json.loads(json.dumps(self.stats))

    def reset(self) -> None:
        with self.lock:
            self.stats = self._empty()
            self._log.clear()

    def recent(self, n: int = 50) -> list[dict]:
        with self.lock:
            return [dict(e) for e in list(self._log)[-n:]] if n > 0 else []


def parse_limits(spec: str | None, limits: Any, names: dict[str, str], text_keys: tuple[str, ...] = ()) -> Any:
    """The `--rate-limit` option of the sandbox commands: nothing for the defaults (``limits()``), ``off`` for
    none (``limits.off()``), else ``NAME=VALUE,...`` for the names given (`parse_limit_spec`)."""
    if not spec:
        return limits()
    if spec.strip().lower() == "off":
        return limits.off()
    return limits(**parse_limit_spec(spec, names, text_keys))


def parse_limit_spec(spec: str, names: dict[str, str], text_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """`NAME=VALUE,...`: {field: value} for the names given (a whole number, 'off'/'none' for no limit, or
    text for `text_keys`). Raises ValueError naming the part."""
    values: dict[str, Any] = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in names:
            raise ValueError(f"--rate-limit: {part.strip()!r} is not NAME=VALUE with NAME one of {sorted(names)} "
                             "(or 'off')")
        value = value.strip()
        if key in text_keys:
            values[names[key]] = value
        elif value.lower() in ("off", "none"):
            values[names[key]] = None
        else:
            try:
                values[names[key]] = int(value)
            except ValueError:
                raise ValueError(f"--rate-limit: {key} must be a whole number or 'off', not {value!r}") from None
    return values



class SandboxBase:
    """What every sandbox offers alike around its API: injected faults, the request log and its counters,
    and serving over real HTTP. A sandbox sets ``app``, ``clock``, ``faults`` and ``requests`` when built."""

    app: Any
    config: Any   # the sandbox's own config; `config.faults` is a Faults
    clock: Clock
    faults: FaultPlan
    requests: RequestLog
    thread_name = "sandbox"   # the serving thread's name
    url_path = ""             # what `run_in_thread` adds to the origin it yields
    own_date = False          # the app stamps its own Date header (its clock), so uvicorn must not

    def record(self, entry: dict, status: int | None) -> None:
        """One request answered with `status` (None: the connection was cut), in the log and the counters."""
        raise NotImplementedError

    def advance_clock(self, seconds: float) -> float:
        raise NotImplementedError

    def inject(self, *kinds: str) -> None:
        self.faults.inject(*kinds)

    def count_fault(self, kind: str) -> None:
        self.requests.bump("faults_injected", kind)

    def clock_stamp(self, now: float) -> Any:
        """How /_sandbox/stats and /_sandbox/clock show the sandbox's time."""
        return now

    def stats(self) -> dict:
        out = self.requests.snapshot()
        out["clock"] = self.clock_stamp(self.clock.now())
        out["pending_faults"] = self.faults.pending()
        return out

    def reset_stats(self) -> None:
        self.requests.reset()

    def recent_requests(self, n: int = 50) -> list[dict]:
        return self.requests.recent(n)

    def uvicorn_options(self) -> dict[str, Any]:
        return {"date_header": False} if self.own_date else {}

    @contextlib.contextmanager
    def run_in_thread(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve over real HTTP from a background thread; yields the origin (``http://127.0.0.1:PORT``) and
        ``url_path``."""
        with serve_in_thread(self.app, host, port, self.thread_name, **self.uvicorn_options()) as url:
            yield url + self.url_path

    def serve(self, host: str = "127.0.0.1", port: int = 8000, **uvicorn_options: Any) -> None:
        serve(self.app, host, port, **{**self.uvicorn_options(), **uvicorn_options})

    def close(self) -> None:
        raise NotImplementedError
