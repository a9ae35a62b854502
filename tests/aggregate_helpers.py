"""Shared pieces of the aggregation tests: an app that may reach loopback partners."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from syndicate.aggregate.service import Aggregator
from syndicate.services import services
from syndicate.store import sources as source_store
from syndicate.store import stories as story_store
from syndicate.types import Source, Story
from tests.conftest import FakeClock, make_app

FAST_FETCH = {
    "allow_private_sources": True,
    "fetch_deadline": 3.0,
    "fetch_connect_timeout": 2.0,
    "fetch_read_timeout": 2.0,
    "fetch_concurrency": 4,
}


def aggregation_app(database_url: str, tmp_path: Path, clock: FakeClock, **overrides: Any) -> Flask:
    return make_app(database_url, tmp_path, clock, **{**FAST_FETCH, **overrides})


def aggregator_of(app: Flask) -> Aggregator:
    return services(app).aggregator


def insert_source(app: Flask, url: str, category: str = "economie", **values: Any) -> Source:
    """A source stored directly (no first fetch), due now."""
    svc = services(app)
    with svc.store.begin() as connection:
        source = source_store.create(
            connection, url=url, name=values.pop("name", "Partenaire"), category=category,
            interval=values.pop("interval", 1800), origin="cli", now=svc.clock(),
        )  # fmt: skip
        if values:
            source_store.change(connection, source.id, values)
    return svc.aggregator.get(source.id)


def stories_of(app: Flask, source_id: int) -> list[Story]:
    with services(app).store.connect() as connection:
        return list(story_store.page_for_source(connection, source_id, 1, 1000).items)
