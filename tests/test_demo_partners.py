"""The demo partners: three feeds shipped with the package, served by the site itself and added
as sources by ``syndicate demo load`` in development."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from flask import Flask
from jsonschema import Draft4Validator
from werkzeug.serving import make_server

from syndicate import demo
from syndicate.aggregate.entries import prepare
from syndicate.aggregate.parser import parse
from syndicate.exceptions import Conflict, InvalidInput
from syndicate.services import services
from tests.aggregate_helpers import aggregation_app, aggregator_of, stories_of
from tests.conftest import NOW, FakeClock, make_app

JSONFEED_SCHEMA = json.loads((Path(__file__).parent / "data/jsonfeed/schema.json").read_text())
EXPECTED = {  # file: (parser version, entries, rights)
    "sahel-quotidien.rss": ("rss20", 9, "© 2026 Le Sahel Quotidien"),
    "abidjan-matin.atom": ("atom10", 8, "© 2026 Abidjan Matin"),
    "lome-hebdo.json": ("json11", 8, None),
}
WIRE = "Agence Ouest-Africaine d’Information (AOI)"


def _body(partner: demo.DemoPartner) -> bytes:
    return (demo.PARTNERS_DIR / partner.file).read_bytes()


@pytest.mark.parametrize("partner", demo.PARTNERS, ids=lambda p: p.file)
def test_each_feed_parses_cleanly_with_french_stories_of_november(
    partner: demo.DemoPartner,
) -> None:
    version, count, rights = EXPECTED[partner.file]
    url = "http://127.0.0.1:8000" + partner.path
    feed = parse(_body(partner), url, content_type=partner.content_type, max_entries=100)
    assert (feed.version, len(feed.entries), feed.language) == (version, count, "fr")
    assert feed.title.startswith(partner.name)
    assert (feed.rights or "").startswith(rights or "") and bool(feed.rights) == bool(rights)
    entries = prepare(feed, url)
    assert len(entries) == count  # every item has an identity of its own
    for entry in entries:
        assert entry.title and entry.summary_html and entry.author, entry.guid
        assert entry.url and entry.url.startswith("https://www.") and ".example/" in entry.url
        assert entry.published is not None
        assert datetime(2026, 11, 1, tzinfo=UTC) <= entry.published < NOW
    assert sum(1 for e in entries if e.content_html) >= 2
    if partner.file.endswith(".json"):
        assert list(Draft4Validator(JSONFEED_SCHEMA).iter_errors(json.loads(_body(partner)))) == []
    else:
        parsed = feedparser.parse(_body(partner))
        assert parsed.bozo == 0, parsed.get("bozo_exception")


def test_one_wire_story_is_carried_by_two_partners() -> None:
    carried = []
    for partner in demo.PARTNERS:
        url = "http://127.0.0.1:8000" + partner.path
        feed = parse(_body(partner), url, content_type=partner.content_type, max_entries=100)
        carried += [(partner.name, e.title) for e in prepare(feed, url) if e.author == WIRE]
    assert [name for name, _ in carried] == ["Le Sahel Quotidien", "Abidjan Matin"]
    assert all("Accra" in title and "accord-cadre" in title for _, title in carried)


def test_the_site_serves_the_partner_feeds_with_their_types(app: Flask) -> None:
    client = app.test_client()
    for partner in demo.PARTNERS:
        with client.get(partner.path) as response:
            assert response.status_code == 200
            assert response.headers["Content-Type"] == partner.content_type
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.data == _body(partner)
            assert response.headers["ETag"]
        with client.get(partner.path, headers={"If-None-Match": response.headers["ETag"]}) as again:
            assert again.status_code == 304
    with client.get("/media/demo/aes-force-unifiee.jpg") as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert client.get("/media/demo/partners/absent.rss").status_code == 404
    assert client.get("/media/demo/partners/../articles.jsonl").status_code == 404


@pytest.fixture
def dev_app(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path, clock, env="development")
    yield app
    services(app).store.dispose()


def test_demo_load_in_development_adds_the_three_partners_once(dev_app: Flask) -> None:
    runner = dev_app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "demo partners: 3 source(s) added (Le Sahel Quotidien, Abidjan Matin" in first.output
    sources = services(dev_app).aggregator.all_sources()
    assert sorted((s.url, s.name, s.category, s.origin) for s in sources) == sorted(
        ("https://news.example" + p.path, p.name, p.category, "demo") for p in demo.PARTNERS
    )
    assert all(s.enabled and s.state.last_fetched_at is None for s in sources)
    assert all(s.state.next_fetch_at == NOW for s in sources)  # due at the first pass
    second = runner.invoke(args=["demo", "load"])
    assert "demo partners: 0 source(s) added\n" in second.output
    assert len(services(dev_app).aggregator.all_sources()) == 3


def test_demo_load_leaves_a_partner_the_operator_changed_as_it_is(dev_app: Flask) -> None:
    aggregator = services(dev_app).aggregator
    url = "https://news.example" + demo.PARTNERS[0].path
    mine = aggregator.register({"url": url, "category": "politique"}, origin="cli")
    assert demo.add_demo_partners(aggregator, "https://news.example/") == [
        "Abidjan Matin", "Lomé Hebdo"
    ]  # fmt: skip
    assert aggregator.get(mine.id).category == "politique"


def test_demo_load_in_production_adds_no_partner(app: Flask) -> None:
    output = app.test_cli_runner().invoke(args=["demo", "load"]).output
    assert "demo partners" not in output
    assert services(app).aggregator.all_sources() == []


def test_register_adds_without_fetching_and_checks_its_input(dev_app: Flask) -> None:
    aggregator = services(dev_app).aggregator
    source = aggregator.register(
        {"url": "http://127.0.0.1:9/never.xml", "category": "economie", "interval": "1h"},
        origin="cli",
    )
    assert (source.name, source.interval, source.state.last_status) == ("127.0.0.1", 3600, None)
    assert aggregator.attempts(source.id) == []
    with pytest.raises(Conflict):
        aggregator.register({"url": source.url, "category": "economie"}, origin="cli")
    with pytest.raises(InvalidInput) as bad:
        aggregator.register({"url": "ftp://x.example/f", "category": "meteo"}, origin="cli")
    assert set(bad.value.errors) == {"url", "category"}
    assert len(aggregator.all_sources()) == 1


class _Later:
    """A WSGI app set after the server is bound (the app's base URL names the server's port)."""

    app: Flask | None = None

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        assert self.app is not None
        return self.app(environ, start_response)


def test_the_first_pass_fetches_the_partners_from_the_site_itself(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    later = _Later()
    server = make_server("127.0.0.1", 0, later, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    app = later.app = aggregation_app(
        database_url, tmp_path, clock, env="development", base_url=base_url
    )
    try:
        assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
        report = aggregator_of(app).run_pass()
        assert report.count("fetched") == 3 and report.new == 9 + 8 + 8, report.summary()
        for source in aggregator_of(app).all_sources():
            stories = stories_of(app, source.id)
            assert stories and all(s.source_id == source.id for s in stories)
        services(app).related.rebuild()
        accra = services(app).related.article_related(
            "accra-experts-cedeao-aes-feuille-de-route-accord-cadre"
        )
        wire = [i for i in accra if i.kind == "story" and "accord-cadre" in i.title]
        assert len(wire) == 1, accra  # the wire story carried twice is shown once
        assert wire[0].source in {"Le Sahel Quotidien", "Abidjan Matin"}
        sahel = next(s for s in aggregator_of(app).all_sources() if s.category == "securite")
        assert {s.rights for s in stories_of(app, sahel.id)} == {
            "© 2026 Le Sahel Quotidien. Reproduction soumise à autorisation."
        }
    finally:
        server.shutdown()
        thread.join()
        aggregator_of(app).close()
        services(app).store.dispose()
