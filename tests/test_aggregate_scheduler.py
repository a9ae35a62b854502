"""The scheduler: one active at a time (lease row on SQLite, advisory lock on PostgreSQL),
a standby taking over, the heartbeat in /healthz, counters in /metrics."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from syndicate.aggregate.scheduler import AdvisoryLock, LeaseLock, Scheduler
from syndicate.services import services
from tests.aggregate_helpers import aggregation_app, aggregator_of, insert_source
from tests.conftest import FakeClock
from tests.partners import PartnerServer, Reply, data, wait_for


@pytest.fixture
def partner() -> Iterator[PartnerServer]:
    with PartnerServer() as server:
        server.serve("/rss20.xml", Reply(body=data("rss20.xml")))
        yield server


@pytest.fixture
def app(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Flask]:
    app = aggregation_app(
        database_url, tmp_path, clock, sources_file=str(tmp_path / "sources.opml"),
        scheduler_tick=1, scheduler_lease=60,
    )  # fmt: skip
    yield app
    aggregator_of(app).close()
    services(app).store.dispose()


def _scheduler(app: Flask, clock: FakeClock, holder: str) -> Scheduler:
    svc = services(app)
    lock = LeaseLock(svc.store, holder, timedelta(seconds=60), clock)
    return Scheduler(svc.aggregator, svc.store, tick=1, lease=60, clock=clock, lock=lock)


def test_only_one_scheduler_polls_and_a_standby_takes_over(
    app: Flask, clock: FakeClock, partner: PartnerServer
) -> None:
    insert_source(app, partner.url("/rss20.xml"))
    first, second = _scheduler(app, clock, "first"), _scheduler(app, clock, "second")
    report = first.tick()
    assert report is not None and report.count("fetched") == 1
    assert second.tick() is None and not second.active
    clock.advance(seconds=30)
    assert first.heartbeat() and second.tick() is None
    clock.advance(seconds=61)  # the first one died: no heartbeat for longer than the lease
    assert second.tick() is not None and second.active
    assert not first.heartbeat()  # it comes back: the lock is someone else's
    assert first.tick() is None


def test_a_released_lock_is_taken_at_once(app: Flask, clock: FakeClock) -> None:
    first, second = _scheduler(app, clock, "first"), _scheduler(app, clock, "second")
    assert first.heartbeat()
    first.lock.release()
    assert second.heartbeat()


@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_postgres_uses_an_advisory_lock_that_dies_with_its_connection(
    app: Flask, clock: FakeClock
) -> None:
    store = services(app).store
    first = AdvisoryLock(store, "first", timedelta(seconds=60), clock)
    second = AdvisoryLock(store, "second", timedelta(seconds=60), clock)
    assert first.acquire()
    assert not second.acquire()
    clock.advance(hours=1)  # an expired lease alone does not hand the lock over
    assert not second.acquire()
    assert first._connection is not None
    first._connection.invalidate()  # the holder's session dies (crash, network)
    first._connection = None
    assert second.acquire() and second.renew()
    assert not first.renew()
    second.release()
    assert first.acquire()
    first.release()


def test_the_scheduler_process_runs_apscheduler_until_stopped(
    app: Flask, clock: FakeClock, partner: PartnerServer
) -> None:
    settings = services(app).settings
    Path(settings.sources_file).write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        f'<outline type="rss" text="Dakar" xmlUrl="{partner.url("/rss20.xml")}"'
        ' category="economie"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    runner = _scheduler(app, clock, "process")
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    thread.start()
    try:
        assert wait_for(lambda: len(partner.hits("/rss20.xml")) == 1)
        assert wait_for(lambda: aggregator_of(app).all_sources()[0].story_count == 3)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    health = app.test_client().get("/healthz").json["scheduler"]
    assert health["status"] == "stale" and health["holder"] == "process"  # released on stop


def test_healthz_reports_the_heartbeat(app: Flask, clock: FakeClock) -> None:
    client = app.test_client()
    assert client.get("/healthz").json["scheduler"] == {"status": "absent"}
    _scheduler(app, clock, "web-1").heartbeat()
    clock.advance(seconds=20)
    report = client.get("/healthz").json["scheduler"]
    assert report["status"] == "active" and report["holder"] == "web-1"
    assert report["age_seconds"] == 20
    clock.advance(seconds=60)
    assert client.get("/healthz").json["scheduler"]["status"] == "stale"


def test_the_scheduler_command_once(app: Flask, partner: PartnerServer) -> None:
    insert_source(app, partner.url("/rss20.xml"))
    result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert (
        result.output.strip()
        == "1 source(s): 1 fetched, 0 not modified, 3 new, 0 updated, 0 failed"
    )


def test_metrics_count_fetches_bytes_and_durations_across_processes(
    app: Flask, clock: FakeClock, partner: PartnerServer
) -> None:
    aggregator = aggregator_of(app)
    source = insert_source(app, partner.url("/rss20.xml"))
    insert_source(app, partner.serve("/broken.xml", Reply(body=b"<rss><channel>")))
    aggregator.run_pass()
    clock.advance(hours=3)
    aggregator.fetch_now(source.id)
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    text = response.get_data(as_text=True)
    assert 'syndicate_fetches_total{outcome="fetched"} 1.0' in text
    assert 'syndicate_fetches_total{outcome="unchanged"} 1.0' in text
    assert 'syndicate_fetches_total{outcome="failed"} 1.0' in text
    assert 'syndicate_fetch_errors_total{kind="parse"} 1.0' in text
    assert f"syndicate_fetch_bytes_total {float(2 * len(data('rss20.xml')) + 14)}" in text
    assert 'syndicate_fetch_duration_seconds_bucket{le="+Inf"} 3.0' in text
    assert "syndicate_fetch_duration_seconds_count 3.0" in text
    assert "syndicate_stories_new_total 3.0" in text
    assert 'syndicate_sources{state="active"} 2.0' in text
    assert "syndicate_stories 3.0" in text
    assert "syndicate_related_backlog 0.0" in text
    assert "syndicate_related_backlog_age_seconds 0.0" in text
    # another app on the same store (another process) sees the same counters
    other = aggregation_app(
        services(app).settings.database_url,
        Path(services(app).settings.instance_path).parent / "other",
        clock,
    )
    assert 'syndicate_fetches_total{outcome="fetched"} 1.0' in other.test_client().get(
        "/metrics"
    ).get_data(as_text=True)
    services(other).store.dispose()


def test_listeners_hear_new_and_updated_stories_after_a_pass(
    app: Flask, clock: FakeClock, partner: PartnerServer
) -> None:
    heard: list[frozenset[int]] = []
    aggregator = aggregator_of(app)
    aggregator.listeners.append(heard.append)
    aggregator.listeners.append(lambda ids: 1 / 0)  # a failing listener harms no one
    insert_source(app, partner.url("/rss20.xml"))
    report = aggregator.run_pass()
    assert heard == [frozenset(report.results[0].new_ids)] and len(heard[0]) == 3
    clock.advance(hours=3)
    aggregator.run_pass()
    assert len(heard) == 1  # nothing new, nobody called
