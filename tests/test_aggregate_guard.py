"""The SSRF guard: every notation of a private address is refused (checked without traffic)."""

from __future__ import annotations

import ipaddress
import threading
import time

import httpcore
import pytest

from syndicate.aggregate.fetcher import Fetcher, Limits, check_url
from syndicate.aggregate.guard import AddressRefused, checked_addresses, refusal, system_resolver
from syndicate.exceptions import FetchError


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0x7f.0.0.1", "localhost",
        "::1", "[::1]", "::ffff:127.0.0.1", "::ffff:7f00:1", "0.0.0.0", "0",
    ],
)  # fmt: skip
def test_loopback_in_any_notation_resolves_to_a_refused_address(host: str) -> None:
    with pytest.raises(AddressRefused, match="refused"):
        checked_addresses(host, 80, allow_private=False)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "non-public"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "address"),
        ("255.255.255.255", "address"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("::", "unspecified"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback"),
        ("2002:a00:1::", "private"),
        ("64:ff9b::", "reserved"),
        ("93.184.215.14", None),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", None),
    ],
)
def test_refusal_reasons(address: str, reason: str | None) -> None:
    found = refusal(ipaddress.ip_address(address))
    if reason is None:
        assert found is None
    else:
        assert found is not None and reason in found


def test_one_private_answer_refuses_the_whole_name() -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "10.0.0.7"]

    with pytest.raises(AddressRefused, match=r"partner\.example \(10\.0\.0\.7\) is a private"):
        checked_addresses("partner.example", 443, allow_private=False, resolver=resolver)
    assert checked_addresses("partner.example", 443, allow_private=True, resolver=resolver)


def test_a_name_resolving_to_loopback_is_refused_before_connecting() -> None:
    fetcher = Fetcher(Limits(allow_private=False), resolver=lambda host, port: ["127.0.0.1"])
    with pytest.raises(
        FetchError, match=r"partner\.example \(127\.0\.0\.1\) is a loopback"
    ) as caught:
        fetcher.fetch("http://partner.example:9/feed.xml")
    assert caught.value.kind == "refused"
    fetcher.close()


def test_unresolvable_names_are_network_errors() -> None:
    def resolver(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(httpcore.ConnectError, match="cannot resolve"):
        checked_addresses("nowhere.invalid", 80, allow_private=False, resolver=resolver)


def test_a_hanging_dns_lookup_is_cut_off_by_the_connect_timeout() -> None:
    released = threading.Event()

    def hanging(host: str, port: int) -> list[str]:
        released.wait(30)  # a partner's name server that never answers
        return ["93.184.215.14"]

    fetcher = Fetcher(Limits(connect_timeout=0.3, deadline=5), resolver=hanging)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"resolving partner\.example took more than") as caught:
        fetcher.fetch("http://partner.example/feed.xml")
    assert time.monotonic() - started < 2
    assert caught.value.kind == "timeout"
    released.set()
    fetcher.close()


def test_a_resolver_error_in_its_thread_reaches_the_caller() -> None:
    def failing(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(httpcore.ConnectError, match=r"cannot resolve nowhere\.invalid"):
        checked_addresses("nowhere.invalid", 80, allow_private=False, resolver=failing, timeout=5)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://partner.example/feed",
        "file:///etc/passwd",
        "gopher://x/",
        "javascript:alert(1)",
        "//x",
    ],
)
def test_only_http_and_https_urls(url: str) -> None:
    with pytest.raises(FetchError):
        check_url(url)


def test_the_system_resolver_answers_loopback() -> None:
    assert "127.0.0.1" in system_resolver("localhost", 80) or "::1" in system_resolver(
        "localhost", 80
    )
