"""Public URLs of the site, built from the configured base URL (never from the request)."""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit


def absolute(base_url: str, url: str) -> str:
    """``url`` as given if absolute, else joined to the site's base URL."""
    if url.startswith(("http://", "https://")):
        return url
    return base_url + "/" + url.lstrip("/")


def article_url(base_url: str, slug: str) -> str:
    return f"{base_url}/articles/{quote(slug)}"


def category_url(base_url: str, slug: str) -> str:
    return base_url + "/" if slug == "all" else f"{base_url}/categories/{quote(slug)}"


def feed_url(base_url: str, category: str, extension: str) -> str:
    return f"{base_url}/feeds/{quote(category)}.{extension}"


def related_feed_url(base_url: str, category: str, extension: str) -> str:
    return f"{base_url}/feeds/{quote(category)}/related.{extension}"


def http_url(value: str | None, base: str = "") -> str | None:
    """``value`` resolved against ``base`` if it is an http(s) URL with a host, else ``None``.

    For every link a partner hands us (feed links, OPML ``htmlUrl``): a ``javascript:`` or
    ``data:`` URL must never be stored, shown or exported."""
    if not value:
        return None
    resolved = urljoin(base, value.strip())
    parts = urlsplit(resolved)
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return resolved
