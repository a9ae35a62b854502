"""The `syndicate` command: runner-level tests plus one real process per entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from syndicate.services import services
from tests.conftest import article_body


def jsonl(*bodies: dict[str, Any]) -> str:
    return "".join(json.dumps(body, ensure_ascii=False) + "\n" for body in bodies)


def test_tokens_create_prints_the_token_alone_on_the_last_line(
    runner: FlaskCliRunner, app: Flask
) -> None:
    result = runner.invoke(args=["tokens", "create", "cms"])
    assert result.exit_code == 0
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("syn_") and " " not in secret
    client = app.test_client()
    response = client.post(
        "/api/v1/articles", json=article_body(), headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 201
    listing = runner.invoke(args=["tokens", "list"]).output
    assert "cms" in listing and secret not in listing


def test_import_then_list(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    path.write_text(
        jsonl(
            article_body(slug="un", published_at="2026-11-01T08:00:00Z"),
            article_body(slug="deux", published_at="2026-11-02T08:00:00Z", categories=["sport"]),
            article_body(slug="plus-tard", published_at="2026-12-25T08:00:00Z"),
        ),
        encoding="utf-8",
    )
    result = runner.invoke(args=["articles", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output
    listed = runner.invoke(args=["articles", "list"]).output.splitlines()
    assert [line.split()[4] for line in listed[:3]] == ["plus-tard", "deux", "un"]
    assert "scheduled" in listed[0]
    public = runner.invoke(args=["articles", "list", "--public", "--category", "sport"]).output
    assert "deux" in public and "un " not in public


def test_import_reads_stdin(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["articles", "import", "-"], input=jsonl(article_body()))
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output


def test_import_with_bad_lines_imports_nothing_and_names_each_line(
    runner: FlaskCliRunner, app: Flask
) -> None:
    lines = (
        jsonl(
            article_body(slug="bon"),
            article_body(slug="bon-aussi", categories=["inconnue"]),
        )
        + "{pas du json\n"
        + jsonl(article_body(slug="bon"))
    )
    result = runner.invoke(args=["articles", "import", "-"], input=lines)
    assert result.exit_code == 2
    assert "line 2: categories: unknown category 'inconnue'" in result.output
    assert "line 3: not valid JSON" in result.output
    assert "line 4: slug 'bon' already used on line 1" in result.output
    assert "3 bad line(s), nothing imported" in result.output
    with services(app).store.connect() as connection:
        from syndicate.store import articles

        assert articles.count(connection, None, None) == 0


def test_import_refuses_existing_slugs_unless_update(runner: FlaskCliRunner, app: Flask) -> None:
    runner.invoke(args=["articles", "import", "-"], input=jsonl(article_body()))
    again = runner.invoke(
        args=["articles", "import", "-"], input=jsonl(article_body(title="Autre"))
    )
    assert again.exit_code == 2
    assert "line 1: an article with slug 'aes-bamako' already exists" in again.output
    updated = runner.invoke(
        args=["articles", "import", "--update", "-"], input=jsonl(article_body(title="Autre"))
    )
    assert "1 updated" in updated.output
    assert services(app).newsroom.get("aes-bamako", public_only=False).title == "Autre"


def test_tokens_revoke_unknown_is_an_error(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["tokens", "revoke", "99"])
    assert result.exit_code == 2
    assert "error: no active token with id 99" in result.output


def test_demo_load_is_idempotent(runner: FlaskCliRunner, app: Flask) -> None:
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    newsroom = services(app).newsroom
    total = newsroom.page(None, 1, 1, public_only=False).total
    assert total >= 40
    second = runner.invoke(args=["demo", "load"])
    assert f"0 created, 0 updated, {total} unchanged" in second.output
    bamako = newsroom.get("bamako-chefs-etat-major-aes-plan-defense-securite", public_only=True)
    assert bamako.image is not None
    client = app.test_client()
    with client.get(bamako.image.url) as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"
        assert len(image.data) == bamako.image.length
    for slug in ("politique", "securite", "economie", "societe", "culture", "sport"):
        assert newsroom.page(slug, 1, 1, public_only=True).total >= 6, slug


def _run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from syndicate.cli import main; main()", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    env.update(
        SYNDICATE_SECRET_KEY="s",
        SYNDICATE_INSTANCE_PATH=str(tmp_path),
        SYNDICATE_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}",
    )
    return env


def test_the_console_script_migrates_and_imports(cli_env: dict[str, str]) -> None:
    assert "store at revision" in _run(["db", "upgrade"], cli_env).stdout
    created = _run(["tokens", "create", "cms"], cli_env)
    assert created.returncode == 0
    assert created.stdout.strip().startswith("syn_") and "\n" not in created.stdout.strip()
    bad = _run(["articles", "import", "-"], cli_env, stdin="[]\n")
    assert bad.returncode == 2
    assert "line 1: body: must be a JSON object" in bad.stderr


def test_a_broken_configuration_is_one_line_and_exit_2(cli_env: dict[str, str]) -> None:
    cli_env["SYNDICATE_FEED_SIZE"] = "beaucoup"
    result = _run(["db", "upgrade"], cli_env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: SYNDICATE_FEED_SIZE")


def test_production_without_secret_refuses_to_start(cli_env: dict[str, str]) -> None:
    del cli_env["SYNDICATE_SECRET_KEY"]
    result = _run(["db", "upgrade"], cli_env)
    assert result.returncode == 2
    assert "SYNDICATE_SECRET_KEY is not set" in result.stderr


def test_demo_load_in_development_creates_a_demo_operator(
    database_url: str, tmp_path: Path, clock: Any
) -> None:
    from tests.conftest import make_app

    app = make_app(database_url, tmp_path, clock, env="development")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    password = first.output.split("password ")[1].split()[0]
    assert f"password {password}" in runner.invoke(args=["demo", "load"]).output
    operator = services(app).operators.sign_in("demo", password, "127.0.0.1")
    assert operator.name == "demo"
    services(app).store.dispose()


def test_demo_load_in_production_creates_no_operator(runner: FlaskCliRunner, app: Flask) -> None:
    assert "console:" not in runner.invoke(args=["demo", "load"]).output
    assert services(app).operators.all() == []
