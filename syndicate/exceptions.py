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


class FetchError(SyndicateError):
    """A partner's feed could not be fetched: network, refused address, limits, redirects.

    ``status`` is the HTTP status when one came; ``kind`` is a short word for logs and metrics.
    """

    def __init__(self, message: str, *, kind: str = "network", status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


class FeedError(SyndicateError):
    """Fetched bytes are not a usable feed (not a feed, empty, truncated, garbage)."""
