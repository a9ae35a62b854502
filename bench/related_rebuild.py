"""End-to-end cost of ``syndicate related rebuild``: the store read, the index built, every list
written, at scale.

    .venv/bin/python bench/related_rebuild.py                    # 100,000 stories, 10,000 articles
    .venv/bin/python bench/related_rebuild.py --quick            # 20,000 stories, 2,000 articles
    .venv/bin/python bench/related_rebuild.py --stories 50000 --articles 5000 --embeddings off

Target: a full rebuild within 60 s (issue 5); the script exits 1 when it is missed.

A temporary SQLite store is loaded with N partner stories (``--stories``, default 100,000) from
40 partner sources, published over the 80 days before a fixed "now", and M published articles
(``--articles``, default 10,000) over the two years before it. The stories are the synthetic ones
of ``bench/related_cost.py`` (partner-feed shaped: a title and a summary, no full content); the
articles are written the same way on the same story threads, each its own text: a title and
4-8 paragraphs, about 350 words, like the demo articles.

Then ``RelatedService.rebuild()`` runs as the CLI runs it (categories of
``feeds/categories.toml``, the settings' defaults), and its wall time is split into phases by
the service's progress messages and by timing its steps.

With title embeddings in use (``--embeddings``, same meaning as the setting; ``auto`` uses the
``embeddings`` extra when installed), the ``related_embeddings`` cache is pre-filled with a random
unit vector per story and article (the right digest, so each is a cache hit), as after the
first rebuild: the rebuild reads, attaches and prunes 110,000 cached vectors but embeds no title
(checked). Embedding every title cold (about 8 ms a title, some 15 minutes for 110,000) is what
``bench/related_cost.py`` measures.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import related_cost  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from syndicate.categories import load_categories  # noqa: E402
from syndicate.related import Document  # noqa: E402
from syndicate.related.semantic import (  # noqa: E402
    Embedder,
    Floats,
    digest,
    embedding_text,
    load_embedder,
)
from syndicate.related_service import RelatedService  # noqa: E402
from syndicate.store import Store, embeddings  # noqa: E402
from syndicate.store import sources as source_store  # noqa: E402
from syndicate.store.schema import article_categories, articles, stories  # noqa: E402
from syndicate.types import Status  # noqa: E402

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CATEGORIES_FILE = ROOT / "feeds" / "categories.toml"
SOURCES = 40
STORY_DAYS = 80
ARTICLE_DAYS = 730
CHUNK = 5000
TARGET_SECONDS = 60
EMBEDDING_DIMS = 384


class CountingEmbedder:
    """The real embedder, counting the titles it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.titles = 0

    @property
    def model(self) -> str:
        return self.inner.model

    @property
    def dimensions(self) -> int:
        return self.inner.dimensions

    def embed(self, texts: Sequence[str]) -> Floats:
        self.titles += len(texts)
        return self.inner.embed(texts)


def sha(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def create_sources(store: Store, categories: Sequence[str]) -> list[int]:
    """``SOURCES`` partner sources, their categories round robin."""
    with store.begin() as connection:
        return [
            source_store.create(
                connection,
                url=f"https://partner-{k}.example/feed.xml",
                name=f"Partenaire {k}",
                category=categories[k % len(categories)],
                interval=900,
                origin="admin",
                now=NOW - timedelta(days=365),
                site_url=f"https://partner-{k}.example/",
            ).id
            for k in range(SOURCES)
        ]


def story_rows(docs: list[Document], source_ids: list[int]) -> list[dict[str, Any]]:
    """The stories table's rows, ids 1..N, published over the ``STORY_DAYS`` before ``NOW``."""
    span = STORY_DAYS * 86400
    rows = []
    count = len(docs)
    for i, doc in enumerate(docs):
        number = i + 1
        published = NOW - timedelta(seconds=span * (count - i) / count)
        seen = min(published + timedelta(minutes=3 + i % 12), NOW)
        source_id = source_ids[i % len(source_ids)]
        url = f"https://partner-{source_id}.example/articles/{number}"
        summary_html = f"<p>{doc.text}</p>"
        rows.append(
            {
                "id": number,
                "source_id": source_id,
                "dedup_key": sha(url),
                "guid": url,
                "url": url,
                "link_key": sha(url.removeprefix("https://")),
                "title": doc.title,
                "summary_html": summary_html,
                "content_html": "",  # summary-only feed, as most partners publish
                "author": None,
                "language": "fr",
                "published_at": published,
                "updated_at": published,
                "first_seen_at": seen,
                "modified_at": seen,
                "rights": None,
                "content_hash": sha(doc.title, url, summary_html),
                "update_count": 0,
                "update_window_at": seen,
                "duplicate_of": None,
            }
        )
    return rows


def article_rows(count: int, story_count: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Published articles, ids 1..M, over the ``ARTICLE_DAYS`` before ``NOW``, on the stories'
    threads (``related_cost.synthetic_articles``); and their ``article_categories`` rows."""
    span = ARTICLE_DAYS * 86400
    rows, category_rows = [], []
    written = related_cost.synthetic_articles(count, story_count)
    for i, (title, paragraphs, category) in enumerate(written):
        number = i + 1
        published = NOW - timedelta(seconds=span * (count - i) / count)
        rows.append(
            {
                "id": number,
                "slug": f"article-{number}",
                "title": title,
                "summary": paragraphs[0].split(". ")[0] + ".",
                "content_html": "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs),
                "author_name": None,
                "author_email": None,
                "categories": [category],
                "tags": [],
                "language": "fr",
                "status": Status.PUBLISHED.value,
                "published_at": published,
                "updated_at": published,
                "modified_at": published,
            }
        )
        category_rows.append(
            {
                "article_id": number,
                "category": category,
                "position": 0,
                "status": Status.PUBLISHED.value,
                "published_at": published,
            }
        )
    return rows, category_rows


def bulk_insert(store: Store, table: Any, rows: list[dict[str, Any]]) -> None:
    with store.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            connection.execute(insert(table), rows[start : start + CHUNK])


def prefill_embeddings(store: Store, model: str, titles: dict[str, str]) -> tuple[int, float]:
    """A random unit vector per document id, with the digest a rebuild computes for its title,
    so that each is a cache hit. Returns the rows written and the seconds it took."""
    started = time.perf_counter()
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((len(titles), EMBEDDING_DIMS), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = {}
    for (doc_id, title), vector in zip(titles.items(), vectors, strict=True):
        kind = "article" if doc_id.startswith("article:") else "story"
        text = embedding_text(Document(id=doc_id, kind=kind, title=title))
        rows[doc_id] = embeddings.Cached(digest(model, text), vector)
    with store.begin() as connection:
        embeddings.write(connection, model, rows, NOW)
    return len(rows), time.perf_counter() - started


class Timeline:
    """Wall-clock moments of the rebuild: its progress messages and the service's steps."""

    def __init__(self) -> None:
        self.started = 0.0
        self.messages: list[tuple[float, str]] = []
        self.steps: dict[str, tuple[float, float]] = {}

    def progress(self, message: str) -> None:
        self.messages.append((time.perf_counter() - self.started, message))

    def wrap(self, service: RelatedService, name: str) -> None:
        """Time the service's step ``name`` (a method; skipped when it no longer exists)."""
        method = getattr(service, name, None)
        if method is None:
            return

        @functools.wraps(method)
        def timed(*args: Any, **kwargs: Any) -> Any:
            begun = time.perf_counter() - self.started
            try:
                return method(*args, **kwargs)
            finally:
                self.steps[name] = (begun, time.perf_counter() - self.started)

        setattr(service, name, timed)

    def step(self, name: str) -> tuple[float, float] | None:
        return self.steps.get(name)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="20,000 stories, 2,000 articles")
    parser.add_argument(
        "--embeddings",
        choices=["auto", "on", "off"],
        default="auto",
        help="title embeddings, as the setting (auto: when the extra is installed)",
    )
    args = parser.parse_args()
    if args.quick:
        args.stories, args.articles = 20_000, 2_000
    print(f"load average before: {load_average()}")

    inner = load_embedder(args.embeddings)
    embedder = CountingEmbedder(inner) if inner is not None else None
    categories = load_categories(CATEGORIES_FILE)

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/rebuild.sqlite3")
        store.upgrade()
        started = time.perf_counter()
        docs = related_cost.synthetic_stories(args.stories)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        source_ids = create_sources(store, list(categories))
        rows = story_rows(docs, source_ids)
        bulk_insert(store, stories, rows)
        titles = {f"story:{row['id']}": row["title"] for row in rows}
        del docs, rows
        rows, category_rows = article_rows(args.articles, args.stories)
        bulk_insert(store, articles, rows)
        bulk_insert(store, article_categories, category_rows)
        titles |= {f"article:{row['id']}": row["title"] for row in rows}
        del rows, category_rows
        loaded = time.perf_counter() - started
        database_mib = sum(f.stat().st_size for f in Path(tmp).iterdir()) / 2**20
        print(
            f"store: {args.stories:,} stories from {SOURCES} sources and {args.articles:,} "
            f"published articles; stories generated in {generated:.1f} s, loaded into SQLite "
            f"in {loaded:.1f} s ({database_mib:.0f} MiB)"
        )
        if embedder is not None:
            written, seconds = prefill_embeddings(store, embedder.model, titles)
            print(
                f"title embeddings ({embedder.model}): cache pre-filled with {written:,} random "
                f"unit vectors in {seconds:.1f} s, as after a first rebuild (embedding every "
                "title cold: see bench/related_cost.py)"
            )
        else:
            print("title embeddings: off (words only)")
        del titles

        service = RelatedService(
            store,
            categories,
            lambda: NOW,
            base_url="https://news.example",
            site_name="Syndicate",
            limit=5,
            feed_size=50,
            retention_days=90,
            embeddings=args.embeddings,
            embedder=embedder,
        )
        timeline = Timeline()
        for name in ("_documents", "_embed", "_compute"):
            timeline.wrap(service, name)
        rss_before = related_cost.rss_mib()
        print(f"load average at the rebuild: {load_average()}")
        timeline.started = time.perf_counter()
        cpu = time.process_time()
        report = service.rebuild(progress=timeline.progress)
        total = time.perf_counter() - timeline.started
        total_cpu = time.process_time() - cpu
        rss_after = related_cost.rss_mib()
        store.dispose()

    print(f"\nrebuild: {total:.1f} s ({total_cpu:.1f} s CPU)")
    print(report.summary())
    print("progress messages (seconds from the start):")
    for moment, message in timeline.messages:
        print(f"  {moment:6.1f} s  {message}")
    phases: list[tuple[str, float]] = []
    indexing = next((m for m, text in timeline.messages if text.startswith("indexing")), None)
    relating = next((m for m, text in timeline.messages if text.startswith("relating")), None)
    documents = timeline.step("_documents")
    embed = timeline.step("_embed")
    compute = timeline.step("_compute")
    if indexing is not None and relating is not None:
        phases.append(("before: dirty marks and feed signatures read", indexing))
        load_parts = []
        if documents is not None:
            load_parts.append(("read articles and stories from the store", documents))
        if embed is not None and embedder is not None:
            load_parts.append(("cached title embeddings read, attached, pruned", embed))
        if load_parts:
            phases += [(f"  {label}", end - begun) for label, (begun, end) in load_parts]
            phases.append(("  index built (RelatedIndex.rebuild)", relating - load_parts[-1][1][1]))
        phases.append(("loading and indexing, in all", relating - indexing))
        end_of_relating = compute[1] if compute is not None else total
        phases.append((f"relating {report.lists:,} articles", end_of_relating - relating))
        if compute is not None:
            phases.append(("writing lists, bumping feeds", total - end_of_relating))
    print("phases:")
    for label, seconds in phases:
        print(f"  {label:<50} {seconds:6.1f} s")
    relate_seconds = (compute[1] - relating) if compute and relating is not None else None
    if relate_seconds is not None and report.articles:
        print(f"relate time per article: {relate_seconds * 1000 / report.articles:.2f} ms")
    print(f"lists written: {report.lists:,} ({report.items:,} items)")
    print(
        f"memory: RSS {rss_before:.0f} MiB before the rebuild, {rss_after:.0f} MiB after; "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
        "(the whole run, stories generated in Python included)"
    )
    if embedder is not None:
        print(f"titles embedded during the rebuild: {embedder.titles} (expected 0)")
    print(f"load average after: {load_average()}")

    missed = []
    if total > TARGET_SECONDS:
        missed.append(f"rebuild {total:.1f} s > {TARGET_SECONDS} s")
    if embedder is not None and embedder.titles:
        missed.append(f"{embedder.titles} titles embedded despite the pre-filled cache")
    verdict = "met" if not missed else "missed: " + "; ".join(missed)
    print(
        f"\nrebuild {total:.1f} s | target: full rebuild ≤ {TARGET_SECONDS} s (issue 5): {verdict}"
    )
    if missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
