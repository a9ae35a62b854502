"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1) from a ``FeedDocument``.

RFC 5005 paging has one field here: ``next_url``. Categories become ``tags`` (their labels) with
the article's own tags; the image is both ``image`` and an attachment with its type and size.
A partner's story credits its source in ``_source`` ({name, url}) and ``_syndicate.source``
(extensions start with ``_``).
"""

from __future__ import annotations

import json
from typing import Any

from syndicate.dates import rfc3339
from syndicate.publish.model import FeedDocument, Fragments, Item

VERSION = "https://jsonfeed.org/version/1.1"


def render_json(document: FeedDocument, fragments: Fragments | None = None) -> bytes:
    """The feed; each item's bytes are kept in ``fragments`` (see ``feedgen_adapter``)."""
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": document.title,
        "home_page_url": document.home_url,
        "feed_url": document.self_url,
        "description": document.subtitle,
    }
    if document.user_comment:
        feed["user_comment"] = document.user_comment
    if document.paging.next:
        feed["next_url"] = document.paging.next
    if document.icon:
        feed["icon"] = document.icon
        feed["favicon"] = document.icon
    feed["authors"] = [_person(document.author.name, document.author.url)]
    feed["language"] = document.language
    if document.hub:
        feed["hubs"] = [{"type": "WebSub", "url": document.hub}]
    cache: Fragments = {} if fragments is None else fragments
    items = []
    for item in document.items:
        key = ("json", item)
        fragment = cache.get(key)
        if fragment is None:
            fragment = cache[key] = _dumps(_item(item))
        items.append(fragment)
    head = _dumps(feed)
    return b"".join((head[:-1], b',"items":[', b",".join(items), b"]}"))


def _dumps(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _person(name: str, url: str | None) -> dict[str, str]:
    person = {"name": name}
    if url:
        person["url"] = url
    return person


def _item(item: Item) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": item.id, "url": item.url, "title": item.title}
    if item.content_html:
        entry["content_html"] = item.content_html
    else:
        entry["content_text"] = item.summary
    if item.summary:
        entry["summary"] = item.summary
    if item.image:
        entry["image"] = item.image.url
    entry["date_published"] = rfc3339(item.published)
    entry["date_modified"] = rfc3339(item.updated)
    if item.author:
        entry["authors"] = [_person(item.author.name, item.author.url)]
    tags = [term.label or term.term for term in item.categories]
    tags += [tag for tag in item.tags if tag not in tags]
    if tags:
        entry["tags"] = tags
    if item.language:
        entry["language"] = item.language
    if item.image:
        attachment: dict[str, Any] = {
            "url": item.image.url,
            "mime_type": item.image.type,
            "size_in_bytes": item.image.length,
        }
        if item.image.description:
            attachment["title"] = item.image.description
        entry["attachments"] = [attachment]
    if item.source or item.rights:
        extension: dict[str, Any] = {}
        if item.source:
            extension["source"] = {"name": item.source.name, "feed_url": item.source.feed_url}
            if item.source.site_url:
                extension["source"]["home_page_url"] = item.source.site_url
        if item.rights:
            extension["rights"] = item.rights
        entry["_syndicate"] = extension
    if item.source:
        # What embed.js and other readers of related feeds look for: who published it, where.
        entry["_source"] = {
            "name": item.source.name,
            "url": item.source.site_url or item.source.feed_url,
        }
    return entry
