"""``/feeds/<category>.rss|.atom|.json``: content read back, paging, HTTP caching, validity."""

from __future__ import annotations

import gzip
import html
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from jsonschema import Draft4Validator
from lxml import etree

from syndicate import demo
from syndicate.publish import publishing
from syndicate.services import services
from syndicate.store.feeds import VersionProbe
from tests.conftest import FakeClock, article_body, make_app

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

BASE = "https://news.example"
ATOM = "{http://www.w3.org/2005/Atom}"
FORMATS = ("rss", "atom", "json")
TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
FEEDS = ("all", "politique", "securite", "economie", "societe", "culture", "sport")
JSONFEED_SCHEMA = json.loads((Path(__file__).parent / "data/jsonfeed/schema.json").read_text())


@pytest.fixture
def app(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path, clock, feed_size=5)
    yield app
    publishing(app).close()
    services(app).store.dispose()


def create(app: Flask, **changes: Any) -> dict[str, Any]:
    article = services(app).newsroom.create(article_body(**changes))
    return {"slug": article.slug, "url": f"{BASE}/articles/{article.slug}"}


def several(app: Flask, count: int, category: str = "economie") -> list[str]:
    """``count`` articles in ``category``, one a day from 1 November; newest slug first."""
    slugs = []
    for n in range(count):
        slug = f"article-{n:02d}"
        create(
            app,
            slug=slug,
            title=f"Article {n}",
            categories=[category],
            published_at=f"2026-11-{n + 1:02d}T08:00:00Z",
        )
        slugs.append(slug)
    return slugs[::-1]


def links_of(body: bytes, extension: str) -> dict[str, str]:
    if extension == "json":
        feed = json.loads(body)
        found = {"self": feed["feed_url"]}
        if "next_url" in feed:
            found["next"] = feed["next_url"]
        return found
    root = etree.fromstring(body)
    parent = root.find("channel") if extension == "rss" else root
    return {link.get("rel"): link.get("href") for link in parent.findall(f"{ATOM}link")}


def ids_of(body: bytes, extension: str) -> list[str]:
    if extension == "json":
        return [item["id"] for item in json.loads(body)["items"]]
    return [entry.id for entry in feedparser.parse(body).entries]


# Content ---------------------------------------------------------------------------------------


@pytest.fixture
def with_demo(app: Flask) -> None:
    demo.load_demo(services(app).newsroom)


@pytest.mark.usefixtures("with_demo")
@pytest.mark.parametrize("extension", ["rss", "atom"])
def test_feedparser_reads_back_ids_links_dates_and_content(
    client: FlaskClient, extension: str
) -> None:
    expected = client.get("/api/v1/articles?category=politique&per_page=5").json["items"]
    response = client.get(f"/feeds/politique.{extension}")
    parsed = feedparser.parse(response.data, sanitize_html=False, resolve_relative_uris=False)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.feed.language == "fr"
    assert parsed.feed.link == f"{BASE}/categories/politique"
    assert len(parsed.entries) == len(expected) == 5
    for entry, article in zip(parsed.entries, expected, strict=True):
        assert entry.id == article["url"]
        assert entry.link == article["url"]
        assert entry.title == article["title"]
        assert entry.content[0].value == article["content_html"]
        assert html.unescape(entry.summary) == article["summary"]
        published = datetime.fromisoformat(article["published_at"].replace("Z", "+00:00"))
        assert entry.published_parsed == published.utctimetuple()
        if extension == "atom":
            updated = datetime.fromisoformat(article["updated_at"].replace("Z", "+00:00"))
            assert entry.updated_parsed == max(updated, published).utctimetuple()
        if extension == "atom":
            assert entry.author_detail.name == article["author"]["name"]
        # (RSS: feedparser 6 cuts e-mail domains longer than four letters, like .example, so
        # the author is checked on the XML itself in the adapter's tests.)
        terms = {tag.term for tag in entry.tags}
        assert set(article["tags"]) <= terms
        if article["image"]:
            enclosure = entry.enclosures[0]
            assert (enclosure.href, enclosure.type, int(enclosure.length)) == (
                article["image"]["url"],
                article["image"]["type"],
                article["image"]["length"],
            )


@pytest.mark.usefixtures("with_demo")
def test_json_feed_carries_the_same_articles(client: FlaskClient) -> None:
    expected = client.get("/api/v1/articles?category=politique&per_page=5").json["items"]
    feed = client.get("/feeds/politique.json").json
    assert feed["language"] == "fr"
    assert feed["home_page_url"] == f"{BASE}/categories/politique"
    for item, article in zip(feed["items"], expected, strict=True):
        assert item["id"] == item["url"] == article["url"]
        assert item["title"] == article["title"]
        assert item["content_html"] == article["content_html"]
        assert item["summary"] == article["summary"]
        assert item["date_published"] == article["published_at"]
        assert item["authors"] == [{"name": article["author"]["name"]}]
        if article["image"]:
            assert item["image"] == article["image"]["url"]
            attachment = item["attachments"][0]
            assert attachment["mime_type"] == article["image"]["type"]
            assert attachment["size_in_bytes"] == article["image"]["length"]


@pytest.mark.usefixtures("with_demo")
def test_every_feed_page_is_well_formed_and_json_feed_passes_its_schema(
    client: FlaskClient,
) -> None:
    validator = Draft4Validator(JSONFEED_SCHEMA, format_checker=Draft4Validator.FORMAT_CHECKER)
    for feed in FEEDS:
        for page in ("", "?page=2"):
            for extension in FORMATS:
                response = client.get(f"/feeds/{feed}.{extension}{page}")
                assert response.status_code == 200, (feed, extension, page)
                assert response.headers["Content-Type"] == TYPES[extension]
                if extension == "json":
                    errors = [e.message for e in validator.iter_errors(response.json)]
                    assert errors == [], (feed, page)
                else:
                    parsed = feedparser.parse(response.data)
                    assert parsed.bozo == 0, (feed, extension, page, parsed.get("bozo_exception"))
                    assert 1 <= len(parsed.entries) <= 5


def test_ids_are_permanent_when_the_title_changes(app: Flask, client: FlaskClient) -> None:
    created = create(app)
    before = {ext: ids_of(client.get(f"/feeds/securite.{ext}").data, ext) for ext in FORMATS}
    services(app).newsroom.patch(created["slug"], {"title": "Un tout autre titre"})
    for ext in FORMATS:
        body = client.get(f"/feeds/securite.{ext}").data
        assert "Un tout autre titre".encode() in body  # noqa: UP012
        assert ids_of(body, ext) == before[ext] == [created["url"]]


def test_scheduled_drafts_and_other_categories_stay_out(app: Flask, client: FlaskClient) -> None:
    create(app, slug="visible", categories=["securite"])
    create(app, slug="demain", published_at="2026-11-30T07:00:00Z")
    create(app, slug="brouillon", status="draft")
    create(app, slug="ailleurs", categories=["sport"])
    assert ids_of(client.get("/feeds/securite.rss").data, "rss") == [f"{BASE}/articles/visible"]
    assert len(ids_of(client.get("/feeds/all.json").data, "json")) == 2


def test_empty_feed_is_served(client: FlaskClient) -> None:
    for ext in FORMATS:
        response = client.get(f"/feeds/culture.{ext}")
        assert response.status_code == 200
        assert ids_of(response.data, ext) == []


# Paging ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("extension", FORMATS)
def test_rfc5005_paging_links(app: Flask, client: FlaskClient, extension: str) -> None:
    newest_first = several(app, 12)
    url = f"{BASE}/feeds/economie.{extension}"
    pages = {
        n: client.get(f"/feeds/economie.{extension}" + ("" if n == 1 else f"?page={n}"))
        for n in (1, 2, 3)
    }
    seen = []
    for response in pages.values():
        assert response.status_code == 200
        seen += ids_of(response.data, extension)
    assert seen == [f"{BASE}/articles/{slug}" for slug in newest_first]

    links = {n: links_of(response.data, extension) for n, response in pages.items()}
    if extension == "json":
        assert links[1] == {"self": url, "next": f"{url}?page=2"}
        assert links[2] == {"self": f"{url}?page=2", "next": f"{url}?page=3"}
        assert links[3] == {"self": f"{url}?page=3"}
        return
    for n in pages:
        assert links[n]["self"] == url + ("" if n == 1 else f"?page={n}")
        assert links[n]["first"] == url
        assert links[n]["last"] == f"{url}?page=3"
    assert "previous" not in links[1] and links[1]["next"] == f"{url}?page=2"
    assert links[2]["previous"] == url and links[2]["next"] == f"{url}?page=3"
    assert links[3]["previous"] == f"{url}?page=2" and "next" not in links[3]


def test_unknown_feed_and_pages_out_of_range_are_404(app: Flask, client: FlaskClient) -> None:
    several(app, 6)
    assert client.get("/feeds/economie.rss?page=2").status_code == 200
    for url in (
        "/feeds/inconnue.rss",
        "/feeds/economie.xml",
        "/feeds/economie.rss?page=3",
        "/feeds/economie.rss?page=0",
        "/feeds/economie.rss?page=-1",
        "/feeds/economie.rss?page=abc",
        "/feeds/economie.rss?page=02",
        "/feeds/culture.json?page=2",
    ):
        assert client.get(url).status_code == 404, url
    redirected = client.get("/feeds/economie.atom?page=1")
    assert redirected.status_code == 301
    assert redirected.headers["Location"].endswith("/feeds/economie.atom")


def test_feeds_offer_at_most_feed_max_pages(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(database_url, tmp_path, clock, feed_size=2, feed_max_pages=2)
    try:
        several(app, 7)
        client = app.test_client()
        assert links_of(client.get("/feeds/economie.atom").data, "atom")["last"].endswith("?page=2")
        assert "next" not in links_of(client.get("/feeds/economie.atom?page=2").data, "atom")
        assert client.get("/feeds/economie.atom?page=3").status_code == 404
    finally:
        publishing(app).close()
        services(app).store.dispose()


# HTTP caching ----------------------------------------------------------------------------------


def test_headers(app: Flask, client: FlaskClient) -> None:
    create(app)
    for ext in FORMATS:
        response = client.get(f"/feeds/securite.{ext}")
        assert response.headers["Content-Type"] == TYPES[ext]
        assert response.headers["Cache-Control"] == "public, max-age=300"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Vary"] == "Accept-Encoding"
        etag = response.headers["ETag"]
        assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
        assert response.headers["Last-Modified"] == "Sun, 29 Nov 2026 12:00:00 GMT"
    preflight = client.options("/feeds/securite.json")
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]


def test_conditional_requests(app: Flask, client: FlaskClient) -> None:
    create(app)
    first = client.get("/feeds/securite.atom")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f"W/{etag}"},
        {"If-None-Match": f'"other", {etag}'},
        {"If-None-Match": "*"},
        {"If-Modified-Since": modified},
        {"If-Modified-Since": "Mon, 30 Nov 2026 00:00:00 GMT"},
    ):
        response = client.get("/feeds/securite.atom", headers=headers)
        assert response.status_code == 304, headers
        assert response.data == b""
        assert response.headers["ETag"] == etag
        assert response.headers["Cache-Control"] == "public, max-age=300"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Content-Type" not in response.headers
    for headers in (
        {"If-None-Match": '"other"'},
        {"If-Modified-Since": "Sat, 28 Nov 2026 00:00:00 GMT"},
        {"If-Modified-Since": "not a date"},
        # If-None-Match decides when both are sent (RFC 9110 13.2.2).
        {"If-None-Match": '"other"', "If-Modified-Since": modified},
    ):
        response = client.get("/feeds/securite.atom", headers=headers)
        assert response.status_code == 200, headers
        assert response.data == first.data


def test_head_has_the_headers_and_no_body(app: Flask, client: FlaskClient) -> None:
    create(app)
    get = client.get("/feeds/securite.rss")
    head = client.head("/feeds/securite.rss")
    assert head.status_code == 200
    assert head.data == b""
    for name in ("ETag", "Last-Modified", "Content-Type", "Content-Length", "Cache-Control"):
        assert head.headers[name] == get.headers[name]
    assert (
        client.head(
            "/feeds/securite.rss", headers={"If-None-Match": get.headers["ETag"]}
        ).status_code
        == 304
    )


def test_gzip_when_asked(app: Flask, client: FlaskClient) -> None:
    create(app)
    plain = client.get("/feeds/securite.rss")
    zipped = client.get("/feeds/securite.rss", headers={"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["ETag"] != plain.headers["ETag"]  # another representation
    assert int(zipped.headers["Content-Length"]) == len(zipped.data) < len(plain.data)
    again = client.get("/feeds/securite.rss", headers={"Accept-Encoding": "gzip"})
    assert again.data == zipped.data and again.headers["ETag"] == zipped.headers["ETag"]
    not_modified = client.get(
        "/feeds/securite.rss",
        headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]},
    )
    assert not_modified.status_code == 304
    refused = client.get("/feeds/securite.rss", headers={"Accept-Encoding": "gzip;q=0, br"})
    assert "Content-Encoding" not in refused.headers


def test_unchanged_feed_keeps_its_bytes_and_is_not_rendered_again(
    app: Flask, client: FlaskClient, clock: FakeClock, database_url: str, tmp_path: Path
) -> None:
    create(app)
    first = {ext: client.get(f"/feeds/securite.{ext}") for ext in FORMATS}
    renders = publishing(app).feeds.renders
    clock.advance(hours=5)  # time passing changes nothing
    for ext in FORMATS:
        again = client.get(f"/feeds/securite.{ext}")
        assert again.data == first[ext].data
        assert again.headers["ETag"] == first[ext].headers["ETag"]
        assert again.headers["Last-Modified"] == first[ext].headers["Last-Modified"]
    assert publishing(app).feeds.renders == renders
    # Another process (a fresh app on the same store) renders the very same bytes.
    other = make_app(database_url, tmp_path / "other", clock, feed_size=5)
    try:
        for ext in FORMATS:
            response = other.test_client().get(f"/feeds/securite.{ext}")
            assert response.data == first[ext].data
            assert response.headers["ETag"] == first[ext].headers["ETag"]
    finally:
        publishing(other).close()
        services(other).store.dispose()


def etags(client: FlaskClient, *urls: str) -> dict[str, str]:
    return {url: client.get(url).headers["ETag"] for url in urls}


def test_every_change_changes_every_feed_it_is_in_at_once(
    app: Flask, client: FlaskClient, clock: FakeClock
) -> None:
    several(app, 6, category="economie")
    create(app, slug="aes", categories=["securite", "politique"])
    watched = [
        f"/feeds/{feed}.{ext}" for feed in ("securite", "politique", "all") for ext in FORMATS
    ]
    untouched = ["/feeds/economie.rss", "/feeds/economie.rss?page=2", "/feeds/sport.atom"]
    newsroom = services(app).newsroom

    def changes(action: Any) -> None:
        before = etags(client, *watched, *untouched)
        clock.advance(minutes=1)
        action()
        after = etags(client, *watched, *untouched)
        for url in watched:
            assert after[url] != before[url], url
        for url in untouched:
            assert after[url] == before[url], url

    changes(lambda: newsroom.patch("aes", {"title": "Nouveau titre"}))  # update
    changes(lambda: newsroom.patch("aes", {"status": "draft"}))  # unpublish
    changes(lambda: newsroom.patch("aes", {"status": "published"}))  # publish again
    changes(lambda: newsroom.delete("aes"))  # delete
    changes(lambda: create(app, slug="aes-2", categories=["securite", "politique"]))  # publish


def test_a_publish_shifts_every_page(app: Flask, client: FlaskClient) -> None:
    several(app, 12)
    pages = ["/feeds/economie.json", "/feeds/economie.json?page=2", "/feeds/economie.json?page=3"]
    before = {url: ids_of(client.get(url).data, "json") for url in pages}
    create(app, slug="nouveau", categories=["economie"], published_at="2026-11-28T08:00:00Z")
    after = {url: ids_of(client.get(url).data, "json") for url in pages}
    assert after[pages[0]][0] == f"{BASE}/articles/nouveau"
    assert after[pages[1]][0] == before[pages[0]][-1]
    assert after[pages[2]][0] == before[pages[1]][-1]


def test_a_scheduled_article_changes_its_feeds_when_its_time_comes(
    app: Flask, client: FlaskClient, clock: FakeClock
) -> None:
    create(app, slug="maintenant")
    clock.advance(minutes=1)
    create(app, slug="plus-tard", published_at="2026-11-29T15:00:00Z")
    urls = [f"/feeds/{feed}.{ext}" for feed in ("securite", "all") for ext in FORMATS]
    before = etags(client, *urls)
    clock.advance(hours=2)  # 14:01: still scheduled
    assert etags(client, *urls) == before
    clock.advance(hours=1)  # 15:01: visible, without any write
    after = etags(client, *urls)
    assert all(after[url] != before[url] for url in urls)
    response = client.get("/feeds/securite.atom", headers={"If-None-Match": before[urls[1]]})
    assert response.status_code == 200
    assert response.headers["Last-Modified"] == "Sun, 29 Nov 2026 15:00:00 GMT"
    assert ids_of(response.data, "atom")[0] == f"{BASE}/articles/plus-tard"
    stale_since = format_datetime(datetime(2026, 11, 29, 14, 0, tzinfo=UTC), usegmt=True)
    assert (
        client.get("/feeds/securite.atom", headers={"If-Modified-Since": stale_since}).status_code
        == 200
    )


def test_validity_comes_from_the_store_not_one_process(
    app: Flask, client: FlaskClient, database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    """Two web processes on one store: a write through one changes what the other serves."""
    other = make_app(database_url, tmp_path / "other", clock, feed_size=5)
    try:
        reader = other.test_client()
        create(app, slug="un")
        before = reader.get("/feeds/securite.rss")
        clock.advance(seconds=1)
        create(app, slug="deux")
        after = reader.get("/feeds/securite.rss", headers={"If-None-Match": before.headers["ETag"]})
        assert after.status_code == 200
        assert ids_of(after.data, "rss")[0] == f"{BASE}/articles/deux"
    finally:
        publishing(other).close()
        services(other).store.dispose()


def test_updated_is_the_newest_change_never_now(
    app: Flask, client: FlaskClient, clock: FakeClock
) -> None:
    create(app, published_at="2026-11-06T09:30:00Z")
    clock.advance(days=3)
    root = etree.fromstring(client.get("/feeds/securite.atom").data)
    assert root.findtext(f"{ATOM}updated") == "2026-11-29T12:00:00+00:00"  # the write
    rss = etree.fromstring(client.get("/feeds/securite.rss").data)
    assert rss.findtext("channel/lastBuildDate") == "Sun, 29 Nov 2026 12:00:00 GMT"


# Browsers and WebSub discovery -----------------------------------------------------------------


def test_browsers_get_a_stylesheet(app: Flask, client: FlaskClient) -> None:
    create(app)
    for ext in ("rss", "atom"):
        body = client.get(f"/feeds/securite.{ext}").data
        assert (
            b'<?xml-stylesheet type="text/xsl" href="https://news.example/static/feed.xsl"?>'
            in body
        )
    with client.get("/static/feed.xsl") as xsl:
        assert xsl.status_code == 200
        transform = etree.XSLT(etree.fromstring(xsl.data))
    page = str(transform(etree.fromstring(client.get("/feeds/securite.rss").data)))
    assert "Ceci est un flux RSS" in page
    assert "https://news.example/feeds/securite.rss" in page
    assert "Les chefs d’état-major" in page
    page = str(transform(etree.fromstring(client.get("/feeds/securite.atom").data)))
    assert "Ceci est un flux Atom" in page and "Les chefs d’état-major" in page
    for image in ("/static/feed-icon.png", "/static/feed-logo.png"):
        with client.get(image) as response:
            assert response.headers["Content-Type"] == "image/png"


def test_hub_is_advertised_in_every_format(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(database_url, tmp_path, clock, websub_hub="https://hub.example/")
    try:
        client = app.test_client()
        for ext in ("rss", "atom"):
            response = client.get(f"/feeds/all.{ext}")
            assert links_of(response.data, ext)["hub"] == "https://hub.example/"
            assert response.headers["Link"] == (
                f'<https://hub.example/>; rel="hub", <{BASE}/feeds/all.{ext}>; rel="self"'
            )
        assert client.get("/feeds/all.json").json["hubs"] == [
            {"type": "WebSub", "url": "https://hub.example/"}
        ]
    finally:
        publishing(app).close()
        services(app).store.dispose()


def test_no_hub_no_hub_links(app: Flask, client: FlaskClient) -> None:
    for ext in ("rss", "atom"):
        response = client.get(f"/feeds/all.{ext}")
        assert "hub" not in links_of(response.data, ext)
        assert "Link" not in response.headers
    assert "hubs" not in client.get("/feeds/all.json").json


# The version probe -----------------------------------------------------------------------------


def test_probe_survives_a_lost_connection(app: Flask, clock: FakeClock) -> None:
    probe = VersionProbe(services(app).store)
    try:
        first = probe.raw("securite", clock())
        for connection in probe._idle:
            connection.close()  # as if the database restarted
        assert probe.raw("securite", clock()) == first
        create(app)
        changed = probe.interpret(probe.raw("securite", clock()))
        assert changed.version == 1
        assert changed.last_modified == clock()
        assert changed.newest_published_at == datetime(2026, 11, 6, 9, 30, tzinfo=UTC)
        assert probe.interpret(probe.raw("sport", clock())).last_modified == datetime(
            1970, 1, 1, tzinfo=UTC
        )
    finally:
        probe.close()


def test_probe_sees_the_time_boundary_exactly(app: Flask, clock: FakeClock) -> None:
    create(app, slug="pile", published_at="2026-11-29T13:00:00Z")
    probe = VersionProbe(services(app).store)
    try:
        at = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)
        assert (
            probe.interpret(probe.raw("all", at - timedelta(seconds=1))).newest_published_at is None
        )
        assert probe.interpret(probe.raw("all", at)).newest_published_at == at
        assert probe.interpret(probe.raw("securite", at)).newest_published_at == at
    finally:
        probe.close()


def test_an_update_time_set_ahead_is_not_shown_ahead(app: Flask, client: FlaskClient) -> None:
    create(app, updated_at="2026-12-25T00:00:00Z")
    root = etree.fromstring(client.get("/feeds/securite.atom").data)
    assert root.findtext(f"{ATOM}entry/{ATOM}updated") == "2026-11-29T12:00:00+00:00"
    item = client.get("/feeds/securite.json").json["items"][0]
    assert item["date_modified"] == "2026-11-29T12:00:00Z"


# The two doors and the item cache --------------------------------------------------------------


def test_cached_pages_are_answered_before_the_app_is_entered(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(database_url, tmp_path, clock, feed_size=5)
    entered: list[str] = []
    app.before_request(lambda: entered.append(request.full_path))
    try:
        client = app.test_client()
        several(app, 7)
        first = client.get("/feeds/economie.atom?page=2")
        assert entered == ["/feeds/economie.atom?page=2"]  # rendered by the blueprint
        for headers in ({}, {"If-None-Match": first.headers["ETag"]}, {"Accept-Encoding": "gzip"}):
            again = client.get("/feeds/economie.atom?page=2", headers=headers)
            assert again.status_code in (200, 304)
        head = client.head("/feeds/economie.atom?page=2")
        assert entered == ["/feeds/economie.atom?page=2"]  # all from the fast path
        assert head.headers["Content-Length"] == first.headers["Content-Length"]
        assert head.headers["ETag"] == first.headers["ETag"] and head.data == b""
        # Anything unusual goes through the app, which answers the same bytes.
        odd = client.get("/feeds/economie.atom?page=2&utm_source=x")
        assert odd.data == first.data and len(entered) == 2
        for url in ("/feeds/economie.atom?page=1", "/feeds/a/b.rss", "/feeds/.rss"):
            client.get(url)
        assert len(entered) == 5
    finally:
        publishing(app).close()
        services(app).store.dispose()


def test_a_publish_renders_only_the_new_item(app: Flask, client: FlaskClient) -> None:
    several(app, 12)
    fragments = publishing(app).feeds.fragments
    for ext in FORMATS:
        client.get(f"/feeds/economie.{ext}")
    assert len(fragments) == 15  # five items, three formats
    create(app, slug="nouveau", categories=["economie"], published_at="2026-11-28T08:00:00Z")
    pages = {ext: client.get(f"/feeds/economie.{ext}").data for ext in FORMATS}
    assert len(fragments) == 18  # only "nouveau" was rendered, once per format
    # Rendered from cached items or from scratch, the bytes are the same.
    publishing(app).feeds.cache.clear()
    fragments.clear()
    for ext in FORMATS:
        assert client.get(f"/feeds/economie.{ext}").data == pages[ext]


def test_store_trouble_is_a_503_not_a_crash(app: Flask, client: FlaskClient) -> None:
    create(app)
    assert client.get("/feeds/securite.rss").status_code == 200
    store = services(app).store
    with store.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE feed_changes RENAME TO feed_changes_away")
    try:
        response = client.get("/feeds/securite.rss")
        assert response.status_code == 503
        assert "max-age" not in response.headers.get("Cache-Control", "")
    finally:
        with store.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE feed_changes_away RENAME TO feed_changes")
    assert client.get("/feeds/securite.rss").status_code == 200
