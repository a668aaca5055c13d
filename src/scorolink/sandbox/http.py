"""The HTTP surface the three sandboxes share: the API endpoint's answering (raw ASGI, so a fault can cut
an answer short; every answer recorded in the request log), the routes that are only counted, and the
``/_sandbox/{stats,reset,requests,faults,clock}`` controls. What goes over the wire (error bodies, headers,
the part of a body a dropped connection delivers) stays each sandbox's own."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .common import SandboxBase, drop_response, origin, read_body, send_response

Answer = tuple[int, dict, Any]   # status, headers, payload (bytes, text, or JSON-able)
PLAIN_503 = "<html><body><h1>503 Service Unavailable</h1></body></html>"


@dataclass(frozen=True)
class Incoming:
    """One API request as the endpoints read it: header and query names lower-cased."""

    method: str
    path: str
    params: dict[str, Any]    # the route's path parameters
    parts: list[str]          # the "path" parameter (below the API's root), split at "/"
    query_string: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    origin: str               # scheme://host the client used

    @classmethod
    async def read(cls, scope: dict, receive: Any) -> Incoming:
        query_string = scope.get("query_string", b"").decode()
        params = scope.get("path_params", {})
        return cls(method=scope["method"], path=scope["path"], params=params,
                   parts=[p for p in params.get("path", "").split("/") if p],
                   query_string=query_string,
                   query={k.lower(): v for k, v in parse_qsl(query_string, keep_blank_values=True)},
                   headers={k.decode().lower(): v.decode("latin-1") for k, v in scope.get("headers") or []},
                   body=await read_body(receive), origin=origin(scope))


class ApiEndpoint:
    """Base of a sandbox's API endpoint (an ASGI app): `handle` answers one request. `answer` sends and
    records; `faulted` runs a call under the fault plan: a fault with a canned answer (`fault_answer`) replaces the call, ``drop`` cuts the answer short
    before the call runs, a delay (`fault_delay`) comes before it, ``lost_ack`` runs it and then cuts the
    answer short."""

    drop_partial = b'{"'   # what a ``drop`` fault delivers of the announced body

    def __init__(self, sandbox: SandboxBase) -> None:
        self.sb = sandbox

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        await self.handle(await Incoming.read(scope, receive), send)

    async def handle(self, req: Incoming, send: Any) -> None:
        raise NotImplementedError

    def fault_answer(self, fault: str, headers: dict) -> Answer | None:
        return None

    def fault_delay(self, fault: str) -> float | None:
        return self.sb.config.faults.timeout_seconds if fault == "timeout" else None

    def lost_ack_partial(self, payload: Any) -> bytes:
        return self.drop_partial

    async def faulted(self, send: Any, entry: dict, headers: dict, run: Callable[[], Awaitable[Answer]]) -> None:
        fault = self.sb.faults.next()
        if fault:
            self.sb.count_fault(fault)
            entry["fault"] = fault
            canned = self.fault_answer(fault, headers)
            if canned is not None:
                return await self.answer(send, entry, *canned)
            if fault == "drop":
                return await self.cut(send, entry, headers, self.drop_partial)
            delay = self.fault_delay(fault)
            if delay is not None:
                await asyncio.sleep(delay)
        status, reply_headers, payload = await run()
        if fault == "lost_ack":
            return await self.cut(send, entry, headers, self.lost_ack_partial(payload))
        await self.answer(send, entry, status, reply_headers, payload)

    async def answer(self, send: Any, entry: dict, status: int, headers: dict, payload: Any) -> None:
        if isinstance(payload, bytes):
            data = payload
        elif isinstance(payload, str):
            data = payload.encode()
        else:
            data = json.dumps(payload, ensure_ascii=False).encode()
        self.sb.record(entry, status)
        await send_response(send, status, headers, data)

    async def cut(self, send: Any, entry: dict, headers: dict, partial: bytes) -> None:
        self.sb.record(entry, None)
        await drop_response(send, headers, partial)


def counted(sb: SandboxBase, name: str, handler: Callable[[Request], Awaitable[Response]], scope_key: str,
            headers: Callable[[], dict[str, str]] | None = None) -> Callable[[Request], Awaitable[Response]]:
    """A non-API route (OAuth, connections, files) that still counts in the request log as ``METHOD name``,
    with `scope_key` (tenant, realm) empty; `headers` are added to every answer."""

    async def wrapped(request: Request) -> Response:
        response = await handler(request)
        for key, value in (headers() if headers else {}).items():
            response.headers[key] = value
        sb.record({"endpoint": f"{request.method} {name}", "method": request.method, "path": request.url.path,
                   scope_key: None}, response.status_code)
        return response

    return wrapped


def control_routes(sb: SandboxBase) -> list[Route]:
    """``/_sandbox/stats``, ``reset``, ``requests``, ``faults`` (inject the next kinds) and ``clock`` (advance)."""

    async def stats(request: Request) -> Response:
        return JSONResponse(sb.stats())

    async def reset(request: Request) -> Response:
        sb.reset_stats()
        return JSONResponse({"ok": True})

    async def requests(request: Request) -> Response:
        return JSONResponse(sb.recent_requests(int(request.query_params.get("limit", "50"))))

    async def faults(request: Request) -> Response:
        body = await request.json()
        try:
            sb.inject(*body.get("next", []))
        except ValueError as exc:
            return JSONResponse({"ok": False, "error": str(exc)}, status_code=400)
        return JSONResponse({"ok": True, "pending": sb.faults.pending()})

    async def clock(request: Request) -> Response:
        body = await request.json()
        return JSONResponse({"ok": True, "now": sb.clock_stamp(sb.advance_clock(float(body.get("advance", 0))))})

    return [
        Route("/_sandbox/stats", stats),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/requests", requests),
        Route("/_sandbox/faults", faults, methods=["POST"]),
        Route("/_sandbox/clock", clock, methods=["POST"]),
    ]
