"""WebSub: hub links are tested with the feeds; here, the publish pings, against a fake hub."""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from flask import Flask

from syndicate.aggregate.scheduler import LeaseLock, Scheduler
from syndicate.exceptions import ConfigError
from syndicate.publish import publishing
from syndicate.publish.websub import WebSubPublisher, _retry_after, retry_delay
from syndicate.related_service import feed_key
from syndicate.services import services
from syndicate.store.articles import touch_feeds
from tests.conftest import FakeClock, article_body, make_app

BASE = "https://news.example"


class FakeHub:
    """A WebSub hub on loopback: records each publish ping, answers with scripted statuses."""

    def __init__(self) -> None:
        self.pings: list[dict[str, Any]] = []
        self.statuses: list[int] = []  # answers to the next requests, then 204
        self.release = threading.Event()
        self.release.set()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                hub.release.wait(10)
                with hub.lock:
                    hub.pings.append(
                        {"type": self.headers.get("Content-Type"), "form": parse_qs(body)}
                    )
                    status = hub.statuses.pop(0) if hub.statuses else 204
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def topics(self) -> list[str]:
        with self.lock:
            return [ping["form"]["hub.url"][0] for ping in self.pings]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    server = FakeHub()
    yield server
    server.close()


@pytest.fixture
def app(database_url: str, tmp_path: Path, clock: FakeClock, hub: FakeHub) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path, clock, websub_hub=hub.url)
    yield app
    publishing(app).close()
    services(app).store.dispose()


def publisher(app: Flask) -> WebSubPublisher:
    found = publishing(app).websub
    assert found is not None
    return found


def look(app: Flask) -> WebSubPublisher:
    """The scheduler's look for changed feeds, then its pings sent."""
    found = publisher(app)
    found.check_now()
    assert found.flush(10)
    return found


def topics(*feeds: str) -> set[str]:
    return {f"{BASE}/feeds/{feed}.{ext}" for feed in feeds for ext in ("rss", "atom", "json")}


def test_a_publish_pings_every_changed_feed_url(
    app: Flask, hub: FakeHub, auth: dict[str, str]
) -> None:
    response = app.test_client().post("/api/v1/articles", json=article_body(), headers=auth)
    assert response.status_code == 201
    look(app)
    assert set(hub.topics()) == topics("all", "securite", "politique")
    assert len(hub.pings) == 9
    for ping in hub.pings:
        assert ping["type"] == "application/x-www-form-urlencoded"
        assert ping["form"]["hub.mode"] == ["publish"]


def test_update_and_delete_ping_old_and_new_categories(app: Flask, hub: FakeHub) -> None:
    newsroom = services(app).newsroom
    newsroom.create(article_body(categories=["sport"]))
    look(app)
    hub.pings.clear()
    newsroom.patch("aes-bamako", {"categories": ["culture"]})
    look(app)
    assert set(hub.topics()) == topics("all", "sport", "culture")
    hub.pings.clear()
    newsroom.delete("aes-bamako")
    look(app)
    assert set(hub.topics()) == topics("all", "culture")
    hub.pings.clear()
    look(app)
    assert hub.pings == []  # nothing changed since the last look


def test_pings_never_hold_a_write_nor_the_scheduler(app: Flask, hub: FakeHub) -> None:
    hub.release.clear()  # the hub hangs
    services(app).newsroom.create(article_body())  # a write: the web process pings nothing
    assert publisher(app).flush(1)
    assert hub.pings == []
    publisher(app).check_now()  # the scheduler's look queues them and returns
    hub.release.set()
    assert publisher(app).flush(10)
    assert len(hub.pings) == 9


def test_a_write_whose_process_died_is_still_pinged(
    app: Flask, hub: FakeHub, database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    """``feed_changes`` is the outbox: the scheduler process pings what any process wrote."""
    services(app).newsroom.create(article_body())
    publishing(app).close()  # the web process is gone, nothing sent
    scheduler_side = make_app(database_url, tmp_path / "scheduler", clock, websub_hub=hub.url)
    try:
        look(scheduler_side)
        assert set(hub.topics()) == topics("all", "securite", "politique")
    finally:
        publishing(scheduler_side).close()
        services(scheduler_side).store.dispose()


def test_a_starting_scheduler_looks_back_one_day(
    app: Flask, hub: FakeHub, clock: FakeClock
) -> None:
    newsroom = services(app).newsroom
    newsroom.create(article_body(categories=["sport"]))
    clock.advance(days=2)
    newsroom.create(article_body(slug="plus-tard", categories=["culture"]))
    look(app)  # the sport feed changed two days ago: not pinged again
    assert set(hub.topics()) == topics("all", "culture")


def test_an_unreachable_hub_never_fails_a_publish(
    database_url: str, tmp_path: Path, clock: FakeClock, auth: dict[str, str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app = make_app(database_url, tmp_path, clock, websub_hub=f"http://127.0.0.1:{closed_port}/")
    try:
        found = publisher(app)
        found.backoff, found.attempts = 0.001, 2
        article = services(app).newsroom.create(article_body())
        assert article.slug == "aes-bamako"
        found.check_now()
        assert found.flush(10)
        assert {topic for topic, _ in found.failed} == topics("all", "securite", "politique")
        assert found.sent == []
    finally:
        publishing(app).close()
        services(app).store.dispose()


def test_failed_pings_are_retried_with_backoff(hub: FakeHub) -> None:
    hub.statuses = [503, 429, 502]
    sender = WebSubPublisher(hub.url, lambda feeds: sorted(feeds), backoff=0.001, attempts=5)
    try:
        sender.publish(["https://news.example/feeds/all.rss"])
        assert sender.flush(10)
        assert hub.topics() == ["https://news.example/feeds/all.rss"] * 4
        assert sender.sent == [("https://news.example/feeds/all.rss", 204)]
        assert sender.failed == []
    finally:
        sender.close()


def test_client_errors_are_not_retried_and_attempts_are_bounded(hub: FakeHub) -> None:
    hub.statuses = [400, 500, 500, 500]
    sender = WebSubPublisher(hub.url, lambda feeds: sorted(feeds), backoff=0.001, attempts=3)
    try:
        sender.publish(["https://news.example/feeds/a.rss"])
        assert sender.flush(10)
        assert sender.failed == [("https://news.example/feeds/a.rss", "hub answered 400")]
        sender.publish(["https://news.example/feeds/b.rss"])
        assert sender.flush(10)
        assert hub.topics().count("https://news.example/feeds/b.rss") == 3
        assert sender.failed[-1] == ("https://news.example/feeds/b.rss", "hub answered 500")
    finally:
        sender.close()


def test_a_scheduled_article_is_pinged_when_its_time_comes(
    app: Flask, hub: FakeHub, clock: FakeClock
) -> None:
    services(app).newsroom.create(
        article_body(categories=["sport"], published_at="2026-11-29T15:00:00Z")
    )
    found = publisher(app)
    assert found.flush(10)
    hub.pings.clear()
    found.check_now()
    assert found.flush(10)
    assert hub.pings == []  # not yet due
    clock.advance(hours=3, minutes=1)
    found.check_now()
    assert found.flush(10)
    assert set(hub.topics()) == topics("all", "sport")
    hub.pings.clear()
    found.check_now()
    assert found.flush(10)
    assert hub.pings == []  # once only


def test_only_the_leading_scheduler_pings_for_scheduled_articles(
    app: Flask, hub: FakeHub, clock: FakeClock
) -> None:
    """Web processes never look for articles coming out; of two schedulers, only the one
    holding the lock does, so an article coming out is pinged once."""
    services(app).newsroom.create(
        article_body(categories=["sport"], published_at="2026-11-29T15:00:00Z")
    )
    assert publisher(app).flush(10)
    hub.pings.clear()
    svc = services(app)

    def scheduler(holder: str) -> Scheduler:
        lock = LeaseLock(svc.store, holder, timedelta(seconds=60), clock)
        return Scheduler(
            svc.aggregator, svc.store, tick=1, lease=60, clock=clock, lock=lock,
            pings=publisher(app).check_now,
        )  # fmt: skip

    leader, standby = scheduler("leader"), scheduler("standby")
    assert leader.heartbeat() and not standby.heartbeat()
    clock.advance(hours=3, minutes=1)
    standby._guarded("pings")
    assert publisher(app).flush(10)
    assert hub.pings == []
    leader._guarded("pings")
    assert publisher(app).flush(10)
    assert set(hub.topics()) == topics("all", "sport")
    leader.lock.release()


def test_a_related_feed_names_the_hub_and_is_pinged_when_its_stories_change(
    app: Flask, hub: FakeHub, clock: FakeClock
) -> None:
    response = app.test_client().get("/feeds/securite/related.atom")
    assert response.status_code == 200
    assert response.headers["Link"] == (
        f'<{hub.url}>; rel="hub", <{BASE}/feeds/securite/related.atom>; rel="self"'
    )
    look(app)
    hub.pings.clear()
    with services(app).store.begin() as connection:  # as the related service does
        touch_feeds(connection, [feed_key("securite")], clock())
    look(app)
    assert set(hub.topics()) == {
        f"{BASE}/feeds/securite/related.{ext}" for ext in ("rss", "atom", "json")
    }


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(7)
    for attempt, step in ((1, 2.0), (2, 4.0), (3, 8.0), (10, 600.0)):
        delays = [retry_delay(attempt, 2.0, 600.0, rng) for _ in range(50)]
        assert all(step / 2 <= delay <= step for delay in delays)
        assert len(set(delays)) > 1
    assert _retry_after("120") == 120.0
    assert _retry_after("Thu, 01 Jan 1970 00:00:00 GMT") == 0.0
    assert _retry_after("soon") is None
    assert _retry_after(None) is None


def test_a_hub_url_must_be_http(database_url: str, tmp_path: Path, clock: FakeClock) -> None:
    with pytest.raises(ConfigError, match="SYNDICATE_WEBSUB_HUB"):
        make_app(database_url, tmp_path, clock, websub_hub="ftp://hub.example/")


def test_no_hub_no_publisher(database_url: str, tmp_path: Path, clock: FakeClock) -> None:
    app = make_app(database_url, tmp_path, clock)
    try:
        assert publishing(app).websub is None
    finally:
        publishing(app).close()
        services(app).store.dispose()
