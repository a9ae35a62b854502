"""Operators' side: the sources API, the CLI, OPML in and out; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.exc import SQLAlchemyError

from syndicate.services import services
from syndicate.store import tokens
from tests.aggregate_helpers import aggregation_app, aggregator_of, insert_source, stories_of
from tests.conftest import FakeClock
from tests.partners import PartnerServer, Reply, data

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def partner() -> Iterator[PartnerServer]:
    with PartnerServer() as server:
        server.serve("/rss20.xml", Reply(body=data("rss20.xml")))
        server.serve(
            "/atom.xml", Reply(body=data("atom10.xml"), content_type="application/atom+xml")
        )
        server.serve("/", Reply(body=data("page-with-feed.html"), content_type="text/html"))
        server.serve("/feeds/rss20.xml", Reply(body=data("rss20.xml")))
        yield server


@pytest.fixture
def app(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Flask]:
    sources_file = tmp_path / "sources.opml"
    app = aggregation_app(database_url, tmp_path, clock, sources_file=str(sources_file))
    yield app
    aggregator_of(app).close()
    services(app).store.dispose()


@pytest.fixture
def auth(app: Flask, clock: FakeClock) -> dict[str, str]:
    with services(app).store.begin() as connection:
        _, secret = tokens.create(connection, "ops", clock())
    return {"Authorization": f"Bearer {secret}"}


# API -------------------------------------------------------------------------------------------


def test_api_adds_lists_reads_and_fetches_a_source(
    client: FlaskClient, auth: dict[str, str], partner: PartnerServer, clock: FakeClock
) -> None:
    created = client.post(
        "/api/v1/sources",
        json={"url": partner.url("/rss20.xml"), "category": "economie", "interval": "1h"},
        headers=auth,
    )
    assert created.status_code == 201, created.json
    body = created.json
    assert body["name"] == "Le Journal de Dakar" and body["interval"] == 3600
    assert body["story_count"] == 3 and body["first_fetch"]["new"] == 3
    assert set(body["state"]) >= {
        "last_fetched_at", "last_status", "next_fetch_at", "error_count", "paused_reason",
    }  # fmt: skip
    assert created.headers["Location"].endswith(f"/api/v1/sources/{body['id']}")

    listing = client.get("/api/v1/sources")
    assert listing.status_code == 200 and listing.json["total"] == 1
    assert 'rel="first"' in listing.headers["Link"]

    one = client.get(f"/api/v1/sources/{body['id']}").json
    assert one["state"]["last_status"] == 200
    assert one["recent_fetches"][0]["outcome"] == "fetched"
    assert one["recent_fetches"][0]["new"] == 3

    stories = client.get(f"/api/v1/sources/{body['id']}/stories?per_page=2")
    assert stories.status_code == 200 and stories.json["total"] == 3
    first = stories.json["items"][0]
    assert set(first) >= {
        "id", "source_id", "guid", "url", "title", "summary_html", "author",
        "published_at", "updated_at", "image", "rights",
    }  # fmt: skip
    assert first["title"] == "Saint-Louis : l’érosion côtière menace la Langue de Barbarie"
    assert stories.headers["Access-Control-Allow-Origin"] == "*"

    clock.advance(hours=2)
    fetched = client.post(f"/api/v1/sources/{body['id']}/fetch", headers=auth)
    assert fetched.status_code == 200
    assert fetched.json["fetch"]["outcome"] == "unchanged"


def test_api_writes_need_a_token(client: FlaskClient, app: Flask, partner: PartnerServer) -> None:
    source = insert_source(app, partner.url("/rss20.xml"))
    assert (
        client.post("/api/v1/sources", json={"url": "x", "category": "economie"}).status_code == 401
    )
    assert client.patch(f"/api/v1/sources/{source.id}", json={"name": "x"}).status_code == 401
    assert client.delete(f"/api/v1/sources/{source.id}").status_code == 401
    assert client.post(f"/api/v1/sources/{source.id}/fetch").status_code == 401
    assert partner.requests == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"category": "economie"}, "url"),
        ({"url": "ftp://partner.example/feed", "category": "economie"}, "url"),
        ({"url": "https://partner.example/feed", "category": "sport-auto"}, "category"),
        (
            {"url": "https://partner.example/feed", "category": "economie", "interval": "10s"},
            "interval",
        ),
        (
            {"url": "https://partner.example/feed", "category": "economie", "interval": "bientôt"},
            "interval",
        ),
        (
            {"url": "https://partner.example/feed", "category": "economie", "enabled": "oui"},
            "enabled",
        ),
        (
            {"url": "https://partner.example/feed", "category": "economie", "colour": "red"},
            "colour",
        ),
    ],
)
def test_api_names_each_invalid_field(
    client: FlaskClient, auth: dict[str, str], payload: dict[str, object], field: str
) -> None:
    response = client.post("/api/v1/sources", json=payload, headers=auth)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in {error["field"] for error in response.json["errors"]}


def test_api_refuses_a_page_without_feed_and_a_duplicate(
    client: FlaskClient, auth: dict[str, str], partner: PartnerServer
) -> None:
    partner.serve("/plain", Reply(body=data("page-without-feed.html"), content_type="text/html"))
    refused = client.post(
        "/api/v1/sources", json={"url": partner.url("/plain"), "category": "societe"}, headers=auth
    )
    assert refused.status_code == 422 and "links no feed" in refused.json["detail"]
    body = {"url": partner.url("/"), "category": "societe"}
    found = client.post("/api/v1/sources", json=body, headers=auth)
    assert found.status_code == 201
    assert found.json["discovered_from"] == partner.url("/")
    assert found.json["url"] == partner.url("/feeds/rss20.xml")
    again = client.post(
        "/api/v1/sources",
        json={"url": partner.url("/feeds/rss20.xml"), "category": "societe"},
        headers=auth,
    )
    assert again.status_code == 409
    assert client.get("/api/v1/sources").json["total"] == 1


def test_api_patch_pauses_resumes_and_edits(
    client: FlaskClient, app: Flask, auth: dict[str, str], partner: PartnerServer
) -> None:
    source = insert_source(app, partner.url("/rss20.xml"))
    paused = client.patch(f"/api/v1/sources/{source.id}", json={"enabled": False}, headers=auth)
    assert paused.status_code == 200
    assert paused.json["enabled"] is False
    assert paused.json["state"]["paused_reason"] == "paused by an operator"
    edited = client.patch(
        f"/api/v1/sources/{source.id}",
        json={"enabled": True, "name": "Journal", "category": "societe", "interval": 7200},
        headers=auth,
    ).json
    assert edited["enabled"] is True and edited["state"]["paused_reason"] is None
    assert (edited["name"], edited["category"], edited["interval"]) == ("Journal", "societe", 7200)
    bad = client.patch(f"/api/v1/sources/{source.id}", json={"interval": 5}, headers=auth)
    assert bad.status_code == 422


def test_api_delete_removes_the_source_and_its_stories(
    client: FlaskClient, app: Flask, auth: dict[str, str], partner: PartnerServer
) -> None:
    source_id = (
        aggregator_of(app)
        .add({"url": partner.url("/rss20.xml"), "category": "economie"}, origin="cli")
        .source.id
    )
    assert client.delete(f"/api/v1/sources/{source_id}", headers=auth).status_code == 204
    assert client.get(f"/api/v1/sources/{source_id}").status_code == 404
    assert client.get(f"/api/v1/sources/{source_id}/stories").status_code == 404
    assert stories_of(app, source_id) == []
    assert client.delete(f"/api/v1/sources/{source_id}", headers=auth).status_code == 404


def test_a_store_error_while_adding_adds_neither_the_source_nor_stories(
    app: Flask, partner: PartnerServer, backend: str
) -> None:
    """The source and its first stories are one transaction: a database that refuses the
    stories (a real trigger, as a full disk would) leaves no source without stories."""
    store = services(app).store
    with store.begin() as connection:
        if backend == "sqlite":
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON stories "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON stories "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
    try:
        with pytest.raises(SQLAlchemyError, match="disk full"):
            aggregator_of(app).add(
                {"url": partner.url("/rss20.xml"), "category": "economie"}, origin="cli"
            )
        assert aggregator_of(app).all_sources() == []
    finally:
        with store.begin() as connection:
            connection.exec_driver_sql(
                "DROP TRIGGER refuse" + ("" if backend == "sqlite" else " ON stories")
            )
            if backend != "sqlite":
                connection.exec_driver_sql("DROP FUNCTION refuse()")
    added = aggregator_of(app).add(
        {"url": partner.url("/rss20.xml"), "category": "economie"}, origin="cli"
    )
    assert stories_of(app, added.source.id)  # the same URL is free and adds normally


def test_openapi_describes_the_sources_api(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    for path in ("/sources", "/sources/{id}", "/sources/{id}/fetch", "/sources/{id}/stories"):
        assert path in document["paths"]
    assert document["paths"]["/sources"]["post"]["security"] == [{"bearer": []}]
    assert "Source" in document["components"]["schemas"]


# CLI -------------------------------------------------------------------------------------------


def test_cli_add_list_pause_resume_remove(runner: FlaskCliRunner, partner: PartnerServer) -> None:
    added = runner.invoke(
        args=["sources", "add", partner.url("/"), "--category", "societe", "--every", "2h"]
    )
    assert added.exit_code == 0, added.output
    assert 'through <link rel="alternate">' in added.output
    assert (
        "added source 1: Le Journal de Dakar" in added.output
        and "every 2h; 3 stories" in added.output
    )
    listed = runner.invoke(args=["sources", "list"])
    assert (
        "active" in listed.output and "societe" in listed.output and "200 fetched" in listed.output
    )
    assert runner.invoke(args=["sources", "pause", "1"]).output == "source 1 paused\n"
    assert "paused: paused by an operator" in runner.invoke(args=["sources", "list"]).output
    assert "source 1 resumed" in runner.invoke(args=["sources", "resume", "1"]).output
    assert runner.invoke(args=["sources", "remove", "1"]).output == "source 1 removed\n"
    missing = runner.invoke(args=["sources", "remove", "1"])
    assert missing.exit_code == 2 and "no source with id 1" in missing.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--category", "nulle-part"], "unknown category"),
        (["--category", "economie", "--every", "1s"], "interval: must be at least 300 seconds"),
    ],
)
def test_cli_add_refuses_bad_input_with_one_line(
    runner: FlaskCliRunner, partner: PartnerServer, args: list[str], message: str
) -> None:
    result = runner.invoke(args=["sources", "add", partner.url("/rss20.xml"), *args])
    assert result.exit_code == 2 and message in result.output
    assert partner.requests == []


def test_cli_add_of_an_unreachable_url_says_so(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["sources", "add", "http://127.0.0.1:9/feed", "--category", "economie"]
    )
    assert result.exit_code == 2
    assert "not reachable" in result.output
    assert "0 source(s)" in runner.invoke(args=["sources", "list"]).output


def test_cli_fetch_runs_a_pass_and_prints_a_summary(
    runner: FlaskCliRunner, app: Flask, partner: PartnerServer, clock: FakeClock
) -> None:
    insert_source(app, partner.url("/rss20.xml"))
    insert_source(app, partner.url("/atom.xml"))
    gone = insert_source(app, partner.serve("/gone.xml", Reply(410)))
    result = runner.invoke(args=["fetch"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        "3 source(s): 2 fetched, 0 not modified, 5 new, 0 updated, 0 failed, 1 gone"
    )
    clock.advance(hours=3)
    again = runner.invoke(args=["fetch", "1", "2"])
    assert again.output.splitlines()[-1] == (
        "2 source(s): 0 fetched, 2 not modified, 0 new, 0 updated, 0 failed"
    )
    assert not aggregator_of(app).get(gone.id).enabled
    unknown = runner.invoke(args=["fetch", "99"])
    assert unknown.exit_code == 2 and "no source with id 99" in unknown.output


# OPML ------------------------------------------------------------------------------------------


def _opml(*outlines: str) -> str:
    body = "\n".join(outlines)
    head = '<?xml version="1.0"?>\n<opml version="2.0"><head><title>t</title></head><body>'
    return f"{head}\n{body}\n</body></opml>\n"


def test_cli_import_and_export_round_trip(
    runner: FlaskCliRunner, app: Flask, tmp_path: Path, partner: PartnerServer
) -> None:
    path = tmp_path / "partners.opml"
    path.write_text(
        _opml(
            '<outline text="Sahel" category="securite">',
            f'  <outline type="rss" text="Dakar" xmlUrl="{partner.url("/rss20.xml")}"'
            ' interval="1h"/>',
            "</outline>",
            f'<outline type="rss" title="Conakry" xmlUrl="{partner.url("/atom.xml")}"'
            ' category="/economie"/>',
        ),
        encoding="utf-8",
    )
    result = runner.invoke(args=["sources", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == "sources: 2 added, 0 updated, 0 unchanged\n"
    assert partner.requests == []  # imported sources are fetched by the next pass
    by_url = {s.url: s for s in aggregator_of(app).all_sources()}
    dakar = by_url[partner.url("/rss20.xml")]
    assert (dakar.name, dakar.category, dakar.interval) == ("Dakar", "securite", 3600)
    assert by_url[partner.url("/atom.xml")].category == "economie"

    again = runner.invoke(args=["sources", "import", str(path)])
    assert again.output == "sources: 0 added, 0 updated, 2 unchanged\n"

    exported = runner.invoke(args=["sources", "export"])
    assert exported.exit_code == 0
    assert exported.output.startswith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">'
    )
    (tmp_path / "export.opml").write_text(exported.output, encoding="utf-8")
    round_trip = runner.invoke(args=["sources", "import", str(tmp_path / "export.opml")])
    assert round_trip.output == "sources: 0 added, 0 updated, 2 unchanged\n"


def test_import_refuses_unknown_categories_with_their_line_and_adds_nothing(
    runner: FlaskCliRunner, app: Flask, tmp_path: Path
) -> None:
    path = tmp_path / "bad.opml"
    path.write_text(
        _opml(
            '<outline type="rss" text="A" xmlUrl="https://a.example/feed" category="economie"/>',
            '<outline type="rss" text="B" xmlUrl="https://b.example/feed" category="rallye-auto"/>',
            '<outline type="rss" text="C" xmlUrl="https://c.example/feed"/>',
        ),
        encoding="utf-8",
    )
    result = runner.invoke(args=["sources", "import", str(path)])
    assert result.exit_code == 2
    assert f"{path}:4: unknown category 'rallye-auto'" in result.output
    assert f"{path}:5: no category attribute" in result.output
    assert aggregator_of(app).all_sources() == []


def test_import_refuses_doctypes(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "evil.opml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE opml [<!ENTITY a "aaaa">]>\n<opml/>', encoding="utf-8"
    )
    result = runner.invoke(args=["sources", "import", str(path)])
    assert result.exit_code == 2 and "DOCTYPE declarations are not accepted" in result.output


def test_the_sources_file_is_declarative(
    runner: FlaskCliRunner, app: Flask, partner: PartnerServer
) -> None:
    path = Path(services(app).settings.sources_file)
    outline = '<outline type="rss" text="{}" xmlUrl="{}" category="economie"/>'
    dakar = outline.format("Dakar", partner.url("/rss20.xml"))
    conakry = outline.format("Conakry", partner.url("/atom.xml"))
    path.write_text(_opml(dakar, conakry), encoding="utf-8")
    assert (
        runner.invoke(args=["sources", "import"]).output
        == "sources: 2 added, 0 updated, 0 unchanged\n"
    )
    path.write_text(
        _opml(dakar.replace('text="Dakar"', 'text="Journal de Dakar"')), encoding="utf-8"
    )
    result = runner.invoke(args=["sources", "import"])
    assert (
        result.output == "sources: 0 added, 1 updated, 0 unchanged, 1 paused (no longer listed)\n"
    )
    by_name = {s.name: s for s in aggregator_of(app).all_sources()}
    assert not by_name["Conakry"].enabled
    assert by_name["Conakry"].state.paused_reason == "no longer in sources.opml"
    path.write_text(_opml(dakar, conakry), encoding="utf-8")
    runner.invoke(args=["sources", "import"])
    assert all(s.enabled for s in aggregator_of(app).all_sources())
