"""Shared pieces of the console's tests: an app whose operators hash cheaply, signing in, CSRF."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from syndicate.operators.passwords import Passwords
from syndicate.services import services
from tests.aggregate_helpers import aggregation_app
from tests.conftest import FakeClock

NAME = "awa"
PASSWORD = "sahel-2026-correct"
CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
"""Real Argon2id with small costs: the suite signs in often."""

_TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def console_app(
    database_url: str, tmp_path: Path, clock: FakeClock, *, operator: bool = True, **overrides: Any
) -> Flask:
    """An app that may reach loopback partners, with one operator (``NAME``/``PASSWORD``)."""
    app = aggregation_app(database_url, tmp_path, clock, **overrides)
    operators = services(app).operators
    operators.passwords = CHEAP
    if operator:
        operators.create(NAME, PASSWORD)
    return app


def csrf_token(response: TestResponse) -> str:
    found = _TOKEN_RE.search(response.get_data(as_text=True))
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(
    client: FlaskClient, name: str = NAME, password: str = PASSWORD, **extra: str
) -> TestResponse:
    token = csrf_token(client.get("/admin/sign-in"))
    return client.post(
        "/admin/sign-in", data={"csrf_token": token, "name": name, "password": password, **extra}
    )


def post(
    client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any
) -> TestResponse:
    """POST a console form as a browser would: with the session's CSRF token."""
    token = csrf_token(client.get("/admin/tokens"))
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)
