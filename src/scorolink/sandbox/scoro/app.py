"""HTTP surface: the Scoro API routes (raw ASGI, so faults can cut a response short) and /_sandbox/*."""

from __future__ import annotations

import json
import struct
import zlib
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import http
from .api import Call, error

if TYPE_CHECKING:
    from .sandbox import ScoroSandbox

SECRET_KEYS = ("apiKey", "user_token", "password", "api_key")
TOO_MANY = {"status": "ERROR", "statusCode": "429", "messages": {"error": ["Too many requests"]}}
HTML_5XX = "<html><head><title>{code} {reason}</title></head><body><center><h1>{code} {reason}</h1></center></body></html>"
REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def masked(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: ("***" if k in SECRET_KEYS else masked(v)) for k, v in body.items()}
    if isinstance(body, list):
        return [masked(v) for v in body]
    return body


class ApiEndpoint(http.ApiEndpoint):
    """POST {base}/{module}[/{action}][/{id}] for one site (or the site named in the path)."""

    sb: ScoroSandbox
    drop_partial = b'{"status":"OK","statusCode":200,"messages":null,"data":['

    async def handle(self, req: http.Incoming, send: Any) -> None:
        sb = self.sb
        params = req.params
        site = sb.site(params.get("site"))
        parts = req.parts
        module = parts[0] if parts else ""
        action = parts[1] if len(parts) > 1 else "list"
        rid = parts[2] if len(parts) > 2 else None
        headers = {"content-type": "application/json"}
        try:
            body = json.loads(req.body or b"{}")
        except ValueError:
            body = None
        entry = {"site": site.name if site else params.get("site"), "path": req.path, "module": module,
                 "action": action, "id": rid,
                 "body": masked(body) if body is not None else req.body[:500].decode("utf-8", "replace")}

        if site is None:
            return await self.answer(send, entry, 404, headers, error(404, f"Unknown site '{params.get('site')}'"))
        if req.method != "POST":
            return await self.answer(send, entry, 405, headers, error(405, "Use POST with a JSON body"))
        verdict = sb.limiter.check(site.name, sb.clock.now())
        headers.update(verdict.headers)
        if not verdict.allowed:
            headers["retry-after"] = str(verdict.retry_after)
            sb.count("rate_limited")
            return await self.answer(send, entry, 429, headers, TOO_MANY)

        async def run() -> http.Answer:
            if not isinstance(body, dict):
                return 400, headers, error(400, "Request body must be a JSON object")
            status, env = await run_in_threadpool(sb.api.handle, Call(site, module, action, rid, body, req.origin))
            return status, headers, env

        await self.faulted(send, entry, headers, run)

    def fault_answer(self, fault: str, headers: dict) -> http.Answer | None:
        if fault == "http_500":
            return 500, headers, error(500, "Internal server error")
        if fault in ("http_502", "http_503"):
            code = int(fault[-3:])
            return code, {**headers, "content-type": "text/html"}, HTML_5XX.format(code=code, reason=REASONS[code])
        if fault == "error_200":
            return 200, headers, error(500, "Internal error, please try again later")
        if fault == "malformed_json":
            text = json.dumps({"status": "OK", "statusCode": 200, "messages": None, "data": [{"id": 1, "name": "trunc"}]})
            return 200, headers, text[: len(text) // 2]
        return None

    def fault_delay(self, fault: str) -> float | None:
        return self.sb.config.faults.slow_seconds if fault == "slow" else super().fault_delay(fault)

    def lost_ack_partial(self, payload: Any) -> bytes:
        return json.dumps(payload).encode()[:20]


def png(seed: int) -> bytes:
    """A small deterministic 16x16 one-colour PNG."""
    r, g, b = (seed * 67) % 256, (seed * 131) % 256, (seed * 197) % 256
    raw = b"".join(b"\x00" + bytes([r, g, b]) * 16 for _ in range(16))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def pdf_bytes(title: str) -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            + f"% {title}\n".encode() + b"trailer<</Root 1 0 R>>\n%%EOF\n")


def build_app(sb: ScoroSandbox) -> Starlette:
    async def fixtures(request: Request) -> Response:
        body = await request.json()
        try:
            sb.set_count(site=body.get("site") or sb.default["site"], module=body["module"], n=int(body["count"]))
        except (KeyError, ValueError) as exc:
            return JSONResponse({"ok": False, "error": str(exc)}, status_code=400)
        return JSONResponse({"ok": True})

    async def sites(request: Request) -> Response:
        # keys and passwords only when the sandbox was started with expose_secrets (--expose-secrets)
        return JSONResponse(sb.sites if sb.config.expose_secrets else masked(sb.sites))

    async def picture(request: Request) -> Response:
        return Response(png(int(request.path_params["rid"])), media_type="image/png")

    async def pdf(request: Request) -> Response:
        p = request.path_params
        return Response(pdf_bytes(f"{p['site']} {p['module']} {p['rid']}"), media_type="application/pdf")

    endpoint = ApiEndpoint(sb)
    return Starlette(routes=[
        Route("/api/v2/{path:path}", endpoint, methods=["GET", "POST", "PUT", "DELETE"]),
        Route("/sites/{site}/api/v2/{path:path}", endpoint, methods=["GET", "POST", "PUT", "DELETE"]),
        *http.control_routes(sb),
        Route("/_sandbox/fixtures", fixtures, methods=["POST"]),
        Route("/_sandbox/sites", sites),
        Route("/_sandbox/pictures/{site}/contacts/{rid:int}.png", picture),
        Route("/_sandbox/pdf/{site}/{module}/{rid:int}.pdf", pdf),
    ])
