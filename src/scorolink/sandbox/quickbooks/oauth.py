"""Intuit OAuth 2.0 (B1): the authorize redirect with ``code``, ``state`` and ``realmId``; the token endpoint
(authorization_code and refresh_token grants, refresh-token rotation, 1-hour access tokens, the 100-day rolling
and 5-year hard refresh expiry); revocation; OpenID discovery, JWKS, signed id_tokens and userinfo."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ..records import Store
from .config import QuickBooksSandboxConfig

ACCOUNTING = "com.intuit.quickbooks.accounting"
SCOPES = {ACCOUNTING, "com.intuit.quickbooks.payment", "openid", "profile", "email", "phone", "address",
          "project-management.project"}
PATHS = {"authorize": "/connect/oauth2", "token": "/oauth2/v1/tokens/bearer", "revoke": "/v2/oauth2/tokens/revoke",
         "userinfo": "/v1/openid_connect/userinfo", "jwks": "/op/v1/jwks",
         "discovery": "/.well-known/openid_configuration", "issuer": "/op/v1"}


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class OAuth:
    def __init__(self, config: QuickBooksSandboxConfig, store: Store, now: Callable[[], float],
                 realm_ids: list[str], seed: int) -> None:
        self.cfg = config
        self.store = store
        self.now = now
        self.realm_ids = realm_ids
        digest = hashlib.sha256(f"qbo-app:{seed}".encode()).hexdigest()
        self.client_id = config.client_id or ("AB" + digest[:48])
        self.client_secret = config.client_secret or hashlib.sha256(f"qbo-secret:{seed}".encode()).hexdigest()[:40]
        self._lock = threading.RLock()
        state = store.meta_json("oauth", {})
        self._codes: dict[str, dict] = state.get("codes", {})
        self._grants: dict[str, dict] = state.get("grants", {})
        self._access: dict[str, dict] = state.get("access", {})
        self._refresh: dict[str, dict] = state.get("refresh", {})   # token -> {grant, until (grace) or None}
        self._rsa: rsa.RSAPrivateKey | None = None     # made on first use (id_token, JWKS)
        self.kid = digest[:16]

    def _save(self) -> None:
        self.store.meta_set("oauth", json.dumps({"codes": self._codes, "grants": self._grants,
                                                 "access": self._access, "refresh": self._refresh}))
        self.store.commit()

    @property
    def _key(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if self._rsa is None:
                self._rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self._rsa

    # -- discovery --------------------------------------------------------------------------------------
    def discovery(self, origin: str) -> dict:
        return {"issuer": origin + PATHS["issuer"], "authorization_endpoint": origin + PATHS["authorize"],
                "token_endpoint": origin + PATHS["token"], "userinfo_endpoint": origin + PATHS["userinfo"],
                "revocation_endpoint": origin + PATHS["revoke"], "jwks_uri": origin + PATHS["jwks"],
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": sorted(SCOPES), "token_endpoint_auth_methods_supported":
                ["client_secret_post", "client_secret_basic"],
                "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"]}

    def jwks(self) -> dict:
        pub = self._key.public_key().public_numbers()

        def enc(n: int) -> str:
            return _b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))

        return {"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid, "n": enc(pub.n),
                          "e": enc(pub.e)}]}

    def _id_token(self, origin: str, realm: str, sub: str) -> str:
        now = int(self.now())
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT"}
        payload = {"iss": origin + PATHS["issuer"], "aud": [self.client_id], "sub": sub, "realmid": realm,
                   "auth_time": now, "iat": now, "exp": now + self.cfg.access_token_seconds}
        signing = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(payload).encode())}"
        signature = self._key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing}.{_b64url(signature)}"

    # -- authorize --------------------------------------------------------------------------------------
    def authorize(self, params: dict[str, str]) -> str:
        """The consent step, approved at once: returns the redirect location. ``realmId`` (a sandbox
        extension) picks the company; otherwise the first one is connected."""
        if params.get("client_id") != self.client_id:
            raise OAuthError("invalid_client", "client_id is not the sandbox app's client id")
        redirect = params.get("redirect_uri") or ""
        parts = urlsplit(redirect)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise OAuthError("invalid_request", "redirect_uri must be an absolute http(s) URL")
        state = params.get("state")

        def back(query: dict[str, str]) -> str:
            if state is not None:
                query["state"] = state
            return redirect + ("&" if parts.query else "?") + urlencode(query)

        if params.get("response_type") != "code":
            return back({"error": "unsupported_response_type"})
        scopes = set((params.get("scope") or "").split())
        if not scopes or not scopes <= SCOPES:
            return back({"error": "invalid_scope"})
        realm = params.get("realmId") or params.get("realm_id") or self.realm_ids[0]
        if realm not in self.realm_ids:
            return back({"error": "access_denied", "error_description": f"unknown company {realm}"})
        code = "AB11" + secrets.token_hex(20)
        with self._lock:
            self._codes[code] = {"realm": realm, "redirect_uri": redirect, "scope": " ".join(sorted(scopes)),
                                 "expires": self.now() + self.cfg.authorization_code_seconds}
            self._save()
        return back({"code": code, "realmId": realm})

    # -- token ------------------------------------------------------------------------------------------
    def _client(self, basic: str | None, form: dict[str, str]) -> None:
        cid, secret = form.get("client_id"), form.get("client_secret")
        if basic:
            try:
                cid, _, secret = base64.b64decode(basic).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise OAuthError("invalid_client", "malformed Basic authorization", 401) from None
        if cid != self.client_id or secret != self.client_secret:
            raise OAuthError("invalid_client", "unknown client or wrong secret", 401)

    def token(self, basic: str | None, form: dict[str, str], headers: dict[str, str], origin: str) -> dict:
        self._client(basic, form)
        grant_type = form.get("grant_type")
        now = self.now()
        with self._lock:
            if grant_type == "authorization_code":
                code = self._codes.pop(form.get("code") or "", None)
                self._save()
                if code is None or code["expires"] < now:
                    raise OAuthError("invalid_grant", "the authorization code is unknown, used or expired")
                if form.get("redirect_uri") != code["redirect_uri"]:
                    raise OAuthError("invalid_grant", "redirect_uri does not match the authorize request")
                gid = secrets.token_hex(8)
                self._grants[gid] = {"realm": code["realm"], "scope": code["scope"], "created": now,
                                     "sub": hashlib.sha256(f"user:{code['realm']}".encode()).hexdigest()[:32]}
            elif grant_type == "refresh_token":
                token = form.get("refresh_token") or ""
                entry = self._refresh.get(token)
                grant = self._grants.get(entry["grant"]) if entry else None
                if entry is None or grant is None or grant.get("revoked"):
                    raise OAuthError("invalid_grant", "the refresh token is unknown or revoked")
                if entry.get("until") is not None and entry["until"] < now:
                    raise OAuthError("invalid_grant", "the refresh token was replaced by a newer one")
                if entry["idle_until"] < now or grant["created"] + self.cfg.refresh_token_hard_seconds < now:
                    raise OAuthError("invalid_grant", "the refresh token has expired")
                gid = entry["grant"]
                if entry.get("until") is None:      # the current token: rotate it
                    if self.cfg.refresh_grace_seconds > 0:
                        entry["until"] = now + self.cfg.refresh_grace_seconds
                    else:
                        del self._refresh[token]
            else:
                raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
            reply = self._issue(gid, now, origin, headers)
            self._save()
            return reply

    def _issue(self, gid: str, now: float, origin: str, headers: dict[str, str]) -> dict:
        grant = self._grants[gid]
        for tok in [t for t, e in self._refresh.items() if e["grant"] == gid and e.get("until") is None]:
            del self._refresh[tok]
        access = "eyJ" + secrets.token_urlsafe(48)
        refresh = "AB11" + secrets.token_hex(24)
        self._access[access] = {"grant": gid, "expires": now + self.cfg.access_token_seconds}
        idle = self.cfg.refresh_token_idle_seconds
        hard_left = int(grant["created"] + self.cfg.refresh_token_hard_seconds - now)
        self._refresh[refresh] = {"grant": gid, "idle_until": now + min(idle, hard_left), "until": None}
        self._access = {k: v for k, v in self._access.items() if v["expires"] > now}
        reply: dict[str, Any] = {"token_type": "bearer", "access_token": access, "refresh_token": refresh,
                                 "expires_in": self.cfg.access_token_seconds,
                                 "x_refresh_token_expires_in": min(idle, hard_left)}
        if (headers.get("x-include-refresh-token-hard-expires-in") or "").lower() == "true":
            reply["x_refresh_token_hard_expires_in"] = hard_left
        if "openid" in grant["scope"].split():
            reply["id_token"] = self._id_token(origin, grant["realm"], grant["sub"])
        return reply

    def revoke(self, basic: str | None, token: str) -> None:
        """Revoking either token ends the whole grant (its refresh and access tokens)."""
        self._client(basic, {})
        with self._lock:
            entry = self._refresh.get(token) or self._access.get(token)
            if entry is not None and entry["grant"] in self._grants:
                self._grants[entry["grant"]]["revoked"] = True
                gid = entry["grant"]
                self._refresh = {k: v for k, v in self._refresh.items() if v["grant"] != gid}
                self._access = {k: v for k, v in self._access.items() if v["grant"] != gid}
                self._save()

    # -- bearer check -----------------------------------------------------------------------------------
    def principal(self, authorization: str | None) -> tuple[dict | None, str]:
        """The grant behind a bearer token, or (None, why) for the 401 detail."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None, "Token invalid: no bearer token in the Authorization header"
        token = authorization[7:].strip()
        with self._lock:
            entry = self._access.get(token)
            if entry is None:
                return None, "Token invalid: unknown or revoked access token"
            if entry["expires"] <= self.now():
                return None, "Token expired: the access token is older than an hour; refresh it"
            grant = self._grants.get(entry["grant"])
            if grant is None or grant.get("revoked"):
                return None, "Token revoked"
            return grant, ""

    def issue_for_tests(self, realm: str | None = None, scope: str = ACCOUNTING) -> dict:
        """A token reply without the browser step."""
        with self._lock:
            gid = secrets.token_hex(8)
            realm = realm or self.realm_ids[0]
            if realm not in self.realm_ids:
                raise ValueError(f"unknown realm {realm!r}; realms: {self.realm_ids}")
            now = self.now()
            self._grants[gid] = {"realm": realm, "scope": scope, "created": now,
                                 "sub": hashlib.sha256(f"user:{realm}".encode()).hexdigest()[:32]}
            reply = self._issue(gid, now, "http://localhost", {})
            self._save()
            return {**reply, "realmId": realm}
