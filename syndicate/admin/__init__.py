"""The operators' web console at ``/admin``: blueprint ``bp``, one module per screen.

Every page and action needs a signed-in operator (``auth``); every form carries a CSRF token,
checked by Flask-WTF's ``CSRFProtect`` for this blueprint only (``csrf``).
"""

from flask import Blueprint, Flask

bp = Blueprint(
    "admin",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def init_app(app: Flask) -> None:
    """Register the blueprint at ``/admin`` and its CSRF protection."""
    from syndicate.admin import csrf

    csrf.init_app(app)
    app.register_blueprint(bp, url_prefix="/admin")


from syndicate.admin import articles, auth, dashboard, source, sources, tokens  # noqa: E402, F401
