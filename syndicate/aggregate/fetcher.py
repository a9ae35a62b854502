"""Our HTTP client for partner feeds: the only place partner bytes come from.

Built on httpcore with a guarded network backend (see ``guard``). Bounded everywhere: connect
and read timeouts, a total deadline (enforced on every socket read, so a server that trickles
bytes is cut off), at most N redirects, at most ``max_bytes`` of body *after* decompression
(counted while streaming, so a gzip bomb stops at the limit), ``http``/``https`` only.
"""

from __future__ import annotations

import ssl
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

import certifi
import httpcore
import httpx

from syndicate.aggregate.guard import AddressRefused, GuardedBackend, Resolver, deadline_var
from syndicate.aggregate.guard import system_resolver as _system_resolver
from syndicate.exceptions import FetchError

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.7, text/html;q=0.5, */*;q=0.1"
)
DRAIN_LIMIT = 65536


@dataclass(frozen=True)
class Limits:
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    deadline: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = "syndicate"
    allow_private: bool = False
    max_connections: int = 32
    ssl_context: ssl.SSLContext | None = None
    """Certificates trusted for HTTPS partners (``None``: certifi's, as httpcore does)."""


@dataclass(frozen=True)
class Response:
    url: str
    """The URL that answered (after redirects)."""
    status: int
    headers: Mapping[str, str]
    """Lowercased names; repeated headers joined with ``, ``."""
    body: bytes
    permanent_url: str | None = None
    """Where the partner moved the feed, when every redirect on the way was permanent."""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def check_url(url: str) -> httpx.URL:
    """``url`` parsed, or a ``FetchError`` saying why it cannot be a partner URL."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError(f"invalid URL {url!r}: {exc}", kind="url") from exc
    if parsed.scheme not in {"http", "https"}:
        raise FetchError(f"only http and https URLs are fetched, not {url!r}", kind="url")
    if not parsed.host:
        raise FetchError(f"no host in URL {url!r}", kind="url")
    return parsed


class _Decoder:
    """Undoes Content-Encoding while counting the decoded bytes against the limit."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.size = 0
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        self.steps: list[zlib._Decompress] = []
        for coding in codings:
            if coding in {"identity", ""}:
                continue
            if coding in {"gzip", "x-gzip"}:
                self.steps.append(zlib.decompressobj(16 + zlib.MAX_WBITS))
            elif coding == "deflate":
                self.steps.append(zlib.decompressobj(zlib.MAX_WBITS | 32))
            else:
                raise FetchError(f"unsupported Content-Encoding {coding!r}", kind="encoding")
        if len(self.steps) > 2:
            raise FetchError("more than two Content-Encodings", kind="encoding")

    def _count(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.limit:
            raise FetchError(f"body larger than {self.limit} bytes", kind="too_large")
        return data

    def _run(self, data: bytes, steps: list[zlib._Decompress]) -> Iterator[bytes]:
        if not steps:
            yield self._count(data)
            return
        step, rest = steps[0], steps[1:]
        room = self.limit - self.size + 1
        try:
            out = step.decompress(data, room)
            while True:
                if out:
                    yield from self._run(out, rest)
                if not step.unconsumed_tail:
                    break
                out = step.decompress(step.unconsumed_tail, self.limit - self.size + 1)
        except zlib.error as exc:
            raise FetchError(f"corrupt compressed body: {exc}", kind="encoding") from exc

    def feed(self, data: bytes) -> Iterator[bytes]:
        yield from self._run(data, self.steps)

    def finish(self) -> Iterator[bytes]:
        for index, step in enumerate(self.steps):
            try:
                tail = step.flush()
            except zlib.error as exc:
                raise FetchError(f"corrupt compressed body: {exc}", kind="encoding") from exc
            if tail:
                yield from self._run(tail, self.steps[index + 1 :])


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1").strip()
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


def _drain(response: httpcore.Response) -> None:
    """Read a small unwanted body to its end, so that the connection can be used again."""
    drained = 0
    for chunk in response.iter_stream():
        drained += len(chunk)
        if drained > DRAIN_LIMIT:
            break  # the pool closes a connection whose response was not read to its end


def trusting(ca_file: str) -> ssl.SSLContext:
    """certifi's authorities plus those of ``ca_file`` (PEM): for partners behind a private CA.

    Raises ``OSError`` or ``ssl.SSLError`` when the file cannot be read as certificates."""
    context = ssl.create_default_context(cafile=certifi.where())
    context.load_verify_locations(cafile=ca_file)
    return context


class Fetcher:
    """Thread-safe; keeps a pool of keep-alive connections to partners."""

    def __init__(self, limits: Limits, resolver: Resolver = _system_resolver) -> None:
        self.limits = limits
        self.pool = httpcore.ConnectionPool(
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_connections,
            keepalive_expiry=30.0,
            network_backend=GuardedBackend(allow_private=limits.allow_private, resolver=resolver),
            retries=0,
            ssl_context=limits.ssl_context,
        )

    def close(self) -> None:
        self.pool.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response:
        """GET ``url``, following redirects; the body is read for a ``200`` only."""
        token = deadline_var.set(time.monotonic() + self.limits.deadline)
        try:
            return self._follow(url, etag, last_modified)
        finally:
            deadline_var.reset(token)

    def _follow(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
    ) -> Response:
        current = str(check_url(url))
        seen = {current}
        redirects: list[tuple[int, str]] = []
        while True:
            status, headers, body = self._request(current, etag, last_modified)
            if status not in REDIRECT_STATUSES or "location" not in headers:
                permanent = None
                if redirects and all(code in PERMANENT_REDIRECTS for code, _ in redirects):
                    permanent = current
                return Response(current, status, headers, body, permanent)
            if len(redirects) >= self.limits.max_redirects:
                raise FetchError(
                    f"more than {self.limits.max_redirects} redirects (last to {current})",
                    kind="redirects",
                    status=status,
                )
            target = str(check_url(urljoin(current, headers["location"])))
            if target in seen:
                raise FetchError(f"redirect loop back to {target}", kind="redirects", status=status)
            seen.add(target)
            redirects.append((status, target))
            current = target

    def _request(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
    ) -> tuple[int, dict[str, str], bytes]:
        parsed = httpx.URL(url)
        headers = [
            (b"Host", parsed.netloc),
            (b"User-Agent", self.limits.user_agent.encode("latin-1", "replace")),
            (b"Accept", FEED_ACCEPT.encode("ascii")),
            (b"Accept-Encoding", b"gzip, deflate"),
        ]
        if etag:
            headers.append((b"If-None-Match", etag.encode("latin-1", "replace")))
        if last_modified:
            headers.append((b"If-Modified-Since", last_modified.encode("latin-1", "replace")))
        target = httpcore.URL(
            scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port, target=parsed.raw_path
        )
        timeouts = {
            "connect": self.limits.connect_timeout,
            "read": self.limits.read_timeout,
            "write": self.limits.read_timeout,
            "pool": self.limits.deadline,
        }
        try:
            with self.pool.stream(
                "GET", target, headers=headers, extensions={"timeout": timeouts}
            ) as response:
                response_headers = _headers(response.headers)
                body = b""
                if response.status == 200:
                    body = self._read(response, response_headers)
                else:
                    _drain(response)
                return response.status, response_headers, body
        except AddressRefused as exc:
            raise FetchError(str(exc), kind="refused") from exc
        except httpcore.TimeoutException as exc:
            raise FetchError(f"timed out: {exc or 'no answer in time'}", kind="timeout") from exc
        except httpcore.UnsupportedProtocol as exc:
            raise FetchError(str(exc), kind="url") from exc
        except (httpcore.NetworkError, httpcore.ProtocolError, OSError) as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}", kind="network") from exc

    def _read(self, response: httpcore.Response, headers: Mapping[str, str]) -> bytes:
        limit = self.limits.max_bytes
        encoding = headers.get("content-encoding", "")
        declared = headers.get("content-length", "")
        if not encoding and declared.isdigit() and int(declared) > limit:
            raise FetchError(
                f"body of {declared} bytes is larger than {limit} bytes", kind="too_large"
            )
        decoder = _Decoder(encoding, limit)
        parts: list[bytes] = []
        for chunk in response.iter_stream():
            parts.extend(decoder.feed(chunk))
        parts.extend(decoder.finish())
        return b"".join(parts)
