"""The scheduler's lease row: who holds the lock, until when, and its last heartbeat.

Every function takes a Connection; the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from syndicate.store.schema import scheduler_lock


class Lease(NamedTuple):
    name: str
    holder: str
    acquired_at: datetime
    heartbeat_at: datetime
    expires_at: datetime


def get(connection: Connection, name: str) -> Lease | None:
    row = connection.execute(select(scheduler_lock).where(scheduler_lock.c.name == name)).first()
    return Lease(*row) if row else None


def take(
    connection: Connection,
    name: str,
    holder: str,
    now: datetime,
    lease: timedelta,
    *,
    force: bool = False,
) -> bool:
    """Take or extend the lease; ``False`` if another holder's lease has not expired.

    ``force`` takes it whatever its state (the caller holds a stronger lock).
    """
    query = select(scheduler_lock).where(scheduler_lock.c.name == name)
    if connection.dialect.name != "sqlite":
        query = query.with_for_update()
    row = connection.execute(query).first()
    values = {"holder": holder, "heartbeat_at": now, "expires_at": now + lease}
    if row is None:
        try:
            with connection.begin_nested():
                connection.execute(
                    insert(scheduler_lock).values(name=name, acquired_at=now, **values)
                )
        except IntegrityError:
            return False
        return True
    if row.holder == holder:
        connection.execute(
            update(scheduler_lock).where(scheduler_lock.c.name == name).values(**values)
        )
        return True
    if force or row.expires_at <= now:
        connection.execute(
            update(scheduler_lock)
            .where(scheduler_lock.c.name == name)
            .values(acquired_at=now, **values)
        )
        return True
    return False


def give_up(connection: Connection, name: str, holder: str, now: datetime) -> None:
    connection.execute(
        update(scheduler_lock)
        .where(scheduler_lock.c.name == name, scheduler_lock.c.holder == holder)
        .values(expires_at=now)
    )
