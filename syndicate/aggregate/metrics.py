"""Prometheus metrics of the aggregator, read from the store at scrape time.

Fetches happen in the scheduler's process (or the CLI's, or a web worker's for "fetch now"),
while ``/metrics`` is served by any web worker: so each process adds its fetches to counters
kept in the store (``fetch_stats``, written after each pass or single fetch) and this collector
reads them. Every process and every machine sees the same totals, with no multiprocess
directory to share.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from syndicate.aggregate.scheduler import LOCK_NAME
from syndicate.aggregate.service import DURATION_BUCKETS
from syndicate.store import Store, leases
from syndicate.store import embeddings as embedding_store
from syndicate.store import related as related_store
from syndicate.store import sources as source_store
from syndicate.store import stories as story_store
from syndicate.types import Clock

OUTCOMES = ("fetched", "unchanged", "not_modified", "failed", "gone", "delayed")


def _labels(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in text.split(",") if "=" in part)


class StoreCollector(Collector):
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        with self.store.connect() as connection:
            stats = source_store.all_stats(connection)
            states = source_store.state_counts(connection)
            stories = story_store.count(connection)
            lease = leases.get(connection, LOCK_NAME)
            waiting, oldest_mark = related_store.backlog(connection)
            embedded = embedding_store.counts(connection)
        values: dict[str, dict[str, float]] = {}
        for metric, labels, value in stats:
            values.setdefault(metric, {})[labels] = value

        fetches = CounterMetricFamily(
            "syndicate_fetches", "Partner feed fetches, by outcome.", labels=["outcome"]
        )
        by_outcome = {
            _labels(k).get("outcome", ""): v for k, v in values.get("fetches_total", {}).items()
        }
        for outcome in sorted(set(OUTCOMES) | set(by_outcome)):
            fetches.add_metric([outcome], by_outcome.get(outcome, 0.0))
        yield fetches

        errors = CounterMetricFamily(
            "syndicate_fetch_errors", "Failed fetches, by kind of failure.", labels=["kind"]
        )
        for labels, value in sorted(values.get("fetch_errors_total", {}).items()):
            errors.add_metric([_labels(labels).get("kind", "")], value)
        yield errors

        yield CounterMetricFamily(
            "syndicate_fetch_bytes",
            "Feed body bytes received, after decompression.",
            value=values.get("fetch_bytes_total", {}).get("", 0.0),
        )
        yield CounterMetricFamily(
            "syndicate_stories_new",
            "Partner stories added.",
            value=values.get("stories_new_total", {}).get("", 0.0),
        )
        yield CounterMetricFamily(
            "syndicate_stories_updated",
            "Partner stories updated in place.",
            value=values.get("stories_updated_total", {}).get("", 0.0),
        )

        per_bucket = {
            _labels(k).get("le", ""): v
            for k, v in values.get("fetch_duration_seconds_bucket", {}).items()
        }
        cumulative = 0.0
        buckets: list[tuple[str, float]] = []
        for bound in (*(str(b) for b in DURATION_BUCKETS), "+Inf"):
            cumulative += per_bucket.get(bound, 0.0)
            buckets.append((bound, cumulative))
        yield HistogramMetricFamily(
            "syndicate_fetch_duration_seconds",
            "Time to fetch, parse and store one source.",
            buckets=buckets,
            sum_value=values.get("fetch_duration_seconds_sum", {}).get("", 0.0),
        )

        sources = GaugeMetricFamily(
            "syndicate_sources", "Partner sources, by state.", labels=["state"]
        )
        for state, count in sorted(states.items()):
            sources.add_metric([state], count)
        yield sources
        yield GaugeMetricFamily("syndicate_stories", "Partner stories stored.", value=stories)
        yield GaugeMetricFamily(
            "syndicate_related_backlog",
            "Articles whose related stories wait to be recomputed by the scheduler.",
            value=waiting,
        )
        yield GaugeMetricFamily(
            "syndicate_related_backlog_age_seconds",
            "Seconds the oldest of them has waited (0: none waits).",
            value=max(0.0, (self.clock() - oldest_mark).total_seconds()) if oldest_mark else 0.0,
        )
        cached = GaugeMetricFamily(
            "syndicate_related_embeddings",
            "Title embeddings cached for related stories, by model.",
            labels=["model"],
        )
        for model, count in sorted(embedded.items()):
            cached.add_metric([model], count)
        yield cached
        if lease is not None:
            age = (self.clock() - lease.heartbeat_at).total_seconds()
            yield GaugeMetricFamily(
                "syndicate_scheduler_heartbeat_age_seconds",
                "Seconds since the active scheduler's last heartbeat.",
                value=max(0.0, age),
            )
