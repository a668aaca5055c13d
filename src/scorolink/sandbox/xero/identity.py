"""Xero identity: apps, authorization codes (PKCE too), access tokens, rotating refresh tokens with a grace
period, revocation, client credentials, and the tenant connections a token can reach (A1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from ..records import Store
from .config import XeroSandboxConfig

# Old scopes and the 2026 granular ones that open each collection (A1). ".read" variants allow GETs.
SCOPES_FOR = {
    "Contacts": ("accounting.contacts",),
    "Invoices": ("accounting.transactions", "accounting.invoices"),
    "CreditNotes": ("accounting.transactions", "accounting.invoices"),
    "Items": ("accounting.settings", "accounting.invoices", "accounting.transactions"),
    "Payments": ("accounting.transactions", "accounting.payments"),
    "Accounts": ("accounting.settings",),
    "TaxRates": ("accounting.settings",),
    "TrackingCategories": ("accounting.settings",),
    "Currencies": ("accounting.settings",),
    "Organisation": ("accounting.settings",),
    "Attachments": ("accounting.attachments",),
}
# Scopes that apps created from March 2026 may no longer ask for (replaced by the granular ones, A1).
LEGACY_ONLY_SCOPES = {"accounting.transactions", "accounting.transactions.read", "accounting.reports.read"}
CODE_SECONDS = 300


class OAuthError(Exception):
    def __init__(self, error: str, description: str | None = None, status: int = 400) -> None:
        super().__init__(error)
        self.error, self.description, self.status = error, description, status

    def body(self) -> dict:
        return {"error": self.error, **({"error_description": self.description} if self.description else {})}


@dataclass
class Principal:
    """Who a valid access token speaks for."""

    client_id: str
    user_id: str
    scopes: set[str]
    token: str

    def allows(self, coll: str, write: bool) -> bool:
        wanted = SCOPES_FOR.get(coll, ())
        return any(s in self.scopes or (not write and f"{s}.read" in self.scopes) for s in wanted)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Identity:
    def __init__(self, config: XeroSandboxConfig, store: Store, now: Callable[[], float],
                 tenants: list[dict], seed: int) -> None:
        self.cfg, self.store, self.now = config, store, now
        self.tenants = {t["tenantId"]: t for t in tenants}
        self._lock = threading.RLock()
        self._secret = hashlib.sha256(f"xero-sandbox-signing:{seed}".encode()).digest()
        rng = hashlib.sha256(f"xero-sandbox-app:{seed}".encode()).hexdigest().upper()
        self.client_id = config.client_id or rng[:32]
        self.client_secret = config.client_secret or _b64(hashlib.sha256(f"secret:{seed}".encode()).digest())[:48]
        self.user_id = str(uuid.UUID(hashlib.md5(f"user:{seed}".encode()).hexdigest()))
        state = store.meta_json("identity", None) or {}
        self.apps: dict[str, dict] = state.get("apps") or {
            self.client_id: {"secret": self.client_secret, "name": config.app_name, "kind": "code"}}
        self.codes: dict[str, dict] = state.get("codes", {})
        self.access: dict[str, dict] = state.get("access", {})
        self.refresh: dict[str, dict] = state.get("refresh", {})
        self.connections: dict[str, dict] = state.get("connections", {})

    def _save(self) -> None:
        if self.store.persistent:
            self.store.meta_set("identity", json.dumps({"apps": self.apps, "codes": self.codes, "access": self.access,
                                                        "refresh": self.refresh, "connections": self.connections}))

    # -- apps ---------------------------------------------------------------------------------------------
    def add_custom_connection(self, tenant_id: str, name: str = "custom connection") -> tuple[str, str]:
        """A client_credentials app bound to one tenant (Xero "custom connections")."""
        cid = secrets.token_hex(16).upper()
        secret = secrets.token_urlsafe(36)
        with self._lock:
            self.apps[cid] = {"secret": secret, "name": name, "kind": "client_credentials", "tenant": tenant_id}
            self._save()
        return cid, secret

    def app_name(self, client_id: str) -> str:
        return str(self.apps.get(client_id, {}).get("name", self.cfg.app_name))

    def authenticate_client(self, basic: str | None, form: dict[str, str], allow_public: bool = False) -> str:
        cid, secret = form.get("client_id"), form.get("client_secret")
        if basic:
            try:
                raw = base64.b64decode(basic).decode()
                cid, _, secret = raw.partition(":")
            except (ValueError, UnicodeDecodeError):
                raise OAuthError("invalid_client") from None
        app = self.apps.get(cid or "")
        if app is None:
            raise OAuthError("invalid_client")
        if secret is None and allow_public:
            return str(cid)
        if not secret or not hmac.compare_digest(str(secret), app["secret"]):
            raise OAuthError("invalid_client")
        return str(cid)

    # -- authorize ----------------------------------------------------------------------------------------
    def authorize(self, params: dict[str, str]) -> str:
        """Consent is automatic: returns the redirect URL carrying the code (or an OAuth error)."""
        app = self.apps.get(params.get("client_id", ""))
        redirect = params.get("redirect_uri", "")
        if app is None or app["kind"] != "code":
            raise OAuthError("unauthorized_client", "Unknown client or client not enabled for the code flow")
        if not redirect:
            raise OAuthError("invalid_request", "redirect_uri is required")
        sep = "&" if "?" in redirect else "?"
        state = params.get("state")
        if params.get("response_type") != "code":
            return redirect + sep + urlencode({"error": "unsupported_response_type", **({"state": state} if state else {})})
        scope = " ".join(params.get("scope", "").split())
        if self.cfg.granular_scopes_only and set(scope.split()) & LEGACY_ONLY_SCOPES:
            return redirect + sep + urlencode({"error": "invalid_scope", **({"state": state} if state else {})})
        if not scope:
            return redirect + sep + urlencode({"error": "invalid_scope", **({"state": state} if state else {})})
        wanted = params.get("tenant")  # sandbox extension: which tenants the user consents to (default: all)
        tenants = [t for t in (wanted.split(",") if wanted else list(self.tenants)) if t in self.tenants]
        if not tenants:
            return redirect + sep + urlencode({"error": "access_denied", **({"state": state} if state else {})})
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = {"client_id": params["client_id"], "redirect_uri": redirect, "scope": scope,
                                "tenants": tenants, "expires": self.now() + CODE_SECONDS,
                                "challenge": params.get("code_challenge"),
                                "method": params.get("code_challenge_method", "plain")}
            self._save()
        return redirect + sep + urlencode({"code": code, "scope": scope, **({"state": state} if state else {})})

    # -- token endpoint -----------------------------------------------------------------------------------
    def token(self, basic: str | None, form: dict[str, str]) -> dict:
        grant = form.get("grant_type")
        with self._lock:
            if grant == "authorization_code":
                return self._code_grant(basic, form)
            if grant == "refresh_token":
                cid = self.authenticate_client(basic, form, allow_public=True)
                return self._refresh_grant(cid, form.get("refresh_token", ""))
            if grant == "client_credentials":
                cid = self.authenticate_client(basic, form)
                app = self.apps[cid]
                if app["kind"] != "client_credentials":
                    raise OAuthError("unauthorized_client")
                self._connect(cid, [app["tenant"]], str(uuid.uuid4()))
                scope = form.get("scope") or " ".join(sorted({s for v in SCOPES_FOR.values() for s in v}))
                return self._issue(cid, scope, with_refresh=False)
            raise OAuthError("unsupported_grant_type")

    def _code_grant(self, basic: str | None, form: dict[str, str]) -> dict:
        code = self.codes.get(form.get("code", ""))
        public = code is not None and code.get("challenge") is not None
        cid = self.authenticate_client(basic, form, allow_public=public)
        if code is None or code["client_id"] != cid or code["expires"] < self.now():
            raise OAuthError("invalid_grant")
        if form.get("redirect_uri") != code["redirect_uri"]:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorize request")
        if code["challenge"]:
            verifier = form.get("code_verifier", "")
            expected = _b64(hashlib.sha256(verifier.encode()).digest()) if code["method"] == "S256" else verifier
            if not verifier or not hmac.compare_digest(expected, code["challenge"]):
                raise OAuthError("invalid_grant", "code_verifier does not match")
        del self.codes[form["code"]]
        event = str(uuid.uuid4())
        self._connect(cid, code["tenants"], event)
        return self._issue(cid, code["scope"], with_refresh="offline_access" in code["scope"].split(), event=event)

    def _refresh_grant(self, cid: str, token: str) -> dict:
        rt = self.refresh.get(token)
        now = self.now()
        if rt is None or rt["client_id"] != cid or rt.get("revoked"):
            raise OAuthError("invalid_grant")
        if now - rt["last_used"] > self.cfg.refresh_token_idle_days * 86400:
            raise OAuthError("invalid_grant", "Token has been expired or revoked.")
        if rt.get("rotated_at") is not None and now - rt["rotated_at"] > self.cfg.refresh_grace_seconds:
            raise OAuthError("invalid_grant")
        reply = self._issue(cid, rt["scope"], with_refresh=True, event=rt["event"], family=rt["family"])
        if rt.get("rotated_at") is None:
            rt["rotated_at"] = now
        self._save()
        return reply

    def _issue(self, cid: str, scope: str, with_refresh: bool, event: str | None = None,
               family: str | None = None) -> dict:
        now = self.now()
        event = event or str(uuid.uuid4())
        claims = {"nbf": int(now), "exp": int(now) + self.cfg.access_token_seconds, "iss": "xero-sandbox/identity",
                  "aud": "xero-sandbox/resources", "client_id": cid, "sub": self.user_id.replace("-", ""),
                  "auth_time": int(now), "xero_userid": self.user_id, "jti": uuid.uuid4().hex,
                  "authentication_event_id": event, "scope": scope.split()}
        access = self._jwt(claims)
        family = family or uuid.uuid4().hex
        self.access[access] = {"client_id": cid, "scope": scope, "expires": now + self.cfg.access_token_seconds,
                               "family": family, "user": self.user_id}
        reply = {"access_token": access, "expires_in": self.cfg.access_token_seconds, "token_type": "Bearer",
                 "scope": scope}
        if "openid" in scope.split():
            reply["id_token"] = self._jwt({**claims, "aud": cid, "email": "sandbox.user@example.com",
                                           "given_name": "Sandbox", "family_name": "User"})
        if with_refresh:
            rt = secrets.token_hex(32)
            self.refresh[rt] = {"client_id": cid, "scope": scope, "event": event, "family": family,
                                "issued": now, "last_used": now}
            reply["refresh_token"] = rt
        self._prune(now)
        self._save()
        return reply

    def _prune(self, now: float) -> None:
        for tok in [t for t, a in self.access.items() if a["expires"] < now - 86400]:
            del self.access[tok]

    def _jwt(self, claims: dict) -> str:
        head = _b64(json.dumps({"alg": "HS256", "kid": "sandbox", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        sig = _b64(hmac.new(self._secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
        return f"{head}.{body}.{sig}"

    def revoke(self, basic: str | None, form: dict[str, str]) -> None:
        cid = self.authenticate_client(basic, form, allow_public=True)
        with self._lock:
            token = form.get("token", "")
            rt = self.refresh.get(token)
            family = rt["family"] if rt and rt["client_id"] == cid else \
                (self.access[token]["family"] if token in self.access and self.access[token]["client_id"] == cid
                 else None)
            if family is None:
                return  # RFC 7009: unknown tokens are not an error
            for r in self.refresh.values():
                if r["family"] == family:
                    r["revoked"] = True
            for a in self.access.values():
                if a["family"] == family:
                    a["revoked"] = True
            self._save()

    # -- access tokens and connections --------------------------------------------------------------------
    def principal(self, authorization: str | None) -> tuple[Principal | None, str]:
        """(principal, "") or (None, Detail of the 401)."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None, "AuthenticationUnsuccessful"
        token = authorization[7:].strip()
        a = self.access.get(token)
        if a is None or a.get("revoked"):
            return None, "AuthenticationUnsuccessful"
        if a["expires"] <= self.now():
            stamp = datetime.fromtimestamp(a["expires"], UTC).strftime("%m/%d/%Y %H:%M:%S")
            return None, f"TokenExpired: token expired at {stamp}"
        return Principal(a["client_id"], a["user"], set(a["scope"].split()), token), ""

    def _connect(self, cid: str, tenants: list[str], event: str) -> None:
        stamp = datetime.fromtimestamp(self.now(), UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        for tid in tenants:
            existing = next((c for c in self.connections.values() if c["client_id"] == cid and c["tenantId"] == tid),
                            None)
            if existing:
                existing.update(authEventId=event, updatedDateUtc=stamp)
                continue
            conn_id = str(uuid.uuid4())
            self.connections[conn_id] = {"id": conn_id, "authEventId": event, "tenantId": tid,
                                         "tenantType": self.tenants[tid]["tenantType"],
                                         "tenantName": self.tenants[tid]["tenantName"],
                                         "createdDateUtc": stamp, "updatedDateUtc": stamp, "client_id": cid,
                                         "user": self.user_id}

    def list_connections(self, p: Principal, auth_event: str | None = None) -> list[dict]:
        return [{k: v for k, v in c.items() if k not in ("client_id", "user")} for c in self.connections.values()
                if c["client_id"] == p.client_id and (auth_event is None or c["authEventId"] == auth_event)]

    def disconnect(self, p: Principal, conn_id: str) -> bool:
        with self._lock:
            c = self.connections.get(conn_id.lower())
            if c is None or c["client_id"] != p.client_id:
                return False
            del self.connections[conn_id.lower()]
            self._save()
            return True

    def connected(self, p: Principal, tenant_id: str | None) -> bool:
        if not tenant_id:
            return False
        tid = tenant_id.strip().lower()
        return any(c["client_id"] == p.client_id and c["tenantId"] == tid for c in self.connections.values())

    def issue_for_tests(self, scope: str, tenants: list[str] | None = None) -> dict:
        """Skip the browser: connect ``tenants`` (default all) and return a token reply."""
        with self._lock:
            event = str(uuid.uuid4())
            self._connect(self.client_id, tenants or list(self.tenants), event)
            return self._issue(self.client_id, scope, with_refresh="offline_access" in scope.split(), event=event)


def pkce_challenge(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode()).digest())


def jwt_claims(token: str) -> Any:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
