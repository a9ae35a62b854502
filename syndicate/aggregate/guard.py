"""Which network addresses partner fetches may reach, checked where the socket is opened.

The check runs on every address a DNS answer gives, for every connection (the first request
and each redirect alike), and the socket then connects to the very address that was checked,
so a name that resolves differently a moment later (DNS rebinding) gains nothing.

The lookup itself is bounded by the connect timeout (and the fetch deadline): the system
resolver has no timeout of its own to give, so it runs in a daemon thread that is abandoned,
not waited for, when the partner's DNS hangs.
"""

from __future__ import annotations

import contextvars
import ipaddress
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import httpcore

Resolver = Callable[[str, int], Sequence[str]]
"""Returns the IP addresses (as text) that a host name resolves to."""

# The deadline (a ``time.monotonic()`` value) of the fetch running in this context: every read
# and write on a partner's socket is cut off when it passes, however slowly bytes arrive.
deadline_var: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "syndicate_fetch_deadline", default=None
)


class AddressRefused(httpcore.ConnectError):
    """The host resolves to an address partner fetches may not reach."""


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    # IPv4-compatible (deprecated ::a.b.c.d) addresses.
    if int(address) >> 32 == 0 and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` may not be reached, or ``None`` if it is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "a scoped IPv6 address"
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = refusal(embedded)
            return f"{reason} (inside {address})" if reason else None
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    )
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    if not address.is_global:
        return "a non-public address"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def resolve_within(resolver: Resolver, host: str, port: int, timeout: float | None) -> list[str]:
    """``resolver(host, port)``, or ``httpcore.ConnectTimeout`` after ``timeout`` seconds."""
    if timeout is None:
        return list(resolver(host, port))
    answer: queue.SimpleQueue[list[str] | BaseException] = queue.SimpleQueue()

    def look_up() -> None:
        try:
            answer.put(list(resolver(host, port)))
        except BaseException as exc:  # handed to the caller, raised there
            answer.put(exc)

    threading.Thread(target=look_up, name=f"dns {host}", daemon=True).start()
    try:
        found = answer.get(timeout=max(timeout, 0.0))
    except queue.Empty:
        raise httpcore.ConnectTimeout(f"resolving {host} took more than {timeout:.1f} s") from None
    if isinstance(found, BaseException):
        raise found
    return found


def checked_addresses(
    host: str,
    port: int,
    *,
    allow_private: bool,
    resolver: Resolver = system_resolver,
    timeout: float | None = None,
) -> list[str]:
    """The addresses of ``host`` to connect to; refuses the host if any of them is refused.
    Resolving takes at most ``timeout`` seconds (``None``: as long as the resolver takes)."""
    try:
        addresses = resolve_within(resolver, host.strip("[]"), port, timeout)
    except (OSError, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    if not addresses:
        raise httpcore.ConnectError(f"{host} has no address")
    if allow_private:
        return addresses
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        reason = refusal(address)
        if reason:
            shown = host if host.strip("[]") == text else f"{host} ({text})"
            raise AddressRefused(f"{shown} is {reason}: refused")
    return addresses


def _remaining(timeout: float | None) -> float | None:
    deadline = deadline_var.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the fetch deadline passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write also honours the fetch deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _remaining(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _remaining(timeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = self.inner.start_tls(ssl_context, server_hostname, _remaining(timeout))
        return DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolves, checks each address, then connects to a checked address (never the name)."""

    def __init__(self, *, allow_private: bool, resolver: Resolver = system_resolver) -> None:
        self.allow_private = allow_private
        self.resolver = resolver
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = checked_addresses(
            host,
            port,
            allow_private=self.allow_private,
            resolver=self.resolver,
            timeout=_remaining(timeout),
        )
        error: Exception | None = None
        for address in addresses:
            try:
                stream = self.inner.connect_tcp(
                    address, port, _remaining(timeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            return DeadlineStream(stream)
        assert error is not None
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not partner sources")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)
