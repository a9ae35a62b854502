"""Related stories: each article's computed list, and the queue of lists to recompute.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndicate.store.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "related_items",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("target_article_id", sa.Integer()),
        sa.Column("target_story_id", sa.Integer()),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "rank", name="pk_related_items"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"],
            name="fk_related_items_article_id_articles", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_article_id"], ["articles.id"],
            name="fk_related_items_target_article_id_articles", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_story_id"], ["stories.id"],
            name="fk_related_items_target_story_id_stories", ondelete="CASCADE",
        ),
    )  # fmt: skip
    op.create_index("ix_related_items_target_article_id", "related_items", ["target_article_id"])
    op.create_index("ix_related_items_target_story_id", "related_items", ["target_story_id"])
    op.create_table(
        "related_dirty",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("marks", sa.Integer(), nullable=False),
        sa.Column("marked_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name="pk_related_dirty"),
    )


def downgrade() -> None:
    op.drop_table("related_dirty")
    op.drop_index("ix_related_items_target_story_id", "related_items")
    op.drop_index("ix_related_items_target_article_id", "related_items")
    op.drop_table("related_items")
