"""The objects one app instance shares, kept in ``app.extensions["syndicate"]``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, current_app

from syndicate.aggregate.service import Aggregator
from syndicate.config import Settings
from syndicate.newsroom.service import Newsroom
from syndicate.operators.service import Operators
from syndicate.related_service import RelatedService
from syndicate.store import Store
from syndicate.types import Category, Clock

EXTENSION_KEY = "syndicate"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    categories: Mapping[str, Category]
    clock: Clock
    newsroom: Newsroom
    aggregator: Aggregator
    operators: Operators
    related: RelatedService

    @classmethod
    def build(
        cls, settings: Settings, categories: Mapping[str, Category], clock: Clock
    ) -> Services:
        store = Store(settings.resolved_database_url)
        newsroom = Newsroom(store, categories, settings.base_url, clock)
        aggregator = Aggregator(store, settings, categories, clock)
        operators = Operators(store, clock)
        related = RelatedService(
            store, categories, clock, base_url=settings.base_url, site_name=settings.site_name,
            limit=settings.related_limit, feed_size=settings.feed_size,
            retention_days=settings.story_retention_days, embeddings=settings.related_embeddings,
        )  # fmt: skip
        return cls(settings, store, categories, clock, newsroom, aggregator, operators, related)

    def init_app(self, app: Flask) -> None:
        app.extensions[EXTENSION_KEY] = self


def services(app: Flask | None = None) -> Services:
    target = app or current_app
    found = target.extensions[EXTENSION_KEY]
    assert isinstance(found, Services)
    return found
