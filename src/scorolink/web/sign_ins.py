"""Sign-ins under way: a started Connect's OAuth `state`, kept in the state database (web_sign_ins) with an
expiry, so the provider's redirect may come back to any dashboard process sharing that database — another
worker, or this one after a restart. Each is used once. The PKCE verifier is not stored: it is derived
from the state with the dashboard's signing key (shared through the same database), so a row holds
nothing that finishes a sign-in on its own. The row is bound to the starting browser session by a hash
of that session's CSRF token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select

from scorolink.errors import ConfigError
from scorolink.runtime.store import StateStore
from scorolink.web import accounts
from scorolink.web.tables import sign_ins

SIGN_IN_SECONDS = 600  # how long a started sign-in waits for its callback


@dataclass(frozen=True)
class SignIn:
    state: str
    integration: str
    connection: str
    tenant: str | None
    redirect_uri: str
    verifier: str


def _hash(session_token: str) -> str:
    return hashlib.sha256(session_token.encode()).hexdigest()


def verifier_of(store: StateStore, state: str) -> str:
    """The PKCE verifier of a sign-in: 43 characters of base64url (RFC 7636), from the state and the key."""
    digest = hmac.new(accounts.signing_key(store).encode(), f"pkce:{state}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def start(store: StateStore, now: datetime, *, integration: str, connection: str, tenant: str | None,
          redirect_uri: str, session_token: str) -> SignIn:
    """A new sign-in under way (expired ones are dropped on the way)."""
    state = secrets.token_urlsafe(24)
    with store.begin() as c:
        c.execute(delete(sign_ins).where(sign_ins.c.expires_at < now))
        c.execute(insert(sign_ins).values(state=state, integration=integration, connection=connection, tenant=tenant,
                                          redirect_uri=redirect_uri, session_hash=_hash(session_token),
                                          expires_at=now + timedelta(seconds=SIGN_IN_SECONDS)))
    return SignIn(state, integration, connection, tenant, redirect_uri, verifier_of(store, state))


def take(store: StateStore, now: datetime, state: str, *, integration: str, title: str,
         session_token: str) -> SignIn:
    """The sign-in a callback's `state` names, used up; a clear refusal when it is unknown, used already,
    another session's, or expired."""
    again = "Press Connect again."
    with store.begin() as c:
        row = c.execute(select(sign_ins).where(sign_ins.c.state == state)).one_or_none() if state else None
        if row is None or row.integration != integration or not hmac.compare_digest(
                row.session_hash, _hash(session_token)):
            raise ConfigError(f"This {title} sign-in is not one this session started, or it was used already "
                              f"(each return from {title} is taken once). {again}")
        if c.execute(delete(sign_ins).where(sign_ins.c.state == state)).rowcount != 1:
            raise ConfigError(f"This {title} sign-in was used already (each return from {title} is taken once). "
                              f"{again}")
    if row.expires_at < now:
        raise ConfigError(f"This {title} sign-in expired: more than {SIGN_IN_SECONDS // 60} minutes passed between "
                          f"Connect and the return from {title}. {again}")
    return SignIn(state, row.integration, row.connection, row.tenant, row.redirect_uri, verifier_of(store, state))
