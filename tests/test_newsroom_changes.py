"""What a newsroom write announces: the feeds it changes, and the related lists to redo."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from syndicate.services import services
from tests.conftest import FakeClock, article_body


def test_an_import_that_moves_an_article_reports_both_categories(app: Flask) -> None:
    newsroom = services(app).newsroom
    heard: list[frozenset[str]] = []
    newsroom.import_lines([json.dumps(article_body(categories=["sport"]))], update_existing=False)
    newsroom.listeners.append(heard.append)
    moved = json.dumps(article_body(categories=["culture"]))
    newsroom.import_lines([moved], update_existing=True)
    assert heard == [frozenset({"all", "sport", "culture"})]


def test_drafts_and_scheduled_articles_change_no_feed(app: Flask) -> None:
    newsroom = services(app).newsroom
    heard: list[frozenset[str]] = []
    newsroom.listeners.append(heard.append)
    with services(app).store.connect() as connection:
        before = feed_store_versions(connection)
    newsroom.create(article_body(slug="brouillon", status="draft"))
    newsroom.create(article_body(slug="plus-tard", published_at="2026-12-24T08:00:00Z"))
    newsroom.patch("plus-tard", {"title": "Toujours programmé"})
    with services(app).store.connect() as connection:
        assert feed_store_versions(connection) == before
    assert heard == []
    newsroom.patch("brouillon", {"status": "published"})
    assert heard == [frozenset({"all", "securite", "politique"})]


def test_each_write_queues_its_article_for_related_stories_in_its_own_transaction(
    app: Flask,
) -> None:
    from syndicate.exceptions import Conflict
    from syndicate.store import related as related_store

    newsroom = services(app).newsroom
    article = newsroom.create(article_body())
    with pytest.raises(Conflict):
        newsroom.create(article_body(title="Doublon"))
    with services(app).store.connect() as connection:
        assert related_store.dirty(connection, 10) == {article.id: 1}
    newsroom.delete(article.slug)
    with services(app).store.connect() as connection:
        assert related_store.dirty(connection, 10) == {article.id: 2}


def feed_store_versions(connection: Any) -> list[Any]:
    from sqlalchemy import select

    from syndicate.store.schema import feed_changes

    return list(connection.execute(select(feed_changes).order_by(feed_changes.c.feed)))


def test_public_totals_follow_writes_and_scheduled_articles(app: Flask, clock: FakeClock) -> None:
    newsroom = services(app).newsroom

    def total() -> int:
        return newsroom.page("securite", 1, 5, public_only=True).total

    assert total() == 0
    newsroom.create(article_body(slug="un"))
    assert total() == 1
    newsroom.create(article_body(slug="plus-tard", published_at="2026-11-29T13:00:00Z"))
    newsroom.create(article_body(slug="brouillon", status="draft"))
    assert total() == 1
    clock.advance(hours=2)  # the scheduled one comes out, with no write
    assert total() == 2
    newsroom.delete("un")
    assert total() == 1
    assert newsroom.page("securite", 1, 5, public_only=False).total == 2
