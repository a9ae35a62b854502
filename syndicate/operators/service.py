"""Operators' accounts and sign-in, one object per app (the CLI and the console use it)."""

from __future__ import annotations

import math
import re
from datetime import timedelta

from syndicate.exceptions import InvalidInput, NotFound, SyndicateError
from syndicate.operators import throttle
from syndicate.operators.passwords import Passwords
from syndicate.store import Store
from syndicate.store import operators as operator_store
from syndicate.store.operators import Operator
from syndicate.types import Clock

NAME_RE = re.compile(r"[a-z0-9][a-z0-9._@-]{0,99}")
PASSWORD_MIN = 10
PASSWORD_MAX = 1024
POLICIES = (throttle.ACCOUNT, throttle.ADDRESS)


class SignInFailed(SyndicateError):
    """Wrong name or password. ``retry_after``: seconds before the next try is accepted."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("wrong name or password")
        self.retry_after = retry_after


class SignInThrottled(SyndicateError):
    """Too many failures: this try was refused unchecked for ``retry_after`` more seconds;
    ``locked`` when the refusal is the long one (not just a delay)."""

    def __init__(self, retry_after: int, *, locked: bool) -> None:
        super().__init__(f"too many failed sign-ins: try again in {retry_after} s")
        self.retry_after = retry_after
        self.locked = locked


def clean_name(value: str) -> str:
    name = value.strip().lower()
    if not NAME_RE.fullmatch(name):
        raise InvalidInput(
            {"name": "1 to 100 characters: letters a-z, digits, '.', '_', '@' or '-'"}
        )
    return name


def check_password(password: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise InvalidInput({"password": f"must be at least {PASSWORD_MIN} characters"})
    if len(password) > PASSWORD_MAX:
        raise InvalidInput({"password": f"must be at most {PASSWORD_MAX} characters"})
    if not password.strip():
        raise InvalidInput({"password": "must not be only spaces"})
    return password


def _seconds(delay: timedelta) -> int:
    return max(0, math.ceil(delay.total_seconds()))


class Operators:
    def __init__(self, store: Store, clock: Clock, passwords: Passwords | None = None) -> None:
        self.store = store
        self.clock = clock
        self.passwords = passwords or Passwords()

    # Accounts ----------------------------------------------------------------------------

    def create(self, name: str, password: str) -> Operator:
        name = clean_name(name)
        hashed = self.passwords.hash(check_password(password))
        with self.store.begin() as connection:
            return operator_store.create(connection, name, hashed, self.clock())

    def set_password(self, name: str, password: str) -> Operator:
        """Replace an operator's password; every session of theirs ends."""
        name = clean_name(name)
        hashed = self.passwords.hash(check_password(password))
        with self.store.begin() as connection:
            found = operator_store.credentials(connection, name)
            if found is None:
                raise NotFound(f"no operator named {name!r}")
            operator_store.change(
                connection, found[0].id, password_hash=hashed, password_changed_at=self.clock()
            )
            operator_store.end_sessions(connection, found[0].id)
            current = operator_store.get(connection, found[0].id)
        assert current is not None
        return current

    def remove(self, name: str) -> None:
        with self.store.begin() as connection:
            if not operator_store.remove(connection, clean_name(name)):
                raise NotFound(f"no operator named {name.strip()!r}")

    def all(self) -> list[Operator]:
        with self.store.connect() as connection:
            return operator_store.all_operators(connection)

    def get(self, operator_id: int) -> Operator | None:
        with self.store.connect() as connection:
            return operator_store.get(connection, operator_id)

    def end_sessions(self, operator_id: int) -> None:
        """Sign an operator out everywhere: sessions issued before stop being accepted."""
        with self.store.begin() as connection:
            operator_store.end_sessions(connection, operator_id)

    # Sign-in -----------------------------------------------------------------------------

    def _keys(self, name: str, address: str) -> list[tuple[throttle.Policy, str]]:
        account = name.strip().lower()[:100]
        return [(throttle.ACCOUNT, throttle.ACCOUNT.key(account)),
                (throttle.ADDRESS, throttle.ADDRESS.key(address or "unknown"))]  # fmt: skip

    def sign_in(self, name: str, password: str, address: str) -> Operator:
        """The operator, if the name and password match and this name and address may try.

        Raises ``SignInThrottled`` (not checked: too soon after failures) or ``SignInFailed``.
        The failure counts live in the store, so every web process sees the same.
        """
        now = self.clock()
        keys = self._keys(name, address)
        with self.store.connect() as connection:
            records = {r.key: r for r in operator_store.failures(connection, [k for _, k in keys])}
        waits = [(throttle.wait(policy, records.get(key), now), records.get(key))
                 for policy, key in keys]  # fmt: skip
        longest, record = max(waits, key=lambda pair: pair[0])
        if longest > throttle.NO_WAIT:
            raise SignInThrottled(_seconds(longest), locked=throttle.is_locked(record, now))

        with self.store.connect() as connection:
            found = operator_store.credentials(connection, name.strip().lower()[:100])
        if found is None:
            self.passwords.verify(None, password[:PASSWORD_MAX])  # as long as a real check
            raise SignInFailed(self._count_failure(keys))
        operator, stored_hash = found
        if len(password) > PASSWORD_MAX or not self.passwords.verify(stored_hash, password):
            raise SignInFailed(self._count_failure(keys))

        values: dict[str, object] = {"last_signed_in_at": now}
        if self.passwords.needs_rehash(stored_hash):
            values["password_hash"] = self.passwords.hash(password)
        with self.store.begin() as connection:
            operator_store.forget(connection, [key for _, key in keys])
            operator_store.change(connection, operator.id, **values)
            signed_in = operator_store.get(connection, operator.id)
        assert signed_in is not None
        return signed_in

    def _count_failure(self, keys: list[tuple[throttle.Policy, str]]) -> int:
        """Count one failure under each key; returns the seconds before the next try."""
        now = self.clock()
        with self.store.begin() as connection:
            current = {r.key: r for r in operator_store.failures(
                connection, [key for _, key in keys], lock=True)}  # fmt: skip
            updated = [(policy, throttle.after_failure(policy, key, current.get(key), now))
                       for policy, key in keys]  # fmt: skip
            for _, record in updated:
                operator_store.record_failure(connection, record)
            oldest = max(policy.forget_after for policy in POLICIES)
            operator_store.forget_stale(connection, now - oldest, now)
        return max(_seconds(throttle.wait(policy, record, now)) for policy, record in updated)
