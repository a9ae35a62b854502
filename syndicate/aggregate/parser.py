"""Bytes in, a ``ParsedFeed`` out: the only module that imports feedparser.

feedparser gets bytes we fetched (never a URL or a path) with its own sanitiser off (we
sanitise once with nh3, in ``entries``) and relative-URI resolution off (we resolve against each
fragment's ``xml:base`` there too). Before it sees anything, the document prolog loses its DTD:
entity declarations (billion laughs, quadratic blow-up) and external entities (XXE) never reach
a parser. JSON Feed 1.0/1.1 is read here as well. Truncated, empty and non-feed documents raise
``FeedError`` so that nothing stored changes.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from syndicate.exceptions import FeedError
from syndicate.urls import http_url

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_SY_PERIODS = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 604800,
    "monthly": 2592000,
    "yearly": 31536000,
}
_FIRST_ELEMENT_RE = re.compile(rb"<([A-Za-z_][\w:.-]*)")
_XML_DECL_RE = re.compile(rb"<\?xml[^>]*\?>")
_TRAILING_COMMENT_RE = re.compile(rb"<!--(?:(?!<!--).)*?-->\s*\Z", re.DOTALL)
_CLOSING_TAG_RE = re.compile(rb"</\s*([A-Za-z_][\w:.-]*)\s*>\s*\Z")
_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Fragment:
    """A text construct of the feed: ``type`` is ``text/html`` or ``text/plain``."""

    value: str
    type: str = "text/html"
    base: str = ""

    @property
    def is_html(self) -> bool:
        return self.type in HTML_TYPES


@dataclass(frozen=True)
class Enclosure:
    url: str
    type: str
    length: int


@dataclass(frozen=True)
class ParsedEntry:
    guid: str | None
    link: str | None
    title: Fragment | None
    summary: Fragment | None
    content: Fragment | None
    author: str | None
    published: datetime | None
    updated: datetime | None
    images: tuple[Enclosure, ...] = ()
    rights: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    version: str
    title: str
    link: str | None
    language: str | None
    rights: str | None
    min_interval: int | None
    """Seconds the feed asks readers to wait (``ttl``, ``sy:updatePeriod``), if it says."""
    entries: tuple[ParsedEntry, ...] = field(default=())
    item_hashes: tuple[str, ...] = field(default=())
    """SHA-256 of each item's raw bytes (XML feeds that split cleanly), to skip them next time."""
    skipped: int = 0
    """Items left unparsed because their bytes were in ``known_items``."""


def strip_dtd(data: bytes) -> bytes:
    """The document without anything between the XML declaration and the first element.

    That prolog may hold a DOCTYPE with entity declarations; no feed needs them, and dropping
    them means no parser ever expands or fetches an entity.
    """
    match = _FIRST_ELEMENT_RE.search(data)
    if match is None:
        return data
    head = data[: match.start()]
    if b"<!" not in head:
        return data
    declaration = _XML_DECL_RE.search(head)
    prefix = _UTF8_BOM if head.startswith(_UTF8_BOM) else b""
    kept = declaration.group(0) + b"\n" if declaration else b""
    return prefix + kept + data[match.start() :]


def _root_name(data: bytes) -> bytes | None:
    match = _FIRST_ELEMENT_RE.search(data)
    return match.group(1) if match else None


def _is_complete(data: bytes) -> bool:
    """Whether an XML document ends with its root element's closing tag (not truncated)."""
    if data.startswith(_BOMS):
        return True  # UTF-16/32: leave it to the parser
    root = _root_name(data)
    tail = data[-4096:].rstrip()
    while True:
        trimmed = _TRAILING_COMMENT_RE.sub(b"", tail).rstrip()
        if trimmed == tail:
            break
        tail = trimmed
    closing = _CLOSING_TAG_RE.search(tail)
    if closing is not None:
        return closing.group(1) == root
    return tail.endswith(b"/>") and data.count(b"<" + (root or b"")) == 1


def _looks_like_json(body: bytes, content_type: str) -> bool:
    if "json" in content_type.lower():
        return True
    return body.lstrip(_UTF8_BOM + b" \t\r\n")[:1] == b"{"


def parse(
    body: bytes,
    url: str,
    *,
    content_type: str = "",
    max_entries: int = 500,
    known_items: frozenset[str] = frozenset(),
) -> ParsedFeed:
    """Parse a fetched body; ``url`` is where it came from (the base of relative links).

    Items whose raw bytes hash to one of ``known_items`` (the items of the last document) are
    not parsed again: only the channel and the new or changed items go through feedparser.
    """
    if not body.strip():
        raise FeedError("empty response: no feed in it")
    if _looks_like_json(body, content_type):
        return _parse_json(body, url, max_entries)
    return _parse_xml(body, url, content_type, max_entries, known_items)


_ITEM_RES = {
    tag: re.compile(rb"<" + tag + rb"[\s>].*?</" + tag + rb"\s*>", re.DOTALL)
    for tag in (b"item", b"entry")
}
_ID_RES = {
    b"item": re.compile(rb"<guid[^>]*>(.*?)</guid\s*>", re.DOTALL),
    b"entry": re.compile(rb"<id>(.*?)</id\s*>", re.DOTALL),
}
_GAP_RE = re.compile(rb"(?:\s|<!--(?:(?!-->).)*-->)*", re.DOTALL)


def _balanced(chunk: bytes) -> bool:
    return chunk.count(b"<![CDATA[") == chunk.count(b"]]>") and chunk.count(b"<!--") == chunk.count(
        b"-->"
    )


def split_items(data: bytes) -> tuple[bytes, list[bytes], bytes] | None:
    """The document as (head, items, tail), or ``None`` unless it splits without doubt: ASCII-
    compatible bytes, plain ``<item>``/``<entry>`` elements separated by nothing but blanks and
    comments, no CDATA or comment straddling a boundary, and a distinct guid/id on every item
    (identity within the document then never depends on the other items)."""
    if data.startswith(_BOMS):
        return None
    tag, matches = b"", []
    for candidate, pattern in _ITEM_RES.items():
        tag, matches = candidate, list(pattern.finditer(data))
        if matches:
            break
    if not matches:
        return None
    head, tail = data[: matches[0].start()], data[matches[-1].end() :]
    if not (_balanced(head) and _balanced(tail)):
        return None
    items: list[bytes] = []
    ids: set[bytes] = set()
    for index, match in enumerate(matches):
        chunk = match.group(0)
        opening = b"<" + tag
        if chunk.count(opening + b">") + chunk.count(opening + b" ") + chunk.count(
            opening + b"\n"
        ) != 1 or not _balanced(chunk):
            return None
        if index and not _GAP_RE.fullmatch(data, matches[index - 1].end(), match.start()):
            return None
        found = _ID_RES[tag].search(chunk)
        if found is None or found.group(1).strip() in ids:
            return None
        ids.add(found.group(1).strip())
        items.append(chunk)
    return head, items, tail


# XML (RSS 0.9x/1.0/2.0, Atom 0.3/1.0) through feedparser ------------------------------------


def _struct_time(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _fragment(detail: Any, fallback_base: str) -> Fragment | None:
    if not isinstance(detail, Mapping):
        return None
    value = detail.get("value")
    if not isinstance(value, str) or not value.strip():
        return None
    kind = str(detail.get("type") or "text/html").lower()
    return Fragment(value, "text/html" if kind in HTML_TYPES else "text/plain",
                    str(detail.get("base") or fallback_base))  # fmt: skip


def _best_content(entry: Mapping[str, Any], base: str) -> Fragment | None:
    contents = [c for c in (_fragment(d, base) for d in entry.get("content") or []) if c]
    for content in contents:
        if content.is_html:
            return content
    return contents[0] if contents else None


def _int(value: Any) -> int:
    try:
        return max(0, int(str(value).strip()))
    except (TypeError, ValueError):
        return 0


def _images(entry: Mapping[str, Any]) -> tuple[Enclosure, ...]:
    found: list[Enclosure] = []
    for media in entry.get("media_content") or []:
        kind = str(media.get("type") or "")
        if media.get("url") and (kind.startswith("image/") or media.get("medium") == "image"):
            found.append(
                Enclosure(str(media["url"]), kind or "image/jpeg", _int(media.get("filesize")))
            )
    for link in entry.get("links") or []:
        kind = str(link.get("type") or "")
        if link.get("rel") == "enclosure" and kind.startswith("image/") and link.get("href"):
            found.append(Enclosure(str(link["href"]), kind, _int(link.get("length"))))
    for thumbnail in entry.get("media_thumbnail") or []:
        if thumbnail.get("url"):
            found.append(Enclosure(str(thumbnail["url"]), "image/jpeg", 0))
    return tuple(found)


def _author(entry: Mapping[str, Any]) -> str | None:
    detail = entry.get("author_detail")
    if isinstance(detail, Mapping) and detail.get("name"):
        return str(detail["name"])
    value = entry.get("author")
    return str(value) if value else None


def _min_interval(feed: Mapping[str, Any]) -> int | None:
    hints: list[int] = []
    ttl = str(feed.get("ttl") or "").strip()
    if ttl.isdigit():
        hints.append(int(ttl) * 60)
    period = _SY_PERIODS.get(str(feed.get("sy_updateperiod") or "").strip().lower())
    if period:
        frequency = _int(feed.get("sy_updatefrequency")) or 1
        hints.append(period // frequency)
    return max(hints) if hints else None


def _own(entry: Mapping[str, Any], key: str) -> Any:
    """``entry[key]`` if really there: feedparser's ``get`` maps one date onto the other."""
    return dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)


def _xml_entry(entry: Mapping[str, Any], base: str) -> ParsedEntry:
    link = entry.get("link")
    guid = entry.get("id")
    return ParsedEntry(
        guid=str(guid).strip() or None if guid else None,
        link=str(link).strip() or None if link else None,
        title=_fragment(entry.get("title_detail"), base),
        summary=_fragment(entry.get("summary_detail"), base),
        content=_best_content(entry, base),
        author=_author(entry),
        published=_struct_time(_own(entry, "published_parsed")),
        updated=_struct_time(_own(entry, "updated_parsed")),
        images=_images(entry),
        rights=str(entry["rights"]) if entry.get("rights") else None,
    )


def _parse_xml(
    body: bytes, url: str, content_type: str, max_entries: int, known_items: frozenset[str]
) -> ParsedFeed:
    data = strip_dtd(body)
    if _root_name(data) is None:
        raise FeedError("not a feed: no XML element in the response")
    if not _is_complete(data):
        raise FeedError("truncated document: the root element is never closed")
    hashes: tuple[str, ...] = ()
    skipped = 0
    parts = split_items(data)
    if parts is not None:
        head, items, tail = parts
        items = items[:max_entries]
        hashes = tuple(hashlib.sha256(item).hexdigest() for item in items)
        fresh = [
            item for item, digest in zip(items, hashes, strict=True) if digest not in known_items
        ]
        skipped = len(items) - len(fresh)
        if skipped:
            data = head + b"\n".join(fresh) + tail
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    try:
        result = feedparser.parse(
            data, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
        )
    except Exception as exc:  # feedparser's own bugs must not stop a pass
        raise FeedError(f"the feed parser failed: {type(exc).__name__}: {exc}") from exc
    version = str(result.get("version") or "")
    if not version:
        root = (_root_name(data) or b"").decode("ascii", "replace")
        kind = "an HTML page" if root.lower() in {"html", "!doctype"} else f"a <{root}> document"
        raise FeedError(f"not a feed: {kind}")
    feed = result.get("feed") or {}
    entries = tuple(_xml_entry(e, url) for e in (result.get("entries") or [])[:max_entries])
    return ParsedFeed(
        version=version,
        title=str(feed.get("title") or ""),
        link=http_url(str(feed["link"]), url) if feed.get("link") else None,
        language=str(feed["language"]) if feed.get("language") else None,
        rights=str(feed["rights"]) if feed.get("rights") else None,
        min_interval=_min_interval(feed),
        entries=entries,
        item_hashes=hashes,
        skipped=skipped,
    )


# JSON Feed 1.0 / 1.1 --------------------------------------------------------------------------


def _rfc3339(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _json_author(item: Mapping[str, Any], feed: Mapping[str, Any]) -> str | None:
    for holder in (item, feed):
        authors = holder.get("authors")
        if isinstance(authors, Sequence) and authors and isinstance(authors[0], Mapping):
            name = _text(authors[0].get("name"))
            if name:
                return name
        author = holder.get("author")
        if isinstance(author, Mapping) and _text(author.get("name")):
            return _text(author.get("name"))
    return None


def _json_entry(item: Mapping[str, Any], feed: Mapping[str, Any], url: str) -> ParsedEntry:
    raw_id = item.get("id")
    guid = str(raw_id).strip() if isinstance(raw_id, str | int) and str(raw_id).strip() else None
    content: Fragment | None = None
    if _text(item.get("content_html")):
        content = Fragment(str(item["content_html"]), "text/html", url)
    elif _text(item.get("content_text")):
        content = Fragment(str(item["content_text"]), "text/plain", url)
    summary = _text(item.get("summary"))
    title = _text(item.get("title"))
    images = tuple(
        Enclosure(str(item[key]), "image/jpeg", 0)
        for key in ("image", "banner_image")
        if _text(item.get(key))
    )
    return ParsedEntry(
        guid=guid,
        link=_text(item.get("url")) or _text(item.get("external_url")),
        title=Fragment(title, "text/plain", url) if title else None,
        summary=Fragment(summary, "text/plain", url) if summary else None,
        content=content,
        author=_json_author(item, feed),
        published=_rfc3339(item.get("date_published")),
        updated=_rfc3339(item.get("date_modified")),
        images=images,
    )


def _parse_json(body: bytes, url: str, max_entries: int) -> ParsedFeed:
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FeedError(f"JSON Feed not in UTF-8 (byte {exc.start})") from exc
    except (json.JSONDecodeError, RecursionError) as exc:
        raise FeedError(f"not a feed: malformed or truncated JSON ({exc})") from exc
    if not isinstance(document, Mapping):
        raise FeedError("not a feed: JSON that is not a JSON Feed object")
    version = str(document.get("version") or "")
    items = document.get("items")
    if not version.startswith("https://jsonfeed.org/version/") or not isinstance(items, list):
        raise FeedError("not a feed: JSON without a JSON Feed version and items")
    entries = tuple(
        _json_entry(item, document, url)
        for item in items[:max_entries]
        if isinstance(item, Mapping)
    )
    return ParsedFeed(
        version="json" + version.rsplit("/", 1)[-1].replace(".", ""),
        title=_text(document.get("title")) or "",
        link=http_url(_text(document.get("home_page_url")), url),
        language=_text(document.get("language")),
        rights=None,
        min_interval=None,
        entries=entries,
    )
