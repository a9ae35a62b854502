"""WebSub publishing: tell the hub which feed URLs changed, from the scheduler process.

Every write bumps its feeds' versions in ``feed_changes``, in its own transaction: that table is
the outbox. The scheduler process holding the lock (one at a time) calls ``check_now`` every few
seconds; the feeds whose version moved since its last look, and those that gained a scheduled
article by the passage of time, are queued, and a background thread sends one
``hub.mode=publish`` POST per topic URL (first page of each format), retrying with exponential
backoff and jitter on network errors, ``429`` and ``5xx`` (``Retry-After`` honoured). So a write
never waits on the hub, a web process that dies loses no ping, and each change is pinged once
however many web processes run. A scheduler starting (or taking over) pings the feeds changed
in the day before it: a second ping costs the hub one fetch, a missed one leaves subscribers
behind.
"""

from __future__ import annotations

import atexit
import heapq
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from syndicate.exceptions import ConfigError
from syndicate.store import Store
from syndicate.store import feeds as feed_store
from syndicate.types import Clock

log = logging.getLogger(__name__)

USER_AGENT = "syndicate-websub-publisher"
TIMEOUT_SECONDS = 10.0
ATTEMPTS = 6
BACKOFF_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 600.0
FIRST_LOOK_BACK = timedelta(days=1)
EXIT_FLUSH_SECONDS = 5.0

TopicsOf = Callable[[frozenset[str]], list[str]]
T = TypeVar("T")


class HubError(Exception):
    """A publish ping failed; ``retry_after`` (seconds) when the hub asked for a delay."""

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


def check_hub_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"SYNDICATE_WEBSUB_HUB: expected an http(s) URL, got {url!r}")
    return url


def retry_delay(
    attempt: int,
    base: float = BACKOFF_SECONDS,
    cap: float = MAX_BACKOFF_SECONDS,
    rng: random.Random | None = None,
) -> float:
    """Seconds before retry number ``attempt`` (1, 2, ...): exponential, capped, with jitter
    (half to all of the step) so that many publishers do not retry in step."""
    step = min(cap, base * 2 ** (attempt - 1))
    return float(step * (rng or random).uniform(0.5, 1.0))


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def send_publish(hub: str, topic: str, timeout: float = TIMEOUT_SECONDS) -> int:
    """One ``hub.mode=publish`` ping; the hub's status, or ``HubError``.

    httpx, as for partner feeds, with no proxy from the environment and no redirect followed:
    the hub is the operator's configured http(s) URL and nothing else."""
    try:
        response = httpx.post(
            hub,
            data={"hub.mode": "publish", "hub.url": topic},
            headers={"User-Agent": USER_AGENT},
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
        )
    except httpx.HTTPError as exc:
        raise HubError(f"hub unreachable: {exc}", permanent=False) from exc
    if response.is_success:
        return response.status_code
    transient = response.status_code == 429 or response.status_code >= 500
    raise HubError(
        f"hub answered {response.status_code}",
        permanent=not transient,
        retry_after=_retry_after(response.headers.get("Retry-After")),
    )


class WebSubPublisher:
    def __init__(
        self,
        hub: str,
        topics_of: TopicsOf,
        *,
        store: Store | None = None,
        clock: Clock | None = None,
        attempts: int = ATTEMPTS,
        backoff: float = BACKOFF_SECONDS,
        max_backoff: float = MAX_BACKOFF_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
        rng: random.Random | None = None,
    ) -> None:
        self.hub = check_hub_url(hub)
        self.topics_of = topics_of
        self.store = store
        self.clock = clock
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self._ready: list[str] = []
        self._queued: set[str] = set()
        self._retries: list[tuple[float, int, str]] = []  # (monotonic due time, attempt, topic)
        self._busy = 0
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._last_due_check: datetime | None = None
        self._versions: dict[str, int] | None = None
        """Each feed's write version at the last look (``None``: no look yet)."""
        self.sent: list[tuple[str, int]] = []
        """(topic, status) of successful pings, newest last (bounded)."""
        self.failed: list[tuple[str, str]] = []
        """(topic, reason) of pings given up, newest last (bounded)."""

    # Queue and return at once -----------------------------------------------------------------

    def publish(self, topics: Iterable[str]) -> None:
        with self._condition:
            for topic in topics:
                if topic not in self._queued:
                    self._queued.add(topic)
                    self._ready.append(topic)
            self._condition.notify_all()
        self.start()

    def start(self) -> None:
        if self._thread is not None:
            return
        with self._condition:
            if self._thread is not None or self._stopping:
                return
            self._thread = threading.Thread(target=self._run, name="websub-publisher", daemon=True)
            self._thread.start()
        atexit.register(self.close, EXIT_FLUSH_SECONDS)

    # Waiting and stopping ---------------------------------------------------------------------

    def flush(self, timeout: float) -> bool:
        """Wait until nothing is queued, in flight or due for retry; ``False`` on timeout."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._ready or self._retries or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
        return True

    def close(self, timeout: float = EXIT_FLUSH_SECONDS) -> None:
        """Send what is queued (first attempts) for up to ``timeout`` seconds, then stop."""
        if self._thread is None:
            return
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        self._thread.join(timeout)
        with self._condition:
            abandoned = len(self._ready) + len(self._retries)
        if abandoned:
            log.warning("websub: %d ping(s) abandoned at shutdown", abandoned)
        atexit.unregister(self.close)

    # The worker thread ------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._condition:
                job = self._next_job()
                if job is None:
                    return
                self._busy += 1
            attempt, topic = job
            try:
                self._attempt(topic, attempt)
            finally:
                with self._condition:
                    self._busy -= 1
                    self._condition.notify_all()

    def _next_job(self) -> tuple[int, str] | None:
        """Under the lock: the next ping to send, or ``None`` to stop."""
        while True:
            now = time.monotonic()
            if self._ready:
                topic = self._ready.pop(0)
                self._queued.discard(topic)
                return (1, topic)
            if self._retries and self._retries[0][0] <= now and not self._stopping:
                _, attempt, topic = heapq.heappop(self._retries)
                return (attempt, topic)
            if self._stopping:
                return None
            wake = self._retries[0][0] - now if self._retries else None
            self._condition.wait(None if wake is None else max(0.0, wake))

    def _attempt(self, topic: str, attempt: int) -> None:
        try:
            status = send_publish(self.hub, topic, self.timeout)
        except HubError as exc:
            if exc.permanent or attempt >= self.attempts:
                log.warning("websub: gave up pinging %s for %s: %s", self.hub, topic, exc)
                self._record(self.failed, (topic, str(exc)))
                return
            delay = retry_delay(attempt, self.backoff, self.max_backoff, self.rng)
            if exc.retry_after is not None:
                delay = min(self.max_backoff, max(delay, exc.retry_after))
            log.info("websub: %s for %s, retry %d in %.1fs", exc, topic, attempt, delay)
            with self._condition:
                if topic not in self._queued:  # a newer ping for it is queued: that one will do
                    heapq.heappush(self._retries, (time.monotonic() + delay, attempt + 1, topic))
            return
        log.info("websub: pinged %s for %s (%d)", self.hub, topic, status)
        self._record(self.sent, (topic, status))

    def _record(self, into: list[T], value: T) -> None:
        with self._condition:
            into.append(value)
            del into[:-1000]

    def _changed_feeds(self, store: Store, now: datetime) -> set[str]:
        """Feeds written, or gaining a scheduled article, since the last look."""
        first_look = now - FIRST_LOOK_BACK
        with store.connect() as connection:
            written = feed_store.written_versions(connection)
            coming_out = feed_store.newly_visible_feeds(
                connection, self._last_due_check or first_look, now
            )
        if self._versions is None:
            moved = {feed for feed, (_, at) in written.items() if at > first_look}
        else:
            moved = {f for f, (version, _) in written.items() if version != self._versions.get(f)}
        self._versions = {feed: version for feed, (version, _) in written.items()}
        self._last_due_check = now
        return moved | coming_out

    def check_now(self) -> None:
        """Queue pings for the feeds that changed since the last look (the scheduler calls it
        every few seconds); a store error is logged and the next look catches up."""
        if self.store is None or self.clock is None:
            return
        try:
            feeds = self._changed_feeds(self.store, self.clock())
        except Exception:
            log.exception("websub: could not look for changed feeds")
            return
        if feeds:
            self.publish(self.topics_of(frozenset(feeds)))
