"""Quality of "More Stories" on RPM2: 400 French news articles in 20 story threads.

    .venv/bin/python bench/related_quality.py          # about half a minute
    SYNDICATE_RPM2_DIR=/path/to/rpm2 .venv/bin/python bench/related_quality.py

The corpus is read from ``../shared/data/rpm2`` beside the repository (never copied into it).
Each of three settings imports all 400 documents through the product's own path, as a partner's
JSON Feed would bring them (the aggregator's parser on the bytes, its sanitiser and its update
step into a fresh SQLite store), then reads the stored stories back and indexes them with the
product's related-stories index (``syndicate.related``): the full text, the title and the first
30 words, the title alone. Then, for every document, it asks the index for the related items
(the document itself is never a candidate: leave-one-out) and scores the list:

- P@5: share of the first 5 in the same thread (missing places count as wrong);
- nDCG@10, graded: 2 for the same sub-event (``C1``/``C2``), 1 for the same thread;
- duplicates in the top 5: items that repeat the query or an item above them (word 3-shingles of
  title + lead with exact Jaccard >= 0.5, on the full text).

With the ``embeddings`` extra installed (``make`` installs it), the product's ranking is measured
twice: on words alone (the default install) and with the titles' sentence embeddings
(``syndicate.related.semantic``), as the scheduler runs it. ``--embeddings off`` skips the second.

The baseline, computed in the same run, is plain stemmed TF-IDF (scikit-learn, sublinear tf,
cosine) over the same words, with no title weight, no names, no expansion, no threshold.

Two checks follow: the same corpus with 40 stories republished by a second partner (the
duplicates must not show), and the 47 demo articles of the package (West African news of 2026)
asked against the 2008 corpus, where few or no items should be shown.

Targets (issue 5): P@5 at least 0.97 on full text, 0.92 on title + 30 words, 0.80 on titles
alone; no duplicate in the top 5, checked on the best ranking installed. The script exits 1 when
one is missed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syndicate.aggregate.entries import prepare  # noqa: E402
from syndicate.aggregate.parser import parse  # noqa: E402
from syndicate.aggregate.update import apply  # noqa: E402
from syndicate.related import Document, RelatedIndex, story_document  # noqa: E402
from syndicate.related.documents import html_to_text  # noqa: E402
from syndicate.related.french import lead, plain_terms, shingles  # noqa: E402
from syndicate.related.semantic import Embedder, Floats, attach, load_embedder  # noqa: E402
from syndicate.store import Store, sources  # noqa: E402
from syndicate.store import stories as story_store  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "data" / "rpm2"
NAME = re.compile(r"T(\d\d)_C(\d)_(\d\d)")
PUBLISHED = datetime(2008, 10, 1, tzinfo=UTC)
TARGETS = {"full": 0.97, "title30": 0.92, "title": 0.80}
SETTINGS = {
    "full": "full text",
    "title30": "title + first 30 words",
    "title": "title alone",
}


@dataclass(frozen=True)
class Item:
    id: str
    thread: int
    event: int
    title: str
    body: str


def load(directory: Path) -> list[Item]:
    """The RPM2 documents: UTF-8 with BOM, CRLF line ends, first line the title."""
    files = sorted((directory / "documents").glob("T*_C*_*.txt"))
    if not files:
        sys.exit(f"no RPM2 documents under {directory}/documents (set SYNDICATE_RPM2_DIR)")
    items = []
    for path in files:
        match = NAME.match(path.stem)
        if match is None:
            continue
        text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\ufeff", "")
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        items.append(Item(path.stem, int(match[1]), int(match[2]), lines[0], "\n".join(lines[1:])))
    return items


def view(item: Item, setting: str) -> tuple[str, str]:
    if setting == "full":
        return item.title, item.body
    if setting == "title30":
        return item.title, lead(item.body, 30)
    return item.title, ""


def document(doc_id: str, title: str, text: str) -> Document:
    return Document(
        id=doc_id, kind="story", title=title, text=text, published_at=PUBLISHED, source="rpm2"
    )


Piece = tuple[str, str, str]
"""A story as a partner gives it: id, title, text."""


def json_feed(pieces: Sequence[Piece], home: str) -> bytes:
    """A partner's JSON Feed 1.1 with one item per ``(id, title, text)``."""
    items = [
        {
            "id": doc_id,
            "url": f"{home}/{doc_id}",
            "title": title,
            "content_text": "\n\n".join(text.split("\n")),
            "date_published": PUBLISHED.isoformat(),
        }
        for doc_id, title, text in pieces
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": home, "items": items}
    return json.dumps(feed, ensure_ascii=False).encode("utf-8")


def through_store(feeds: Sequence[Sequence[Piece]]) -> list[Document]:
    """Each feed fetched from its own partner into a fresh store; the stories read back."""
    now = PUBLISHED + timedelta(days=1)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/rpm2.sqlite3")
        store.upgrade()
        partners = []
        with store.begin() as connection:
            for number, pieces in enumerate(feeds, start=1):
                home = f"https://partenaire-{number}.example"
                source = sources.create(
                    connection,
                    url=f"{home}/feed.json",
                    name=f"Partenaire {number}",
                    category="societe",
                    interval=3600,
                    origin="cli",
                    now=now,
                )
                body = json_feed(pieces, home)
                parsed = parse(body, source.url, content_type="application/feed+json")
                entries = prepare(parsed, source.url)
                apply(connection, source.id, entries, now, update_cap=3, oldest=PUBLISHED)
                partners.append(source)
        with store.connect() as connection:
            stored = story_store.recent(connection, limit=100_000, include_duplicates=True)
        store.dispose()
    by_id = {source.id: source for source in partners}
    return [
        replace(story_document(story, by_id[story.source_id]), id=story.guid) for story in stored
    ]


def duplicate_pairs(texts: dict[str, str]) -> set[frozenset[str]]:
    """Pairs whose title + lead share at least half of their word 3-shingles (exact Jaccard)."""
    sets = {key: shingles(value) for key, value in texts.items()}
    keys = sorted(sets)
    pairs = set()
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            union = len(sets[a] | sets[b])
            if union and len(sets[a] & sets[b]) / union >= 0.5:
                pairs.add(frozenset((a, b)))
    return pairs


@dataclass
class Scores:
    p5: float
    precision_shown: float
    ndcg10: float
    duplicates: float
    shown: float
    short: int


def score(
    items: Sequence[Item],
    ranked: dict[str, list[str]],
    duplicates: set[frozenset[str]],
    threads: dict[str, tuple[int, int]] | None = None,
) -> Scores:
    known = threads or {item.id: (item.thread, item.event) for item in items}
    p5, ndcg, dup, shown, right = [], [], 0, 0, 0

    def gain(query: str, other: str) -> int:
        if known[other][0] != known[query][0]:
            return 0
        return 2 if known[other][1] == known[query][1] else 1

    for item in items:
        found = ranked[item.id][:10]
        gains = [gain(item.id, other) for other in found]
        p5.append(sum(g > 0 for g in gains[:5]) / 5)
        right += sum(g > 0 for g in gains[:5])
        ideal = sorted((gain(item.id, o.id) for o in items if o.id != item.id), reverse=True)
        dcg = sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(gains))
        idcg = sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(ideal[:10]))
        ndcg.append(dcg / idcg if idcg else 0.0)
        top = found[:5]
        shown += len(top)
        for position, other in enumerate(top):
            earlier = [item.id, *top[:position]]
            if any(frozenset((other, e)) in duplicates for e in earlier):
                dup += 1
    return Scores(
        p5=statistics.mean(p5),
        precision_shown=right / max(shown, 1),
        ndcg10=statistics.mean(ndcg),
        duplicates=dup / max(shown, 1),
        shown=shown / len(items),
        short=sum(len(ranked[item.id]) < 5 for item in items),
    )


def product_ranking(docs: Sequence[Document]) -> tuple[dict[str, list[str]], float, float]:
    index = RelatedIndex()
    started = time.perf_counter()
    index.rebuild(docs)
    built = time.perf_counter() - started
    ranked = {}
    started = time.perf_counter()
    for doc in docs:
        ranked[doc.id] = [m.id for m in index.related(doc.id, limit=10)]
    per_query = (time.perf_counter() - started) / max(len(docs), 1) * 1000
    return ranked, built, per_query


def baseline_ranking(docs: Sequence[Document]) -> dict[str, list[str]]:
    vectorizer = TfidfVectorizer(analyzer=plain_terms, sublinear_tf=True)
    matrix = vectorizer.fit_transform([f"{d.title}\n{d.text}" for d in docs])
    similarity = (matrix @ matrix.T).toarray()
    np.fill_diagonal(similarity, -np.inf)
    ranked = {}
    for i, doc in enumerate(docs):
        order = np.argsort(-similarity[i], kind="stable")[:10]
        ranked[doc.id] = [docs[j].id for j in order]
    return ranked


def republished(items: Sequence[Item], setting: str) -> tuple[list[Piece], dict[str, str]]:
    """Every 10th story again from a second partner: typographic quotes, a credit line."""
    pieces, originals = [], {}
    for item in items[::10]:
        title, text = view(item, setting)
        copy_id = f"{item.id}-copy"
        credited = f"{text.replace(chr(39), '’')}\n(Repris d'un partenaire.)" if text else ""
        pieces.append((copy_id, title.replace("'", "’"), credited))
        originals[copy_id] = item.id
    return pieces, originals


def off_corpus(demo: Sequence[dict[str, object]], setting: str) -> list[Document]:
    """The package's demo articles (West Africa, 2026), cut like the corpus, as queries."""
    docs = []
    for i, article in enumerate(demo):
        body = f"{article['summary']}\n{html_to_text(str(article['content_html']))}"
        title, text = view(Item("demo", 0, 0, str(article["title"]), body), setting)
        docs.append(document(f"demo:{i}", title, text))
    return docs


class Embeddings:
    """Attaches title embeddings, computing each distinct title once per run."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.by_title: dict[str, tuple[str, Floats]] = {}
        self.seconds = 0.0
        self.computed = 0

    def __call__(self, docs: Sequence[Document]) -> list[Document]:
        cached = {d.id: self.by_title[d.title] for d in docs if d.title in self.by_title}
        started = time.perf_counter()
        with_vectors, fresh = attach(docs, self.embedder, cached)
        self.seconds += time.perf_counter() - started
        self.computed += len(fresh)
        titles = {d.id: d.title for d in docs}
        self.by_title.update({titles[doc_id]: row for doc_id, row in fresh.items()})
        return with_vectors


def ratio(value: float, base: float) -> str:
    return f"{value / base:.3f}" if base else "-"


@dataclass
class Measured:
    ours: Scores
    stress: Scores
    off: float
    built: float
    per_query: float


def measure(
    items: Sequence[Item],
    docs: Sequence[Document],
    stress: tuple[
        Sequence[Item], Sequence[Document], set[frozenset[str]], dict[str, tuple[int, int]]
    ],
    off_docs: Sequence[Document],
    duplicates: set[frozenset[str]],
) -> Measured:
    ranked, built, per_query = product_ranking(docs)
    stress_items, stress_docs, stress_pairs, threads = stress
    stress_ranked, _, _ = product_ranking(stress_docs)
    index = RelatedIndex()
    index.rebuild(docs)
    off = [len(index.related(d, limit=5)) for d in off_docs]
    return Measured(
        ours=score(items, ranked, duplicates),
        stress=score(stress_items, stress_ranked, stress_pairs, threads),
        off=statistics.mean(off),
        built=built,
        per_query=per_query,
    )


def run(
    directory: Path,
    settings: Sequence[str],
    out: Callable[[str], None],
    *,
    direct: bool = False,
    embedder: Embedder | None = None,
) -> dict[str, object]:
    items = load(directory)
    full_leads = {item.id: f"{item.title}\n{lead(item.body, 40)}" for item in items}
    duplicates = duplicate_pairs(full_leads)
    demo = [
        json.loads(line)
        for line in (ROOT / "syndicate" / "demo" / "articles.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    results: dict[str, object] = {}
    embed = Embeddings(embedder) if embedder is not None else None
    path = (
        "directly" if direct else "through a partner JSON Feed, the aggregator and a SQLite store"
    )
    out(
        f"RPM2: {len(items)} documents, {len({i.thread for i in items})} threads, imported {path}; "
    )
    out(f"pairs of near-duplicates in the corpus (Jaccard >= 0.5): {len(duplicates)}\n")
    for setting in settings:
        pieces = [(item.id, *view(item, setting)) for item in items]
        copies, originals = republished(items, setting)
        if direct:
            docs = [document(*piece) for piece in pieces]
            stress_docs = docs + [document(*piece) for piece in copies]
        else:
            docs = through_store([pieces])
            stress_docs = through_store([pieces, copies])
        base = score(items, baseline_ranking(docs), duplicates)
        threads = {item.id: (item.thread, item.event) for item in items}
        threads.update({c: threads[o] for c, o in originals.items()})
        stress_pairs = duplicates | {frozenset(p) for p in originals.items()}
        stress_items = [*items, *(Item(c, *threads[c], "", "") for c in originals)]
        stress_base = score(stress_items, baseline_ranking(stress_docs), stress_pairs, threads)
        off_docs = off_corpus(demo, setting)
        runs = {
            "words": measure(
                items, docs, (stress_items, stress_docs, stress_pairs, threads), off_docs,
                duplicates,
            )
        }  # fmt: skip
        if embed is not None:
            runs["embeddings"] = measure(
                items, embed(docs), (stress_items, embed(stress_docs), stress_pairs, threads),
                embed(off_docs), duplicates,
            )  # fmt: skip
        names = {"words": "syndicate.related, words", "embeddings": "+ title embeddings"}
        out(f"\n### {SETTINGS[setting]}\n")
        out("| measure | " + " | ".join(names[k] for k in runs) + " | plain stemmed TF-IDF |")
        out("| --- |" + " ---: |" * (len(runs) + 1))

        def row(label: str, values: Sequence[str], baseline: str) -> None:
            out(f"| {label} | " + " | ".join(values) + f" | {baseline} |")

        row(
            "P@5 (same thread)",
            [f"{m.ours.p5:.3f} ({ratio(m.ours.p5, base.p5)}x)" for m in runs.values()],
            f"{base.p5:.3f}",
        )
        row(
            "nDCG@10 (sub-event 2, thread 1)",
            [f"{m.ours.ndcg10:.3f} ({ratio(m.ours.ndcg10, base.ndcg10)}x)" for m in runs.values()],
            f"{base.ndcg10:.3f}",
        )
        row("duplicates in the top 5", [f"{m.ours.duplicates:.3f}" for m in runs.values()],
            f"{base.duplicates:.3f}")  # fmt: skip
        row(
            "with 40 stories republished by a 2nd partner: duplicates in the top 5",
            [f"{m.stress.duplicates:.3f}" for m in runs.values()],
            f"{stress_base.duplicates:.3f}",
        )
        row("items shown per query (of 5)", [f"{m.ours.shown:.2f}" for m in runs.values()],
            f"{base.shown:.2f}")  # fmt: skip
        row(
            "share of shown items in the same thread",
            [f"{m.ours.precision_shown:.3f}" for m in runs.values()],
            f"{base.precision_shown:.3f}",
        )
        row(
            "47 off-corpus demo articles: items shown per query (of 5)",
            [f"{m.off:.2f}" for m in runs.values()],
            "5.00",
        )
        for key, m in runs.items():
            out(
                f"\n{names[key]}: index build {m.built * 1000:.0f} ms, {m.per_query:.1f} ms per "
                f"query ({len(docs)} documents)"
            )
        results[setting] = {
            key: {
                "p5": m.ours.p5,
                "ndcg10": m.ours.ndcg10,
                "duplicates_top5": m.ours.duplicates,
                "duplicates_top5_republished": m.stress.duplicates,
                "shown": m.ours.shown,
                "off_corpus_shown": m.off,
                "build_ms": m.built * 1000,
                "query_ms": m.per_query,
            }
            for key, m in runs.items()
        } | {
            "baseline_p5": base.p5,
            "baseline_ndcg10": base.ndcg10,
            "baseline_duplicates_top5": base.duplicates,
        }
    if embed is not None:
        out(
            f"\ntitle embeddings: {embed.computed} computed in {embed.seconds:.1f} s "
            f"({embed.seconds / max(embed.computed, 1) * 1000:.1f} ms each, {embed.embedder.model})"
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--settings", default=",".join(SETTINGS), help="comma-separated: full,title30,title"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument(
        "--embeddings",
        choices=["auto", "on", "off"],
        default="auto",
        help="also measure with title embeddings (auto: when the extra is installed)",
    )
    parser.add_argument(
        "--direct", action="store_true", help="index the documents directly, not through a store"
    )
    args = parser.parse_args()
    directory = Path(os.environ.get("SYNDICATE_RPM2_DIR", DEFAULT_DIR))
    settings = [s for s in args.settings.split(",") if s]
    unknown = [s for s in settings if s not in SETTINGS]
    if unknown:
        parser.error(f"unknown setting: {', '.join(unknown)}")
    embedder = load_embedder(args.embeddings)
    results = run(directory, settings, print, direct=args.direct, embedder=embedder)
    if args.json:
        print(json.dumps(results, indent=2))
    missed = []
    for setting in settings:
        measured = results[setting]
        assert isinstance(measured, dict)
        figures = measured["embeddings" if embedder is not None else "words"]
        if figures["p5"] < TARGETS[setting]:
            missed.append(f"{setting}: P@5 {figures['p5']:.3f} < {TARGETS[setting]:.2f}")
        if figures["duplicates_top5"] or figures["duplicates_top5_republished"]:
            missed.append(f"{setting}: duplicates in the top 5")
    print("\ntargets: " + ("; ".join(missed) if missed else "met"))
    if missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
