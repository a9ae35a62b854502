"""One exception tree. Other libraries' errors are wrapped where they enter."""

from __future__ import annotations

from collections.abc import Mapping


class SyndicateError(Exception):
    """Base of every error syndicate raises on purpose."""


class ConfigError(SyndicateError):
    """A setting or a configuration file is invalid; the message names what and where."""


class InvalidInput(SyndicateError):
    """Input failed validation. ``errors`` maps each failing field to its reason."""

    def __init__(self, errors: Mapping[str, str], message: str = "invalid input") -> None:
        self.errors = dict(errors)
        detail = "; ".join(f"{name}: {reason}" for name, reason in self.errors.items())
        super().__init__(f"{message}: {detail}" if detail else message)


class NotFound(SyndicateError):
    """The named thing does not exist (or is not public)."""


class Conflict(SyndicateError):
    """The write would break a uniqueness rule (duplicate slug, URL...)."""
