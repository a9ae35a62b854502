"""``/api/v1/openapi.json``: the API described in OpenAPI 3.1."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from syndicate.api import bp
from syndicate.api.openapi_parts import WRITE, body, errors, ok
from syndicate.api.sources_openapi import source_paths, source_schemas
from syndicate.services import services

_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}


_DATE_TIME = {"type": "string", "format": "date-time"}
ARTICLE_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["title", "categories"],
    "additionalProperties": False,
    "properties": {
        "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "maxLength": 120},
        "title": {"type": "string", "maxLength": 300},
        "summary": {"type": "string", "maxLength": 2000},
        "content_html": {"type": "string", "description": "Sanitised with an allow-list."},
        "author": {
            "type": ["object", "null"],
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "email": {"type": ["string", "null"], "format": "email"},
            },
        },
        "categories": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
        "language": {"type": "string", "default": "fr"},
        "status": {"enum": ["published", "draft"], "default": "published"},
        "published_at": {**_DATE_TIME, "description": "In the future: scheduled."},
        "updated_at": _DATE_TIME,
        "image": {
            "type": ["object", "null"],
            "required": ["url", "type", "length"],
            "properties": {
                "url": {"type": "string"},
                "type": {"type": "string", "pattern": "^image/"},
                "length": {"type": "integer", "minimum": 0},
                "alt": {"type": "string"},
            },
        },
        "url": {"type": "string", "readOnly": True},
    },
}


RELATED: dict[str, Any] = {
    "type": "object",
    "required": ["article", "items"],
    "properties": {
        "article": {"type": "string"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kind", "title", "url", "source", "published_at", "score"],
                "properties": {
                    "kind": {"enum": ["article", "story"]},
                    "title": {"type": "string"},
                    "url": {"type": "string"},
                    "source": {"type": "string"},
                    "published_at": _DATE_TIME,
                    "score": {
                        "type": "number",
                        "description": "How related, best first; comparable within one list only.",
                    },
                },
            },
        },
    },
}


def document(base_url: str) -> dict[str, Any]:
    article = {**ARTICLE_INPUT, "additionalProperties": True}
    return {
        "openapi": "3.1.0",
        "info": {"title": "syndicate API", "version": "1"},
        "servers": [{"url": base_url + "/api/v1"}],
        "paths": {
            "/categories": {"get": {"summary": "List categories", "responses": ok("List")}},
            "/articles": {
                "get": {
                    "summary": "List articles, newest first (public ones without a token)",
                    "parameters": [
                        {"name": n, "in": "query", "schema": s}
                        for n, s in (
                            ("category", {"type": "string"}),
                            ("page", {"type": "integer", "minimum": 1}),
                            ("per_page", {"type": "integer", "minimum": 1, "maximum": 100}),
                        )
                    ],
                    "responses": {**ok("List"), **errors(400, 404)},
                },
                "post": {
                    "summary": "Create an article",
                    **WRITE,
                    "requestBody": body("ArticleInput"),
                    "responses": {**ok("Article", "201"), **errors(400, 401, 409, 413, 415, 422)},
                },
            },
            "/articles/{slug}": {
                "parameters": [_SLUG],
                "get": {"summary": "One article", "responses": {**ok("Article"), **errors(404)}},
                "put": {
                    "summary": "Replace an article",
                    **WRITE,
                    "requestBody": body("ArticleInput"),
                    "responses": {**ok("Article"), **errors(400, 401, 404, 413, 415, 422)},
                },
                "patch": {
                    "summary": "Change some fields (JSON merge patch; null removes)",
                    **WRITE,
                    "requestBody": {
                        "required": True,
                        "content": {"application/merge-patch+json": {"schema": {"type": "object"}}},
                    },
                    "responses": {**ok("Article"), **errors(400, 401, 404, 413, 415, 422)},
                },
                "delete": {
                    "summary": "Delete an article",
                    **WRITE,
                    "responses": {"204": {"description": "Deleted"}, **errors(401, 404)},
                },
            },
            "/articles/{slug}/related": {
                "parameters": [_SLUG],
                "get": {
                    "summary": 'An article\'s related stories ("More Stories"), best first',
                    "responses": {**ok("Related"), **errors(404)},
                },
            },
            **source_paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "ArticleInput": ARTICLE_INPUT,
                "Article": article,
                **source_schemas(),
                "Related": RELATED,
                "List": {
                    "type": "object",
                    "properties": {
                        "items": {"type": "array"},
                        "page": {"type": "integer"},
                        "per_page": {"type": "integer"},
                        "total": {"type": "integer"},
                    },
                },
            },
            "responses": {
                "Problem": {
                    "description": "An RFC 9457 problem",
                    "content": {"application/problem+json": {"schema": {"type": "object"}}},
                }
            },
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document(services().settings.base_url))
