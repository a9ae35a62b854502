"""The store: SQLAlchemy Core tables and queries, one module per entity; Alembic migrations."""

from syndicate.store.db import Store

__all__ = ["Store"]
