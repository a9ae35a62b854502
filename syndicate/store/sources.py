"""Queries on partner sources, their fetch log, host holds and fetch counters.

Every function takes a Connection; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from syndicate.exceptions import Conflict
from syndicate.store.schema import fetch_log, fetch_stats, host_holds, sources, stories
from syndicate.store.sql import upsert
from syndicate.types import FetchAttempt, Page, Source, SourceState

STATE_COLUMNS = (
    "last_fetched_at", "last_status", "last_outcome", "last_error", "next_fetch_at",
    "error_count", "paused_reason", "etag", "last_modified", "body_hash", "min_interval",
)  # fmt: skip


def _from_row(row: Row[Any], story_count: int = 0) -> Source:
    m = row._mapping
    state = SourceState(
        **{name: m[name] for name in STATE_COLUMNS}, item_hashes=tuple(m["item_hashes"] or ())
    )
    return Source(
        id=m["id"],
        url=m["url"],
        name=m["name"],
        category=m["category"],
        interval=m["interval"],
        enabled=bool(m["enabled"]),
        origin=m["origin"],
        created_at=m["created_at"],
        state=state,
        site_url=m["site_url"],
        story_count=story_count,
    )


def _story_counts(connection: Connection, ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    query = (
        select(stories.c.source_id, func.count())
        .where(stories.c.source_id.in_(ids))
        .group_by(stories.c.source_id)
    )
    return {row[0]: int(row[1]) for row in connection.execute(query)}


def create(
    connection: Connection,
    *,
    url: str,
    name: str,
    category: str,
    interval: int,
    origin: str,
    now: datetime,
    enabled: bool = True,
    site_url: str | None = None,
) -> Source:
    try:
        with connection.begin_nested():
            row = connection.execute(
                insert(sources)
                .values(
                    url=url,
                    name=name,
                    category=category,
                    interval=interval,
                    enabled=enabled,
                    origin=origin,
                    site_url=site_url,
                    created_at=now,
                    next_fetch_at=now,
                    error_count=0,
                    min_interval=0,
                )
                .returning(sources)
            ).one()
    except IntegrityError as exc:
        raise Conflict(f"a source with URL {url!r} already exists") from exc
    return _from_row(row)  # a new source has no stories yet


def get(connection: Connection, source_id: int) -> Source | None:
    row = connection.execute(select(sources).where(sources.c.id == source_id)).first()
    if row is None:
        return None
    return _from_row(row, _story_counts(connection, [source_id]).get(source_id, 0))


def get_by_url(connection: Connection, url: str) -> Source | None:
    row = connection.execute(select(sources).where(sources.c.url == url)).first()
    return _from_row(row) if row else None


def get_many(connection: Connection, ids: Sequence[int]) -> list[Source]:
    rows = connection.execute(
        select(sources).where(sources.c.id.in_(list(ids))).order_by(sources.c.id)
    )
    return [_from_row(row) for row in rows]


def all_sources(connection: Connection) -> list[Source]:
    rows = list(connection.execute(select(sources).order_by(sources.c.id)))
    counts = _story_counts(connection, [row.id for row in rows])
    return [_from_row(row, counts.get(row.id, 0)) for row in rows]


def page(connection: Connection, number: int, per_page: int) -> Page[Source]:
    rows = list(
        connection.execute(
            select(sources).order_by(sources.c.id).limit(per_page).offset((number - 1) * per_page)
        )
    )
    counts = _story_counts(connection, [row.id for row in rows])
    total = connection.execute(select(func.count()).select_from(sources)).scalar_one()
    return Page(
        items=[_from_row(row, counts.get(row.id, 0)) for row in rows],
        page=number,
        per_page=per_page,
        total=int(total),
    )


def due(connection: Connection, now: datetime, limit: int) -> list[Source]:
    """Enabled sources whose next fetch time has come, the most overdue first."""
    query = (
        select(sources)
        .where(
            sources.c.enabled.is_(True),
            or_(sources.c.next_fetch_at.is_(None), sources.c.next_fetch_at <= now),
        )
        .order_by(sources.c.next_fetch_at, sources.c.id)
        .limit(limit)
    )
    return [_from_row(row) for row in connection.execute(query)]


def change(connection: Connection, source_id: int, values: Mapping[str, Any]) -> None:
    """Set columns of one source (fields or state); raises ``Conflict`` on a taken URL."""
    if not values:
        return
    statement = update(sources).where(sources.c.id == source_id).values(**values)
    if "url" not in values:
        connection.execute(statement)
        return
    try:
        with connection.begin_nested():
            connection.execute(statement)
    except IntegrityError as exc:
        raise Conflict(f"a source with URL {values.get('url')!r} already exists") from exc


def change_many(connection: Connection, changes: Sequence[tuple[int, Mapping[str, Any]]]) -> None:
    """Set state columns (never ``url``) of many sources, one executemany per set of columns."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for source_id, values in changes:
        assert "url" not in values
        names = tuple(sorted(values))
        groups.setdefault(names, []).append(
            {"b_id": source_id, **{f"b_{name}": value for name, value in values.items()}}
        )
    for names, rows in groups.items():
        statement = (
            update(sources)
            .where(sources.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in names})
        )
        connection.execute(statement, rows)


def remove(connection: Connection, source_id: int) -> bool:
    # Stories and log rows go with the source (ON DELETE CASCADE, also done here for SQLite
    # connections opened without foreign keys).
    connection.execute(delete(fetch_log).where(fetch_log.c.source_id == source_id))
    connection.execute(delete(stories).where(stories.c.source_id == source_id))
    return connection.execute(delete(sources).where(sources.c.id == source_id)).rowcount > 0


# Fetch log -----------------------------------------------------------------------------------


TRIM_EVERY = 16


def log_attempt(connection: Connection, attempt: Mapping[str, Any], keep: int) -> None:
    """Append one attempt; now and then, forget the source's attempts beyond the newest
    ``keep`` (readers ask for at most ``keep``; ``trim_log`` bounds the table for good)."""
    attempt_id = connection.execute(
        insert(fetch_log).values(**attempt).returning(fetch_log.c.id)
    ).scalar_one()
    if attempt_id % TRIM_EVERY:
        return
    source_id = attempt["source_id"]
    cutoff = connection.execute(
        select(fetch_log.c.id)
        .where(fetch_log.c.source_id == source_id)
        .order_by(fetch_log.c.id.desc())
        .offset(keep)
        .limit(1)
    ).scalar()
    if cutoff is not None:
        connection.execute(
            delete(fetch_log).where(fetch_log.c.source_id == source_id, fetch_log.c.id <= cutoff)
        )


def log_attempts(connection: Connection, attempts: Sequence[Mapping[str, Any]]) -> None:
    """Append many attempts at once (``trim_log`` bounds the table)."""
    if attempts:
        connection.execute(insert(fetch_log), [dict(a) for a in attempts])


def trim_log(connection: Connection, keep: int) -> int:
    """Keep the newest ``keep`` attempts of every source; returns how many rows went."""
    ranked = select(
        fetch_log.c.id,
        func.row_number()
        .over(partition_by=fetch_log.c.source_id, order_by=fetch_log.c.id.desc())
        .label("rank"),
    ).subquery()
    old = select(ranked.c.id).where(ranked.c.rank > keep)
    return int(connection.execute(delete(fetch_log).where(fetch_log.c.id.in_(old))).rowcount)


def recent_attempts(connection: Connection, source_id: int, limit: int = 20) -> list[FetchAttempt]:
    rows = connection.execute(
        select(fetch_log)
        .where(fetch_log.c.source_id == source_id)
        .order_by(fetch_log.c.id.desc())
        .limit(limit)
    )
    return [FetchAttempt(**row._mapping) for row in rows]


# Host holds (Retry-After) -------------------------------------------------------------------


def hold_host(connection: Connection, host: str, until: datetime, reason: str) -> None:
    values = {"host": host, "until": until, "reason": reason}
    statement = upsert(connection, host_holds, values, ["host"], {"until": until, "reason": reason})
    connection.execute(statement)


def host_holds_after(connection: Connection, now: datetime) -> dict[str, datetime]:
    rows = connection.execute(
        select(host_holds.c.host, host_holds.c.until).where(host_holds.c.until > now)
    )
    return {row.host: row.until for row in rows}


def forget_host_holds(connection: Connection, now: datetime) -> None:
    connection.execute(delete(host_holds).where(host_holds.c.until <= now))


# Counters behind /metrics --------------------------------------------------------------------


def bump_stats(connection: Connection, increments: Mapping[tuple[str, str], float]) -> None:
    """Add to counters keyed by (metric, labels); sorted so concurrent writers never deadlock."""
    for (metric, labels), amount in sorted(increments.items()):
        statement = upsert(
            connection,
            fetch_stats,
            {"metric": metric, "labels": labels, "value": amount},
            ["metric", "labels"],
            {"value": fetch_stats.c.value + amount},
        )
        connection.execute(statement)


def all_stats(connection: Connection) -> list[tuple[str, str, float]]:
    rows = connection.execute(
        select(fetch_stats.c.metric, fetch_stats.c.labels, fetch_stats.c.value).order_by(
            fetch_stats.c.metric, fetch_stats.c.labels
        )
    )
    return [(metric, labels, float(value)) for metric, labels, value in rows]


def state_counts(connection: Connection) -> dict[str, int]:
    """How many sources are active and how many paused (by an operator or the aggregator)."""
    rows = connection.execute(select(sources.c.enabled, func.count()).group_by(sources.c.enabled))
    counts = {"active": 0, "paused": 0}
    for enabled, count in rows:
        counts["active" if enabled else "paused"] += int(count)
    return counts


def count_failing(connection: Connection) -> int:
    """Active sources whose last fetches failed (consecutive errors above zero)."""
    query = (
        select(func.count())
        .select_from(sources)
        .where(sources.c.enabled.is_(True), sources.c.error_count > 0)
    )
    return int(connection.execute(query).scalar_one())
