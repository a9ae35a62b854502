"""When to poll a source next: the operator's interval, never below what the partner asks
(``ttl``, ``sy:updatePeriod``, ``Cache-Control: max-age``), backoff on errors, jitter, and
``Retry-After``. Pure functions; the random source is passed in so tests can pin it.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

JITTER = 0.1
"""Up to this fraction of the delay is added at random, so sources spread out over time."""
BACKOFF_CAP_EXPONENT = 8
_MAX_AGE_RE = re.compile(r"(?:^|[,\s])(?:s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)


def max_age(cache_control: str | None) -> int | None:
    """The largest ``max-age``/``s-maxage`` in a Cache-Control header, in seconds."""
    if not cache_control:
        return None
    found = [int(value) for value in _MAX_AGE_RE.findall(cache_control)]
    return max(found) if found else None


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as a delay from ``now``."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(moment - now, timedelta(0))


def _jittered(seconds: float, rng: random.Random) -> timedelta:
    return timedelta(seconds=seconds * (1 + rng.uniform(0, JITTER)))


def after_success(
    interval: int, partner_minimum: int, *, maximum: int, rng: random.Random
) -> timedelta:
    """The wait after a good fetch: the interval, never below the partner's minimum."""
    return _jittered(min(max(interval, partner_minimum), maximum), rng)


def after_failure(
    interval: int, error_count: int, *, maximum: int, rng: random.Random
) -> timedelta:
    """Exponential backoff: the interval, then twice it, four times... up to ``maximum``."""
    exponent = min(max(error_count - 1, 0), BACKOFF_CAP_EXPONENT)
    return _jittered(min(interval * 2**exponent, maximum), rng)
