"""The operators' console in a real browser (Debian's Chromium driven by Playwright), against a
live server on loopback and a fake partner server (see tests/browser.py and tests/partners.py).
Screenshots of the dashboard and the sources page go to tests/artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask

from syndicate.aggregate import opml
from syndicate.services import services
from tests.admin_helpers import NAME, PASSWORD, console_app
from tests.browser import LiveServer, PageWatch
from tests.conftest import FakeClock
from tests.partners import PartnerServer, Reply, data

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.browser

XSS_TITLE = '<script>alert("titre")</script><img src=x onerror=alert(2)>Niamey'
XSS_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Le Pi\xc3\xa8ge</title><link>https://piege.example/</link>
<description>d</description>
<item><title>&amp;lt;script&amp;gt;alert("titre")&amp;lt;/script&amp;gt;&amp;lt;img src=x
onerror=alert(2)&amp;gt;Niamey</title><link>https://piege.example/1</link><guid>p1</guid>
<description>&lt;p onclick="alert(4)"&gt;R\xc3\xa9sum\xc3\xa9&lt;/p&gt;
&lt;script&gt;alert(5)&lt;/script&gt;&lt;img src="x" onerror="alert(6)"&gt;</description></item>
</channel></rss>"""


@dataclass
class Console:
    server: LiveServer
    app: Flask
    partner: PartnerServer

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def console(
    live_server: Callable[..., LiveServer], database_url: str, tmp_path: Path, clock: FakeClock
) -> Iterator[Console]:
    with PartnerServer() as partner:
        partner.serve("/", Reply(body=data("page-with-feed.html"), content_type="text/html"))
        partner.serve("/feeds/rss20.xml", Reply(body=data("rss20.xml")))
        partner.serve("/piege.xml", Reply(body=XSS_FEED))
        server = live_server()
        app = console_app(database_url, tmp_path, clock, base_url=server.url)
        server.app = app
        yield Console(server, app, partner)
        server.stop()
        services(app).aggregator.close()
        services(app).store.dispose()


def open_page(
    browser: BrowserContext, watch: Callable[[Page], PageWatch], url: str
) -> tuple[Page, PageWatch]:
    page = browser.new_page()
    watched = watch(page)
    page.goto(url)
    return page, watched


def sign_in_with_keyboard(page: Page) -> None:
    """The name field has the focus; Tab to the password; Enter submits."""
    page.wait_for_function("document.activeElement && document.activeElement.id === 'f-name'")
    page.keyboard.type(NAME)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def press(page: Page, button: str) -> None:
    """Click a form's button and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def flash(page: Page) -> str:
    return page.locator(".flashes").inner_text()


def add_source(page: Page, console: Console, url: str, category: str) -> None:
    page.goto(console.url + "/admin/sources/new")
    page.get_by_label("Adresse du flux ou du site").fill(url)
    page.get_by_label("Rubrique").select_option(category)
    page.get_by_role("button", name="Voir l’aperçu").click()
    page.get_by_role("heading", name="Premières histoires du flux").wait_for()
    page.get_by_role("button", name="Ajouter cette source").click()
    page.wait_for_url(re.compile(r"/admin/sources/\d+$"))


def test_an_operator_manages_partner_sources(
    browser: BrowserContext,
    watch: Callable[[Page], PageWatch],
    console: Console,
    artifacts: Path,
    tmp_path: Path,
) -> None:
    # A signed-out visitor is sent to sign in, then back where they were going.
    page, watched = open_page(browser, watch, console.url + "/admin/sources")
    assert page.url == console.url + "/admin/sign-in?next=/admin/sources"
    assert page.evaluate("document.activeElement.id") == "f-name"
    sign_in_with_keyboard(page)
    assert page.url == console.url + "/admin/sources"
    assert page.get_by_text("Aucune source pour l’instant").is_visible()

    # Add a partner by its home page: the feed is found, previewed, then saved and fetched.
    page.goto(console.url + "/admin/sources/new")
    page.get_by_label("Adresse du flux ou du site").fill(console.partner.url("/"))
    page.get_by_label("Rubrique").select_option("economie")
    page.get_by_label("Intervalle de récupération").fill("1h")
    press(page, "Voir l’aperçu")
    assert page.get_by_role("heading", level=1).inner_text() == "Aperçu : Le Journal de Dakar"
    assert page.get_by_text("(autodécouverte)").is_visible()
    preview = page.locator(".stories h3").all_inner_texts()
    assert preview[0] == "Le port de Dakar bat son record de trafic" and len(preview) == 3
    assert services(console.app).aggregator.all_sources() == []
    page.get_by_role("button", name="Ajouter cette source").click()
    page.wait_for_url(re.compile(r"/admin/sources/\d+$"))
    assert "Source « Le Journal de Dakar » ajoutée : 3 histoire(s)." in flash(page)
    source_url = page.url

    # Its page: stories as stored and the fetch log.
    assert len(page.locator(".stories .story").all()) == 3
    log = page.locator("table.fetch-log tbody tr")
    assert log.count() == 1 and "récupérée" in log.first.inner_text()

    # Fetch it now: the outcome is shown, the log grows.
    press(page, "Récupérer maintenant")
    assert "Récupérée" in flash(page) and "rien de nouveau" in flash(page)
    assert page.locator("table.fetch-log tbody tr").count() == 2

    # Pause it and see it paused, here and in the table.
    press(page, "Mettre en pause")
    assert "mise en pause" in flash(page)
    assert page.locator("h1 .badge").inner_text() == "en pause"
    page.goto(console.url + "/admin/sources?state=paused")
    assert page.locator("tbody th a").all_inner_texts() == ["Le Journal de Dakar"]
    page.goto(source_url)
    press(page, "Reprendre")

    # The partner fails: the dashboard shows the failure and its reason.
    console.partner.serve("/feeds/rss20.xml", Reply(status=500, body=b"panne"))
    press(page, "Récupérer maintenant")
    assert "Échec (HTTP 500)" in flash(page)
    add_source(page, console, console.partner.url("/piege.xml"), "securite")
    page.goto(console.url + "/admin/")
    failing = page.locator(".card-failing .count")
    assert failing.inner_text() == "1"
    row = page.locator("tbody tr", has_text="Le Journal de Dakar")
    assert "en échec" in row.inner_text() and "answered HTTP 500" in row.inner_text()
    page.screenshot(path=str(artifacts / "admin-dashboard.png"), full_page=True)
    page.goto(console.url + "/admin/sources")
    assert page.locator("tbody th a").all_inner_texts() == ["Le Journal de Dakar", "Le Piège"]
    page.screenshot(path=str(artifacts / "admin-sources.png"), full_page=True)

    # A story with an XSS payload shows as text, and nothing runs.
    page.get_by_role("link", name="Le Piège").first.click()
    title = page.locator(".stories h3").first.inner_text()
    assert title == XSS_TITLE
    assert page.locator(".stories script, .stories [onerror], .stories [onclick]").count() == 0
    assert page.locator(".story-summary").first.inner_text().startswith("Résumé")

    # Export the OPML, read it back, and import it again: nothing changes.
    page.goto(console.url + "/admin/sources/opml")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le fichier OPML").click()
    download = download_info.value
    assert re.fullmatch(r"sources-\d{4}-\d{2}-\d{2}\.opml", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    outlines = opml.read(saved.read_bytes())
    assert sorted((o.url, o.category) for o in outlines) == [
        (console.partner.url("/feeds/rss20.xml"), "economie"),
        (console.partner.url("/piege.xml"), "securite"),
    ]
    page.get_by_label("Fichier OPML").set_input_files(str(saved))
    press(page, "Importer")
    assert "0 ajoutée(s), 0 modifiée(s), 2 inchangée(s)" in flash(page)

    assert watched.problems(lambda url: url.startswith(console.partner.url(""))) == []
    assert watched.dialogs == []


def test_forms_need_their_csrf_token_and_sign_out_closes_the_console(
    browser: BrowserContext, watch: Callable[[Page], PageWatch], console: Console
) -> None:
    page, watched = open_page(browser, watch, console.url + "/admin/sign-in")
    sign_in_with_keyboard(page)
    assert page.url == console.url + "/admin/"

    # A POST without a token (as a forging site would send) is refused, and creates nothing.
    forged = page.request.post(console.url + "/admin/tokens", form={"name": "pirate"})
    assert forged.status == 400 and "Formulaire refusé" in forged.text()
    # A form whose token was tampered with, submitted from the page itself: refused too.
    page.goto(console.url + "/admin/tokens")
    page.locator("form.inline input[name=csrf_token]").evaluate("input => input.value = 'x'")
    page.get_by_label("Nom (qui l’utilise)").fill("pirate")
    page.get_by_role("button", name="Créer le jeton").click()
    assert page.get_by_role("heading", name="Formulaire refusé").is_visible()
    page.goto(console.url + "/admin/tokens")
    assert page.get_by_text("Aucun jeton pour l’instant.").is_visible()

    # With its token, the form works; the secret is shown once.
    page.get_by_label("Nom (qui l’utilise)").fill("cms")
    page.get_by_role("button", name="Créer le jeton").click()
    secret = page.get_by_label("Jeton", exact=True).input_value()
    assert secret.startswith("syn_")
    page.goto(console.url + "/admin/tokens")
    assert secret not in page.content()

    # The skip link is the first thing the keyboard reaches.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(console.url + "/admin/sign-in")
    assert "Vous êtes déconnecté." in flash(page)
    page.goto(console.url + "/admin/tokens")
    assert page.url == console.url + "/admin/sign-in?next=/admin/tokens"
    refused = console.url + "/admin/tokens"  # the tampered form's 400, on purpose
    assert watched.problems(lambda url: url == refused) == []
