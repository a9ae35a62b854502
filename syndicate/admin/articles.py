"""``/admin/articles``: every article (published, scheduled, draft), filtered, with links to
its page and its categories' feeds."""

from __future__ import annotations

from flask import abort, request
from werkzeug.wrappers import Response

from syndicate.admin import bp
from syndicate.admin.http import render
from syndicate.services import services
from syndicate.store.articles import STATES
from syndicate.urls import article_url, category_url, feed_url

STATE_LABELS = {"published": "publiés", "scheduled": "programmés", "draft": "brouillons"}
PER_PAGE = 50


@bp.get("/articles")
def articles() -> Response:
    svc = services()
    category = request.args.get("category") or None
    if category not in svc.categories:
        category = None
    state = request.args.get("state") or None
    if state not in STATES:
        state = None
    raw = request.args.get("page", "1")
    number = int(raw) if raw.isdigit() and int(raw) > 0 else 1
    listing = svc.newsroom.page_in_state(category, state, number, PER_PAGE)
    if number > listing.last_page:
        abort(404)
    base = svc.settings.base_url

    feed_key = category or "all"
    return render(
        "admin/articles.html",
        listing=listing,
        category=category,
        state=state,
        state_labels=STATE_LABELS,
        counts=svc.newsroom.state_counts(),
        page_url=lambda article: article_url(base, article.slug),
        category_url=lambda slug: category_url(base, slug),
        feeds=[(label, feed_url(base, feed_key, ext))
               for ext, label in (("rss", "RSS"), ("atom", "Atom"), ("json", "JSON Feed"))],
        section="articles",
    )  # fmt: skip
