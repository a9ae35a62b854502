"""Queries on articles. Every function takes a Connection; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, delete, func, insert, select, true, update
from sqlalchemy.exc import IntegrityError

from syndicate.exceptions import Conflict
from syndicate.store.schema import article_categories, articles, feed_changes
from syndicate.types import Article, ArticleDraft, Author, Image, Page, Status

ALL_FEED = "all"


def _row_values(draft: ArticleDraft, now: datetime) -> dict[str, Any]:
    return {
        "slug": draft.slug,
        "title": draft.title,
        "summary": draft.summary,
        "content_html": draft.content_html,
        "author_name": draft.author.name if draft.author else None,
        "author_email": draft.author.email if draft.author else None,
        "categories": list(draft.categories),
        "tags": list(draft.tags),
        "language": draft.language,
        "status": draft.status.value,
        "published_at": draft.published_at,
        "updated_at": draft.updated_at,
        "modified_at": now,
        "image_url": draft.image.url if draft.image else None,
        "image_type": draft.image.type if draft.image else None,
        "image_length": draft.image.length if draft.image else None,
        "image_alt": draft.image.alt if draft.image else None,
    }


def _from_row(row: Row[Any]) -> Article:
    m = row._mapping
    image = None
    if m["image_url"]:
        image = Image(
            url=m["image_url"],
            type=m["image_type"],
            length=m["image_length"],
            alt=m["image_alt"] or "",
        )
    author = Author(m["author_name"], m["author_email"]) if m["author_name"] else None
    return Article(
        id=m["id"],
        slug=m["slug"],
        title=m["title"],
        summary=m["summary"],
        content_html=m["content_html"],
        author=author,
        categories=tuple(m["categories"]),
        tags=tuple(m["tags"]),
        language=m["language"],
        status=Status(m["status"]),
        published_at=m["published_at"],
        updated_at=m["updated_at"],
        modified_at=m["modified_at"],
        image=image,
    )


def _category_rows(article_id: int, draft: ArticleDraft) -> list[dict[str, Any]]:
    return [
        {
            "article_id": article_id,
            "category": category,
            "position": position,
            "status": draft.status.value,
            "published_at": draft.published_at,
        }
        for position, category in enumerate(draft.categories)
    ]


def touch_feeds(connection: Connection, feeds: Iterable[str], now: datetime) -> None:
    """Record that the feeds named (category slugs, ``all``) changed at ``now``."""
    for feed in sorted(set(feeds)):
        bumped = connection.execute(
            update(feed_changes)
            .where(feed_changes.c.feed == feed)
            .values(changed_at=now, version=feed_changes.c.version + 1)
        )
        if bumped.rowcount == 0:
            connection.execute(insert(feed_changes).values(feed=feed, changed_at=now, version=1))


def _affected_feeds(*drafts: ArticleDraft | None) -> set[str]:
    feeds = {ALL_FEED}
    for draft in drafts:
        if draft is not None:
            feeds.update(draft.categories)
    return feeds


def create(connection: Connection, draft: ArticleDraft, now: datetime) -> Article:
    try:
        with connection.begin_nested():
            article_id = connection.execute(
                insert(articles).values(_row_values(draft, now)).returning(articles.c.id)
            ).scalar_one()
    except IntegrityError as exc:
        raise Conflict(f"an article with slug {draft.slug!r} already exists") from exc
    connection.execute(insert(article_categories), _category_rows(article_id, draft))
    touch_feeds(connection, _affected_feeds(draft), now)
    return get(connection, draft.slug, for_update=False)  # type: ignore[return-value]


def replace(
    connection: Connection, current: Article, draft: ArticleDraft, now: datetime
) -> Article:
    connection.execute(
        update(articles).where(articles.c.id == current.id).values(_row_values(draft, now))
    )
    connection.execute(
        delete(article_categories).where(article_categories.c.article_id == current.id)
    )
    connection.execute(insert(article_categories), _category_rows(current.id, draft))
    touch_feeds(connection, _affected_feeds(current, draft), now)
    return get(connection, draft.slug)  # type: ignore[return-value]


def remove(connection: Connection, current: Article, now: datetime) -> None:
    connection.execute(
        delete(article_categories).where(article_categories.c.article_id == current.id)
    )
    connection.execute(delete(articles).where(articles.c.id == current.id))
    touch_feeds(connection, _affected_feeds(current), now)


def get(connection: Connection, slug: str, for_update: bool = False) -> Article | None:
    query = select(articles).where(articles.c.slug == slug)
    if for_update and connection.dialect.name != "sqlite":
        query = query.with_for_update()
    row = connection.execute(query).first()
    return _from_row(row) if row else None


def existing_slugs(connection: Connection, slugs: Collection[str]) -> set[str]:
    found: set[str] = set()
    chunk = list(slugs)
    for start in range(0, len(chunk), 500):
        part = chunk[start : start + 500]
        found.update(
            connection.execute(select(articles.c.slug).where(articles.c.slug.in_(part))).scalars()
        )
    return found


def insert_many(connection: Connection, drafts: Sequence[ArticleDraft], now: datetime) -> None:
    """Insert new articles in bulk (the slugs are known to be free)."""
    if not drafts:
        return
    connection.execute(insert(articles), [_row_values(draft, now) for draft in drafts])
    slugs = [draft.slug for draft in drafts]
    query = select(articles.c.slug, articles.c.id).where(articles.c.slug.in_(slugs))
    ids: dict[str, int] = dict(connection.execute(query).all())
    category_rows = [row for draft in drafts for row in _category_rows(ids[draft.slug], draft)]
    connection.execute(insert(article_categories), category_rows)
    touch_feeds(connection, _affected_feeds(*drafts), now)


def _visible(status_column: Any, published_column: Any, now: datetime | None) -> Any:
    """Public filter; ``now=None`` means every article (drafts and scheduled included)."""
    if now is None:
        return true()
    return and_(status_column == Status.PUBLISHED.value, published_column <= now)


def _newest_query(category: str | None, now: datetime | None) -> Select[Any]:
    if category is None:
        return select(articles).where(_visible(articles.c.status, articles.c.published_at, now))
    ac = article_categories
    return (
        select(articles)
        .join(ac, ac.c.article_id == articles.c.id)
        .where(ac.c.category == category, _visible(ac.c.status, ac.c.published_at, now))
    )


def count(connection: Connection, category: str | None, now: datetime | None) -> int:
    if category is None:
        query = select(func.count()).select_from(articles)
        query = query.where(_visible(articles.c.status, articles.c.published_at, now))
    else:
        ac = article_categories
        query = select(func.count()).select_from(ac)
        query = query.where(
            ac.c.category == category, _visible(ac.c.status, ac.c.published_at, now)
        )
    return int(connection.execute(query).scalar_one())


def newest(
    connection: Connection,
    category: str | None,
    now: datetime | None,
    limit: int,
    offset: int = 0,
) -> list[Article]:
    """Newest first; ``now`` hides drafts and scheduled articles (``None`` shows all)."""
    query = _newest_query(category, now)
    if category is None:
        order = (articles.c.published_at.desc(), articles.c.id.desc())
    else:
        ac = article_categories
        order = (ac.c.published_at.desc(), ac.c.article_id.desc())
    rows = connection.execute(query.order_by(*order).limit(limit).offset(offset))
    return [_from_row(row) for row in rows]


def page(
    connection: Connection,
    category: str | None,
    now: datetime | None,
    number: int,
    per_page: int,
) -> Page[Article]:
    items = newest(connection, category, now, per_page, (number - 1) * per_page)
    return Page(items=items, page=number, per_page=per_page, total=count(connection, category, now))
