"""The application factory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from syndicate.categories import load_categories
from syndicate.config import ensure_secret_key, load_settings
from syndicate.services import Services, utc_now
from syndicate.sessions import CookieSessions

log = logging.getLogger(__name__)


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings (defaults -> environment -> ``overrides``), store, blueprints.

    ``overrides`` may also hold ``clock``, a callable returning the current aware UTC time.
    """
    overrides = dict(overrides or {})
    clock = overrides.pop("clock", utc_now)
    settings, warning = ensure_secret_key(load_settings(overrides=overrides))
    if warning:
        log.warning(warning)
    categories = load_categories(settings.categories_file)

    # No app-level static route: it would shadow the web blueprint's ``/static`` (site.css,
    # the feeds' XSLT and icons).
    app = Flask(__name__, instance_path=settings.instance_path, static_folder=None)
    app.session_interface = CookieSessions()
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    Services.build(settings, categories, clock).init_app(app)

    from syndicate import admin, cli, errors, publish
    from syndicate.api import bp as api_bp
    from syndicate.web import bp as web_bp

    app.register_blueprint(web_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    admin.init_app(app)  # the operators' console at /admin
    publish.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    if settings.proxy_hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )
    return app
