"""Fixtures: an app on a fresh store (SQLite, or PostgreSQL when reachable), a fake clock."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from syndicate.app import create_app
from syndicate.services import services
from syndicate.store import Store, tokens
from syndicate.store.schema import metadata

pytest_plugins = ["tests.browser"]

POSTGRES_ADMIN_URL = os.environ.get(
    "SYNDICATE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    now: datetime = field(default=NOW)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once keeps tests fast)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    store = Store(f"sqlite:///{path}")
    store.upgrade()
    store.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of its own for this test session, dropped at the end."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {reason}")
    name = f"syndicate_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(POSTGRES_ADMIN_URL).set(database=name)
    rendered = url.render_as_string(hide_password=False)
    store = Store(rendered)
    store.upgrade()
    store.dispose()
    yield rendered
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the test's store runs on; modules parametrize it with ``indirect``."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "postgres":
        url = str(request.getfixturevalue("postgres_database"))
        _truncate_postgres(url)
        return url
    path = tmp_path / "syndicate.sqlite3"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


def make_app(database_url: str, tmp_path: Path, clock: FakeClock, **overrides: Any) -> Flask:
    settings: dict[str, Any] = {
        "env": "production",
        "secret_key": "test-secret",
        "database_url": database_url,
        "instance_path": str(tmp_path / "instance"),
        "base_url": "https://news.example",
        "clock": clock,
    }
    settings.update(overrides)
    app = create_app(settings)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def app(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path, clock)
    yield app
    services(app).store.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def token(app: Flask, clock: FakeClock) -> str:
    with services(app).store.begin() as connection:
        _, secret = tokens.create(connection, "cms", clock())
    return secret


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def article_body(**changes: Any) -> dict[str, Any]:
    """A valid article body; keyword arguments replace fields (``None`` drops one)."""
    body: dict[str, Any] = {
        "slug": "aes-bamako",
        "title": "Les chefs d’état-major de l’AES réunis à Bamako",
        "summary": "Un plan d’action pour le pilier défense et sécurité.",
        "content_html": "<p>Les armées du Mali, du Burkina Faso et du Niger…</p>",
        "author": {"name": "Awa Traoré", "email": "awa.traore@redaction.example"},
        "categories": ["securite", "politique"],
        "tags": ["aes", "mali"],
        "language": "fr",
        "published_at": "2026-11-06T09:30:00Z",
        "image": {"url": "/media/demo/aes.jpg", "type": "image/jpeg", "length": 1234},
    }
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body
