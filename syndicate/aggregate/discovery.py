"""Feed autodiscovery: the ``<link rel="alternate">`` feeds a web page announces."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

FEED_TYPES = {
    "application/rss+xml": 0,
    "application/atom+xml": 0,
    "application/feed+json": 1,
    "application/json": 2,
    "application/rdf+xml": 2,
    "application/xml": 3,
    "text/xml": 3,
}


def looks_like_html(body: bytes, content_type: str) -> bool:
    if "html" in content_type.lower():
        return True
    start = body.lstrip()[:512].lower()
    return start.startswith((b"<!doctype html", b"<html")) or b"<html" in start


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[tuple[int, int, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "").strip() for name, value in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        if tag != "link":
            return
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in FEED_TYPES and values.get("href"):
            self.links.append(
                (FEED_TYPES[kind], len(self.links), values["href"], values.get("title", ""))
            )


def discover(body: bytes, page_url: str, encoding: str = "utf-8") -> list[str]:
    """Feed URLs the page links to, best first (RSS/Atom, then JSON Feed), http(s) only."""
    collector = _LinkCollector()
    collector.feed(body.decode(encoding, "replace"))
    collector.close()
    base = urljoin(page_url, collector.base) if collector.base else page_url
    found: list[str] = []
    for _rank, _position, href, _title in sorted(collector.links):
        url = urljoin(base, href)
        if urlsplit(url).scheme in {"http", "https"} and url not in found:
            found.append(url)
    return found
