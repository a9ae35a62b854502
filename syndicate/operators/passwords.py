"""Password hashing with Argon2id (argon2-cffi): the only argon2 import."""

from __future__ import annotations

from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    """Hash, verify and upgrade operators' passwords (Argon2id, RFC 9106 parameters)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored``; with ``None`` (no such account) a dummy
        hash is checked so that the answer takes as long either way."""
        try:
            matches = self._hasher.verify(stored or self._dummy, password)
        except (VerificationError, InvalidHashError):
            return False
        return matches and stored is not None

    def needs_rehash(self, stored: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True

    @cached_property
    def _dummy(self) -> str:
        return self._hasher.hash("no such operator")
