"""HTTP surface: the identity endpoints, /connections, the Accounting API under /api.xro/2.0 (raw ASGI, so
faults can cut a response short and calls in flight can be counted) and /_sandbox/*."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import http
from .api import COLLECTIONS, Call, Reply
from .identity import OAuthError
from .wire import problem, simple_error

if TYPE_CHECKING:
    from .sandbox import XeroSandbox

NOT_ACCEPTABLE = ("<ApiException><ErrorNumber>406</ErrorNumber><Type>NotAcceptable</Type><Message>The sandbox "
                  "answers JSON only: send Accept: application/json</Message></ApiException>")


def endpoint_name(method: str, parts: list[str]) -> str:
    """``PUT Invoices``, ``GET Invoices/{id}``, ``PUT CreditNotes/{id}/Allocations`` …"""
    if not parts:
        return f"{method} /"
    coll = COLLECTIONS.get(parts[0].lower(), parts[0])
    out = [coll]
    for i, p in enumerate(parts[1:], 1):
        low = p.lower()
        if low in ("attachments", "allocations", "options", "actions", "history"):
            out.append(low.capitalize())
        elif i == 1 or i == 3:
            out.append("{id}" if low != "actions" else p)
    return f"{method} {'/'.join(out)}"


class ApiEndpoint(http.ApiEndpoint):
    sb: XeroSandbox
    drop_partial = b'{"Id":"'

    async def handle(self, req: http.Incoming, send: Any) -> None:
        sb = self.sb
        method, parts, headers = req.method, req.parts, req.headers
        tenant = (headers.get("xero-tenant-id") or "").strip().lower()
        entry = {"endpoint": endpoint_name(method, parts), "method": method, "path": req.path,
                 "query": req.query_string, "tenant": tenant or None}
        out_headers = {"content-type": "application/json; charset=utf-8"}
        sb.webhooks.origin = req.origin

        principal, detail = sb.identity.principal(headers.get("authorization"))
        if principal is None:
            return await self.answer(send, entry, 401, out_headers, problem(401, "Unauthorized", detail))
        if not sb.identity.connected(principal, tenant) or sb.books_or_none(tenant) is None:
            return await self.answer(send, entry, 403, out_headers,
                                     problem(403, "Forbidden", "AuthenticationUnsuccessful"))
        coll = COLLECTIONS.get(parts[0].lower()) if parts else None
        scope_name = "Attachments" if len(parts) > 2 and parts[2].lower() == "attachments" else coll
        if coll and not principal.allows(scope_name or coll, write=method != "GET"):
            return await self.answer(send, entry, 401, out_headers,
                                     problem(401, "Unauthorized", "AuthorizationUnsuccessful"))
        accept = headers.get("accept", "")
        binary = (len(parts) > 3 and parts[2].lower() == "attachments" and method == "GET") or \
            ("application/pdf" in accept and method == "GET")
        if not binary and "application/json" not in accept:
            return await self.answer(send, entry, 406, {"content-type": "text/xml"}, NOT_ACCEPTABLE)
        verdict = sb.limiter.acquire(tenant, principal.client_id, sb.clock.now())
        out_headers.update(verdict.headers)
        if not verdict.allowed:
            sb.count_rate_limited(str(verdict.problem))
            return await self.answer(send, entry, 429, out_headers,
                                     problem(429, "Too Many Requests", f"Rate limit exceeded: {verdict.problem}"))
        call = Call(method, parts, req.query, headers, req.body, principal.client_id, req.origin)

        async def run() -> http.Answer:
            reply = await run_in_threadpool(sb.execute, call, tenant, headers.get("idempotency-key"))
            reply_headers = {**out_headers, **reply.headers}
            if reply.status == 204:
                reply_headers.pop("content-type", None)
                return 204, reply_headers, b""
            return reply.status, reply_headers, reply.payload

        try:
            await self.faulted(send, entry, out_headers, run)
        finally:
            sb.limiter.release(tenant, principal.client_id)

    def fault_answer(self, fault: str, headers: dict) -> http.Answer | None:
        if fault == "http_500":
            return 500, headers, simple_error(500, "UnknownErrorException", "An error occurred in Xero.")
        if fault == "http_503":
            return 503, {**headers, "content-type": "text/html"}, http.PLAIN_503
        return None


def fingerprint(call: Call, tenant: str) -> str:
    """What makes two requests "the same" for an Idempotency-Key (keys are per app, so the tenant counts)."""
    h = hashlib.sha256()
    for part in (tenant, call.method, "/".join(p.lower() for p in call.parts), json.dumps(sorted(call.query.items()))):
        h.update(part.encode() + b"\0")
    h.update(call.body)
    return h.hexdigest()


def reply_from_cache(entry: dict) -> Reply:
    return Reply(entry["status"], entry["payload"], dict(entry["headers"]))


def build_app(sb: XeroSandbox) -> Starlette:
    async def form_of(request: Request) -> tuple[str | None, dict[str, str]]:
        body = (await request.body()).decode()
        form = dict(parse_qsl(body, keep_blank_values=True))
        auth = request.headers.get("authorization", "")
        basic = auth[6:].strip() if auth.lower().startswith("basic ") else None
        return basic, form

    def counted(name: str, handler: Any) -> Any:
        return http.counted(sb, name, handler, "tenant")

    async def authorize(request: Request) -> Response:
        try:
            location = sb.identity.authorize(dict(request.query_params))
        except OAuthError as exc:
            return JSONResponse(exc.body(), status_code=400)
        return RedirectResponse(location, status_code=302)

    async def token(request: Request) -> Response:
        basic, form = await form_of(request)
        try:
            reply = await run_in_threadpool(sb.identity.token, basic, form)
        except OAuthError as exc:
            return JSONResponse(exc.body(), status_code=exc.status, headers={"cache-control": "no-store"})
        return JSONResponse(reply, headers={"cache-control": "no-store", "pragma": "no-cache"})

    async def revocation(request: Request) -> Response:
        basic, form = await form_of(request)
        try:
            sb.identity.revoke(basic, form)
        except OAuthError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        return Response(status_code=200)

    async def connections(request: Request) -> Response:
        principal, detail = sb.identity.principal(request.headers.get("authorization"))
        if principal is None:
            return JSONResponse(problem(401, "Unauthorized", detail), status_code=401)
        if request.method == "DELETE":
            ok = sb.identity.disconnect(principal, request.path_params.get("conn", ""))
            return Response(status_code=204) if ok else JSONResponse(
                problem(404, "Not Found", "Connection not found"), status_code=404)
        return JSONResponse(sb.identity.list_connections(principal, request.query_params.get("authEventId")))

    # -- /_sandbox ------------------------------------------------------------------------------------------
    async def tenants(request: Request) -> Response:
        return JSONResponse(sb.describe())

    async def sandbox_token(request: Request) -> Response:
        body = await request.json() if await request.body() else {}
        return JSONResponse(sb.issue_token(body.get("scope"), body.get("tenants")))

    async def webhooks(request: Request) -> Response:
        body = await request.json() if await request.body() else {}
        if body.get("url"):
            sb.webhooks.register(body["url"])
            result = await run_in_threadpool(sb.webhooks.intent_to_receive)
            return JSONResponse({**sb.webhooks.describe(), "intent_to_receive": result})
        if body.get("flush"):
            return JSONResponse(await run_in_threadpool(sb.webhooks.flush))
        return JSONResponse(sb.webhooks.describe())

    endpoint = ApiEndpoint(sb)
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]
    return Starlette(routes=[
        Route("/api.xro/2.0/{path:path}", endpoint, methods=methods),
        Route("/identity/connect/authorize", counted("connect/authorize", authorize)),
        Route("/connect/authorize", counted("connect/authorize", authorize)),
        Route("/connect/token", counted("connect/token", token), methods=["POST"]),
        Route("/identity/connect/token", counted("connect/token", token), methods=["POST"]),
        Route("/connect/revocation", counted("connect/revocation", revocation), methods=["POST"]),
        Route("/identity/connect/revocation", counted("connect/revocation", revocation), methods=["POST"]),
        Route("/connections", counted("connections", connections)),
        Route("/Connections", counted("connections", connections)),
        Route("/connections/{conn}", counted("connections/{id}", connections), methods=["DELETE"]),
        Route("/Connections/{conn}", counted("connections/{id}", connections), methods=["DELETE"]),
        *http.control_routes(sb),
        Route("/_sandbox/tenants", tenants),
        Route("/_sandbox/token", sandbox_token, methods=["POST"]),
        Route("/_sandbox/webhooks", webhooks, methods=["GET", "POST"]),
    ])
