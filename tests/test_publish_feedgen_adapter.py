"""The feedgen adapter, one test per feedgen 1.0.0 trap (numbered as in its docstring)."""

from __future__ import annotations

import json
import locale
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator
from lxml import etree

from syndicate.publish import feedgen_adapter, jsonfeed
from syndicate.publish.feedgen_adapter import (
    ATOM_NS,
    DC_NS,
    MEDIA_NS,
    SY_NS,
    render_atom,
    render_rss,
)
from syndicate.publish.model import (
    Credit,
    FeedDocument,
    Generator,
    Item,
    Media,
    Paging,
    Person,
    Term,
)

BASE = "https://news.example"
JSONFEED_SCHEMA = json.loads((Path(__file__).parent / "data/jsonfeed/schema.json").read_text())
A = f"{{{ATOM_NS}}}"
MEDIA = f"{{{MEDIA_NS}}}"
CONTENT_HTML = '<p>Les armées du Mali &amp; du Niger… <a href="https://news.example/x">lien</a></p>'


def item(number: int, **changes: Any) -> Item:
    url = f"{BASE}/articles/article-{number}"
    values: dict[str, Any] = {
        "id": url,
        "url": url,
        "title": f"Titre {number} : l’AES à Bamako",
        "summary": f"Résumé {number} du plan d’action.",
        "content_html": CONTENT_HTML,
        "published": datetime(2026, 11, number, 9, 30, tzinfo=UTC),
        "updated": datetime(2026, 11, number, 10, 0, tzinfo=UTC),
        "author": Person("Awa Traoré", "awa.traore@redaction.example"),
        "categories": (Term("securite", "Sécurité", f"{BASE}/categories/securite"),),
        "tags": ("aes", "mali"),
        "image": Media(f"{BASE}/media/{number}.jpg", "image/jpeg", 1234, "Une carte du Sahel"),
        "language": "fr",
    }
    values.update(changes)
    return Item(**values)


def document(**changes: Any) -> FeedDocument:
    values: dict[str, Any] = {
        "id": f"{BASE}/feeds/securite.atom",
        "title": "Sécurité — Le site",
        "subtitle": "Défense et armées au Sahel.",
        "language": "fr",
        "self_url": f"{BASE}/feeds/securite.rss?page=2",
        "home_url": f"{BASE}/categories/securite",
        "updated": datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
        "author": Person("Le site", url=BASE + "/"),
        "generator": Generator("syndicate", "1.2.3"),
        "paging": Paging(
            first=f"{BASE}/feeds/securite.rss",
            last=f"{BASE}/feeds/securite.rss?page=3",
            previous=f"{BASE}/feeds/securite.rss",
            next=f"{BASE}/feeds/securite.rss?page=3",
        ),
        "ttl_minutes": 5,
        "icon": f"{BASE}/static/feed-icon.png",
        "logo": f"{BASE}/static/feed-logo.png",
        "hub": "https://hub.example/",
        "stylesheet": f"{BASE}/static/feed.xsl",
        "items": (item(3), item(2), item(1, author=Person("Souleymane Kaboré"), image=None)),
    }
    values.update(changes)
    return FeedDocument(**values)


def parse(body: bytes) -> Any:
    return etree.fromstring(body)


def rss_items(body: bytes) -> list[Any]:
    return parse(body).findall("channel/item")


def atom_entries(body: bytes) -> list[Any]:
    return parse(body).findall(f"{A}entry")


def test_trap1_content_is_typed_html_never_cdata() -> None:
    atom = render_atom(document())
    rss = render_rss(document())
    for entry in atom_entries(atom):
        content = entry.find(f"{A}content")
        assert content.get("type") == "html"
        assert content.text == CONTENT_HTML
    assert b"CDATA" not in atom and b"CDATA" not in rss
    encoded = rss_items(rss)[0].find("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert encoded.text == CONTENT_HTML


def test_trap2_atom_entry_links_keep_rel_type_and_length() -> None:
    entry = atom_entries(render_atom(document()))[0]
    links = [
        (link.get("rel"), link.get("type"), link.get("length"))
        for link in entry.findall(f"{A}link")
    ]
    assert links == [("alternate", "text/html", None), ("enclosure", "image/jpeg", "1234")]
    assert entry.find(f"{A}link[@rel='enclosure']").get("href") == f"{BASE}/media/3.jpg"


def test_trap3_media_content_is_a_direct_child_without_group() -> None:
    for body, children in (
        (render_rss(document()), rss_items),
        (render_atom(document()), atom_entries),
    ):
        assert f"{MEDIA}group".encode() not in body and b"media:group" not in body
        first = children(body)[0]
        media = first.find(f"{MEDIA}content")
        assert media is not None and media.getparent() is first
        assert media.attrib == {
            "url": f"{BASE}/media/3.jpg",
            "type": "image/jpeg",
            "fileSize": "1234",
            "medium": "image",
        }
        assert media.find(f"{MEDIA}description").text == "Une carte du Sahel"
        assert children(body)[2].find(f"{MEDIA}content") is None  # item without an image


def test_trap4_rss_channel_link_is_the_html_page() -> None:
    channel = parse(render_rss(document())).find("channel")
    assert channel.findtext("link") == f"{BASE}/categories/securite"
    assert channel.find("image").findtext("link") == f"{BASE}/categories/securite"


def test_trap5_entries_keep_the_documents_order() -> None:
    doc = document()
    expected = [entry.id for entry in doc.items]
    assert [i.findtext("guid") for i in rss_items(render_rss(doc))] == expected
    assert [e.findtext(f"{A}id") for e in atom_entries(render_atom(doc))] == expected


def test_trap6_naive_datetimes_are_taken_as_utc() -> None:
    aware = document()
    naive = replace(
        aware,
        updated=aware.updated.replace(tzinfo=None),
        items=tuple(
            replace(
                i,
                published=i.published.replace(tzinfo=None),
                updated=i.updated.replace(tzinfo=None),
            )
            for i in aware.items
        ),
    )
    assert render_rss(naive) == render_rss(aware)
    assert render_atom(naive) == render_atom(aware)
    assert jsonfeed.render_json(naive) == jsonfeed.render_json(aware)


def test_trap7_rss_dates_need_no_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []

    def spy(*args: Any) -> str:
        calls.append(args)
        raise AssertionError("locale.setlocale called while rendering")

    monkeypatch.setattr(locale, "setlocale", spy)
    body = render_rss(document())
    render_atom(document())
    assert calls == []
    channel = parse(body).find("channel")
    # The document's time, not "now" (feedgen's default), in English RFC 822 form.
    assert channel.findtext("lastBuildDate") == "Fri, 20 Nov 2026 08:00:00 GMT"
    assert [i.findtext("pubDate") for i in channel.findall("item")] == [
        "Tue, 03 Nov 2026 09:30:00 GMT",
        "Mon, 02 Nov 2026 09:30:00 GMT",
        "Sun, 01 Nov 2026 09:30:00 GMT",
    ]


def test_trap8_rss_has_hub_and_paging_links() -> None:
    channel = parse(render_rss(document())).find("channel")
    links = [(link.get("rel"), link.get("href")) for link in channel.findall(f"{A}link")]
    assert links == [
        ("self", f"{BASE}/feeds/securite.rss?page=2"),
        ("hub", "https://hub.example/"),
        ("first", f"{BASE}/feeds/securite.rss"),
        ("previous", f"{BASE}/feeds/securite.rss"),
        ("next", f"{BASE}/feeds/securite.rss?page=3"),
        ("last", f"{BASE}/feeds/securite.rss?page=3"),
    ]
    assert channel.find(f"{A}link[@rel='self']").get("type") == "application/rss+xml"


def test_trap9_json_feed_is_written_by_our_own_module() -> None:
    body = json.loads(jsonfeed.render_json(document()))
    assert list(Draft4Validator(JSONFEED_SCHEMA).iter_errors(body)) == []
    assert body["version"] == "https://jsonfeed.org/version/1.1"
    assert [entry["id"] for entry in body["items"]] == [i.id for i in document().items]


def test_trap10_atom_summary_is_not_turned_into_untyped_content() -> None:
    entry = atom_entries(render_atom(document(items=(item(1, content_html=None),))))[0]
    assert entry.find(f"{A}content") is None
    assert entry.findtext(f"{A}summary") == "Résumé 1 du plan d’action."
    assert entry.find(f"{A}summary").get("type") in (None, "text")
    rss = rss_items(render_rss(document(items=(item(1, content_html=None),))))[0]
    assert rss.findtext("description") == "Résumé 1 du plan d’action."


def test_rss_author_is_an_email_or_dc_creator_never_both() -> None:
    with_email, _, without = rss_items(render_rss(document()))
    assert with_email.findtext("author") == "awa.traore@redaction.example (Awa Traoré)"
    assert with_email.find(f"{{{DC_NS}}}creator") is None
    assert without.find("author") is None
    assert without.findtext(f"{{{DC_NS}}}creator") == "Souleymane Kaboré"


def test_rss_items_carry_permalinks_categories_and_enclosures() -> None:
    first = rss_items(render_rss(document()))[0]
    guid = first.find("guid")
    assert (guid.text, guid.get("isPermaLink")) == (f"{BASE}/articles/article-3", "true")
    categories = [(c.text, c.get("domain")) for c in first.findall("category")]
    assert categories == [
        ("Sécurité", f"{BASE}/categories/securite"),
        ("aes", None),
        ("mali", None),
    ]
    assert first.find("enclosure").attrib == {
        "url": f"{BASE}/media/3.jpg",
        "length": "1234",
        "type": "image/jpeg",
    }


def test_rss_channel_has_syndication_hints_before_items() -> None:
    channel = parse(render_rss(document())).find("channel")
    assert channel.findtext("ttl") == "5"
    assert channel.findtext(f"{{{SY_NS}}}updatePeriod") == "hourly"
    assert channel.findtext(f"{{{SY_NS}}}updateFrequency") == "12"
    tags = [child.tag for child in channel]
    first_item = tags.index("item")
    assert all(tag == "item" for tag in tags[first_item:])


def test_summary_is_escaped_once_more_for_rss_description() -> None:
    doc = document(items=(item(1, summary="Coton & karité : 5 < 7"),))
    rss = rss_items(render_rss(doc))[0]
    assert rss.findtext("description") == "Coton &amp; karité : 5 &lt; 7"
    assert atom_entries(render_atom(doc))[0].findtext(f"{A}summary") == "Coton & karité : 5 < 7"


def test_stylesheet_instruction_precedes_the_root() -> None:
    for body in (render_rss(document()), render_atom(document())):
        assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<?xml-stylesheet")
        assert b'href="https://news.example/static/feed.xsl"' in body
    assert b"xml-stylesheet" not in render_rss(document(stylesheet=None))


def test_rendering_is_deterministic() -> None:
    assert render_rss(document()) == render_rss(document())
    assert render_atom(document()) == render_atom(document())


def test_partner_story_credits_its_source() -> None:
    story = item(
        4,
        id="https://partner.example/2026/11/story",
        url="https://partner.example/2026/11/story",
        author=None,
        source=Credit(
            "Le Partenaire", "https://partner.example/feed.xml", "https://partner.example/"
        ),
        rights="© Le Partenaire",
    )
    doc = document(items=(story,))
    rss = rss_items(render_rss(doc))[0]
    assert (rss.findtext("source"), rss.find("source").get("url")) == (
        "Le Partenaire",
        "https://partner.example/feed.xml",
    )
    assert rss.findtext(f"{{{DC_NS}}}rights") == "© Le Partenaire"
    assert rss.find("guid").get("isPermaLink") == "true"
    entry = atom_entries(render_atom(doc))[0]
    source = entry.find(f"{A}source")
    assert source.findtext(f"{A}title") == "Le Partenaire"
    assert source.find(f"{A}link[@rel='self']").get("href") == "https://partner.example/feed.xml"
    assert entry.findtext(f"{A}rights") == "© Le Partenaire"
    assert b"Le Partenaire" in jsonfeed.render_json(doc)


def test_public_serialise_and_parse_path_gives_the_same_bytes() -> None:
    """``_tree`` falls back to feedgen's public ``rss_str``/``atom_str`` if its builders go."""

    class PublicOnly:
        def __init__(self, generator: Any) -> None:
            self.generator = generator

        def rss_str(self) -> bytes:
            return self.generator.rss_str()  # type: ignore[no-any-return]

        def atom_str(self) -> bytes:
            return self.generator.atom_str()  # type: ignore[no-any-return]

    doc = document()
    for kind in ("rss", "atom"):
        generator = feedgen_adapter._common(doc)
        generator.id(doc.id)
        generator.description(doc.subtitle)
        generator.link(href=doc.home_url, rel="alternate")
        generator.updated(doc.updated)
        direct = etree.tostring(feedgen_adapter._tree(generator, kind), method="c14n")
        public = etree.tostring(feedgen_adapter._tree(PublicOnly(generator), kind), method="c14n")
        assert direct == public
