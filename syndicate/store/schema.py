"""Tables of the store. Every change here comes with an Alembic migration in ``migrations/``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
)

from syndicate.types import Status


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, whole seconds, on every database.

    SQLite has no time zones; storing naive UTC everywhere keeps ordering and comparisons
    identical on SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None, microsecond=0)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(120), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("content_html", Text, nullable=False),
    Column("author_name", Text),
    Column("author_email", Text),
    Column("categories", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("language", String(35), nullable=False),
    Column("status", String(16), nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("modified_at", UTCDateTime, nullable=False),
    Column("image_url", Text),
    Column("image_type", String(100)),
    Column("image_length", Integer),
    Column("image_alt", Text),
    Index(None, "status", "published_at", "id"),
)

# One row per (article, category): the index behind category lists. ``status`` and
# ``published_at`` are copied here so that "newest N of one category" is one index range scan,
# whatever the store's size; ``articles.categories`` keeps the ordered list for display.
article_categories = Table(
    "article_categories",
    metadata,
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("category", String(40), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    Index(None, "category", "status", "published_at", "article_id"),
)

# Write log of visible changes per feed key (a category slug, or "all"): a deletion leaves no
# row behind to date it, so feeds read their "last changed" time from here as well.
feed_changes = Table(
    "feed_changes",
    metadata,
    Column("feed", String(40), primary_key=True),
    Column("changed_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
)

# Partner sources and their polling state (aggregate/). ``url`` is the feed URL as fetched.
sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("category", String(40), nullable=False),
    Column("interval", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("origin", String(16), nullable=False),
    Column("site_url", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("body_hash", String(64)),
    Column("last_fetched_at", UTCDateTime),
    Column("last_status", Integer),
    Column("last_outcome", String(20)),
    Column("last_error", Text),
    Column("next_fetch_at", UTCDateTime),
    Column("error_count", Integer, nullable=False, default=0),
    Column("paused_reason", Text),
    Column("min_interval", Integer, nullable=False, default=0),
    Column("item_hashes", JSON),
    Index(None, "enabled", "next_fetch_at"),
)

# Partner stories, sanitised. ``dedup_key`` is unique within a source (guid, else link, else
# content); ``link_key`` finds the same story published by several partners.
stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "source_id",
        Integer,
        ForeignKey("sources.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("dedup_key", String(64), nullable=False),
    Column("guid", Text, nullable=False),
    Column("url", Text),
    Column("link_key", String(64)),
    Column("title", Text, nullable=False),
    Column("summary_html", Text, nullable=False),
    Column("content_html", Text, nullable=False),
    Column("author", Text),
    Column("language", String(35)),
    Column("published_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("modified_at", UTCDateTime, nullable=False),
    Column("image_url", Text),
    Column("image_type", String(100)),
    Column("image_length", Integer),
    Column("rights", Text),
    Column("content_hash", String(64), nullable=False),
    Column("update_count", Integer, nullable=False),
    Column("update_window_at", UTCDateTime, nullable=False),
    Column("duplicate_of", Integer, ForeignKey("stories.id", ondelete="SET NULL")),
    UniqueConstraint("source_id", "dedup_key"),
    Index(None, "source_id", "published_at"),
    Index(None, "published_at", "id"),
    Index(None, "link_key"),
)

# The last attempts per source (the operators' console shows them), newest by ``id``.
fetch_log = Table(
    "fetch_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "source_id",
        Integer,
        ForeignKey("sources.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("started_at", UTCDateTime, nullable=False),
    Column("url", Text, nullable=False),
    Column("status", Integer),
    Column("outcome", String(20), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("new", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("error", Text),
    Index(None, "source_id", "id"),
)

# Partner hosts that asked us to wait (429/503 with Retry-After): every source on them waits.
host_holds = Table(
    "host_holds",
    metadata,
    Column("host", String(255), primary_key=True),
    Column("until", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
)

# Counters behind /metrics, shared by every process (scheduler, CLI, web workers).
fetch_stats = Table(
    "fetch_stats",
    metadata,
    Column("metric", String(60), primary_key=True),
    Column("labels", String(120), primary_key=True),
    Column("value", Float, nullable=False),
)

# The scheduler's lock (a lease row; on PostgreSQL an advisory lock too) and its heartbeat.
scheduler_lock = Table(
    "scheduler_lock",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("acquired_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

# Operators of the web console (admin/). ``session_generation`` grows on sign-out: every
# session cookie issued before stops working.
operators = Table(
    "operators",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("password_changed_at", UTCDateTime, nullable=False),
    Column("last_signed_in_at", UTCDateTime),
    Column("session_generation", Integer, nullable=False),
)

# Failed sign-ins per key (``account:<name>``, ``address:<ip>``), shared by every web process.
signin_failures = Table(
    "signin_failures",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failed_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime),
)

# "More Stories" of each article, computed by the scheduler's related-stories index (ranks from
# 0, best first; exactly one target per row). Web processes only read it.
related_items = Table(
    "related_items",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("rank", Integer, primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("target_article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE")),
    Column("target_story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE")),
    Column("score", Float, nullable=False),
    Column("computed_at", UTCDateTime, nullable=False),
    Index(None, "target_article_id"),
    Index(None, "target_story_id"),
)

# Articles whose related list must be recomputed (written by any process after a newsroom
# write, emptied by the scheduler). No foreign key: a deleted article's mark says "remove it".
related_dirty = Table(
    "related_dirty",
    metadata,
    Column("article_id", Integer, primary_key=True),
    Column("marks", Integer, nullable=False),
    Column("marked_at", UTCDateTime, nullable=False),
)

# One sentence embedding per related-stories document ("article:12", "story:345"), so that a
# rebuild of the index recomputes only what changed. ``digest`` is the caller's hash of the
# embedded text; ``vector`` is little-endian float16. No foreign key: the index prunes it.
related_embeddings = Table(
    "related_embeddings",
    metadata,
    Column("doc_id", String(40), primary_key=True),
    Column("model", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("vector", LargeBinary, nullable=False),
    Column("computed_at", UTCDateTime, nullable=False),
)


def public(status_column: Any, published_column: Any, now: Any) -> Any:
    """The rule that keeps drafts and scheduled articles out: published, and due by ``now``
    (a datetime or a bound parameter). ``articles`` and ``article_categories`` both carry it."""
    return and_(status_column == Status.PUBLISHED.value, published_column <= now)
