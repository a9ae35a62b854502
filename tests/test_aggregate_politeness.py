"""When sources are polled: intervals, partner hints, backoff, auto-pause, Retry-After parsing."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from syndicate.aggregate import politeness
from syndicate.aggregate.service import Aggregator
from syndicate.services import services
from tests.aggregate_helpers import aggregation_app, aggregator_of, insert_source
from tests.conftest import FakeClock
from tests.partners import PartnerServer, Reply, data

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def partner() -> Iterator[PartnerServer]:
    with PartnerServer() as server:
        yield server


@pytest.fixture
def app(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Flask]:
    app = aggregation_app(database_url, tmp_path, clock, fetch_failure_threshold=4)
    aggregator_of(app).rng = random.Random(7)
    yield app
    aggregator_of(app).close()


@pytest.fixture
def aggregator(app: Flask) -> Aggregator:
    return aggregator_of(app)


def _wait(aggregator: Aggregator, source_id: int, clock: FakeClock) -> float:
    next_fetch = aggregator.get(source_id).state.next_fetch_at
    assert next_fetch is not None
    return (next_fetch - clock.now).total_seconds()


def test_the_interval_has_jitter_but_is_never_shorter(
    app: Flask, aggregator: Aggregator, partner: PartnerServer, clock: FakeClock
) -> None:
    source = insert_source(
        app, partner.serve("/f.xml", Reply(body=data("atom10.xml"))), interval=1800
    )
    aggregator.fetch_now(source.id)
    assert 1800 <= _wait(aggregator, source.id, clock) <= 1800 * 1.1


@pytest.mark.parametrize(
    ("name", "headers", "minimum"),
    [
        ("rss20.xml", {}, 3600),  # <ttl>60</ttl>
        ("rss10.rdf", {}, 43200),  # sy:updatePeriod daily, frequency 2
        ("atom10.xml", {"Cache-Control": "public, max-age=7200"}, 7200),
        ("rss20.xml", {"Cache-Control": "max-age=60"}, 3600),
        ("atom10.xml", {"Cache-Control": "max-age=999999"}, 86400),  # capped at the maximum
    ],
)
def test_partner_hints_lengthen_the_interval(
    app: Flask,
    aggregator: Aggregator,
    partner: PartnerServer,
    clock: FakeClock,
    name: str,
    headers: dict[str, str],
    minimum: int,
) -> None:
    url = partner.serve("/f", Reply(body=data(name), headers=headers))
    source = insert_source(app, url, interval=600)
    aggregator.fetch_now(source.id)
    assert aggregator.get(source.id).state.min_interval == minimum
    assert minimum <= _wait(aggregator, source.id, clock) <= minimum * 1.1


def test_errors_back_off_exponentially_then_pause_the_source(
    app: Flask, aggregator: Aggregator, partner: PartnerServer, clock: FakeClock
) -> None:
    source = insert_source(app, partner.serve("/f", Reply(500, body=b"oops")), interval=600)
    waits = []
    for _ in range(4):
        result = aggregator.fetch_now(source.id)
        assert result.outcome == "failed" and result.status == 500
        waits.append(_wait(aggregator, source.id, clock))
        clock.advance(seconds=waits[-1])
    for wait, base in zip(waits, (600, 1200, 2400, 4800), strict=True):
        assert base <= wait <= base * 1.1
    paused = aggregator.get(source.id)
    assert not paused.enabled
    assert paused.state.paused_reason == (
        f"paused after 4 consecutive failures; last: {partner.url('/f')} answered HTTP 500"
    )
    assert paused.state.error_count == 4
    resumed = aggregator.resume(source.id)
    assert (
        resumed.enabled and resumed.state.error_count == 0 and resumed.state.paused_reason is None
    )


def test_a_success_resets_the_error_count(
    app: Flask, aggregator: Aggregator, partner: PartnerServer, clock: FakeClock
) -> None:
    source = insert_source(app, partner.serve("/f", Reply(503, body=b"down")))
    aggregator.fetch_now(source.id)
    assert aggregator.get(source.id).state.error_count == 1
    partner.serve("/f", Reply(body=data("rss20.xml")))
    aggregator.fetch_now(source.id)
    state = aggregator.get(source.id).state
    assert state.error_count == 0 and state.last_error is None and state.last_status == 200


def test_the_fetch_log_keeps_the_last_attempts(
    database_url: str, tmp_path: Path, clock: FakeClock, partner: PartnerServer
) -> None:
    app = aggregation_app(database_url, tmp_path, clock, fetch_log_size=3)
    aggregator = aggregator_of(app)
    source = insert_source(app, partner.serve("/f", Reply(body=data("rss20.xml"))))
    for _ in range(5):
        aggregator.fetch_now(source.id)
        clock.advance(hours=1)
    attempts = aggregator.attempts(source.id)
    assert [a.outcome for a in attempts] == ["unchanged", "unchanged", "unchanged"]
    assert attempts[0].started_at > attempts[-1].started_at
    assert all(a.status == 200 and a.bytes == len(data("rss20.xml")) for a in attempts)
    aggregator.close()
    services(app).store.dispose()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", timedelta(seconds=120)),
        ("Sun, 29 Nov 2026 12:30:00 GMT", timedelta(minutes=30)),
        ("Sun, 29 Nov 2026 11:00:00 GMT", timedelta(0)),
        ("bientôt", None),
        ("", None),
    ],
)
def test_retry_after_values(header: str, expected: timedelta | None) -> None:
    assert politeness.retry_after(header, NOW) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("public, max-age=300", 300),
        ("max-age=60, s-maxage=600", 600),
        ('max-age="90"', 90),
        ("no-cache", None),
        (None, None),
    ],
)
def test_max_age_values(header: str | None, expected: int | None) -> None:
    assert politeness.max_age(header) == expected
