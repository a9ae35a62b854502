from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from syndicate.web.french import french_date, french_datetime
from tests.conftest import FakeClock, article_body


@pytest.fixture
def published(client: FlaskClient, auth: dict[str, str]) -> None:
    for body in (
        article_body(),
        article_body(
            slug="coton-karite",
            title="Coton & karité : <les> prix remontent",
            categories=["economie"],
            image=None,
            published_at="2026-11-01T07:05:00Z",
        ),
        article_body(slug="demain", title="Article programmé", published_at="2026-11-30T07:00:00Z"),
    ):
        assert client.post("/api/v1/articles", json=body, headers=auth).status_code == 201


def test_french_dates() -> None:
    assert french_date(datetime(2026, 11, 6, 9, 30, tzinfo=UTC)) == "6 novembre 2026"
    assert french_date(datetime(2026, 8, 1, tzinfo=UTC)) == "1er août 2026"
    assert french_datetime(datetime(2026, 2, 3, 7, 5, tzinfo=UTC)) == "3 février 2026 à 07 h 05 GMT"


@pytest.mark.usefixtures("published")
def test_home_lists_public_articles_with_feed_autodiscovery(client: FlaskClient) -> None:
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert '<html lang="fr">' in html
    assert "Les chefs d’état-major de l’AES réunis à Bamako" in html
    assert "Coton &amp; karité : &lt;les&gt; prix remontent" in html
    assert "Article programmé" not in html
    assert "6 novembre 2026" in html
    for kind in ("application/rss+xml", "application/atom+xml", "application/feed+json"):
        assert f'rel="alternate" type="{kind}"' in html
    assert 'href="https://news.example/feeds/all.atom"' in html
    assert not re.search(r'(src|href)="//', html)


@pytest.mark.usefixtures("published")
def test_category_page(client: FlaskClient) -> None:
    html = client.get("/categories/economie").get_data(as_text=True)
    assert "<h1>Économie</h1>" in html
    assert "Coton &amp; karité" in html
    assert "AES réunis" not in html
    assert 'href="https://news.example/feeds/economie.rss"' in html
    assert client.get("/categories/inconnue").status_code == 404
    assert client.get("/categories/economie?page=2").status_code == 404


@pytest.mark.usefixtures("published")
def test_article_page(client: FlaskClient, clock: FakeClock) -> None:
    response = client.get("/articles/aes-bamako")
    html = response.get_data(as_text=True)
    assert "<h1>Les chefs d’état-major de l’AES réunis à Bamako</h1>" in html
    assert 'Par <span class="author">Awa Traoré</span>' in html
    assert "6 novembre 2026 à 09 h 30 GMT" in html
    assert 'id="more-stories-title"' in html
    assert 'src="https://news.example/media/demo/aes.jpg"' in html
    assert 'href="https://news.example/feeds/securite.atom"' in html
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert client.get("/articles/demain").status_code == 404
    clock.advance(days=1)
    assert client.get("/articles/demain").status_code == 200


@pytest.mark.usefixtures("published")
def test_pages_answer_conditional_requests(client: FlaskClient) -> None:
    first = client.get("/articles/aes-bamako")
    assert first.headers["ETag"]
    again = client.get("/articles/aes-bamako", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_unknown_page_is_a_french_404(client: FlaskClient) -> None:
    response = client.get("/articles/introuvable")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page introuvable" in html
    assert '<a class="brand" href="/">Syndicate' in html  # the masthead, as on every page
    assert 'href="/categories/politique"' in html


def test_healthz_reports_the_store(client: FlaskClient) -> None:
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["store"]["revision"] == body["store"]["head"]
