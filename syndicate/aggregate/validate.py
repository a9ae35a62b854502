"""Operator input about sources (API bodies, CLI options, OPML outlines), checked in one place."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from syndicate.aggregate.fetcher import check_url
from syndicate.config import Settings, parse_duration
from syndicate.exceptions import FetchError, InvalidInput
from syndicate.types import Category

NAME_LIMIT = 200
URL_LIMIT = 2000
FIELDS = frozenset({"url", "name", "category", "interval", "enabled"})


def clean_url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be an http(s) URL")
    if len(value) > URL_LIMIT:
        raise ValueError(f"must be at most {URL_LIMIT} characters")
    try:
        return str(check_url(value.strip()))
    except FetchError as exc:
        raise ValueError(str(exc)) from exc


def clean_interval(value: Any, settings: Settings) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a number of seconds or a duration like 30m")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str):
        seconds = parse_duration(value)
    else:
        raise ValueError("must be a number of seconds or a duration like 30m")
    if seconds < settings.fetch_min_interval:
        raise ValueError(f"must be at least {settings.fetch_min_interval} seconds")
    if seconds > settings.fetch_max_interval:
        raise ValueError(f"must be at most {settings.fetch_max_interval} seconds")
    return seconds


def clean_category(value: Any, categories: Mapping[str, Category]) -> str:
    slug = value.strip().strip("/").lower() if isinstance(value, str) else None
    if not slug or slug not in categories:
        known = ", ".join(categories)
        raise ValueError(f"unknown category {value!r} (known: {known})")
    return slug


def clean_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    name = " ".join(value.split())
    if len(name) > NAME_LIMIT:
        raise ValueError(f"must be at most {NAME_LIMIT} characters")
    return name


def source_fields(
    payload: Any,
    *,
    categories: Mapping[str, Category],
    settings: Settings,
    partial: bool,
) -> dict[str, Any]:
    """Checked fields of a source body; ``partial`` for PATCH (only the fields given)."""
    if not isinstance(payload, Mapping):
        raise InvalidInput({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in sorted(set(payload) - FIELDS):
        if name not in {"id", "state", "story_count", "site_url", "origin", "created_at"}:
            errors[name] = "unknown field"
    cleaners: dict[str, Callable[[Any], Any]] = {
        "url": clean_url,
        "name": clean_name,
        "category": lambda v: clean_category(v, categories),
        "interval": lambda v: clean_interval(v, settings),
    }
    for name, cleaner in cleaners.items():
        if name not in payload or (payload[name] is None and name == "name"):
            if not partial and name in {"url", "category"}:
                errors[name] = "is required"
            continue
        try:
            values[name] = cleaner(payload[name])
        except ValueError as exc:
            errors[name] = str(exc)
    if "enabled" in payload:
        if isinstance(payload["enabled"], bool):
            values["enabled"] = payload["enabled"]
        else:
            errors["enabled"] = "must be true or false"
    if errors:
        raise InvalidInput(errors)
    return values
