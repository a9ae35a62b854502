"""Engine, connections and migrations of the store (SQLite by default, PostgreSQL to scale)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry

from syndicate.exceptions import ConfigError, SyndicateError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000


class StoreUnavailable(SyndicateError):
    """The database cannot be reached or answered with an error."""


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Store:
    """Owns the engine. Queries live in the entity modules and take a ``Connection``."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except SQLAlchemyError as exc:
            raise ConfigError(f"invalid database URL: {exc}") from exc
        self.url = parsed
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        # A file path gets its folder made; ":memory:" and ``file:`` URIs are not paths.
        database = parsed.database or ""
        if self.is_sqlite and database not in {"", ":memory:"} and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        options: dict[str, Any] = {}
        if not self.is_sqlite:
            options = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10}
        self.engine: Engine = create_engine(parsed, **options)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reads (autocommit-free; nothing is written)."""
        with self.engine.connect() as connection:
            yield connection

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: committed at the end of the block, rolled back on any error."""
        if self.is_sqlite:
            # Take the write lock up front so concurrent writers queue on busy_timeout
            # instead of failing when a read lock cannot be upgraded.
            with self.engine.connect() as connection:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                try:
                    yield connection
                except BaseException:
                    connection.rollback()
                    raise
                connection.commit()
            return
        with self.engine.begin() as connection:
            yield connection

    def alembic_config(self) -> AlembicConfig:
        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["engine"] = self.engine
        return config

    def upgrade(self, revision: str = "head") -> None:
        command.upgrade(self.alembic_config(), revision)

    def downgrade(self, revision: str) -> None:
        command.downgrade(self.alembic_config(), revision)

    def current_revision(self) -> str | None:
        with self.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(self.alembic_config()).get_current_head()

    def check(self) -> dict[str, Any]:
        """Health of the store: reachable, and its schema at the latest migration."""
        try:
            with self.connect() as connection:
                connection.execute(text("SELECT 1"))
            current = self.current_revision()
        except SQLAlchemyError as exc:
            raise StoreUnavailable(str(exc.__cause__ or exc).splitlines()[0]) from exc
        head = self.head_revision()
        return {"backend": self.url.get_backend_name(), "revision": current, "head": head}

    def dispose(self) -> None:
        self.engine.dispose()
