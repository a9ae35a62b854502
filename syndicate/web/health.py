"""``/healthz``: is the store reachable and migrated; the scheduler's heartbeat."""

from __future__ import annotations

from flask import Response, jsonify

from syndicate.aggregate.scheduler import heartbeat_report
from syndicate.services import services
from syndicate.store.db import StoreUnavailable
from syndicate.web import bp


@bp.get("/healthz")
def healthz() -> Response:
    svc = services()
    try:
        store = svc.store.check()
    except StoreUnavailable as exc:
        body = {"status": "error", "store": {"status": "unreachable", "error": str(exc)}}
        response = jsonify(body)
        response.status_code = 503
    else:
        migrated = store["revision"] == store["head"]
        store["status"] = "ok" if migrated else "needs migration (run `syndicate db upgrade`)"
        body = {"status": "ok" if migrated else "error", "store": store}
        if migrated:
            body["scheduler"] = heartbeat_report(svc.store, svc.clock, svc.settings.scheduler_lease)
        response = jsonify(body)
        response.status_code = 200 if migrated else 503
    response.headers["Cache-Control"] = "no-store"
    return response
