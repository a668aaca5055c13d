"""OAuth 2.0, generic: the authorization-code flow with PKCE and a one-shot local callback, refresh with
rotation and a grace period, revocation, the client-credentials grant, and token sets at rest.

An integration brings only its endpoints and quirks (integrations/<system>/oauth.py: Xero's tenants,
for example) as an OAuthApp and, where it needs to, a subclass of OAuthClient. Facts the core relies on
are the RFC's: the token endpoint is form-encoded with the client in HTTP Basic; a refresh may return a
new refresh token (rotation: store it, drop the old); when a refresh answer is lost, the old refresh
token stays usable for the provider's grace period (`grace_seconds`); a dead refresh token answers 400
`{"error": "invalid_grant"}`.

Token sets are stored encrypted: in the state database per (Scoro account, integration, tenant) (DatabaseTokenStore,
state/credentials.py), or in a file replaced atomically (TokenStore, the format of earlier versions).
The key comes from SCOROLINK_SECRET_KEY or a 0600 key file (state/secrets.py).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import json
import logging
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Protocol
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from scorolink.clients import redact
from scorolink.clients.errors import ApiError, AuthenticationFailed, Unavailable
from scorolink.clients.http import Resend
from scorolink.errors import ConfigError, ScorolinkError
from scorolink.state.secrets import SECRET_KEY_ENV, load_fernet_key

try:  # fcntl is POSIX-only; on other systems the in-process lock still serialises refreshes
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

REFRESH_GRACE_SECONDS = 30 * 60
EXPIRY_MARGIN_SECONDS = 60  # refresh this long before the access token expires


class ReconnectRequired(AuthenticationFailed):
    """The refresh token is expired, revoked or unknown (`invalid_grant`), or no token is stored."""


@dataclass(frozen=True)
class OAuthApp:
    """An app's OAuth registration and the provider's endpoints. The class attributes name the provider
    in messages and say how to connect again; an integration sets them on its subclass."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str = "http://localhost:8721/callback"
    scopes: str = ""
    authorize_url: str = ""
    token_url: str = ""
    revocation_url: str = ""

    provider: ClassVar[str] = "the provider"
    connect_command: ClassVar[str] = "scorolink connect"  # the command that connects again
    redirect_setting: ClassVar[str] = "redirect_uri"  # where the redirect URI is configured
    credentials_setting: ClassVar[str] = "the client id and secret"

    @property
    def reconnect_hint(self) -> str:
        return f"Reconnect with `{self.connect_command}`"


@dataclass
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float = 0.0  # epoch seconds
    scope: str = ""
    token_type: str = "Bearer"
    obtained_at: float = 0.0
    # The refresh token this set replaced and when: usable for REFRESH_GRACE_SECONDS after the rotation.
    previous_refresh_token: str | None = field(default=None, repr=False)
    rotated_at: float | None = None
    # A refresh whose answer never came: the same (old) refresh token is retried while in grace.
    refresh_pending_since: float | None = None
    tenant_id: str | None = None  # the default tenant chosen at connect time
    tenants: list[dict[str, Any]] = field(default_factory=list)  # the last /connections answer

    @classmethod
    def from_reply(cls, reply: dict[str, Any], now: float, previous: TokenSet | None = None) -> TokenSet:
        if not reply.get("access_token"):
            raise Unavailable("token endpoint answered without an access_token", endpoint="connect/token")
        tokens = cls(
            access_token=str(reply["access_token"]),
            refresh_token=reply.get("refresh_token") or (previous.refresh_token if previous else None),
            expires_at=now + float(reply.get("expires_in") or 1800),
            scope=str(reply.get("scope") or (previous.scope if previous else "")),
            token_type=str(reply.get("token_type") or "Bearer"),
            obtained_at=now,
        )
        if previous is not None:
            tokens.tenant_id = previous.tenant_id
            tokens.tenants = previous.tenants
            if previous.refresh_token and previous.refresh_token != tokens.refresh_token:
                tokens.previous_refresh_token = previous.refresh_token
                tokens.rotated_at = now
        return tokens

    def expires_within(self, seconds: float, now: float) -> bool:
        return self.expires_at - now <= seconds


# -- secrets at rest -----------------------------------------------------------------------
class TokenStorage(Protocol):
    """Where a token set lives: a file (TokenStore), the state database (DatabaseTokenStore), memory."""

    key_file: Any

    @property
    def path(self) -> Any: ...  # where, in words, for messages

    def load(self) -> TokenSet | None: ...

    def save(self, tokens: TokenSet) -> None: ...

    def clear(self) -> None: ...

    def locked(self) -> contextlib.AbstractContextManager[None]: ...


class TokenStore:
    """One encrypted token set in a file, replaced atomically."""

    def __init__(self, path: str | os.PathLike[str], key_file: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path)
        self.key_file = Path(key_file) if key_file else self.path.parent / "secret.key"
        self._lock = threading.RLock()
        # Every API call asks for the token: decrypt again only when the file changed (another process
        # may have rotated it).
        self._cache: tuple[tuple[int, int, int, str], TokenSet] | None = None

    def _fernet(self) -> Any:
        from cryptography.fernet import Fernet

        return Fernet(load_fernet_key(self.key_file))

    def load(self) -> TokenSet | None:
        from cryptography.fernet import InvalidToken

        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size, os.environ.get(SECRET_KEY_ENV, ""))
        if self._cache is not None and self._cache[0] == stamp:
            return replace(self._cache[1])
        try:
            plain = self._fernet().decrypt(self.path.read_bytes())
        except InvalidToken as exc:
            raise ConfigError(
                f"Cannot decrypt {self.path} with the current key ({SECRET_KEY_ENV} or {self.key_file}); the key "
                "changed or the file is damaged; connect the integration again."
            ) from exc
        data = json.loads(plain)
        known = set(TokenSet.__dataclass_fields__)
        tokens = TokenSet(**{k: v for k, v in data.items() if k in known})
        self._cache = (stamp, replace(tokens))
        return tokens

    def save(self, tokens: TokenSet) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        blob = self._fernet().encrypt(json.dumps(asdict(tokens)).encode())
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):  # make the rename itself durable
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def clear(self) -> None:
        self._cache = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise refreshes across threads and processes sharing this store."""
        with self._lock:
            if fcntl is None:
                yield
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path.with_name(self.path.name + ".lock"), "a+") as fh:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class DatabaseTokenStore:
    """The token set of one (Scoro account, integration, tenant) in the state database
    (state/credentials.py), encrypted, so every worker reaching that database uses — and rotates — the
    same tokens, and another Scoro account connected to the same integration has its own.

    What earlier versions stored without an account (rows of the shared slot, or a token file,
    `legacy_file`) is claimed on first use when `claims_legacy`: by the `default` account, or by a named
    one whose own settings name that tenant — never by a named account that merely shared the slot."""

    def __init__(self, credentials: Any, integration: str, tenant: str = "",
                 legacy_file: str | os.PathLike[str] | None = None, *, account: str = "default",
                 claims_legacy: bool = True) -> None:
        self.credentials = credentials  # a scorolink.state.credentials.CredentialStore
        self.integration = integration
        self.tenant = tenant
        self.account = account
        self.claims_legacy = claims_legacy
        self.key_file = credentials.key_file
        self.legacy_file = Path(legacy_file) if legacy_file and claims_legacy else None

    @property
    def path(self) -> str:
        account = "" if self.account == "default" else f" of Scoro account {self.account}"
        return f"{self.credentials.store.url} (credentials {self.integration}/{self.tenant or 'default'}{account})"

    def load(self) -> TokenSet | None:
        data = self.credentials.get(self.integration, self.tenant, self.account)
        if data is None:
            return self._claim_legacy()
        known = set(TokenSet.__dataclass_fields__)
        return TokenSet(**{k: v for k, v in data.items() if k in known})

    def _claim_legacy(self) -> TokenSet | None:
        if not self.claims_legacy:
            return None
        with self.locked():
            if self.credentials.claim(self.integration, self.tenant, self.account):
                log.info("the %s tokens stored before accounts were told apart now belong to account %s",
                         self.integration, self.account)
                return self.load()
            if self.legacy_file is None or not self.legacy_file.exists():
                return None
            if self.credentials.get(self.integration, self.tenant, self.account) is not None:
                return self.load()  # another process moved it in meanwhile
            tokens = TokenStore(self.legacy_file, self.key_file).load()
            if tokens is None:
                return None
            self.save(tokens)
        self.legacy_file.unlink(missing_ok=True)
        log.info("moved the tokens of %s into the state database", self.legacy_file)
        return tokens

    def save(self, tokens: TokenSet) -> None:
        self.credentials.put(self.integration, self.tenant, asdict(tokens), self.account)

    def clear(self) -> None:
        self.credentials.delete(self.integration, self.tenant, self.account)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise refreshes across threads, processes and workers sharing the state database."""
        with self.credentials.locked(self.integration, self.tenant, self.account):
            yield


class MemoryTokenStore(TokenStore):
    """Tokens kept in memory only (the bundled sandbox, tests)."""

    def __init__(self, tokens: TokenSet | None = None) -> None:
        self.path = Path("<memory>")
        self.key_file = self.path
        self._tokens = tokens
        self._lock = threading.RLock()

    def load(self) -> TokenSet | None:
        return replace(self._tokens) if self._tokens else None

    def save(self, tokens: TokenSet) -> None:
        self._tokens = replace(tokens)

    def clear(self) -> None:
        self._tokens = None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        with self._lock:
            yield


# -- PKCE and the callback server ----------------------------------------------------------
def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)[:96]
    return verifier, pkce_challenge(verifier)


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class CallbackServer:
    """A one-shot HTTP server on the redirect URI's host and port that receives `?code=&state=`."""

    def __init__(self, redirect_uri: str, expected_state: str, app: OAuthApp | None = None) -> None:
        parts = urlsplit(redirect_uri)
        self.provider = app.provider if app else "the provider"
        self.command = app.connect_command if app else "scorolink connect"
        if parts.scheme != "http" or not parts.hostname:
            setting = app.redirect_setting if app else "The redirect URI"
            raise ConfigError(f"{setting} {redirect_uri!r} must be a local http:// address such as "
                              f"http://localhost:8721/callback (registered for the app with {self.provider}).")
        self.path = parts.path or "/"
        self.expected_state = expected_state
        self.result: dict[str, str] | None = None
        self._done = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                url = urlsplit(self.path)
                if url.path != outer.path:
                    self.send_error(404)
                    return
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if query.get("state") != outer.expected_state:
                    outer.result = {"error": "state_mismatch"}
                    message, status = f"The state did not match this sign-in; run `{outer.command}` again.", 400
                elif "error" in query:
                    outer.result = query
                    message, status = f"{outer.provider} refused: {query.get('error')}", 400
                else:
                    outer.result = query
                    message, status = f"scorolink is connected to {outer.provider}. You can close this tab.", 200
                body = f"<!doctype html><title>scorolink</title><p>{html.escape(message)}</p>".encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                outer._done.set()

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("callback: " + format, *args)

        self._server = ThreadingHTTPServer((parts.hostname, parts.port if parts.port is not None else 80), Handler)
        self.port = self._server.server_address[1]
        scheme_host = f"http://{parts.hostname}:{self.port}"
        self.redirect_uri = scheme_host + self.path
        self._thread = threading.Thread(target=self._server.serve_forever, name="oauth-callback", daemon=True)

    def __enter__(self) -> CallbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, timeout: float) -> str:
        if not self._done.wait(timeout):
            raise AuthenticationFailed(f"no answer from {self.provider}'s sign-in page within {timeout:.0f}s",
                                       hint=f"Run `{self.command}` again and finish the sign-in in the browser")
        result = self.result or {}
        if result.get("error") == "state_mismatch":
            raise AuthenticationFailed("the callback's state did not match this sign-in (a stale or forged redirect)",
                                       hint=f"Run `{self.command}` again")
        if "error" in result:
            raise AuthenticationFailed(f"{self.provider} refused the connection: {result['error']}",
                                       messages=[result.get("error_description", "")] if result.get(
                                           "error_description") else [], hint=f"Run `{self.command}` again")
        if not result.get("code"):
            raise AuthenticationFailed("the callback carried no authorization code", hint=f"Run `{self.command}` again")
        return result["code"]


# -- the identity client -------------------------------------------------------------------
class OAuthClient:
    """Token exchange, refresh with rotation and grace, revocation, client credentials; thread-safe."""

    def __init__(
        self,
        app: OAuthApp,
        store: TokenStorage,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 4,
        timeout: float = 30.0,
    ) -> None:
        self.app = app
        self.store = store
        self.http = httpx.Client(transport=transport, timeout=timeout, headers={"Accept": "application/json"})
        self._clock = clock
        self._sleep = sleep
        self.max_attempts = max_attempts
        self.token_requests = 0  # token endpoint calls, for tests and status
        self.callback_params: dict[str, str] = {}  # the last sign-in's callback query (code, state, …)

    def close(self) -> None:
        self.http.close()

    # -- the authorization-code flow ---------------------------------------------------------
    def authorization_url(self, state: str, *, redirect_uri: str | None = None, code_challenge: str | None = None) -> str:
        params = {"response_type": "code", "client_id": self.app.client_id,
                  "redirect_uri": redirect_uri or self.app.redirect_uri, "scope": self.app.scopes, "state": state}
        if code_challenge:
            params.update(code_challenge=code_challenge, code_challenge_method="S256")
        return f"{self.app.authorize_url}?{urlencode(params)}"

    def connect(self, open_browser: Callable[[str], Any], *, timeout: float = 300.0, pkce: bool = True,
                complete: Callable[[TokenSet], None] | None = None) -> TokenSet:
        """Run the whole flow: local callback server, browser, code exchange; `complete` adds what the
        provider needs (Xero: its tenants) before the tokens are stored."""
        state = secrets.token_urlsafe(24)
        verifier, challenge = pkce_pair() if pkce else (None, None)
        with CallbackServer(self.app.redirect_uri, state, self.app) as callback:
            open_browser(self.authorization_url(state, redirect_uri=callback.redirect_uri, code_challenge=challenge))
            code = callback.wait(timeout)
        self.callback_params = dict(callback.result or {})  # what else the provider said (QuickBooks: realmId)
        return self.finish_sign_in(code, redirect_uri=callback.redirect_uri, code_verifier=verifier, complete=complete)

    def finish_sign_in(self, code: str, *, redirect_uri: str, code_verifier: str | None = None,
                       complete: Callable[[TokenSet], None] | None = None) -> TokenSet:
        """The end of a sign-in whose callback came here or elsewhere (the dashboard's callback page):
        exchange the code, let `complete` add what the provider needs, store the tokens."""
        tokens = self.exchange_code(code, redirect_uri=redirect_uri, code_verifier=code_verifier)
        if complete is not None:
            complete(tokens)
        self.store.save(tokens)
        return tokens

    def client_credentials(self, scope: str | None = None) -> TokenSet:
        """The client-credentials grant (machine-to-machine apps): a token for the app itself, stored."""
        form = {"grant_type": "client_credentials"}
        if scope or self.app.scopes:
            form["scope"] = scope or self.app.scopes
        tokens = TokenSet.from_reply(self._token_call(form, retry=True), self._clock())
        self.store.save(tokens)
        return tokens

    def exchange_code(self, code: str, *, redirect_uri: str | None = None, code_verifier: str | None = None) -> TokenSet:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri or self.app.redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        reply = self._token_call(form, retry=False)
        return TokenSet.from_reply(reply, self._clock())

    # -- tokens ------------------------------------------------------------------------------
    def tokens(self) -> TokenSet:
        tokens = self.store.load()
        if tokens is None:
            raise ReconnectRequired(f"not connected to {self.app.provider} (no stored token)",
                                    hint=self.app.reconnect_hint)
        return tokens

    def access_token(self) -> str:
        """A valid access token, refreshed first when it expires within a minute."""
        tokens = self.tokens()
        if tokens.expires_within(EXPIRY_MARGIN_SECONDS, self._clock()):
            tokens = self.refresh(stale=tokens.access_token)
        return tokens.access_token

    def refresh(self, *, stale: str | None = None) -> TokenSet:
        """Trade the refresh token for a new pair and store both atomically.

        `stale` names the access token the caller found wanting: when another thread or process has
        already replaced it, that newer token is used and no second refresh is made (a second one
        would rotate the refresh token twice for one need)."""
        with self.store.locked():
            tokens = self.tokens()
            now = self._clock()
            if stale is not None and tokens.access_token != stale and not tokens.expires_within(
                    EXPIRY_MARGIN_SECONDS, now):
                return tokens
            if not tokens.refresh_token:
                raise ReconnectRequired(f"the stored {self.app.provider} token has no refresh token (offline_access "
                                        "not granted)", hint=self.app.reconnect_hint)
            form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
            try:
                reply = self._token_call(form, retry=True, on_lost=lambda: self._mark_pending(tokens))
            except ReconnectRequired:
                raise
            fresh = TokenSet.from_reply(reply, self._clock(), previous=tokens)
            self.store.save(fresh)
            return fresh

    def _mark_pending(self, tokens: TokenSet) -> None:
        """A refresh answer was lost: the provider may have rotated already. Remember when, so the old refresh
        token is known to be usable only until the grace period ends."""
        if tokens.refresh_pending_since is None:
            tokens.refresh_pending_since = self._clock()
            self.store.save(tokens)

    def _token_call(self, form: dict[str, str], *, retry: bool, on_lost: Callable[[], None] | None = None) -> dict[str, Any]:
        attempt = 0
        while True:
            attempt += 1
            self.token_requests += 1
            try:
                response = self.http.post(self.app.token_url, data=form,
                                          auth=(self.app.client_id, self.app.client_secret))
            except httpx.TransportError as exc:
                # The answer may be lost after the provider rotated the token: the old one still works for the
                # grace period, so sending it again is safe within it.
                if on_lost:
                    on_lost()
                error: ApiError = Unavailable(f"{type(exc).__name__}: {exc or 'no answer'}", endpoint="connect/token")
            else:
                if response.status_code < 400:
                    try:
                        reply = response.json()
                    except ValueError as exc:
                        raise Unavailable("token endpoint answered with a body that is not JSON",
                                          endpoint="connect/token") from exc
                    if isinstance(reply, dict):
                        return reply
                    raise Unavailable("token endpoint answered with an unexpected body", endpoint="connect/token")
                if response.status_code < 500:
                    raise _token_error(response, self.app)
                if on_lost:
                    on_lost()
                error = Unavailable(f"HTTP {response.status_code}", status=response.status_code,
                                    endpoint="connect/token")
            if not retry or attempt >= self.max_attempts:
                raise Unavailable(f"token request failed after {attempt} attempt(s): {error}", endpoint="connect/token",
                                  hint=f"{self.app.provider}'s identity service may be down; try again within "
                                       f"{REFRESH_GRACE_SECONDS // 60} minutes to keep the "
                                       "current refresh token usable")
            self._sleep(min(8.0, 0.5 * 2 ** (attempt - 1)))

    def revoke(self) -> None:
        """Revoke the refresh token (and with it the access tokens) and forget the stored set."""
        tokens = self.store.load()
        if tokens and tokens.refresh_token:
            self.http.post(self.app.revocation_url, data={"token": tokens.refresh_token},
                           auth=(self.app.client_id, self.app.client_secret))
        self.store.clear()


def _token_error(response: httpx.Response, app: OAuthApp) -> ScorolinkError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    code = str(body.get("error") or "") if isinstance(body, dict) else ""
    detail = str(body.get("error_description") or "") if isinstance(body, dict) else ""
    messages = [m for m in (code, detail) if m]
    if code == "invalid_grant":
        return ReconnectRequired(f"{app.provider} no longer accepts the stored refresh token (expired, revoked or "
                                 "already used)",
                                 status=response.status_code, messages=messages, endpoint="connect/token",
                                 hint=app.reconnect_hint)
    if code in ("invalid_client", "unauthorized_client"):
        return AuthenticationFailed(f"{app.provider} refused the app's credentials", status=response.status_code,
                                    messages=messages, endpoint="connect/token",
                                    hint=f"Check {app.credentials_setting}")
    return AuthenticationFailed("token request refused", status=response.status_code, messages=messages,
                                endpoint="connect/token", hint=app.reconnect_hint)


class BearerToken:
    """The access token of one logical request: read afresh for every send (and registered for redaction),
    refreshed once when an answer says it is no longer good."""

    def __init__(self, oauth: Any) -> None:
        self.oauth = oauth
        self.sent = ""  # the token of the last send: the one a refresh replaces
        self.refreshed = False

    def header(self) -> dict[str, str]:
        token = self.oauth.access_token()
        redact.register(token)
        self.sent = token
        return {"Authorization": f"Bearer {token}"}

    def refresh_on_401(self, response: httpx.Response, final: Callable[[httpx.Response], bool] | None = None) -> None:
        """The first 401 of the request refreshes the token it carried and sends again (Resend); a 401 that
        `final` says no new token can cure is left to the caller's error handling."""
        if response.status_code == 401 and not self.refreshed and not (final and final(response)):
            self.refreshed = True
            self.oauth.refresh(stale=self.sent)
            raise Resend
