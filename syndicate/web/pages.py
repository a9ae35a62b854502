"""``/``, ``/categories/<slug>`` and ``/articles/<slug>``: the reader's pages."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template, request, send_from_directory

from syndicate import demo
from syndicate.exceptions import NotFound
from syndicate.services import services
from syndicate.types import Article, Category, Page
from syndicate.urls import absolute, feed_url
from syndicate.web import bp
from syndicate.web.french import french_date, french_datetime

PAGE_CACHE_SECONDS = 60
FEED_FORMATS = (("rss", "application/rss+xml", "RSS"), ("atom", "application/atom+xml", "Atom"),
                ("json", "application/feed+json", "JSON Feed"))  # fmt: skip


@bp.app_template_filter("date_fr")
def _date_fr(value: Any) -> str:
    return french_date(value)


@bp.app_template_filter("datetime_fr")
def _datetime_fr(value: Any) -> str:
    return french_datetime(value)


def feed_links(slug: str, title: str) -> list[dict[str, str]]:
    base = services().settings.base_url
    return [
        {"href": feed_url(base, slug, ext), "type": mime, "title": f"{title} ({label})"}
        for ext, mime, label in FEED_FORMATS
    ]


@bp.app_context_processor
def _site() -> dict[str, Any]:
    """The masthead's name and rubrics on every page of the site, error pages included."""
    svc = services()
    return {"site_name": svc.settings.site_name, "categories": list(svc.categories.values())}


def _render(template: str, **context: Any) -> Response:
    svc = services()
    html = render_template(
        template,
        image_src=lambda article: absolute(svc.settings.base_url, article.image.url),
        **context,
    )
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = f"public, max-age={PAGE_CACHE_SECONDS}"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self' https: http:; style-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.add_etag()
    response.make_conditional(request)
    return response


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        abort(404)
    return int(raw)


def _listing(category: Category | None) -> Page[Article]:
    svc = services()
    slug = category.slug if category else None
    listing = svc.newsroom.page(slug, _page_number(), svc.settings.page_size, public_only=True)
    if listing.page > listing.last_page:
        abort(404)
    return listing


@bp.get("/")
def index() -> Response:
    listing = _listing(None)
    return _render(
        "index.html",
        listing=listing,
        feeds=feed_links("all", services().settings.site_name),
    )


@bp.get("/categories/<slug>")
def category(slug: str) -> Response:
    found = services().categories.get(slug)
    if found is None:
        raise NotFound(f"no category {slug!r}")
    return _render(
        "category.html",
        category=found,
        listing=_listing(found),
        feeds=feed_links(found.slug, found.title),
    )


@bp.get("/articles/<slug>")
def article(slug: str) -> Response:
    svc = services()
    found = svc.newsroom.get(slug, public_only=True)
    main = svc.categories.get(found.categories[0]) if found.categories else None
    feeds = feed_links(main.slug, main.title) if main else []
    return _render(
        "article.html",
        article=found,
        article_categories=[svc.categories[c] for c in found.categories if c in svc.categories],
        related=svc.related.article_related(found.slug),
        feeds=[*feeds, *feed_links("all", svc.settings.site_name)],
    )


@bp.get("/media/demo/<path:name>")
def demo_media(name: str) -> Response:
    partner = demo.partner_feed(name)
    if partner is not None:  # a short max-age: it is also the partner's polling hint
        response = send_from_directory(demo.PARTNERS_DIR, partner.file, max_age=300)
        response.headers["Content-Type"] = partner.content_type
    else:
        response = send_from_directory(demo.IMAGES_DIR, name, max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
