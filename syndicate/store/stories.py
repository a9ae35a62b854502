"""Queries on partner stories. Every function takes a Connection; the caller owns the
transaction."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, delete, func, select, update
from sqlalchemy import insert as sql_insert

from syndicate.store.schema import sources, stories
from syndicate.store.sql import CHUNK, chunks
from syndicate.types import Image, Page, Story


class StoredRef(NamedTuple):
    """What the update step needs to know of a stored story."""

    id: int
    dedup_key: str
    link_key: str | None
    content_hash: str
    update_count: int
    update_window_at: datetime
    published_at: datetime
    first_seen_at: datetime


_REF_COLUMNS = [getattr(stories.c, name) for name in StoredRef._fields]


def _from_row(row: Row[Any]) -> Story:
    m = row._mapping
    image = None
    if m["image_url"]:
        image = Image(url=m["image_url"], type=m["image_type"] or "image/jpeg",
                      length=m["image_length"] or 0)  # fmt: skip
    return Story(
        id=m["id"],
        source_id=m["source_id"],
        guid=m["guid"],
        url=m["url"],
        title=m["title"],
        summary_html=m["summary_html"],
        content_html=m["content_html"],
        author=m["author"],
        published_at=m["published_at"],
        updated_at=m["updated_at"],
        image=image,
        rights=m["rights"],
        language=m["language"],
        first_seen_at=m["first_seen_at"],
        modified_at=m["modified_at"],
        duplicate_of=m["duplicate_of"],
    )


def by_dedup_keys(
    connection: Connection, source_id: int, keys: Collection[str]
) -> dict[str, StoredRef]:
    found: dict[str, StoredRef] = {}
    for part in chunks(keys):
        query = select(*_REF_COLUMNS).where(
            stories.c.source_id == source_id, stories.c.dedup_key.in_(part)
        )
        found.update((row.dedup_key, StoredRef(*row)) for row in connection.execute(query))
    return found


def by_link_keys(
    connection: Connection, source_id: int, keys: Collection[str]
) -> dict[str, StoredRef]:
    """This source's stories with these links (the oldest one per link)."""
    found: dict[str, StoredRef] = {}
    for part in chunks(keys):
        query = (
            select(*_REF_COLUMNS)
            .where(stories.c.source_id == source_id, stories.c.link_key.in_(part))
            .order_by(stories.c.id.desc())
        )
        found.update((row.link_key, StoredRef(*row)) for row in connection.execute(query))
    return found


def first_elsewhere(
    connection: Connection, source_id: int, link_keys: Collection[str]
) -> dict[str, int]:
    """For each link, the first story another source published with it."""
    found: dict[str, int] = {}
    for part in chunks(link_keys):
        query = (
            select(stories.c.link_key, func.min(stories.c.id))
            .where(
                stories.c.link_key.in_(part),
                stories.c.source_id != source_id,
                stories.c.duplicate_of.is_(None),
            )
            .group_by(stories.c.link_key)
        )
        found.update((row[0], int(row[1])) for row in connection.execute(query))
    return found


def insert_many(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    if not rows:
        return []
    result = connection.execute(
        sql_insert(stories).returning(stories.c.id, sort_by_parameter_order=True), list(rows)
    )
    return [row.id for row in result]


def change(connection: Connection, story_id: int, values: Mapping[str, Any]) -> None:
    connection.execute(update(stories).where(stories.c.id == story_id).values(**values))


def get_many(connection: Connection, ids: Collection[int]) -> list[Story]:
    found: list[Story] = []
    items = sorted(ids)
    for start in range(0, len(items), CHUNK):
        query = select(stories).where(stories.c.id.in_(items[start : start + CHUNK]))
        found.extend(_from_row(row) for row in connection.execute(query.order_by(stories.c.id)))
    return found


def page_for_source(
    connection: Connection, source_id: int, number: int, per_page: int
) -> Page[Story]:
    rows = connection.execute(
        select(stories)
        .where(stories.c.source_id == source_id)
        .order_by(stories.c.published_at.desc(), stories.c.id.desc())
        .limit(per_page)
        .offset((number - 1) * per_page)
    )
    total = connection.execute(
        select(func.count()).select_from(stories).where(stories.c.source_id == source_id)
    ).scalar_one()
    return Page(
        items=[_from_row(r) for r in rows], page=number, per_page=per_page, total=int(total)
    )


def recent(
    connection: Connection,
    *,
    category: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
    include_duplicates: bool = False,
) -> list[Story]:
    """Newest stories first, optionally of one category (the source's) and after ``since``."""
    query = select(stories)
    if category is not None:
        query = query.join(sources, sources.c.id == stories.c.source_id).where(
            sources.c.category == category
        )
    if since is not None:
        query = query.where(stories.c.published_at >= since)
    if not include_duplicates:
        query = query.where(stories.c.duplicate_of.is_(None))
    query = query.order_by(stories.c.published_at.desc(), stories.c.id.desc()).limit(limit)
    return [_from_row(row) for row in connection.execute(query)]


def count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(stories)).scalar_one())


def prune(connection: Connection, before: datetime) -> int:
    """Delete stories published and first seen before ``before``; returns how many."""
    old = select(stories.c.id).where(
        stories.c.published_at < before, stories.c.first_seen_at < before
    )
    connection.execute(
        update(stories).where(stories.c.duplicate_of.in_(old)).values(duplicate_of=None)
    )
    result = connection.execute(
        delete(stories).where(stories.c.published_at < before, stories.c.first_seen_at < before)
    )
    return int(result.rowcount)


def count_first_seen_since(connection: Connection, since: datetime) -> int:
    query = select(func.count()).select_from(stories).where(stories.c.first_seen_at >= since)
    return int(connection.execute(query).scalar_one())
