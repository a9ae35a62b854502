"""RSS 2.0 and Atom 1.0 from a ``FeedDocument``, through feedgen 1.0.0: the only feedgen import.

feedgen builds each document's head (``FeedGenerator`` with no entries) and each entry
(``FeedEntry.rss_entry()``/``atom_entry()``), as lxml trees; this module keeps it away from
its known traps, writes what it cannot, serialises, and joins head and entries. An entry's
bytes depend on nothing but the entry, so they are kept in ``fragments`` (any mapping the
caller provides): after a publish, only the new or changed entries are rendered again.

Each trap has its test in ``tests/test_publish_feedgen_adapter.py``:

1. ``content(type="CDATA")`` writes ``type="CDATA"`` into Atom: content is always given as
   ``type="html"`` (escaped text, valid in both formats).
2. ``atom_entry()`` drops ``rel``/``type``/``length`` from entry links (an enclosure would become
   a second alternate link): feedgen gets the page link only; its attributes, the enclosure
   link and ``atom:source`` are written here.
3. the media extension wraps ``media:content`` in a ``media:group``: it is not used;
   ``media:content`` is written here, a direct child of the item.
4. the RSS channel ``<link>`` is whichever link was added last: set here to the HTML page.
5. ``add_entry()`` prepends unless told otherwise: entries are joined here, in the
   document's order.
6. naive datetimes raise: every time is made aware (naive means UTC) first.
7. RSS dates go through ``locale.setlocale``, process-global and not thread-safe: feedgen is
   given no RSS date (its default ``lastBuildDate`` of "now" is disarmed) and RSS dates are
   written here, in English whatever the locale.
8. no hub (nor paging) ``atom:link`` in RSS: written here.
9. no JSON Feed: see ``jsonfeed.py``.
10. ``description(html)`` alone becomes an Atom ``<content>`` with no type (readers show the
    markup as text): ``summary()`` and ``content(type="html")`` are used, never ``description()``.

Also avoided: the syndication extension, which writes ``sy:UpdatePeriod`` (wrong case) and a
literal ``None`` frequency (``sy:updatePeriod``/``sy:updateFrequency`` are written here); and
feedgen's entry setters for authors, categories and enclosures, each call of which re-validates
every value of its kind the entry holds: those are written here, straight into the tree.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml import etree

from syndicate.publish.model import FeedDocument, Fragments, Item

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
# Namespace declarations lxml repeats on an entry serialised alone (its head declares them).
_DECLARATIONS_RE = re.compile(rb' xmlns(?::\w+)?="[^"]*"')


class _NotADate(datetime):
    """A date feedgen's RSS writer skips: it tests truthiness before calling its
    ``setlocale``-based formatter (trap 7). Only ever handed to feedgen."""

    def __bool__(self) -> bool:
        return False


_NO_DATE = _NotADate(1970, 1, 1, tzinfo=UTC)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def aware(moment: datetime) -> datetime:
    """In UTC; a naive time is taken as UTC (trap 6)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def rfc822(moment: datetime) -> str:
    """``Sun, 29 Nov 2026 12:00:00 GMT`` (RFC 822 as RSS wants it), whatever the locale."""
    t = aware(moment)
    return (
        f"{_DAYS[t.weekday()]}, {t.day:02d} {_MONTHS[t.month - 1]} {t.year:04d} "
        f"{t.hour:02d}:{t.minute:02d}:{t.second:02d} GMT"
    )


def render_rss(document: FeedDocument, fragments: Fragments | None = None) -> bytes:
    generator = _common(document)
    generator.description(document.subtitle)
    generator.ttl(document.ttl_minutes)
    generator.lastBuildDate(_NO_DATE)
    generator.link(href=document.self_url, rel="self", type=RSS_TYPE)
    generator.link(href=document.home_url, rel="alternate", type="text/html")
    if document.logo:
        generator.image(url=document.logo, title=document.title, link=document.home_url)
    root = _tree(generator, "rss")
    channel = root.find("channel")
    assert channel is not None
    _fix_rss_channel(channel, document)
    head = _serialise(root, document, RSS_NSMAP)
    return _join(head, b"</channel>", document, fragments, ("rss",), _rss_item)


def render_atom(document: FeedDocument, fragments: Fragments | None = None) -> bytes:
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
    head = _serialise(_tree(generator, "atom"), document, ATOM_NSMAP)
    language = document.language
    return _join(
        head,
        b"</feed>",
        document,
        fragments,
        ("atom", language),
        lambda item: _atom_item(item, language),
    )


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
    # Every prefix an entry may use is declared once, on the root.
    etree.cleanup_namespaces(root, top_nsmap=nsmap, keep_ns_prefixes=list(nsmap))
    if document.stylesheet:
        # A browser shows this page instead of raw XML; feed readers ignore it.
        instruction = etree.ProcessingInstruction(
            "xml-stylesheet", f'type="text/xsl" href="{html.escape(document.stylesheet)}"'
        )
        root.addprevious(instruction)
    result: bytes = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True)
    return result


def _join(
    head: bytes,
    closing: bytes,
    document: FeedDocument,
    fragments: Fragments | None,
    kind: tuple[str, ...],
    render: Callable[[Item], bytes],
) -> bytes:
    """The head's closing tag, preceded by the entries, rendered or found in ``fragments``."""
    start, found, end = head.rpartition(closing)
    assert found, f"no {closing!r} in the document head"
    parts = [start]
    cache: Fragments = {} if fragments is None else fragments
    for item in document.items:
        key = (*kind, item)
        fragment = cache.get(key)
        if fragment is None:
            fragment = cache[key] = render(item)
        parts.append(fragment)
    parts += [closing, end]
    return b"".join(parts)


def _fragment(element: Any) -> bytes:
    """An entry's bytes, without the namespace declarations its document's root holds."""
    text: bytes = etree.tostring(element, encoding="UTF-8")
    first_tag_end = text.index(b">")
    return _DECLARATIONS_RE.sub(b"", text[:first_tag_end]) + text[first_tag_end:]


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


def _categories(parent: Any, item: Item, tag: str, rss: bool) -> None:
    """Categories (their page as RSS ``domain`` / Atom ``scheme``), then tags."""
    for term in item.categories:
        if rss:
            attributes = {"domain": term.scheme} if term.scheme else {}
            _sub(parent, tag, term.label or term.term, **attributes)
        else:
            attributes = {"term": term.term}
            if term.scheme:
                attributes["scheme"] = term.scheme
            if term.label:
                attributes["label"] = term.label
            _sub(parent, tag, **attributes)
    for name in item.tags:
        if rss:
            _sub(parent, tag, name)
        else:
            _sub(parent, tag, term=name)


# RSS ------------------------------------------------------------------------------------------


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
    _sub(channel, "lastBuildDate", rfc822(document.updated))
    _sub(channel, f"{{{SY_NS}}}updatePeriod", "hourly")
    _sub(channel, f"{{{SY_NS}}}updateFrequency", str(max(1, 60 // document.ttl_minutes)))


def _rss_item(item: Item) -> bytes:
    entry = FeedEntry()
    entry.guid(item.id, permalink=item.id == item.url)
    entry.title(item.title)
    entry.link(href=item.url)
    # RSS readers take <description> as HTML: the plain-text summary is escaped once more.
    entry.summary(html.escape(item.summary, quote=False))
    if item.content_html:
        entry.content(item.content_html, type="html")
    if item.source:
        entry.source(url=item.source.feed_url, title=item.source.name)
    element = entry.rss_entry()
    etree.Element("rss", nsmap=RSS_NSMAP).append(element)  # the prefixes entries use

    _sub(element, "pubDate", rfc822(item.published))
    if item.author and item.author.email:
        _sub(element, "author", f"{item.author.email} ({item.author.name})")
    elif item.author:
        # RSS <author> must be an e-mail address; a name alone goes in dc:creator (never both).
        _sub(element, f"{{{DC_NS}}}creator", item.author.name)
    _categories(element, item, "category", rss=True)
    if item.image:
        _sub(
            element,
            "enclosure",
            url=item.image.url,
            length=str(item.image.length),
            type=item.image.type,
        )
    if item.rights:
        _sub(element, f"{{{DC_NS}}}rights", item.rights)
    _media_content(element, item)
    return _fragment(element)


# Atom -----------------------------------------------------------------------------------------


def _atom_item(item: Item, feed_language: str) -> bytes:
    entry = FeedEntry()
    entry.id(item.id)
    entry.title(item.title)
    entry.published(aware(item.published))
    entry.updated(aware(item.updated))
    entry.link(href=item.url)
    if item.summary:
        entry.summary(item.summary)
    if item.content_html:
        entry.content(item.content_html, type="html")
    if item.rights:
        entry.rights(item.rights)
    element = entry.atom_entry()
    # feedgen's Atom elements have no namespace: the document's root gives them its default
    # one (a plain ``xmlns`` attribute), so this entry is joined inside it as it is.
    etree.Element("feed", nsmap=ATOM_NSMAP).append(element)

    link = element.find("link")
    assert link is not None
    link.set("rel", "alternate")
    link.set("type", "text/html")
    if item.image:
        enclosure = etree.Element(
            "link",
            rel="enclosure",
            href=item.image.url,
            type=item.image.type,
            length=str(item.image.length),
        )
        link.addnext(enclosure)
    if item.language and item.language != feed_language:
        element.set(XML_LANG, item.language)
    if item.author:
        author = _sub(element, "author")
        _sub(author, "name", item.author.name)
        if item.author.email:
            _sub(author, "email", item.author.email)
        if item.author.url:
            _sub(author, "uri", item.author.url)
    _categories(element, item, "category", rss=False)
    if item.source:
        source = _sub(element, "source")
        _sub(source, "id", item.source.feed_url)
        _sub(source, "title", item.source.name)
        # When the partner's feed last changed is not known; it was at least this entry's.
        _sub(source, "updated", aware(item.updated).isoformat())
        _sub(source, "link", rel="self", href=item.source.feed_url)
        if item.source.site_url:
            _sub(source, "link", rel="alternate", href=item.source.site_url)
    _media_content(element, item)
    return _fragment(element)
