"""``syndicate scheduler``: APScheduler in its own process, exactly one active at a time.

The lock lives in the store. On SQLite it is a lease row: the holder renews it on every
heartbeat; when the holder dies its lease runs out and a standby takes over. On PostgreSQL a
session-level advisory lock decides (it goes away with the holder's connection), and the lease
row is written as well, as the heartbeat that ``/healthz`` reports.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from syndicate.aggregate.service import Aggregator, PassReport
from syndicate.dates import rfc3339
from syndicate.store import Store, leases
from syndicate.types import Clock

log = logging.getLogger("syndicate.scheduler")

LOCK_NAME = "scheduler"
ADVISORY_KEY = 0x5359_4E44  # "SYND"
PRUNE_EVERY = timedelta(hours=1)
PINGS_SECONDS = 5
"""How often the leading scheduler looks for changed feeds to ping the WebSub hub about."""


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class RelatedRefresher(Protocol):
    def refresh(self, stories: Iterable[int] = ()) -> int: ...


class SchedulerLock(Protocol):
    holder: str

    def acquire(self) -> bool: ...

    def renew(self) -> bool: ...

    def release(self) -> None: ...


class LeaseLock:
    """A lease row with an expiry, renewed by heartbeats (any database; SQLite's lock)."""

    def __init__(self, store: Store, holder: str, lease: timedelta, clock: Clock) -> None:
        self.store = store
        self.holder = holder
        self.lease = lease
        self.clock = clock

    def _take(self, force: bool = False) -> bool:
        try:
            with self.store.begin() as connection:
                return leases.take(
                    connection, LOCK_NAME, self.holder, self.clock(), self.lease, force=force
                )
        except SQLAlchemyError:
            log.exception("the scheduler lock could not be written")
            return False

    def acquire(self) -> bool:
        return self._take()

    def renew(self) -> bool:
        return self._take()

    def release(self) -> None:
        try:
            with self.store.begin() as connection:
                leases.give_up(connection, LOCK_NAME, self.holder, self.clock())
        except SQLAlchemyError:
            log.exception("the scheduler lock could not be released")


class AdvisoryLock(LeaseLock):
    """PostgreSQL: ``pg_try_advisory_lock`` on a connection held for as long as we lead."""

    def __init__(self, store: Store, holder: str, lease: timedelta, clock: Clock) -> None:
        super().__init__(store, holder, lease, clock)
        self._connection: Connection | None = None
        self._mutex = threading.Lock()

    def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._connection.close()
            self._connection = None

    def acquire(self) -> bool:
        with self._mutex:
            if self._connection is None:
                try:
                    connection = self.store.engine.connect()
                    got = connection.execute(
                        text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
                    ).scalar_one()
                    connection.commit()
                except SQLAlchemyError:
                    log.exception("the advisory lock could not be asked for")
                    return False
                if not got:
                    connection.close()
                    return False
                self._connection = connection
            return self._take(force=True)

    def renew(self) -> bool:
        with self._mutex:
            if self._connection is None:
                return False
            try:
                self._connection.execute(text("SELECT 1"))
                self._connection.commit()
            except SQLAlchemyError:
                log.warning("lost the connection holding the advisory lock")
                self._close()
                return False
        return self._take(force=True)

    def release(self) -> None:
        with self._mutex:
            if self._connection is not None:
                try:
                    self._connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY}
                    )
                    self._connection.commit()
                except SQLAlchemyError:
                    pass
                self._close()
        super().release()


def make_lock(store: Store, holder: str, lease: timedelta, clock: Clock) -> SchedulerLock:
    if store.url.get_backend_name() == "postgresql":
        return AdvisoryLock(store, holder, lease, clock)
    return LeaseLock(store, holder, lease, clock)


def heartbeat_report(store: Store, clock: Clock, lease_seconds: int) -> dict[str, Any]:
    """What ``/healthz`` says of the scheduler: ``active``, ``stale`` or ``absent``."""
    with store.connect() as connection:
        lease = leases.get(connection, LOCK_NAME)
    if lease is None:
        return {"status": "absent"}
    age = (clock() - lease.heartbeat_at).total_seconds()
    alive = lease.expires_at > clock()
    return {
        "status": "active" if alive else "stale",
        "holder": lease.holder,
        "heartbeat_at": rfc3339(lease.heartbeat_at),
        "age_seconds": max(0, int(age)),
        "lease_seconds": lease_seconds,
    }


class Scheduler:
    """One process's scheduler: a standby until it holds the lock, then it polls."""

    def __init__(
        self,
        aggregator: Aggregator,
        store: Store,
        *,
        tick: int,
        lease: int,
        clock: Clock,
        lock: SchedulerLock | None = None,
        related: RelatedRefresher | None = None,
        related_interval: int = 10,
        pings: Callable[[], None] | None = None,
    ) -> None:
        self.aggregator = aggregator
        self.related = related
        self.related_interval = related_interval
        self.pings = pings
        """Called every few seconds while leading: WebSub pings for the feeds that changed."""
        self.tick_seconds = tick
        self.lease_seconds = lease
        self.clock = clock
        self.lock = lock or make_lock(store, holder_name(), timedelta(seconds=lease), clock)
        self.active = False
        self._last_prune: datetime | None = None
        self._mutex = threading.Lock()

    def heartbeat(self) -> bool:
        """Renew the lock if we hold it, else try to take it; returns whether we lead."""
        with self._mutex:
            if self.active:
                self.active = self.lock.renew()
                if not self.active:
                    log.warning("scheduler %s lost the lock; standing by", self.lock.holder)
            else:
                self.active = self.lock.acquire()
                if self.active:
                    log.info("scheduler %s holds the lock: polling", self.lock.holder)
            return self.active

    def tick(self) -> PassReport | None:
        """One look for due sources, if we lead; prunes old stories once an hour."""
        if not self.heartbeat():
            return None
        report = self.aggregator.run_pass()
        if report.results:
            log.info("pass: %s", report.summary())
        now = self.clock()
        if self._last_prune is None or now - self._last_prune >= PRUNE_EVERY:
            self._last_prune = now
            self.aggregator.prune()
        return report

    def relate(self) -> int | None:
        """Fold marked articles and new stories into related lists, if we lead."""
        if self.related is None or not self.active:
            return None
        return self.related.refresh()

    def _after_pass(self, _story_ids: frozenset[int]) -> None:
        self.relate()  # new and changed stories are read from the store

    def _guarded(self, job: str) -> None:
        try:
            if job == "related":
                self.relate()
                return
            if job == "pings":
                if self.pings is not None and self.active:
                    self.pings()
                return
            self.heartbeat() if job == "heartbeat" else self.tick()
        except Exception:  # a failed run must not stop the scheduler
            log.exception("scheduler job %s failed", job)

    def run(self, stop: threading.Event) -> None:
        """Run until ``stop`` is set: a heartbeat job and a polling job, in threads."""
        report = self.aggregator.apply_sources_file()
        if report is not None:
            log.info("sources file applied: %s", report.summary())
        scheduler = BackgroundScheduler(timezone=UTC)
        common: dict[str, Any] = {"max_instances": 1, "coalesce": True}
        scheduler.add_job(
            self._guarded, "interval", args=["heartbeat"], id="heartbeat",
            seconds=max(1, self.lease_seconds // 3), **common,
        )  # fmt: skip
        scheduler.add_job(
            self._guarded, "interval", args=["poll"], id="poll",
            seconds=self.tick_seconds, next_run_time=datetime.now(UTC), **common,
        )  # fmt: skip
        if self.related is not None:
            # After each pass at once, and every few seconds for the newsroom's writes.
            self.aggregator.listeners.append(self._after_pass)
            scheduler.add_job(
                self._guarded, "interval", args=["related"], id="related",
                seconds=self.related_interval, **common,
            )  # fmt: skip
        if self.pings is not None:
            scheduler.add_job(
                self._guarded, "interval", args=["pings"], id="pings",
                seconds=PINGS_SECONDS, **common,
            )  # fmt: skip
        scheduler.start()
        log.info("scheduler %s started (tick %ds)", self.lock.holder, self.tick_seconds)
        try:
            stop.wait()
        finally:
            scheduler.shutdown(wait=True)
            self.lock.release()
            self.aggregator.close()
            log.info("scheduler %s stopped", self.lock.holder)
