"""The aggregator: operators' source management and the fetch pipeline, one object per app.

fetch (``fetcher``) -> parse (``parser``) -> sanitise and key (``entries``) -> store
(``update``), one transaction per fetch. Listeners hear, after each pass, which stories are new
or updated (the related-stories engine hooks in there).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import random
import ssl
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from syndicate.aggregate import opml, politeness
from syndicate.aggregate import update as story_update
from syndicate.aggregate.discovery import discover, looks_like_html
from syndicate.aggregate.entries import Entry, prepare
from syndicate.aggregate.fetcher import Fetcher, Limits, Response, trusting
from syndicate.aggregate.parser import ParsedFeed, parse
from syndicate.aggregate.validate import clean_category, clean_interval, clean_url, source_fields
from syndicate.config import Settings
from syndicate.exceptions import (
    ConfigError,
    Conflict,
    FeedError,
    FetchError,
    InvalidInput,
    NotFound,
)
from syndicate.sanitizer import plain_text
from syndicate.store import Store
from syndicate.store import sources as source_store
from syndicate.store import stories as story_store
from syndicate.types import Category, Clock, FetchAttempt, Page, Source, Story

log = logging.getLogger("syndicate.aggregate")

StoriesListener = Callable[[frozenset[int]], None]
"""Called after a pass (or a single fetch) with the ids of the stories it added or changed."""

DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
PAUSED_BY_OPERATOR = "paused by an operator"
REMOVED_FROM_FILE = "no longer in {file}"
DISCOVERY_CANDIDATES = 3
MAX_PASS = 100_000
BOOKKEEPING_BATCH = 100
TRIM_LOG_EVERY = 10


@dataclass(frozen=True)
class FetchResult:
    source_id: int
    url: str
    outcome: str
    """``fetched``, ``unchanged``, ``not_modified``, ``failed``, ``gone`` or ``delayed``."""
    status: int | None = None
    new_ids: tuple[int, ...] = ()
    updated_ids: tuple[int, ...] = ()
    bytes: int = 0
    duration_ms: int = 0
    error: str | None = None
    paused_reason: str | None = None
    next_fetch_at: datetime | None = None


@dataclass(frozen=True)
class PassReport:
    results: tuple[FetchResult, ...] = ()

    def count(self, *outcomes: str) -> int:
        return sum(1 for r in self.results if r.outcome in outcomes)

    @property
    def new(self) -> int:
        return sum(len(r.new_ids) for r in self.results)

    @property
    def updated(self) -> int:
        return sum(len(r.updated_ids) for r in self.results)

    def summary(self) -> str:
        text = (
            f"{len(self.results)} source(s): {self.count('fetched')} fetched, "
            f"{self.count('not_modified', 'unchanged')} not modified, {self.new} new, "
            f"{self.updated} updated, {self.count('failed')} failed"
        )
        extra = [(self.count("delayed"), "delayed"), (self.count("gone"), "gone")]
        return text + "".join(f", {n} {word}" for n, word in extra if n)


@dataclass(frozen=True)
class AddResult:
    source: Source
    discovered_from: str | None
    """The page whose ``<link rel="alternate">`` named the feed, when autodiscovery was used."""
    first_fetch: FetchResult


@dataclass(frozen=True)
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    paused: int = 0

    def summary(self) -> str:
        text = f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged"
        return text + (f", {self.paused} paused (no longer listed)" if self.paused else "")


@dataclass(frozen=True)
class Preview:
    """What adding a URL would add, checked and read but not saved (the console shows it)."""

    url: str
    """The feed URL to store (the autodiscovered one for a web page)."""
    discovered_from: str | None
    title: str
    site_url: str | None
    entries: tuple[Entry, ...]
    """The first entries, sanitised as they would be stored."""


@dataclass(frozen=True)
class Overview:
    """Counts for the operators' dashboard."""

    sources: int
    active: int
    paused: int
    failing: int
    """Active sources whose last fetches failed (``error_count`` above zero)."""
    stories: int
    stories_last_day: int
    """Stories first seen in the last 24 hours."""


@dataclass
class _Outcome:
    """What one fetch decided, before it is written."""

    outcome: str
    status: int | None
    state: dict[str, Any]
    error: str | None = None
    entries: list[Entry] | None = None
    body_bytes: int = 0
    hold: tuple[str, datetime, str] | None = None
    moved_to: str | None = None
    stats: dict[tuple[str, str], float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Bookkeeping:
    source: Source
    outcome: _Outcome
    started: datetime
    duration: float


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _version() -> str:
    try:
        return metadata.version("syndicate")
    except metadata.PackageNotFoundError:
        return "0"


def _trust(ca_file: str) -> ssl.SSLContext | None:
    """The HTTPS trust for partners; a CA file that cannot be read stops the start, named."""
    if not ca_file:
        return None
    try:
        return trusting(ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"SYNDICATE_FETCH_CA_FILE: cannot read {ca_file!r}: {exc}") from exc


def _delayed_result(source: Source, until: datetime) -> FetchResult:
    """A source not fetched because its host asked us to wait until ``until``."""
    reason = f"{_host(source.url)} asked to wait until {until:%Y-%m-%d %H:%M:%S}Z"
    return FetchResult(source.id, source.url, "delayed", error=reason, next_fetch_at=until)


class Aggregator:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        categories: Mapping[str, Category],
        clock: Clock,
        *,
        fetcher: Fetcher | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.categories = categories
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 (jitter, not secrets)
        self.listeners: list[StoriesListener] = []
        self._fetcher = fetcher
        self._lock = threading.Lock()
        self._gates: dict[str, threading.BoundedSemaphore] = {}
        self._pending_stats: defaultdict[tuple[str, str], float] = defaultdict(float)
        self._flushes = 0
        # SQLite has one writer at a time: fetch threads queue here rather than in SQLite's
        # busy handler, which sleeps in steps of up to 100 ms.
        self._writer: threading.Lock | contextlib.nullcontext[None] = (
            threading.Lock() if store.is_sqlite else contextlib.nullcontext()
        )
        self._ssl_context = _trust(settings.fetch_ca_file)

    # Plumbing ----------------------------------------------------------------------------

    @property
    def user_agent(self) -> str:
        return self.settings.fetch_user_agent or (
            f"syndicate/{_version()} (+{self.settings.base_url}/)"
        )

    @property
    def fetcher(self) -> Fetcher:
        with self._lock:
            if self._fetcher is None:
                s = self.settings
                self._fetcher = Fetcher(
                    Limits(
                        connect_timeout=s.fetch_connect_timeout,
                        read_timeout=s.fetch_read_timeout,
                        deadline=s.fetch_deadline,
                        max_bytes=s.fetch_max_bytes,
                        max_redirects=s.fetch_max_redirects,
                        user_agent=self.user_agent,
                        allow_private=s.allow_private_sources,
                        max_connections=max(4, s.fetch_concurrency * 2),
                        ssl_context=self._ssl_context,
                    )
                )
            return self._fetcher

    def close(self) -> None:
        with self._lock:
            if self._fetcher is not None:
                self._fetcher.close()
                self._fetcher = None

    def _gate(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            gate = self._gates.get(host)
            if gate is None:
                gate = self._gates[host] = threading.BoundedSemaphore(self.settings.fetch_per_host)
            return gate

    def flush_stats(self) -> None:
        """Add the counters of the fetches done since the last flush to the store's."""
        with self._lock:
            pending, self._pending_stats = dict(self._pending_stats), defaultdict(float)
        if not pending:
            return
        try:
            with self.store.begin() as connection:
                source_store.bump_stats(connection, pending)
        except SQLAlchemyError:
            log.exception("fetch counters could not be saved")

    def _notify(self, results: Iterable[FetchResult]) -> None:
        self.flush_stats()
        ids = frozenset(i for r in results for i in (*r.new_ids, *r.updated_ids))
        if not ids:
            return
        for listener in self.listeners:
            try:
                listener(ids)
            except Exception:
                log.exception("stories listener %r failed", listener)

    # Reads -------------------------------------------------------------------------------

    def get(self, source_id: int) -> Source:
        with self.store.connect() as connection:
            source = source_store.get(connection, source_id)
        if source is None:
            raise NotFound(f"no source with id {source_id}")
        return source

    def all_sources(self) -> list[Source]:
        with self.store.connect() as connection:
            return source_store.all_sources(connection)

    def page(self, number: int, per_page: int) -> Page[Source]:
        with self.store.connect() as connection:
            return source_store.page(connection, number, per_page)

    def stories(self, source_id: int, number: int, per_page: int) -> Page[Story]:
        self.get(source_id)
        with self.store.connect() as connection:
            return story_store.page_for_source(connection, source_id, number, per_page)

    def overview(self) -> Overview:
        since = self.clock() - timedelta(hours=24)
        with self.store.connect() as connection:
            counts = source_store.state_counts(connection)
            failing = source_store.count_failing(connection)
            stories = story_store.count(connection)
            last_day = story_store.count_first_seen_since(connection, since)
        total = counts["active"] + counts["paused"]
        return Overview(total, counts["active"], counts["paused"], failing, stories, last_day)

    def troubled(self) -> list[Source]:
        """Active sources that fail (most consecutive errors first), then paused ones."""
        found = [s for s in self.all_sources() if not s.enabled or s.state.error_count > 0]
        return sorted(found, key=lambda s: (not s.enabled, -s.state.error_count, s.name.lower()))

    def attempts(self, source_id: int, limit: int = 20) -> list[FetchAttempt]:
        with self.store.connect() as connection:
            return source_store.recent_attempts(
                connection, source_id, min(limit, self.settings.fetch_log_size)
            )

    # Operators' writes -------------------------------------------------------------------

    def add(self, payload: Mapping[str, Any], *, origin: str) -> AddResult:
        """Add a source after checking it is a reachable feed (a page: its autodiscovered
        feed). Nothing is added when the check fails; the source and its first stories are
        written in one transaction, so a store error adds neither."""
        fields = source_fields(
            payload, categories=self.categories, settings=self.settings, partial=False
        )
        started, t0 = self.clock(), time.monotonic()
        url, response, feed, page_url = self._resolve(fields["url"])
        name = fields.get("name") or plain_text(feed.title)[:200] or _host(url)
        with self._writer, self.store.begin() as connection:
            source = source_store.create(
                connection,
                url=url,
                name=name,
                category=fields["category"],
                interval=fields.get("interval", self.settings.fetch_interval),
                origin=origin,
                now=started,
                enabled=fields.get("enabled", True),
                site_url=feed.link,
            )
            body_hash = hashlib.sha256(response.body).hexdigest()
            outcome = self._parsed_outcome(source, response, feed, body_hash)
            written = self._apply(connection, source, outcome, started, t0)
        result = self._result(source, outcome, *written)
        self._notify([result])
        return AddResult(self.get(source.id), page_url, result)

    def register(self, payload: Mapping[str, Any], *, origin: str) -> Source:
        """Add a source without fetching it first (its first fetch is due at once, for the
        scheduler): for feeds that cannot be reached yet, such as the demo partners served by
        this site before it starts. The URL is not checked to be a feed; a taken URL is a
        ``Conflict``."""
        fields = source_fields(
            payload, categories=self.categories, settings=self.settings, partial=False
        )
        url = fields["url"]
        with self.store.begin() as connection:
            return source_store.create(
                connection,
                url=url,
                name=fields.get("name") or _host(url),
                category=fields["category"],
                interval=fields.get("interval", self.settings.fetch_interval),
                origin=origin,
                now=self.clock(),
                enabled=fields.get("enabled", True),
            )

    def preview(self, payload: Mapping[str, Any], *, entries: int = 5) -> Preview:
        """What ``add`` would do with this payload, without saving anything."""
        fields = source_fields(
            payload, categories=self.categories, settings=self.settings, partial=False
        )
        url, response, feed, page_url = self._resolve(fields["url"])
        title = feed.title.strip()[:200] or _host(url)
        found = tuple(prepare(feed, response.url)[:entries])
        return Preview(url, page_url, title, feed.link, found)

    def _resolve(self, wanted: str) -> tuple[str, Response, ParsedFeed, str | None]:
        """The feed URL to store for ``wanted``, its response and feed, and the page it was
        discovered on; refuses URLs another source has."""
        self._refuse_taken(wanted)
        response, feed, page_url = self._probe(wanted)
        url = response.url if page_url else (response.permanent_url or wanted)
        if url != wanted:
            self._refuse_taken(url)
        return url, response, feed, page_url

    def _refuse_taken(self, url: str) -> None:
        with self.store.connect() as connection:
            if source_store.get_by_url(connection, url) is not None:
                raise Conflict(f"a source with URL {url!r} already exists")

    def _probe(self, url: str) -> tuple[Response, ParsedFeed, str | None]:
        response = self._probe_fetch(url)
        try:
            return response, self._parse(response), None
        except FeedError as exc:
            if not looks_like_html(response.body, response.content_type):
                raise InvalidInput({"url": str(exc)}, message="not a feed") from exc
            candidates = discover(response.body, response.url)
            if not candidates:
                raise InvalidInput(
                    {"url": 'a web page that links no feed (no <link rel="alternate">)'},
                    message="not a feed",
                ) from exc
        reasons: list[str] = []
        for candidate in candidates[:DISCOVERY_CANDIDATES]:
            try:
                found = self._probe_fetch(candidate)
                return found, self._parse(found), response.url
            except InvalidInput as exc:
                reasons.append(exc.errors.get("url", str(exc)))
            except FeedError as exc:
                reasons.append(f"{candidate}: {exc}")
        raise InvalidInput(
            {"url": "the page links feeds, none readable: " + "; ".join(reasons)},
            message="not a feed",
        )

    def _probe_fetch(self, url: str) -> Response:
        try:
            response = self.fetcher.fetch(url)
        except FetchError as exc:
            word = "refused" if exc.kind == "refused" else "not reachable"
            raise InvalidInput({"url": f"{word}: {exc}"}, message="cannot add source") from exc
        if response.status != 200:
            raise InvalidInput(
                {"url": f"{response.url} answered HTTP {response.status}"},
                message="cannot add source",
            )
        return response

    def change(self, source_id: int, payload: Mapping[str, Any]) -> Source:
        fields = source_fields(
            payload, categories=self.categories, settings=self.settings, partial=True
        )
        now = self.clock()
        with self.store.begin() as connection:
            current = source_store.get(connection, source_id)
            if current is None:
                raise NotFound(f"no source with id {source_id}")
            values = dict(fields)
            if "url" in values and values["url"] != current.url:
                values.update(etag=None, last_modified=None, body_hash=None, next_fetch_at=now)
            if values.get("enabled") is True and not current.enabled:
                values.update(paused_reason=None, error_count=0, next_fetch_at=now)
            elif values.get("enabled") is False and current.enabled:
                values["paused_reason"] = PAUSED_BY_OPERATOR
            source_store.change(connection, source_id, values)
        return self.get(source_id)

    def pause(self, source_id: int, reason: str = PAUSED_BY_OPERATOR) -> Source:
        with self.store.begin() as connection:
            if source_store.get(connection, source_id) is None:
                raise NotFound(f"no source with id {source_id}")
            source_store.change(connection, source_id, {"enabled": False, "paused_reason": reason})
        return self.get(source_id)

    def resume(self, source_id: int) -> Source:
        return self.change(source_id, {"enabled": True})

    def remove(self, source_id: int) -> None:
        with self.store.begin() as connection:
            if not source_store.remove(connection, source_id):
                raise NotFound(f"no source with id {source_id}")

    # OPML --------------------------------------------------------------------------------

    def export_opml(self) -> str:
        return opml.write(self.all_sources(), self.clock(), f"{self.settings.site_name}: sources")

    def import_opml(
        self, text: str | bytes, *, where: str = "OPML", declarative: bool = False
    ) -> ImportReport:
        """Add the outlines' sources and update those already known (by URL), all or nothing.

        ``declarative`` (``feeds/sources.opml``): sources that came from the file and are no
        longer in it are paused, never deleted.
        """
        outlines = opml.read(text, where)
        wanted: dict[str, dict[str, Any]] = {}
        errors: dict[str, str] = {}
        for outline in outlines:
            spot = f"{where}:{outline.line}"
            try:
                url = clean_url(outline.url)
                if outline.category is None:
                    raise ValueError("no category attribute (our category slug)")
                values: dict[str, Any] = {
                    "category": clean_category(outline.category, self.categories),
                    "enabled": outline.enabled,
                }
                if outline.name:
                    values["name"] = outline.name[:200]
                if outline.site_url:
                    values["site_url"] = outline.site_url
                if outline.interval:
                    values["interval"] = clean_interval(outline.interval, self.settings)
            except ValueError as exc:
                errors[spot] = str(exc)
                continue
            if url in wanted:
                errors[spot] = f"{url} is listed twice"
                continue
            wanted[url] = values
        if errors:
            raise InvalidInput(errors, message=f"{len(errors)} bad outline(s), nothing imported")
        return self._apply_outlines(wanted, declarative=declarative)

    def _apply_outlines(
        self, wanted: Mapping[str, dict[str, Any]], *, declarative: bool
    ) -> ImportReport:
        now = self.clock()
        origin = "opml" if declarative else "import"
        removed = REMOVED_FROM_FILE.format(file=Path(self.settings.sources_file).name)
        added = updated = unchanged = paused = 0
        with self.store.begin() as connection:
            known = {s.url: s for s in source_store.all_sources(connection)}
            for url, values in wanted.items():
                current = known.get(url)
                if current is None:
                    created = source_store.create(
                        connection,
                        url=url,
                        name=values.get("name") or _host(url),
                        category=values["category"],
                        interval=values.get("interval", self.settings.fetch_interval),
                        origin=origin,
                        now=now,
                        enabled=values["enabled"],
                        site_url=values.get("site_url"),
                    )
                    if not values["enabled"]:
                        source_store.change(
                            connection, created.id, {"paused_reason": PAUSED_BY_OPERATOR}
                        )
                    added += 1
                    continue
                changes: dict[str, Any] = {
                    name: values[name]
                    for name in ("name", "category", "interval", "site_url")
                    if name in values and getattr(current, name) != values[name]
                }
                if current.state.paused_reason == removed:
                    changes.update(enabled=True, paused_reason=None, next_fetch_at=now)
                if changes:
                    source_store.change(connection, current.id, changes)
                    updated += 1
                else:
                    unchanged += 1
            if declarative:
                for url, current in known.items():
                    if current.origin == "opml" and url not in wanted and current.enabled:
                        source_store.change(
                            connection, current.id, {"enabled": False, "paused_reason": removed}
                        )
                        paused += 1
        return ImportReport(added, updated, unchanged, paused)

    def apply_sources_file(self) -> ImportReport | None:
        """Apply ``feeds/sources.opml`` (the setting) if it exists."""
        path = Path(self.settings.sources_file)
        if not path.exists():
            return None
        return self.import_opml(path.read_bytes(), where=str(path), declarative=True)

    # Fetching ----------------------------------------------------------------------------

    def fetch_now(self, source_id: int) -> FetchResult:
        """Fetch one source now (paused or not), honouring its host's Retry-After."""
        report = self.run_pass([source_id])
        return report.results[0]

    def run_pass(
        self,
        ids: Sequence[int] | None = None,
        *,
        progress: Callable[[FetchResult], None] | None = None,
        planned: Callable[[int], None] | None = None,
    ) -> PassReport:
        """Fetch the given sources, or every source that is due; listeners hear the changes."""
        now = self.clock()
        with self.store.connect() as connection:
            if ids is not None:
                chosen = source_store.get_many(connection, list(dict.fromkeys(ids)))
                missing = sorted(set(ids) - {s.id for s in chosen})
                if missing:
                    raise NotFound(f"no source with id {', '.join(map(str, missing))}")
            else:
                chosen = source_store.due(connection, now, MAX_PASS)
            holds = source_store.host_holds_after(connection, now)
        if planned:
            planned(len(chosen))
        held = [(s, holds[host]) for s in chosen if (host := _host(s.url)) in holds]
        ready = _interleave_hosts([s for s in chosen if _host(s.url) not in holds])
        if held:  # their next fetch moves to the end of their host's wait, in one transaction
            with self._writer, self.store.begin() as connection:
                source_store.change_many(
                    connection, [(s.id, {"next_fetch_at": until}) for s, until in held]
                )
        results = [_delayed_result(s, until) for s, until in held]
        for result in results:
            if progress:
                progress(result)
        batch: list[_Bookkeeping] = []
        if ready:
            workers = min(self.settings.fetch_concurrency, len(ready))
            with ThreadPoolExecutor(workers, thread_name_prefix="fetch") as pool:
                futures = [pool.submit(self._run_one, source, batch) for source in ready]
                for future in as_completed(futures):
                    result = future.result()
                    results.append(result)
                    if progress:
                        progress(result)
        self._flush(batch)
        self._notify(results)
        return PassReport(tuple(results))

    def _run_one(self, source: Source, batch: list[_Bookkeeping]) -> FetchResult:
        with self._gate(_host(source.url)):
            started, t0 = self.clock(), time.monotonic()
            try:
                outcome = self._fetch(source)
            except Exception as exc:  # one bad source must never stop a pass
                log.exception("fetch of source %d crashed", source.id)
                outcome = self._failure(source, None, f"internal error: {type(exc).__name__}")
            return self._commit(source, outcome, started, t0, batch)

    def _parse(self, response: Response, known_items: Iterable[str] = ()) -> ParsedFeed:
        return parse(
            response.body,
            response.url,
            content_type=response.content_type,
            max_entries=self.settings.fetch_max_entries,
            known_items=frozenset(known_items),
        )

    def _fetch(self, source: Source) -> _Outcome:
        try:
            response = self.fetcher.fetch(
                source.url, etag=source.state.etag, last_modified=source.state.last_modified
            )
        except FetchError as exc:
            return self._failure(source, exc.status, str(exc), kind=exc.kind)
        now = self.clock()
        status = response.status
        moved = response.permanent_url if response.permanent_url != source.url else None
        if status == 304:
            outcome = self._success(source, "not_modified", response, source.state.min_interval)
        elif status == 200:
            body_hash = hashlib.sha256(response.body).hexdigest()
            if body_hash == source.state.body_hash:
                outcome = self._success(source, "unchanged", response, source.state.min_interval)
            else:
                try:
                    feed = self._parse(response, source.state.item_hashes)
                except FeedError as exc:
                    outcome = self._failure(source, status, str(exc), kind="parse")
                else:
                    outcome = self._parsed_outcome(source, response, feed, body_hash)
            outcome.body_bytes = len(response.body)
        elif status == 410:
            reason = f"{response.url} answered 410 Gone: the partner removed this feed"
            outcome = _Outcome("gone", status, {"enabled": False, "paused_reason": reason,
                                                "error_count": source.state.error_count + 1,
                                                "last_error": reason}, error=reason)  # fmt: skip
        elif status in {429, 503} and response.headers.get("retry-after"):
            delay = politeness.retry_after(response.headers["retry-after"], now)
            outcome = self._delayed(source, response, delay)
        else:
            outcome = self._failure(source, status, f"{response.url} answered HTTP {status}")
        if moved and outcome.outcome not in {"failed", "gone"}:
            outcome.moved_to = moved
        return outcome

    def _partner_minimum(self, response: Response, feed: ParsedFeed) -> int:
        hints = [politeness.max_age(response.headers.get("cache-control")) or 0]
        if feed.min_interval:
            hints.append(feed.min_interval)
        return min(max(hints), self.settings.fetch_max_interval)

    def _success(
        self, source: Source, kind: str, response: Response, partner_minimum: int
    ) -> _Outcome:
        now = self.clock()
        delay = politeness.after_success(
            source.interval, partner_minimum, maximum=self.settings.fetch_max_interval, rng=self.rng
        )
        state: dict[str, Any] = {
            "error_count": 0,
            "last_error": None,
            "min_interval": partner_minimum,
            "next_fetch_at": now + delay,
        }
        if response.headers.get("etag"):
            state["etag"] = response.headers["etag"]
        if response.headers.get("last-modified"):
            state["last_modified"] = response.headers["last-modified"]
        return _Outcome(kind, response.status, state)

    def _parsed_outcome(
        self, source: Source, response: Response, feed: ParsedFeed, body_hash: str
    ) -> _Outcome:
        outcome = self._success(source, "fetched", response, self._partner_minimum(response, feed))
        outcome.state["etag"] = response.headers.get("etag")
        outcome.state["last_modified"] = response.headers.get("last-modified")
        outcome.state["body_hash"] = body_hash
        outcome.state["item_hashes"] = list(feed.item_hashes)
        if feed.link and not source.site_url:
            outcome.state["site_url"] = feed.link[:2000]
        outcome.entries = prepare(feed, response.url)
        outcome.body_bytes = len(response.body)
        return outcome

    def _failure(
        self, source: Source, status: int | None, error: str, kind: str = "http"
    ) -> _Outcome:
        now = self.clock()
        count = source.state.error_count + 1
        delay = politeness.after_failure(
            source.interval, count, maximum=self.settings.fetch_max_interval, rng=self.rng
        )
        state: dict[str, Any] = {
            "error_count": count,
            "last_error": error,
            "next_fetch_at": now + delay,
        }
        if count >= self.settings.fetch_failure_threshold and source.enabled:
            state["enabled"] = False
            state["paused_reason"] = f"paused after {count} consecutive failures; last: {error}"
        outcome = _Outcome("failed", status, state, error=error)
        outcome.stats[("fetch_errors_total", f"kind={kind}")] = 1
        return outcome

    def _delayed(self, source: Source, response: Response, delay: timedelta | None) -> _Outcome:
        now = self.clock()
        wait = min(delay or timedelta(seconds=source.interval),
                   timedelta(seconds=self.settings.fetch_max_interval))  # fmt: skip
        until = now + wait
        host = _host(response.url)
        error = f"{host} answered {response.status} with Retry-After: wait until {until:%H:%M:%S}Z"
        state = {"last_error": error, "next_fetch_at": until}
        return _Outcome("delayed", response.status, state, error=error,
                        hold=(host, until, error))  # fmt: skip

    # Writing -----------------------------------------------------------------------------

    def _commit(
        self,
        source: Source,
        outcome: _Outcome,
        started: datetime,
        t0: float,
        batch: list[_Bookkeeping] | None = None,
    ) -> FetchResult:
        if batch is not None and not outcome.entries and not outcome.moved_to:
            return self._queue(batch, _Bookkeeping(source, outcome, started, time.monotonic() - t0))
        try:
            return self._write(source, outcome, started, t0)
        except (SQLAlchemyError, Conflict) as exc:
            log.exception(
                "storing the fetch of source %d failed; nothing of it was kept", source.id
            )
            failure = self._failure(source, outcome.status, f"store error: {type(exc).__name__}")
            return self._write(source, failure, started, t0)

    def _queue(self, batch: list[_Bookkeeping], item: _Bookkeeping) -> FetchResult:
        """A fetch that changed no story: its bookkeeping is written with others, in one
        transaction (a store error there loses only bookkeeping: the source is fetched again)."""
        with self._lock:
            batch.append(item)
            full = len(batch) >= BOOKKEEPING_BATCH
        if full:
            self._flush(batch)
        state = _state(item.outcome, item.started)
        return self._result(item.source, item.outcome, state, story_update.Changes(), item.duration)

    def _flush(self, batch: list[_Bookkeeping]) -> None:
        with self._lock:
            items, batch[:] = list(batch), []
            self._flushes += 1
            trim = self._flushes % TRIM_LOG_EVERY == 0
        if not items:
            return
        try:
            with self._writer, self.store.begin() as connection:
                source_store.change_many(
                    connection, [(i.source.id, _state(i.outcome, i.started)) for i in items]
                )
                for item in items:
                    if item.outcome.hold:
                        source_store.hold_host(connection, *item.outcome.hold)
                source_store.log_attempts(
                    connection,
                    [_attempt(i.source, i.outcome, story_update.Changes(), i.started, i.duration)
                     for i in items],
                )  # fmt: skip
                if trim:
                    source_store.trim_log(connection, self.settings.fetch_log_size)
        except SQLAlchemyError:
            log.exception("the bookkeeping of %d fetches could not be written", len(items))

    def _record(
        self,
        connection: Connection,
        source: Source,
        outcome: _Outcome,
        state: dict[str, Any],
        changes: story_update.Changes,
        started: datetime,
        duration: float,
    ) -> None:
        source_store.change(connection, source.id, state)
        if outcome.hold:
            source_store.hold_host(connection, *outcome.hold)
        source_store.log_attempt(
            connection,
            _attempt(source, outcome, changes, started, duration),
            self.settings.fetch_log_size,
        )

    def _write(
        self, source: Source, outcome: _Outcome, started: datetime, t0: float
    ) -> FetchResult:
        with self._writer, self.store.begin() as connection:
            written = self._apply(connection, source, outcome, started, t0)
        return self._result(source, outcome, *written)

    def _apply(
        self,
        connection: Connection,
        source: Source,
        outcome: _Outcome,
        started: datetime,
        t0: float,
    ) -> tuple[dict[str, Any], story_update.Changes, float]:
        """Write one fetch in the caller's transaction: stories, the source's state, the log.
        Returns the state written, the story changes and the fetch's duration."""
        now = self.clock()
        changes = story_update.Changes()
        state = _state(outcome, started)
        if outcome.entries:
            oldest = now - timedelta(days=self.settings.story_retention_days)
            changes = story_update.apply(
                connection, source.id, outcome.entries, now,
                update_cap=self.settings.story_update_cap, oldest=oldest,
            )  # fmt: skip
            if changes.capped:  # parse the same body again once the cap lifts
                state.update(body_hash=None, item_hashes=None)
        if outcome.moved_to:
            if source_store.get_by_url(connection, outcome.moved_to) is None:
                state["url"] = outcome.moved_to
            else:
                log.warning(
                    "source %d moved to %s, which another source already has",
                    source.id, outcome.moved_to,
                )  # fmt: skip
        duration = time.monotonic() - t0
        self._record(connection, source, outcome, state, changes, started, duration)
        return state, changes, duration

    def _result(
        self,
        source: Source,
        outcome: _Outcome,
        state: dict[str, Any],
        changes: story_update.Changes,
        duration: float,
    ) -> FetchResult:
        with self._lock:
            for key, amount in _stats(outcome, changes, duration).items():
                self._pending_stats[key] += amount
        result = FetchResult(
            source_id=source.id,
            url=source.url,
            outcome=outcome.outcome,
            status=outcome.status,
            new_ids=tuple(changes.new_ids),
            updated_ids=tuple(changes.updated_ids),
            bytes=outcome.body_bytes,
            duration_ms=int(duration * 1000),
            error=outcome.error,
            paused_reason=state.get("paused_reason"),
            next_fetch_at=state.get("next_fetch_at"),
        )
        log.info(
            "fetch source=%d outcome=%s status=%s new=%d updated=%d capped=%d bytes=%d ms=%d "
            "url=%s%s",
            source.id, result.outcome, result.status, len(result.new_ids),
            len(result.updated_ids), changes.capped, result.bytes, result.duration_ms, source.url,
            f" error={result.error!r}" if result.error else "",
        )  # fmt: skip
        return result

    # Housekeeping ------------------------------------------------------------------------

    def prune(self) -> int:
        """Delete stories older than the retention period; returns how many went."""
        now = self.clock()
        before = now - timedelta(days=self.settings.story_retention_days)
        with self.store.begin() as connection:
            removed = story_store.prune(connection, before)
            source_store.forget_host_holds(connection, now)
            source_store.trim_log(connection, self.settings.fetch_log_size)
        if removed:
            log.info("pruned %d stories first seen and published before %s", removed, before)
        return removed


def _state(outcome: _Outcome, started: datetime) -> dict[str, Any]:
    return {
        **outcome.state,
        "last_fetched_at": started,
        "last_status": outcome.status,
        "last_outcome": outcome.outcome,
    }


def _attempt(
    source: Source,
    outcome: _Outcome,
    changes: story_update.Changes,
    started: datetime,
    duration: float,
) -> dict[str, Any]:
    return {
        "source_id": source.id,
        "started_at": started,
        "url": source.url,
        "status": outcome.status,
        "outcome": outcome.outcome,
        "duration_ms": int(duration * 1000),
        "bytes": outcome.body_bytes,
        "new": len(changes.new_ids),
        "updated": len(changes.updated_ids),
        "error": outcome.error,
    }


def _stats(
    outcome: _Outcome, changes: story_update.Changes, duration: float
) -> dict[tuple[str, str], float]:
    bucket = next((str(b) for b in DURATION_BUCKETS if duration <= b), "+Inf")
    stats: dict[tuple[str, str], float] = defaultdict(float)
    stats.update(outcome.stats)
    stats[("fetches_total", f"outcome={outcome.outcome}")] += 1
    stats[("fetch_bytes_total", "")] += outcome.body_bytes
    stats[("fetch_duration_seconds_sum", "")] += duration
    stats[("fetch_duration_seconds_bucket", f"le={bucket}")] += 1
    if changes.new_ids:
        stats[("stories_new_total", "")] += len(changes.new_ids)
    if changes.updated_ids:
        stats[("stories_updated_total", "")] += len(changes.updated_ids)
    return dict(stats)


def _interleave_hosts(chosen: Sequence[Source]) -> list[Source]:
    """Round-robin over hosts, so that workers are not all queued on one partner's gate."""
    by_host: dict[str, list[Source]] = defaultdict(list)
    for source in chosen:
        by_host[_host(source.url)].append(source)
    queues = list(by_host.values())
    ordered: list[Source] = []
    while queues:
        ordered.extend(queue.pop(0) for queue in queues)
        queues = [queue for queue in queues if queue]
    return ordered
