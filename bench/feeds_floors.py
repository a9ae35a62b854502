"""The floors of ``bench/feeds_bench.py``: a bare Flask app that imports nothing of ours.

gunicorn serves it with the same settings as the full app (``feeds_floors:app``); the bench
points it at its inputs through the environment:

- ``FEEDS_FLOOR_BODY``: a file holding the feed's bytes, and ``FEEDS_FLOOR_ETAG`` its tag;
- ``FEEDS_FLOOR_INPUT``: JSON ``{"channel": {...}, "articles": [...]}`` (articles in the API's
  shape), which ``feedgen_rss`` turns into RSS on every request.

Routes: ``GET /cached.rss`` returns the bytes, or a ``304`` when ``If-None-Match`` is their
tag (the cached and the 304 floors); ``GET /generated.rss`` runs feedgen each time.
``feedgen_rss`` is also the in-process floor of the regeneration row.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from feedgen.feed import FeedGenerator
from flask import Flask, Response, request

RSS_TYPE = "application/rss+xml; charset=utf-8"


def prepared(articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Articles with their times as datetimes, done once (not part of any timed work)."""
    out = []
    for article in articles:
        article = dict(article)
        for key in ("published_at", "updated_at"):
            article[key] = datetime.fromisoformat(article[key].replace("Z", "+00:00"))
        out.append(article)
    return out


def feedgen_rss(channel: dict[str, Any], articles: list[dict[str, Any]]) -> bytes:
    """A full-content RSS feed of ``articles`` written with feedgen the plain way."""
    fg = FeedGenerator()
    fg.title(channel["title"])
    fg.description(channel["description"])
    fg.language("fr")
    fg.link(href=channel["self_url"], rel="self", type="application/rss+xml")
    fg.link(href=channel["home_url"], rel="alternate", type="text/html")
    fg.ttl(channel["ttl"])
    if articles:
        fg.lastBuildDate(max(a["updated_at"] for a in articles))
    for article in articles:
        entry = fg.add_entry(order="append")
        entry.id(article["url"])
        entry.guid(article["url"], permalink=True)
        entry.title(article["title"])
        entry.link(href=article["url"])
        entry.description(article["summary"])
        entry.content(article["content_html"], type="CDATA")
        author = article.get("author")
        if author:
            entry.author({"name": author["name"], "email": author.get("email") or ""})
        terms = [
            {"term": slug, "scheme": f"{channel['base_url']}/categories/{slug}"}
            for slug in article["categories"]
        ]
        entry.category(terms + [{"term": tag} for tag in article["tags"]])
        image = article.get("image")
        if image:
            entry.enclosure(image["url"], str(image["length"]), image["type"])
        entry.published(article["published_at"])
        entry.updated(article["updated_at"])
    result: bytes = fg.rss_str()
    return result


def create_floor_app() -> Flask:
    app = Flask("feeds_floors")
    body = Path(os.environ["FEEDS_FLOOR_BODY"]).read_bytes()
    etag = os.environ["FEEDS_FLOOR_ETAG"]
    source = json.loads(Path(os.environ["FEEDS_FLOOR_INPUT"]).read_text(encoding="utf-8"))
    channel, articles = source["channel"], prepared(source["articles"])

    @app.get("/cached.rss")
    def cached() -> Response:
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(body, content_type=RSS_TYPE, headers={"ETag": etag})

    @app.get("/generated.rss")
    def generated() -> Response:
        return Response(feedgen_rss(channel, articles), content_type=RSS_TYPE)

    return app


if "FEEDS_FLOOR_BODY" in os.environ:
    app = create_floor_app()
