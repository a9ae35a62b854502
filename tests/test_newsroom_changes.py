"""What a newsroom write announces: the feeds it changes, and the related lists to redo."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask

from syndicate.services import services
from syndicate.store import feeds as feed_store
from tests.conftest import FakeClock, article_body


def bumped(app: Flask, write: Callable[[], object]) -> set[str]:
    """The feeds whose version the write moved (what caches and WebSub pings follow)."""
    with services(app).store.connect() as connection:
        before = feed_store.written_versions(connection)
    write()
    with services(app).store.connect() as connection:
        after = feed_store.written_versions(connection)
    return {feed for feed, (version, _) in after.items() if before.get(feed, (0,))[0] != version}


def test_an_import_that_moves_an_article_changes_both_categories(app: Flask) -> None:
    newsroom = services(app).newsroom
    newsroom.import_lines([json.dumps(article_body(categories=["sport"]))], update_existing=False)
    moved = json.dumps(article_body(categories=["culture"]))
    changed = bumped(app, lambda: newsroom.import_lines([moved], update_existing=True))
    assert changed == {"all", "sport", "culture"}


def test_drafts_and_scheduled_articles_change_no_feed(app: Flask) -> None:
    newsroom = services(app).newsroom
    assert (
        bumped(app, lambda: newsroom.create(article_body(slug="brouillon", status="draft")))
        == set()
    )
    later = article_body(slug="plus-tard", published_at="2026-12-24T08:00:00Z")
    assert bumped(app, lambda: newsroom.create(later)) == set()
    assert (
        bumped(app, lambda: newsroom.patch("plus-tard", {"title": "Toujours programmé"})) == set()
    )
    published = bumped(app, lambda: newsroom.patch("brouillon", {"status": "published"}))
    assert published == {"all", "securite", "politique"}


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
