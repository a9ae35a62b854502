"""Newsroom operations: each write is one transaction, which also bumps the versions of the feeds
it changes (``feed_changes``: what feed caches and WebSub pings are made from)."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from syndicate.exceptions import Conflict, InvalidInput, NotFound
from syndicate.newsroom.shapes import writable_json
from syndicate.newsroom.validate import parse_article
from syndicate.store import Store
from syndicate.store import articles as article_store
from syndicate.store import feeds as feed_store
from syndicate.types import Article, ArticleDraft, Category, Clock, Page

MAX_REPORTED_LINES = 50


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int


def draft_of(article: Article) -> ArticleDraft:
    return ArticleDraft(
        **{f.name: getattr(article, f.name) for f in dataclasses.fields(ArticleDraft)}
    )


class Newsroom:
    def __init__(
        self,
        store: Store,
        categories: Mapping[str, Category],
        base_url: str,
        clock: Clock,
    ) -> None:
        self.store = store
        self.categories = categories
        self.base_url = base_url
        self.clock = clock
        self._totals: dict[str, tuple[feed_store.RawVersion, int]] = {}
        self._totals_lock = threading.Lock()

    def _parse(self, payload: Any, current: ArticleDraft | None = None) -> ArticleDraft:
        return parse_article(
            payload,
            categories=self.categories,
            base_url=self.base_url,
            now=self.clock(),
            current=current,
        )

    # Reads -------------------------------------------------------------------------------

    def get(self, slug: str, *, public_only: bool) -> Article:
        with self.store.connect() as connection:
            article = article_store.get(connection, slug)
        if article is None or (public_only and not article.is_public(self.clock())):
            raise NotFound(f"no article with slug {slug!r}")
        return article

    def page(
        self, category: str | None, number: int, per_page: int, *, public_only: bool
    ) -> Page[Article]:
        if category is not None and category not in self.categories:
            raise NotFound(f"no category {category!r}")
        if not public_only:
            with self.store.connect() as connection:
                return article_store.page(connection, category, None, number, per_page)
        now = self.clock()
        with self.store.connect() as connection:
            items = article_store.newest(
                connection, category, now, per_page, (number - 1) * per_page
            )
            total = self._public_total(connection, category, now)
        return Page(items=items, page=number, per_page=per_page, total=total)

    def _public_total(self, connection: Connection, category: str | None, now: datetime) -> int:
        """How many public articles (of one category); counting is O(n), so the count is kept
        while the store's version of that feed (writes, newest visible article) stays the same:
        a few index look-ups instead of a scan of a million rows."""
        feed = category or article_store.ALL_FEED
        version = feed_store.version_row(connection, feed, now)
        with self._totals_lock:
            known = self._totals.get(feed)
        if known is not None and known[0] == version:
            return known[1]
        total = article_store.count(connection, category, now)
        with self._totals_lock:
            self._totals[feed] = (version, total)
        return total

    def page_in_state(
        self, category: str | None, state: str | None, number: int, per_page: int
    ) -> Page[Article]:
        """Every article (drafts and scheduled too), or those of one state: ``published``,
        ``scheduled`` or ``draft``."""
        if category is not None and category not in self.categories:
            raise NotFound(f"no category {category!r}")
        if state is not None and state not in article_store.STATES:
            raise InvalidInput({"state": f"must be one of {', '.join(article_store.STATES)}"})
        with self.store.connect() as connection:
            return article_store.page_in_state(
                connection, category, state, self.clock(), number, per_page
            )

    def state_counts(self) -> dict[str, int]:
        with self.store.connect() as connection:
            return article_store.state_counts(connection, self.clock())

    # Writes ------------------------------------------------------------------------------

    def create(self, payload: Any) -> Article:
        draft = self._parse(payload)
        explicit_slug = isinstance(payload, Mapping) and "slug" in payload
        with self.store.begin() as connection:
            if not explicit_slug:
                draft = dataclasses.replace(draft, slug=self._free_slug(connection, draft.slug))
            return article_store.create(connection, draft, self.clock())

    def _free_slug(self, connection: Connection, wanted: str) -> str:
        """``wanted``, or ``wanted-2``, ``wanted-3``... whichever is free first."""
        candidates = [wanted, *(f"{wanted}-{n}" for n in range(2, 100))]
        taken = article_store.existing_slugs(connection, candidates)
        for candidate in candidates:
            if candidate not in taken:
                return candidate
        raise Conflict(f"too many articles with slug {wanted!r}; give a slug explicitly")

    def replace(self, slug: str, payload: Any) -> Article:
        return self._update(slug, lambda current: payload)

    def patch(self, slug: str, changes: Any) -> Article:
        if not isinstance(changes, Mapping):
            raise InvalidInput({"body": "must be a JSON object"})

        def merged(current: Article) -> dict[str, Any]:
            body = writable_json(current, self.base_url)
            body.pop("updated_at")  # an edit is a new update unless the patch says otherwise
            for name, value in changes.items():
                if value is None:
                    body.pop(name, None)
                elif isinstance(value, Mapping) and isinstance(body.get(name), dict):
                    body[name] = {**body[name], **value}
                else:
                    body[name] = value
            return body

        return self._update(slug, merged)

    def _update(self, slug: str, body_for: Callable[[Article], Any]) -> Article:
        with self.store.begin() as connection:
            current = article_store.get(connection, slug, for_update=True)
            if current is None:
                raise NotFound(f"no article with slug {slug!r}")
            draft = self._parse(body_for(current), current=draft_of(current))
            return article_store.replace(connection, current, draft, self.clock())

    def delete(self, slug: str) -> None:
        with self.store.begin() as connection:
            current = article_store.get(connection, slug, for_update=True)
            if current is None:
                raise NotFound(f"no article with slug {slug!r}")
            article_store.remove(connection, current, self.clock())

    def import_lines(self, lines: Iterable[str], *, update_existing: bool) -> ImportReport:
        """Import JSON Lines atomically: one bad line and nothing is written.

        Existing slugs are an error unless ``update_existing``; then the line replaces the
        stored article (unchanged ones are left alone, so re-importing is idempotent).
        """
        drafts: dict[str, tuple[int, ArticleDraft]] = {}
        errors: dict[str, str] = {}
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                draft = self._parse(json.loads(line))
            except json.JSONDecodeError as exc:
                errors[f"line {number}"] = f"not valid JSON ({exc.msg} at column {exc.colno})"
                continue
            except InvalidInput as exc:
                reasons = "; ".join(f"{name}: {why}" for name, why in exc.errors.items())
                errors[f"line {number}"] = reasons
                continue
            if draft.slug in drafts:
                first = drafts[draft.slug][0]
                errors[f"line {number}"] = f"slug {draft.slug!r} already used on line {first}"
                continue
            drafts[draft.slug] = (number, draft)
        if errors:
            raise _import_failure(errors)

        created: list[ArticleDraft] = []
        updated = unchanged = 0
        now = self.clock()
        with self.store.begin() as connection:
            existing = article_store.existing_slugs(connection, drafts.keys())
            if existing and not update_existing:
                raise _import_failure(
                    {
                        f"line {drafts[slug][0]}": f"an article with slug {slug!r} already exists"
                        for slug in sorted(existing, key=lambda s: drafts[s][0])
                    }
                )
            for slug, (_, draft) in drafts.items():
                if slug not in existing:
                    created.append(draft)
                    continue
                current = article_store.get(connection, slug, for_update=True)
                assert current is not None
                if draft_of(current) == draft:
                    unchanged += 1
                    continue
                article_store.replace(connection, current, draft, now)
                updated += 1
            article_store.insert_many(connection, created, now)
        return ImportReport(created=len(created), updated=updated, unchanged=unchanged)


def _import_failure(errors: dict[str, str]) -> InvalidInput:
    shown = dict(list(errors.items())[:MAX_REPORTED_LINES])
    if len(errors) > MAX_REPORTED_LINES:
        shown["..."] = f"{len(errors) - MAX_REPORTED_LINES} more bad lines"
    return InvalidInput(shown, message=f"{len(errors)} bad line(s), nothing imported")
