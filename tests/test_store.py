"""The store on SQLite and PostgreSQL: migrations both ways, transactions, visibility."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from syndicate.store import Store
from syndicate.store import articles as article_store
from syndicate.store.schema import metadata

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def test_migrations_create_every_table_and_go_back_down(database_url: str) -> None:
    store = Store(database_url)
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables
    store.downgrade("base")
    assert not {t.name for t in metadata.sorted_tables} & set(
        sa.inspect(store.engine).get_table_names()
    )
    store.upgrade()
    assert store.current_revision() == store.head_revision()
    store.dispose()


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(
    backend: str, database_url: str
) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite only")
    store = Store(database_url)
    with store.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 5000
    store.dispose()


def test_a_failed_write_leaves_nothing(database_url: str) -> None:
    from datetime import UTC, datetime

    from syndicate.newsroom.validate import parse_article
    from syndicate.types import Category

    store = Store(database_url)
    categories = {"securite": Category("securite", "Sécurité", "d")}
    now = datetime(2026, 11, 29, tzinfo=UTC)
    draft = parse_article(
        {"slug": "a", "title": "A", "categories": ["securite"]},
        categories=categories,
        base_url="https://x.example",
        now=now,
    )
    with pytest.raises(RuntimeError), store.begin() as connection:
        article_store.create(connection, draft, now)
        raise RuntimeError("boom")
    with store.connect() as connection:
        assert article_store.count(connection, None, None) == 0
    store.dispose()


def test_newest_uses_the_category_index(backend: str, database_url: str) -> None:
    if backend != "sqlite":
        pytest.skip("plan checked on SQLite; PostgreSQL plans depend on table statistics")
    store = Store(database_url)
    query = article_store._newest_query("securite", None).order_by(
        sa.text("article_categories.published_at DESC")
    )
    compiled = str(query.compile(store.engine, compile_kwargs={"literal_binds": True}))
    with store.connect() as connection:
        plan = " ".join(
            str(row) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + compiled)
        )
    assert "ix_article_categories_category_status_published_at_article_id" in plan
    store.dispose()


def test_store_url_makes_the_sqlite_folder(tmp_path: Path, backend: str) -> None:
    store = Store(f"sqlite:///{tmp_path / 'deep' / 'x.sqlite3'}")
    store.upgrade()
    assert (tmp_path / "deep" / "x.sqlite3").exists()
    store.dispose()
