"""Articles, their categories, feed change log and API tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndicate.store.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("content_html", sa.Text(), nullable=False),
        sa.Column("author_name", sa.Text()),
        sa.Column("author_email", sa.Text()),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("modified_at", UTCDateTime(), nullable=False),
        sa.Column("image_url", sa.Text()),
        sa.Column("image_type", sa.String(100)),
        sa.Column("image_length", sa.Integer()),
        sa.Column("image_alt", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
        sa.UniqueConstraint("slug", name="uq_articles_slug"),
    )
    op.create_index(
        "ix_articles_status_published_at_id", "articles", ["status", "published_at", "id"]
    )
    op.create_table(
        "article_categories",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_categories_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "category", name="pk_article_categories"),
    )
    op.create_index(
        "ix_article_categories_category_status_published_at_article_id",
        "article_categories",
        ["category", "status", "published_at", "article_id"],
    )
    op.create_table(
        "feed_changes",
        sa.Column("feed", sa.String(40), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("feed", name="pk_feed_changes"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime()),
        sa.Column("revoked_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
    op.drop_table("feed_changes")
    op.drop_index(
        "ix_article_categories_category_status_published_at_article_id",
        table_name="article_categories",
    )
    op.drop_table("article_categories")
    op.drop_index("ix_articles_status_published_at_id", table_name="articles")
    op.drop_table("articles")
