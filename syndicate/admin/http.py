"""What every console response shares: rendering with the layout's context, headers, ``next``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, g, render_template
from markupsafe import Markup

from syndicate.admin import bp, format
from syndicate.dates import rfc3339
from syndicate.sanitizer import sanitize_html
from syndicate.services import services

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' https: http:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def render(template: str, *, status: int = 200, **context: Any) -> Response:
    html = render_template(template, **context)
    return Response(html, status=status, mimetype="text/html")


@bp.context_processor
def _layout() -> dict[str, Any]:
    svc = services()
    now = svc.clock()
    return {
        "site_name": svc.settings.site_name,
        "operator": g.get("operator"),
        "now": now,
        "when": format.when,
        "iso": rfc3339,
        "ago": lambda moment: format.ago(moment, now),
        "every": format.every,
        "outcome_fr": format.outcome,
        "categories": svc.categories,
        "category_title": lambda slug: (
            svc.categories[slug].title if slug in svc.categories else slug
        ),
    }


@bp.app_template_filter("admin_sanitised")
def sanitised(fragment: str, base_url: str) -> Markup:
    """Partner HTML as stored (already reduced to the allow-list), passed through the same
    sanitiser again before it is marked safe: what the console shows never depends on what an
    older version of the store let in. The page's CSP forbids scripts besides."""
    return Markup(sanitize_html(fragment, base_url))  # noqa: S704 (sanitised just now)


@bp.after_request
def _headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path inside the console, else ``None`` (no open redirect)."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin"):
        return None
    if parts.path not in {"/admin", "/admin/"} and not parts.path.startswith("/admin/"):
        return None
    return target
