"""Domain values: frozen dataclasses shared by every layer."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware UTC. Injected so tests need no sleeps."""


@dataclass(frozen=True)
class Category:
    slug: str
    title: str
    description: str


@dataclass(frozen=True)
class Author:
    name: str
    email: str | None = None


@dataclass(frozen=True)
class Image:
    url: str
    """Absolute http(s) URL, or a path on this site starting with ``/``."""
    type: str
    length: int
    alt: str = ""


class Status(enum.StrEnum):
    PUBLISHED = "published"
    DRAFT = "draft"


@dataclass(frozen=True)
class ArticleDraft:
    """What the newsroom sends: a validated, sanitised article not yet stored."""

    slug: str
    title: str
    summary: str
    content_html: str
    author: Author | None
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    language: str
    published_at: datetime
    updated_at: datetime
    image: Image | None
    status: Status


@dataclass(frozen=True)
class Article(ArticleDraft):
    id: int
    modified_at: datetime
    """When the stored row last changed (any field): drives feed validators."""

    def is_public(self, now: datetime) -> bool:
        return self.status is Status.PUBLISHED and self.published_at <= now

    def state(self, now: datetime) -> str:
        """``published`` (public now), ``scheduled`` (published, time to come) or ``draft``."""
        if self.is_public(now):
            return "published"
        return "draft" if self.status is Status.DRAFT else "scheduled"


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    page: int
    per_page: int
    total: int

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class SourceState:
    """A partner source's polling state (what the scheduler knows and operators see)."""

    last_fetched_at: datetime | None = None
    last_status: int | None = None
    """HTTP status of the last response; ``None`` when none came (network error, refused)."""
    last_outcome: str | None = None
    """``fetched``, ``not_modified``, ``unchanged``, ``failed``, ``gone``, ``delayed``."""
    last_error: str | None = None
    next_fetch_at: datetime | None = None
    error_count: int = 0
    paused_reason: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    min_interval: int = 0
    """Seconds the partner asks us to wait at least (``ttl``, ``max-age``, ``sy:updatePeriod``)."""
    item_hashes: tuple[str, ...] = ()
    """Hashes of the raw items of the last document: those items are not parsed again."""


@dataclass(frozen=True)
class Source:
    """A partner's feed URL mapped to one of our categories."""

    id: int
    url: str
    name: str
    category: str
    interval: int
    """Seconds between polls, as the operator set it."""
    enabled: bool
    origin: str
    """Where it was declared: ``cli``, ``api`` or ``opml``."""
    created_at: datetime
    state: SourceState
    site_url: str | None = None
    story_count: int = 0


@dataclass(frozen=True)
class StoryDraft:
    """One partner entry, sanitised and ready to store."""

    guid: str
    url: str | None
    title: str
    summary_html: str
    content_html: str
    author: str | None
    published_at: datetime
    updated_at: datetime
    image: Image | None
    rights: str | None
    language: str | None


@dataclass(frozen=True)
class Story(StoryDraft):
    id: int
    source_id: int
    first_seen_at: datetime
    modified_at: datetime
    """When the stored row last changed."""
    duplicate_of: int | None = None
    """Another partner's story with the same link, seen first."""


@dataclass(frozen=True)
class FetchAttempt:
    """One line of a source's fetch log."""

    id: int
    source_id: int
    started_at: datetime
    url: str
    status: int | None
    outcome: str
    duration_ms: int
    bytes: int
    new: int
    updated: int
    error: str | None


@dataclass(frozen=True)
class RelatedItem:
    """One entry of an article's "More Stories": our article or a partner's story."""

    kind: str
    """``article`` or ``story``."""
    title: str
    url: str
    """Absolute: our article's page, or the partner's page of the story."""
    source: str
    """Our site's name, or the partner's."""
    published_at: datetime
    score: float


@dataclass(frozen=True)
class RelatedStory:
    """A partner's story related to a category, with the source that credits it."""

    story: Story
    source_name: str
    source_url: str
    """The partner's feed URL."""
    source_site_url: str | None = None

    @property
    def title(self) -> str:
        return self.story.title

    @property
    def url(self) -> str:
        return self.story.url or ""

    @property
    def source(self) -> str:
        return self.source_name

    @property
    def published_at(self) -> datetime:
        return self.story.published_at

    @property
    def modified_at(self) -> datetime:
        return self.story.modified_at

    @property
    def image(self) -> Image | None:
        return self.story.image
