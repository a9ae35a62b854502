"""Rendered feeds kept as bytes, their validators, and the conditional-request rules.

A rendered feed is kept with the store version it was rendered from (``store.feeds``); a
request whose probe returns the same version is answered from these bytes, or with a ``304``,
without touching the articles. The strong ``ETag`` is a digest of the bytes, so identical
content has the same tag in every process and across restarts; the gzip variant, another
representation, has its own tag. ``answer`` is the one place that decides what to send.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, Generic, NamedTuple, TypeVar

from werkzeug.http import parse_accept_header

V = TypeVar("V")

GZIP_LEVEL = 5
"""Paid once per change and feed; 5 is within 3% of 9's size at a third of its time."""
GZIP_ALLOWANCE = 0.4
"""Room kept in the cache budget for a page's gzip bytes, made later on first demand."""
DEFAULT_BUDGET_BYTES = 64 * 1024 * 1024
DEFAULT_FRAGMENT_BUDGET_BYTES = 32 * 1024 * 1024

Headers = list[tuple[str, str]]


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def gzip_etag(etag: str) -> str:
    """The strong ETag of the gzip variant: other bytes, so another tag."""
    return etag[:-1] + '-gzip"'


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
    gzip_etag: str = field(init=False)
    # The header lists of each answer, made once: the hot path only picks one.
    not_modified_headers: Headers = field(init=False, repr=False)
    not_modified_gzip_headers: Headers = field(init=False, repr=False)
    ok_headers: Headers = field(init=False, repr=False)
    _ok_gzip: tuple[bytes, Headers] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.last_modified = self.last_modified.astimezone(UTC).replace(microsecond=0)
        self.last_modified_http = http_date(self.last_modified)
        self.gzip_etag = gzip_etag(self.etag)
        validators = ("Last-Modified", self.last_modified_http)
        self.not_modified_headers = [("ETag", self.etag), validators, *self.headers]
        self.not_modified_gzip_headers = [("ETag", self.gzip_etag), validators, *self.headers]
        self.ok_headers = [
            *self.not_modified_headers,
            ("Content-Type", self.content_type),
            ("Content-Length", str(len(self.body))),
        ]

    @classmethod
    def of(
        cls,
        body: bytes,
        content_type: str,
        last_modified: datetime,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> Representation:
        return cls(body, content_type, strong_etag(body), last_modified, headers)

    def gzipped(self) -> tuple[bytes, Headers]:
        """The gzip bytes and their headers, compressed once, on first demand."""
        if self._ok_gzip is None:
            with self._lock:
                if self._ok_gzip is None:
                    # mtime=0: the same input always gives the same bytes (and ETag).
                    body = gzip.compress(self.body, GZIP_LEVEL, mtime=0)
                    headers = [
                        *self.not_modified_gzip_headers,
                        ("Content-Type", self.content_type),
                        ("Content-Encoding", "gzip"),
                        ("Content-Length", str(len(body))),
                    ]
                    self._ok_gzip = (body, headers)
        return self._ok_gzip

    @property
    def has_gzip(self) -> bool:
        return self._ok_gzip is not None

    @property
    def size(self) -> int:
        """Bytes held, with room for the gzip variant."""
        return int(len(self.body) * (1 + GZIP_ALLOWANCE))


class Answer(NamedTuple):
    status: int
    headers: Headers
    body: bytes


def answer(found: Representation, environ: Mapping[str, Any]) -> Answer:
    """What to send for a GET (or HEAD) of ``found``, given the request's WSGI environ."""
    use_gzip = accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING"))
    if not_modified(
        environ.get("HTTP_IF_NONE_MATCH"),
        environ.get("HTTP_IF_MODIFIED_SINCE"),
        found.gzip_etag if use_gzip else found.etag,
        found.last_modified,
    ):
        headers = found.not_modified_gzip_headers if use_gzip else found.not_modified_headers
        return Answer(304, headers, b"")
    if use_gzip:
        body, headers = found.gzipped()
        return Answer(200, headers, body)
    return Answer(200, found.ok_headers, found.body)


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


def _held(fragment: bytes) -> int:
    """Bytes a fragment holds, counting its key (the item, about as large as its bytes)."""
    return 2 * len(fragment)


def _entry_size(entry: Entry) -> int:
    return entry.representation.size if entry.representation else 64


class SizedLRU(Generic[V]):
    """Least recently used values first out, bounded by their total size; thread-safe."""

    def __init__(self, budget_bytes: int, size_of: Callable[[V], int]) -> None:
        self.budget_bytes = budget_bytes
        self._size_of = size_of
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()

    def _get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def _put(self, key: Hashable, value: V) -> None:
        with self._lock:
            old = self._values.pop(key, None)
            self._used += self._size_of(value) - (self._size_of(old) if old is not None else 0)
            self._values[key] = value
            while self._used > self.budget_bytes and len(self._values) > 1:
                _, dropped = self._values.popitem(last=False)
                self._used -= self._size_of(dropped)

    def _pop(self, key: Hashable) -> V:
        with self._lock:
            value = self._values.pop(key)
            self._used -= self._size_of(value)
            return value

    def _keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._values)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._used = 0

    @property
    def used_bytes(self) -> int:
        return self._used

    def __len__(self) -> int:
        return len(self._values)


class FragmentCache(SizedLRU[bytes], MutableMapping[Hashable, bytes]):
    """Rendered feed items (``model.Fragments``): a publish then renders only the items that
    are new or changed. (``SizedLRU.clear`` comes first: MutableMapping's pops one at a time.)"""

    def __init__(self, budget_bytes: int = DEFAULT_FRAGMENT_BUDGET_BYTES) -> None:
        super().__init__(budget_bytes, _held)

    def __getitem__(self, key: Hashable) -> bytes:
        value = self._get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: Hashable, value: bytes) -> None:
        self._put(key, value)

    def __delitem__(self, key: Hashable) -> None:
        self._pop(key)

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._keys())


class RenderCache(SizedLRU[Entry]):
    """Rendered pages, each with the store version it was made from."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        super().__init__(budget_bytes, _entry_size)

    def get(self, key: Hashable, version: Hashable) -> Entry | None:
        """The entry for ``key`` if it was made from ``version``."""
        entry = self._get(key)
        return entry if entry is not None and entry.version == version else None

    def put(self, key: Hashable, entry: Entry) -> None:
        self._put(key, entry)
