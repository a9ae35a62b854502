"""The parser alone: DTDs dropped, truncation seen, known items not parsed again."""

from __future__ import annotations

import pytest

from syndicate.aggregate.parser import parse, split_items, strip_dtd
from syndicate.exceptions import FeedError
from tests.partners import data

URL = "https://partner.example/feed.xml"


def _rss(*items: str, head: str = "<title>P</title>") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>{head}'
        f"<link>https://partner.example/</link><description>d</description>{''.join(items)}"
        "</channel></rss>"
    ).encode()


def _item(n: int, extra: str = "") -> str:
    return (
        f"<item><title>Dépêche {n}</title><link>https://partner.example/{n}</link>"
        f"<guid>p-{n}</guid>{extra}</item>"
    )


def test_the_dtd_goes_and_the_xml_declaration_stays() -> None:
    stripped = strip_dtd(data("billion-laughs.xml"))
    assert stripped.startswith(b'<?xml version="1.0"?>\n<rss version="2.0">')
    assert b"ENTITY" not in stripped
    assert strip_dtd(data("rss20.xml")) == data("rss20.xml")


def test_known_items_are_not_parsed_again() -> None:
    first = parse(_rss(_item(1), _item(2), _item(3)), URL)
    assert len(first.item_hashes) == 3 and first.skipped == 0
    second = parse(
        _rss(_item(4), _item(1), _item(2), _item(3), head="<title>P (mis à jour)</title>"),
        URL,
        known_items=frozenset(first.item_hashes),
    )
    assert [e.title.value for e in second.entries if e.title] == ["Dépêche 4"]
    assert second.skipped == 3 and second.title == "P (mis à jour)"
    edited = parse(
        _rss(_item(1, "<description>corrigé</description>"), _item(2)),
        URL,
        known_items=frozenset(first.item_hashes),
    )
    assert [e.guid for e in edited.entries] == ["https://partner.example/p-1"]


@pytest.mark.parametrize(
    "body",
    [
        _rss(_item(1), _item(1)),  # the same guid twice
        _rss(_item(1), "<item><title>sans guid</title></item>"),
        _rss(_item(1, "<description><![CDATA[ un </item> ici ]]></description>"), _item(2)),
        _rss(_item(1), "<foo/>", _item(2)),
    ],
    ids=["same-guid", "no-guid", "cdata-with-closing-tag", "something-between"],
)
def test_documents_that_do_not_split_cleanly_are_parsed_whole(body: bytes) -> None:
    assert split_items(body) is None
    parsed = parse(body, URL, known_items=frozenset({"x"}))
    assert parsed.skipped == 0 and parsed.entries


def test_cdata_holding_a_closing_tag_keeps_its_text() -> None:
    body = _rss(_item(1, "<description><![CDATA[ un </item> dans le texte ]]></description>"))
    [entry] = parse(body, URL).entries
    assert entry.summary is not None and "</item> dans le texte" in entry.summary.value


@pytest.mark.parametrize("cut", [10, 100, -30, -7, -2])
def test_truncation_anywhere_is_an_error(cut: int) -> None:
    with pytest.raises(FeedError):
        parse(data("atom10.xml")[:cut], URL)


def test_trailing_comments_and_blanks_are_not_truncation() -> None:
    parsed = parse(data("rss20.xml") + "\n<!-- généré en 3 ms -->\n\n".encode(), URL)
    assert len(parsed.entries) == 3


def test_json_feed_without_version_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match="without a JSON Feed version"):
        parse(b'{"items": []}', URL, content_type="application/json")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>P</title>'
            b"<link>javascript:alert(document.domain)</link><description>d</description>"
            b"</channel></rss>",
            "application/rss+xml",
        ),
        (
            b'{"version": "https://jsonfeed.org/version/1.1", "title": "P",'
            b' "home_page_url": "data:text/html,<script>alert(1)</script>", "items": []}',
            "application/feed+json",
        ),
    ],
)
def test_a_feed_link_that_is_not_http_is_dropped(body: bytes, content_type: str) -> None:
    assert parse(body, "https://partner.example/feed", content_type=content_type).link is None


def test_a_relative_feed_link_is_resolved() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>P</title>'
        b"<link>/accueil</link><description>d</description></channel></rss>"
    )
    assert parse(body, "https://partner.example/feed").link == "https://partner.example/accueil"


def test_opml_html_urls_must_be_http() -> None:
    from syndicate.aggregate import opml

    document = (
        b'<?xml version="1.0"?><opml version="2.0"><head/><body>'
        b'<outline type="rss" text="P" xmlUrl="https://p.example/feed" category="securite"'
        b' htmlUrl="javascript:alert(1)"/></body></opml>'
    )
    (outline,) = opml.read(document)
    assert outline.site_url is None
