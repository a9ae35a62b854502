"""Reading articles back: the fast row conversion gives exactly what the constructors give."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from syndicate.store import Store
from syndicate.store import articles as article_store
from syndicate.types import Article, ArticleDraft, Author, Image, Status

BACKENDS = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def draft(slug: str, **changes: object) -> ArticleDraft:
    values: dict[str, object] = {
        "slug": slug,
        "title": "Les chefs d’état-major de l’AES réunis à Bamako",
        "summary": "Un plan d’action « défense et sécurité ».",
        "content_html": "<p>Les armées du Mali, du Burkina Faso et du Niger…</p>",
        "author": Author("Awa Traoré", "awa.traore@redaction.example"),
        "categories": ("securite", "politique"),
        "tags": ("aes", "mali", "état-major"),
        "language": "fr",
        "published_at": NOW - timedelta(days=1),
        "updated_at": NOW - timedelta(days=1),
        "image": Image("/media/demo/aes.jpg", "image/jpeg", 1234, "Bamako"),
        "status": Status.PUBLISHED,
    }
    values.update(changes)
    return ArticleDraft(**values)  # type: ignore[arg-type]


DRAFTS = [
    draft("complet"),
    draft("sans-image-ni-courriel", image=None, author=Author("Kwame Mensah")),
    draft("sans-auteur", author=None, tags=(), categories=("economie",)),
    draft("mis-a-jour", updated_at=NOW - timedelta(hours=3)),
    draft("image-sans-texte", image=Image("https://cdn.example/a.png", "image/png", 9)),
    draft("brouillon", status=Status.DRAFT, published_at=NOW - timedelta(hours=2)),
    draft("programme", published_at=NOW + timedelta(days=2), updated_at=NOW + timedelta(days=2)),
    draft("en-direct", published_at=NOW, updated_at=NOW),  # the three times equal
]


def expected(stored: ArticleDraft, article_id: int, modified_at: datetime) -> Article:
    fields = {f.name: getattr(stored, f.name) for f in dataclasses.fields(ArticleDraft)}
    return Article(**fields, id=article_id, modified_at=modified_at)


@BACKENDS
def test_read_articles_equal_constructed_ones(database_url: str) -> None:
    store = Store(database_url)
    with store.begin() as connection:
        for item in DRAFTS:
            article_store.create(connection, item, NOW)
    with store.connect() as connection:
        everything = article_store.newest(connection, None, None, 50)
        public = article_store.newest(connection, "securite", NOW, 50)
        one = article_store.get(connection, "complet")
    store.dispose()

    by_slug = {a.slug: a for a in everything}
    assert set(by_slug) == {d.slug for d in DRAFTS}
    for item in DRAFTS:
        read = by_slug[item.slug]
        built = expected(item, read.id, NOW)
        assert read == built
        assert hash(read) == hash(built)
        assert repr(read) == repr(built)
        assert list(vars(read).items()) == list(vars(built).items())
        assert read.published_at.tzinfo is not None and read.published_at.utcoffset() == timedelta(
            0
        )
        with pytest.raises(dataclasses.FrozenInstanceError):
            read.title = "changé"  # type: ignore[misc]
    # newest first (same time: highest id first); drafts, scheduled, other categories left out
    assert [a.slug for a in public] == [
        "en-direct",
        "image-sans-texte",
        "mis-a-jour",
        "sans-image-ni-courriel",
        "complet",
    ]
    assert one == by_slug["complet"]


def test_the_fast_path_still_matches_the_types() -> None:
    """When Article or Image gains a field, update ``_FIELDS`` and ``_from_row`` together."""
    assert all(article_store._FILLABLE.values()), article_store._FILLABLE
