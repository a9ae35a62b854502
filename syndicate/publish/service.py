"""Feeds as bytes: probe the store's version, serve the cached rendering or make a new one."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import datetime

from sqlalchemy import Connection

from syndicate.exceptions import NotFound
from syndicate.publish import feedgen_adapter, jsonfeed
from syndicate.publish.caching import Entry, FragmentCache, RenderCache, Representation
from syndicate.publish.compose import Site, compose, page_url
from syndicate.publish.model import FeedDocument, Fragments
from syndicate.related_service import FEED_PREFIX as RELATED_PREFIX
from syndicate.store import Store
from syndicate.store import articles as article_store
from syndicate.store import feeds as feed_store
from syndicate.store.articles import ALL_FEED
from syndicate.types import Clock
from syndicate.urls import related_feed_url

CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
WRITERS: dict[str, Callable[[FeedDocument, Fragments | None], bytes]] = {
    "rss": feedgen_adapter.render_rss,
    "atom": feedgen_adapter.render_atom,
    "json": jsonfeed.render_json,
}
COUNTS_KEPT = 256


class FeedService:
    def __init__(
        self,
        store: Store,
        site: Site,
        clock: Clock,
        *,
        page_size: int,
        max_pages: int,
        cache: RenderCache | None = None,
    ) -> None:
        self.store = store
        self.site = site
        self.clock = clock
        self.page_size = page_size
        self.max_pages = max_pages
        self.cache = cache or RenderCache()
        self.fragments = FragmentCache()
        self.probe = feed_store.VersionProbe(store)
        self._counts: dict[tuple[str, Hashable], int] = {}
        self._counts_lock = threading.Lock()
        self.renders = 0
        """How many pages this process rendered (tests and metrics read it)."""

    def serve(self, feed: str, extension: str, page: int) -> Representation:
        """The page to send, rendered only if the store changed since it was last rendered.

        Raises ``NotFound`` for an unknown feed or a page past the last one.
        """
        if not self.site.exists(feed) or extension not in WRITERS:
            raise NotFound(f"no feed {feed!r}")
        now = self.clock()
        version = self.probe.raw(feed, now)
        key = (feed, extension, page)
        entry = self.cache.get(key, version)
        if entry is None:
            entry = self._render(feed, extension, page, version, now)
            self.cache.put(key, entry)
        if entry.representation is None:
            raise NotFound(f"page {page} of feed {feed!r} does not exist")
        return entry.representation

    def cached(self, feed: str, extension: str, page: int) -> Representation | None:
        """The page if a rendering of the store's current version is at hand, else ``None``
        (``serve`` then renders it, or says why it does not exist)."""
        if not self.site.exists(feed):
            return None
        entry = self.cache.get((feed, extension, page), self.probe.raw(feed, self.clock()))
        return entry.representation if entry is not None else None

    def _render(
        self, feed: str, extension: str, page: int, version: Hashable, now: datetime
    ) -> Entry:
        assert isinstance(version, tuple)
        updated = self.probe.interpret(version).last_modified
        with self.store.connect() as connection:
            last_page = self._last_page(connection, feed, version, now)
            if page > last_page:
                return Entry(version, None)
            articles = article_store.newest(
                connection,
                None if feed == ALL_FEED else feed,
                now,
                self.page_size,
                (page - 1) * self.page_size,
            )
        document = compose(self.site, feed, extension, page, last_page, updated, articles)
        body = WRITERS[extension](document, self.fragments)
        self.renders += 1
        representation = Representation.of(
            body, CONTENT_TYPES[extension], updated, self.headers_for(document)
        )
        return Entry(version, representation)

    def _last_page(
        self, connection: Connection, feed: str, version: Hashable, now: datetime
    ) -> int:
        """Shared by every format and page of one version; counts at most ``max_pages`` pages."""
        key = (feed, version)
        with self._counts_lock:
            total = self._counts.get(key)
        if total is None:
            cap = self.max_pages * self.page_size
            total = feed_store.count_visible(connection, feed, now, cap)
            with self._counts_lock:
                if len(self._counts) >= COUNTS_KEPT:
                    self._counts.clear()
                self._counts[key] = total
        return min(self.max_pages, max(1, -(-total // self.page_size)))

    def headers_for(self, document: FeedDocument) -> tuple[tuple[str, str], ...]:
        """Caching, CORS, no sniffing; the hub and self links when a WebSub hub is configured."""
        headers = [
            ("Cache-Control", f"public, max-age={self.site.max_age}"),
            ("Vary", "Accept-Encoding"),
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Expose-Headers", "ETag, Link"),
            ("X-Content-Type-Options", "nosniff"),
        ]
        if self.site.hub:
            # WebSub discovery (W3C WebSub section 4): hub and topic as HTTP Link headers too.
            headers.append(
                ("Link", f'<{self.site.hub}>; rel="hub", <{document.self_url}>; rel="self"')
            )
        return tuple(headers)

    def topic_urls(self, feeds: frozenset[str]) -> list[str]:
        """The URLs a WebSub hub knows our feeds by: first pages, every format; a feed key
        ``related:<category>`` names that category's related feeds."""
        urls = []
        for feed in sorted(feeds):
            category = feed.removeprefix(RELATED_PREFIX)
            if not self.site.exists(category):
                continue
            for extension in WRITERS:
                if category != feed:
                    urls.append(related_feed_url(self.site.base_url, category, extension))
                else:
                    urls.append(page_url(self.site, feed, extension, 1))
        return urls

    def close(self) -> None:
        self.probe.close()
        self.cache.clear()
        self.fragments.clear()
