"""Errors to HTTP, in one place: problem+json (RFC 9457) under /api, HTML pages elsewhere."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from syndicate.exceptions import Conflict, InvalidInput, NotFound, SyndicateError
from syndicate.store.db import StoreUnavailable

log = logging.getLogger(__name__)

PROBLEM_TYPES = {
    InvalidInput: (422, "urn:syndicate:problem:validation", "Invalid input"),
    NotFound: (404, "about:blank", "Not Found"),
    Conflict: (409, "urn:syndicate:problem:conflict", "Conflict"),
    StoreUnavailable: (503, "urn:syndicate:problem:store-unavailable", "Store unavailable"),
}


def problem(
    status: int,
    title: str,
    detail: str,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extra}
    response = Response(
        json.dumps(body, ensure_ascii=False) + "\n",
        status=status,
        mimetype="application/problem+json",
        headers=headers,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _wants_problem() -> bool:
    return request.path.startswith("/api/")


def _render(status: int, title: str, detail: str, **extra: Any) -> Response:
    if _wants_problem():
        return problem(status, title, detail, **extra)
    html = render_template("error.html", status=status, title=title, detail=detail)
    return Response(html, status=status, mimetype="text/html")


def handle_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    detail = exc.description or ""
    if status == 413:
        detail = "The request body is larger than this server accepts."
    response = _render(status, exc.name, detail)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_syndicate(exc: SyndicateError) -> Response:
    known = next((v for kind, v in PROBLEM_TYPES.items() if isinstance(exc, kind)), None)
    if known is None:
        log.exception("unexpected error")
        return handle_http(InternalServerError())
    status, type_, title = known
    if not _wants_problem():
        return _render(status, title, str(exc))
    if isinstance(exc, InvalidInput):
        fields = [
            {"field": name, "detail": reason, "pointer": "/" + name.replace(".", "/")}
            for name, reason in exc.errors.items()
        ]
        return problem(status, title, str(exc), type_, errors=fields)
    return problem(status, title, str(exc), type_)


def handle_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(SyndicateError, handle_syndicate)
    app.register_error_handler(Exception, handle_unexpected)
