"""The cache of related-stories embeddings, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from syndicate.store import Store, embeddings
from syndicate.store.embeddings import Cached
from syndicate.store.schema import metadata, related_embeddings

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
MODEL = "multilingual-e5-small"


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    yield store
    store.dispose()


def vector(seed: int, size: int = 8) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, size).astype(np.float32)


def test_the_migrations_match_the_tables(store: Store) -> None:
    with store.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == []
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("related_embeddings")}
    assert columns == {"doc_id", "model", "digest", "vector", "computed_at"}
    primary_key = sa.inspect(store.engine).get_pk_constraint("related_embeddings")
    assert primary_key["constrained_columns"] == ["doc_id"]
    if store.url.get_backend_name() == "postgresql":
        assert primary_key["name"] == "pk_related_embeddings"


def test_round_trip_reads_by_ids_and_all(store: Store) -> None:
    rows = {f"article:{n}": Cached(f"d{n}", vector(n)) for n in range(3)}
    rows["story:345"] = Cached("s345", vector(345, size=384))
    with store.begin() as connection:
        embeddings.write(connection, MODEL, rows, NOW)
    with store.connect() as connection:
        everything = embeddings.read(connection, MODEL)
        some = embeddings.read(connection, MODEL, ["article:1", "story:345", "article:404"])
    assert set(everything) == set(rows)
    for doc_id, cached in everything.items():
        assert cached.digest == rows[doc_id].digest
        assert cached.vector.dtype == np.float32
        assert cached.vector.ndim == 1
        np.testing.assert_allclose(cached.vector, rows[doc_id].vector, atol=1e-3)
    assert set(some) == {"article:1", "story:345"}
    assert some["story:345"].vector.shape == (384,)


def test_reads_by_ids_in_chunks(store: Store) -> None:
    rows = {f"story:{n}": Cached(str(n), vector(n, size=4)) for n in range(1203)}
    with store.begin() as connection:
        embeddings.write(connection, MODEL, rows, NOW)
    with store.connect() as connection:
        found = embeddings.read(connection, MODEL, (f"story:{n}" for n in range(0, 1300, 2)))
    assert set(found) == {f"story:{n}" for n in range(0, 1203, 2)}


def test_rows_of_another_model_are_not_returned(store: Store) -> None:
    with store.begin() as connection:
        embeddings.write(connection, "old-model", {"article:1": Cached("a", vector(1))}, NOW)
        embeddings.write(connection, MODEL, {"article:2": Cached("b", vector(2))}, NOW)
    with store.connect() as connection:
        assert set(embeddings.read(connection, MODEL)) == {"article:2"}
        assert embeddings.read(connection, MODEL, ["article:1"]) == {}
        assert set(embeddings.read(connection, "old-model")) == {"article:1"}


def test_write_replaces_an_existing_row(store: Store) -> None:
    with store.begin() as connection:
        embeddings.write(connection, "old-model", {"article:1": Cached("a", vector(1))}, NOW)
    with store.begin() as connection:
        embeddings.write(connection, MODEL, {"article:1": Cached("b", vector(2, size=16))}, NOW)
    with store.connect() as connection:
        found = embeddings.read(connection, MODEL)
        count = connection.execute(sa.select(sa.func.count()).select_from(related_embeddings))
        assert count.scalar_one() == 1
        assert embeddings.read(connection, "old-model") == {}
    assert found["article:1"].digest == "b"
    np.testing.assert_allclose(found["article:1"].vector, vector(2, size=16), atol=1e-3)


def test_a_corrupt_row_is_left_out(store: Store) -> None:
    with store.begin() as connection:
        embeddings.write(connection, MODEL, {"article:1": Cached("a", vector(1))}, NOW)
        connection.execute(
            related_embeddings.insert(),
            [
                {"doc_id": "story:7", "model": MODEL, "digest": "x", "vector": b"\x00\x3c\x00",
                 "computed_at": NOW},
                {"doc_id": "story:8", "model": MODEL, "digest": "y", "vector": b"",
                 "computed_at": NOW},
            ],
        )  # fmt: skip
    with store.connect() as connection:
        assert set(embeddings.read(connection, MODEL)) == {"article:1"}
        assert embeddings.read(connection, MODEL, ["story:7", "story:8"]) == {}


def test_prune_deletes_exactly_the_others(store: Store) -> None:
    with store.begin() as connection:
        embeddings.write(
            connection, MODEL, {f"story:{n}": Cached(str(n), vector(n)) for n in range(1200)}, NOW
        )
        embeddings.write(connection, "old-model", {"article:1": Cached("a", vector(1))}, NOW)
    keep = {f"story:{n}" for n in range(0, 1200, 3)} | {"article:404"}
    with store.begin() as connection:
        assert embeddings.prune(connection, keep) == 1200 - 400 + 1
    with store.begin() as connection:
        assert set(embeddings.read(connection, MODEL)) == keep - {"article:404"}
        assert embeddings.read(connection, "old-model") == {}
        assert embeddings.prune(connection, keep) == 0


def test_empty_inputs(store: Store) -> None:
    with store.begin() as connection:
        assert embeddings.read(connection, MODEL) == {}
        assert embeddings.read(connection, MODEL, []) == {}
        embeddings.write(connection, MODEL, {}, NOW)
        assert embeddings.prune(connection, set()) == 0
        embeddings.write(connection, MODEL, {"article:1": Cached("a", vector(1))}, NOW)
        assert embeddings.read(connection, MODEL, []) == {}
        assert embeddings.prune(connection, []) == 1
        assert embeddings.read(connection, MODEL) == {}


def test_write_refuses_a_vector_that_is_not_one_dimensional(store: Store) -> None:
    with store.begin() as connection, pytest.raises(ValueError, match="1-D"):
        embeddings.write(connection, MODEL, {"a": Cached("a", np.zeros((2, 2), np.float32))}, NOW)
