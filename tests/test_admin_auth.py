"""The console's doors: operator accounts, sign-in and out, throttling, CSRF, every URL guarded."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from syndicate.exceptions import Conflict, InvalidInput, NotFound
from syndicate.operators import throttle
from syndicate.operators.passwords import Passwords
from syndicate.operators.service import SignInFailed, SignInThrottled
from syndicate.services import services
from syndicate.store import tokens as token_store
from syndicate.store.schema import operators as operators_table
from tests.admin_helpers import NAME, PASSWORD, console_app, csrf_token, post, sign_in, text
from tests.conftest import FakeClock

SIGN_IN = "/admin/sign-in"
ADDRESS = "192.0.2.1"


pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def app(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Flask]:
    app = console_app(database_url, tmp_path, clock)
    yield app
    services(app).store.dispose()


@pytest.fixture
def signed_in(client: FlaskClient) -> FlaskClient:
    assert sign_in(client).status_code == 302
    return client


def admin_urls(app: Flask) -> list[tuple[str, str]]:
    """(method, URL) of every console route except the sign-in page and static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin.") or rule.endpoint in {
            "admin.sign_in",
            "admin.static",
        }:
            continue
        url = rule.build({"source_id": 1, "token_id": 1}, append_unknown=False)
        assert url is not None
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, url[1]))
    return found


# Accounts --------------------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2id_and_upgraded_on_sign_in(app: Flask) -> None:
    svc = services(app)
    default = Passwords()
    stored = default.hash(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert default.verify(stored, PASSWORD) and not default.verify(stored, PASSWORD + "x")
    assert not default.verify(None, "no such operator")  # the dummy hash never lets anyone in
    assert not default.verify("not a hash", PASSWORD)

    with svc.store.connect() as connection:
        (cheap_hash,) = connection.execute(operators_table.select()).one()[2:3]
    assert PASSWORD not in cheap_hash and cheap_hash.startswith("$argon2id$")
    assert default.needs_rehash(cheap_hash)
    svc.operators.passwords = default
    svc.operators.sign_in(NAME, PASSWORD, "127.0.0.1")
    with svc.store.connect() as connection:
        (upgraded,) = connection.execute(operators_table.select()).one()[2:3]
    assert upgraded != cheap_hash and not default.needs_rehash(upgraded)


def test_names_and_passwords_are_checked(app: Flask) -> None:
    operators = services(app).operators
    with pytest.raises(InvalidInput, match="password: must be at least 10"):
        operators.create("moussa", "court")
    with pytest.raises(InvalidInput, match="name"):
        operators.create("Moussa Traoré", PASSWORD)
    with pytest.raises(InvalidInput, match="only spaces"):
        operators.create("moussa", " " * 12)
    with pytest.raises(Conflict):
        operators.create(" AWA ", PASSWORD)  # names are case-insensitive
    with pytest.raises(NotFound):
        operators.set_password("nobody", PASSWORD)
    assert [o.name for o in operators.all()] == [NAME]


def test_cli_creates_an_operator_from_stdin(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["operators", "create", "Moussa"], input="un-mot-de-passe-long\n")
    assert result.exit_code == 0, result.output
    assert "operator moussa created" in result.output
    assert services(app).operators.sign_in("moussa", "un-mot-de-passe-long", "::1").name == "moussa"

    for args, stdin, message in [
        (["operators", "create", "moussa"], "un-autre-mot-de-passe\n", "already exists"),
        (["operators", "create", "fatou"], "court\n", "password: must be at least 10"),
        (["operators", "create", "fatou"], "", "no password on standard input"),
        (["operators", "create", "fatou diallo"], "un-mot-de-passe-long\n", "name: 1 to 100"),
    ]:
        result = runner.invoke(args=args, input=stdin)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.count("\n") == 1 and message in result.output

    result = runner.invoke(args=["operators", "password", "moussa"], input="encore-plus-long-1\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["operators", "list"])
    assert "moussa" in result.output and "awa" in result.output
    assert runner.invoke(args=["operators", "remove", "moussa"]).exit_code == 0
    assert runner.invoke(args=["operators", "remove", "moussa"]).exit_code == 2


def test_cli_prompts_twice_on_a_terminal(database_url: str, tmp_path: Path) -> None:
    """``syndicate operators create`` on a real terminal (a pty): hidden prompt, confirmation."""
    main, child = os.openpty()
    env = {
        **os.environ,
        "SYNDICATE_DATABASE_URL": database_url,
        "SYNDICATE_SECRET_KEY": "test-secret",
        "SYNDICATE_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    command = [sys.executable, "-c", "from syndicate.cli import main; main()"]
    process = subprocess.Popen(
        [*command, "operators", "create", "fatou"],
        stdin=child, stdout=child, stderr=child, env=env, close_fds=True,
    )  # fmt: skip
    os.close(child)
    seen = b""

    def read_until(marker: bytes) -> None:
        nonlocal seen
        while marker not in seen:
            chunk = os.read(main, 1024)
            assert chunk, seen
            seen += chunk

    read_until(b"Password: ")
    os.write(main, b"premier-mot-de-passe\n")
    read_until(b"Repeat for confirmation: ")
    os.write(main, b"premier-mot-de-passe\n")
    read_until(b"created")
    assert process.wait(timeout=30) == 0
    os.close(main)
    assert b"premier-mot-de-passe" not in seen  # never echoed


# Signing in and out ----------------------------------------------------------------------------


def test_a_signed_out_visitor_is_sent_to_sign_in_and_comes_back(client: FlaskClient) -> None:
    response = client.get("/admin/sources?state=paused")
    assert response.status_code == 302
    assert response.location == "/admin/sign-in?next=/admin/sources?state%3Dpaused"
    page = client.get(response.location)
    assert 'name="next" value="/admin/sources?state=paused"' in text(page)
    signed = sign_in(client, next="/admin/sources?state=paused")
    assert signed.status_code == 302 and signed.location == "/admin/sources?state=paused"
    assert client.get("/admin/sources").status_code == 200
    assert client.get(SIGN_IN).location == "/admin/"  # already signed in


def test_session_cookie_is_httponly_lax_and_secure_over_https(client: FlaskClient) -> None:
    response = sign_in(client)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" in cookie  # the test app's base URL is https


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("https://evil.example/admin/", "/admin/"),
        ("//evil.example/admin/", "/admin/"),
        ("/\\evil.example", "/admin/"),
        ("/articles/x", "/admin/"),
        ("/administrator", "/admin/"),
        ("/admin/tokens", "/admin/tokens"),
    ],
)
def test_next_never_leaves_the_console(client: FlaskClient, target: str, expected: str) -> None:
    assert sign_in(client, next=target).location == expected


def test_wrong_password_or_unknown_name_is_refused_alike(client: FlaskClient) -> None:
    for name, password in [(NAME, "pas-le-bon-mot"), ("inconnu", PASSWORD)]:
        response = sign_in(client, name=name, password=password)
        assert response.status_code == 200
        assert "Identifiant ou mot de passe incorrect." in text(response)
        assert client.get("/admin/").status_code == 302


def test_sign_out_ends_every_session_of_the_operator(app: Flask, signed_in: FlaskClient) -> None:
    other = app.test_client()
    sign_in(other)
    cookie = signed_in.get_cookie("session")
    assert cookie is not None
    response = post(signed_in, "/admin/sign-out")
    assert response.status_code == 302 and response.location == SIGN_IN
    assert "Vous êtes déconnecté." in text(signed_in.get(SIGN_IN))
    assert signed_in.get("/admin/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", cookie.value, domain="localhost")
    assert replay.get("/admin/").status_code == 302  # a copied cookie is worthless now
    assert other.get("/admin/").status_code == 302


def test_sessions_last_twelve_hours(signed_in: FlaskClient, clock: FakeClock) -> None:
    clock.advance(hours=11, minutes=59)
    assert signed_in.get("/admin/").status_code == 200
    clock.advance(minutes=2)
    assert signed_in.get("/admin/").status_code == 302


def test_a_removed_operator_is_signed_out(app: Flask, signed_in: FlaskClient) -> None:
    services(app).operators.remove(NAME)
    assert signed_in.get("/admin/").status_code == 302


# Throttling ------------------------------------------------------------------------------------


def test_failures_slow_down_then_lock_the_account(app: Flask, clock: FakeClock) -> None:
    operators = services(app).operators
    waits = []
    for _ in range(throttle.ACCOUNT.lock_after):
        with pytest.raises(SignInFailed) as failed:
            operators.sign_in(NAME, "mauvais-mot", ADDRESS)
        waits.append(failed.value.retry_after)
        if waits[-1] and len(waits) < throttle.ACCOUNT.lock_after:
            with pytest.raises(SignInThrottled) as refused:  # too soon: refused unchecked
                operators.sign_in(NAME, PASSWORD, ADDRESS)
            assert not refused.value.locked
            clock.advance(seconds=waits[-1])
    assert waits == [0, 0, 1, 2, 4, 8, 16, 32, 60, 15 * 60]
    clock.advance(minutes=14, seconds=59)
    with pytest.raises(SignInThrottled) as refused:
        operators.sign_in(NAME, PASSWORD, ADDRESS)
    assert refused.value.locked and refused.value.retry_after == 1
    clock.advance(seconds=1)
    assert operators.sign_in(NAME, PASSWORD, ADDRESS).name == NAME
    for _ in range(2):  # a success forgets the failures
        with pytest.raises(SignInFailed) as failed:
            operators.sign_in(NAME, "mauvais-mot", ADDRESS)
        assert failed.value.retry_after == 0


def test_failures_are_forgotten_after_an_hour(app: Flask, clock: FakeClock) -> None:
    operators = services(app).operators
    for _ in range(3):
        with pytest.raises(SignInFailed):
            operators.sign_in(NAME, "mauvais-mot", ADDRESS)
    clock.advance(hours=1)
    with pytest.raises(SignInFailed) as failed:
        operators.sign_in(NAME, "mauvais-mot", ADDRESS)
    assert failed.value.retry_after == 0  # counted afresh: first failure


def test_one_address_trying_many_names_is_slowed(app: Flask) -> None:
    operators = services(app).operators
    for n in range(throttle.ADDRESS.slow_after):
        with pytest.raises(SignInFailed):
            operators.sign_in(f"essai{n}", "mauvais-mot", "198.51.100.7")
    with pytest.raises(SignInThrottled):
        operators.sign_in(NAME, PASSWORD, "198.51.100.7")
    assert operators.sign_in(NAME, PASSWORD, "198.51.100.8").name == NAME


def test_throttling_is_shared_by_every_web_process(
    app: Flask, database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    """Another app on the same store (another gunicorn worker) sees the same failures."""
    other = console_app(database_url, tmp_path / "b", clock, operator=False)
    try:
        for _ in range(3):
            with pytest.raises(SignInFailed):
                services(app).operators.sign_in(NAME, "mauvais-mot", ADDRESS)
        with pytest.raises(SignInThrottled):
            services(other).operators.sign_in(NAME, PASSWORD, "192.0.2.9")
    finally:
        services(other).store.dispose()


def test_throttled_sign_in_answers_429_with_retry_after(
    client: FlaskClient, clock: FakeClock
) -> None:
    for _ in range(3):
        sign_in(client, password="mauvais-mot")
    response = sign_in(client)
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert "patientez 1 s avant de réessayer" in text(response)
    clock.advance(seconds=1)
    assert sign_in(client).status_code == 302


# Every URL guarded, every form protected -------------------------------------------------------


def test_every_console_url_needs_a_signed_in_operator(app: Flask, client: FlaskClient) -> None:
    urls = admin_urls(app)
    assert len(urls) >= 20
    token = csrf_token(client.get(SIGN_IN))
    for method, url in urls:
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 302, (method, url)
        assert response.location.startswith("/admin/sign-in"), (method, url)
        if method == "GET":
            assert response.location.endswith("next=" + url.replace("?", "%3F")), url
    with client.get("/admin/static/admin.css") as style:  # the sign-in page's look
        assert style.status_code == 200


def test_every_form_is_refused_without_its_csrf_token(
    app: Flask, signed_in: FlaskClient, clock: FakeClock
) -> None:
    with services(app).store.begin() as connection:
        token_store.create(connection, "cms", clock())
    posts = [url for method, url in admin_urls(app) if method == "POST"]
    assert len(posts) >= 10
    for url in posts:
        for data in ({}, {"csrf_token": "forged"}):
            response = signed_in.post(url, data={**data, "name": "x"})
            assert response.status_code == 400, url
            assert "Formulaire refusé" in text(response)
    with services(app).store.connect() as connection:
        listing = token_store.all_tokens(connection)
    assert [(t.name, t.revoked_at) for t in listing] == [("cms", None)]
    assert signed_in.get("/admin/").status_code == 200  # still signed in: nothing happened


def test_a_token_from_another_session_is_refused(app: Flask, signed_in: FlaskClient) -> None:
    stranger = app.test_client()
    foreign = csrf_token(stranger.get(SIGN_IN))
    response = signed_in.post("/admin/tokens", data={"csrf_token": foreign, "name": "x"})
    assert response.status_code == 400


def test_sign_in_itself_needs_a_csrf_token(client: FlaskClient) -> None:
    response = client.post(SIGN_IN, data={"name": NAME, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_console_pages_are_never_cached_nor_framed(signed_in: FlaskClient) -> None:
    for url in ["/admin/", SIGN_IN]:
        response = signed_in.get(url)
        assert response.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert "script-src" not in response.headers["Content-Security-Policy"]  # none at all
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_public_pages_and_api_are_unaffected(client: FlaskClient, app: Flask) -> None:
    assert client.get("/").status_code == 200
    assert "Set-Cookie" not in client.get("/").headers
    assert client.post("/api/v1/articles", json={}).status_code == 401  # token, not CSRF
