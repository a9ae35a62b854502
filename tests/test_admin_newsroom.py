"""The console's newsroom screens: articles by category and state, API tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from syndicate.exceptions import InvalidInput
from syndicate.services import services
from syndicate.store import tokens as token_store
from tests.admin_helpers import console_app, post, sign_in, text
from tests.conftest import FakeClock, article_body

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def app(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Flask]:
    app = console_app(database_url, tmp_path, clock)
    newsroom = services(app).newsroom
    newsroom.create(article_body(slug="publie", title="Publié à Bamako"))
    newsroom.create(article_body(slug="eco", title="Le coton", categories=["economie"]))
    newsroom.create(
        article_body(slug="demain", title="Programmé", published_at="2026-12-25T08:00:00Z")
    )
    newsroom.create(article_body(slug="brouillon", title="Brouillon", status="draft"))
    yield app
    services(app).store.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client).status_code == 302
    return client


def titles(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r'<th scope="row">(.*?)<span class="url">', html, re.S)
    ]


def test_articles_are_filtered_by_state_and_category(client: FlaskClient) -> None:
    everything = text(client.get("/admin/articles"))
    assert titles(everything) == ["Programmé", "Brouillon", "Le coton", "Publié à Bamako"]
    assert "2 publié(s), 1 programmé(s)" in everything and "1 brouillon(s)" in everything
    assert set(titles(text(client.get("/admin/articles?state=published")))) == {
        "Publié à Bamako", "Le coton",
    }  # fmt: skip
    assert titles(text(client.get("/admin/articles?state=scheduled"))) == ["Programmé"]
    assert titles(text(client.get("/admin/articles?state=draft"))) == ["Brouillon"]
    assert titles(text(client.get("/admin/articles?category=economie"))) == ["Le coton"]
    assert titles(text(client.get("/admin/articles?category=securite&state=published"))) == [
        "Publié à Bamako"
    ]
    assert client.get("/admin/articles?page=9").status_code == 404


def test_articles_link_their_page_and_feeds(client: FlaskClient) -> None:
    html = text(client.get("/admin/articles?category=economie"))
    assert '<a href="https://news.example/articles/eco">Le coton</a>' in html
    assert 'href="https://news.example/feeds/economie.rss"' in html
    assert 'href="https://news.example/feeds/economie.atom"' in html
    assert 'href="https://news.example/categories/economie"' in html
    scheduled = text(client.get("/admin/articles?state=scheduled"))
    assert "/articles/demain" not in scheduled  # not public yet: no link to a 404
    assert 'href="https://news.example/feeds/all.json"' in scheduled


def test_newsroom_refuses_an_unknown_state(app: Flask) -> None:
    with pytest.raises(InvalidInput):
        services(app).newsroom.page_in_state(None, "archived", 1, 10)


def test_tokens_are_shown_once_and_revoked(app: Flask, client: FlaskClient) -> None:
    created = post(client, "/admin/tokens", {"name": "  agence   photo "})
    assert created.status_code == 200
    html = text(created)
    secret = re.search(r'id="new-token" class="secret" type="text" value="(syn_[^"]+)"', html)
    assert secret and "il ne sera plus jamais affiché" in html
    assert created.headers["Cache-Control"] == "no-store"
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret.group(1)}"}
    assert api.post("/api/v1/articles", json={}, headers=headers).status_code == 422  # token works

    listing = text(client.get("/admin/tokens"))
    assert secret.group(1) not in listing and "agence photo" in listing
    with services(app).store.connect() as connection:
        (token,) = token_store.all_tokens(connection)
    response = post(client, f"/admin/tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert f"Jeton {token.id} révoqué" in text(client.get("/admin/tokens"))
    assert api.post("/api/v1/articles", json={}, headers=headers).status_code == 401
    again = post(client, f"/admin/tokens/{token.id}/revoke")
    assert f"Aucun jeton actif n° {token.id}" in text(client.get(again.location))


def test_token_names_are_checked(app: Flask, client: FlaskClient) -> None:
    for name in ("", "   ", "x" * 101):
        response = post(client, "/admin/tokens", {"name": name})
        assert response.status_code == 422 and "de 1 à 100 caractères" in text(response)
    with services(app).store.connect() as connection:
        assert token_store.all_tokens(connection) == []
