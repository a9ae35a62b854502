"""``/metrics``: Prometheus text exposition (counters kept in the store, see aggregate.metrics)."""

from __future__ import annotations

from flask import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from syndicate.aggregate.metrics import StoreCollector
from syndicate.services import services
from syndicate.web import bp


@bp.get("/metrics")
def metrics() -> Response:
    svc = services()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(svc.store, svc.clock))
    response = Response(generate_latest(registry), mimetype=None)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    response.headers["Cache-Control"] = "no-store"
    return response
