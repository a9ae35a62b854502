"""Queries behind our outbound feeds: the per-request version probe and the page reads.

A feed key is a category slug or ``all``. Its *version* is what decides whether a rendered feed
is still good, read from the store so that every web process agrees:

- ``feed_changes`` (version, changed_at), bumped by every write that touches the feed (a
  deletion leaves nothing else behind to date it);
- the newest visible ``published_at`` (published, ``<= now``): a scheduled article becomes
  visible without any write, and when it does it is, at that moment, the newest visible one.

Both come from one statement of index seeks, whatever the store's size, run on a reused DB-API
connection: the probe is on the path of every feed request, 304s included, so it skips the
pool and SQLAlchemy's per-execution work.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, select
from sqlalchemy.exc import SQLAlchemyError

from syndicate.store import Store
from syndicate.store.articles import ALL_FEED
from syndicate.store.db import StoreUnavailable
from syndicate.store.schema import (
    UTCDateTime,
    article_categories,
    articles,
    feed_changes,
    public,
)
from syndicate.types import Status

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_IDLE_CONNECTIONS = 8

RawVersion = tuple[Any, ...]
"""The probe's row as the driver returned it: compared, never interpreted, on the hot path."""


@dataclass(frozen=True)
class FeedVersion:
    """What a feed's content depends on, as read from the store."""

    raw: RawVersion
    version: int
    changed_at: datetime | None
    newest_published_at: datetime | None

    @property
    def last_modified(self) -> datetime:
        """The newest change in the feed: a write to it, or an article becoming visible."""
        moments = [m for m in (self.changed_at, self.newest_published_at) if m is not None]
        return max(moments, default=EPOCH)


def _visible_ac(now: Any) -> Any:
    return public(article_categories.c.status, article_categories.c.published_at, now)


def _visible_articles(now: Any) -> Any:
    return public(articles.c.status, articles.c.published_at, now)


def _probe_statement(all_feed: bool) -> Select[Any]:
    feed = bindparam("feed", type_=feed_changes.c.feed.type)
    now = bindparam("now", type_=UTCDateTime())
    version = select(feed_changes.c.version).where(feed_changes.c.feed == feed)
    changed = select(feed_changes.c.changed_at).where(feed_changes.c.feed == feed)
    if all_feed:
        newest = select(func.max(articles.c.published_at)).where(_visible_articles(now))
    else:
        ac = article_categories
        newest = select(func.max(ac.c.published_at)).where(ac.c.category == feed, _visible_ac(now))
    return select(version.scalar_subquery(), changed.scalar_subquery(), newest.scalar_subquery())


def version_row(connection: Connection, feed: str, now: datetime) -> RawVersion:
    """The same version row as ``VersionProbe.raw``, through an ordinary connection: for
    callers off the feeds' hot path (public article counts)."""
    row = connection.execute(_probe_statement(feed == ALL_FEED), {"feed": feed, "now": now}).one()
    return tuple(row)


class _Compiled:
    """A statement compiled once for the store's dialect, run on a bare DB-API cursor."""

    def __init__(self, statement: Select[Any], store: Store) -> None:
        dialect = store.engine.dialect
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.order: Sequence[str] | None = (
            list(compiled.positiontup) if compiled.positional and compiled.positiontup else None
        )
        self.constants = {k: v for k, v in compiled.params.items() if k not in {"feed", "now"}}

    def parameters(self, values: dict[str, Any]) -> Any:
        merged = {**self.constants, **values}
        if self.order is None:
            return merged
        return tuple(merged[name] for name in self.order)


class VersionProbe:
    """Reads a feed's version with one statement; thread-safe, connections reused."""

    def __init__(self, store: Store) -> None:
        self._store = store
        dialect = store.engine.dialect
        self._is_postgres = dialect.name == "postgresql"
        time_type = UTCDateTime().dialect_impl(dialect)
        self._bind_time: Callable[[Any], Any] = time_type.bind_processor(dialect) or (lambda v: v)
        self._read_time: Callable[[Any], Any] = time_type.result_processor(dialect, None) or (
            lambda v: v
        )
        self._statements = {
            True: _Compiled(_probe_statement(True), store),
            False: _Compiled(_probe_statement(False), store),
        }
        self._last_bound: tuple[datetime | None, Any] = (None, None)
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        weakref.finalize(self, _close_all, self._idle)

    def raw(self, feed: str, now: datetime) -> RawVersion:
        """The version row exactly as the driver returns it (cheap to compare)."""
        statement = self._statements[feed == ALL_FEED]
        parameters = statement.parameters({"feed": feed, "now": self._bound(now)})
        for attempt in (1, 2):
            connection = self._checkout()
            try:
                cursor = connection.cursor()
                try:
                    cursor.execute(statement.sql, parameters)
                    rows = cursor.fetchall()
                finally:
                    cursor.close()
            except Exception as exc:  # the driver's own error classes differ per database
                _close_quietly(connection)
                if attempt == 2:
                    raise StoreUnavailable(f"feed version query failed: {exc}") from exc
                continue
            self._checkin(connection)
            return tuple(rows[0])
        raise AssertionError("unreachable")

    def _bound(self, now: datetime) -> Any:
        """``now`` as the driver takes it; the store keeps whole seconds, and so one
        conversion serves every request of the same second."""
        second = now.replace(microsecond=0)
        last = self._last_bound
        if last[0] != second:
            last = self._last_bound = (second, self._bind_time(second))
        return last[1]

    def interpret(self, raw: RawVersion) -> FeedVersion:
        version, changed_at, newest = raw
        return FeedVersion(
            raw=raw,
            version=int(version or 0),
            changed_at=self._read_time(changed_at) if changed_at is not None else None,
            newest_published_at=self._read_time(newest) if newest is not None else None,
        )

    def close(self) -> None:
        with self._lock:
            _close_all(self._idle)

    def _checkout(self) -> Any:
        with self._lock:
            if self._pid != os.getpid():  # forked: these belong to the parent process
                self._idle.clear()
                self._pid = os.getpid()
            if self._idle:
                return self._idle.pop()
        try:
            pooled = self._store.engine.raw_connection()
            pooled.detach()
            connection = pooled.dbapi_connection
            assert connection is not None
            if self._is_postgres:
                connection.autocommit = True  # a lone SELECT must not hold a transaction open
        except SQLAlchemyError as exc:
            raise StoreUnavailable(str(exc.__cause__ or exc).splitlines()[0]) from exc
        return connection

    def _checkin(self, connection: Any) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE_CONNECTIONS and self._pid == os.getpid():
                self._idle.append(connection)
                return
        _close_quietly(connection)


def _close_quietly(connection: Any) -> None:
    with contextlib.suppress(Exception):  # closing a broken connection may fail: nothing to do
        connection.close()


def _close_all(connections: list[Any]) -> None:
    while connections:
        _close_quietly(connections.pop())


# Reads on a regeneration only (pages themselves come from ``articles.newest``) --------------


@cache
def _count_statement(all_feed: bool) -> Select[Any]:
    """Built once per shape: a regeneration then skips building the query and its cache key."""
    now = bindparam("now", type_=UTCDateTime())
    if all_feed:
        rows = select(articles.c.id).where(_visible_articles(now))
    else:
        ac = article_categories
        rows = select(ac.c.article_id).where(ac.c.category == bindparam("feed"), _visible_ac(now))
    bounded = rows.limit(bindparam("cap")).subquery("bounded")
    return select(func.count()).select_from(bounded)


def count_visible(connection: Connection, feed: str, now: datetime, cap: int) -> int:
    """Visible articles in the feed, counting no further than ``cap`` (an index-only range
    whose length is bounded, so a regeneration costs the same on a store of any size)."""
    parameters: dict[str, Any] = {"now": now, "cap": cap}
    if feed != ALL_FEED:
        parameters["feed"] = feed
    statement = _count_statement(feed == ALL_FEED)
    return int(connection.execute(statement, parameters).scalar_one())


def written_versions(connection: Connection) -> dict[str, tuple[int, datetime]]:
    """Each feed key's write version and when it was last bumped (a row per feed: small)."""
    query = select(feed_changes.c.feed, feed_changes.c.version, feed_changes.c.changed_at)
    return {feed: (version, at) for feed, version, at in connection.execute(query)}


def newly_visible_feeds(connection: Connection, after: datetime, now: datetime) -> set[str]:
    """Feed keys that gained an article by the passage of time in ``(after, now]``.

    Writes announce their own changes; this finds scheduled articles that came due (an index
    range on ``articles(status, published_at)``, a handful of rows).
    """
    query = select(articles.c.categories).where(
        articles.c.status == Status.PUBLISHED.value,
        articles.c.published_at > after,
        articles.c.published_at <= now,
    )
    found = {category for row in connection.execute(query).scalars() for category in row}
    return found | {ALL_FEED} if found else found
