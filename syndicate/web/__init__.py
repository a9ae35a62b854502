"""Public HTML pages (and, later, embeds): blueprint ``bp``."""

from flask import Blueprint

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static")

from syndicate.web import embeds, health, metrics, pages  # noqa: E402, F401
