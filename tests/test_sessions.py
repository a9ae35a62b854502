"""Signed-cookie sessions still work; requests without one pay nothing and get no cookie."""

from __future__ import annotations

from pathlib import Path

from flask import session

from syndicate.publish import publishing
from syndicate.services import services
from tests.conftest import FakeClock, make_app


def test_sessions_round_trip_and_stay_out_of_sessionless_requests(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(database_url, tmp_path, clock)
    app.add_url_rule("/_set", "set", lambda: session.update(seen="oui") or "set")
    app.add_url_rule("/_get", "get", lambda: session.get("seen", "non"))
    try:
        client = app.test_client()
        plain = client.get("/feeds/all.rss")
        assert "Set-Cookie" not in plain.headers
        assert "Cookie" not in plain.headers.get("Vary", "")
        assert client.get("/_get").get_data(as_text=True) == "non"
        stored = client.get("/_set")
        assert stored.headers["Set-Cookie"].startswith("session=")
        assert "Cookie" in stored.headers["Vary"]
        assert client.get("/_get").get_data(as_text=True) == "oui"
        client.set_cookie("session", "tampered")
        assert client.get("/_get").get_data(as_text=True) == "non"
    finally:
        publishing(app).close()
        services(app).store.dispose()
