"""Validators, conditional-request rules and the rendered-feed cache."""

from __future__ import annotations

import gzip
import threading
import time
from datetime import UTC, datetime

from syndicate.publish.caching import (
    Entry,
    FragmentCache,
    RenderCache,
    Representation,
    accepts_gzip,
    answer,
    not_modified,
    strong_etag,
)

MODIFIED = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)


def page(body: bytes = b"<rss/>") -> Representation:
    return Representation.of(body, "application/rss+xml; charset=utf-8", MODIFIED)


def test_etag_is_a_strong_digest_of_the_bytes() -> None:
    assert strong_etag(b"a") == strong_etag(b"a") != strong_etag(b"b")
    tag = page().etag
    assert tag.startswith('"') and tag.endswith('"') and len(tag) == 34
    assert page().gzip_etag == tag[:-1] + '-gzip"'


def test_last_modified_is_whole_seconds_in_http_form() -> None:
    found = Representation.of(b"x", "t", datetime(2026, 11, 29, 12, 0, 0, 999, tzinfo=UTC))
    assert found.last_modified_http == "Sun, 29 Nov 2026 12:00:00 GMT"
    assert found.last_modified == MODIFIED


def test_if_none_match() -> None:
    etag = '"abc"'
    assert not_modified('"abc"', None, etag, MODIFIED)
    assert not_modified('W/"abc"', None, etag, MODIFIED)
    assert not_modified('"x", "abc"', None, etag, MODIFIED)
    assert not_modified("*", None, etag, MODIFIED)
    assert not not_modified('"abd"', None, etag, MODIFIED)
    assert not not_modified("", None, etag, MODIFIED)
    # If-None-Match wins over If-Modified-Since.
    assert not not_modified('"x"', "Mon, 30 Nov 2026 00:00:00 GMT", etag, MODIFIED)


def test_if_modified_since() -> None:
    assert not_modified(None, "Sun, 29 Nov 2026 12:00:00 GMT", '"a"', MODIFIED)
    assert not_modified(None, "Sun, 29 Nov 2026 13:00:00 GMT", '"a"', MODIFIED)
    assert not not_modified(None, "Sun, 29 Nov 2026 11:59:59 GMT", '"a"', MODIFIED)
    assert not not_modified(None, "yesterday", '"a"', MODIFIED)
    assert not not_modified(None, None, '"a"', MODIFIED)


def test_accept_encoding() -> None:
    assert accepts_gzip("gzip, deflate, br")
    assert accepts_gzip("br;q=1.0, gzip;q=0.8")
    assert not accepts_gzip("*")  # identity is always acceptable: no need to guess
    assert not accepts_gzip("gzip;q=0")
    assert not accepts_gzip("identity")
    assert not accepts_gzip(None)


def test_gzip_is_made_once_and_deterministic() -> None:
    body = b"<rss>" + "é".encode() * 5000 + b"</rss>"
    first, second = page(body), page(body)
    assert not first.has_gzip
    zipped, headers = first.gzipped()
    assert zipped == second.gzipped()[0]
    assert gzip.decompress(zipped) == body
    assert first.gzipped()[0] is zipped
    assert ("Content-Encoding", "gzip") in headers
    assert ("Content-Length", str(len(zipped))) in headers
    assert ("ETag", first.gzip_etag) in headers


def test_gzip_under_concurrency_compresses_once() -> None:
    found = page(b"x" * 100_000)
    results: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: results.append(found.gzipped()[0])) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(result) for result in results}) == 1


def test_answer_picks_status_headers_and_body() -> None:
    found = page(b"<rss>" + b"x" * 1000 + b"</rss>")
    assert answer(found, {}) == (200, found.ok_headers, found.body)
    assert ("Content-Length", str(len(found.body))) in found.ok_headers
    zipped = answer(found, {"HTTP_ACCEPT_ENCODING": "gzip"})
    assert zipped.status == 200 and gzip.decompress(zipped.body) == found.body
    assert answer(found, {"HTTP_IF_NONE_MATCH": found.etag}) == (
        304,
        found.not_modified_headers,
        b"",
    )
    # The gzip variant has its own tag: each answers only for itself.
    both = {"HTTP_IF_NONE_MATCH": found.gzip_etag, "HTTP_ACCEPT_ENCODING": "gzip"}
    assert answer(found, both).status == 304
    assert answer(found, {"HTTP_IF_NONE_MATCH": found.gzip_etag}).status == 200
    assert answer(found, {"HTTP_IF_MODIFIED_SINCE": found.last_modified_http}).status == 304


def test_cache_hits_only_the_same_version() -> None:
    cache = RenderCache()
    entry = Entry(("v", 1), page())
    cache.put("k", entry)
    assert cache.get("k", ("v", 1)) is entry
    assert cache.get("k", ("v", 2)) is None
    assert cache.get("other", ("v", 1)) is None
    missing = Entry(("v", 1), None)
    cache.put("gone", missing)
    assert cache.get("gone", ("v", 1)) is missing


def test_cache_is_bounded_by_bytes_and_evicts_least_recently_used() -> None:
    cache = RenderCache(budget_bytes=300)  # room for two pages of 100 bytes and their gzip
    for key in ("a", "b"):
        cache.put(key, Entry(1, page(b"x" * 100)))
    cache.get("a", 1)  # b is now the least recently used
    cache.put("c", Entry(1, page(b"y" * 100)))
    assert cache.get("b", 1) is None
    assert cache.get("a", 1) is not None and cache.get("c", 1) is not None
    assert cache.used_bytes == 280 and len(cache) == 2
    cache.clear()
    assert len(cache) == 0 and cache.used_bytes == 0


def test_fragments_are_bounded_by_bytes_and_cleared_at_once() -> None:
    fragments = FragmentCache(budget_bytes=400)  # a fragment holds twice its bytes
    for key in ("a", "b"):
        fragments[key] = b"x" * 100
    assert fragments["a"] == b"x" * 100  # b is now the least recently used
    fragments["c"] = b"y" * 100
    assert set(fragments) == {"a", "c"} and fragments.used_bytes == 400

    many = FragmentCache(budget_bytes=10**9)
    for number in range(20_000):
        many[("rss", number)] = b"<item/>"
    started = time.perf_counter()
    many.clear()  # one pass (popping one by one took seconds: quadratic)
    assert time.perf_counter() - started < 2
    assert len(many) == 0 and many.used_bytes == 0
