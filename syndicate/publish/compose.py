"""Our articles as a ``FeedDocument``: titles, URLs, paging links, icons, in one place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import TypedDict

from syndicate.publish.model import FeedDocument, Generator, Item, Media, Paging, Person, Term
from syndicate.sanitizer import excerpt
from syndicate.store.articles import ALL_FEED
from syndicate.types import Article, Category
from syndicate.urls import absolute, article_url, category_url, feed_url

FORMATS = ("rss", "atom", "json")
LANGUAGE = "fr"
STYLESHEET_PATH = "/static/feed.xsl"
ICON_PATH = "/static/feed-icon.png"
LOGO_PATH = "/static/feed-logo.png"
EXCERPT_LENGTH = 300
USER_COMMENT = (
    "Ceci est un flux JSON Feed : copiez son adresse dans votre lecteur de flux (NetNewsWire, "
    "Feedly, Inoreader…) pour recevoir les nouveaux articles."
)


def _generator() -> Generator:
    try:
        release = package_version("syndicate")
    except PackageNotFoundError:  # running from a source tree that was never installed
        release = "0"
    return Generator(name="syndicate", version=release)


GENERATOR = _generator()


@dataclass(frozen=True)
class Site:
    """What every feed of this site shares (from the settings)."""

    base_url: str
    name: str
    max_age: int
    hub: str | None
    categories: Mapping[str, Category]

    def exists(self, feed: str) -> bool:
        return feed == ALL_FEED or feed in self.categories


def page_url(site: Site, feed: str, extension: str, page: int) -> str:
    url = feed_url(site.base_url, feed, extension)
    return url if page == 1 else f"{url}?page={page}"


class SiteFields(TypedDict):
    """What every feed document of the site carries alike (ours and the related ones)."""

    language: str
    author: Person
    generator: Generator
    ttl_minutes: int
    icon: str
    logo: str
    hub: str | None
    stylesheet: str


def site_fields(site: Site) -> SiteFields:
    base = site.base_url
    return {
        "language": LANGUAGE,
        "author": Person(name=site.name, url=base + "/"),
        "generator": GENERATOR,
        "ttl_minutes": max(1, -(-site.max_age // 60)),
        "icon": base + ICON_PATH,
        "logo": base + LOGO_PATH,
        "hub": site.hub,
        "stylesheet": base + STYLESHEET_PATH,
    }


def compose(
    site: Site,
    feed: str,
    extension: str,
    page: int,
    last_page: int,
    updated: datetime,
    articles: Sequence[Article],
) -> FeedDocument:
    """Page ``page`` (of ``last_page``) of ``feed`` in the format named by ``extension``."""
    base = site.base_url
    category = site.categories.get(feed)
    if category is None:
        title, subtitle = site.name, f"Toute l’actualité de {site.name}, toutes rubriques."
    else:
        title, subtitle = f"{category.title} — {site.name}", category.description

    def at(number: int) -> str:
        return page_url(site, feed, extension, number)

    return FeedDocument(
        id=feed_url(base, feed, "atom"),
        title=title,
        subtitle=subtitle,
        self_url=at(page),
        home_url=category_url(base, feed),
        updated=updated,
        paging=Paging(
            first=at(1),
            last=at(last_page),
            previous=at(page - 1) if page > 1 else None,
            next=at(page + 1) if page < last_page else None,
        ),
        user_comment=USER_COMMENT,
        items=tuple(article_item(site, article, updated) for article in articles),
        **site_fields(site),
    )


def article_item(site: Site, article: Article, feed_updated: datetime) -> Item:
    """``feed_updated`` bounds the item's: a time the newsroom set ahead is not shown as such."""
    base = site.base_url
    url = article_url(base, article.slug)
    author = None
    if article.author:
        author = Person(name=article.author.name, email=article.author.email or None)
    image = None
    if article.image:
        image = Media(
            url=absolute(base, article.image.url),
            type=article.image.type,
            length=article.image.length,
            description=article.image.alt,
        )
    return Item(
        id=url,
        url=url,
        title=article.title,
        summary=article.summary or summary_of(article.content_html),
        content_html=article.content_html,
        published=article.published_at,
        updated=min(max(article.updated_at, article.published_at), feed_updated),
        author=author,
        categories=tuple(
            term(base, slug, site.categories[slug].title)
            for slug in article.categories
            if slug in site.categories
        ),
        tags=article.tags,
        image=image,
        language=article.language,
    )


@lru_cache(maxsize=256)
def term(base_url: str, slug: str, title: str) -> Term:
    return Term(term=slug, label=title, scheme=category_url(base_url, slug))


def summary_of(content_html: str) -> str:
    """A plain-text summary for an item that has none of its own."""
    return excerpt(content_html, EXCERPT_LENGTH)
