"""The sources part of the OpenAPI document (``/api/v1/openapi.json``)."""

from __future__ import annotations

from typing import Any

from syndicate.api.openapi_parts import WRITE, body, errors, ok

_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
_PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
    },
]
_TIME = {"type": ["string", "null"], "format": "date-time"}


SOURCE_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["url", "category"],
    "properties": {
        "url": {
            "type": "string",
            "format": "uri",
            "description": "The feed, or a web page whose <link rel=alternate> names it.",
        },
        "category": {"type": "string", "description": "One of /categories."},
        "name": {"type": "string", "maxLength": 200},
        "interval": {
            "type": ["integer", "string"],
            "description": "Seconds between polls, or a duration like 30m.",
        },
        "enabled": {"type": "boolean"},
    },
}
SOURCE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "url": {"type": "string"},
        "name": {"type": "string"},
        "category": {"type": "string"},
        "interval": {"type": "integer"},
        "enabled": {"type": "boolean"},
        "state": {
            "type": "object",
            "properties": {
                "last_fetched_at": _TIME,
                "last_status": {"type": ["integer", "null"]},
                "last_outcome": {"type": ["string", "null"]},
                "last_error": {"type": ["string", "null"]},
                "next_fetch_at": _TIME,
                "error_count": {"type": "integer"},
                "paused_reason": {"type": ["string", "null"]},
            },
        },
        "story_count": {"type": "integer"},
    },
}
STORY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "source_id": {"type": "integer"},
        "guid": {"type": "string"},
        "url": {"type": ["string", "null"]},
        "title": {"type": "string"},
        "summary_html": {"type": "string"},
        "author": {"type": ["string", "null"]},
        "published_at": _TIME,
        "updated_at": _TIME,
        "image": {"type": ["object", "null"]},
        "rights": {"type": ["string", "null"]},
    },
}


def source_paths() -> dict[str, Any]:
    return {
        "/sources": {
            "get": {
                "summary": "List partner sources with their polling state",
                "parameters": _PAGING,
                "responses": {**ok("List"), **errors(400, 404)},
            },
            "post": {
                "summary": "Add a source (fetched once first; a page: its autodiscovered feed)",
                **WRITE,
                "requestBody": body("SourceInput"),
                "responses": {**ok("Source", "201"), **errors(400, 401, 409, 413, 415, 422)},
            },
        },
        "/sources/{id}": {
            "parameters": [_ID],
            "get": {
                "summary": "One source, with its last fetch attempts",
                "responses": {**ok("Source"), **errors(404)},
            },
            "patch": {
                "summary": "Change name, category, interval, URL; enabled pauses or resumes",
                **WRITE,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "responses": {**ok("Source"), **errors(400, 401, 404, 409, 415, 422)},
            },
            "delete": {
                "summary": "Remove a source and its stories",
                **WRITE,
                "responses": {"204": {"description": "Deleted"}, **errors(401, 404)},
            },
        },
        "/sources/{id}/fetch": {
            "parameters": [_ID],
            "post": {
                "summary": "Fetch the source now",
                **WRITE,
                "responses": {**ok("FetchReport"), **errors(401, 404)},
            },
        },
        "/sources/{id}/stories": {
            "parameters": [_ID],
            "get": {
                "summary": "The source's stories, newest first",
                "parameters": _PAGING,
                "responses": {**ok("List"), **errors(400, 404)},
            },
        },
    }


def source_schemas() -> dict[str, Any]:
    return {
        "SourceInput": SOURCE_INPUT,
        "Source": SOURCE,
        "Story": STORY,
        "FetchReport": {
            "type": "object",
            "properties": {
                "fetch": {"type": "object"},
                "source": {"$ref": "#/components/schemas/Source"},
            },
        },
    }
