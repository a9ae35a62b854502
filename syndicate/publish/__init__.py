"""Our outbound feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 for every category and ``all``.

``compose`` turns articles into a format-neutral ``model.FeedDocument``; ``feedgen_adapter``
(the only feedgen import) and ``jsonfeed`` write it; ``service`` and ``caching`` keep rendered
bytes valid for as long as the store says nothing changed; ``websub`` pings the hub; ``views``
is the blueprint. ``init_app`` wires them into an app.
"""

from __future__ import annotations

from flask import Flask, current_app

from syndicate.publish.compose import Site
from syndicate.publish.service import FeedService
from syndicate.publish.websub import WebSubPublisher
from syndicate.services import services

EXTENSION_KEY = "syndicate.publish"


class Publishing:
    """The feed service and, when a hub is configured, the WebSub publisher of one app."""

    def __init__(self, feeds: FeedService, websub: WebSubPublisher | None) -> None:
        self.feeds = feeds
        self.websub = websub

    def close(self) -> None:
        if self.websub is not None:
            self.websub.close()
        self.feeds.close()


def init_app(app: Flask) -> Publishing:
    from syndicate.publish.views import FastPath, bp

    svc = services(app)
    settings = svc.settings
    site = Site(
        base_url=settings.base_url,
        name=settings.site_name,
        max_age=settings.feed_max_age,
        hub=settings.websub_hub or None,
        categories=svc.categories,
    )
    feeds = FeedService(
        svc.store,
        site,
        svc.clock,
        page_size=settings.feed_size,
        max_pages=settings.feed_max_pages,
    )
    websub = None
    if settings.websub_hub:
        websub = WebSubPublisher(
            settings.websub_hub, feeds.topic_urls, store=svc.store, clock=svc.clock
        )
    publishing = Publishing(feeds, websub)
    app.extensions[EXTENSION_KEY] = publishing
    app.register_blueprint(bp)
    from syndicate.publish.related_feeds import bp as related_bp

    app.register_blueprint(related_bp)
    app.wsgi_app = FastPath(app.wsgi_app, feeds)  # type: ignore[method-assign]
    return publishing


def publishing(app: Flask | None = None) -> Publishing:
    found = (app or current_app).extensions[EXTENSION_KEY]
    assert isinstance(found, Publishing)
    return found
