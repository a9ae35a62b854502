"""Queries on related stories: each article's computed list, and the queue of lists to redo.

Every function takes a Connection; the caller owns the transaction. Lists are written by the
process holding the related-stories index (the scheduler, or ``syndicate related rebuild``);
every process reads them. Reads show public items only: a draft or scheduled article never
appears, wherever its row sits in a list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, and_, delete, func, or_, select

from syndicate.store import stories as story_store
from syndicate.store.schema import (
    article_categories,
    articles,
    public,
    related_dirty,
    related_items,
    sources,
    stories,
)
from syndicate.store.sql import CHUNK, chunks, upsert
from syndicate.types import RelatedStory

CATEGORY_ARTICLES = 50
"""A category's related stories come from the lists of its newest this many public articles."""


class Target(NamedTuple):
    """One computed entry: ``kind`` ``article`` or ``story``, the target's id, its score."""

    kind: str
    id: int
    score: float


class Row(NamedTuple):
    """One public entry of a list, as read (the service turns it into a ``RelatedItem``)."""

    kind: str
    slug: str | None
    """Our article's slug (``kind == "article"``)."""
    url: str | None
    """The partner's page (``kind == "story"``)."""
    title: str
    source: str | None
    """The partner's name (``kind == "story"``)."""
    published_at: datetime
    score: float


def _existing(connection: Connection, table: Any, ids: Iterable[int]) -> set[int]:
    found: set[int] = set()
    for part in chunks(ids):
        found.update(connection.execute(select(table.c.id).where(table.c.id.in_(part))).scalars())
    return found


def clear_lists(connection: Connection, article_ids: Iterable[int] | None) -> None:
    """Empty the lists of these articles (``None``: of every article)."""
    if article_ids is None:
        connection.execute(delete(related_items))
        return
    for part in chunks(article_ids):
        connection.execute(delete(related_items).where(related_items.c.article_id.in_(part)))


def replace_lists(
    connection: Connection, lists: Mapping[int, Sequence[Target]], now: datetime
) -> set[tuple[str, int]]:
    """Replace the lists of the articles given (an empty sequence empties one).

    Entries whose target is gone (deleted meanwhile) are skipped, and so are lists of articles
    that are gone; returns the ``(kind, id)`` of the missing targets.
    """
    clear_lists(connection, lists)
    wanted_articles = set(lists) | {
        t.id for ts in lists.values() for t in ts if t.kind == "article"
    }
    wanted_stories = {t.id for ts in lists.values() for t in ts if t.kind == "story"}
    have_articles = _existing(connection, articles, wanted_articles)
    have_stories = _existing(connection, stories, wanted_stories)
    missing: set[tuple[str, int]] = set()
    rows: list[dict[str, Any]] = []
    for article_id, targets in lists.items():
        if article_id not in have_articles:
            missing.add(("article", article_id))
            continue
        rank = 0
        for target in targets:
            have = have_articles if target.kind == "article" else have_stories
            if target.id not in have:
                missing.add((target.kind, target.id))
                continue
            rows.append(
                {
                    "article_id": article_id,
                    "rank": rank,
                    "kind": target.kind,
                    "target_article_id": target.id if target.kind == "article" else None,
                    "target_story_id": target.id if target.kind == "story" else None,
                    "score": float(target.score),
                    "computed_at": now,
                }
            )
            rank += 1
    for start in range(0, len(rows), CHUNK):
        connection.execute(related_items.insert(), rows[start : start + CHUNK])
    return missing


def read_list(connection: Connection, article_id: int, now: datetime, limit: int) -> list[Row]:
    """The article's public entries, best first, at most ``limit``."""
    ri, target = related_items, articles.alias("target")
    query = (
        select(
            ri.c.kind,
            target.c.slug,
            stories.c.url,
            target.c.title.label("article_title"),
            stories.c.title.label("story_title"),
            sources.c.name,
            target.c.published_at.label("article_published_at"),
            stories.c.published_at.label("story_published_at"),
            ri.c.score,
        )
        .select_from(ri)
        .outerjoin(target, target.c.id == ri.c.target_article_id)
        .outerjoin(stories, stories.c.id == ri.c.target_story_id)
        .outerjoin(sources, sources.c.id == stories.c.source_id)
        .where(
            ri.c.article_id == article_id,
            or_(
                and_(ri.c.kind == "article", public(target.c.status, target.c.published_at, now)),
                and_(ri.c.kind == "story", stories.c.id.is_not(None)),
            ),
        )
        .order_by(ri.c.rank)
        .limit(limit)
    )
    found = []
    for row in connection.execute(query):
        is_article = row.kind == "article"
        found.append(
            Row(
                kind=row.kind,
                slug=row.slug if is_article else None,
                url=None if is_article else row.url,
                title=row.article_title if is_article else row.story_title,
                source=None if is_article else row.name,
                published_at=row.article_published_at if is_article else row.story_published_at,
                score=row.score,
            )
        )
    return found


def _category_articles(category: str | None, now: datetime) -> Select[Any]:
    """Ids of the category's (or every category's) newest public articles."""
    if category is None:
        return (
            select(articles.c.id)
            .where(public(articles.c.status, articles.c.published_at, now))
            .order_by(articles.c.published_at.desc(), articles.c.id.desc())
            .limit(CATEGORY_ARTICLES)
        )
    ac = article_categories
    return (
        select(ac.c.article_id)
        .where(ac.c.category == category, public(ac.c.status, ac.c.published_at, now))
        .order_by(ac.c.published_at.desc(), ac.c.article_id.desc())
        .limit(CATEGORY_ARTICLES)
    )


def _category_story_ids(category: str | None, now: datetime) -> Select[Any]:
    newest = _category_articles(category, now).subquery("newest")
    return select(related_items.c.target_story_id).where(
        related_items.c.article_id.in_(select(newest.c[0])),
        related_items.c.target_story_id.is_not(None),
    )


def category_story_ids(
    connection: Connection, category: str | None, now: datetime, limit: int
) -> tuple[int, ...]:
    """Ids of the stories in the lists of the category's newest public articles, newest first
    (``category=None``: every category). What the related feed shows, and its signature."""
    query = (
        select(stories.c.id)
        .where(stories.c.id.in_(_category_story_ids(category, now)))
        .order_by(stories.c.published_at.desc(), stories.c.id.desc())
        .limit(limit)
    )
    return tuple(connection.execute(query).scalars())


def category_stories(
    connection: Connection, category: str | None, now: datetime, limit: int
) -> list[RelatedStory]:
    """The stories of ``category_story_ids``, each with its source's credit."""
    ids = category_story_ids(connection, category, now, limit)
    if not ids:
        return []
    by_id = {story.id: story for story in story_store.get_many(connection, ids)}
    source_ids = {story.source_id for story in by_id.values()}
    credits = {
        row.id: row
        for row in connection.execute(
            select(sources.c.id, sources.c.name, sources.c.url, sources.c.site_url).where(
                sources.c.id.in_(source_ids)
            )
        )
    }
    found = []
    for story_id in ids:
        story = by_id.get(story_id)
        if story is None or story.source_id not in credits:
            continue
        credit = credits[story.source_id]
        found.append(RelatedStory(story, credit.name, credit.url, credit.site_url))
    return found


# The queue of lists to recompute -----------------------------------------------------------


def mark_dirty(connection: Connection, article_ids: Iterable[int], now: datetime) -> None:
    for article_id in sorted(set(article_ids)):
        connection.execute(
            upsert(
                connection,
                related_dirty,
                {"article_id": article_id, "marks": 1, "marked_at": now},
                ["article_id"],
                {"marks": related_dirty.c.marks + 1, "marked_at": now},
            )
        )


def dirty(connection: Connection, limit: int) -> dict[int, int]:
    """Up to ``limit`` marked articles, oldest mark first: ``{article_id: marks}``."""
    query = (
        select(related_dirty.c.article_id, related_dirty.c.marks)
        .order_by(related_dirty.c.marked_at, related_dirty.c.article_id)
        .limit(limit)
    )
    return {int(row[0]): int(row[1]) for row in connection.execute(query)}


def clear_dirty(connection: Connection, seen: Mapping[int, int] | None = None) -> None:
    """Forget the marks ``seen`` (a mark made since stays), or every mark (``None``)."""
    if seen is None:
        connection.execute(delete(related_dirty))
        return
    for article_id, marks in seen.items():
        connection.execute(
            delete(related_dirty).where(
                related_dirty.c.article_id == article_id, related_dirty.c.marks == marks
            )
        )


def backlog(connection: Connection) -> tuple[int, datetime | None]:
    """How many articles wait for their list to be recomputed, and since when the oldest."""
    count, oldest = connection.execute(
        select(func.count(), func.min(related_dirty.c.marked_at))
    ).one()
    return int(count), oldest


def has_lists(connection: Connection) -> bool:
    return connection.execute(select(related_items.c.article_id).limit(1)).first() is not None


def stories_changed_since(connection: Connection, since: datetime) -> list[tuple[int, datetime]]:
    """Stories written at or after ``since`` (any process's fetch): ``(id, modified_at)``."""
    query = select(stories.c.id, stories.c.modified_at).where(stories.c.modified_at >= since)
    return [(int(row[0]), row[1]) for row in connection.execute(query)]
