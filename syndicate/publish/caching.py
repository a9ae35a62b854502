"""Rendered feeds kept as bytes, their validators, and the conditional-request rules.

A rendered feed is kept with the store version it was rendered from (``store.feeds``); a
request whose probe returns the same version is served these bytes, or a ``304``, without
touching the articles. The strong ``ETag`` is a digest of the bytes, so identical content has
the same tag in every process and across restarts; the gzip variant, a different
representation, has its own tag.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from werkzeug.http import parse_accept_header

GZIP_LEVEL = 5
"""Paid once per change and feed; 5 is within 3% of 9's size at a third of its time."""
DEFAULT_BUDGET_BYTES = 64 * 1024 * 1024


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


@dataclass
class Representation:
    """One rendered feed page: identity bytes, and gzip bytes made on first demand."""

    body: bytes
    content_type: str
    etag: str
    last_modified: datetime
    headers: tuple[tuple[str, str], ...] = ()
    """Sent with the page and with its 304s (caching, CORS, Link...)."""
    last_modified_http: str = field(init=False)
    _gzipped: bytes | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.last_modified = self.last_modified.astimezone(UTC).replace(microsecond=0)
        self.last_modified_http = http_date(self.last_modified)

    @classmethod
    def of(
        cls,
        body: bytes,
        content_type: str,
        last_modified: datetime,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> Representation:
        return cls(body, content_type, strong_etag(body), last_modified, headers)

    @property
    def gzip_etag(self) -> str:
        return self.etag[:-1] + '-gzip"'

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            with self._lock:
                if self._gzipped is None:
                    # mtime=0: the same input always gives the same bytes (and ETag).
                    self._gzipped = gzip.compress(self.body, GZIP_LEVEL, mtime=0)
        return self._gzipped

    @property
    def has_gzip(self) -> bool:
        return self._gzipped is not None

    @property
    def size(self) -> int:
        return len(self.body) + len(self._gzipped or b"")


def accepts_gzip(accept_encoding: str | None) -> bool:
    if not accept_encoding or "gzip" not in accept_encoding:
        return False
    if "q=" not in accept_encoding:
        return True
    return parse_accept_header(accept_encoding).quality("gzip") > 0


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith(("W/", "w/")) else tag


def not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, last_modified: datetime
) -> bool:
    """RFC 9110 section 13.2.2 for GET/HEAD: ``If-None-Match`` (weak comparison) decides when
    present; otherwise ``If-Modified-Since``, to the second."""
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        return any(_opaque(tag) == etag for tag in if_none_match.split(","))
    if if_modified_since is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return last_modified <= since
    return False


@dataclass(frozen=True)
class Entry:
    """What a cache slot holds: the version it was made from, and the page or ``None`` when
    that page does not exist at that version (404)."""

    version: Hashable
    representation: Representation | None


class RenderCache:
    """Least-recently-used rendered pages, bounded by their total size in bytes."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self._used = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Hashable) -> Entry | None:
        """The entry for ``key`` if it was made from ``version``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.version != version:
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, entry: Entry) -> None:
        size = entry.representation.size if entry.representation else 64
        with self._lock:
            self._used -= self._sizes.pop(key, 0)
            self._entries.pop(key, None)
            self._entries[key] = entry
            self._sizes[key] = size
            self._used += size
            while self._used > self.budget_bytes and len(self._entries) > 1:
                oldest, _ = self._entries.popitem(last=False)
                self._used -= self._sizes.pop(oldest)

    def grew(self, key: Hashable, entry: Entry) -> None:
        """Account for the gzip bytes an entry gained after it was stored."""
        if entry.representation is None:
            return
        with self._lock:
            if self._entries.get(key) is entry:
                size = entry.representation.size
                self._used += size - self._sizes[key]
                self._sizes[key] = size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._sizes.clear()
            self._used = 0

    @property
    def used_bytes(self) -> int:
        return self._used

    def __len__(self) -> int:
        return len(self._entries)
