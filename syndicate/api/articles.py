"""``/api/v1/articles``: the newsroom's read/write API."""

from __future__ import annotations

from flask import Response, jsonify, request

from syndicate.api import bp
from syndicate.api.http import (
    authenticated,
    json_body,
    page_args,
    paginated,
    token_required,
)
from syndicate.newsroom.shapes import article_json
from syndicate.services import services
from syndicate.types import Article
from syndicate.urls import article_url


def _article_response(article: Article, status: int = 200) -> Response:
    response = jsonify(article_json(article, services().settings.base_url))
    response.status_code = status
    return response


@bp.get("/articles")
def list_articles() -> Response:
    svc = services()
    category = request.args.get("category") or None
    number, per_page = page_args()
    page = svc.newsroom.page(category, number, per_page, public_only=not authenticated())
    base = svc.settings.base_url
    return paginated(page, [article_json(a, base) for a in page.items])


@bp.post("/articles")
@token_required
def create_article() -> Response:
    svc = services()
    article = svc.newsroom.create(json_body())
    response = _article_response(article, 201)
    response.headers["Location"] = svc.settings.base_url + f"/api/v1/articles/{article.slug}"
    response.headers["Content-Location"] = article_url(svc.settings.base_url, article.slug)
    return response


@bp.get("/articles/<slug>")
def get_article(slug: str) -> Response:
    return _article_response(services().newsroom.get(slug, public_only=not authenticated()))


@bp.put("/articles/<slug>")
@token_required
def replace_article(slug: str) -> Response:
    return _article_response(services().newsroom.replace(slug, json_body()))


@bp.patch("/articles/<slug>")
@token_required
def patch_article(slug: str) -> Response:
    return _article_response(services().newsroom.patch(slug, json_body()))


@bp.delete("/articles/<slug>")
@token_required
def delete_article(slug: str) -> Response:
    services().newsroom.delete(slug)
    return Response(status=204)
