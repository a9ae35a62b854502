"""Every setting, declared once: name, type, default and help.

Values come from the defaults, then ``SYNDICATE_<NAME>`` environment variables, then the
overrides given to ``create_app`` (tests). The README lists every setting; a test checks it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from syndicate.exceptions import ConfigError

ENV_PREFIX = "SYNDICATE_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEVELOPMENT_ENVS = frozenset({"development", "demo"})


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true/false, got {raw!r}")


def _parse_positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(f"expected a positive integer, got {raw!r}")
    return value


def _parse_non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(f"expected an integer >= 0, got {raw!r}")
    return value


def _parse_base_url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if not value.startswith(("http://", "https://")) or "?" in value or "#" in value:
        raise ValueError(f"expected an absolute http(s) URL without query, got {raw!r}")
    return value


def _parse_optional_url(raw: str) -> str:
    """An absolute http(s) URL, or empty for none."""
    value = raw.strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"expected an absolute http(s) URL, got {raw!r}")
    return value


def _parse_optional_file(raw: str) -> str:
    """A readable file's path, or empty for none."""
    value = raw.strip()
    if value and not Path(value).is_file():
        raise ValueError(f"no such file: {value!r}")
    return value


def _parse_env(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"production", *DEVELOPMENT_ENVS}:
        raise ValueError(f"expected production, development or demo, got {raw!r}")
    return value


_ORIGIN_RE = re.compile(r"^https?://(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:[0-9]{1,5})?$")


def _parse_origins(raw: str) -> tuple[str, ...]:
    """Comma-separated origins like ``https://partner.example`` (``https://*.example`` allowed)."""
    origins: list[str] = []
    for part in raw.split(","):
        origin = part.strip().rstrip("/").lower()
        if not origin:
            continue
        if not _ORIGIN_RE.fullmatch(origin):
            raise ValueError(f"expected origins like https://partner.example, got {part.strip()!r}")
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(raw: str) -> int:
    """Seconds from ``90``, ``90s``, ``30m``, ``2h`` or ``1d`` (a positive whole number)."""
    text = raw.strip().lower()
    unit = _DURATION_UNITS.get(text[-1:], 0)
    number = text[:-1] if unit else text
    if not number.isdigit() or int(number) < 1:
        raise ValueError(f"expected a duration like 90s, 30m, 2h or 1d, got {raw!r}")
    return int(number) * (unit or 1)


def _parse_embeddings(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"auto", "on", "off"}:
        raise ValueError(f"expected auto, on or off, got {raw!r}")
    return value


def _parse_positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError(f"expected a positive number, got {raw!r}")
    return value


def _setting(
    default: Any, help: str, parse: Callable[[str], Any] = str, secret: bool = False
) -> Any:
    return field(default=default, metadata={"help": help, "parse": parse, "secret": secret})


@dataclass(frozen=True)
class Settings:
    env: str = _setting(
        "production",
        "`production`, or `development`/`demo` (allows running without a secret key, says so).",
        _parse_env,
    )
    secret_key: str = _setting(
        "",
        "Signs session cookies. Required in production; the app refuses to start without it.",
        secret=True,
    )
    database_url: str = _setting(
        "",
        "SQLAlchemy URL of the store; empty means SQLite in `instance/syndicate.sqlite3`. "
        "PostgreSQL: `postgresql+psycopg://user@host/db`.",
    )
    base_url: str = _setting(
        "http://127.0.0.1:8000",
        "Public absolute URL of the site: used for article URLs, feed ids and links.",
        _parse_base_url,
    )
    site_name: str = _setting("Syndicate Afrique de l’Ouest", "Site name shown on pages and feeds.")
    categories_file: str = _setting(
        str(PROJECT_ROOT / "feeds" / "categories.toml"),
        "The categories declaration (TOML), validated at start.",
    )
    instance_path: str = _setting(
        str(PROJECT_ROOT / "instance"), "Folder for the SQLite store and local state."
    )
    max_body_bytes: int = _setting(
        1_048_576, "Largest accepted API request body, in bytes (larger: 413).", _parse_positive_int
    )
    page_size: int = _setting(
        20, "Articles per page on HTML pages and default API page size.", _parse_positive_int
    )
    feed_size: int = _setting(50, "Entries per feed page.", _parse_positive_int)
    feed_max_age: int = _setting(
        300, "`Cache-Control: max-age` of feeds and public JSON, in seconds.", _parse_positive_int
    )
    feed_max_pages: int = _setting(
        100,
        "Pages a feed offers through `?page=N` (older articles stay in the API and on the site).",
        _parse_positive_int,
    )
    websub_hub: str = _setting(
        "", "WebSub hub URL to advertise and ping after each change.", _parse_optional_url
    )
    embed_origins: tuple[str, ...] = _setting(
        (),
        "Origins allowed to frame `/embed/<category>` (comma-separated, e.g. "
        "`https://partner.example, https://*.other.example`); empty: every origin.",
        _parse_origins,
    )
    proxy_hops: int = _setting(
        0,
        "Reverse proxies in front of the app (nginx: 1) whose X-Forwarded-For/-Proto to trust, "
        "so sign-in throttling sees each visitor's address.",
        _parse_non_negative_int,
    )
    allow_private_sources: bool = _setting(
        False,
        "Allow partner sources on private/loopback addresses (tests and the demo only).",
        _parse_bool,
    )
    sources_file: str = _setting(
        str(PROJECT_ROOT / "feeds" / "sources.opml"),
        "The declarative list of partner sources (OPML 2.0), applied when the scheduler starts "
        "and by `syndicate sources import`.",
    )
    fetch_interval: int = _setting(
        1800, "Default polling interval of a source (`90s`, `30m`, `2h`, `1d`).", parse_duration
    )
    fetch_min_interval: int = _setting(
        300, "Shortest polling interval an operator may set for a source.", parse_duration
    )
    fetch_max_interval: int = _setting(
        86400,
        "Longest wait between two polls, whatever ttl, max-age or backoff ask.",
        parse_duration,
    )
    fetch_failure_threshold: int = _setting(
        10,
        "Consecutive failures after which a source is paused (its reason shown).",
        _parse_positive_int,
    )
    fetch_connect_timeout: float = _setting(
        10.0,
        "Seconds to resolve a partner's name, then again to connect to it.",
        _parse_positive_float,
    )
    fetch_ca_file: str = _setting(
        "",
        "PEM file of certificate authorities trusted for partners' HTTPS besides the usual ones "
        "(a partner behind a private CA); empty: none.",
        _parse_optional_file,
    )
    fetch_read_timeout: float = _setting(
        30.0, "Seconds to wait for each read from a partner.", _parse_positive_float
    )
    fetch_deadline: float = _setting(
        60.0,
        "Total seconds one fetch may take, redirects and body included.",
        _parse_positive_float,
    )
    fetch_max_bytes: int = _setting(
        10 * 1024 * 1024,
        "Largest feed body accepted, counted after decompression.",
        _parse_positive_int,
    )
    fetch_max_redirects: int = _setting(5, "Redirects followed per fetch.", _parse_non_negative_int)
    fetch_max_entries: int = _setting(
        500,
        "Entries read from one feed document (the first ones, newest by convention).",
        _parse_positive_int,
    )
    fetch_concurrency: int = _setting(
        8, "Sources fetched at once during a pass.", _parse_positive_int
    )
    fetch_per_host: int = _setting(2, "Requests at once to one partner host.", _parse_positive_int)
    fetch_user_agent: str = _setting(
        "", "User-Agent sent to partners; empty: `syndicate/<version> (+<base URL>/)`."
    )
    fetch_log_size: int = _setting(
        50, "Fetch attempts kept per source in the fetch log.", _parse_positive_int
    )
    story_retention_days: int = _setting(
        90, "Partner stories older than this many days are pruned.", _parse_positive_int
    )
    story_update_cap: int = _setting(
        5,
        "Updates of one partner story accepted per day (more edits wait for the next day).",
        _parse_positive_int,
    )
    scheduler_tick: int = _setting(
        30, "Seconds between two looks for due sources by the scheduler.", parse_duration
    )
    scheduler_lease: int = _setting(
        90,
        "Seconds a scheduler's lock lasts without a heartbeat before a standby takes over.",
        parse_duration,
    )
    related_limit: int = _setting(
        5,
        'Items in an article\'s "More Stories" (fewer when fewer are related).',
        _parse_positive_int,
    )
    related_interval: int = _setting(
        10,
        "Seconds between two looks by the scheduler for articles and stories to relate.",
        parse_duration,
    )
    related_embeddings: str = _setting(
        "auto",
        "Title embeddings in related stories: `auto` (when the `embeddings` extra is "
        "installed), `on` (refuse to start without it) or `off`.",
        _parse_embeddings,
    )

    @property
    def is_development(self) -> bool:
        return self.env in DEVELOPMENT_ENVS

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.instance_path) / 'syndicate.sqlite3'}"


def setting_fields() -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(Settings)


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build settings from defaults, then the environment, then ``overrides``."""
    environ = os.environ if environ is None else environ
    known = {f.name: f for f in setting_fields()}
    values: dict[str, Any] = {}
    for name, spec in known.items():
        raw = environ.get(env_name(name))
        if raw is None:
            continue
        try:
            values[name] = spec.metadata["parse"](raw)
        except ValueError as exc:
            raise ConfigError(f"{env_name(name)}: {exc}") from exc
    for name, value in (overrides or {}).items():
        if name not in known:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = value
    return Settings(**values)


def ensure_secret_key(settings: Settings) -> tuple[Settings, str | None]:
    """Refuse production without a secret; in development, use a key kept in the instance folder.

    Returns the settings to use and a warning to show, if any.
    """
    if settings.secret_key:
        return settings, None
    if not settings.is_development:
        raise ConfigError(
            f"{env_name('secret_key')} is not set: refusing to start in production "
            f"(set it, or set {env_name('env')}=development for a local run)"
        )
    key_file = Path(settings.instance_path) / "dev-secret-key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        key_file.touch(mode=0o600)  # it signs console sessions: owner-only
        key_file.write_text(secrets.token_urlsafe(32), encoding="utf-8")
    warning = (
        f"development mode ({settings.env}): using the local secret key in {key_file}; "
        "never run this way in production"
    )
    return dataclasses.replace(settings, secret_key=key_file.read_text(encoding="utf-8")), warning
