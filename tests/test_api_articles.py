"""The newsroom's API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import FakeClock, article_body

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def problem_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    return dict(body)


def failing_fields(response: Any) -> dict[str, str]:
    body = problem_of(response, 422)
    return {error["field"]: error["detail"] for error in body["errors"]}


def post(client: FlaskClient, auth: dict[str, str], **changes: Any) -> Any:
    return client.post("/api/v1/articles", json=article_body(**changes), headers=auth)


def test_create_returns_the_article_in_the_spec_shape(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    response = post(client, auth)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) >= {
        "slug", "title", "summary", "content_html", "author", "categories", "tags",
        "language", "published_at", "updated_at", "image", "url",
    }  # fmt: skip
    assert body["url"] == "https://news.example/articles/aes-bamako"
    assert response.headers["Location"] == "https://news.example/api/v1/articles/aes-bamako"
    assert body["published_at"] == "2026-11-06T09:30:00Z"
    assert body["updated_at"] == "2026-11-06T09:30:00Z"
    assert body["author"] == {"name": "Awa Traoré", "email": "awa.traore@redaction.example"}
    assert body["image"] == {
        "url": "https://news.example/media/demo/aes.jpg",
        "type": "image/jpeg",
        "length": 1234,
        "alt": "",
    }
    assert client.get("/api/v1/articles/aes-bamako").get_json() == body


def test_html_is_sanitised_before_it_is_stored(client: FlaskClient, auth: dict[str, str]) -> None:
    hostile = (
        '<p onclick="steal()">Texte<script>alert(1)</script></p>'
        '<a href="javascript:alert(1)">x</a><a href="/articles/autre">lien</a>'
        '<img src="x" onerror="alert(1)"><style>body{}</style><form><input></form>'
    )
    stored = post(client, auth, content_html=hostile).get_json()["content_html"]
    for forbidden in ("script", "onclick", "onerror", "javascript:", "style", "form", "input"):
        assert forbidden not in stored
    assert 'href="https://news.example/articles/autre"' in stored
    assert "Texte" in stored


def test_slug_is_made_from_the_title_and_kept_unique(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    first = post(client, auth, slug=None, title="Côte d’Ivoire : la récolte de cacao")
    second = post(client, auth, slug=None, title="Côte d’Ivoire : la récolte de cacao")
    assert first.get_json()["slug"] == "cote-d-ivoire-la-recolte-de-cacao"
    assert second.get_json()["slug"] == "cote-d-ivoire-la-recolte-de-cacao-2"


def test_validation_lists_every_failing_field(client: FlaskClient, auth: dict[str, str]) -> None:
    response = post(
        client,
        auth,
        title="",
        slug="Pas Un Slug!",
        categories=["inconnue"],
        published_at="6 novembre 2026",
        tags="mali",
        author={"name": 3},
        image={"url": "javascript:alert(1)", "type": "text/html", "length": -1},
        colour="rouge",
    )
    fields = failing_fields(response)
    assert set(fields) == {
        "title", "slug", "categories", "published_at", "tags", "author.name",
        "image.url", "image.type", "image.length", "colour",
    }  # fmt: skip
    assert "inconnue" in fields["categories"]
    assert client.get("/api/v1/articles").get_json()["total"] == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": None}, "title"),
        ({"categories": None}, "categories"),
        ({"categories": []}, "categories"),
        ({"title": 12}, "title"),
        ({"published_at": "2026-11-06T09:30:00"}, "published_at"),
        ({"published_at": "2026-02-30T09:30:00Z"}, "published_at"),
        ({"updated_at": "2026-11-01T00:00:00Z"}, "updated_at"),
        ({"status": "archived"}, "status"),
        ({"language": "français"}, "language"),
        ({"title": "Titre\x00avec un NUL"}, "title"),
        ({"author": {"name": "A", "email": "pas-un-email"}}, "author.email"),
        (
            {"image": {"url": "//evil.example/x.jpg", "type": "image/jpeg", "length": 1}},
            "image.url",
        ),
        ({"image": {"url": "/x.jpg", "type": "image/jpeg", "length": True}}, "image.length"),
    ],
)
def test_each_bad_field_gets_a_422(
    client: FlaskClient, auth: dict[str, str], changes: dict[str, Any], field: str
) -> None:
    assert field in failing_fields(post(client, auth, **changes))


def test_malformed_json_is_a_400(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/articles", data='{"title": ', content_type="application/json", headers=auth
    )
    assert "malformed JSON" in problem_of(response, 400)["detail"]


def test_a_body_that_is_not_an_object_is_a_422(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post("/api/v1/articles", json=["not", "an", "object"], headers=auth)
    assert "body" in failing_fields(response)


def test_not_json_is_a_415(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post("/api/v1/articles", data={"title": "x"}, headers=auth)
    problem_of(response, 415)


def test_body_over_the_limit_is_a_413(client: FlaskClient, auth: dict[str, str]) -> None:
    huge = article_body(content_html="<p>" + "a" * 1_100_000 + "</p>")
    response = client.post(
        "/api/v1/articles", data=json.dumps(huge), content_type="application/json", headers=auth
    )
    problem_of(response, 413)


def test_duplicate_slug_is_a_409(client: FlaskClient, auth: dict[str, str]) -> None:
    assert post(client, auth).status_code == 201
    assert "aes-bamako" in problem_of(post(client, auth), 409)["detail"]


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic dXNlcjpwYXNz", "Bearer "])
def test_writes_need_a_valid_token(client: FlaskClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    for response in (
        client.post("/api/v1/articles", json=article_body(), headers=headers),
        client.put("/api/v1/articles/aes-bamako", json=article_body(), headers=headers),
        client.patch("/api/v1/articles/aes-bamako", json={"title": "x"}, headers=headers),
        client.delete("/api/v1/articles/aes-bamako", headers=headers),
    ):
        problem_of(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_refused(client: FlaskClient, auth: dict[str, str], runner: Any) -> None:
    assert runner.invoke(args=["tokens", "revoke", "1"]).exit_code == 0
    response = post(client, auth)
    problem_of(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_unknown_article_is_a_404(client: FlaskClient, auth: dict[str, str]) -> None:
    problem_of(client.get("/api/v1/articles/nope"), 404)
    problem_of(client.put("/api/v1/articles/nope", json=article_body(), headers=auth), 404)
    problem_of(client.patch("/api/v1/articles/nope", json={"title": "x"}, headers=auth), 404)
    problem_of(client.delete("/api/v1/articles/nope", headers=auth), 404)


def test_wrong_method_is_a_405(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.delete("/api/v1/articles", headers=auth)
    problem_of(response, 405)
    assert "GET" in response.headers["Allow"]


def test_put_replaces_and_keeps_slug_and_publication(
    client: FlaskClient, auth: dict[str, str], clock: FakeClock
) -> None:
    post(client, auth)
    body = article_body(title="Nouveau titre", tags=None, image=None, published_at=None)
    response = client.put("/api/v1/articles/aes-bamako", json=body, headers=auth)
    assert response.status_code == 200, response.get_json()
    article = response.get_json()
    assert article["title"] == "Nouveau titre"
    assert article["tags"] == [] and article["image"] is None
    assert article["published_at"] == "2026-11-06T09:30:00Z"
    assert article["updated_at"] == "2026-11-29T12:00:00Z"
    renamed = client.put(
        "/api/v1/articles/aes-bamako", json=article_body(slug="autre"), headers=auth
    )
    assert "slug" in failing_fields(renamed)


def test_patch_changes_only_what_it_names(client: FlaskClient, auth: dict[str, str]) -> None:
    post(client, auth)
    response = client.patch(
        "/api/v1/articles/aes-bamako",
        json={"summary": "Nouveau chapeau", "image": None, "author": {"email": None}},
        headers=auth,
    )
    assert response.status_code == 200, response.get_json()
    article = response.get_json()
    assert article["summary"] == "Nouveau chapeau"
    assert article["title"].startswith("Les chefs")
    assert article["image"] is None
    assert article["author"] == {"name": "Awa Traoré", "email": None}
    bad = client.patch("/api/v1/articles/aes-bamako", json={"categories": ["x"]}, headers=auth)
    assert "categories" in failing_fields(bad)
    assert client.get("/api/v1/articles/aes-bamako").get_json()["categories"] == [
        "securite",
        "politique",
    ]


def test_delete_removes_the_article(client: FlaskClient, auth: dict[str, str]) -> None:
    post(client, auth)
    assert client.delete("/api/v1/articles/aes-bamako", headers=auth).status_code == 204
    problem_of(client.get("/api/v1/articles/aes-bamako"), 404)
    assert post(client, auth).status_code == 201


def test_list_paginates_with_link_headers_and_filters(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    for day in range(1, 8):
        post(
            client,
            auth,
            slug=f"article-{day}",
            categories=["economie"] if day % 2 else ["sport"],
            published_at=f"2026-11-0{day}T08:00:00Z",
        )
    response = client.get("/api/v1/articles?per_page=3&page=2")
    body = response.get_json()
    assert [a["slug"] for a in body["items"]] == ["article-4", "article-3", "article-2"]
    assert (body["page"], body["per_page"], body["total"]) == (2, 3, 7)
    links = response.headers["Link"]
    for rel, page in (("first", 1), ("prev", 1), ("next", 3), ("last", 3)):
        assert f'page={page}&per_page=3>; rel="{rel}"' in links
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    economy = client.get("/api/v1/articles?category=economie").get_json()
    assert [a["slug"] for a in economy["items"]] == [
        "article-7",
        "article-5",
        "article-3",
        "article-1",
    ]
    problem_of(client.get("/api/v1/articles?category=inconnue"), 404)
    problem_of(client.get("/api/v1/articles?page=9&per_page=3"), 404)
    problem_of(client.get("/api/v1/articles?per_page=0"), 400)
    problem_of(client.get("/api/v1/articles?per_page=1000"), 400)
    problem_of(client.get("/api/v1/articles?page=abc"), 400)


def test_scheduled_and_draft_articles_stay_out_of_public_view(
    client: FlaskClient, auth: dict[str, str], clock: FakeClock
) -> None:
    post(client, auth, slug="plus-tard", published_at="2026-11-29T18:00:00Z")
    post(client, auth, slug="brouillon", status="draft")
    post(client, auth, slug="en-ligne")
    public = client.get("/api/v1/articles").get_json()
    assert [a["slug"] for a in public["items"]] == ["en-ligne"]
    problem_of(client.get("/api/v1/articles/plus-tard"), 404)
    assert client.get("/articles/plus-tard").status_code == 404
    assert client.get("/api/v1/articles/plus-tard", headers=auth).status_code == 200
    assert client.get("/api/v1/articles", headers=auth).get_json()["total"] == 3

    clock.advance(hours=6)
    public = client.get("/api/v1/articles").get_json()
    assert [a["slug"] for a in public["items"]] == ["plus-tard", "en-ligne"]
    assert client.get("/articles/plus-tard").status_code == 200
    problem_of(client.get("/api/v1/articles/brouillon"), 404)


def test_categories_are_listed_with_their_feeds(client: FlaskClient) -> None:
    items = client.get("/api/v1/categories").get_json()["items"]
    assert [c["slug"] for c in items][:3] == ["politique", "securite", "economie"]
    securite = items[1]
    assert securite["title"] == "Sécurité"
    assert securite["feeds"]["atom"] == "https://news.example/feeds/securite.atom"


def test_openapi_document_lists_the_article_paths(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert {"get", "put", "patch", "delete"} <= set(document["paths"]["/articles/{slug}"])


def test_a_bad_token_on_a_read_is_a_401_not_an_anonymous_read(client: FlaskClient) -> None:
    response = client.get("/api/v1/articles", headers={"Authorization": "Bearer revoked"})
    problem_of(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_token_use_is_recorded_at_most_once_a_minute(
    app: Any, client: FlaskClient, auth: dict[str, str], clock: FakeClock
) -> None:
    from syndicate.services import services
    from syndicate.store import tokens

    def last_used() -> Any:
        with services(app).store.connect() as connection:
            return tokens.all_tokens(connection)[0].last_used_at

    client.get("/api/v1/articles", headers=auth)
    first = last_used()
    assert first == clock()
    clock.advance(seconds=30)
    client.get("/api/v1/articles", headers=auth)
    assert last_used() == first
    clock.advance(seconds=31)
    client.get("/api/v1/articles", headers=auth)
    assert last_used() == clock()
