"""``/admin/``: counts, the sources that need attention, the scheduler's heartbeat."""

from __future__ import annotations

from werkzeug.wrappers import Response

from syndicate.admin import bp
from syndicate.admin.http import render
from syndicate.aggregate.scheduler import heartbeat_report
from syndicate.services import services


@bp.get("/")
def dashboard() -> Response:
    svc = services()
    return render(
        "admin/dashboard.html",
        overview=svc.aggregator.overview(),
        troubled=svc.aggregator.troubled(),
        articles=svc.newsroom.state_counts(),
        scheduler=heartbeat_report(svc.store, svc.clock, svc.settings.scheduler_lease),
        section="dashboard",
    )
