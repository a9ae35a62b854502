"""Building blocks of the OpenAPI document, shared by each part of the API's description."""

from __future__ import annotations

from typing import Any

PROBLEM = {"$ref": "#/components/responses/Problem"}
WRITE: dict[str, Any] = {"security": [{"bearer": []}]}


def ok(schema: str, status: str = "200") -> dict[str, Any]:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return {status: {"description": "OK", "content": content}}


def errors(*codes: int) -> dict[str, Any]:
    return {str(code): PROBLEM for code in codes}


def body(schema: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"required": True, "content": {"application/json": {"schema": ref}}}
