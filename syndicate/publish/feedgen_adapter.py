"""RSS 2.0 and Atom 1.0 from a ``FeedDocument``, through feedgen 1.0.0: the only feedgen import.

feedgen builds most of each document; this module keeps it away from its known traps and writes
what it cannot, on the lxml tree feedgen built, before serialising it once. Each trap has its
test in ``tests/test_publish_feedgen_adapter.py``:

1. ``content(type="CDATA")`` writes ``type="CDATA"`` into Atom: content is always given as
   ``type="html"`` (escaped text, valid in both formats).
2. ``atom_entry()`` drops ``rel``/``type``/``length`` from entry links (an enclosure would become
   a second alternate link): feedgen gets the page link only; its attributes, the enclosure
   link and ``atom:source`` are written here.
3. the media extension wraps ``media:content`` in a ``media:group``: it is not used;
   ``media:content`` is written here, a direct child of the item.
4. the RSS channel ``<link>`` is whichever link was added last: set here to the HTML page.
5. ``add_entry()`` prepends: entries are appended, in the document's order.
6. naive datetimes raise: every time is made aware (naive means UTC) first.
7. RSS dates go through ``locale.setlocale``, process-global and not thread-safe: feedgen is
   given no RSS date (its default ``lastBuildDate`` of "now" is disarmed) and RSS dates are
   written here with ``email.utils``, which needs no locale.
8. no hub (nor paging) ``atom:link`` in RSS: written here.
9. no JSON Feed: see ``jsonfeed.py``.
10. ``description(html)`` alone becomes an Atom ``<content>`` with no type (readers show the
    markup as text): ``summary()`` and ``content(type="html")`` are used, never ``description()``.

Also avoided: the syndication extension, which writes ``sy:UpdatePeriod`` (wrong case) and a
literal ``None`` frequency; ``sy:updatePeriod``/``sy:updateFrequency`` are written here.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from feedgen.feed import FeedGenerator
from lxml import etree

from syndicate.publish.model import FeedDocument, Item

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
MEDIA_NS = "http://search.yahoo.com/mrss/"
SY_NS = "http://purl.org/rss/1.0/modules/syndication/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RSS_NSMAP = {"atom": ATOM_NS, "content": CONTENT_NS, "dc": DC_NS, "media": MEDIA_NS, "sy": SY_NS}
ATOM_NSMAP = {"media": MEDIA_NS}
RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"

_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


class _NotADate(datetime):
    """A date feedgen's RSS writer skips: it tests truthiness before calling its
    ``setlocale``-based formatter (trap 7). Only ever handed to feedgen."""

    def __bool__(self) -> bool:
        return False


_NO_DATE = _NotADate(1970, 1, 1, tzinfo=UTC)


def aware(moment: datetime) -> datetime:
    """In UTC; a naive time is taken as UTC (trap 6)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def rfc822(moment: datetime) -> str:
    """``Sun, 29 Nov 2026 12:00:00 GMT``, whatever the process locale."""
    return format_datetime(aware(moment), usegmt=True)


def render_rss(document: FeedDocument) -> bytes:
    generator = _common(document)
    generator.description(document.subtitle)
    generator.ttl(document.ttl_minutes)
    generator.lastBuildDate(_NO_DATE)
    generator.link(href=document.self_url, rel="self", type=RSS_TYPE)
    generator.link(href=document.home_url, rel="alternate", type="text/html")
    if document.logo:
        generator.image(url=document.logo, title=document.title, link=document.home_url)
    for item in document.items:
        _rss_entry(generator.add_entry(order="append"), item)

    root = _tree(generator, "rss")
    channel = root.find("channel")
    assert channel is not None
    _fix_rss_channel(channel, document)
    for element, item in zip(channel.iterfind("item"), document.items, strict=True):
        _fix_rss_item(element, item)
    return _serialise(root, document, RSS_NSMAP)


def render_atom(document: FeedDocument) -> bytes:
    generator = _common(document)
    generator.id(document.id)
    if document.subtitle:
        generator.subtitle(document.subtitle)
    generator.updated(aware(document.updated))
    generator.author(name=document.author.name)
    generator.link(href=document.self_url, rel="self", type=ATOM_TYPE)
    generator.link(href=document.home_url, rel="alternate", type="text/html")
    for rel, href in _extra_links(document):
        generator.link(href=href, rel=rel)
    if document.icon:
        generator.icon(document.icon)
    if document.logo:
        generator.logo(document.logo)
    for item in document.items:
        _atom_entry(generator.add_entry(order="append"), item)

    root = _tree(generator, "atom")
    # feedgen's tree spells the Atom namespace as a plain ``xmlns`` attribute, so its elements
    # have no namespace in lxml (a parsed document's would): match whichever it is.
    atom = _Names(etree.QName(root).namespace)
    for element, item in zip(root.iterfind(atom("entry")), document.items, strict=True):
        _fix_atom_entry(element, item, document.language, atom)
    return _serialise(root, document, ATOM_NSMAP)


class _Names:
    def __init__(self, namespace: str | None) -> None:
        self.prefix = f"{{{namespace}}}" if namespace else ""

    def __call__(self, tag: str) -> str:
        return self.prefix + tag


# Both formats ---------------------------------------------------------------------------------


def _common(document: FeedDocument) -> Any:
    generator = FeedGenerator()
    generator.title(document.title)
    generator.language(document.language)
    generator.generator(
        document.generator.name, version=document.generator.version, uri=document.generator.uri
    )
    return generator


def _extra_links(document: FeedDocument) -> list[tuple[str, str]]:
    """Hub and RFC 5005 paging links, in a fixed order."""
    paging = document.paging
    links = [("hub", document.hub)] if document.hub else []
    links.append(("first", paging.first))
    if paging.previous:
        links.append(("previous", paging.previous))
    if paging.next:
        links.append(("next", paging.next))
    links.append(("last", paging.last))
    return links


def _tree(generator: Any, kind: str) -> Any:
    """The lxml root feedgen builds; ``rss_str``/``atom_str`` would serialise the same tree.
    Reusing it saves a serialise-and-parse round trip; the public path stays as a fallback."""
    build: Callable[[], tuple[Any, Any]] | None = getattr(generator, f"_create_{kind}", None)
    if build is not None:
        root, _ = build()
        return root
    text = generator.rss_str() if kind == "rss" else generator.atom_str()
    return etree.fromstring(text, _SAFE_PARSER)


def _serialise(root: Any, document: FeedDocument, nsmap: dict[str, str]) -> bytes:
    etree.cleanup_namespaces(root, top_nsmap=nsmap)
    if document.stylesheet:
        # A browser shows this page instead of raw XML; feed readers ignore it.
        instruction = etree.ProcessingInstruction(
            "xml-stylesheet", f'type="text/xsl" href="{html.escape(document.stylesheet)}"'
        )
        root.addprevious(instruction)
    result: bytes = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True)
    return result


def _sub(parent: Any, tag: str, text: str | None = None, **attributes: str) -> Any:
    element = etree.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _media_content(parent: Any, item: Item) -> None:
    if item.image is None:
        return
    media = _sub(
        parent,
        f"{{{MEDIA_NS}}}content",
        url=item.image.url,
        type=item.image.type,
        fileSize=str(item.image.length),
        medium="image",
    )
    if item.image.description:
        _sub(media, f"{{{MEDIA_NS}}}description", item.image.description, type="plain")


# RSS ------------------------------------------------------------------------------------------


def _rss_entry(entry: Any, item: Item) -> None:
    entry.guid(item.id, permalink=item.id == item.url)
    entry.title(item.title)
    entry.link(href=item.url)
    # RSS readers take <description> as HTML: the plain-text summary is escaped once more.
    entry.summary(html.escape(item.summary, quote=False))
    if item.content_html:
        entry.content(item.content_html, type="html")
    if item.author and item.author.email:
        entry.author(name=item.author.name, email=item.author.email)
    for term in item.categories:
        entry.category(term=term.term, label=term.label or term.term, scheme=term.scheme)
    for tag in item.tags:
        entry.category(term=tag)
    if item.image:
        entry.enclosure(url=item.image.url, length=str(item.image.length), type=item.image.type)
    if item.source:
        entry.source(url=item.source.feed_url, title=item.source.name)


def _fix_rss_channel(channel: Any, document: FeedDocument) -> None:
    link = channel.find("link")
    assert link is not None
    link.text = document.home_url
    anchor = channel.find(f"{{{ATOM_NS}}}link")  # rel="self", the one feedgen writes
    assert anchor is not None
    for rel, href in _extra_links(document):
        added = etree.Element(f"{{{ATOM_NS}}}link", href=href, rel=rel)
        anchor.addnext(added)
        anchor = added
    # Channel elements go before the first item (validators flag them after).
    first_item = channel.find("item")
    for tag, text in (
        ("lastBuildDate", rfc822(document.updated)),
        (f"{{{SY_NS}}}updatePeriod", "hourly"),
        (f"{{{SY_NS}}}updateFrequency", str(max(1, 60 // document.ttl_minutes))),
    ):
        element = etree.Element(tag)
        element.text = text
        if first_item is None:
            channel.append(element)
        else:
            first_item.addprevious(element)


def _fix_rss_item(element: Any, item: Item) -> None:
    _sub(element, "pubDate", rfc822(item.published))
    if item.author and not item.author.email:
        # RSS <author> must be an e-mail address; a name alone goes in dc:creator (never both).
        _sub(element, f"{{{DC_NS}}}creator", item.author.name)
    if item.rights:
        _sub(element, f"{{{DC_NS}}}rights", item.rights)
    _media_content(element, item)


# Atom -----------------------------------------------------------------------------------------


def _atom_entry(entry: Any, item: Item) -> None:
    entry.id(item.id)
    entry.title(item.title)
    entry.published(aware(item.published))
    entry.updated(aware(item.updated))
    entry.link(href=item.url)
    if item.summary:
        entry.summary(item.summary)
    if item.content_html:
        entry.content(item.content_html, type="html")
    if item.author:
        entry.author(name=item.author.name, email=item.author.email or None, uri=item.author.url)
    for term in item.categories:
        entry.category(term=term.term, label=term.label, scheme=term.scheme)
    for tag in item.tags:
        entry.category(term=tag)
    if item.rights:
        entry.rights(item.rights)


def _fix_atom_entry(element: Any, item: Item, feed_language: str, atom: _Names) -> None:
    link = element.find(atom("link"))
    assert link is not None
    link.set("rel", "alternate")
    link.set("type", "text/html")
    if item.image:
        enclosure = etree.Element(
            atom("link"),
            rel="enclosure",
            href=item.image.url,
            type=item.image.type,
            length=str(item.image.length),
        )
        link.addnext(enclosure)
    if item.language and item.language != feed_language:
        element.set(XML_LANG, item.language)
    if item.source:
        source = _sub(element, atom("source"))
        _sub(source, atom("id"), item.source.feed_url)
        _sub(source, atom("title"), item.source.name)
        _sub(source, atom("link"), rel="self", href=item.source.feed_url)
        if item.source.site_url:
            _sub(source, atom("link"), rel="alternate", href=item.source.site_url)
    _media_content(element, item)
