"""How failed sign-ins slow down and then refuse further tries: pure functions over records.

Each key (an account name, a client address) has its own count. From ``slow_after`` failures
on, each try must wait longer after the last failure (1 s, 2 s, 4 s... up to ``max_delay``);
at ``lock_after`` failures the key is refused for ``lock_for``, and again after each further
failure. A key whose last failure is ``forget_after`` old starts afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from syndicate.store.operators import Failures

NO_WAIT = timedelta(0)


@dataclass(frozen=True)
class Policy:
    prefix: str
    slow_after: int
    lock_after: int
    lock_for: timedelta
    forget_after: timedelta = timedelta(hours=1)
    max_delay: timedelta = timedelta(seconds=60)

    def key(self, value: str) -> str:
        return f"{self.prefix}:{value}"[:200]


ACCOUNT = Policy("account", slow_after=3, lock_after=10, lock_for=timedelta(minutes=15))
"""Per account name: a guessing attack on one operator."""

ADDRESS = Policy("address", slow_after=10, lock_after=50, lock_for=timedelta(minutes=15))
"""Per client address: one machine trying many names (higher, as offices share addresses)."""


def _current(policy: Policy, record: Failures | None, now: datetime) -> Failures | None:
    if record is None:
        return None
    if not is_locked(record, now) and now - record.last_failed_at >= policy.forget_after:
        return None
    return record


def wait(policy: Policy, record: Failures | None, now: datetime) -> timedelta:
    """How long before this key may try again (zero: now)."""
    record = _current(policy, record, now)
    if record is None:
        return NO_WAIT
    if record.locked_until is not None and record.locked_until > now:
        return record.locked_until - now
    if record.failures < policy.slow_after:
        return NO_WAIT
    delay = min(timedelta(seconds=2 ** (record.failures - policy.slow_after)), policy.max_delay)
    return max(NO_WAIT, record.last_failed_at + delay - now)


def after_failure(policy: Policy, key: str, record: Failures | None, now: datetime) -> Failures:
    """The key's record once one more failure is counted."""
    record = _current(policy, record, now)
    count = (record.failures if record else 0) + 1
    locked_until = now + policy.lock_for if count >= policy.lock_after else None
    return Failures(key, count, now, locked_until)


def is_locked(record: Failures | None, now: datetime) -> bool:
    return record is not None and record.locked_until is not None and record.locked_until > now
