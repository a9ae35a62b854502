"""Load and validate ``feeds/categories.toml``; every error names the file and line."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from syndicate.exceptions import ConfigError
from syndicate.types import Category

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RESERVED_SLUGS = frozenset({"all"})
_TABLE_HEADER_RE = re.compile(r"^\s*\[\[\s*category\s*\]\]")
_FIELDS = {"slug", "title", "description"}


def load_categories(path: str | Path) -> Mapping[str, Category]:
    """Categories in file order, keyed by slug."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read categories: {exc}") from exc
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    header_lines = [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if _TABLE_HEADER_RE.match(line)
    ]
    unknown_keys = set(document) - {"category"}
    if unknown_keys:
        raise ConfigError(f"{path}: unknown top-level key(s): {', '.join(sorted(unknown_keys))}")
    tables = document.get("category")
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{path}: declare at least one [[category]] table")
    categories: dict[str, Category] = {}
    for index, table in enumerate(tables):
        line = header_lines[index] if index < len(header_lines) else 0
        category = _parse_table(table, f"{path}:{line}")
        if category.slug in categories:
            raise ConfigError(f"{path}:{line}: duplicate category slug {category.slug!r}")
        categories[category.slug] = category
    return categories


def _parse_table(table: dict[str, Any], where: str) -> Category:
    extra = set(table) - _FIELDS
    if extra:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
    values: dict[str, str] = {}
    for name in sorted(_FIELDS):
        value = table.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: `{name}` must be a non-empty string")
        values[name] = value.strip()
    slug = values["slug"]
    if not SLUG_RE.fullmatch(slug) or len(slug) > 40:
        raise ConfigError(
            f"{where}: slug {slug!r} must be lowercase letters, digits and hyphens (40 at most)"
        )
    if slug in RESERVED_SLUGS:
        raise ConfigError(f"{where}: slug {slug!r} is reserved")
    return Category(slug=slug, title=values["title"], description=values["description"])
