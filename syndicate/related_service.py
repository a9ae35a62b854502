"""Related stories kept in the store: the index lives in one process, every process reads.

- Web processes (and the CLI) *read* the computed lists (``article_related``,
  ``category_stories``); every newsroom write marks its articles in ``related_dirty`` within
  its own transaction (``store/articles.py``).
- The process holding the index (the scheduler; ``syndicate related rebuild`` and
  ``syndicate fetch`` for their own run) writes them: ``rebuild`` computes every list,
  ``refresh`` folds in marked articles and partner stories written since its last look, and
  recomputes the lists of the articles they enter. When the stories shown by a category's
  related feed change, it bumps the feed key ``related:<category>`` in ``feed_changes``, which
  is what the related feeds' HTTP validators are made of.

The index (``syndicate.related``) is large and not thread-safe: one lock guards it here.

With the ``embeddings`` extra, the same process embeds the titles it indexes. Embeddings are
cached in ``related_embeddings`` (keyed by model and text), so a rebuild only embeds what is new
or edited, and rows of documents no longer indexed are pruned by each rebuild.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from syndicate.exceptions import NotFound
from syndicate.related import Document, RelatedIndex, article_document, story_document
from syndicate.related.semantic import Embedder, attach, check_choice, load_embedder
from syndicate.store import Store
from syndicate.store import articles as article_store
from syndicate.store import embeddings as embedding_store
from syndicate.store import related as related_store
from syndicate.store import sources as source_store
from syndicate.store import stories as story_store
from syndicate.store.articles import ALL_FEED, touch_feeds
from syndicate.types import (
    Article,
    Category,
    Clock,
    RelatedItem,
    RelatedStory,
    Status,
)
from syndicate.urls import article_url

log = logging.getLogger("syndicate.related")

FEED_PREFIX = "related:"
DIRTY_BATCH = 1000
EMBED_BATCH = 500
"""Titles embedded, then cached, at a time (a first rebuild of 100,000 takes minutes)."""
SAY_EVERY = 10.0
"""Seconds between two progress messages while embedding."""
EVERYTHING = 10**9


def feed_key(category: str) -> str:
    """The ``feed_changes`` key of a category's related feed (``all`` included)."""
    return FEED_PREFIX + category


@dataclass(frozen=True)
class RebuildReport:
    articles: int
    stories: int
    lists: int
    items: int
    seconds: float
    index_bytes: int

    def summary(self) -> str:
        return (
            f"related: {self.lists} lists ({self.items} items) from {self.articles} articles "
            f"and {self.stories} partner stories in {self.seconds:.1f}s "
            f"(index {self.index_bytes / 2**20:.0f} MiB)"
        )


def _target(doc_id: str, score: float) -> related_store.Target:
    kind, _, number = doc_id.partition(":")
    return related_store.Target(kind, int(number), score)


def _article_number(doc_id: str) -> int | None:
    kind, _, number = doc_id.partition(":")
    return int(number) if kind == "article" else None


class RelatedService:
    def __init__(
        self,
        store: Store,
        categories: Mapping[str, Category],
        clock: Clock,
        *,
        base_url: str,
        site_name: str,
        limit: int,
        feed_size: int,
        retention_days: int,
        embeddings: str = "off",
        embedder: Embedder | None = None,
    ) -> None:
        """``embeddings`` is the setting (auto, on, off); a given ``embedder`` replaces it."""
        check_choice(embeddings)
        self.store = store
        self.categories = categories
        self.clock = clock
        self.base_url = base_url
        self.site_name = site_name
        self.limit = limit
        self.keep = limit * 2
        """Entries stored per article: some may be hidden (scheduled, gone) when read."""
        self.feed_size = feed_size
        self.retention_days = retention_days
        self.index: RelatedIndex | None = None
        self.embeddings = embeddings
        self._embedder: Embedder | Literal[False] | None = (
            embedder if embedder is not None else False
        )
        """Loaded on first use (only the process holding the index needs the model)."""
        self._lock = threading.Lock()
        self._signatures: dict[str, tuple[int, ...]] | None = None
        self._stories_since: datetime | None = None
        self._stories_at_mark: set[int] = set()

    # Reads (any process) -----------------------------------------------------------------

    def article_related(self, slug: str) -> list[RelatedItem]:
        """The "More Stories" of a public article, best first (``NotFound`` otherwise)."""
        now = self.clock()
        with self.store.connect() as connection:
            article = article_store.get(connection, slug)
            if article is None or not article.is_public(now):
                raise NotFound(f"no article with slug {slug!r}")
            rows = related_store.read_list(connection, article.id, now, self.limit)
        return [
            RelatedItem(
                kind=row.kind,
                title=row.title,
                url=article_url(self.base_url, row.slug) if row.slug else (row.url or ""),
                source=self.site_name if row.kind == "article" else (row.source or ""),
                published_at=row.published_at,
                score=round(row.score, 4),
            )
            for row in rows
        ]

    def category_stories(self, category: str, limit: int) -> list[RelatedStory]:
        """Partner stories related to the category's newest articles (``all``: every
        category), newest first."""
        if category != ALL_FEED and category not in self.categories:
            raise NotFound(f"no category {category!r}")
        with self.store.connect() as connection:
            return related_store.category_stories(
                connection, None if category == ALL_FEED else category, self.clock(), limit
            )

    # Writes (the process holding the index) ----------------------------------------------

    def _embedder_loaded(self) -> Embedder | None:
        if self._embedder is False:
            self._embedder = load_embedder(self.embeddings)
        return self._embedder

    def _embed(
        self, docs: list[Document], say: Callable[[str], None], *, everything: bool = False
    ) -> list[Document]:
        """``docs`` with their title embeddings, cached ones reused, new ones cached.

        ``everything``: ``docs`` is all that is indexed, so cached rows of others are pruned.
        """
        embedder = self._embedder_loaded()
        if embedder is None:
            return docs
        with self.store.connect() as connection:
            ids = None if everything else [doc.id for doc in docs]
            cached = embedding_store.read(connection, embedder.model, ids)
        done: list[Document] = []
        said = time.monotonic()
        for start in range(0, len(docs), EMBED_BATCH):
            part, fresh = attach(docs[start : start + EMBED_BATCH], embedder, cached)
            done += part
            if fresh:
                rows = {key: embedding_store.Cached(*row) for key, row in fresh.items()}
                with self.store.begin() as connection:
                    embedding_store.write(connection, embedder.model, rows, self.clock())
                if time.monotonic() - said >= SAY_EVERY or len(done) == len(docs):
                    said = time.monotonic()
                    share = len(done) / len(docs)
                    say(f"title embeddings: {len(done):,} of {len(docs):,} documents ({share:.0%})")
        if everything:
            with self.store.begin() as connection:
                embedding_store.prune(connection, {doc.id for doc in docs})
        return done

    def _documents(self, now: datetime) -> tuple[list[Document], int, int]:
        since = now - timedelta(days=self.retention_days)
        with self.store.connect() as connection:
            articles = article_store.newest(connection, None, None, EVERYTHING)
            stories = story_store.recent(connection, since=since, limit=EVERYTHING)
            sources = {s.id: s for s in source_store.all_sources(connection)}
        docs = [article_document(a, self.site_name) for a in articles if self._indexed(a)]
        n_articles = len(docs)
        docs += [story_document(s, sources[s.source_id]) for s in stories if s.source_id in sources]
        return docs, n_articles, len(docs) - n_articles

    @staticmethod
    def _indexed(article: Article) -> bool:
        """Published articles, scheduled ones included (hidden when read until their time)."""
        return article.status is Status.PUBLISHED

    def _compute(
        self, index: RelatedIndex, article_ids: Iterable[int]
    ) -> dict[int, list[related_store.Target]]:
        numbers = [n for n in sorted(set(article_ids)) if f"article:{n}" in index]
        found = index.related_each([f"article:{n}" for n in numbers], limit=self.keep)
        return {
            number: [_target(m.id, m.score) for m in matches]
            for number, matches in zip(numbers, found, strict=True)
        }

    def _read_signatures(self) -> dict[str, tuple[int, ...]]:
        now = self.clock()
        found = {}
        with self.store.connect() as connection:
            for category in (ALL_FEED, *self.categories):
                slug = None if category == ALL_FEED else category
                found[category] = related_store.category_story_ids(
                    connection, slug, now, self.feed_size
                )
        return found

    def _bump_changed(self, before: Mapping[str, tuple[int, ...]]) -> set[str]:
        after = self._read_signatures()
        changed = {category for category, ids in after.items() if before.get(category) != ids}
        if changed:
            with self.store.begin() as connection:
                touch_feeds(connection, [feed_key(c) for c in changed], self.clock())
            log.info("related feeds changed: %s", ", ".join(sorted(changed)))
        self._signatures = after
        return changed

    def _load(self, say: Callable[[str], None] = lambda _message: None) -> tuple[int, int]:
        now = self.clock()
        docs, n_articles, n_stories = self._documents(now)
        docs = self._embed(docs, say, everything=True)
        index = RelatedIndex()
        index.rebuild(docs)
        self.index = index
        self._stories_since, self._stories_at_mark = now, set()
        return n_articles, n_stories

    def rebuild(self, progress: Callable[[str], None] | None = None) -> RebuildReport:
        """Index every article and recent partner story, and write every article's list."""
        with self._lock:
            return self._rebuild(progress or (lambda _message: None))

    def _rebuild(self, say: Callable[[str], None]) -> RebuildReport:
        started = time.monotonic()
        with self.store.connect() as connection:
            seen = related_store.dirty(connection, EVERYTHING)
        before = self._read_signatures()
        say("indexing articles and partner stories")
        n_articles, n_stories = self._load(say)
        assert self.index is not None
        ids = [n for n in map(_article_number, self.index.ids) if n is not None]
        say(f"relating {len(ids)} articles")
        lists = self._compute(self.index, ids)
        self._write_lists(lists, cleared=None, seen=seen)
        self._bump_changed(before)
        return RebuildReport(
            articles=n_articles,
            stories=n_stories,
            lists=len(lists),
            items=sum(len(items) for items in lists.values()),
            seconds=time.monotonic() - started,
            index_bytes=self.index.nbytes,
        )

    def _write_lists(
        self,
        lists: Mapping[int, list[related_store.Target]],
        *,
        cleared: Iterable[int] | None,
        seen: Mapping[int, int],
    ) -> None:
        """In one transaction: empty the ``cleared`` lists (``None``: all), write ``lists``,
        unmark ``seen`` (marks made since stay). Targets gone from the store meanwhile leave
        the index too."""
        with self.store.begin() as connection:
            related_store.clear_lists(connection, cleared)
            missing = related_store.replace_lists(connection, lists, self.clock())
            related_store.clear_dirty(connection, seen)
        assert self.index is not None
        for kind, number in missing:
            self.index.remove(f"{kind}:{number}")

    def _neighbours(self, doc_id: str) -> set[int]:
        """Articles whose list ``doc_id`` may enter (or leave)."""
        assert self.index is not None
        if doc_id not in self.index:
            return set()
        matches = self.index.related(doc_id, limit=self.keep, kinds={"article"})
        return {n for n in (_article_number(m.id) for m in matches) if n is not None}

    def _drop(self, doc_id: str) -> set[int]:
        """Take ``doc_id`` out of the index; returns the articles whose lists it may leave."""
        assert self.index is not None
        affected = self._neighbours(doc_id)
        self.index.remove(doc_id)
        return affected

    def _changed_stories(self) -> set[int]:
        """Stories written since the last look (by any process's fetch)."""
        assert self._stories_since is not None
        with self.store.connect() as connection:
            rows = related_store.stories_changed_since(connection, self._stories_since)
        fresh = {i for i, _ in rows if i not in self._stories_at_mark}
        if rows:
            newest = max(moment for _, moment in rows)
            if newest > self._stories_since:
                self._stories_since, self._stories_at_mark = newest, set()
            self._stories_at_mark |= {i for i, moment in rows if moment == newest}
        return fresh

    def refresh(self, stories: Iterable[int] = ()) -> int:
        """Fold in marked articles and new or changed stories; returns how many lists were
        recomputed. The first call loads the index (or rebuilds it all on an empty table)."""
        with self._lock:
            if self._signatures is None:
                self._signatures = self._read_signatures()
            if self.index is None:
                with self.store.connect() as connection:
                    empty = not related_store.has_lists(connection)
                if empty:
                    return self._rebuild(lambda _message: None).lists
                self._load()
            return self._refresh(set(stories))

    def _refresh(self, story_ids: set[int]) -> int:
        index = self.index
        assert index is not None
        assert self._signatures is not None
        before = self._signatures
        with self.store.connect() as connection:
            seen = related_store.dirty(connection, DIRTY_BATCH)
            present = {a.id: a for a in article_store.get_many(connection, seen)}
        story_ids |= self._changed_stories()
        found_stories, sources = [], {}
        if story_ids:
            with self.store.connect() as connection:
                found_stories = story_store.get_many(connection, story_ids)
                sources = {s.id: s for s in source_store.get_many(
                    connection, sorted({s.source_id for s in found_stories})
                )}  # fmt: skip
        affected: set[int] = set()
        gone: set[int] = set()
        docs: list[Document] = []
        for article_id in seen:
            article = present.get(article_id)
            if article is not None and self._indexed(article):
                docs.append(article_document(article, self.site_name))
                affected.add(article_id)
            else:
                affected |= self._drop(f"article:{article_id}")
                gone.add(article_id)
        found_ids = {s.id for s in found_stories}
        for story_id in story_ids - found_ids:  # pruned or removed with its source
            affected |= self._drop(f"story:{story_id}")
        for story in found_stories:
            if story.duplicate_of is None and story.source_id in sources:
                docs.append(story_document(story, sources[story.source_id]))
            else:
                affected |= self._drop(f"story:{story.id}")
        index.add_many(self._embed(docs, lambda _message: None))
        for doc in docs:
            affected |= self._neighbours(doc.id)
        affected -= gone
        lists = self._compute(index, affected)
        if seen or lists or gone:
            self._write_lists(lists, cleared=gone, seen=seen)
        self._bump_changed(before)
        if lists or gone:
            log.info(
                "related: %d list(s) recomputed (%d article(s) marked, %d stories)",
                len(lists), len(seen), len(found_stories),
            )  # fmt: skip
        return len(lists)
