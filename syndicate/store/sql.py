"""Small SQL helpers shared by the store's modules (each module owns its own queries)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

CHUNK = 500
"""Values per ``IN (...)`` list or insert batch: far below the databases' parameter limits."""

K = TypeVar("K", int, str)


def chunks(values: Iterable[K]) -> list[list[K]]:
    """``values`` without repeats, sorted, in lists of at most ``CHUNK``."""
    items = sorted(set(values))
    return [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]


def upsert(
    connection: Connection,
    table: Any,
    values: Mapping[str, Any],
    keys: list[str],
    on_conflict: Mapping[str, Any],
) -> Any:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE SET on_conflict``, on SQLite and PostgreSQL."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values)
    return statement.on_conflict_do_update(index_elements=keys, set_=dict(on_conflict))
