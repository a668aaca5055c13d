"""HTTP surface: Intuit OAuth (authorize, token, revoke, discovery, JWKS, userinfo), the Accounting API under
``/v3/company/{realmId}`` (raw ASGI, so faults can cut an answer short and calls in flight can be counted),
the temporary download URLs, and ``/_sandbox/*``."""

from __future__ import annotations

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

from .. import http
from ..common import origin
from .api import Call, Reply, endpoint_name
from .oauth import ACCOUNTING, PATHS, OAuthError
from .wire import THROTTLE_XML, QBOError, auth_failed, forbidden_realm, stamp, system_fault, throttle_json

if TYPE_CHECKING:
    from .sandbox import QuickBooksSandbox


NOT_ACCEPTABLE = ('<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"><Fault type="ValidationFault">'
                  '<Error code="2010"><Message>Request has invalid or unsupported property</Message><Detail>This '
                  'sandbox answers JSON only: send Accept: application/json</Detail></Error></Fault></IntuitResponse>')


class ApiEndpoint(http.ApiEndpoint):
    sb: QuickBooksSandbox

    async def handle(self, req: http.Incoming, send: Any) -> None:
        sb = self.sb
        realm, parts, headers = req.params["realm"], req.parts, req.headers
        entry = {"endpoint": endpoint_name(req.method, parts), "method": req.method, "path": req.path,
                 "query": req.query_string, "realm": realm}
        out = {"content-type": "application/json;charset=UTF-8", "intuit_tid": secrets.token_hex(16),
               "date": formatdate(sb.clock.now(), usegmt=True)}

        grant, detail = sb.oauth.principal(headers.get("authorization"))
        if grant is None:
            return await self.answer(send, entry, 401, out, auth_failed(detail))
        co = sb.company_or_none(realm)
        if co is None or grant["realm"] != realm or ACCOUNTING not in grant["scope"].split():
            return await self.answer(send, entry, 403, out, forbidden_realm(realm))
        if "application/json" not in headers.get("accept", "") and parts[:1] != ["download"]:
            # QuickBooks answers XML unless JSON is asked for; this sandbox speaks JSON only, so it refuses.
            return await self.answer(send, entry, 406, {**out, "content-type": "application/xml"}, NOT_ACCEPTABLE)
        is_batch = bool(parts) and parts[0].lower() == "batch"
        refused = sb.limiter.acquire(f"{sb.oauth.client_id}:{realm}", sb.clock.now(), batch=is_batch)
        if refused is not None:
            sb.requests.bump("rate_limited", refused)
            if sb.config.throttle_body == "xml":
                body: Any = THROTTLE_XML.format(time=stamp(sb.clock.now(), co.tz, millis=True))
                return await self.answer(send, entry, 429, {**out, "content-type": "application/xml"}, body)
            return await self.answer(send, entry, 429, out, throttle_json())
        call = Call(req.method, realm, parts, req.query, headers, req.body, req.origin)

        async def run() -> http.Answer:
            reply = await run_in_threadpool(sb.execute, call)
            return reply.status, {**out, **reply.headers}, reply.payload

        try:
            await self.faulted(send, entry, out, run)
        finally:
            sb.limiter.release(f"{sb.oauth.client_id}:{realm}")

    def fault_answer(self, fault: str, headers: dict) -> http.Answer | None:
        if fault == "http_500":
            return 500, headers, {"Fault": system_fault()}
        if fault == "http_503":
            return 503, {**headers, "content-type": "text/html"}, http.PLAIN_503
        return None


def build_app(sb: QuickBooksSandbox) -> Starlette:
    def counted(name: str, handler: Any) -> Any:
        return http.counted(sb, name, handler, "realm", lambda: {"date": formatdate(sb.clock.now(), usegmt=True)})

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
        *http.control_routes(sb),
        Route("/_sandbox/realms", realms),
        Route("/_sandbox/token", sandbox_token, methods=["POST"]),
        Route("/_sandbox/preferences/{realm}", preferences, methods=["POST"]),
    ])


__all__ = ["build_app", "QBOError", "Reply"]
