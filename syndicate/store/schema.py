"""Tables of the store. Every change here comes with an Alembic migration in ``migrations/``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)


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
