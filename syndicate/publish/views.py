"""``/feeds/<category>.rss|.atom|.json`` (``all`` for every category), ``?page=N``.

Two doors, one answer (``caching.answer``):

- ``FastPath``, a WSGI layer in front of the app, answers what readers send all day: a GET or
  HEAD of a feed page already rendered at the store's current version (200 from the cached
  bytes, or 304). One version probe and a dictionary look-up; Flask's routing, request context
  and response objects are skipped, so a cached feed costs about what returning bytes costs.
- the blueprint ``bp`` handles everything else: first renderings, 404s, the ``?page=1``
  redirect, CORS preflights, and errors, with the app's error handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Response, redirect, request
from flask.typing import ResponseReturnValue

from syndicate.exceptions import NotFound
from syndicate.publish import publishing
from syndicate.publish.caching import answer
from syndicate.publish.service import WRITERS, FeedService

log = logging.getLogger(__name__)

bp = Blueprint("feeds", __name__)

PREFIX = "/feeds/"
MAX_PAGE_DIGITS = 9
STATUS_LINES = {200: "200 OK", 304: "304 Not Modified"}
CORS_PREFLIGHT = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"),
    ("Access-Control-Allow-Headers", "If-None-Match, If-Modified-Since"),
    ("Access-Control-Max-Age", "86400"),
    ("Allow", "GET, HEAD, OPTIONS"),
)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class NotModified(Response):
    default_mimetype = None  # a 304 has no body, so no Content-Type


def page_number(raw: str | None) -> int | None:
    """``?page=`` as a number; ``None`` if it is not one we could serve."""
    if raw is None:
        return 1
    if not raw.isascii() or not raw.isdigit() or raw.startswith("0"):
        return None
    if len(raw) > MAX_PAGE_DIGITS:
        return None
    return int(raw)


@bp.route("/feeds/<category>.<any(rss, atom, json):extension>", methods=["GET", "OPTIONS"])
def feed(category: str, extension: str) -> ResponseReturnValue:
    if request.method == "OPTIONS":
        return Response(status=204, headers=CORS_PREFLIGHT)
    raw_page = request.args.get("page") if request.query_string else None
    page = page_number(raw_page)
    if page is None:
        raise NotFound(f"no page {raw_page!r}")
    if raw_page is not None and page == 1:
        # One URL per page: ``?page=1`` is the feed itself, the URL its self link names.
        return redirect(request.path, 301)
    found = publishing().feeds.serve(category, extension, page)
    status, headers, body = answer(found, request.environ)
    if status == 304:
        return NotModified(status=304, headers=headers)
    return Response(body, headers=headers)


def _target(environ: dict[str, Any]) -> tuple[str, str, int] | None:
    """(feed, extension, page) when the request is a plain feed GET/HEAD the fast path takes."""
    method = environ.get("REQUEST_METHOD")
    if method != "GET" and method != "HEAD":
        return None
    path: str = environ.get("PATH_INFO", "")
    if not path.startswith(PREFIX):
        return None
    feed, dot, extension = path[len(PREFIX) :].rpartition(".")
    if not dot or not feed or "/" in feed or extension not in WRITERS:
        return None
    query: str = environ.get("QUERY_STRING", "")
    if not query:
        return feed, extension, 1
    name, equals, value = query.partition("=")
    page = page_number(value) if name == "page" and equals else None
    if page is None or page == 1:  # odd queries and the redirect are the blueprint's
        return None
    return feed, extension, page


class FastPath:
    """WSGI middleware answering cached feed pages before the app is entered."""

    def __init__(self, app: WSGIApp, feeds: FeedService) -> None:
        self.app = app
        self.feeds = feeds

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        target = _target(environ)
        if target is not None:
            try:
                found = self.feeds.cached(*target)
            except Exception:  # the app will meet the same trouble and report it properly
                log.debug("feed fast path: falling back to the app", exc_info=True)
                found = None
            if found is not None:
                status, headers, body = answer(found, environ)
                start_response(STATUS_LINES[status], headers)
                if status == 304 or environ["REQUEST_METHOD"] == "HEAD":
                    return []
                return [body]
        return self.app(environ, start_response)
