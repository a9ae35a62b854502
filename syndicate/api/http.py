"""Request parsing and response helpers shared by the API views."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlencode

from flask import Response, g, jsonify, request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from syndicate.api import bp
from syndicate.errors import problem
from syndicate.exceptions import NotFound
from syndicate.services import services
from syndicate.store import tokens
from syndicate.types import Page

P = ParamSpec("P")
R = TypeVar("R")
MAX_PER_PAGE = 100


class QueryError(BadRequest):
    """A bad query-string parameter, reported as a 400 problem naming it."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"query parameter `{name}` {reason}")


def json_body() -> Any:
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType("send the body as JSON with Content-Type: application/json")
    raw = request.get_data(cache=False)
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not UTF-8 (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"malformed JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc


def positive_int_arg(name: str, default: int, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise QueryError(name, "must be a positive integer")
    value = int(raw)
    if maximum is not None and value > maximum:
        raise QueryError(name, f"must be at most {maximum}")
    return value


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def authenticated() -> bool:
    """Whether the request carries a valid token (checked once per request)."""
    if "api_token" not in g:
        secret = bearer_token()
        found = None
        if secret:
            svc = services()
            with svc.store.connect() as connection:
                found = tokens.verify(connection, secret)
            now = svc.clock()
            if found is not None and tokens.needs_touch(found, now):
                with svc.store.begin() as connection:
                    tokens.touch(connection, found.id, now)
        g.api_token = found
    return g.api_token is not None


def unauthorized() -> Response:
    given = bearer_token() is not None
    challenge = 'Bearer realm="syndicate"'
    if given:
        challenge += ', error="invalid_token"'
    detail = "the token is unknown or revoked" if given else "send Authorization: Bearer <token>"
    return problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": challenge})


@bp.before_request
def refuse_bad_tokens() -> Response | None:
    """A token that was sent must be valid, on reads too: a CMS whose token was revoked gets a
    401 instead of silently seeing only public articles."""
    if bearer_token() is not None and not authenticated():
        return unauthorized()
    return None


def token_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if not authenticated():
            return unauthorized()
        return view(*args, **kwargs)

    return wrapper


def page_args() -> tuple[int, int]:
    """``?page=`` (from 1) and ``?per_page=`` (the setting's page size by default, at most
    ``MAX_PER_PAGE``), checked."""
    per_page = positive_int_arg("per_page", services().settings.page_size, MAX_PER_PAGE)
    return positive_int_arg("page", 1), per_page


def paginated(page: Page[Any], items: list[Any]) -> Response:
    """A list response with RFC 8288 ``Link`` headers and the counts in the body; a page past
    the last one is a 404."""
    if page.page > page.last_page:
        raise NotFound(f"page {page.page} is past the last page ({page.last_page})")
    response = jsonify(
        {"items": items, "page": page.page, "per_page": page.per_page, "total": page.total}
    )
    base = services().settings.base_url + request.path
    args = {k: v for k, v in request.args.items() if k not in {"page", "per_page"}}

    def link(number: int) -> str:
        query = urlencode({**args, "page": number, "per_page": page.per_page})
        return f"{base}?{query}"

    links = {"first": 1, "last": page.last_page}
    if page.page > 1:
        links["prev"] = page.page - 1
    if page.page < page.last_page:
        links["next"] = page.page + 1
    response.headers["Link"] = ", ".join(f'<{link(n)}>; rel="{rel}"' for rel, n in links.items())
    response.headers["X-Total-Count"] = str(page.total)
    return response


@bp.after_request
def cache_and_cors(response: Response) -> Response:
    if request.method in {"GET", "HEAD"} and response.status_code < 400:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "Link, X-Total-Count, ETag"
        response.vary.add("Authorization")
        if bearer_token() is None:
            max_age = services().settings.feed_max_age
            response.headers.setdefault("Cache-Control", f"public, max-age={max_age}")
        else:
            response.headers["Cache-Control"] = "private, no-store"
    return response
