"""``/feeds/<category>.rss|.atom|.json`` (``all`` for every category), ``?page=N``.

The hot path: one version probe, then cached bytes or a 304, with headers prepared at render
time. Nothing else on this path touches the store.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, request
from flask.typing import ResponseReturnValue

from syndicate.exceptions import NotFound
from syndicate.publish import publishing
from syndicate.publish.caching import accepts_gzip, not_modified

bp = Blueprint("feeds", __name__)

CORS_PREFLIGHT = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"),
    ("Access-Control-Allow-Headers", "If-None-Match, If-Modified-Since"),
    ("Access-Control-Max-Age", "86400"),
    ("Allow", "GET, HEAD, OPTIONS"),
)


def _page() -> int:
    if not request.query_string:
        return 1
    raw = request.args.get("page")
    if raw is None:
        return 1
    if not raw.isascii() or not raw.isdigit() or raw.startswith("0") or len(raw) > 9:
        raise NotFound(f"no page {raw!r}")
    return int(raw)


@bp.route("/feeds/<category>.<any(rss, atom, json):extension>", methods=["GET", "OPTIONS"])
def feed(category: str, extension: str) -> ResponseReturnValue:
    if request.method == "OPTIONS":
        return Response(status=204, headers=CORS_PREFLIGHT)
    page = _page()
    if page == 1 and request.query_string and "page" in request.args:
        # One URL per page: ``?page=1`` is the feed itself, the URL its self link names.
        return redirect(request.path, 301)
    publish = publishing()
    served = publish.feeds.serve(category, extension, page)
    if publish.websub is not None:
        publish.websub.start()  # looks for scheduled articles coming due, in the background
    found = served.representation
    use_gzip = accepts_gzip(request.headers.get("Accept-Encoding"))
    etag = found.gzip_etag if use_gzip else found.etag
    headers = [("ETag", etag), ("Last-Modified", found.last_modified_http), *found.headers]
    if not_modified(
        request.headers.get("If-None-Match"),
        request.headers.get("If-Modified-Since"),
        etag,
        found.last_modified,
    ):
        response = Response(status=304, headers=headers)
        del response.headers["Content-Type"]
        return response
    headers.append(("Content-Type", found.content_type))
    if use_gzip:
        first_time = not found.has_gzip
        body = found.gzipped()
        if first_time:
            publish.feeds.cache.grew(served.key, served.entry)
        headers.append(("Content-Encoding", "gzip"))
    else:
        body = found.body
    return Response(body, headers=headers)
