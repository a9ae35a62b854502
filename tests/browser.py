"""Browser testing: live WSGI servers on loopback and Debian's Chromium driven by Playwright.

A pytest plugin, loaded by ``tests/conftest.py``. What it gives a test:

- ``live_server(app=None)``: a factory; each call serves a WSGI app with a real threaded server
  on ``127.0.0.1`` and a free port chosen by the OS, in a background thread, stopped at
  teardown (or earlier with ``.stop()``, which also cuts open keep-alive connections, so the
  browser sees a site that is really down). ``app`` may be set after the server exists, when
  the app needs to know its own URL (``server.app = create_app(... base_url=server.url)``).
- ``static_site(pages)``: a tiny WSGI app serving fixed pages (a partner's host page).
- ``browser``: a fresh headless Chromium (``/usr/bin/chromium``, its own ``--user-data-dir``)
  for one test, as a Playwright ``BrowserContext``. Playwright's own browser builds are never
  used or downloaded. Tests using it skip, saying why, when Chromium or Playwright is missing.
- ``watch(page)``: records console messages, uncaught page errors and dialogs of a page.
- ``artifacts``: ``tests/artifacts/`` (ignored by git), for screenshots.

Mark browser tests with ``@pytest.mark.browser`` so that ``-m "not browser"`` skips them.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from playwright.sync_api import BrowserContext, ConsoleMessage, Dialog, Page, Playwright

CHROMIUM = Path(os.environ.get("SYNDICATE_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
NETWORK_FAILURE = "Failed to load resource"
"""How Chromium reports a failed request (refused, 404...) on the console: not a script error."""


class _QuietHandler(WSGIRequestHandler):
    """No access log; remembers its connection so that ``LiveServer.stop`` can cut it."""

    def setup(self) -> None:
        super().setup()
        self.server.live_connections.add(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        self.server.live_connections.discard(self.connection)  # type: ignore[attr-defined]
        super().finish()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LiveServer:
    """A WSGI app served on ``127.0.0.1:<free port>`` by a threaded server in the background."""

    def __init__(self, app: WSGIApplication | None = None, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self._server: BaseWSGIServer = make_server(
            host, 0, self._dispatch, threaded=True, request_handler=_QuietHandler
        )
        self._server.live_connections = set()  # type: ignore[attr-defined]
        self.port: int = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"live-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self.running = True

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _dispatch(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no app yet\n"]
        return self.app(environ, start_response)

    def stop(self) -> None:
        """Stop listening and cut every open connection: the site is down from now on."""
        if not self.running:
            return
        self.running = False
        self._server.shutdown()
        self._server.server_close()
        for connection in list(self._server.live_connections):  # type: ignore[attr-defined]
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)


def static_site(
    pages: Mapping[str, tuple[str, str] | str], headers: Iterable[tuple[str, str]] = ()
) -> WSGIApplication:
    """A WSGI app serving ``pages``: path -> HTML, or path -> (content type, body); else 404.

    ``headers`` are sent with every page (a Content-Security-Policy, say).
    """
    extra = list(headers)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        found = pages.get(environ.get("PATH_INFO", "/"))
        if found is None:
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"not found\n"]
        content_type, body = found if isinstance(found, tuple) else ("text/html", found)
        data = body.encode("utf-8")
        start_response(
            "200 OK",
            [
                ("Content-Type", f"{content_type}; charset=utf-8"),
                ("Content-Length", str(len(data))),
                ("Cache-Control", "no-store"),
                *extra,
            ],
        )
        return [data]

    return app


@dataclass
class PageWatch:
    """What a page said and did: console messages, uncaught errors, dialogs (dismissed)."""

    console: list[tuple[str, str, str]] = field(default_factory=list)
    """(type, text, URL of the resource or script)."""
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> PageWatch:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("dialog", self._on_dialog)
        return self

    def _on_console(self, message: ConsoleMessage) -> None:
        self.console.append((message.type, message.text, message.location.get("url", "")))

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def network_failures(self) -> list[str]:
        """URLs Chromium reported as failed loads (its console line, not a script error)."""
        return [
            url for kind, text, url in self.console if kind == "error" and NETWORK_FAILURE in text
        ]

    def problems(self, expected_failures: Callable[[str], bool] = lambda url: False) -> list[str]:
        """Uncaught errors, dialogs, console errors; failed loads only where not expected.

        The browser's own request for ``/favicon.ico`` is no page's doing and never counts.
        """
        found = [f"uncaught: {error}" for error in self.page_errors]
        found += [f"dialog {dialog}" for dialog in self.dialogs]
        for kind, text, url in self.console:
            if kind != "error":
                continue
            if NETWORK_FAILURE in text and (
                expected_failures(url) or urlsplit(url).path == "/favicon.ico"
            ):
                continue
            found.append(f"console error: {text} ({url})")
        return found


def chromium_missing() -> str | None:
    """Why browser tests cannot run here, or ``None``."""
    if not CHROMIUM.exists():
        return (
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium when apt-get can "
            "(or run `apt-get install -y chromium`)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -e '.[dev]'"
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives headless Chromium (skipped when /usr/bin/chromium is missing)"
    )


@pytest.fixture
def live_server() -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def start(app: WSGIApplication | None = None) -> LiveServer:
        server = LiveServer(app)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def browser(playwright_driver: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """A fresh headless Chromium with its own profile, closed after the test."""
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=str(CHROMIUM),
        headless=True,
        args=list(CHROMIUM_ARGS),
        locale="fr-FR",
        timezone_id="UTC",
        viewport={"width": 1100, "height": 900},
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def watch() -> Callable[[Page], PageWatch]:
    return lambda page: PageWatch().attach(page)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def free_port_without_server() -> str:
    """A loopback URL on which nothing listens (a site that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class SilentServer:
    """Accepts TCP connections on loopback and never answers (a site that is up but stuck)."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def close(self) -> None:
        self._socket.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
"""axe-core's WCAG 2.0 and 2.1 rules of levels A and AA."""


def axe_findings(
    page: Page, name: str, artifacts: Path, context: dict[str, Any] | None = None
) -> list[str]:
    """axe-core's violations on the page (or in ``context``), one line each; every finding is
    also written to ``artifacts/a11y-<name>.json``."""
    from axe_playwright_python.sync_playwright import Axe

    results: dict[str, Any] = Axe().run(page, context=context, options=AXE_RULES).response
    violations = results["violations"]
    (artifacts / f"a11y-{name}.json").write_text(
        json.dumps(violations, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return [
        f"{name}: {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in violations
    ]
