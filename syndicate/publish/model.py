"""What a feed says, independent of its format: the writers (RSS, Atom, JSON Feed) read this.

Every URL here is absolute and every time aware; the writers add nothing but syntax. Items are
our articles today; partner stories (related-stories feeds) fit the same shape, with ``source``
crediting the partner and ``rights`` keeping its licence.
"""

from __future__ import annotations

from collections.abc import Hashable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime

Fragments = MutableMapping[Hashable, bytes]
"""Rendered items by (format, ..., item) key, for writers to reuse: a dict, or a bounded cache."""


@dataclass(frozen=True)
class Term:
    """A category or tag. ``scheme`` (Atom) / ``domain`` (RSS) is the category's page."""

    term: str
    label: str | None = None
    scheme: str | None = None


@dataclass(frozen=True)
class Person:
    name: str
    email: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Media:
    """An image (or other file) shown with the item: enclosure, ``media:content``, attachment."""

    url: str
    type: str
    length: int
    description: str = ""


@dataclass(frozen=True)
class Credit:
    """Where a partner's story comes from: its site's name and feed."""

    name: str
    feed_url: str
    site_url: str | None = None


@dataclass(frozen=True)
class Item:
    id: str
    """Permanent and unique: the article's page URL (never changes with its title)."""
    url: str
    title: str
    summary: str
    """Plain text."""
    content_html: str | None
    published: datetime
    updated: datetime
    author: Person | None = None
    categories: tuple[Term, ...] = ()
    tags: tuple[str, ...] = ()
    image: Media | None = None
    language: str | None = None
    source: Credit | None = None
    rights: str | None = None


@dataclass(frozen=True)
class Paging:
    """RFC 5005 paged-feed links of one page (absolute URLs, ``None`` when there is none)."""

    first: str
    last: str
    previous: str | None = None
    next: str | None = None


@dataclass(frozen=True)
class Generator:
    name: str
    version: str
    uri: str | None = None


@dataclass(frozen=True)
class FeedDocument:
    """One page of one feed in one format (its ``self_url`` and paging links are per format)."""

    id: str
    """Stable across pages and formats' lifetimes: the feed's first-page Atom URL."""
    title: str
    subtitle: str
    language: str
    self_url: str
    home_url: str
    """The HTML page the feed mirrors."""
    updated: datetime
    """The newest change in the feed (never "now": unchanged feeds keep the same bytes)."""
    author: Person
    generator: Generator
    paging: Paging
    ttl_minutes: int
    icon: str | None = None
    logo: str | None = None
    hub: str | None = None
    stylesheet: str | None = None
    """XSLT that browsers apply to RSS and Atom (JSON Feed has ``user_comment`` instead)."""
    user_comment: str | None = None
    items: tuple[Item, ...] = field(default=())
