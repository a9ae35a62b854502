"""Partner embeds on the ``web`` blueprint.

- ``/embed/<category>``: a small self-contained page made to be framed (inline CSS, no script).
- ``/embed.js``: the script that renders the same list into ``<div data-syndicate="CATEGORY">``
  elements of a partner's page, inside a Shadow DOM, from our public JSON.
- ``/embed``: the page for partners: snippets to copy, options, live preview.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

from flask import Response, render_template, request
from werkzeug.datastructures import MultiDict

from syndicate.exceptions import InvalidInput
from syndicate.publish import publishing
from syndicate.publish.caching import (
    GZIP_LEVEL,
    accepts_gzip,
    gzip_etag,
    http_date,
    not_modified,
    strong_etag,
)
from syndicate.services import services
from syndicate.store import articles as article_store
from syndicate.store.feeds import EPOCH
from syndicate.urls import absolute, article_url, category_url, http_url
from syndicate.web import bp
from syndicate.web.pages import PAGE_CACHE_SECONDS

ALL = "all"
DEFAULT_LIMIT = 5
MAX_LIMIT = 20
THEMES = ("light", "dark", "auto")
SCRIPT_TIMEOUT_MS = 8000
"""How long embed.js waits for our JSON before giving up and leaving the element empty."""
STYLESHEET = Path(__file__).resolve().parent / "static" / "embed.css"
FRAME_CSS = "html,body{margin:0;padding:0}body>.sy{min-height:100vh}"
HOST_CSS = ":host{all:initial!important;display:block!important}"
"""Inside the Shadow DOM: the host page's inherited styles stop at our element."""


class EmbedOptionError(InvalidInput):
    """An embed option (query parameter) is invalid; ``option`` names it."""

    def __init__(self, option: str, reason: str) -> None:
        super().__init__({option: reason}, "invalid embed option")
        self.option = option
        self.reason = reason


@dataclass(frozen=True)
class EmbedOptions:
    limit: int = DEFAULT_LIMIT
    theme: str = "light"
    related: bool = False
    images: bool = True

    def query(self) -> str:
        """The query string that asks for these options (defaults left out, ``limit`` kept)."""
        params: dict[str, str | int] = {"limit": self.limit}
        if self.theme != "light":
            params["theme"] = self.theme
        if self.related:
            params["related"] = 1
        if not self.images:
            params["images"] = 0
        return urlencode(params)


@dataclass(frozen=True)
class EmbedItem:
    title: str
    url: str
    source: str
    published_at: datetime
    changed_at: datetime
    image_url: str | None = None


class RelatedEntry(Protocol):
    """What the related-stories engine returns for a category (SPEC "related" item)."""

    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def published_at(self) -> datetime: ...


def _single(args: MultiDict[str, str], name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise EmbedOptionError(name, "est donnée plusieurs fois")
    return values[0] if values else None


def _shown(value: str) -> str:
    return value if len(value) <= 40 else value[:40] + "…"


def parse_options(args: MultiDict[str, str]) -> EmbedOptions:
    """``limit``, ``theme``, ``related`` and ``images`` from a query; other parameters ignored.

    Raises ``EmbedOptionError`` naming the first invalid option, with its reason in French.
    """
    limit = _single(args, "limit")
    theme = _single(args, "theme")
    related = _single(args, "related")
    images = _single(args, "images")
    options: dict[str, Any] = {}
    if limit is not None:
        if not re.fullmatch(r"[0-9]{1,3}", limit) or not 1 <= int(limit) <= MAX_LIMIT:
            raise EmbedOptionError(
                "limit", f"doit être un nombre entier de 1 à {MAX_LIMIT} (reçu « {_shown(limit)} »)"
            )
        options["limit"] = int(limit)
    if theme is not None:
        if theme not in THEMES:
            raise EmbedOptionError(
                "theme", f"doit valoir light, dark ou auto (reçu « {_shown(theme)} »)"
            )
        options["theme"] = theme
    for name, raw in (("related", related), ("images", images)):
        if raw is not None:
            if raw not in {"0", "1"}:
                raise EmbedOptionError(name, f"doit valoir 0 ou 1 (reçu « {_shown(raw)} »)")
            options[name] = raw == "1"
    return EmbedOptions(**options)


# Content ---------------------------------------------------------------------------------


def _heading(category: str) -> tuple[str, str] | None:
    """The list's title and the page it links to; ``None`` for an unknown category."""
    svc = services()
    base = svc.settings.base_url
    if category == ALL:
        return svc.settings.site_name, category_url(base, ALL)
    found = svc.categories.get(category)
    return (found.title, category_url(base, found.slug)) if found else None


def newest_articles(category: str, limit: int) -> tuple[list[EmbedItem], datetime]:
    """Our newest public articles of ``category`` (or ``all``) and the feed's last change,
    read like the feeds read it (a write to the category, or an article becoming visible)."""
    svc = services()
    probe = publishing().feeds.probe
    now = svc.clock()
    changed = probe.interpret(probe.raw(category, now)).last_modified
    base = svc.settings.base_url
    with svc.store.connect() as connection:  # the first page only: no total to count
        articles = article_store.newest(
            connection, None if category == ALL else category, now, limit
        )
    items = [
        EmbedItem(
            title=article.title,
            url=article_url(base, article.slug),
            source=svc.settings.site_name,
            published_at=article.published_at,
            changed_at=max(article.modified_at, article.published_at),
            image_url=absolute(base, article.image.url) if article.image else None,
        )
        for article in articles
    ]
    return items, changed


def _related_finder() -> Any:
    engine = getattr(services(), "related", None)
    return getattr(engine, "category_stories", None)


def related_available() -> bool:
    """Whether partner stories related to a category can be had (the engine is wired)."""
    return _related_finder() is not None


def related_partner_stories(category: str, limit: int) -> list[EmbedItem]:
    """Partner stories related to ``category`` (or ``all``), newest first, at most ``limit``.

    Read from the related-stories engine as ``services().related.category_stories(category,
    limit)``, which returns ``RelatedEntry`` values (``title``, ``url``, ``source``,
    ``published_at``; optionally ``image`` with a ``url`` and ``modified_at``). Until that
    engine is wired into ``Services``: no items. Entries whose link is not http(s) are dropped.
    """
    finder = _related_finder()
    if finder is None:
        return []
    entries: Sequence[RelatedEntry] = finder(category, limit)
    items = []
    for entry in entries:
        url = http_url(entry.url)
        image = getattr(entry, "image", None)
        if url is None or not entry.title.strip():
            continue
        items.append(
            EmbedItem(
                title=entry.title.strip(),
                url=url,
                source=entry.source,
                published_at=entry.published_at,
                changed_at=_newest(entry.published_at, getattr(entry, "modified_at", None))
                or entry.published_at,
                image_url=http_url(getattr(image, "url", None)),
            )
        )
    return items[:limit]


def _newest(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


# HTTP ------------------------------------------------------------------------------------


@cache
def stylesheet() -> str:
    """``embed.css`` without comments and runs of blanks (shared by the page and the script)."""
    text = re.sub(r"/\*.*?\*/", "", STYLESHEET.read_text(encoding="utf-8"), flags=re.DOTALL)
    text = re.sub(r"\s*([{};,>])\s*", r"\1", " ".join(text.split()))
    return re.sub(r":\s+", ":", text).replace(";}", "}")


def _frame_css() -> str:
    return FRAME_CSS + stylesheet()


def _csp_hash(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def frame_ancestors() -> str:
    """``*`` unless ``embed_origins`` is set; then those origins and our own site."""
    origins = services().settings.embed_origins
    return " ".join(("'self'", *origins)) if origins else "*"


def frame_csp() -> str:
    return (
        f"default-src 'none'; style-src {_csp_hash(_frame_css())}; img-src 'self' https: http:; "
        f"base-uri 'none'; form-action 'none'; frame-ancestors {frame_ancestors()}"
    )


def _send(
    text: str,
    content_type: str,
    changed: datetime | None,
    *,
    max_age: int,
    headers: Iterable[tuple[str, str]],
) -> Response:
    """A response cached like the feeds': strong ETag (its own for the gzip variant),
    Last-Modified when there is one, 304s by the same rules, gzip when asked."""
    body = text.encode("utf-8")
    etag = strong_etag(body)
    use_gzip = accepts_gzip(request.headers.get("Accept-Encoding"))
    if use_gzip:
        etag = gzip_etag(etag)
    sent = [
        ("ETag", etag),
        ("Cache-Control", f"public, max-age={max_age}"),
        ("Vary", "Accept-Encoding"),
        ("X-Content-Type-Options", "nosniff"),
        *headers,
    ]
    if changed is not None:
        changed = changed.replace(microsecond=0)
        sent.append(("Last-Modified", http_date(changed)))
    since = request.headers.get("If-Modified-Since") if changed is not None else None
    if not_modified(request.headers.get("If-None-Match"), since, etag, changed or EPOCH):
        response = Response(status=304, headers=sent)
        del response.headers["Content-Type"]
        return response
    if use_gzip:
        body = gzip.compress(body, GZIP_LEVEL, mtime=0)
        sent.append(("Content-Encoding", "gzip"))
    return Response(body, headers=sent, content_type=f"{content_type}; charset=utf-8")


def _frame_error(status: int, message: str) -> Response:
    svc = services()
    html = render_template(
        "embed_frame.html",
        css=_frame_css(),
        theme="light",
        heading=svc.settings.site_name,
        heading_url=svc.settings.base_url + "/",
        site_name=svc.settings.site_name,
        error=message,
        items=[],
    )
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = frame_csp()
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _option_message(exc: EmbedOptionError) -> str:
    return f"Option « {exc.option} » invalide : {exc.reason}."


# Views -----------------------------------------------------------------------------------


@bp.get("/embed/<category>")
def embed_frame(category: str) -> Response:
    svc = services()
    heading = _heading(category)
    if heading is None:
        return _frame_error(404, f"La rubrique « {_shown(category)} » n’existe pas.")
    try:
        options = parse_options(request.args)
    except EmbedOptionError as exc:
        return _frame_error(400, _option_message(exc))
    title, heading_url = heading
    if options.related:
        items = related_partner_stories(category, options.limit)
        changed = _newest(*(item.changed_at for item in items))
        title += " — chez nos partenaires"
    else:
        items, changed = newest_articles(category, options.limit)
    html = render_template(
        "embed_frame.html",
        css=_frame_css(),
        theme=options.theme,
        heading=title,
        heading_url=heading_url,
        site_name=svc.settings.site_name,
        items=items,
        images=options.images,
        error=None,
    )
    return _send(
        html,
        "text/html",
        changed,
        max_age=svc.settings.feed_max_age,
        headers=[("Content-Security-Policy", frame_csp())],
    )


def script_config() -> dict[str, Any]:
    """What embed.js needs to know about this site, written into it as JSON."""
    svc = services()
    base = svc.settings.base_url
    categories = {slug: [c.title, category_url(base, slug)] for slug, c in svc.categories.items()}
    categories[ALL] = [svc.settings.site_name, category_url(base, ALL)]
    return {
        "base": base,
        "site": svc.settings.site_name,
        "limit": DEFAULT_LIMIT,
        "maxLimit": MAX_LIMIT,
        "timeout": SCRIPT_TIMEOUT_MS,
        "related": related_available(),
        "categories": categories,
        "css": HOST_CSS + stylesheet(),
    }


@bp.get("/embed.js")
def embed_script() -> Response:
    svc = services()
    rendered = render_template("embed.js", config=script_config())
    script = "\n".join(line.strip() for line in rendered.splitlines() if line.strip()) + "\n"
    return _send(
        script,
        "text/javascript",
        None,  # depends on this release and the settings: the ETag alone says when it changed
        max_age=svc.settings.feed_max_age,
        headers=[
            ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
            ("Access-Control-Allow-Origin", "*"),
            ("Cross-Origin-Resource-Policy", "cross-origin"),
        ],
    )


def partners_csp() -> str:
    ours = f"'self' {_origin(services().settings.base_url)}"
    return (
        f"default-src 'none'; script-src {ours}; connect-src {ours}; frame-src {ours}; "
        "img-src 'self' https: http:; style-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'self'"
    )


@bp.get("/embed")
def embed_partners() -> Response:
    svc = services()
    base = svc.settings.base_url
    category = request.args.get("category") or next(iter(svc.categories), ALL)
    error = None
    options = EmbedOptions()
    if _heading(category) is None:
        error = f"La rubrique « {_shown(category)} » n’existe pas."
        category = next(iter(svc.categories), ALL)
    else:
        try:
            options = parse_options(request.args)
        except EmbedOptionError as exc:
            error = _option_message(exc)
    frame_src = f"{base}/embed/{quote(category)}?{options.query()}"
    attributes = {"data-syndicate": category, "data-limit": str(options.limit)}
    if options.theme != "light":
        attributes["data-theme"] = options.theme
    if options.related:
        attributes["data-related"] = "1"
    if not options.images:
        attributes["data-images"] = "0"
    height = 48 + options.limit * (84 if options.images else 62)
    html = render_template(
        "embed_partners.html",
        site_name=svc.settings.site_name,
        categories=list(svc.categories.values()),
        feeds=[],
        base_url=base,
        category=category,
        options=options,
        themes=THEMES,
        max_limit=MAX_LIMIT,
        frame_src=frame_src,
        frame_height=height,
        attributes=attributes,
        script_src=f"{base}/embed.js",
        related_ready=related_available(),
        error=error,
    )
    if error is None:
        return _send(
            html,
            "text/html",
            None,
            max_age=PAGE_CACHE_SECONDS,
            headers=[("Content-Security-Policy", partners_csp())],
        )
    response = Response(html, status=400, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = partners_csp()
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
