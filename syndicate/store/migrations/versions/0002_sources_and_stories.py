"""Partner sources, their stories, the fetch log, host holds, fetch counters, scheduler lock.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndicate.store.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("site_url", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("body_hash", sa.String(64)),
        sa.Column("last_fetched_at", UTCDateTime()),
        sa.Column("last_status", sa.Integer()),
        sa.Column("last_outcome", sa.String(20)),
        sa.Column("last_error", sa.Text()),
        sa.Column("next_fetch_at", UTCDateTime()),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("paused_reason", sa.Text()),
        sa.Column("min_interval", sa.Integer(), nullable=False),
        sa.Column("item_hashes", sa.JSON()),
        sa.PrimaryKeyConstraint("id", name="pk_sources"),
        sa.UniqueConstraint("url", name="uq_sources_url"),
    )
    op.create_index("ix_sources_enabled_next_fetch_at", "sources", ["enabled", "next_fetch_at"])
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(64), nullable=False),
        sa.Column("guid", sa.Text(), nullable=False),
        sa.Column("url", sa.Text()),
        sa.Column("link_key", sa.String(64)),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary_html", sa.Text(), nullable=False),
        sa.Column("content_html", sa.Text(), nullable=False),
        sa.Column("author", sa.Text()),
        sa.Column("language", sa.String(35)),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("modified_at", UTCDateTime(), nullable=False),
        sa.Column("image_url", sa.Text()),
        sa.Column("image_type", sa.String(100)),
        sa.Column("image_length", sa.Integer()),
        sa.Column("rights", sa.Text()),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("update_count", sa.Integer(), nullable=False),
        sa.Column("update_window_at", UTCDateTime(), nullable=False),
        sa.Column("duplicate_of", sa.Integer()),
        sa.PrimaryKeyConstraint("id", name="pk_stories"),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_stories_source_id_sources", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of"],
            ["stories.id"],
            name="fk_stories_duplicate_of_stories",
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("source_id", "dedup_key", name="uq_stories_source_id"),
    )
    op.create_index("ix_stories_source_id_published_at", "stories", ["source_id", "published_at"])
    op.create_index("ix_stories_published_at_id", "stories", ["published_at", "id"])
    op.create_index("ix_stories_link_key", "stories", ["link_key"])
    op.create_table(
        "fetch_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer()),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_fetch_log"),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_fetch_log_source_id_sources", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_fetch_log_source_id_id", "fetch_log", ["source_id", "id"])
    op.create_table(
        "host_holds",
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("host", name="pk_host_holds"),
    )
    op.create_table(
        "fetch_stats",
        sa.Column("metric", sa.String(60), nullable=False),
        sa.Column("labels", sa.String(120), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("metric", "labels", name="pk_fetch_stats"),
    )
    op.create_table(
        "scheduler_lock",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("acquired_at", UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_scheduler_lock"),
    )


def downgrade() -> None:
    op.drop_table("scheduler_lock")
    op.drop_table("fetch_stats")
    op.drop_table("host_holds")
    op.drop_index("ix_fetch_log_source_id_id", table_name="fetch_log")
    op.drop_table("fetch_log")
    op.drop_index("ix_stories_link_key", table_name="stories")
    op.drop_index("ix_stories_published_at_id", table_name="stories")
    op.drop_index("ix_stories_source_id_published_at", table_name="stories")
    op.drop_table("stories")
    op.drop_index("ix_sources_enabled_next_fetch_at", table_name="sources")
    op.drop_table("sources")
