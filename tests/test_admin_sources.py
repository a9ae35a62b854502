"""The console's sources screens with the Flask client and a fake partner server on loopback:
dashboard, table, add with preview, edit, pause/resume, fetch now, remove, OPML, a source's page."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from syndicate.admin import table
from syndicate.admin.format import ago, every, fetch_message, reason, span
from syndicate.aggregate.scheduler import LOCK_NAME
from syndicate.services import services
from syndicate.store import leases
from tests.admin_helpers import console_app, post, sign_in, text
from tests.aggregate_helpers import insert_source, stories_of
from tests.conftest import NOW, FakeClock, article_body
from tests.partners import PartnerServer, Reply, data

XSS_TITLE = '<script>alert("titre")</script> <img src=x onerror=alert(2)>Niamey'
XSS_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Titres pi\xc3\xa9g\xc3\xa9s</title>
<link>https://piege.example/</link><description>d</description>
<item><title>&amp;lt;script&amp;gt;alert("titre")&amp;lt;/script&amp;gt;
&amp;lt;img src=x onerror=alert(2)&amp;gt;Niamey</title><link>https://piege.example/1</link>
<guid>piege-1</guid><description>&lt;p&gt;Texte&lt;/p&gt;&lt;script&gt;alert(3)&lt;/script&gt;</description>
</item></channel></rss>"""


@pytest.fixture
def partner() -> Iterator[PartnerServer]:
    with PartnerServer() as server:
        server.serve("/rss20.xml", Reply(body=data("rss20.xml")))
        server.serve("/", Reply(body=data("page-with-feed.html"), content_type="text/html"))
        server.serve("/feeds/rss20.xml", Reply(body=data("rss20.xml")))
        server.serve("/xss.xml", Reply(body=data("xss.xml")))
        server.serve("/xss-title.xml", Reply(body=XSS_FEED))
        server.serve("/plain", Reply(body=data("page-without-feed.html"), content_type="text/html"))
        yield server


@pytest.fixture
def app(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Flask]:
    app = console_app(database_url, tmp_path, clock)
    yield app
    services(app).aggregator.close()
    services(app).store.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client).status_code == 302
    return client


def rows(html: str) -> list[str]:
    """The text of each body row of the page's first table, tags dropped."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in body.split("</tr>")[:-1]]


def names(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/admin/sources/\d+">([^<]+)</a>', html)


# Adding a source -------------------------------------------------------------------------------


def test_add_shows_a_preview_then_saves_the_source(
    app: Flask, client: FlaskClient, partner: PartnerServer
) -> None:
    form = text(client.get("/admin/sources/new"))
    assert '<label for="f-url">' in form and 'id="f-url"' in form
    preview = post(
        client,
        "/admin/sources/preview",
        {"url": partner.url("/rss20.xml"), "category": "economie", "interval": "1h"},
    )
    assert preview.status_code == 200
    html = text(preview)
    assert "Aperçu : Le Journal de Dakar" in html
    assert "Le port de Dakar bat son record de trafic" in html
    assert services(app).aggregator.all_sources() == []  # nothing saved yet

    added = post(
        client,
        "/admin/sources",
        {"url": partner.url("/rss20.xml"), "category": "economie", "interval": "1h", "name": ""},
    )
    assert added.status_code == 302
    (source,) = services(app).aggregator.all_sources()
    assert added.location == f"/admin/sources/{source.id}"
    assert (source.name, source.interval, source.origin, source.story_count) == (
        "Le Journal de Dakar", 3600, "admin", 3,
    )  # fmt: skip
    page = text(client.get(added.location))
    assert "Source « Le Journal de Dakar » ajoutée : 3 histoire(s)." in page
    assert "Saint-Louis : l’érosion côtière" in page


def test_add_finds_the_feed_of_a_home_page(
    app: Flask, client: FlaskClient, partner: PartnerServer
) -> None:
    preview = post(
        client, "/admin/sources/preview", {"url": partner.url("/"), "category": "societe"}
    )
    html = text(preview)
    assert "(autodécouverte)" in html
    assert f'name="url" value="{partner.url("/feeds/rss20.xml")}"' in html
    post(client, "/admin/sources", {"url": partner.url("/feeds/rss20.xml"), "category": "societe"})
    assert [s.url for s in services(app).aggregator.all_sources()] == [
        partner.url("/feeds/rss20.xml")
    ]


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"url": "", "category": "economie"}, "url", "obligatoire"),
        ({"url": "ftp://x.example/f", "category": "economie"}, "url", "only http and https"),
        ({"url": "{partner}/rss20.xml", "category": "sport-auto"}, "category", "rubrique inconnue"),
        ({"url": "{partner}/rss20.xml", "category": "economie", "interval": "1m"}, "interval",
         "au moins 300 secondes"),
        ({"url": "{partner}/missing.xml", "category": "economie"}, "url", "a répondu HTTP 404"),
        ({"url": "{partner}/plain", "category": "economie"}, "url", "page web sans flux"),
    ],
)  # fmt: skip
def test_add_explains_what_is_wrong_in_french(
    app: Flask,
    client: FlaskClient,
    partner: PartnerServer,
    form: dict[str, str],
    field: str,
    message: str,
) -> None:
    form = {k: v.replace("{partner}", partner.url("")) for k, v in form.items()}
    response = post(client, "/admin/sources/preview", form)
    assert response.status_code == 422
    html = text(response)
    assert 'role="alert"' in html and message in html
    assert f'id="f-{field}"' in html and 'aria-invalid="true"' in html
    assert services(app).aggregator.all_sources() == []


def test_adding_a_url_twice_is_refused(client: FlaskClient, partner: PartnerServer) -> None:
    form = {"url": partner.url("/rss20.xml"), "category": "economie"}
    post(client, "/admin/sources", form)
    response = post(client, "/admin/sources/preview", form)
    assert response.status_code == 422
    assert "une source a déjà cette adresse" in text(response)


# The table -------------------------------------------------------------------------------------


def test_sources_table_sorts_and_filters_without_javascript(
    app: Flask, client: FlaskClient, clock: FakeClock
) -> None:
    insert_source(app, "https://b.example/feed", name="Bamako Hebdo", category="politique")
    insert_source(app, "https://a.example/feed", name="Abidjan Matin", error_count=3,
                  last_error="boom")  # fmt: skip
    insert_source(app, "https://c.example/feed", name="Cotonou Soir", enabled=False,
                  paused_reason="paused by an operator")  # fmt: skip
    html = text(client.get("/admin/sources"))
    assert names(html) == ["Abidjan Matin", "Bamako Hebdo", "Cotonou Soir"]
    assert 'aria-sort="ascending"' in html and "3 sources affichées sur 3." in html
    assert names(text(client.get("/admin/sources?sort=name&dir=desc"))) == [
        "Cotonou Soir", "Bamako Hebdo", "Abidjan Matin",
    ]  # fmt: skip
    assert names(text(client.get("/admin/sources?sort=errors&dir=desc")))[0] == "Abidjan Matin"
    assert names(text(client.get("/admin/sources?state=failing"))) == ["Abidjan Matin"]
    assert names(text(client.get("/admin/sources?state=paused"))) == ["Cotonou Soir"]
    assert names(text(client.get("/admin/sources?category=politique"))) == ["Bamako Hebdo"]
    assert names(text(client.get("/admin/sources?q=COTONOU"))) == ["Cotonou Soir"]
    assert names(text(client.get("/admin/sources?q=b.example"))) == ["Bamako Hebdo"]
    assert names(text(client.get("/admin/sources?state=bogus&sort=bogus"))) == [
        "Abidjan Matin", "Bamako Hebdo", "Cotonou Soir",
    ]  # fmt: skip
    paused_row = next(r for r in rows(html) if "Cotonou" in r)
    assert "en pause" in paused_row and "paused by an operator" in paused_row


def test_table_sort_keeps_empty_values_last() -> None:
    query = table.parse({"sort": "last_fetch", "dir": "desc", "q": "  a  b "}, ["economie"])
    assert (query.sort, query.descending, query.text) == ("last_fetch", True, "a b")
    assert query.toggled("last_fetch") == {"q": "a b", "sort": "last_fetch"}
    assert query.toggled("name") == {"q": "a b"}


# Actions on one source -------------------------------------------------------------------------


def test_fetch_now_shows_the_outcome_and_the_fetch_log(
    app: Flask, client: FlaskClient, partner: PartnerServer
) -> None:
    source = insert_source(app, partner.url("/rss20.xml"), name="Dakar")
    response = post(client, f"/admin/sources/{source.id}/fetch")
    assert response.status_code == 302 and response.location == f"/admin/sources/{source.id}"
    page = text(client.get(response.location))
    assert "Récupérée (HTTP 200) : 3 nouvelle(s), 0 mise(s) à jour." in page
    log = rows(page.split('id="log-title"', 1)[1])
    assert len(log) == 1 and "200" in log[0] and "récupérée" in log[0]
    assert len(stories_of(app, source.id)) == 3

    partner.serve("/rss20.xml", Reply(status=500, body=b"oops", content_type="text/plain"))
    back = post(client, f"/admin/sources/{source.id}/fetch", {"next": "/admin/sources"})
    assert back.location == "/admin/sources"
    html = text(client.get("/admin/sources"))
    assert "Échec (HTTP 500)" in html and "answered HTTP 500" in html
    page = text(client.get(f"/admin/sources/{source.id}"))
    assert len(rows(page.split('id="log-title"', 1)[1])) == 2
    assert "1 échec(s) de suite" in page


def test_pause_and_resume(app: Flask, client: FlaskClient) -> None:
    source = insert_source(app, "https://a.example/feed", name="Abidjan Matin")
    post(client, f"/admin/sources/{source.id}/pause", {"next": "/admin/sources?state=paused"})
    assert not services(app).aggregator.get(source.id).enabled
    html = text(client.get("/admin/sources?state=paused"))
    assert names(html) == ["Abidjan Matin"] and "mise en pause" in html
    post(client, f"/admin/sources/{source.id}/resume")
    assert services(app).aggregator.get(source.id).enabled


def test_edit_changes_fields_and_explains_errors(app: Flask, client: FlaskClient) -> None:
    source = insert_source(app, "https://a.example/feed", name="Abidjan Matin")
    form = text(client.get(f"/admin/sources/{source.id}/edit"))
    assert 'value="https://a.example/feed"' in form and 'value="30m"' in form
    fields = {"url": "https://a.example/rss", "name": "Abidjan Soir", "category": "societe",
              "interval": "2h"}  # fmt: skip
    response = post(client, f"/admin/sources/{source.id}/edit", fields)
    assert response.status_code == 302
    changed = services(app).aggregator.get(source.id)
    assert (changed.url, changed.name, changed.category, changed.interval) == (
        "https://a.example/rss", "Abidjan Soir", "societe", 7200,
    )  # fmt: skip
    bad = post(client, f"/admin/sources/{source.id}/edit", {**fields, "interval": "bientôt"})
    assert bad.status_code == 422 and "une durée comme 90s, 30m, 2h ou 1d" in text(bad)
    other = insert_source(app, "https://b.example/feed")
    taken = post(client, f"/admin/sources/{other.id}/edit", fields)
    assert taken.status_code == 422 and "une source a déjà cette adresse" in text(taken)


def test_remove_asks_first(app: Flask, client: FlaskClient, partner: PartnerServer) -> None:
    source = insert_source(app, partner.url("/rss20.xml"), name="Dakar")
    services(app).aggregator.fetch_now(source.id)
    confirm = text(client.get(f"/admin/sources/{source.id}/remove"))
    assert "Supprimer « Dakar » ?" in confirm and "ses 3 histoire(s)" in confirm
    assert services(app).aggregator.all_sources() != []
    response = post(client, f"/admin/sources/{source.id}/remove")
    assert response.status_code == 302 and response.location == "/admin/sources"
    assert services(app).aggregator.all_sources() == []
    assert "supprimée, avec ses 3 histoire(s)" in text(client.get("/admin/sources"))
    assert client.get(f"/admin/sources/{source.id}").status_code == 404


def test_unknown_source_is_a_console_404(client: FlaskClient) -> None:
    response = client.get("/admin/sources/999")
    assert response.status_code == 404 and "Introuvable" in text(response)
    assert post(client, "/admin/sources/999/pause").status_code == 404


# A source's page shows partner HTML safely ------------------------------------------------------


def test_hostile_story_shows_as_text(
    app: Flask, client: FlaskClient, partner: PartnerServer
) -> None:
    source = insert_source(app, partner.url("/xss.xml"), name="Hostile")
    services(app).aggregator.fetch_now(source.id)
    other = insert_source(app, partner.url("/xss-title.xml"), name="Titres piégés")
    services(app).aggregator.fetch_now(other.id)
    (stored,) = stories_of(app, other.id)
    assert stored.title == XSS_TITLE  # plain text, as the partner meant it
    for source_id in (source.id, other.id):
        html = text(client.get(f"/admin/sources/{source_id}"))
        stories = html.split('id="stories-title"', 1)[1]
        assert "<script" not in stories and "<img src=x" not in stories
        assert "javascript:" not in stories.lower() and "onclick=" not in stories
        assert "<iframe" not in stories and "<style" not in stories
    assert "&lt;script&gt;alert(&#34;titre&#34;)&lt;/script&gt;" in stories
    assert "&lt;img src=x onerror=alert(2)&gt;Niamey" in stories


# OPML ------------------------------------------------------------------------------------------


def test_opml_export_and_import(app: Flask, client: FlaskClient) -> None:
    insert_source(app, "https://a.example/feed", name="Abidjan & Co", category="politique")
    exported = client.get("/admin/sources/export.opml")
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"] == (
        'attachment; filename="sources-2026-11-29.opml"'
    )
    body = exported.get_data(as_text=True)
    assert 'xmlUrl="https://a.example/feed"' in body and "Abidjan &amp; Co" in body

    opml = body.replace("https://a.example/feed", "https://b.example/feed")
    response = post(
        client,
        "/admin/sources/import",
        {"file": (io.BytesIO(opml.encode()), "partenaires.opml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert "Import de partenaires.opml : 1 ajoutée(s)" in text(client.get("/admin/sources"))
    urls = sorted(s.url for s in services(app).aggregator.all_sources())
    assert urls == ["https://a.example/feed", "https://b.example/feed"]

    broken = post(
        client,
        "/admin/sources/import",
        {"file": (io.BytesIO(b"<opml><body><outline"), "cassé.opml")},
        content_type="multipart/form-data",
    )
    assert broken.status_code == 422 and "cassé.opml:1" in text(broken)
    assert post(client, "/admin/sources/import").status_code == 422


# Dashboard -------------------------------------------------------------------------------------


def test_dashboard_counts_and_puts_troubled_sources_first(
    app: Flask, client: FlaskClient, partner: PartnerServer, clock: FakeClock
) -> None:
    ok = insert_source(app, partner.url("/rss20.xml"), name="Dakar")
    services(app).aggregator.fetch_now(ok.id)
    insert_source(app, "https://a.example/feed", name="Abidjan Matin", error_count=2,
                  last_error="https://a.example/feed answered HTTP 502")  # fmt: skip
    insert_source(app, "https://c.example/feed", name="Cotonou Soir", enabled=False,
                  paused_reason="paused after 10 consecutive failures; last: timeout")  # fmt: skip
    services(app).newsroom.create(article_body())
    services(app).newsroom.create(
        article_body(slug="plus-tard", published_at="2027-01-01T00:00:00Z")
    )
    html = text(client.get("/admin/"))
    counts = {
        label.strip(): int(number)
        for number, label in re.findall(r'<span class="count">(\d+)</span>([^<]+)<', html)
    }
    assert counts == {
        "sources": 3, "actives": 2, "en pause": 1, "en échec": 1,
        "histoires en 24&nbsp;h": 3, "articles publiés": 1,
    }  # fmt: skip
    assert "1 programmé(s), 0 brouillon(s)" in html
    troubled = rows(html)
    assert [r.split(" ")[0] for r in troubled] == ["Abidjan", "Cotonou"]
    assert "answered HTTP 502" in troubled[0]
    assert "paused after 10 consecutive failures; last: timeout" in troubled[1]
    assert "Aucun planificateur n’a encore démarré" in html

    with services(app).store.begin() as connection:
        leases.take(connection, LOCK_NAME, "worker-1", clock(), timedelta(seconds=90))
    clock.advance(seconds=20)
    assert "Dernier signe de vie" in text(client.get("/admin/"))
    clock.advance(minutes=5)
    assert "Aucun signe de vie depuis" in text(client.get("/admin/"))


# French wording ----------------------------------------------------------------------------------


def test_french_wording() -> None:
    assert [span(s) for s in (0, 59, 60, 900, 3600, 5400, 86400 * 3)] == [
        "0 s", "59 s", "1 min", "15 min", "1 h", "1 h 30", "3 j",
    ]  # fmt: skip
    assert ago(NOW, NOW) == "à l’instant"
    assert ago(None, NOW) == "–"
    assert every(1800) == "30m" and every(7200) == "2h" and every(90) == "90s"
    assert reason("must be at least 300 seconds") == "au moins 300 secondes"
    assert reason("something new") == "something new"
    assert fetch_message("failed", None, 0, 0, "timeout", "paused after 10")[0] == "error"
    assert "mise en pause" in fetch_message("failed", None, 0, 0, "timeout", "paused")[1]
