"""Accessibility of every kind of page, checked by axe-core (Deque's rules engine, WCAG 2.x A and
AA) in Debian's Chromium: the public site, the embeds and the operators' console, with the demo
content and partner stories. Each page's findings go to tests/artifacts/a11y-<page>.json."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask

from syndicate.demo import add_demo_partners, load_demo
from syndicate.services import services
from tests.admin_helpers import NAME, PASSWORD, console_app
from tests.browser import LiveServer, axe_findings
from tests.conftest import FakeClock

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]

PUBLIC_PAGES = {
    "home": "/",
    "category": "/categories/politique",
    "article": "/articles/bamako-chefs-etat-major-aes-plan-defense-securite",
    "not-found": "/articles/nulle-part",
    "embed-help": "/embed",
    "embed-frame": "/embed/securite?related=1",
}
CONSOLE_PAGES = {
    "console-dashboard": "/admin/",
    "console-sources": "/admin/sources",
    "console-source": "/admin/sources/1",
    "console-source-edit": "/admin/sources/1/edit",
    "console-new-source": "/admin/sources/new",
    "console-opml": "/admin/sources/opml",
    "console-articles": "/admin/articles",
    "console-tokens": "/admin/tokens",
}


@pytest.fixture
def site(
    live_server: Callable[..., LiveServer], database_url: str, tmp_path: Path, clock: FakeClock
) -> Iterator[LiveServer]:
    server = live_server()
    app: Flask = console_app(
        database_url, tmp_path, clock, base_url=server.url, related_embeddings="off"
    )
    server.app = app
    svc = services(app)
    load_demo(svc.newsroom)
    add_demo_partners(svc.aggregator, server.url)
    svc.aggregator.run_pass()  # the demo partners' feeds, from this very server
    svc.related.rebuild()
    yield server
    server.stop()
    svc.aggregator.close()
    svc.store.dispose()


def test_public_pages_and_embeds_pass_axe(
    site: LiveServer, browser: BrowserContext, artifacts: Path
) -> None:
    page = browser.new_page()
    found: list[str] = []
    for name, path in PUBLIC_PAGES.items():
        response = page.goto(site.url + path)
        assert response is not None
        assert response.status == (404 if name == "not-found" else 200), path
        found += axe_findings(page, name, artifacts)
    page.goto(site.url + PUBLIC_PAGES["article"])
    assert page.get_by_role("heading", name="À lire aussi").is_visible()
    assert found == []


def test_console_pages_pass_axe(site: LiveServer, browser: BrowserContext, artifacts: Path) -> None:
    page = browser.new_page()
    page.goto(site.url + "/admin/sign-in")
    found = axe_findings(page, "console-sign-in", artifacts)
    page.get_by_label("Identifiant").fill(NAME)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    for name, path in CONSOLE_PAGES.items():
        page.goto(site.url + path)
        assert page.url == site.url + path, f"{path} led to {page.url}"  # signed in
        found += axe_findings(page, name, artifacts)
    assert found == []
