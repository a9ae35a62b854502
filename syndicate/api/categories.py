"""``/api/v1/categories``: the site's sections with their pages and feeds."""

from __future__ import annotations

from flask import Response, jsonify

from syndicate.api import bp
from syndicate.publish.compose import FORMATS
from syndicate.services import services
from syndicate.urls import category_url, feed_url


@bp.get("/categories")
def list_categories() -> Response:
    svc = services()
    base = svc.settings.base_url
    items = [
        {
            "slug": category.slug,
            "title": category.title,
            "description": category.description,
            "url": category_url(base, category.slug),
            "feeds": {ext: feed_url(base, category.slug, ext) for ext in FORMATS},
        }
        for category in svc.categories.values()
    ]
    return jsonify({"items": items})
