from flask.testing import FlaskClient

from tests.conftest import article_body


def test_create_then_read(client: FlaskClient, auth: dict[str, str]) -> None:
    created = client.post("/api/v1/articles", json=article_body(), headers=auth)
    assert created.status_code == 201, created.json
    assert client.get("/api/v1/articles/aes-bamako").json["title"].startswith("Les chefs")
