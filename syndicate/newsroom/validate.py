"""Turn the newsroom's untrusted JSON into an ``ArticleDraft``, or name every failing field."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from syndicate.exceptions import InvalidInput
from syndicate.sanitizer import has_xml_invalid, sanitize_html
from syndicate.types import ArticleDraft, Author, Category, Image, Status

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 120
RFC3339_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$"
)
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
EMAIL_RE = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
IMAGE_TYPE_RE = re.compile(r"^image/[a-z0-9.+-]+$")

WRITABLE_FIELDS = frozenset(
    {
        "slug", "title", "summary", "content_html", "author", "categories", "tags",
        "language", "published_at", "updated_at", "image", "status",
    }
)  # fmt: skip
READ_ONLY_FIELDS = frozenset({"url"})
LIMITS = {"title": 300, "summary": 2000, "content_html": 500_000, "author.name": 200, "tag": 60}
MAX_TAGS = 20


def slugify(text: str, max_length: int = 80) -> str:
    """ASCII slug from French text: ``"Sécurité : l’AES"`` -> ``"securite-l-aes"``."""
    folded = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:max_length].rstrip("-")


def parse_datetime(value: Any) -> datetime:
    """An RFC 3339 timestamp with its offset, as aware UTC (whole seconds)."""
    if not isinstance(value, str) or not RFC3339_RE.fullmatch(value.strip()):
        raise ValueError("must be an RFC 3339 date-time with offset, like 2026-11-06T09:30:00Z")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError as exc:
        raise ValueError(f"is not a real date-time ({exc})") from None
    return parsed.astimezone(UTC).replace(microsecond=0)


class _Fields:
    """Collects field errors so a client learns about all of them at once."""

    def __init__(self, payload: Mapping[str, Any]) -> None:
        self.payload = payload
        self.errors: dict[str, str] = {}

    def fail(self, name: str, reason: str) -> None:
        self.errors.setdefault(name, reason)

    def text(self, name: str, *, required: bool, default: str = "", limit: int) -> str:
        value = self.payload.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return default
        return self.check_text(name, value, limit=limit, required=required)

    def check_text(self, name: str, value: Any, *, limit: int, required: bool = True) -> str:
        if not isinstance(value, str):
            self.fail(name, f"must be a string, not {type(value).__name__}")
            return ""
        text: str = " ".join(value.split())
        if required and not text:
            self.fail(name, "must not be empty")
        elif len(text) > limit:
            self.fail(name, f"must be at most {limit} characters")
        elif has_xml_invalid(text):
            self.fail(name, "contains control characters")
        return text


def parse_article(
    payload: Any,
    *,
    categories: Mapping[str, Category],
    base_url: str,
    now: datetime,
    current: ArticleDraft | None = None,
) -> ArticleDraft:
    """Validate a full article body. ``current`` is the stored version when updating."""
    if not isinstance(payload, Mapping):
        raise InvalidInput({"body": "must be a JSON object"})
    fields = _Fields(payload)
    for name in payload:
        if name not in WRITABLE_FIELDS and name not in READ_ONLY_FIELDS:
            fields.fail(str(name), "unknown field")

    title = fields.text("title", required=True, limit=LIMITS["title"])
    summary = fields.text("summary", required=False, limit=LIMITS["summary"])
    slug = _slug(fields, title, current)
    content_html = _content(fields, base_url)
    author = _author(fields)
    category_slugs = _categories(fields, categories)
    tags = _tags(fields)
    language = fields.text("language", required=False, default="fr", limit=35) or "fr"
    if not LANGUAGE_RE.fullmatch(language):
        fields.fail("language", "must be a language tag like fr or fr-SN")
    status = _status(fields)
    published_at, updated_at = _times(fields, now, current)
    image = _image(fields)

    if fields.errors:
        raise InvalidInput(fields.errors)
    return ArticleDraft(
        slug=slug,
        title=title,
        summary=summary,
        content_html=content_html,
        author=author,
        categories=category_slugs,
        tags=tags,
        language=language,
        published_at=published_at,
        updated_at=updated_at,
        image=image,
        status=status,
    )


def _slug(fields: _Fields, title: str, current: ArticleDraft | None) -> str:
    value = fields.payload.get("slug")
    if current is not None:
        if value is not None and value != current.slug:
            fields.fail("slug", "cannot be changed (it is part of the article's permanent URL)")
        return current.slug
    if value is None:
        return slugify(title) or "article"
    if not isinstance(value, str):
        fields.fail("slug", f"must be a string, not {type(value).__name__}")
        return ""
    if not SLUG_RE.fullmatch(value) or len(value) > SLUG_MAX:
        fields.fail(
            "slug",
            f"must be URL-safe: lowercase letters, digits and single hyphens, "
            f"{SLUG_MAX} characters at most",
        )
    return value


def _content(fields: _Fields, base_url: str) -> str:
    value = fields.payload.get("content_html")
    if value is None:
        return ""
    if not isinstance(value, str):
        fields.fail("content_html", f"must be a string, not {type(value).__name__}")
        return ""
    if len(value) > LIMITS["content_html"]:
        fields.fail("content_html", f"must be at most {LIMITS['content_html']} characters")
        return ""
    return sanitize_html(value, base_url + "/")


def _author(fields: _Fields) -> Author | None:
    value = fields.payload.get("author")
    if value is None:
        return None
    if not isinstance(value, Mapping):
        fields.fail("author", "must be an object with `name` and optional `email`")
        return None
    extra = set(value) - {"name", "email"}
    if extra:
        fields.fail("author", f"unknown field(s): {', '.join(sorted(map(str, extra)))}")
    name = fields.check_text("author.name", value.get("name"), limit=LIMITS["author.name"])
    email = value.get("email")
    if email is not None and (not isinstance(email, str) or not EMAIL_RE.fullmatch(email)):
        fields.fail("author.email", "must be an e-mail address")
        email = None
    return Author(name=name, email=email)


def _categories(fields: _Fields, categories: Mapping[str, Category]) -> tuple[str, ...]:
    value = fields.payload.get("categories")
    if value is None:
        fields.fail("categories", "is required (at least one category slug)")
        return ()
    if not isinstance(value, list) or not value:
        fields.fail("categories", "must be a non-empty list of category slugs")
        return ()
    result: list[str] = []
    for item in value:
        if not isinstance(item, str):
            fields.fail("categories", "must contain only strings")
        elif item not in categories:
            known = ", ".join(categories)
            fields.fail("categories", f"unknown category {item!r} (known: {known})")
        elif item not in result:
            result.append(item)
    return tuple(result)


def _tags(fields: _Fields) -> tuple[str, ...]:
    value = fields.payload.get("tags")
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_TAGS:
        fields.fail("tags", f"must be a list of at most {MAX_TAGS} strings")
        return ()
    result: list[str] = []
    for item in value:
        tag = fields.check_text("tags", item, limit=LIMITS["tag"])
        if tag and tag not in result:
            result.append(tag)
    return tuple(result)


def _status(fields: _Fields) -> Status:
    value = fields.payload.get("status", Status.PUBLISHED.value)
    try:
        return Status(value)
    except ValueError:
        fields.fail("status", "must be `published` or `draft`")
        return Status.DRAFT


def _time_field(fields: _Fields, name: str) -> datetime | None:
    value = fields.payload.get(name)
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except ValueError as exc:
        fields.fail(name, str(exc))
        return None


def _times(
    fields: _Fields, now: datetime, current: ArticleDraft | None
) -> tuple[datetime, datetime]:
    now = now.replace(microsecond=0)
    published_at = _time_field(fields, "published_at")
    updated_at = _time_field(fields, "updated_at")
    if published_at is None:
        published_at = current.published_at if current else now
    if updated_at is None:
        # A new article is as fresh as its publication; an edit is fresh now (or when the
        # scheduled article goes out, if that is later).
        updated_at = max(now, published_at) if current else published_at
    elif updated_at < published_at and "updated_at" not in fields.errors:
        fields.fail("updated_at", "must not be earlier than published_at")
    return published_at, updated_at


def _image(fields: _Fields) -> Image | None:
    value = fields.payload.get("image")
    if value is None:
        return None
    if not isinstance(value, Mapping):
        fields.fail("image", "must be an object with url, type and length, or null")
        return None
    extra = set(value) - {"url", "type", "length", "alt"}
    if extra:
        fields.fail("image", f"unknown field(s): {', '.join(sorted(map(str, extra)))}")
    url = value.get("url")
    if not isinstance(url, str) or not (
        url.startswith(("http://", "https://"))
        or (url.startswith("/") and not url.startswith("//"))
    ):
        fields.fail("image.url", "must be an absolute http(s) URL or a path on this site")
        url = ""
    elif has_xml_invalid(url) or any(c.isspace() for c in url):
        fields.fail("image.url", "must not contain spaces or control characters")
    image_type = value.get("type")
    if not isinstance(image_type, str) or not IMAGE_TYPE_RE.fullmatch(image_type):
        fields.fail("image.type", "must be an image media type like image/jpeg")
        image_type = ""
    length = value.get("length")
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        fields.fail("image.length", "must be the image's size in bytes (an integer >= 0)")
        length = 0
    alt = value.get("alt", "")
    alt = fields.check_text("image.alt", alt, limit=300, required=False) if alt else ""
    return Image(url=url, type=image_type, length=length, alt=alt)
