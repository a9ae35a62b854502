"""Related stories kept in the store: lists, refreshes, the API, the page, related feeds, CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient

from syndicate.related_service import RelatedService, feed_key
from syndicate.services import services
from syndicate.store import feeds as feed_store
from syndicate.store import related as related_store
from tests.aggregate_helpers import aggregation_app, insert_source
from tests.conftest import FakeClock, article_body
from tests.partners import PartnerServer, Reply

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

SCHEMA = json.loads((Path(__file__).parent / "data/jsonfeed/schema.json").read_text("utf-8"))

SAHEL = [
    ("aes-bamako", "Les chefs d’état-major de l’AES réunis à Bamako",
     "Les armées du Mali, du Burkina Faso et du Niger adoptent un plan de défense commun "
     "contre les groupes armés au Sahel.", "2026-11-06T09:30:00Z"),
    ("aes-niamey", "L’AES installe son état-major conjoint à Niamey",
     "Les armées du Mali, du Burkina Faso et du Niger réunissent leurs forces contre les "
     "groupes armés au Sahel, une force unifiée de l’AES.", "2026-11-08T09:30:00Z"),
    ("cacao-abidjan", "Le prix du cacao bat un record à Abidjan",
     "La Côte d’Ivoire voit les cours du cacao grimper, les planteurs espèrent une "
     "meilleure récolte et un prix garanti.", "2026-11-07T09:30:00Z"),
]  # fmt: skip

PARTNER_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Le Partenaire</title><link>https://partenaire.example/</link>
<description>Actualité</description>
<item><title>Sahel : les armées de l’AES lancent une opération conjointe au Niger</title>
<link>https://partenaire.example/aes-operation</link><guid>p-1</guid>
<description>Les armées du Mali, du Burkina Faso et du Niger mènent une opération contre les
groupes armés au Sahel, annonce l’état-major de l’AES.</description>
<pubDate>Mon, 09 Nov 2026 10:00:00 GMT</pubDate></item>
<item><title>Récolte de mil record au Sénégal</title>
<link>https://partenaire.example/mil</link><guid>p-2</guid>
<description>Les agriculteurs sénégalais saluent une saison des pluies généreuse.</description>
<pubDate>Mon, 09 Nov 2026 11:00:00 GMT</pubDate></item>
</channel></rss>
"""


def publish(app: Flask, slug: str, title: str, text: str, when: str, **extra: Any) -> int:
    body = article_body(
        slug=slug, title=title, summary=text, content_html=f"<p>{text}</p>",
        categories=["securite"] if "aes" in slug else ["economie"], published_at=when, **extra,
    )  # fmt: skip
    return services(app).newsroom.create(body).id


def related(app: Flask) -> RelatedService:
    return services(app).related


def slugs(app: Flask, slug: str) -> list[str]:
    with app.test_request_context():
        return [item.url.rsplit("/", 1)[-1] for item in related(app).article_related(slug)]


@pytest.fixture
def sahel(app: Flask) -> Flask:
    for slug, title, text, when in SAHEL:
        publish(app, slug, title, text, when)
    related(app).rebuild()
    return app


def test_lists_are_written_and_read_without_the_article_itself(sahel: Flask) -> None:
    assert slugs(sahel, "aes-bamako") == ["aes-niamey"]
    assert slugs(sahel, "aes-niamey") == ["aes-bamako"]
    assert "cacao-abidjan" not in slugs(sahel, "aes-bamako")


def test_drafts_and_scheduled_articles_never_appear(sahel: Flask, clock: FakeClock) -> None:
    draft_id = publish(sahel, "aes-draft", "Défense : le Niger et le Mali renforcent l’AES",
            "Brouillon : les armées de l’AES préparent leur force unifiée contre les groupes "
            "armés.", "2026-11-09T09:30:00Z", status="draft")  # fmt: skip
    publish(sahel, "aes-later", "Bilan de l’AES : les armées du Sahel face aux groupes armés",
            "Un an après Bamako, l’état-major de l’AES dresse le bilan de la force unifiée "
            "des armées du Mali, du Burkina Faso et du Niger.",
            "2026-12-09T09:30:00Z")  # fmt: skip
    related(sahel).refresh()
    assert "aes-draft" not in slugs(sahel, "aes-bamako")
    assert "aes-later" not in slugs(sahel, "aes-bamako")
    clock.advance(days=11)  # the scheduled one comes due: it shows without another write
    assert "aes-later" in slugs(sahel, "aes-bamako")
    assert "aes-draft" not in slugs(sahel, "aes-bamako")
    with services(sahel).store.connect() as connection:  # the draft has no list of its own
        assert related_store.read_list(connection, draft_id, clock(), 10) == []


def test_publishing_shows_under_an_older_article_and_deleting_removes_it(sahel: Flask) -> None:
    publish(sahel, "aes-ouaga", "L’AES et ses armées : sommet de défense à Ouagadougou",
            "À Ouagadougou, les ministres de la défense de l’AES passent en revue la force "
            "unifiée des armées du Mali, du Burkina Faso et du Niger.",
            "2026-11-10T09:30:00Z")  # fmt: skip
    assert "aes-ouaga" not in slugs(sahel, "aes-bamako")  # web processes only mark it
    assert related(sahel).refresh() >= 2
    assert "aes-ouaga" in slugs(sahel, "aes-bamako")
    services(sahel).newsroom.delete("aes-ouaga")
    assert "aes-ouaga" not in slugs(sahel, "aes-bamako")  # gone at once (cascade)
    related(sahel).refresh()
    assert "aes-ouaga" not in slugs(sahel, "aes-bamako")
    assert slugs(sahel, "aes-bamako") == ["aes-niamey"]


def test_the_api_shape(sahel: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/articles/aes-bamako/related")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert body["article"] == "aes-bamako"
    [item] = body["items"]
    assert set(item) == {"kind", "title", "url", "source", "published_at", "score"}
    assert item["kind"] == "article"
    assert item["url"] == "https://news.example/articles/aes-niamey"
    assert item["published_at"] == "2026-11-08T09:30:00Z"
    assert 0 < item["score"] <= 2
    assert client.get("/api/v1/articles/nope/related").status_code == 404
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/articles/{slug}/related" in paths


def test_the_cli_rebuilds(app: Flask) -> None:
    for slug, title, text, when in SAHEL:
        publish(app, slug, title, text, when)
    result = app.test_cli_runner().invoke(args=["related", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "related: 3 lists (2 items) from 3 articles and 0 partner stories" in result.output
    assert slugs(app, "aes-bamako") == ["aes-niamey"]


@pytest.fixture
def partner() -> Iterator[PartnerServer]:
    with PartnerServer() as server:
        yield server


@pytest.fixture
def aggregated(
    database_url: str, tmp_path: Path, clock: FakeClock, partner: PartnerServer
) -> Iterator[Flask]:
    app = aggregation_app(database_url, tmp_path, clock)
    for slug, title, text, when in SAHEL:
        publish(app, slug, title, text, when)
    related(app).rebuild()
    url = partner.serve("/rss", Reply(body=PARTNER_RSS.encode()))
    insert_source(app, url, category="securite", name="Le Partenaire", site_url=None)
    yield app
    services(app).store.dispose()


def test_an_aggregation_pass_brings_partner_stories_everywhere(aggregated: Flask) -> None:
    app, client = aggregated, aggregated.test_client()
    probe = feed_store.VersionProbe(services(app).store)
    before = probe.interpret(probe.raw(feed_key("securite"), services(app).clock())).version
    result = app.test_cli_runner().invoke(args=["fetch"])  # one pass, then the related refresh
    assert result.exit_code == 0, result.output
    after = probe.interpret(probe.raw(feed_key("securite"), services(app).clock())).version
    probe.close()
    assert after > before  # the related feed's validators come from the store
    items = related(app).article_related("aes-bamako")
    stories = [item for item in items if item.kind == "story"]
    assert [s.url for s in stories] == ["https://partenaire.example/aes-operation"]
    assert stories[0].source == "Le Partenaire"
    html = client.get("/articles/aes-bamako").get_data(as_text=True)
    assert 'href="https://partenaire.example/aes-operation" rel="noopener" target="_blank"' in html
    assert "https://partenaire.example/mil" not in html

    rss = client.get("/feeds/securite/related.rss")
    assert rss.status_code == 200
    parsed = feedparser.parse(rss.data)
    assert parsed.bozo == 0
    [entry] = parsed.entries
    assert entry.link == "https://partenaire.example/aes-operation"
    assert entry.source.title == "Le Partenaire"
    atom = feedparser.parse(client.get("/feeds/securite/related.atom").data)
    assert atom.bozo == 0
    assert atom.entries[0].source.title == "Le Partenaire"
    assert atom.feed.links[0].href == "https://news.example/feeds/securite/related.atom"
    body = client.get("/feeds/securite/related.json").get_json()
    jsonschema.validate(body, SCHEMA)
    assert body["feed_url"] == "https://news.example/feeds/securite/related.json"
    assert body["items"][0]["_source"]["name"] == "Le Partenaire"
    etag = rss.headers["ETag"]
    again = client.get("/feeds/securite/related.rss", headers={"If-None-Match": etag})
    assert again.status_code == 304
    embed = client.get("/embed/securite?related=1").get_data(as_text=True)
    assert "https://partenaire.example/aes-operation" in embed


def test_related_feed_404s_carry_cors(client: FlaskClient) -> None:
    for url in ("/feeds/nope/related.json", "/feeds/securite/related.xml",
                "/feeds/securite/related.json?page=2"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/feeds/securite/related.json").status_code == 200


def test_the_scheduler_relates_only_while_it_holds_the_lock(sahel: Flask, clock: FakeClock) -> None:
    from datetime import timedelta

    from syndicate.aggregate.scheduler import LeaseLock, Scheduler

    svc = services(sahel)
    fresh = RelatedService(
        svc.store, svc.categories, clock, base_url="https://news.example", site_name="Site",
        limit=5, feed_size=50, retention_days=90,
    )  # fmt: skip

    def scheduler(holder: str) -> Scheduler:
        lock = LeaseLock(svc.store, holder, timedelta(seconds=60), clock)
        return Scheduler(
            svc.aggregator, svc.store, tick=1, lease=60, clock=clock, lock=lock, related=fresh
        )

    leader, standby = scheduler("leader"), scheduler("standby")
    assert leader.heartbeat() and not standby.heartbeat()
    publish(
        sahel, "aes-ouaga", "Les armées de l’AES se retrouvent à Ouagadougou",
        "Les armées du Mali, du Burkina Faso et du Niger contre les groupes armés au Sahel.",
        "2026-11-10T09:30:00Z",
    )  # fmt: skip
    assert standby.relate() is None
    assert "aes-ouaga" not in slugs(sahel, "aes-bamako")
    recomputed = leader.relate()
    assert recomputed is not None and recomputed >= 2  # the new article and its neighbours
    assert "aes-ouaga" in slugs(sahel, "aes-bamako")
    assert leader.relate() == 0  # nothing left to do
