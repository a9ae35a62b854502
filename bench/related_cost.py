"""Cost of related stories at scale: rebuild over N partner stories, then relate new articles.

    .venv/bin/python bench/related_cost.py            # 100,000 stories (about a minute)
    .venv/bin/python bench/related_cost.py --stories 20000
    .venv/bin/python bench/related_cost.py --quick     # 20,000 stories

Targets (100,000 stories): a full rebuild within 60 s, relating one new article within 50 ms
(p95); the script exits 1 when one is missed.

The stories are synthetic but shaped like partner feeds: a title of 6-14 words and a summary of
25-70 words, French words drawn (Zipf) from the demo articles shipped in the package, plus
thousands of story threads, each with its own names (capitalised) and theme words, so that
postings lists and neighbour lists look like those of a real news index. The articles to relate
are the demo articles (full HTML bodies, 300-900 words), published after the stories.

With the ``embeddings`` extra installed (``--embeddings off`` skips it), the run is done as the
scheduler runs it: every story carries a title embedding, read back from the store's cache
(``store/embeddings.py``, a SQLite file here) as a rebuild does, and each new article's title is
embedded by the real model before it is related. The stories' vectors are random unit vectors
(scoring costs the same whatever their values); embedding 100,000 titles cold (a first rebuild
after installing the extra) is timed on a sample of real titles and extrapolated.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from syndicate.related.documents import Document, html_to_text  # noqa: E402
from syndicate.related.french import tokens  # noqa: E402
from syndicate.related.index import RelatedIndex  # noqa: E402
from syndicate.related.semantic import Embedder, attach, digest, load_embedder  # noqa: E402
from syndicate.store import Store, embeddings  # noqa: E402

DEMO = ROOT / "syndicate" / "demo" / "articles.jsonl"
START = datetime(2026, 1, 1, tzinfo=UTC)
SYLLABLE_LIST = "ba be bi bo bou da di dou fa ka ke ki ko kou la li lo ma mi mo na ni no nou sa"
SYLLABLES = (SYLLABLE_LIST + " se si so ta ti to tou wa ya yo za").split()
CATEGORIES = ("politique", "securite", "economie", "societe", "sport", "culture")


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def demo_articles() -> list[dict[str, object]]:
    with DEMO.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def vocabulary(articles: list[dict[str, object]]) -> tuple[list[str], list[float]]:
    counts: Counter[str] = Counter()
    for article in articles:
        text = (
            f"{article['title']} {article['summary']} {html_to_text(str(article['content_html']))}"
        )
        counts.update(t.surface.lower() for t in tokens(text) if t.surface.isalpha())
    words = [word for word, _ in counts.most_common()]
    return words, list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(words))))


def name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


Thread = tuple[list[str], list[str], str]
"""A story thread: its names, its theme words, its category."""


def threads_and_words(
    count: int, seed: int
) -> tuple[random.Random, list[Thread], list[str], list[float]]:
    """The story threads of ``count`` stories (one per 25), and the Zipf vocabulary."""
    rng = random.Random(seed)
    words, cumulative = vocabulary(demo_articles())
    threads = []
    for _ in range(max(1, count // 25)):
        names = [name(rng) for _ in range(rng.randint(2, 5))]
        theme = rng.sample(words[50:3000], 6)
        threads.append((names, theme, rng.choice(CATEGORIES)))
    return rng, threads, words, cumulative


def sentence(
    rng: random.Random, words: list[str], cumulative: list[float], thread: Thread, length: int
) -> str:
    """Zipf-drawn words, three of them the thread's names or theme words."""
    names, theme, _ = thread
    picked = rng.choices(words, cum_weights=cumulative, k=length)
    for position in rng.sample(range(length), min(length, 3)):
        picked[position] = rng.choice(names + theme)
    return " ".join(picked)


def synthetic_stories(count: int, seed: int = 7) -> list[Document]:
    rng, threads, words, cumulative = threads_and_words(count, seed)
    stories = []
    for i in range(count):
        thread = rng.choice(threads)
        title = sentence(rng, words, cumulative, thread, rng.randint(6, 14)).capitalize()
        summary = ". ".join(
            sentence(rng, words, cumulative, thread, rng.randint(10, 20))
            for _ in range(rng.randint(2, 4))
        )
        stories.append(
            Document(
                id=f"story:{i}",
                kind="story",
                title=title,
                text=summary.capitalize() + ".",
                categories=frozenset({thread[2]}),
                published_at=START + timedelta(minutes=5 * i),
                source=f"partner-{i % 40}",
            )
        )
    return stories


def synthetic_articles(
    count: int, story_count: int, seed: int = 7
) -> list[tuple[str, list[str], str]]:
    """Our articles on the threads of ``synthetic_stories(story_count, seed)``: a title and
    4-8 paragraphs (about 350 words), each article its own text. Returns (title, paragraphs,
    category)."""
    _, threads, words, cumulative = threads_and_words(story_count, seed)
    rng = random.Random(seed + 1)
    articles = []
    for _ in range(count):
        thread = rng.choice(threads)
        title = sentence(rng, words, cumulative, thread, rng.randint(8, 14)).capitalize()
        paragraphs = [
            ". ".join(
                sentence(rng, words, cumulative, thread, rng.randint(10, 20))
                for _ in range(rng.randint(3, 5))
            ).capitalize()
            + "."
            for _ in range(rng.randint(4, 8))
        ]
        articles.append((title, paragraphs, thread[2]))
    return articles


def cached_embeddings(
    stories: list[Document], embedder: Embedder, folder: str
) -> tuple[list[Document], float, float, float]:
    """Cache a random unit vector per story in a SQLite store, then read them back and attach
    them as a rebuild does. Returns the documents, seconds to write, to read, to attach."""
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((len(stories), 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = {
        s.id: embeddings.Cached(digest(embedder.model, " ".join(s.title.split())), vectors[i])
        for i, s in enumerate(stories)
    }
    store = Store(f"sqlite:///{folder}/cache.sqlite3")
    store.upgrade()
    started = time.perf_counter()
    with store.begin() as connection:
        embeddings.write(connection, embedder.model, rows, START)
    written = time.perf_counter() - started
    started = time.perf_counter()
    with store.connect() as connection:
        cached = embeddings.read(connection, embedder.model)
    read = time.perf_counter() - started
    store.dispose()
    started = time.perf_counter()
    docs, fresh = attach(stories, embedder, cached)
    assert not fresh, "every story's vector should come from the cache"
    return docs, written, read, time.perf_counter() - started


def cold_embedding_ms(stories: list[Document], embedder: Embedder, sample: int = 200) -> float:
    """Milliseconds per title when embedding a sample of story titles for the first time."""
    titles = [s.title for s in stories[:sample]]
    started = time.perf_counter()
    embedder.embed(titles)
    return (time.perf_counter() - started) * 1000 / max(len(titles), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="20,000 stories")
    parser.add_argument(
        "--embeddings",
        choices=["auto", "on", "off"],
        default="auto",
        help="title embeddings as the scheduler uses them (auto: when the extra is installed)",
    )
    args = parser.parse_args()
    if args.quick:
        args.stories = 20_000
    embedder = load_embedder(args.embeddings)

    before = rss_mib()
    started = time.perf_counter()
    stories = synthetic_stories(args.stories)
    generated = time.perf_counter() - started
    corpus_mib = rss_mib() - before
    words = statistics.mean(len(f"{s.title} {s.text}".split()) for s in stories)

    index = RelatedIndex()
    before_index = rss_mib()
    started, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as folder:
        if embedder is not None:
            cold_ms = cold_embedding_ms(stories, embedder)
            started, cpu = time.perf_counter(), time.process_time()
            stories, cache_write, cache_read, attached = cached_embeddings(
                stories, embedder, folder
            )
            rebuild_from = time.perf_counter()
            stories_ready = cache_read + attached
        index.rebuild(stories)
    if embedder is not None:
        rebuild = stories_ready + time.perf_counter() - rebuild_from
        rebuild_cpu = time.process_time() - cpu
    else:
        rebuild, rebuild_cpu = time.perf_counter() - started, time.process_time() - cpu
    index_mib = rss_mib() - before_index

    later = START + timedelta(minutes=5 * args.stories + 60)
    articles = [
        Document(
            id=f"article:{i}",
            kind="article",
            title=str(a["title"]),
            text=f"{a['summary']}\n{html_to_text(str(a['content_html']))}",
            categories=frozenset(a.get("categories", ()) or ()),  # type: ignore[call-overload]
            published_at=later,
        )
        for i, a in enumerate(demo_articles()[: args.articles])
    ]
    article_words = statistics.mean(len(f"{a.title} {a.text}".split()) for a in articles)

    def embedded(article: Document) -> Document:
        return attach([article], embedder, {})[0][0] if embedder is not None else article

    relate, publish = [], []
    for article in articles:
        started = time.perf_counter()
        index.related(embedded(article), limit=5)
        relate.append((time.perf_counter() - started) * 1000)
    for article in articles:
        started = time.perf_counter()
        index.add(embedded(article))
        index.related(article.id, limit=5)
        publish.append((time.perf_counter() - started) * 1000)

    def p95(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    def describe(values: list[float]) -> str:
        median = statistics.median(values)
        return f"median {median:.1f} ms, p95 {p95(values):.1f} ms, max {max(values):.1f} ms"

    print(
        f"stories: {len(stories):,} (mean {words:.0f} words; generated in {generated:.1f} s, "
        f"{corpus_mib:.0f} MiB as Python objects)"
    )
    if embedder is not None:
        print(
            f"title embeddings ({embedder.model}): cold {cold_ms:.1f} ms per title, so about "
            f"{cold_ms * len(stories) / 60_000:.0f} min for {len(stories):,} stories the first "
            f"time; cache of {len(stories):,} written in {cache_write:.1f} s, read back in "
            f"{cache_read:.1f} s, attached in {attached:.1f} s"
        )
    with_what = "with cached title embeddings" if embedder is not None else "words only"
    print(
        f"full rebuild ({with_what}): {rebuild:.1f} s ({rebuild_cpu:.1f} s CPU); index arrays "
        f"{index.nbytes / 2**20:.0f} MiB, RSS growth {index_mib:.0f} MiB"
    )
    embedding_note = ", its title embedded first" if embedder is not None else ""
    print(
        f"relate one new article ({len(articles)} articles, mean {article_words:.0f} words"
        f"{embedding_note}), not yet indexed: {describe(relate)}"
    )
    print(f"publish one article (add to the index, then relate it): {describe(publish)}")
    print(f"peak RSS of the whole run: {peak_mib():.0f} MiB")
    scale = args.stories / 100_000
    missed = []
    if rebuild > 60 * scale:
        missed.append(f"rebuild {rebuild:.1f} s > {60 * scale:.0f} s")
    if p95(relate) > 50 or p95(publish) > 50:
        missed.append("relating one article > 50 ms (p95)")
    print("targets: " + ("; ".join(missed) if missed else "met"))
    if missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
