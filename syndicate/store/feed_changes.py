"""Reads of ``feed_changes``: when each feed key (a category slug, or ``all``) last changed.

Writes happen in ``articles.touch_feeds``, inside the transaction of the change itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from syndicate.store.schema import feed_changes


def changed_at(connection: Connection, feed: str) -> datetime | None:
    """The last visible change of ``feed`` (a category slug or ``all``), if any was recorded."""
    query = select(feed_changes.c.changed_at).where(feed_changes.c.feed == feed)
    found: datetime | None = connection.execute(query).scalar_one_or_none()
    return found
