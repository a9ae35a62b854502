"""Operators of the web console and the failed sign-ins that throttle them.

Every function takes a Connection; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from syndicate.exceptions import Conflict
from syndicate.store.schema import operators, signin_failures


@dataclass(frozen=True)
class Operator:
    id: int
    name: str
    created_at: datetime
    password_changed_at: datetime
    last_signed_in_at: datetime | None
    session_generation: int


class Failures(NamedTuple):
    """Failed sign-ins recorded under one key."""

    key: str
    failures: int
    last_failed_at: datetime
    locked_until: datetime | None


def _operator(row: Row[Any]) -> Operator:
    m = row._mapping
    return Operator(
        id=m["id"],
        name=m["name"],
        created_at=m["created_at"],
        password_changed_at=m["password_changed_at"],
        last_signed_in_at=m["last_signed_in_at"],
        session_generation=m["session_generation"],
    )


def create(connection: Connection, name: str, password_hash: str, now: datetime) -> Operator:
    try:
        with connection.begin_nested():
            operator_id = connection.execute(
                insert(operators)
                .values(
                    name=name,
                    password_hash=password_hash,
                    created_at=now,
                    password_changed_at=now,
                    session_generation=0,
                )
                .returning(operators.c.id)
            ).scalar_one()
    except IntegrityError as exc:
        raise Conflict(f"an operator named {name!r} already exists") from exc
    found = get(connection, operator_id)
    assert found is not None
    return found


def get(connection: Connection, operator_id: int) -> Operator | None:
    row = connection.execute(select(operators).where(operators.c.id == operator_id)).first()
    return _operator(row) if row else None


def credentials(connection: Connection, name: str) -> tuple[Operator, str] | None:
    """The operator named ``name`` and its stored password hash."""
    row = connection.execute(select(operators).where(operators.c.name == name)).first()
    return (_operator(row), row.password_hash) if row else None


def all_operators(connection: Connection) -> list[Operator]:
    return [_operator(row) for row in connection.execute(select(operators).order_by("name"))]


def change(connection: Connection, operator_id: int, **values: Any) -> bool:
    result = connection.execute(
        update(operators).where(operators.c.id == operator_id).values(**values)
    )
    return result.rowcount > 0


def end_sessions(connection: Connection, operator_id: int) -> None:
    connection.execute(
        update(operators)
        .where(operators.c.id == operator_id)
        .values(session_generation=operators.c.session_generation + 1)
    )


def remove(connection: Connection, name: str) -> bool:
    return connection.execute(delete(operators).where(operators.c.name == name)).rowcount > 0


# Failed sign-ins ---------------------------------------------------------------------------


def failures(connection: Connection, keys: Sequence[str], *, lock: bool = False) -> list[Failures]:
    """The records of these keys (``lock``: held until the transaction ends, on PostgreSQL)."""
    query = select(signin_failures).where(signin_failures.c.key.in_(list(keys)))
    if lock and connection.dialect.name != "sqlite":
        query = query.with_for_update()
    return [Failures(*row) for row in connection.execute(query.order_by("key"))]


def record_failure(connection: Connection, record: Failures) -> None:
    """Write one key's record; a concurrent first failure of the same key is merged."""
    values = record._asdict()
    exists = connection.execute(
        select(signin_failures.c.key).where(signin_failures.c.key == record.key)
    ).first()
    if exists is None:
        try:
            with connection.begin_nested():
                connection.execute(insert(signin_failures).values(**values))
            return
        except IntegrityError:
            pass  # another process inserted it first: update below
    connection.execute(
        update(signin_failures).where(signin_failures.c.key == record.key).values(**values)
    )


def forget(connection: Connection, keys: Sequence[str]) -> None:
    connection.execute(delete(signin_failures).where(signin_failures.c.key.in_(list(keys))))


def forget_stale(connection: Connection, last_failed_before: datetime, now: datetime) -> int:
    """Drop records whose last failure is old and whose lock, if any, is over."""
    result = connection.execute(
        delete(signin_failures).where(
            signin_failures.c.last_failed_at < last_failed_before,
            or_(signin_failures.c.locked_until.is_(None), signin_failures.c.locked_until <= now),
        )
    )
    return int(result.rowcount)
