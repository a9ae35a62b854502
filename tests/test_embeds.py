"""Partner embeds without a browser: options, the framed page, the script, headers, caching."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from syndicate.config import load_settings
from syndicate.exceptions import ConfigError
from syndicate.services import services
from syndicate.types import Image
from syndicate.web.embeds import (
    EmbedOptionError,
    EmbedOptions,
    parse_options,
    related_partner_stories,
)
from tests.conftest import FakeClock, article_body, make_app

XSS = "<img src=x onerror=alert(1)>"
IMAGE = {"url": "/media/demo/aes-bamako-etat-major.jpg", "type": "image/jpeg", "length": 1000}


def publish(app: Flask, count: int, category: str = "securite", **changes: Any) -> list[str]:
    """``count`` articles in ``category``, the last one newest; returns their slugs."""
    slugs = []
    for n in range(1, count + 1):
        body = article_body(
            slug=f"{category}-{n}",
            title=f"Titre {n} de la rubrique {category}",
            categories=[category],
            published_at=f"2026-11-{n:02d}T08:00:00Z",
            image=IMAGE if n % 2 else None,
        )
        body.update(changes)
        slugs.append(services(app).newsroom.create(body).slug)
    return slugs


def links(html: str) -> list[tuple[str, str]]:
    return re.findall(
        r'<a class="sy-link" href="([^"]+)" target="_blank" rel="noopener">([^<]*)</a>', html
    )


def inline_style(html: str) -> str:
    found = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert found
    return found.group(1)


# Options -----------------------------------------------------------------------------------


def test_options_defaults_and_values() -> None:
    assert parse_options(MultiDict()) == EmbedOptions(5, "light", related=False, images=True)
    given = MultiDict({"limit": "20", "theme": "auto", "related": "1", "images": "0", "utm": "x"})
    assert parse_options(given) == EmbedOptions(20, "auto", related=True, images=False)
    assert parse_options(MultiDict({"limit": "1", "theme": "dark"})).limit == 1
    assert EmbedOptions(3, "dark", related=True, images=False).query() == (
        "limit=3&theme=dark&related=1&images=0"
    )


@pytest.mark.parametrize(
    ("query", "option"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "21"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "5.0"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"limit": "٣"}, "limit"),
        ({"theme": "blue"}, "theme"),
        ({"theme": "Dark"}, "theme"),
        ({"related": "yes"}, "related"),
        ({"images": "2"}, "images"),
        ([("limit", "3"), ("limit", "4")], "limit"),
    ],
)
def test_invalid_options_name_the_option(query: Any, option: str) -> None:
    with pytest.raises(EmbedOptionError) as caught:
        parse_options(MultiDict(query))
    assert caught.value.option == option
    assert caught.value.errors == {option: caught.value.reason}


# The framed page ---------------------------------------------------------------------------


def test_frame_lists_newest_headlines_with_links_dates_and_thumbnails(
    app: Flask, client: FlaskClient
) -> None:
    publish(app, 7)
    publish(app, 2, "economie")
    response = client.get("/embed/securite?limit=4")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert links(html) == [
        (f"https://news.example/articles/securite-{n}", f"Titre {n} de la rubrique securite")
        for n in (7, 6, 5, 4)
    ]
    assert "7 novembre 2026" in html
    assert '<time datetime="2026-11-07T08:00:00+00:00">' in html
    assert html.count('class="sy-thumb"') == 2  # articles 7 and 5 have an image
    assert 'src="https://news.example/media/demo/aes-bamako-etat-major.jpg"' in html
    assert '<div class="sy sy-light">' in html
    assert "<script" not in html
    assert "<link" not in html  # self-contained: nothing to fetch but the thumbnails
    assert 'href="https://news.example/categories/securite"' in html


def test_frame_options_theme_images_limit_and_all(app: Flask, client: FlaskClient) -> None:
    publish(app, 3)
    publish(app, 2, "economie")
    html = client.get("/embed/securite?theme=dark&images=0&limit=20").get_data(as_text=True)
    assert '<div class="sy sy-dark">' in html
    assert 'class="sy-thumb"' not in html
    assert len(links(html)) == 3
    every = client.get("/embed/all?theme=auto").get_data(as_text=True)
    assert '<div class="sy sy-auto">' in every
    assert len(links(every)) == 5


def test_frame_escapes_titles_and_hides_unpublished(
    app: Flask, client: FlaskClient, clock: FakeClock
) -> None:
    newsroom = services(app).newsroom
    newsroom.create(article_body(slug="xss", title=XSS, categories=["securite"]))
    newsroom.create(article_body(slug="brouillon", status="draft", categories=["securite"]))
    newsroom.create(
        article_body(slug="demain", published_at="2026-11-30T06:00:00Z", categories=["securite"])
    )
    html = client.get("/embed/securite").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert XSS not in html
    assert [url for url, _ in links(html)] == ["https://news.example/articles/xss"]
    clock.advance(days=1)
    html = client.get("/embed/securite").get_data(as_text=True)
    assert links(html)[0][0] == "https://news.example/articles/demain"


def test_frame_empty_category_says_so(client: FlaskClient) -> None:
    html = client.get("/embed/culture").get_data(as_text=True)
    assert "Aucun article pour le moment." in html


@pytest.mark.parametrize(
    ("query", "option"),
    [("limit=0", "limit"), ("limit=50", "limit"), ("theme=rose", "theme"),
     ("related=oui", "related"), ("images=non", "images")],
)  # fmt: skip
def test_invalid_option_gives_a_framable_400_naming_it(
    client: FlaskClient, query: str, option: str
) -> None:
    response = client.get(f"/embed/securite?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"Option « {option} » invalide" in html
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]


def test_invalid_option_value_is_escaped(client: FlaskClient) -> None:
    html = client.get("/embed/securite", query_string={"theme": "<b>x</b>"}).get_data(as_text=True)
    assert "« &lt;b&gt;x&lt;/b&gt; »" in html


def test_unknown_category_is_a_framable_404(client: FlaskClient) -> None:
    response = client.get("/embed/inconnue")
    assert response.status_code == 404
    assert "La rubrique « inconnue » n’existe pas." in response.get_data(as_text=True)
    assert "frame-ancestors" in response.headers["Content-Security-Policy"]


# Related partner stories -------------------------------------------------------------------


def test_related_without_the_engine_is_an_empty_list(app: Flask, client: FlaskClient) -> None:
    publish(app, 2)
    with app.test_request_context():
        assert related_partner_stories("securite", 5) == []
    response = client.get("/embed/securite?related=1")
    assert response.status_code == 200
    assert "Aucun article pour le moment." in response.get_data(as_text=True)
    assert "chez nos partenaires" in response.get_data(as_text=True)


@dataclass(frozen=True)
class _PartnerStory:
    title: str
    url: str
    source: str
    published_at: datetime
    image: Image | None = None


class _Related:
    """Stands in for the related-stories engine (another module's contract, not ours)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []

    def category_stories(self, category: str, limit: int) -> list[_PartnerStory]:
        self.asked.append((category, limit))
        moment = datetime(2026, 11, 20, 10, tzinfo=UTC)
        return [
            _PartnerStory(XSS, "https://partenaire.example/a", "Le Partenaire", moment,
                          Image("https://partenaire.example/a.jpg", "image/jpeg", 1)),
            _PartnerStory("Lien piégé", "javascript:alert(1)", "Piège", moment),
            _PartnerStory("Deuxième", "https://autre.example/b", "L’Autre", moment),
        ]  # fmt: skip


def test_related_reads_the_engine_when_services_has_one(app: Flask, client: FlaskClient) -> None:
    engine = _Related()
    object.__setattr__(services(app), "related", engine)
    html = client.get("/embed/securite?related=1&limit=3").get_data(as_text=True)
    assert engine.asked == [("securite", 3)]
    assert links(html) == [
        ("https://partenaire.example/a", "&lt;img src=x onerror=alert(1)&gt;"),
        ("https://autre.example/b", "Deuxième"),
    ]
    assert "Le Partenaire · " in html
    assert "javascript:" not in html
    assert 'src="https://partenaire.example/a.jpg"' in html


# Headers: CSP, framing, caching ------------------------------------------------------------


def test_frame_csp_allows_only_its_inline_style_and_images(app: Flask, client: FlaskClient) -> None:
    publish(app, 1)
    response = client.get("/embed/securite")
    csp = response.headers["Content-Security-Policy"]
    digest = hashlib.sha256(inline_style(response.get_data(as_text=True)).encode()).digest()
    assert csp.startswith("default-src 'none'; ")
    assert f"style-src 'sha256-{base64.b64encode(digest).decode()}'" in csp
    assert "script-src" not in csp  # default-src 'none': no script at all
    assert "img-src 'self' https: http:" in csp
    assert "frame-ancestors *" in csp
    assert "X-Frame-Options" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_frame_ancestors_follow_the_embed_origins_setting(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    origins = ("https://partenaire.example", "https://*.autre.example")
    app = make_app(database_url, tmp_path, clock, embed_origins=origins)
    try:
        client = app.test_client()
        for url in ("/embed/securite", "/embed/securite?limit=99", "/embed/inconnue"):
            csp = client.get(url).headers["Content-Security-Policy"]
            assert csp.endswith(
                "frame-ancestors 'self' https://partenaire.example https://*.autre.example"
            )
    finally:
        services(app).store.dispose()


def test_embed_origins_setting_is_parsed_and_checked() -> None:
    environ = {"SYNDICATE_EMBED_ORIGINS": " https://A.example/ ,https://b.example:8443,, "}
    assert load_settings(environ).embed_origins == ("https://a.example", "https://b.example:8443")
    assert load_settings({}).embed_origins == ()
    for bad in ("partenaire.example", "https://a.example/path", "https://a.example; script-src *",
                "ftp://a.example", "https://a.example?x=1"):  # fmt: skip
        with pytest.raises(ConfigError, match="SYNDICATE_EMBED_ORIGINS"):
            load_settings({"SYNDICATE_EMBED_ORIGINS": bad})


def test_frame_caching_like_the_feeds(app: Flask, client: FlaskClient, clock: FakeClock) -> None:
    publish(app, 3)
    written_at = clock()
    clock.advance(hours=2)
    first = client.get("/embed/securite")
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)  # strong
    assert first.headers["Last-Modified"] == format_datetime(written_at, usegmt=True)
    assert (
        first.headers["Last-Modified"] == client.get("/feeds/securite.rss").headers["Last-Modified"]
    )
    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert "Accept-Encoding" in first.headers["Vary"]
    assert client.get("/embed/securite").headers["ETag"] == etag  # same bytes, same tag

    by_tag = client.get("/embed/securite", headers={"If-None-Match": etag})
    assert by_tag.status_code == 304
    assert by_tag.get_data() == b""
    by_date = client.get(
        "/embed/securite", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert by_date.status_code == 304
    head = client.head("/embed/securite")
    assert head.status_code == 200
    assert head.headers["ETag"] == etag
    assert head.get_data() == b""

    services(app).newsroom.delete("securite-1")  # a deletion leaves no row to date it
    after = client.get(
        "/embed/securite", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert after.status_code == 200
    assert after.headers["ETag"] != etag
    assert after.headers["Last-Modified"] == format_datetime(clock(), usegmt=True)


def test_frame_is_gzipped_when_asked(app: Flask, client: FlaskClient) -> None:
    publish(app, 5)
    plain = client.get("/embed/securite")
    packed = client.get("/embed/securite", headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + '-gzip"'
    again = client.get(
        "/embed/securite",
        headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]},
    )
    assert again.status_code == 304


# The script --------------------------------------------------------------------------------


def test_script_is_small_cacheable_and_public(client: FlaskClient) -> None:
    response = client.get("/embed.js")
    script = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert (
        client.get("/embed.js", headers={"If-None-Match": response.headers["ETag"]}).status_code
        == 304
    )
    assert '"base": "https://news.example"' in script
    assert len(gzip.compress(response.get_data(), 9)) < 4096


def test_script_never_evaluates_or_writes_html(client: FlaskClient) -> None:
    script = client.get("/embed.js").get_data(as_text=True)
    for forbidden in ("eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML",
                      "document.write", "setAttribute(\"on", ".onerror", ".onclick"):  # fmt: skip
        assert forbidden not in script, forbidden
    assert re.findall(r"\bw\.(\w+)\s*=", script) == ["SyndicateEmbed"]  # one global name
    assert "textContent" in script


def test_script_config_survives_hostile_site_names(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(database_url, tmp_path, clock, site_name='</script><script>alert("x")</script>')
    try:
        script = app.test_client().get("/embed.js").get_data(as_text=True)
        assert "</script>" not in script
        assert "\\u003c/script\\u003e" in script
    finally:
        services(app).store.dispose()


# The page for partners ---------------------------------------------------------------------


def test_partner_page_shows_both_snippets_and_previews(client: FlaskClient) -> None:
    response = client.get("/embed?category=economie&limit=3&theme=dark&images=0")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert "Nos titres sur votre site" in html
    frame_src = "https://news.example/embed/economie?limit=3&amp;theme=dark&amp;images=0"
    assert f'&lt;iframe src="{frame_src}" title=' in html
    assert f'<iframe class="embed-preview" src="{frame_src}"' in html
    assert (
        '&lt;div data-syndicate="economie" data-limit="3" data-theme="dark" data-images="0"&gt;'
        in html
    )
    assert '<div class="embed-preview" data-syndicate="economie" data-limit="3"' in html
    assert '<script src="https://news.example/embed.js" async></script>' in html
    csp = response.headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'; ")
    assert "script-src 'self' https://news.example;" in csp
    assert "connect-src 'self' https://news.example;" in csp
    assert "frame-src 'self' https://news.example;" in csp


def test_partner_page_reports_a_bad_option(client: FlaskClient) -> None:
    response = client.get("/embed?category=securite&limit=40")
    assert response.status_code == 400
    assert "Option « limit » invalide" in response.get_data(as_text=True)
    unknown = client.get("/embed?category=meteo")
    assert unknown.status_code == 400
    assert "La rubrique « meteo » n’existe pas." in unknown.get_data(as_text=True)
