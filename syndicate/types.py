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


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    page: int
    per_page: int
    total: int

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.per_page))
