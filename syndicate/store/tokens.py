"""API tokens: random secrets shown once, stored as SHA-256 digests.

A token carries 256 bits of randomness, so a fast digest is enough (no password hashing
needed) and lets every request be checked with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from syndicate.store.schema import api_tokens

LAST_USED_RESOLUTION = timedelta(minutes=1)
TOKEN_PREFIX = "syn_"  # noqa: S105 (a marker, not a secret)


@dataclass(frozen=True)
class ApiToken:
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(connection: Connection, name: str, now: datetime) -> tuple[ApiToken, str]:
    """Store a new token; returns it and its secret (never stored, shown once)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = connection.execute(
        insert(api_tokens)
        .values(name=name, token_hash=_digest(secret), created_at=now)
        .returning(api_tokens.c.id)
    ).scalar_one()
    return ApiToken(token_id, name, now, None, None), secret


def verify(connection: Connection, secret: str) -> ApiToken | None:
    """The live token with this secret; ``None`` if unknown or revoked. Reads only."""
    row = connection.execute(
        select(api_tokens).where(
            api_tokens.c.token_hash == _digest(secret), api_tokens.c.revoked_at.is_(None)
        )
    ).first()
    if row is None:
        return None
    return ApiToken(row.id, row.name, row.created_at, row.last_used_at, None)


def needs_touch(token: ApiToken, now: datetime) -> bool:
    """Whether to record a use now: at most once a minute, so that an API burst does not turn
    every authenticated read into a write."""
    return token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION


def touch(connection: Connection, token_id: int, now: datetime) -> None:
    connection.execute(
        update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=now)
    )


def all_tokens(connection: Connection) -> list[ApiToken]:
    rows = connection.execute(select(api_tokens).order_by(api_tokens.c.id))
    return [
        ApiToken(row.id, row.name, row.created_at, row.last_used_at, row.revoked_at) for row in rows
    ]


def revoke(connection: Connection, token_id: int, now: datetime) -> bool:
    result = connection.execute(
        update(api_tokens)
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount > 0
