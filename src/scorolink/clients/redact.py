"""Credentials never leave the process in a message, a log line or a stored error.

Two nets, both applied to every ApiError's text (clients/errors.py) and to every message the runtime
stores: the literal values the clients registered when they were built (API keys, passwords, user
tokens, OAuth access and refresh tokens, client secrets), and credential-shaped fields that a server
may echo back (`"apiKey": "…"`, `password=…`, `Authorization: Bearer …`), whatever their value.
"""

from __future__ import annotations

import re
import threading

MASK = "[redacted]"
MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words; no real credential is that short

_KEYS = r"api_?key|apikey|password|passwd|user_token|access_token|refresh_token|id_token|client_secret|secret|token"
# "apiKey": "value" / 'apiKey': 'value' / apiKey=value / apiKey: value (JSON, form, query string, text)
_FIELD = re.compile(r"""(?P<key>["']?(?:""" + _KEYS + r""")["']?\s*[:=]\s*)(?P<quote>["']?)"""
                    r"""(?P<value>[^"'&\s,;}<]+)""", re.IGNORECASE)
_BEARER = re.compile(r"(?P<key>\b(?:Bearer|Basic)\s+)(?P<value>[A-Za-z0-9._~+/=-]{6,})", re.IGNORECASE)

_known: set[str] = set()
_lock = threading.Lock()


def register(*secrets: str | None) -> None:
    """Remember credential values so that any text carrying them is masked."""
    with _lock:
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET_LENGTH:
                _known.add(secret)


def redact(text: str) -> str:
    """`text` with every registered secret and every credential-shaped field masked."""
    if not text:
        return text
    with _lock:
        known = sorted(_known, key=len, reverse=True)  # a longer secret first, so none is half-masked
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _FIELD.sub(lambda m: m.group("key") + m.group("quote") + (
        m.group("value") if m.group("value") == MASK else MASK), text)
    return _BEARER.sub(lambda m: m.group("key") + MASK, text)
