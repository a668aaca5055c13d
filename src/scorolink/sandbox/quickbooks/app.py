"""HTTP surface: Intuit OAuth (authorize, token, revoke, discovery, JWKS, userinfo), the Accounting API under
``/v3/company/{realmId}`` (raw ASGI, so faults can cut an answer short and calls in flight can be counted),
the temporary download URLs, and ``/_sandbox/*``."""

from __future__ import annotations

import asyncio
import json
import secrets
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from ..common import drop_response, origin, read_body, send_response
from .api import Call, Reply, endpoint_name
from .oauth import ACCOUNTING, PATHS, OAuthError
from .wire import THROTTLE_XML, QBOError, auth_failed, forbidden_realm, stamp, system_fault, throttle_json

if TYPE_CHECKING:
    from .sandbox import QuickBooksSandbox


NOT_ACCEPTABLE = ('<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"><Fault type="ValidationFault">'
                  '<Error code="2010"><Message>Request has invalid or unsupported property</Message><Detail>This '
                  'sandbox answers JSON only: send Accept: application/json</Detail></Error></Fault></IntuitResponse>')


class ApiEndpoint:
    def __init__(self, sandbox: QuickBooksSandbox) -> None:
        self.sb = sandbox

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        sb = self.sb
        raw = await read_body(receive)
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        realm = scope["path_params"]["realm"]
        parts = [p for p in scope["path_params"].get("path", "").split("/") if p]
        query = {k.lower(): v for k, v in parse_qsl(scope.get("query_string", b"").decode(), keep_blank_values=True)}
        method = scope["method"]
        entry = {"endpoint": endpoint_name(method, parts), "method": method, "path": scope["path"],
                 "query": scope.get("query_string", b"").decode(), "realm": realm}
        out = {"content-type": "application/json;charset=UTF-8", "intuit_tid": secrets.token_hex(16),
               "date": formatdate(sb.clock.now(), usegmt=True)}

        grant, detail = sb.oauth.principal(headers.get("authorization"))
        if grant is None:
            return await self._send(send, entry, 401, out, auth_failed(detail))
        co = sb.company_or_none(realm)
        if co is None or grant["realm"] != realm or ACCOUNTING not in grant["scope"].split():
            return await self._send(send, entry, 403, out, forbidden_realm(realm))
        if "application/json" not in headers.get("accept", "") and parts[:1] != ["download"]:
            # QuickBooks answers XML unless JSON is asked for; this sandbox speaks JSON only, so it refuses.
            return await self._send(send, entry, 406, {**out, "content-type": "application/xml"}, NOT_ACCEPTABLE)
        is_batch = bool(parts) and parts[0].lower() == "batch"
        refused = sb.limiter.acquire(f"{sb.oauth.client_id}:{realm}", sb.clock.now(), batch=is_batch)
        if refused is not None:
            sb.requests.bump("rate_limited", refused)
            if sb.config.throttle_body == "xml":
                body: Any = THROTTLE_XML.format(time=stamp(sb.clock.now(), co.tz, millis=True))
                return await self._send(send, entry, 429, {**out, "content-type": "application/xml"}, body)
            return await self._send(send, entry, 429, out, throttle_json())
        try:
            await self._serve(send, entry, Call(method, realm, parts, query, headers, raw, origin(scope)), out)
        finally:
            sb.limiter.release(f"{sb.oauth.client_id}:{realm}")

    async def _serve(self, send: Any, entry: dict, call: Call, out: dict) -> None:
        sb = self.sb
        fault = sb.faults.next()
        if fault:
            sb.requests.bump("faults_injected", fault)
            entry["fault"] = fault
        if fault == "http_500":
            return await self._send(send, entry, 500, out, {"Fault": system_fault()})
        if fault == "http_503":
            return await self._send(send, entry, 503, {**out, "content-type": "text/html"},
                                    "<html><body><h1>503 Service Unavailable</h1></body></html>")
        if fault == "drop":
            return await self._drop(send, entry, out)
        if fault == "timeout":
            await asyncio.sleep(sb.config.faults.timeout_seconds)
        reply = await run_in_threadpool(sb.execute, call)
        if fault == "lost_ack":
            return await self._drop(send, entry, out)
        await self._send(send, entry, reply.status, {**out, **reply.headers}, reply.payload)

    async def _send(self, send: Any, entry: dict, status: int, headers: dict, payload: Any) -> None:
        if isinstance(payload, bytes):
            data = payload
        elif isinstance(payload, str):
            data = payload.encode()
        else:
            data = json.dumps(payload, ensure_ascii=False).encode()
        self.sb.record(entry, status)
        await send_response(send, status, headers, data)

    async def _drop(self, send: Any, entry: dict, headers: dict) -> None:
        self.sb.record(entry, None)
        await drop_response(send, headers, b'{"')


def build_app(sb: QuickBooksSandbox) -> Starlette:
    def counted(name: str, handler: Any) -> Any:
        async def wrapped(request: Request) -> Response:
            response = await handler(request)
            response.headers["date"] = formatdate(sb.clock.now(), usegmt=True)
            sb.record({"endpoint": f"{request.method} {name}", "method": request.method, "path": request.url.path,
                       "realm": None}, response.status_code)
            return response

        return wrapped

    def basic_of(request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        return auth[6:].strip() if auth.lower().startswith("basic ") else None

    def oauth_error(exc: OAuthError) -> Response:
        return JSONResponse(exc.body() if exc.error != "invalid_grant" else {"error": "invalid_grant"},
                            status_code=exc.status, headers={"cache-control": "no-store"})

    async def discovery(request: Request) -> Response:
        return JSONResponse(sb.oauth.discovery(origin(dict(request.scope))))

    async def jwks(request: Request) -> Response:
        return JSONResponse(sb.oauth.jwks())

    async def authorize(request: Request) -> Response:
        try:
            location = sb.oauth.authorize(dict(request.query_params))
        except OAuthError as exc:
            return oauth_error(exc)
        return RedirectResponse(location, status_code=302)

    async def token(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            reply = await run_in_threadpool(sb.oauth.token, basic_of(request), form, headers, origin(dict(request.scope)))
        except OAuthError as exc:
            return oauth_error(exc)
        return JSONResponse(reply, headers={"cache-control": "no-store", "pragma": "no-cache"})

    async def revoke(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = dict(parse_qsl(raw.decode(), keep_blank_values=True))
        try:
            sb.oauth.revoke(basic_of(request), str(body.get("token") or ""))
        except OAuthError as exc:
            return oauth_error(exc)
        return Response(status_code=200)

    async def userinfo(request: Request) -> Response:
        grant, detail = sb.oauth.principal(request.headers.get("authorization"))
        if grant is None:
            return JSONResponse(auth_failed(detail), status_code=401)
        info: dict[str, Any] = {"sub": grant["sub"]}
        if "email" in grant["scope"].split():
            info.update({"email": f"owner-{grant['realm'][-4:]}@sandbox.example", "emailVerified": True})
        if "profile" in grant["scope"].split():
            info.update({"givenName": "Sandbox", "familyName": "Owner"})
        return JSONResponse(info)

    async def files(request: Request) -> Response:
        realm, rid = request.path_params["realm"], request.path_params["rid"]
        co = sb.company_or_none(realm)
        try:
            expires = int(request.query_params.get("expires", "0"))
        except ValueError:
            expires = 0
        if co is None or expires < sb.clock.now() or \
                request.query_params.get("signature") != sb.api.sign(realm, rid, expires):
            return PlainTextResponse("Request has expired or the signature does not match", status_code=403)
        found = co.file_of(rid)
        if found is None:
            return PlainTextResponse("Not found", status_code=404)
        data, ctype, name = found
        return Response(data, media_type=ctype, headers={"content-disposition": f'attachment; filename="{name}"'})

    # -- /_sandbox --------------------------------------------------------------------------------------
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
        return JSONResponse({"ok": True, "now": sb.advance_clock(float(body.get("advance", 0)))})

    async def realms(request: Request) -> Response:
        return JSONResponse(sb.describe())

    async def sandbox_token(request: Request) -> Response:
        body = await request.json() if await request.body() else {}
        try:
            return JSONResponse(sb.issue_token(body.get("realm"), body.get("scope")))
        except ValueError as exc:
            return JSONResponse({"ok": False, "error": str(exc)}, status_code=400)

    async def preferences(request: Request) -> Response:
        body = await request.json()
        try:
            sb.set_preferences(request.path_params["realm"], **body)
        except (ValueError, TypeError) as exc:
            return JSONResponse({"ok": False, "error": str(exc)}, status_code=400)
        return JSONResponse({"ok": True})

    endpoint = ApiEndpoint(sb)
    discovery_route = counted("discovery", discovery)
    return Starlette(routes=[
        Route("/v3/company/{realm}/{path:path}", endpoint, methods=["GET", "POST"]),
        Route(PATHS["discovery"], discovery_route),
        Route(PATHS["discovery"] + "/", discovery_route),
        Route("/.well-known/openid_sandbox_configuration", discovery_route),
        Route("/.well-known/openid_sandbox_configuration/", discovery_route),
        Route(PATHS["jwks"], counted("jwks", jwks)),
        Route(PATHS["authorize"], counted("authorize", authorize)),
        Route(PATHS["token"], counted("token", token), methods=["POST"]),
        Route(PATHS["revoke"], counted("revoke", revoke), methods=["POST"]),
        Route(PATHS["userinfo"], counted("userinfo", userinfo)),
        Route("/_sandbox/files/{realm}/{rid}", counted("files", files)),
        Route("/_sandbox/stats", stats),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/requests", requests),
        Route("/_sandbox/faults", faults, methods=["POST"]),
        Route("/_sandbox/clock", clock, methods=["POST"]),
        Route("/_sandbox/realms", realms),
        Route("/_sandbox/token", sandbox_token, methods=["POST"]),
        Route("/_sandbox/preferences/{realm}", preferences, methods=["POST"]),
    ])


__all__ = ["build_app", "QBOError", "Reply"]
