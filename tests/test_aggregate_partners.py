"""The partner corpus: one test per behaviour of a partner feed or server, over real HTTP."""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from syndicate.aggregate.service import Aggregator
from syndicate.exceptions import InvalidInput
from tests.aggregate_helpers import aggregation_app, aggregator_of, insert_source, stories_of
from tests.conftest import FakeClock
from tests.partners import PartnerServer, Reply, data, zeros

RSS = "application/rss+xml; charset=utf-8"


@pytest.fixture
def partner() -> Iterator[PartnerServer]:
    with PartnerServer() as server:
        yield server


@pytest.fixture
def app(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Flask]:
    app = aggregation_app(database_url, tmp_path, clock)
    yield app
    aggregator_of(app).close()


@pytest.fixture
def aggregator(app: Flask) -> Aggregator:
    return aggregator_of(app)


def add(aggregator: Aggregator, url: str, category: str = "economie") -> int:
    return aggregator.add({"url": url, "category": category}, origin="cli").source.id


# Formats ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type", "count", "first_title"),
    [
        ("rss091.xml", "text/xml", 2, "Niamey : réunion des ministres de la Défense"),
        ("rss092.xml", "text/xml", 2, "Bamako accueille le sommet des chefs d’état-major"),
        ("rss10.rdf", "application/rdf+xml", 2, "Coton : la campagne 2026-2027 démarre"),
        ("rss20.xml", RSS, 3, "Saint-Louis : l’érosion côtière menace la Langue de Barbarie"),
        ("atom03.xml", "application/atom+xml", 2, "Abidjan : le métro ouvre sa première ligne"),
        ("atom10.xml", "application/atom+xml", 2, "Bauxite : nouvelles concessions à Boké"),
        ("jsonfeed.json", "application/feed+json", 2, "Le port de Lomé s’agrandit"),
    ],
)
def test_each_feed_format_is_read(
    app: Flask,
    aggregator: Aggregator,
    partner: PartnerServer,
    name: str,
    content_type: str,
    count: int,
    first_title: str,
) -> None:
    url = partner.serve(f"/{name}", Reply(body=data(name), content_type=content_type))
    source_id = add(aggregator, url)
    stored = stories_of(app, source_id)
    assert len(stored) == count
    titles = [s.title for s in stored]
    assert first_title in titles
    assert all(s.url and s.url.startswith("https://") for s in stored)


def test_rss20_keeps_author_image_rights_dates_and_content(
    app: Flask, aggregator: Aggregator, partner: PartnerServer
) -> None:
    url = partner.serve("/rss20.xml", Reply(body=data("rss20.xml")))
    source_id = add(aggregator, url)
    port = next(s for s in stories_of(app, source_id) if s.guid == "jd-1001")
    assert port.author == "Moussa Ndiaye"
    assert port.rights == "© 2026 Le Journal de Dakar"
    assert port.published_at == datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    assert port.image is not None and port.image.url.endswith("/images/port.jpg")
    assert port.image.length == 54321
    assert "<strong>25 millions de tonnes</strong>" in port.content_html
    assert f'href="{partner.url("/economie")}"' in port.content_html
    source = aggregator.get(source_id)
    assert source.state.min_interval == 3600  # <ttl>60</ttl>
    assert source.site_url == "https://journal-dakar.example/"


def test_json_feed_text_content_becomes_paragraphs_and_scripts_go(
    app: Flask, aggregator: Aggregator, partner: PartnerServer
) -> None:
    url = partner.serve(
        "/feed.json", Reply(body=data("jsonfeed.json"), content_type="application/feed+json")
    )
    source_id = add(aggregator, url)
    by_guid = {s.guid: s for s in stories_of(app, source_id)}
    assert "<script" not in by_guid["la-501"].content_html
    assert by_guid["la-501"].author == "Afi Mensah"
    assert by_guid["502"].content_html == (
        "<p>Les luttes traditionnelles ont commencé.</p><p>Des milliers de spectateurs.</p>"
    )


# Encodings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        (
            "latin1-prolog.xml",
            "application/rss+xml",
            "Cotonou : la fête de l'indépendance célébrée à Porto-Novo",
        ),
        (
            "latin1-noprolog.xml",
            "application/rss+xml",
            "Cotonou : la fête de l'indépendance célébrée à Porto-Novo",
        ),
        (
            "latin1-noprolog.xml",
            "text/xml; charset=iso-8859-1",
            "Cotonou : la fête de l'indépendance célébrée à Porto-Novo",
        ),
        (
            "cp1252-prolog.xml",
            "application/rss+xml",
            "Niamey : l’uranium d’Arlit au cœur des négociations",
        ),
        (
            "cp1252-noprolog.xml",
            "application/rss+xml",
            "Niamey : l’uranium d’Arlit au cœur des négociations",
        ),
        (
            "cp1252-noprolog.xml",
            "application/rss+xml; charset=utf-8",
            "Niamey : l’uranium d’Arlit au cœur des négociations",
        ),
    ],
)
def test_french_feeds_in_legacy_encodings_keep_their_accents(
    app: Flask,
    aggregator: Aggregator,
    partner: PartnerServer,
    name: str,
    content_type: str,
    expected: str,
) -> None:
    url = partner.serve("/legacy.xml", Reply(body=data(name), content_type=content_type))
    source_id = add(aggregator, url)
    [story] = stories_of(app, source_id)
    assert story.title == expected
    if name.startswith("cp1252"):
        assert "« Nous voulons un partage équitable »" in story.summary_html
        assert "2 000 € la tonne…" in story.summary_html


# Not feeds, broken feeds -----------------------------------------------------------------------


def _good_then(
    app: Flask, aggregator: Aggregator, partner: PartnerServer, clock: FakeClock, reply: Reply
) -> tuple[int, list[str]]:
    """A source fetched once with a good feed, then answering ``reply``; returns its stories."""
    url = partner.serve("/feed.xml", Reply(body=data("rss20.xml")))
    source_id = add(aggregator, url)
    before = [s.title for s in stories_of(app, source_id)]
    partner.serve("/feed.xml", reply)
    clock.advance(hours=2)
    return source_id, before


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            Reply(body=data("page-without-feed.html"), content_type="text/html"),
            "not a feed: an HTML page",
        ),
        (Reply(body=b""), "empty response"),
        (Reply(body=b"   \n"), "empty response"),
        (Reply(body=data("rss20.xml")[:-200]), "truncated"),
        (Reply(body=data("rss20.xml")[: len(data("rss20.xml")) // 2]), "truncated"),
        (
            Reply(
                body=b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1"',
                content_type="application/feed+json",
            ),
            "truncated JSON",
        ),
        (
            Reply(body=data("not-a-feed.xml"), content_type="application/xml"),
            "not a feed: a <config>",
        ),
        (
            Reply(body=b"\x00\x01\x02garbage\xff\xfe", content_type="application/octet-stream"),
            "not a feed",
        ),
    ],
    ids=[
        "html",
        "empty",
        "blank",
        "truncated-end",
        "truncated-half",
        "truncated-json",
        "other-xml",
        "garbage",
    ],
)
def test_a_bad_response_leaves_stored_stories_as_they_were(
    app: Flask,
    aggregator: Aggregator,
    partner: PartnerServer,
    clock: FakeClock,
    reply: Reply,
    message: str,
) -> None:
    source_id, before = _good_then(app, aggregator, partner, clock, reply)
    result = aggregator.fetch_now(source_id)
    assert result.outcome == "failed"
    assert result.error and message in result.error
    assert [s.title for s in stories_of(app, source_id)] == before
    source = aggregator.get(source_id)
    assert source.state.error_count == 1 and source.state.last_error == result.error
    assert source.state.last_outcome == "failed"


def test_adding_a_page_finds_its_feed_by_autodiscovery(
    app: Flask, aggregator: Aggregator, partner: PartnerServer
) -> None:
    partner.serve("/feeds/rss20.xml", Reply(body=data("rss20.xml")))
    partner.serve(
        "/feeds/jsonfeed.json",
        Reply(body=data("jsonfeed.json"), content_type="application/feed+json"),
    )
    page = partner.serve(
        "/", Reply(body=data("page-with-feed.html"), content_type="text/html; charset=utf-8")
    )
    added = aggregator.add({"url": page, "category": "societe"}, origin="cli")
    assert added.discovered_from == page
    assert added.source.url == partner.url("/feeds/rss20.xml")
    assert added.source.name == "Le Journal de Dakar"
    assert len(stories_of(app, added.source.id)) == 3


@pytest.mark.parametrize(
    ("path", "reply", "reason"),
    [
        (
            "/nofeed",
            Reply(body=data("page-without-feed.html"), content_type="text/html"),
            "links no feed",
        ),
        ("/empty", Reply(body=b""), "empty response"),
        ("/missing", None, "answered HTTP 404"),
        ("/config.xml", Reply(body=data("not-a-feed.xml"), content_type="text/xml"), "not a feed"),
    ],
)
def test_adding_something_that_is_not_a_feed_adds_nothing(
    app: Flask,
    aggregator: Aggregator,
    partner: PartnerServer,
    path: str,
    reply: Reply | None,
    reason: str,
) -> None:
    url = partner.serve(path, reply) if reply else partner.url(path)
    with pytest.raises(InvalidInput, match=reason):
        aggregator.add({"url": url, "category": "societe"}, origin="cli")
    assert aggregator.all_sources() == []


def test_adding_an_unreachable_url_adds_nothing(app: Flask, aggregator: Aggregator) -> None:
    with pytest.raises(InvalidInput, match="not reachable"):
        aggregator.add({"url": "http://127.0.0.1:9/feed.xml", "category": "societe"}, origin="cli")
    assert aggregator.all_sources() == []


# Hostile payloads ------------------------------------------------------------------------------


def test_billion_laughs_is_never_expanded(
    app: Flask, aggregator: Aggregator, partner: PartnerServer
) -> None:
    url = partner.serve("/bomb.xml", Reply(body=data("billion-laughs.xml")))
    started = time.monotonic()
    source_id = add(aggregator, url)
    assert time.monotonic() - started < 5
    [story] = stories_of(app, source_id)
    assert "lol" not in story.title.replace("&lol9;", "")
    assert len(story.summary_html) < 50_000
    assert "AAAAAAAAAA" not in story.summary_html


def test_external_entities_never_read_files_or_urls(
    app: Flask, aggregator: Aggregator, partner: PartnerServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    body = data("xxe.xml.template").replace(b"{SECRET_PATH}", str(secret).encode())
    url = partner.serve("/xxe.xml", Reply(body=body))
    source_id = add(aggregator, url)
    [story] = stories_of(app, source_id)
    for text in (story.title, story.summary_html, story.content_html):
        assert "TOP-SECRET" not in text
    assert len(partner.requests) == 1  # the parameter entity's URL was never fetched


def test_xss_vectors_are_removed_before_storing(
    app: Flask, aggregator: Aggregator, partner: PartnerServer
) -> None:
    url = partner.serve("/xss.xml", Reply(body=data("xss.xml")))
    source_id = add(aggregator, url)
    stored = stories_of(app, source_id)
    assert len(stored) == 2
    for story in stored:
        everything = " ".join(
            [story.title, story.author or "", story.summary_html, story.content_html]
        ).lower()
        for vector in ("<script", "onerror", "onclick", "onload", "onmouseover", "javascript:",
                       "vbscript:", "data:", "<iframe", "srcdoc", "<form", "<input", "<style",
                       "style=", "<svg", "<object", "ftp:"):  # fmt: skip
            assert vector not in everything, (vector, everything)
    assert aggregator.get(source_id).name == "Hostile"  # the feed's title, as plain text
    first = next(s for s in stored if s.guid.endswith("xss-1"))
    assert first.url is None  # a javascript: link is no link
    assert first.title == "Titre gras"
    assert first.author == "Auteur"
    assert '<img src="https://hostile.example/ok.png">' in first.content_html


def test_relative_links_resolve_against_xml_base(
    app: Flask, aggregator: Aggregator, partner: PartnerServer
) -> None:
    url = partner.serve(
        "/base.atom", Reply(body=data("xml-base.xml"), content_type="application/atom+xml")
    )
    source_id = add(aggregator, url)
    by_title = {s.title: s for s in stories_of(app, source_id)}
    nested = by_title["Entrée relative"]
    assert nested.url == "https://base-partner.example/actualites/2026/11/article.html"
    assert 'href="https://base-partner.example/medias/fiche.html"' in nested.content_html
    assert 'src="https://base-partner.example/medias/photo.jpg"' in nested.content_html
    assert 'href="https://base-partner.example/actualites/2026/resume.html"' in nested.summary_html
    plain = by_title["Sans base propre"]
    assert plain.url == "https://base-partner.example/racine.html"
    assert 'href="https://base-partner.example/actualites/voir.html"' in plain.summary_html


# Limits ----------------------------------------------------------------------------------------


def test_a_50_mb_body_is_cut_at_the_limit(
    app: Flask, aggregator: Aggregator, partner: PartnerServer
) -> None:
    url = partner.serve("/huge.xml", Reply(body=zeros(50 * 1024 * 1024)))
    source = insert_source(app, url)
    started = time.monotonic()
    result = aggregator.fetch_now(source.id)
    assert result.outcome == "failed" and "larger than 10485760 bytes" in (result.error or "")
    assert time.monotonic() - started < 5


def test_a_declared_50_mb_body_is_refused_before_reading(
    app: Flask, aggregator: Aggregator, partner: PartnerServer
) -> None:
    def huge(_seen: object) -> Reply:
        return Reply(
            body=zeros(50 * 1024 * 1024), headers={"Content-Length": str(50 * 1024 * 1024)}
        )

    source = insert_source(app, partner.serve("/declared.xml", huge))
    result = aggregator.fetch_now(source.id)
    assert result.outcome == "failed" and "larger than" in (result.error or "")


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compression_bomb_is_cut_off_early(
    app: Flask, aggregator: Aggregator, partner: PartnerServer, encoding: str
) -> None:
    raw = b"<" + b"\0" * (12 * 1024 * 1024)
    bomb = gzip.compress(raw, 9) if encoding == "gzip" else zlib.compress(raw, 9)
    assert len(bomb) < 20_000
    url = partner.serve("/bomb.xml", Reply(body=bomb, headers={"Content-Encoding": encoding}))
    result = aggregator.fetch_now(insert_source(app, url).id)
    assert result.outcome == "failed" and "larger than 10485760 bytes" in (result.error or "")


def test_gzip_bodies_are_decoded(
    app: Flask, aggregator: Aggregator, partner: PartnerServer
) -> None:
    url = partner.serve(
        "/gz.xml",
        Reply(body=gzip.compress(data("rss20.xml")), headers={"Content-Encoding": "gzip"}),
    )
    source_id = add(aggregator, url)
    assert len(stories_of(app, source_id)) == 3
    assert "gzip" in partner.hits("/gz.xml")[0].headers["accept-encoding"]


def test_a_server_that_trickles_bytes_hits_the_deadline(
    database_url: str, tmp_path: Path, clock: FakeClock, partner: PartnerServer
) -> None:
    app = aggregation_app(database_url, tmp_path, clock, fetch_deadline=0.6, fetch_read_timeout=5.0)
    aggregator = aggregator_of(app)
    url = partner.serve("/slow.xml", Reply(body=data("rss20.xml"), trickle=0.05))
    source = insert_source(app, url)
    started = time.monotonic()
    result = aggregator.fetch_now(source.id)
    assert time.monotonic() - started < 2.0
    assert result.outcome == "failed" and "timed out" in (result.error or "")
    aggregator.close()


def test_a_silent_server_hits_the_read_timeout(
    database_url: str, tmp_path: Path, clock: FakeClock, partner: PartnerServer
) -> None:
    app = aggregation_app(database_url, tmp_path, clock, fetch_read_timeout=0.3, fetch_deadline=5.0)
    aggregator = aggregator_of(app)

    def silent() -> Iterator[bytes]:
        yield b"<rss>"
        partner.stop.wait(3)

    source = insert_source(app, partner.serve("/silent.xml", Reply(body=silent)))
    started = time.monotonic()
    result = aggregator.fetch_now(source.id)
    assert time.monotonic() - started < 2.0
    assert result.outcome == "failed" and "timed out" in (result.error or "")
    aggregator.close()


# Redirects and addresses -----------------------------------------------------------------------


def test_a_redirect_loop_fails(app: Flask, aggregator: Aggregator, partner: PartnerServer) -> None:
    partner.serve("/a", Reply(302, headers={"Location": "/b"}))
    partner.serve("/b", Reply(302, headers={"Location": "/a"}))
    result = aggregator.fetch_now(insert_source(app, partner.url("/a")).id)
    assert result.outcome == "failed" and "redirect loop" in (result.error or "")


def test_more_than_five_redirects_fail(
    app: Flask, aggregator: Aggregator, partner: PartnerServer
) -> None:
    for n in range(7):
        partner.serve(f"/r{n}", Reply(301, headers={"Location": f"/r{n + 1}"}))
    partner.serve("/r7", Reply(body=data("rss20.xml")))
    result = aggregator.fetch_now(insert_source(app, partner.url("/r0")).id)
    assert result.outcome == "failed" and "more than 5 redirects" in (result.error or "")


def test_a_redirect_to_loopback_is_refused_when_private_sources_are_not_allowed(
    database_url: str, tmp_path: Path, clock: FakeClock, partner: PartnerServer
) -> None:
    app = aggregation_app(database_url, tmp_path, clock, allow_private_sources=False)
    aggregator = aggregator_of(app)
    partner.serve("/feed.xml", Reply(body=data("rss20.xml")))
    # The source is on a public-looking name that the test resolver... is not needed: the
    # first hop itself is loopback, and a redirect target on 127.0.0.1 is checked the same.
    with pytest.raises(InvalidInput, match=r"refused: .*loopback"):
        aggregator.add({"url": partner.url("/feed.xml"), "category": "economie"}, origin="cli")
    source = insert_source(app, partner.url("/feed.xml"))
    result = aggregator.fetch_now(source.id)
    assert result.outcome == "failed" and "127.0.0.1 is a loopback address: refused" in (
        result.error or ""
    )
    assert partner.requests == []  # nothing ever connected
    aggregator.close()


def test_301_and_308_move_the_source_302_and_307_do_not(
    app: Flask, aggregator: Aggregator, partner: PartnerServer, clock: FakeClock
) -> None:
    partner.serve("/new.xml", Reply(body=data("rss20.xml")))
    partner.serve("/temp.xml", Reply(302, headers={"Location": "/new.xml"}))
    partner.serve("/temp7.xml", Reply(307, headers={"Location": "/new.xml"}))
    partner.serve("/moved.xml", Reply(301, headers={"Location": "/temp.xml"}))
    partner.serve("/old.xml", Reply(301, headers={"Location": "/old8.xml"}))
    partner.serve("/old8.xml", Reply(308, headers={"Location": "/new.xml"}))
    permanent = insert_source(app, partner.url("/old.xml"))
    temporary = insert_source(app, partner.url("/temp7.xml"))
    mixed = insert_source(app, partner.url("/moved.xml"))
    report = aggregator.run_pass()
    assert {r.outcome for r in report.results} == {"fetched"}
    assert aggregator.get(permanent.id).url == partner.url("/new.xml")
    assert aggregator.get(temporary.id).url == partner.url("/temp7.xml")
    assert aggregator.get(mixed.id).url == partner.url("/moved.xml")  # 301 then 302: not permanent


# Conditional GET, status codes -----------------------------------------------------------------


def test_304_uses_the_stored_validators_and_keeps_stories(
    app: Flask, aggregator: Aggregator, partner: PartnerServer, clock: FakeClock
) -> None:
    def conditional(seen: object) -> Reply:
        headers = seen.headers
        if headers.get("if-none-match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(
            body=data("rss20.xml"),
            headers={"ETag": '"v1"', "Last-Modified": "Sun, 29 Nov 2026 07:15:00 GMT"},
        )

    source_id = add(aggregator, partner.serve("/feed.xml", conditional))
    clock.advance(hours=2)
    result = aggregator.fetch_now(source_id)
    assert result.outcome == "not_modified" and result.status == 304
    last = partner.hits("/feed.xml")[-1].headers
    assert last["if-none-match"] == '"v1"'
    assert last["if-modified-since"] == "Sun, 29 Nov 2026 07:15:00 GMT"
    assert "syndicate/" in last["user-agent"] and "https://news.example/" in last["user-agent"]
    assert len(stories_of(app, source_id)) == 3
    assert aggregator.get(source_id).state.last_status == 304


def test_an_unchanged_body_is_not_parsed_again(
    app: Flask, aggregator: Aggregator, partner: PartnerServer, clock: FakeClock
) -> None:
    source_id = add(aggregator, partner.serve("/feed.xml", Reply(body=data("rss20.xml"))))
    clock.advance(hours=2)
    result = aggregator.fetch_now(source_id)
    assert result.outcome == "unchanged" and result.new_ids == () and result.updated_ids == ()


def test_410_gone_pauses_the_source_with_its_reason(
    app: Flask, aggregator: Aggregator, partner: PartnerServer, clock: FakeClock
) -> None:
    source_id, before = _good_then(app, aggregator, partner, clock, Reply(410, body=b"gone"))
    result = aggregator.fetch_now(source_id)
    assert result.outcome == "gone"
    source = aggregator.get(source_id)
    assert not source.enabled and "410 Gone" in (source.state.paused_reason or "")
    assert [s.title for s in stories_of(app, source_id)] == before
    clock.advance(days=3)
    assert aggregator.run_pass().results == ()  # paused sources are not polled


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (429, "120", timedelta(seconds=120)),
        (503, "Sun, 29 Nov 2026 15:00:00 GMT", None),
    ],
)
def test_retry_after_delays_every_source_on_that_host(
    app: Flask,
    aggregator: Aggregator,
    partner: PartnerServer,
    clock: FakeClock,
    status: int,
    retry_after: str,
    expected: timedelta | None,
) -> None:
    partner.serve("/busy.xml", Reply(status, body=b"busy", headers={"Retry-After": retry_after}))
    partner.serve("/other.xml", Reply(body=data("rss20.xml")))
    busy = insert_source(app, partner.url("/busy.xml"))
    result = aggregator.fetch_now(busy.id)
    # 15:00 GMT is three hours after the fake clock's noon.
    wait = expected or timedelta(hours=3)
    assert result.outcome == "delayed" and result.next_fetch_at == clock.now + wait
    assert aggregator.get(busy.id).state.error_count == 0
    other = insert_source(app, partner.url("/other.xml"))
    report = aggregator.run_pass([other.id])
    assert report.results[0].outcome == "delayed"
    assert partner.hits("/other.xml") == []
    assert aggregator.get(other.id).state.next_fetch_at == clock.now + wait
    clock.advance(seconds=wait.total_seconds() + 1)
    assert aggregator.fetch_now(other.id).outcome == "fetched"


# Partners' habits ------------------------------------------------------------------------------


def test_the_same_guid_on_every_item_does_not_collapse_them(
    app: Flask, aggregator: Aggregator, partner: PartnerServer, clock: FakeClock
) -> None:
    source_id = add(aggregator, partner.serve("/same.xml", Reply(body=data("same-guid.xml"))))
    assert sorted(s.title for s in stories_of(app, source_id)) == [
        f"Brève numéro {i}" for i in range(1, 6)
    ]
    clock.advance(hours=1)
    partner.serve(
        "/same.xml",
        Reply(body=data("same-guid.xml").replace(b"</channel>", b"<!-- x --></channel>")),
    )
    result = aggregator.fetch_now(source_id)
    assert result.outcome == "fetched" and result.new_ids == () and result.updated_ids == ()


def _feed(
    items: list[tuple[str, str, str]], build: str = "Sun, 29 Nov 2026 10:00:00 +0000"
) -> bytes:
    body = "".join(
        f"<item><title>{title}</title><link>https://partner.example/{link}</link>"
        f'<guid isPermaLink="false">{guid}</guid><description>Texte {title}</description>'
        f"<pubDate>Sat, 28 Nov 2026 10:00:00 +0000</pubDate></item>"
        for guid, link, title in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>P</title>'
        f"<link>https://partner.example/</link><description>d</description>"
        f"<lastBuildDate>{build}</lastBuildDate>{body}</channel></rss>"
    ).encode()


def test_guids_that_change_on_every_fetch_do_not_duplicate_stories(
    app: Flask, aggregator: Aggregator, partner: PartnerServer, clock: FakeClock
) -> None:
    fetches = {"n": 0}

    def changing(_seen: object) -> Reply:
        fetches["n"] += 1
        n = fetches["n"]
        return Reply(body=_feed([(f"g{n}-a", "a", "Alpha"), (f"g{n}-b", "b", "Bêta")]))

    source_id = add(aggregator, partner.serve("/feed.xml", changing))
    for _ in range(3):
        clock.advance(hours=1)
        result = aggregator.fetch_now(source_id)
        assert result.outcome == "fetched" and result.new_ids == ()
    assert sorted(s.title for s in stories_of(app, source_id)) == ["Alpha", "Bêta"]


def test_a_bumped_last_build_date_updates_nothing(
    app: Flask, aggregator: Aggregator, partner: PartnerServer, clock: FakeClock
) -> None:
    fetches = {"n": 0}

    def bumped(_seen: object) -> Reply:
        fetches["n"] += 1
        build = f"Sun, 29 Nov 2026 10:{fetches['n']:02d}:00 +0000"
        return Reply(body=_feed([("a", "a", "Alpha"), ("b", "b", "Bêta")], build))

    source_id = add(aggregator, partner.serve("/feed.xml", bumped))
    modified = [s.modified_at for s in stories_of(app, source_id)]
    clock.advance(hours=1)
    result = aggregator.fetch_now(source_id)
    assert result.outcome == "fetched" and result.new_ids == () and result.updated_ids == ()
    assert [s.modified_at for s in stories_of(app, source_id)] == modified


def test_an_edited_story_is_updated_in_place_up_to_a_daily_cap(
    app: Flask, aggregator: Aggregator, partner: PartnerServer, clock: FakeClock
) -> None:
    version = {"n": 0}

    def edited(_seen: object) -> Reply:
        return Reply(body=_feed([("a", "a", f"Alpha, version {version['n']}")]))

    source_id = add(aggregator, partner.serve("/feed.xml", edited))
    [original] = stories_of(app, source_id)
    updates = 0
    for n in range(1, 8):
        version["n"] = n
        clock.advance(minutes=30)
        updates += len(aggregator.fetch_now(source_id).updated_ids)
    assert updates == 5  # SYNDICATE_STORY_UPDATE_CAP
    [story] = stories_of(app, source_id)
    assert story.id == original.id and story.title == "Alpha, version 5"
    clock.advance(days=1)
    assert aggregator.fetch_now(source_id).updated_ids == (original.id,)
    assert stories_of(app, source_id)[0].title == "Alpha, version 7"


def test_missing_dates_become_first_seen_and_future_dates_are_clamped(
    app: Flask, aggregator: Aggregator, partner: PartnerServer, clock: FakeClock
) -> None:
    body = (
        b'<rss version="2.0"><channel><title>D</title><link>https://d.example/</link><description>d</description>'
        b"<item><title>Sans date</title><link>https://d.example/1</link></item>"
        b"<item><title>Futur</title><link>https://d.example/2</link>"
        b"<pubDate>Fri, 01 Jan 2038 00:00:00 +0000</pubDate></item>"
        b"</channel></rss>"
    )
    source_id = add(aggregator, partner.serve("/d.xml", Reply(body=body)))
    for story in stories_of(app, source_id):
        assert story.published_at == clock.now and story.updated_at == clock.now
    clock.advance(hours=5)
    partner.serve(
        "/d.xml",
        Reply(body=body.replace(b"Sans date</title>", b"Sans date (mise \xc3\xa0 jour)</title>")),
    )
    result = aggregator.fetch_now(source_id)
    assert len(result.updated_ids) == 1
    undated = next(s for s in stories_of(app, source_id) if s.url == "https://d.example/1")
    assert undated.published_at == clock.now - timedelta(hours=5)  # first seen, kept


def test_the_same_story_from_two_partners_is_marked_as_a_duplicate(
    app: Flask, aggregator: Aggregator, partner: PartnerServer
) -> None:
    first = add(
        aggregator,
        partner.serve("/one.xml", Reply(body=_feed([("x", "a?utm_source=rss", "Alpha")]))),
    )
    second = add(
        aggregator, partner.serve("/two.xml", Reply(body=_feed([("y", "a", "Alpha (reprise)")])))
    )
    [original] = stories_of(app, first)
    [copy] = stories_of(app, second)
    assert copy.duplicate_of == original.id and original.duplicate_of is None


def test_old_entries_are_not_added_and_old_stories_are_pruned(
    app: Flask, aggregator: Aggregator, partner: PartnerServer, clock: FakeClock
) -> None:
    source_id = add(aggregator, partner.serve("/feed.xml", Reply(body=data("rss20.xml"))))
    assert len(stories_of(app, source_id)) == 3
    clock.advance(days=91)
    assert aggregator.prune() == 3
    assert stories_of(app, source_id) == []
    partner.serve(
        "/feed.xml", Reply(body=data("rss20.xml").replace(b"</channel>", b"<!-- --></channel>"))
    )
    result = aggregator.fetch_now(source_id)
    assert result.outcome == "fetched" and result.new_ids == ()
