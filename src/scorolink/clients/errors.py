"""Typed API errors shared by every client (Scoro, Xero, and the next system)."""

from __future__ import annotations

from scorolink.clients.redact import redact
from scorolink.errors import ScorolinkError


class ApiError(ScorolinkError):
    """The remote API answered with an error (or not at all)."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        messages: list[str] | None = None,
        endpoint: str = "",
        hint: str = "",
    ) -> None:
        # Every client's errors pass here: a server that echoes the request cannot carry a credential
        # into a message, a log or a stored run.
        self.status = status
        self.messages = [redact(m) for m in messages or []]
        self.endpoint = endpoint
        self.hint = hint
        text = redact(message)
        if endpoint:
            text = f"{endpoint}: {text}"
        if self.messages:
            text += " — " + "; ".join(self.messages)
        if hint:
            text += f". {hint}"
        super().__init__(text)


class AuthenticationFailed(ApiError):
    """Bad or missing credentials (HTTP 401)."""


class PermissionDenied(ApiError):
    """Credentials are valid but may not do this (HTTP 403)."""


class NotFound(ApiError):
    """The record or endpoint does not exist (HTTP 404)."""


class ValidationFailed(ApiError):
    """The API refused the data (HTTP 400/422); its own messages say why."""


class RateLimited(ApiError):
    """Too many requests. `retry_after` says when to try again; `daily` means the daily quota is spent."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float, daily: bool = False, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after
        self.daily = daily


class Unavailable(ApiError):
    """Server errors, timeouts, dropped connections or malformed bodies that outlived the retries."""

    retryable = True


class WriteOutcomeUnknown(ApiError):
    """A create was sent but no answer came back: it may or may not exist now.

    Creates are never retried blindly; the caller looks the record up by a natural key or
    marker before creating it again.
    """

    retryable = False
