"""The article's JSON shape (SPEC.md), shared by the API, the CLI and PATCH merging."""

from __future__ import annotations

from typing import Any

from syndicate.dates import rfc3339
from syndicate.types import Article
from syndicate.urls import absolute, article_url


def article_json(article: Article, base_url: str) -> dict[str, Any]:
    image = None
    if article.image:
        image = {
            "url": absolute(base_url, article.image.url),
            "type": article.image.type,
            "length": article.image.length,
            "alt": article.image.alt,
        }
    author = None
    if article.author:
        author = {"name": article.author.name, "email": article.author.email}
    return {
        "slug": article.slug,
        "title": article.title,
        "summary": article.summary,
        "content_html": article.content_html,
        "author": author,
        "categories": list(article.categories),
        "tags": list(article.tags),
        "language": article.language,
        "status": article.status.value,
        "published_at": rfc3339(article.published_at),
        "updated_at": rfc3339(article.updated_at),
        "image": image,
        "url": article_url(base_url, article.slug),
    }


def writable_json(article: Article, base_url: str) -> dict[str, Any]:
    """The stored article as a request body, the base a PATCH is merged into."""
    body = article_json(article, base_url)
    del body["url"]
    if article.image:
        body["image"]["url"] = article.image.url
    return body
