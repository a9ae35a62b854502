"""Queries on articles. Every function takes a Connection; the caller owns the transaction."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    Connection,
    Select,
    String,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.exc import IntegrityError

from syndicate.exceptions import Conflict
from syndicate.store import related as related_store
from syndicate.store.schema import article_categories, articles, feed_changes, public
from syndicate.store.sql import CHUNK
from syndicate.types import Article, ArticleDraft, Author, Image, Page, Status

ALL_FEED = "all"
_T = TypeVar("_T")


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


# Reading articles is the hot path of every feed and page, so rows are converted here in one
# step rather than value by value through SQLAlchemy's type processors: the JSON and time
# columns come back as the driver gives them (SQLite: text; PostgreSQL: lists and naive
# datetimes) and ``_from_row`` turns them into the same values the column types would.
# ``bench/store_bench.py`` measures this against the raw drivers.
_DRIVER_VALUE = {"categories", "tags", "published_at", "updated_at", "modified_at"}
_COLUMNS = [
    type_coerce(column, String).label(column.name) if column.name in _DRIVER_VALUE else column
    for column in (
        articles.c.id,
        articles.c.slug,
        articles.c.title,
        articles.c.summary,
        articles.c.content_html,
        articles.c.author_name,
        articles.c.author_email,
        articles.c.categories,
        articles.c.tags,
        articles.c.language,
        articles.c.status,
        articles.c.published_at,
        articles.c.updated_at,
        articles.c.modified_at,
        articles.c.image_url,
        articles.c.image_type,
        articles.c.image_length,
        articles.c.image_alt,
    )
]
_STATUSES = {status.value: status for status in Status}


def _utc(value: Any) -> datetime:
    """A stored time (naive UTC) as an aware datetime, as ``UTCDateTime`` returns it.

    ``datetime.replace(tzinfo=...)`` costs a microsecond on Python 3.11; these do not.
    """
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")
    return datetime.combine(value.date(), value.time(), UTC)


@lru_cache(maxsize=4096)
def _decoded(text: str) -> tuple[str, ...]:
    """A JSON list column as SQLite returns it (PostgreSQL's driver decodes it itself)."""
    return tuple(json.loads(text))


@lru_cache(maxsize=1024)
def _author(name: str, email: str | None) -> Author:
    return Author(name, email)


# A frozen dataclass's __init__ sets each field through object.__setattr__: about 2 µs for an
# Article, more than the rest of its row's conversion. Rows were validated when written, so
# Article and Image are made by filling the new instance's __dict__ in field order, which gives
# the same object (equality, hash, repr), as long as the class stays a plain dataclass with
# exactly the fields named here; otherwise its constructor runs.
_FIELDS: dict[type, tuple[str, ...]] = {
    Article: (
        "slug", "title", "summary", "content_html", "author", "categories", "tags",
        "language", "published_at", "updated_at", "image", "status", "id", "modified_at",
    ),
    Image: ("url", "type", "length", "alt"),
}  # fmt: skip
_FILLABLE = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) == names
    and not hasattr(cls, "__post_init__")
    and "__slots__" not in vars(cls)
    for cls, names in _FIELDS.items()
}


def _maker(cls: type[_T]) -> Callable[[dict[str, Any]], _T]:
    """``values -> cls(**values)`` for a frozen dataclass, without its per-field __setattr__."""
    if not _FILLABLE[cls]:
        return lambda values: cls(**values)
    new_instance, set_attribute = object.__new__, object.__setattr__

    def make(values: dict[str, Any]) -> _T:
        instance: _T = new_instance(cls)
        set_attribute(instance, "__dict__", values)
        return instance

    return make


_make_article = _maker(Article)
_make_image = _maker(Image)


def _from_row(row: Sequence[Any]) -> Article:
    (
        id_, slug, title, summary, content_html, author_name, author_email, categories, tags,
        language, status, published_at, updated_at, modified_at,
        image_url, image_type, image_length, image_alt,
    ) = row  # fmt: skip
    # An article published or edited live has the same second in two or three of these:
    # equal texts are parsed once.
    published = _utc(published_at)
    updated = published if updated_at == published_at else _utc(updated_at)
    modified = updated if modified_at == updated_at else _utc(modified_at)
    image = None
    if image_url:
        image = _make_image(
            {"url": image_url, "type": image_type, "length": image_length, "alt": image_alt or ""}
        )
    return _make_article(
        {
            "slug": slug,
            "title": title,
            "summary": summary,
            "content_html": content_html,
            "author": _author(author_name, author_email) if author_name else None,
            "categories": (
                _decoded(categories) if isinstance(categories, str) else tuple(categories)
            ),
            "tags": _decoded(tags) if isinstance(tags, str) else tuple(tags),
            "language": language,
            "published_at": published,
            "updated_at": updated,
            "image": image,
            "status": _STATUSES[status],
            "id": id_,
            "modified_at": modified,
        }
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


def visible_feeds(*versions: ArticleDraft | None, now: datetime) -> set[str]:
    """The feed keys a change of these versions (before, after) alters: the categories, and
    ``all``, of each version public at ``now``. A draft or a still-scheduled article changes no
    feed; a scheduled one alters its feeds when its time comes, with no write (``feeds.py``)."""
    feeds: set[str] = set()
    for version in versions:
        if version and version.status is Status.PUBLISHED and version.published_at <= now:
            feeds.add(ALL_FEED)
            feeds.update(version.categories)
    return feeds


def _record_change(
    connection: Connection,
    versions: Sequence[ArticleDraft | None],
    article_ids: Iterable[int],
    now: datetime,
) -> None:
    """In the write's own transaction: date the feeds it changes and queue the articles for
    their related stories, so neither can be lost to a crash after the commit."""
    touch_feeds(connection, visible_feeds(*versions, now=now), now)
    related_store.mark_dirty(connection, article_ids, now)


def create(connection: Connection, draft: ArticleDraft, now: datetime) -> Article:
    try:
        with connection.begin_nested():
            article_id = connection.execute(
                insert(articles).values(_row_values(draft, now)).returning(articles.c.id)
            ).scalar_one()
    except IntegrityError as exc:
        raise Conflict(f"an article with slug {draft.slug!r} already exists") from exc
    connection.execute(insert(article_categories), _category_rows(article_id, draft))
    _record_change(connection, [draft], [article_id], now)
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
    _record_change(connection, [current, draft], [current.id], now)
    return get(connection, draft.slug)  # type: ignore[return-value]


def remove(connection: Connection, current: Article, now: datetime) -> None:
    connection.execute(
        delete(article_categories).where(article_categories.c.article_id == current.id)
    )
    connection.execute(delete(articles).where(articles.c.id == current.id))
    _record_change(connection, [current], [current.id], now)


def get(connection: Connection, slug: str, for_update: bool = False) -> Article | None:
    query = select(*_COLUMNS).where(articles.c.slug == slug)
    if for_update and connection.dialect.name != "sqlite":
        query = query.with_for_update()
    row = connection.execute(query).first()
    return _from_row(row) if row else None


def _ids_by_slug(connection: Connection, slugs: Collection[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    pending = list(slugs)
    for start in range(0, len(pending), CHUNK):
        part = pending[start : start + CHUNK]
        query = select(articles.c.slug, articles.c.id).where(articles.c.slug.in_(part))
        found.update(connection.execute(query).all())
    return found


def get_many(connection: Connection, ids: Iterable[int]) -> list[Article]:
    """The articles with these ids, any state (missing ones left out)."""
    found: list[Article] = []
    pending = sorted(set(ids))
    for start in range(0, len(pending), CHUNK):
        query = select(*_COLUMNS).where(articles.c.id.in_(pending[start : start + CHUNK]))
        found += [_from_row(row) for row in connection.execute(query)]
    return found


def existing_slugs(connection: Connection, slugs: Collection[str]) -> set[str]:
    return set(_ids_by_slug(connection, slugs))


def insert_many(connection: Connection, drafts: Sequence[ArticleDraft], now: datetime) -> None:
    """Insert new articles in bulk (the slugs are known to be free)."""
    if not drafts:
        return
    connection.execute(insert(articles), [_row_values(draft, now) for draft in drafts])
    ids = _ids_by_slug(connection, [draft.slug for draft in drafts])
    category_rows = [row for draft in drafts for row in _category_rows(ids[draft.slug], draft)]
    connection.execute(insert(article_categories), category_rows)
    _record_change(connection, drafts, ids.values(), now)


def _visible(
    status_column: Any, published_column: Any, now: datetime | BindParameter[datetime] | None
) -> Any:
    """Public filter; ``now=None`` means every article (drafts and scheduled included)."""
    return true() if now is None else public(status_column, published_column, now)


def _newest_query(
    category: str | BindParameter[str] | None, now: datetime | BindParameter[datetime] | None
) -> Select[Any]:
    if category is None:
        return select(*_COLUMNS).where(_visible(articles.c.status, articles.c.published_at, now))
    ac = article_categories
    return (
        select(*_COLUMNS)
        .join_from(articles, ac, ac.c.article_id == articles.c.id)
        .where(ac.c.category == category, _visible(ac.c.status, ac.c.published_at, now))
    )


@cache
def _newest_statement(by_category: bool, public: bool) -> Select[Any]:
    """Built once per shape, so each call skips building the query and its cache key."""
    category = bindparam("category", type_=String) if by_category else None
    now = bindparam("now", type_=articles.c.published_at.type) if public else None
    query = _newest_query(category, now)
    if by_category:
        ac = article_categories
        order = (ac.c.published_at.desc(), ac.c.article_id.desc())
    else:
        order = (articles.c.published_at.desc(), articles.c.id.desc())
    return query.order_by(*order).limit(bindparam("limit")).offset(bindparam("offset"))


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
    statement = _newest_statement(category is not None, now is not None)
    parameters: dict[str, Any] = {"limit": limit, "offset": offset}
    if category is not None:
        parameters["category"] = category
    if now is not None:
        parameters["now"] = now
    rows = connection.execute(statement, parameters).all()
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


# The newsroom's view (operators' console): every article, by state -------------------------

STATES = ("published", "scheduled", "draft")
"""``published``: public now; ``scheduled``: published with a future time; ``draft``."""


def _in_state(status_column: Any, published_column: Any, state: str, now: datetime) -> Any:
    if state == "published":
        return public(status_column, published_column, now)
    if state == "scheduled":
        return and_(status_column == Status.PUBLISHED.value, published_column > now)
    return status_column == Status.DRAFT.value


def page_in_state(
    connection: Connection,
    category: str | None,
    state: str | None,
    now: datetime,
    number: int,
    per_page: int,
) -> Page[Article]:
    """Newest first, every article or those of one ``state`` (see ``STATES``)."""
    if category is None:
        status, published, order_id = articles.c.status, articles.c.published_at, articles.c.id
        query = select(*_COLUMNS)
        counting = select(func.count()).select_from(articles)
    else:
        ac = article_categories
        status, published, order_id = ac.c.status, ac.c.published_at, ac.c.article_id
        query = (
            select(*_COLUMNS)
            .join_from(articles, ac, ac.c.article_id == articles.c.id)
            .where(ac.c.category == category)
        )
        counting = select(func.count()).select_from(ac).where(ac.c.category == category)
    if state is not None:
        query = query.where(_in_state(status, published, state, now))
        counting = counting.where(_in_state(status, published, state, now))
    rows = connection.execute(
        query.order_by(published.desc(), order_id.desc())
        .limit(per_page)
        .offset((number - 1) * per_page)
    ).all()
    total = int(connection.execute(counting).scalar_one())
    return Page(items=[_from_row(row) for row in rows], page=number, per_page=per_page, total=total)


def state_counts(connection: Connection, now: datetime) -> dict[str, int]:
    """How many articles are in each of ``STATES``."""
    found = {}
    for state in STATES:
        query = select(func.count()).select_from(articles)
        query = query.where(_in_state(articles.c.status, articles.c.published_at, state, now))
        found[state] = int(connection.execute(query).scalar_one())
    return found
