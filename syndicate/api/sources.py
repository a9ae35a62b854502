"""``/api/v1/sources``: partner sources (reads public, writes with a token) and their stories."""

from __future__ import annotations

from flask import Response, jsonify

from syndicate.aggregate.service import FetchResult
from syndicate.aggregate.shapes import attempt_json, source_json, story_json
from syndicate.api import bp
from syndicate.api.http import (
    json_body,
    page_args,
    paginated,
    token_required,
)
from syndicate.services import services
from syndicate.types import Source


def _source_response(source: Source, status: int = 200) -> Response:
    response = jsonify(source_json(source))
    response.status_code = status
    return response


def _fetch_json(result: FetchResult) -> dict[str, object]:
    return {
        "outcome": result.outcome,
        "status": result.status,
        "new": len(result.new_ids),
        "updated": len(result.updated_ids),
        "bytes": result.bytes,
        "duration_ms": result.duration_ms,
        "error": result.error,
    }


@bp.get("/sources")
def list_sources() -> Response:
    page = services().aggregator.page(*page_args())
    return paginated(page, [source_json(s) for s in page.items])


@bp.post("/sources")
@token_required
def create_source() -> Response:
    svc = services()
    added = svc.aggregator.add(json_body(), origin="api")
    body = source_json(added.source)
    body["discovered_from"] = added.discovered_from
    body["first_fetch"] = _fetch_json(added.first_fetch)
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = f"{svc.settings.base_url}/api/v1/sources/{added.source.id}"
    return response


@bp.get("/sources/<int:source_id>")
def get_source(source_id: int) -> Response:
    svc = services()
    body = source_json(svc.aggregator.get(source_id))
    body["recent_fetches"] = [attempt_json(a) for a in svc.aggregator.attempts(source_id, 20)]
    return jsonify(body)


@bp.patch("/sources/<int:source_id>")
@token_required
def patch_source(source_id: int) -> Response:
    return _source_response(services().aggregator.change(source_id, json_body()))


@bp.delete("/sources/<int:source_id>")
@token_required
def delete_source(source_id: int) -> Response:
    services().aggregator.remove(source_id)
    return Response(status=204)


@bp.post("/sources/<int:source_id>/fetch")
@token_required
def fetch_source(source_id: int) -> Response:
    aggregator = services().aggregator
    result = aggregator.fetch_now(source_id)
    body = {"fetch": _fetch_json(result), "source": source_json(aggregator.get(source_id))}
    return jsonify(body)


@bp.get("/sources/<int:source_id>/stories")
def list_source_stories(source_id: int) -> Response:
    page = services().aggregator.stories(source_id, *page_args())
    return paginated(page, [story_json(s) for s in page.items])
