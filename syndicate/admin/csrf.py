"""CSRF tokens for the console's forms: Flask-WTF's ``CSRFProtect``, scoped to ``/admin``.

Application-wide checking is off (``WTF_CSRF_CHECK_DEFAULT``): the public site has no forms and
the API authenticates with bearer tokens. The console checks every unsafe request itself, in
``auth.guard``, before anything else runs.
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFError, CSRFProtect

SESSION_HOURS = 12
"""How long a sign-in lasts; a form's token lasts as long."""

csrf = CSRFProtect()

__all__ = ["SESSION_HOURS", "CSRFError", "check", "init_app"]


def init_app(app: Flask) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", SESSION_HOURS * 3600)
    csrf.init_app(app)


def check() -> None:
    """Refuse (``CSRFError``, a 400) an unsafe request without a valid token of this session."""
    csrf.protect()
