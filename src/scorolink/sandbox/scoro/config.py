"""Configuration objects of the Scoro sandbox (the public, stable part of its API)."""

from __future__ import annotations

from dataclasses import dataclass, field

COMMENTS_BY_MODULE = ("answer", "refuse", "empty", "untagged")
FAULT_KINDS = ("http_500", "http_502", "http_503", "timeout", "drop", "error_200", "malformed_json", "lost_ack",
               "slow")


@dataclass(frozen=True)
class RateLimit:
    """Per-site limits. ``None`` means unlimited. The short window mirrors Scoro's 2-second limit."""

    per_window: int | None = None
    window_seconds: float = 2.0
    daily: int | None = None


@dataclass(frozen=True)
class Faults:
    """Random faults: each API request fails with probability ``rate``, kind drawn from ``kinds``.

    ``timeout`` waits ``timeout_seconds`` before doing the work (a gateway that gave up while the
    request went on); ``slow`` does the work after ``slow_seconds`` and then answers (a slow server:
    a client that gave up earlier never hears that the write happened); ``lost_ack`` does the work
    and cuts the answer short. Neither ``lost_ack`` nor ``slow`` is drawn unless listed in ``kinds``."""

    rate: float = 0.0
    kinds: tuple[str, ...] = ("http_500", "http_502", "http_503", "timeout", "drop", "error_200", "malformed_json")
    seed: int = 1
    timeout_seconds: float = 30.0
    slow_seconds: float = 8.0

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")


@dataclass(frozen=True)
class SandboxConfig:
    seed: int = 1
    size: int = 300
    data: str | None = None
    sites: int = 2
    timezone: str = "Europe/Tallinn"
    # Per-site time zones by site name ("demo", "site1", ...); sites not named use ``timezone``. SQL-style
    # datetimes are local to the site's zone, ISO ones carry its offset, users and settings name it.
    site_timezones: dict[str, str] = field(default_factory=dict)
    rate_limit: RateLimit = field(default_factory=RateLimit)
    faults: Faults = field(default_factory=Faults)
    detailed_page_cap: int = 25
    # HTTP status used for validation errors (the ERROR envelope still says 400); Scoro has been seen
    # answering validation errors with HTTP 200.
    validation_http_status: int = 200
    # The sandbox clock starts here (then follows real time plus advance_clock), so generated data is the
    # same on every run.
    start_time: str = "2026-03-02T09:00:00+00:00"
    # `comments/list` without `object_id`: the reference calls `module` and `object_id` both mandatory, yet a
    # module-wide list (`request.module` and a `modified_date` filter) is what an incremental read wants. The
    # reference is silent on what Scoro does with it, so each plausible answer is a setting (COMMENTS_BY_MODULE):
    # True or "answer": every comment of the module, each row carrying `module` and `object_id`;
    # False or "refuse": an ERROR ("object_id is required");
    # "empty": an empty list (a missing object_id matches no record);
    # "untagged": every comment of the module, rows without `module` and `object_id` (the fields §4.7 lists).
    comments_by_module: bool | str = True
    # Modules whose list ignores a `modified_date` filter, as Scoro ignores filter keys it does not know
    # (whether timeEntries honours it is not documented).
    ignore_modified_filter: frozenset[str] = frozenset()
    # Days a soft-deleted row stays readable with include_deleted before it is purged.
    deleted_retention_days: int = 30
    # GET /_sandbox/sites answers with API keys and passwords only when this is set (otherwise masked).
    expose_secrets: bool = False

    def __post_init__(self) -> None:
        if self.comments_mode not in COMMENTS_BY_MODULE:
            raise ValueError(f"comments_by_module: {self.comments_by_module!r}; one of {', '.join(COMMENTS_BY_MODULE)}")

    @property
    def comments_mode(self) -> str:
        """`comments_by_module` as one of COMMENTS_BY_MODULE (True is "answer", False "refuse")."""
        mode = self.comments_by_module
        return ("answer" if mode else "refuse") if isinstance(mode, bool) else str(mode)
