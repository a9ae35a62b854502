"""The JSON API, v1: blueprint ``bp`` mounted at ``/api/v1``."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from syndicate.api import articles, categories, openapi, related, sources  # noqa: E402, F401
