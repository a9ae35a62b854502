"""``GET /api/v1/articles/<slug>/related``: an article's "More Stories", with scores."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from syndicate.api import bp
from syndicate.dates import rfc3339
from syndicate.services import services
from syndicate.types import RelatedItem


def related_json(item: RelatedItem) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "title": item.title,
        "url": item.url,
        "source": item.source,
        "published_at": rfc3339(item.published_at),
        "score": item.score,
    }


@bp.get("/articles/<slug>/related")
def article_related(slug: str) -> Response:
    items = services().related.article_related(slug)
    response = jsonify({"article": slug, "items": [related_json(item) for item in items]})
    response.headers["Cache-Control"] = f"public, max-age={services().settings.feed_max_age}"
    return response
