"""The sync engine's state, as SQLAlchemy Core tables in the state database (SQLite by default,
PostgreSQL at scale): links between records of the two sides, cursors, the outbox of planned
writes, runs, and the record errors people can see, retry and dismiss.

Side `a` is always Scoro; side `b` is the other system (Xero, QuickBooks, a database).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from scorolink.state.types import UTCDateTime

metadata = MetaData()

# One row per linked pair. Hashes are of the *shared* (mapped) fields only, so a change to a field the
# sync does not carry is not a change, and our own writes read back as no change (echo suppression).
links = Table(
    "sync_links", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(200), nullable=False),
    Column("category", String(50), nullable=False),
    Column("a_id", String(100)),
    Column("b_id", String(100)),
    Column("a_version", String(100)),
    Column("b_version", String(100)),
    Column("a_hash", String(64)),
    Column("b_hash", String(64)),
    Column("base", JSON),  # the last agreed shared values: the base of a three-way merge
    Column("state", String(20), nullable=False, default="active"),  # active | deleted_a | deleted_b
    Column("last_synced_at", UTCDateTime()),
    Column("last_run_id", Integer),
    UniqueConstraint("job", "category", "a_id", name="sync_links_a"),
    UniqueConstraint("job", "category", "b_id", name="sync_links_b"),
)

cursors = Table(
    "sync_cursors", metadata,
    Column("job", String(200), primary_key=True),
    Column("side", String(1), primary_key=True),
    Column("category", String(50), primary_key=True),
    Column("value", UTCDateTime()),  # the source's own notion of time: max modified time seen
    Column("updated_at", UTCDateTime()),
)

runs = Table(
    "sync_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(200), nullable=False),
    Column("dry_run", Boolean, nullable=False, default=False),
    Column("state", String(20), nullable=False),  # planning | executing | succeeded | failed | partial | stopped
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("stats", JSON),
    Column("message", Text),
)

# Planned writes. The idempotency key is deterministic (job, category, source record, operation,
# source version), so a re-planned write after a crash carries the same key as the lost one.
outbox = Table(
    "sync_outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, nullable=False),
    Column("job", String(200), nullable=False),
    Column("category", String(50), nullable=False),
    Column("seq", Integer, nullable=False),  # execution order within the run
    Column("target", String(1), nullable=False),  # side written: a | b
    Column("op", String(10), nullable=False),  # create | update | delete | link
    Column("source_id", String(100)),
    Column("target_id", String(100)),
    Column("link_id", Integer),
    Column("idem_key", String(64), nullable=False, unique=True),
    Column("payload", JSON),  # the target-side record to write
    Column("shared", JSON),  # the shared values the write carries (becomes the link's base)
    Column("source_version", String(100)),
    Column("source_hash", String(64)),
    Column("state", String(10), nullable=False),  # pending | inflight | done | failed | deferred
    Column("attempts", Integer, nullable=False, default=0),
    Column("remote_id", String(100)),
    Column("last_error", Text),
    Column("updated_at", UTCDateTime()),
)
Index("sync_outbox_open", outbox.c.job, outbox.c.state)

errors = Table(
    "sync_errors", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(200), nullable=False),
    Column("category", String(50), nullable=False),
    Column("side", String(1), nullable=False),  # the side that refused (or could not be read)
    Column("source_id", String(100)),
    Column("target_id", String(100)),
    Column("op", String(10)),
    Column("kind", String(30), nullable=False),  # validation | permission | conflict | ambiguous | gated | deferred
    Column("message", Text, nullable=False),  # the remote API's own words where there are any
    Column("payload", JSON),
    Column("first_seen", UTCDateTime(), nullable=False),
    Column("last_seen", UTCDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False, default=1),
    Column("resolved_at", UTCDateTime()),
    Column("resolution", String(20)),  # fixed | dismissed
    UniqueConstraint("job", "category", "side", "source_id", "op", name="sync_errors_record"),
)

# Per-job values the sync fixes once and then holds to (a category's start date after its first sync).
settings = Table(
    "sync_settings", metadata,
    Column("job", String(200), primary_key=True),
    Column("key", String(100), primary_key=True),
    Column("value", Text),
)

# One run of a sync at a time: the run holds its sync's row (owner, lease renewed while it runs), so
# two workers asked to sync the same pair at once take turns instead of both creating a record.
locks = Table(
    "sync_locks", metadata,
    Column("job", String(200), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("until", UTCDateTime(), nullable=False),
)
