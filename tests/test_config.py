from __future__ import annotations

import re
from pathlib import Path

import pytest

from syndicate.config import ensure_secret_key, env_name, load_settings, setting_fields
from syndicate.exceptions import ConfigError

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_lists_every_setting() -> None:
    documented = set(re.findall(r"`(SYNDICATE_[A-Z_]+)`", README.read_text(encoding="utf-8")))
    missing = {env_name(f.name) for f in setting_fields()} - documented
    assert not missing, f"README misses {sorted(missing)}"


def test_every_setting_has_help() -> None:
    for f in setting_fields():
        assert f.metadata["help"], f.name


def test_environment_overrides_defaults_and_overrides_win() -> None:
    environ = {"SYNDICATE_FEED_SIZE": "25", "SYNDICATE_BASE_URL": "https://actu.example/"}
    settings = load_settings(environ, {"feed_size": 10})
    assert settings.feed_size == 10
    assert settings.base_url == "https://actu.example"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SYNDICATE_FEED_SIZE", "zéro"),
        ("SYNDICATE_FEED_SIZE", "0"),
        ("SYNDICATE_BASE_URL", "actu.example"),
        ("SYNDICATE_ALLOW_PRIVATE_SOURCES", "peut-être"),
        ("SYNDICATE_ENV", "staging"),
        ("SYNDICATE_WEBSUB_HUB", "file:///etc/passwd"),
        ("SYNDICATE_WEBSUB_HUB", "hub.example"),
        ("SYNDICATE_FETCH_MAX_REDIRECTS", "-1"),
    ],
)
def test_bad_environment_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})


def test_production_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SYNDICATE_SECRET_KEY"):
        ensure_secret_key(load_settings({}, {"instance_path": str(tmp_path)}))


def test_development_uses_a_persistent_local_secret_and_says_so(tmp_path: Path) -> None:
    settings = load_settings({"SYNDICATE_ENV": "development"}, {"instance_path": str(tmp_path)})
    first, warning = ensure_secret_key(settings)
    second, _ = ensure_secret_key(settings)
    assert first.secret_key and first.secret_key == second.secret_key
    assert (tmp_path / "dev-secret-key").stat().st_mode & 0o077 == 0
    assert warning and "development" in warning


def test_behind_a_proxy_the_visitor_address_comes_from_x_forwarded_for(tmp_path: Path) -> None:
    from flask import request

    from syndicate.app import create_app

    app = create_app(
        {"secret_key": "s", "instance_path": str(tmp_path), "proxy_hops": 1,
         "database_url": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    )  # fmt: skip
    app.add_url_rule("/whoami", "whoami", lambda: request.remote_addr or "")
    response = app.test_client().get(
        "/whoami",
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.get_data(as_text=True) == "203.0.113.9"
