"""Parsed entries -> sanitised ``StoryDraft``s with their dedup keys and content hashes.

Pure functions over values: no I/O. Dates stay optional here; ``update`` fills in the first-seen
time for a story without one, and clamps dates in the future.
"""

from __future__ import annotations

import hashlib
import html
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from syndicate.aggregate.parser import Fragment, ParsedEntry, ParsedFeed
from syndicate.sanitizer import excerpt, plain_text, sanitize_html, strip_xml_invalid
from syndicate.types import Image
from syndicate.urls import http_url

TITLE_LIMIT = 500
SUMMARY_CHARS = 400
UNTITLED = "(sans titre)"
_TRACKING_PREFIXES = ("utm_", "fbclid", "gclid", "xtor", "at_")


@dataclass(frozen=True)
class Entry:
    """One entry ready to store: sanitised fields, dates as the partner gave them."""

    dedup_key: str
    """SHA-256 of the identity chosen for this entry within its feed (guid, link or content)."""
    link_key: str | None
    """SHA-256 of the normalised link: the same story at several partners."""
    content_hash: str
    """SHA-256 of what a reader sees (dates excluded): a change here is a partner edit."""
    guid: str
    url: str | None
    title: str
    summary_html: str
    content_html: str
    author: str | None
    published: datetime | None
    updated: datetime | None
    image: Image | None
    rights: str | None
    language: str | None


def _sha(*parts: str | None) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part or "").encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def _http_url(value: str | None, base: str) -> str | None:
    return http_url(strip_xml_invalid(value), base) if value else None


def normalised_link(url: str) -> str:
    """``url`` without fragment, tracking parameters, default port or trailing slash."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not (
        (parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)
    ):
        host = f"{host}:{port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
         if not k.lower().startswith(_TRACKING_PREFIXES)]
    )  # fmt: skip
    return urlunsplit(("", host, parts.path.rstrip("/") or "/", query, ""))


def _html(fragment: Fragment | None) -> str:
    if fragment is None:
        return ""
    if fragment.is_html:
        return sanitize_html(fragment.value, fragment.base)
    paragraphs = [p.strip() for p in strip_xml_invalid(fragment.value).split("\n\n") if p.strip()]
    return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)


def _excerpt(content_html: str) -> str:
    text = excerpt(content_html, SUMMARY_CHARS)
    return f"<p>{html.escape(text, quote=False)}</p>" if text else ""


def _title(entry: ParsedEntry, summary_html: str, url: str | None) -> str:
    title = ""
    if entry.title is not None:
        # Markup is dropped even from titles typed as plain text: RSS titles often carry
        # escaped HTML, and a title is text wherever it is shown.
        title = plain_text(entry.title.value)
    if not title:
        title = plain_text(summary_html)[:120] or (url or "") or UNTITLED
    return title[:TITLE_LIMIT]


def _image(entry: ParsedEntry, base: str) -> Image | None:
    for candidate in entry.images:
        url = _http_url(candidate.url, base)
        if url:
            kind = candidate.type if candidate.type.startswith("image/") else "image/jpeg"
            return Image(url=url, type=kind[:100], length=candidate.length)
    return None


def _identity(entry: ParsedEntry, guids: Counter[str], links: Counter[str]) -> str:
    """guid if unique in the document, else the link if unique, else the content."""
    if entry.guid and guids[entry.guid] == 1:
        return "guid:" + entry.guid
    if entry.link and links[entry.link] == 1:
        return "link:" + entry.link
    parts = (entry.title, entry.summary, entry.content)
    return "content:" + _sha(entry.guid, entry.link, *(p.value if p else "" for p in parts))


def prepare(feed: ParsedFeed, feed_url: str) -> list[Entry]:
    """The feed's entries as ``Entry`` values, duplicates within the document dropped."""
    guids = Counter(e.guid for e in feed.entries if e.guid)
    links = Counter(e.link for e in feed.entries if e.link)
    seen: set[str] = set()
    prepared: list[Entry] = []
    for entry in feed.entries:
        dedup_key = _sha(_identity(entry, guids, links))
        if dedup_key in seen:
            continue
        seen.add(dedup_key)
        base = (entry.content or entry.summary or entry.title or Fragment("", base=feed_url)).base
        url = _http_url(entry.link, base or feed_url)
        content_html = _html(entry.content)
        summary_html = _html(entry.summary) if entry.summary else _excerpt(content_html)
        if entry.summary and entry.content and summary_html == content_html:
            summary_html = _excerpt(content_html)
        title = _title(entry, summary_html or content_html, url)
        author = plain_text(entry.author)[:200] or None if entry.author else None
        rights = entry.rights or feed.rights
        rights = plain_text(rights)[:500] or None if rights else None
        image = _image(entry, base or feed_url)
        guid = (entry.guid or url or "")[:2000] or "urn:sha256:" + dedup_key
        content_hash = _sha(
            title, url, summary_html, content_html, author, rights,
            image.url if image else None,
        )  # fmt: skip
        prepared.append(
            Entry(
                dedup_key=dedup_key,
                link_key=_sha(normalised_link(url)) if url else None,
                content_hash=content_hash,
                guid=guid,
                url=url,
                title=title,
                summary_html=summary_html,
                content_html=content_html,
                author=author,
                published=entry.published or entry.updated,
                updated=entry.updated,
                image=image,
                rights=rights,
                language=(feed.language or "")[:35] or None,
            )
        )
    return prepared
