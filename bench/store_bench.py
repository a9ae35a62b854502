"""Store benchmark: "the newest 50 of one category" through our store code vs raw drivers.

With N articles (default 1,000,000) in SQLite and in PostgreSQL, time
``syndicate.store.articles.newest(connection, category, now, 50)`` against the same SQL run
through raw ``sqlite3`` / ``psycopg`` (rows fetched into tuples), interleaved and warm, and
judge the ratio of medians against the 1.5x target. Then time creating articles through the
JSONL import path (``Newsroom.import_lines``, what ``syndicate articles import`` runs).

The SQLite fixture is cached in ``bench/out/`` (reruns start in seconds); the PostgreSQL one
lives in a database of its own, created for the run and dropped at the end.

    .venv/bin/python bench/store_bench.py                 # full run (first one builds ~3 GB)
    .venv/bin/python bench/store_bench.py --quick         # smoke run, small sizes
    .venv/bin/python bench/store_bench.py --profile       # where our time goes (cProfile)
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import platform
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.dialects import sqlite as sqlite_dialect  # noqa: E402

from syndicate.categories import load_categories  # noqa: E402
from syndicate.newsroom.service import Newsroom  # noqa: E402
from syndicate.store import Store  # noqa: E402
from syndicate.store import articles as article_store  # noqa: E402
from syndicate.store.articles import ALL_FEED  # noqa: E402
from syndicate.store.schema import article_categories, articles  # noqa: E402
from syndicate.types import Status  # noqa: E402

OUT = ROOT / "bench" / "out"
DEMO = ROOT / "syndicate" / "demo" / "articles.jsonl"
CATEGORIES_FILE = ROOT / "feeds" / "categories.toml"
POSTGRES_ADMIN_URL = os.environ.get(
    "SYNDICATE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
FIRST = datetime(2017, 1, 1, tzinfo=UTC)
TARGET = 1.5
LIMIT = 50
GENERATOR_VERSION = 2  # bump when the generated data changes: invalidates cached files
# The site's categories and how often the newsroom files into each.
CATEGORY_WEIGHTS = {
    "politique": 30,
    "securite": 25,
    "economie": 18,
    "societe": 15,
    "culture": 7,
    "sport": 5,
}
AUTHORS = [
    ("Awa Traoré", "awa.traore@redaction.example"),
    ("Ibrahima Ndour", "ibrahima.ndour@redaction.example"),
    ("Mariam Ouédraogo", "mariam.ouedraogo@redaction.example"),
    ("Kwame Mensah", None),
    ("Aïssata Diallo", "aissata.diallo@redaction.example"),
    ("Boubacar Koné", None),
]
TAGS = [
    "aes", "mali", "niger", "burkina-faso", "sénégal", "côte-d-ivoire", "cedeao", "bamako",
    "niamey", "ouagadougou", "dakar", "abidjan", "élections", "armée", "coton", "or",
    "franc-cfa", "santé", "école", "football", "cinéma", "musique", "climat", "sahel",
]  # fmt: skip
ARTICLE_COLUMNS = [c.name for c in articles.columns]
CATEGORY_COLUMNS = [c.name for c in article_categories.columns]


# Realistic text, from the demo articles ----------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    titles: list[str]
    summaries: list[str]
    blocks: list[str]  # <p>/<h2> blocks of the demo articles' HTML


def load_corpus() -> Corpus:
    titles, summaries, blocks = [], [], []
    for line in DEMO.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        titles.append(item["title"])
        summaries.append(item["summary"])
        blocks.extend(b.strip() for b in item["content_html"].split("\n") if b.strip())
    if not blocks:
        raise SystemExit(f"{DEMO}: no demo articles to build text from")
    return Corpus(titles, summaries, blocks)


def _slug(text: str) -> str:
    from syndicate.newsroom.validate import slugify

    return slugify(text, max_length=60)


@dataclass(frozen=True)
class Generated:
    """One article as Python values (naive UTC datetimes) and its category rows."""

    article: tuple[Any, ...]
    categories: list[tuple[Any, ...]]


def generate(count: int, seed: int = 20261129) -> Iterator[Generated]:
    """``count`` articles, ids 1..count, dates spread over 2017..now (mostly rising with id).

    1-2 categories each (weighted), ~2 KB of HTML, 1 % drafts, 0.5 % scheduled in the future.
    """
    rng = random.Random(seed)
    corpus = load_corpus()
    slugs = [_slug(t) for t in corpus.titles]
    names = list(CATEGORY_WEIGHTS)
    weights = list(CATEGORY_WEIGHTS.values())
    span = (NOW - FIRST).total_seconds()
    for number in range(1, count + 1):
        pick = rng.randrange(len(corpus.titles))
        published = FIRST + timedelta(seconds=span * number / count + rng.uniform(-43200, 43200))
        roll = rng.random()
        status = Status.DRAFT.value if roll < 0.01 else Status.PUBLISHED.value
        if 0.01 <= roll < 0.015:
            published = NOW + timedelta(hours=rng.uniform(1, 24 * 14))
        published = published.replace(tzinfo=None, microsecond=0)
        # Half are edited after publication. The store stamps modified_at when it writes: the
        # same second as updated_at for articles published or edited live; earlier for the
        # ones scheduled ahead, later for back-dated imports.
        updated = published + timedelta(minutes=rng.choice([0, 0, 0, 12, 95, 600]))
        modified = updated
        if rng.random() < 0.15:
            modified = updated + timedelta(minutes=rng.choice([-1, 1]) * rng.randint(10, 4000))
        first = rng.choices(names, weights)[0]
        cats = [first]
        if rng.random() < 0.35:
            second = rng.choices(names, weights)[0]
            if second != first:
                cats.append(second)
        content: list[str] = []
        size = 0
        wanted = rng.randint(1600, 2600)
        while size < wanted:
            block = rng.choice(corpus.blocks)
            content.append(block)
            size += len(block) + 1
        author = rng.choice(AUTHORS)
        tags = rng.sample(TAGS, rng.randint(0, 4))
        has_image = rng.random() < 0.4
        article = (
            number,  # id
            f"{slugs[pick]}-{number}",  # slug
            corpus.titles[pick],  # title
            corpus.summaries[rng.randrange(len(corpus.summaries))],  # summary
            "\n".join(content),  # content_html
            author[0],  # author_name
            author[1],  # author_email
            cats,  # categories
            tags,  # tags
            "fr",  # language
            status,  # status
            published,  # published_at
            updated,  # updated_at
            modified,  # modified_at
            f"/media/bench/{number}.jpg" if has_image else None,  # image_url
            "image/jpeg" if has_image else None,  # image_type
            rng.randint(20_000, 400_000) if has_image else None,  # image_length
            "Photo d’illustration" if has_image else None,  # image_alt
        )
        rows = [(number, c, p, status, published) for p, c in enumerate(cats)]
        yield Generated(article, rows)


def check_columns() -> None:
    expected_articles = [
        "id", "slug", "title", "summary", "content_html", "author_name", "author_email",
        "categories", "tags", "language", "status", "published_at", "updated_at",
        "modified_at", "image_url", "image_type", "image_length", "image_alt",
    ]  # fmt: skip
    expected_categories = ["article_id", "category", "position", "status", "published_at"]
    if (
        ARTICLE_COLUMNS[: len(expected_articles)] != expected_articles
        or CATEGORY_COLUMNS[: len(expected_categories)] != expected_categories
    ):
        raise SystemExit("store_bench: the schema changed; update generate() to fill new columns")


# Fixtures ------------------------------------------------------------------------------------


def _progress(label: str, done: int, total: int, started: float) -> None:
    if sys.stderr.isatty() or done == total:
        rate = done / max(time.perf_counter() - started, 1e-9)
        end = "\n" if done == total else "\r"
        print(f"  {label}: {done:,}/{total:,} ({rate:,.0f} rows/s)", end=end, file=sys.stderr)


def _secondary_indexes_sqlite(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    return connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('articles', 'article_categories')"
    ).fetchall()


def build_sqlite(path: Path, count: int) -> None:
    """Migrate a new SQLite file with our own migrations, then bulk-load ``count`` articles."""
    tmp = path.with_suffix(".building")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    store = Store(f"sqlite:///{tmp}")
    store.upgrade()
    store.dispose()

    dialect = sqlite_dialect.dialect()  # type: ignore[no-untyped-call]
    bind = {
        column.name: column.type.bind_processor(dialect)
        for column in articles.columns
        if column.type.bind_processor(dialect) is not None
    }
    dt = articles.c.published_at.type.bind_processor(dialect)
    assert dt is not None
    positions = {name: ARTICLE_COLUMNS.index(name) for name in bind}

    def sqlite_article(values: tuple[Any, ...]) -> tuple[Any, ...]:
        row = list(values)
        for name, position in positions.items():
            value = row[position]
            if value is not None:
                if isinstance(value, datetime):
                    value = value.replace(tzinfo=UTC)
                row[position] = bind[name](value)  # type: ignore[misc]
        return tuple(row)

    connection = sqlite3.connect(tmp, isolation_level=None)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-262144")
    indexes = _secondary_indexes_sqlite(connection)
    for name, _ in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    insert_article = (
        f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)})"
        f" VALUES ({', '.join('?' * len(ARTICLE_COLUMNS))})"
    )
    insert_category = (
        f"INSERT INTO article_categories ({', '.join(CATEGORY_COLUMNS)})"
        f" VALUES ({', '.join('?' * len(CATEGORY_COLUMNS))})"
    )
    started = time.perf_counter()
    connection.execute("BEGIN")
    batch: list[Generated] = []
    for done, item in enumerate(generate(count), start=1):
        batch.append(item)
        if len(batch) == 10_000 or done == count:
            connection.executemany(insert_article, [sqlite_article(g.article) for g in batch])
            connection.executemany(
                insert_category,
                [(*r[:4], dt(r[4].replace(tzinfo=UTC))) for g in batch for r in g.categories],
            )
            batch.clear()
            _progress("sqlite load", done, count, started)
    connection.execute("COMMIT")
    for _, sql in indexes:
        connection.execute(sql)
    connection.close()
    tmp.replace(path)


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def sqlite_fixture(count: int, out: Path, fresh: bool) -> Path:
    """The cached SQLite file with ``count`` articles, built when missing or stale."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"store-{count}.sqlite3"
    meta_path = path.with_suffix(".json")
    meta = {"rows": count, "generator": GENERATOR_VERSION}
    cached = meta_path.exists() and json.loads(meta_path.read_text()) == meta and path.exists()
    if cached and not fresh:
        print(f"sqlite: cached fixture {_shown(path)}", file=sys.stderr)
    else:
        print(f"sqlite: building {_shown(path)} with {count:,} articles", file=sys.stderr)
        meta_path.unlink(missing_ok=True)
        started = time.perf_counter()
        build_sqlite(path, count)
        meta_path.write_text(json.dumps(meta))
        print(f"  built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    store = Store(f"sqlite:///{path}")
    try:
        store.upgrade()  # later migrations apply to the cached file as they would in production
    finally:
        store.dispose()
    return path


@contextlib.contextmanager
def postgres_database(count: int) -> Iterator[str | None]:
    """A database of its own loaded with ``count`` articles; dropped at the end."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        print(
            f"postgres: skipped, not reachable at {POSTGRES_ADMIN_URL}: {reason}", file=sys.stderr
        )
        yield None
        return
    name = f"syndicate_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(POSTGRES_ADMIN_URL).set(database=name)
    rendered = url.render_as_string(hide_password=False)
    try:
        print(f"postgres: loading {count:,} articles into database {name}", file=sys.stderr)
        started = time.perf_counter()
        store = Store(rendered)
        store.upgrade()
        store.dispose()
        if count:
            load_postgres(_raw_postgres_url(rendered), count)
        print(f"  loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        yield rendered
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _raw_postgres_url(sqlalchemy_url: str) -> str:
    return (
        sa.engine.make_url(sqlalchemy_url)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


def load_postgres(url: str, count: int) -> None:
    import psycopg

    with psycopg.connect(url) as connection:
        connection.execute("SET maintenance_work_mem = '512MB'")
        indexes = connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename IN ('articles', 'article_categories')"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ).fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        json_columns = [ARTICLE_COLUMNS.index("categories"), ARTICLE_COLUMNS.index("tags")]
        started = time.perf_counter()
        categories: list[tuple[Any, ...]] = []
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY articles ({', '.join(ARTICLE_COLUMNS)}) FROM STDIN") as copy:
                for done, item in enumerate(generate(count), start=1):
                    row = list(item.article)
                    for position in json_columns:
                        row[position] = json.dumps(row[position])
                    copy.write_row(row)
                    categories.extend(item.categories)
                    if done % 10_000 == 0 or done == count:
                        _progress("postgres load", done, count, started)
            columns = ", ".join(CATEGORY_COLUMNS)
            with cursor.copy(f"COPY article_categories ({columns}) FROM STDIN") as copy:
                for row in categories:
                    copy.write_row(row)
        connection.execute(
            "SELECT setval(pg_get_serial_sequence('articles', 'id'),"
            " (SELECT max(id) FROM articles))"
        )
        for _, sql in indexes:
            connection.execute(sql)
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE articles")
        connection.execute("VACUUM ANALYZE article_categories")


# The queries -------------------------------------------------------------------------------


def raw_sql(backend: str, *, with_category: bool) -> str:
    """What a careful engineer writes by hand: the same statement our store sends."""
    mark = "?" if backend == "sqlite" else "%s"
    columns = ", ".join(f"articles.{name}" for name in ARTICLE_COLUMNS)
    if with_category:
        return (
            f"SELECT {columns} FROM articles"
            " JOIN article_categories ON article_categories.article_id = articles.id"
            f" WHERE article_categories.category = {mark}"
            f" AND article_categories.status = {mark} AND article_categories.published_at <= {mark}"
            " ORDER BY article_categories.published_at DESC, article_categories.article_id DESC"
            f" LIMIT {mark} OFFSET {mark}"
        )
    return (
        f"SELECT {columns} FROM articles"
        f" WHERE articles.status = {mark} AND articles.published_at <= {mark}"
        " ORDER BY articles.published_at DESC, articles.id DESC"
        f" LIMIT {mark} OFFSET {mark}"
    )


def bound_now(backend: str) -> Any:
    """``NOW`` as each driver receives it from our store (SQLite: SQLAlchemy's string)."""
    if backend == "sqlite":
        process = articles.c.published_at.type.bind_processor(sqlite_dialect.dialect())  # type: ignore[no-untyped-call]
        assert process is not None
        return process(NOW)
    return NOW.replace(tzinfo=None)


@dataclass
class Case:
    label: str
    category: str | None  # None: every category ("all" feeds)
    ours_for: Callable[[str | None], list[Any]]
    raw_for: Callable[[str | None], list[Any]]

    def ours(self) -> list[Any]:
        return self.ours_for(self.category)

    def raw(self) -> list[Any]:
        return self.raw_for(self.category)


def cases(backend: str, ours_connection: sa.Connection, raw_connection: Any) -> list[Case]:
    now = bound_now(backend)
    published = Status.PUBLISHED.value
    by_category = raw_sql(backend, with_category=True)
    every = raw_sql(backend, with_category=False)

    def raw_newest(category: str | None) -> list[Any]:
        cursor = raw_connection.cursor()
        if category is None:
            cursor.execute(every, (published, now, LIMIT, 0))
        else:
            cursor.execute(by_category, (category, published, now, LIMIT, 0))
        rows: list[Any] = cursor.fetchall()
        cursor.close()
        return rows

    def ours_newest(category: str | None) -> list[Any]:
        return article_store.newest(ours_connection, category, NOW, LIMIT)

    made = [
        Case(f"newest {LIMIT} of one category", category, ours_newest, raw_newest)
        for category in CATEGORY_WEIGHTS
    ]
    made.append(Case(f"newest {LIMIT} of all", None, ours_newest, raw_newest))
    return made


def same_rows(case: Case) -> None:
    ours = case.ours()
    raw = case.raw()
    if [a.id for a in ours] != [r[0] for r in raw] or len(ours) != LIMIT:
        raise SystemExit(f"{case.label} ({case.category}): ours and raw return different rows")


@dataclass
class Timing:
    """Wall-clock seconds per run, and this thread's CPU seconds (robust to a busy machine)."""

    backend: str
    label: str
    ours: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    ours_cpu: list[float] = field(default_factory=list)
    raw_cpu: list[float] = field(default_factory=list)

    @staticmethod
    def p95(values: Sequence[float]) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ours) / statistics.median(self.raw)

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "query": self.label,
            "ours_median_ms": statistics.median(self.ours) * 1e3,
            "ours_p95_ms": self.p95(self.ours) * 1e3,
            "raw_median_ms": statistics.median(self.raw) * 1e3,
            "raw_p95_ms": self.p95(self.raw) * 1e3,
            "ratio": self.ratio,
            "ratio_p95": self.p95(self.ours) / self.p95(self.raw),
            # For SQLite all the work is in this thread; PostgreSQL's is mostly in the server.
            "ratio_cpu": (
                statistics.median(self.ours_cpu) / statistics.median(self.raw_cpu)
                if self.backend == "sqlite"
                else None
            ),
            "repetitions": len(self.ours),
            "pass": self.ratio <= TARGET,
        }


def measure(backend: str, all_cases: list[Case], repeat: int, warmup: int) -> list[Timing]:
    """Interleaved: each repetition runs ours and raw back to back, alternating who goes first."""
    for case in all_cases:
        same_rows(case)
        for _ in range(warmup):
            case.ours()
            case.raw()
    groups: dict[str, Timing] = {}
    clock, cpu_clock = time.perf_counter, time.thread_time
    for index in range(repeat):
        for case in all_cases:
            timing = groups.setdefault(case.label, Timing(backend, case.label))
            order = [(True, case.ours), (False, case.raw)]
            if index % 2:
                order.reverse()
            for is_ours, run in order:
                started, cpu_started = clock(), cpu_clock()
                run()
                elapsed, cpu = clock() - started, cpu_clock() - cpu_started
                (timing.ours if is_ours else timing.raw).append(elapsed)
                (timing.ours_cpu if is_ours else timing.raw_cpu).append(cpu)
    return list(groups.values())


@contextlib.contextmanager
def connections(backend: str, url: str) -> Iterator[tuple[sa.Connection, Any]]:
    store = Store(url)
    if backend == "sqlite":
        raw: Any = sqlite3.connect(str(sa.engine.make_url(url).database))
    else:
        import psycopg

        raw = psycopg.connect(_raw_postgres_url(url))
    try:
        with store.connect() as connection:
            yield connection, raw
    finally:
        raw.close()
        store.dispose()


def explain(backend: str, raw: Any) -> list[str]:
    now = bound_now(backend)
    published = Status.PUBLISHED.value
    plans = []
    mark = "?" if backend == "sqlite" else "%s"
    count_sql = (
        "SELECT count(*) FROM article_categories"
        f" WHERE category = {mark} AND status = {mark} AND published_at <= {mark}"
    )
    for sql, params in (
        (raw_sql(backend, with_category=True), ("securite", published, now, LIMIT, 0)),
        (raw_sql(backend, with_category=False), (published, now, LIMIT, 0)),
        (count_sql, ("securite", published, now)),
    ):
        if backend == "sqlite":
            rows = raw.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
            plans.append(" / ".join(str(r[-1]) for r in rows))
        else:
            cursor = raw.cursor()
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {sql}", params)
            plans.append(" / ".join(r[0].strip() for r in cursor.fetchall()))
            cursor.close()
            raw.rollback()
    return plans


def run_backend(
    backend: str, url: str, args: argparse.Namespace
) -> tuple[list[Timing], list[dict[str, Any]]]:
    with connections(backend, url) as (ours, raw):
        for plan in explain(backend, raw):
            print(f"{backend} plan: {plan}", file=sys.stderr)
        all_cases = cases(backend, ours, raw)
        if args.profile:
            profile(all_cases[0])
        timings = measure(backend, all_cases, args.repeat, args.warmup)
        return timings, page_costs(backend, ours, args.page_repeat)


def page_costs(backend: str, connection: sa.Connection, repeat: int) -> list[dict[str, Any]]:
    """What a paginated list costs (``page()`` = ``newest()`` + ``count()``), for information."""
    biggest = next(iter(CATEGORY_WEIGHTS))
    found = []
    for category in (biggest, None):
        pages, counts = [], []
        total = article_store.count(connection, category, NOW)
        for _ in range(repeat):
            started = time.perf_counter()
            article_store.page(connection, category, NOW, 1, LIMIT)
            pages.append(time.perf_counter() - started)
            started = time.perf_counter()
            article_store.count(connection, category, NOW)
            counts.append(time.perf_counter() - started)
        found.append(
            {
                "backend": backend,
                "category": category or ALL_FEED,
                "visible": total,
                "page_median_ms": statistics.median(pages) * 1e3,
                "count_median_ms": statistics.median(counts) * 1e3,
            }
        )
    return found


def profile(case: Case) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(300):
        case.ours()
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(18)


# Import -----------------------------------------------------------------------------------------


def import_lines(count: int, seed: int) -> list[str]:
    """The articles as the newsroom's JSONL (the API shape), new slugs."""
    lines = []
    for item in generate(count, seed=seed):
        values = dict(zip(ARTICLE_COLUMNS, item.article, strict=True))
        body: dict[str, Any] = {
            "slug": f"import-{values['slug']}",
            "title": values["title"],
            "summary": values["summary"],
            "content_html": values["content_html"],
            "author": {"name": values["author_name"], "email": values["author_email"]},
            "categories": values["categories"],
            "tags": values["tags"],
            "language": "fr",
            "status": values["status"],
            "published_at": values["published_at"].isoformat() + "Z",
            "updated_at": values["updated_at"].isoformat() + "Z",
        }
        if body["author"]["email"] is None:
            del body["author"]["email"]
        if values["image_url"]:
            body["image"] = {
                "url": values["image_url"],
                "type": values["image_type"],
                "length": values["image_length"],
            }
        lines.append(json.dumps(body, ensure_ascii=False))
    return lines


@dataclass
class ImportResult:
    backend: str
    count: int
    seconds: list[float]

    def as_dict(self) -> dict[str, Any]:
        best = min(self.seconds)
        median = statistics.median(self.seconds)
        return {
            "backend": self.backend,
            "articles": self.count,
            "median_s": median,
            "articles_per_s_median": self.count / median,
            "articles_per_s_best": self.count / best,
            "runs": len(self.seconds),
        }


def bench_import(backend: str, count: int, runs: int) -> ImportResult | None:
    categories = load_categories(CATEGORIES_FILE)
    lines = import_lines(count, seed=7)
    seconds = []
    for _ in range(runs):
        with fresh_store(backend) as store:
            if store is None:
                return None
            newsroom = Newsroom(store, categories, "https://news.example", lambda: NOW)
            started = time.perf_counter()
            report = newsroom.import_lines(lines, update_existing=False)
            seconds.append(time.perf_counter() - started)
            assert report.created == count, report
    return ImportResult(backend, count, seconds)


@contextlib.contextmanager
def fresh_store(backend: str) -> Iterator[Store | None]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(dir=OUT) as folder:
            store = Store(f"sqlite:///{folder}/import.sqlite3")
            store.upgrade()
            try:
                yield store
            finally:
                store.dispose()
        return
    with postgres_database(0) as url:
        if url is None:
            yield None
            return
        store = Store(url)
        try:
            yield store
        finally:
            store.dispose()


# Report -----------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()},"
        f" SQLite {sqlite3.sqlite_version}, SQLAlchemy {sa.__version__}"
    )


def report(
    rows: list[dict[str, Any]],
    pages: list[dict[str, Any]],
    imports: list[dict[str, Any]],
    judged: bool,
) -> str:
    lines = [
        "| backend | query | ours median | raw median | ours p95 | raw p95 | ratio (median) |"
        " ratio (p95) | ratio (CPU) | target |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        verdict = ("PASS" if row["pass"] else "FAIL") if judged else "not judged (--quick)"
        cpu = f"{row['ratio_cpu']:.2f}x" if row["ratio_cpu"] is not None else "n/a"
        lines.append(
            f"| {row['backend']} | {row['query']} | {row['ours_median_ms']:.3f} ms"
            f" | {row['raw_median_ms']:.3f} ms | {row['ours_p95_ms']:.3f} ms"
            f" | {row['raw_p95_ms']:.3f} ms | {row['ratio']:.2f}x | {row['ratio_p95']:.2f}x"
            f" | {cpu} | ≤ {TARGET}x: {verdict} |"
        )
    if pages:
        lines += [
            "",
            "| backend | page 1 of | visible articles | page() median | of which count() |",
        ]
        lines.append("| --- | --- | ---: | ---: | ---: |")
        for row in pages:
            lines.append(
                f"| {row['backend']} | {row['category']} | {row['visible']:,}"
                f" | {row['page_median_ms']:.2f} ms | {row['count_median_ms']:.2f} ms |"
            )
    if imports:
        lines += ["", "| backend | JSONL import | median | articles/s (median) | best |"]
        lines.append("| --- | ---: | ---: | ---: | ---: |")
        for row in imports:
            lines.append(
                f"| {row['backend']} | {row['articles']:,} articles | {row['median_s']:.2f} s"
                f" | {row['articles_per_s_median']:,.0f} | {row['articles_per_s_best']:,.0f} |"
            )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, ratios not judged")
    parser.add_argument("--rows", type=int, help="articles in the store (1,000,000; quick 20,000)")
    parser.add_argument("--repeat", type=int, help="interleaved repetitions per category")
    parser.add_argument("--warmup", type=int, default=10, help="untimed runs per case first")
    parser.add_argument("--page-repeat", type=int, default=9, help="runs of page() and count()")
    parser.add_argument("--import-count", type=int, help="articles imported (10,000; quick 500)")
    parser.add_argument("--import-runs", type=int, help="import repetitions (3; quick 1)")
    parser.add_argument(
        "--backends", default="sqlite,postgres", help="comma-separated: sqlite,postgres"
    )
    parser.add_argument("--out", type=Path, default=OUT, help="where fixtures and results go")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached SQLite fixture")
    parser.add_argument("--profile", action="store_true", help="cProfile our newest() first")
    parser.add_argument("--no-import", action="store_true", help="skip the import benchmark")
    args = parser.parse_args(argv)
    args.rows = args.rows or (20_000 if args.quick else 1_000_000)
    args.repeat = args.repeat or (20 if args.quick else 200)
    args.import_count = args.import_count or (500 if args.quick else 10_000)
    args.import_runs = args.import_runs or (1 if args.quick else 3)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(args.backends) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    global OUT
    OUT = args.out
    OUT.mkdir(parents=True, exist_ok=True)
    check_columns()
    print(f"store bench: {args.rows:,} articles, {machine()}", file=sys.stderr)
    loads = [os.getloadavg()[0]]
    timings: list[Timing] = []
    pages: list[dict[str, Any]] = []
    if "sqlite" in args.backends:
        path = sqlite_fixture(args.rows, OUT, args.fresh)
        found, costs = run_backend("sqlite", f"sqlite:///{path}", args)
        timings += found
        pages += costs
    if "postgres" in args.backends:
        with postgres_database(args.rows) as url:
            if url is not None:
                found, costs = run_backend("postgres", url, args)
                timings += found
                pages += costs
    loads.append(os.getloadavg()[0])
    rows = [t.as_dict() for t in timings]
    imports = []
    if not args.no_import:
        for backend in args.backends:
            result = bench_import(backend, args.import_count, args.import_runs)
            if result is not None:
                imports.append(result.as_dict())
    judged = not args.quick
    print(f"\nStore: {args.rows:,} articles; {args.repeat} interleaved repetitions per category")
    print(report(rows, pages, imports, judged))
    cpus = os.cpu_count() or 1
    print(f"\nLoad average while measuring: {loads[0]:.1f} -> {loads[1]:.1f} on {cpus} CPUs.")
    if max(loads) - 1 > cpus / 2:  # this process accounts for about 1
        print(
            "WARNING: the machine was busy with other work: preemption and shared caches inflate"
            " the times, ours (more memory touched) more than raw. Rerun on a quiet machine."
        )
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "rows": args.rows,
        "load_average": loads,
        "repeat": args.repeat,
        "quick": args.quick,
        "queries": rows,
        "pages": pages,
        "imports": imports,
    }
    (OUT / "store_bench.json").write_text(json.dumps(results, indent=2))
    failed = [row for row in rows if not row["pass"]]
    return 1 if judged and failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
