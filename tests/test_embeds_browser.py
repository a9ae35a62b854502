"""Partner embeds in a real browser: a partner's page on another loopback origin, with hostile
CSS of its own, embeds our iframe and our script (see tests/browser.py for the machinery)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask

from syndicate.services import services
from syndicate.web.embeds import SCRIPT_TIMEOUT_MS
from tests.browser import (
    LiveServer,
    PageWatch,
    SilentServer,
    axe_findings,
    free_port_without_server,
    static_site,
)
from tests.conftest import FakeClock, article_body, make_app

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.browser

XSS_ARTICLE = "<img src=x onerror=alert(1)>"
XSS_STORY = '"><script>alert(2)</script><img src=x onerror=alert(3)>'
DEMO_IMAGE = "/media/demo/aes-bamako-etat-major.jpg"
LIGHT_BG, DARK_BG = "rgb(255, 255, 255)", "rgb(21, 23, 28)"
LIGHT_LINK = "rgb(10, 77, 140)"
HOST_PINK = "rgb(224, 0, 122)"

HOSTILE_CSS = """
* { color: #e0007a !important; font-family: "Comic Sans MS", cursive !important;
    letter-spacing: 4px !important; text-transform: uppercase !important; }
div, ul, li, p, a, span, img, time { display: inline !important; margin: 30px !important;
    padding: 20px !important; font-size: 30px !important; background: yellow !important; }
a { text-decoration: line-through !important; }
ul, li { list-style: square inside !important; }
img { width: 400px !important; height: 10px !important; }
.sy, .sy-list, .sy-item, .sy-link, .sy-meta { display: none !important; color: red !important; }
div[data-syndicate] { font-size: 40px !important; visibility: visible; }
iframe { border: 4px dashed #e0007a; }
"""


@dataclass
class Site:
    server: LiveServer
    app: Flask

    @property
    def url(self) -> str:
        return self.server.url

    def titles(self, category: str | None, limit: int) -> list[str]:
        page = services(self.app).newsroom.page(category, 1, limit, public_only=True)
        return [article.title for article in page.items]

    def urls(self, category: str, limit: int) -> list[str]:
        page = services(self.app).newsroom.page(category, 1, limit, public_only=True)
        return [f"{self.url}/articles/{article.slug}" for article in page.items]


def related_feed(our_url: str) -> dict[str, Any]:
    """A related-stories JSON Feed as partners' stories may arrive: hostile titles and links."""
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Sécurité : chez nos partenaires",
        "items": [
            {"id": "p1", "url": "https://partenaire.example/russie-togo", "title": XSS_STORY,
             "date_published": "2026-11-20T10:00:00Z", "image": our_url + DEMO_IMAGE,
             "_source": {"name": "Le Partenaire"}},
            {"id": "p2", "url": "javascript:alert(4)", "title": "Lien piégé",
             "date_published": "2026-11-19T10:00:00Z"},
            {"id": "p3", "url": "https://autre.example/thiaroye", "title": "Thiaroye : la mémoire",
             "date_published": "2026-11-01T10:00:00Z"},
        ],
    }  # fmt: skip


class RelatedEngine:
    """Stands in for the related-stories engine (another module's work): its presence is what
    tells embed.js that related feeds exist."""

    def category_stories(self, category: str, limit: int) -> list[Any]:
        return []


def with_related_feeds(app: WSGIApplication, feeds: dict[str, Any]) -> WSGIApplication:
    """Our app, plus ``/feeds/<category>/related.json`` served from ``feeds`` (404 for other
    categories, with CORS like every public JSON), standing in for that feed."""

    def wrapped(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        match = re.fullmatch(r"/feeds/([a-z0-9-]+)/related\.json", environ["PATH_INFO"])
        if match is None:
            return app(environ, start_response)
        found = feeds.get(match.group(1))
        status = "200 OK" if found else "404 Not Found"
        body = json.dumps(found or {"status": 404}).encode()
        start_response(
            status,
            [("Content-Type", "application/feed+json"), ("Access-Control-Allow-Origin", "*")],
        )
        return [body]

    return wrapped


def start_site(
    live_server: Callable[..., LiveServer],
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
    *,
    base_url: str | None = None,
    related: str = "feed",
) -> Site:
    """Our site with 7 articles in ``securite``; ``related``: ``feed`` (partner stories served),
    ``404`` (the engine is there, the feed answers 404) or ``none`` (no engine)."""
    server = live_server()
    app = make_app(database_url, tmp_path, clock, base_url=base_url or server.url)
    newsroom = services(app).newsroom
    for n in range(1, 7):
        newsroom.create(
            article_body(
                slug=f"securite-{n}",
                title=f"Sahel : la coopération militaire, épisode {n}",
                categories=["securite"],
                published_at=f"2026-11-{n:02d}T08:00:00Z",
                image={"url": DEMO_IMAGE, "type": "image/jpeg", "length": 1} if n % 2 else None,
            )
        )
    newsroom.create(
        article_body(
            slug="xss", title=XSS_ARTICLE, categories=["securite"], image=None,
            published_at="2026-11-07T08:00:00Z",
        )
    )  # fmt: skip
    # ``none``: a site without the related-stories engine (the real one is wired by default).
    engine = RelatedEngine() if related != "none" else None
    object.__setattr__(services(app), "related", engine)
    feeds = {"securite": related_feed(server.url)} if related == "feed" else {}
    server.app = with_related_feeds(app, feeds)
    return Site(server, app)


@pytest.fixture
def our_site(
    live_server: Callable[..., LiveServer], database_url: str, tmp_path: Path, clock: FakeClock
) -> Iterator[Site]:
    site = start_site(live_server, database_url, tmp_path, clock)
    yield site
    site.server.stop()
    services(site.app).store.dispose()


def host_page(
    our_url: str, *, frame: bool = True, css: str = f"<style>{HOSTILE_CSS}</style>"
) -> str:
    iframe = (
        f'<iframe id="frame" src="{our_url}/embed/securite?limit=3&amp;theme=dark" '
        'title="Titres" width="100%" height="330"></iframe>'
        if frame
        else ""
    )
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Le Journal du Partenaire</title>
<link rel="icon" href="data:,">
<script src="/host.js"></script>
{css}
</head><body>
<h1 id="host-title">Le Journal du Partenaire</h1>
<p><a id="own-link" href="/">Un lien du partenaire</a></p>
{iframe}
<div id="w-five" data-syndicate="securite" data-limit="5"></div>
<div id="w-three" data-syndicate="securite" data-limit="3" data-theme="dark" data-images="0"></div>
<div id="w-related" data-syndicate="securite" data-related="1" data-theme="auto"></div>
<div id="w-unknown" data-syndicate="inconnue"></div>
<script src="{our_url}/embed.js" async></script>
<script src="{our_url}/embed.js" async></script>
</body></html>"""


HOST_JS = "window.hostGlobals = Object.getOwnPropertyNames(window);"


def serve_host(
    live_server: Callable[..., LiveServer], html: str, headers: Iterable[tuple[str, str]] = ()
) -> LiveServer:
    pages = {
        "/": html,
        "/host.js": ("text/javascript", HOST_JS),
        "/hostile.css": ("text/css", HOSTILE_CSS),
    }
    return live_server(static_site(pages, headers))


def open_page(
    browser: BrowserContext, watch: Callable[[Page], PageWatch], url: str
) -> tuple[Page, PageWatch]:
    page = browser.new_page()
    watched = watch(page)
    page.goto(url, wait_until="load")
    return page, watched


def shadow_style(page: Page, selector: str, inner: str, prop: str) -> str:
    return str(
        page.evaluate(
            "([sel, inner, prop]) => getComputedStyle(document.querySelector(sel)"
            ".shadowRoot.querySelector(inner)).getPropertyValue(prop)",
            [selector, inner, prop],
        )
    )


def has_shadow(page: Page, selector: str) -> bool:
    return bool(page.evaluate("(sel) => document.querySelector(sel).shadowRoot !== null", selector))


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")


# Tests -------------------------------------------------------------------------------------


def test_partner_page_renders_both_embeds_despite_hostile_css(
    browser: BrowserContext,
    watch: Callable[[Page], PageWatch],
    live_server: Callable[..., LiveServer],
    our_site: Site,
    artifacts: Path,
) -> None:
    host = serve_host(live_server, host_page(our_site.url))
    page, watched = open_page(browser, watch, host.url + "/")
    five = page.locator("#w-five .sy-link")
    five.nth(4).wait_for()
    page.locator("#w-related .sy-link").first.wait_for()
    page.locator("#w-three .sy-link").nth(2).wait_for()
    frame = page.frame_locator("#frame")
    frame.locator(".sy-link").nth(2).wait_for()
    settle(page)
    page.screenshot(path=str(artifacts / "embeds-partner-page.png"), full_page=True)

    # Count, order and links, from the script and from the iframe.
    assert five.all_text_contents() == our_site.titles("securite", 5)
    assert [a.get_attribute("href") for a in five.all()] == our_site.urls("securite", 5)
    assert {(a.get_attribute("target"), a.get_attribute("rel")) for a in five.all()} == {
        ("_blank", "noopener")
    }
    assert page.locator("#w-three .sy-link").all_text_contents() == our_site.titles("securite", 3)
    assert page.locator("#w-five .sy-thumb").count() == 2
    assert page.locator("#w-three .sy-thumb").count() == 0
    assert frame.locator(".sy-link").all_text_contents() == our_site.titles("securite", 3)
    assert [a.get_attribute("href") for a in frame.locator(".sy-link").all()] == our_site.urls(
        "securite", 3
    )
    assert page.locator("#w-five .sy-meta").first.text_content() == (
        "Syndicate Afrique de l’Ouest · 7 novembre 2026"
    )

    # Partner stories: text stays text, a javascript: link is dropped.
    related = page.locator("#w-related .sy-link")
    assert related.all_text_contents() == [XSS_STORY, "Thiaroye : la mémoire"]
    assert [a.get_attribute("href") for a in related.all()] == [
        "https://partenaire.example/russie-togo",
        "https://autre.example/thiaroye",
    ]
    assert page.locator("#w-related .sy-meta").all_text_contents() == [
        "Le Partenaire · 20 novembre 2026",
        "autre.example · 1er novembre 2026",
    ]

    # The XSS titles are shown as characters and ran nothing.
    assert five.first.text_content() == XSS_ARTICLE
    assert frame.locator(".sy-link").first.text_content() == XSS_ARTICLE
    injected = page.evaluate(
        """() => [...document.querySelectorAll('[data-syndicate]')].map((el) =>
             el.shadowRoot && el.shadowRoot.querySelectorAll('script, img[src="x"]').length)"""
    )
    assert injected == [0, 0, 0, None]  # the last one names an unknown category
    assert frame.locator('script, img[src="x"]').count() == 0

    # Themes, and the host's CSS does not reach inside; ours does not leak out.
    assert shadow_style(page, "#w-five", ".sy", "background-color") == LIGHT_BG
    assert shadow_style(page, "#w-three", ".sy", "background-color") == DARK_BG
    assert frame.locator(".sy").evaluate("(el) => getComputedStyle(el).backgroundColor") == DARK_BG
    assert shadow_style(page, "#w-five", ".sy-link", "color") == LIGHT_LINK
    assert shadow_style(page, "#w-five", ".sy-link", "font-size") == "15px"
    assert shadow_style(page, "#w-five", ".sy-link", "text-transform") == "none"
    assert shadow_style(page, "#w-five", ".sy-link", "display") == "block"
    assert "Comic Sans" not in shadow_style(page, "#w-five", ".sy", "font-family")
    assert page.locator("#w-five").evaluate("(el) => getComputedStyle(el).display") == "block"
    assert page.locator("#own-link").evaluate("(el) => getComputedStyle(el).color") == HOST_PINK

    # One global name at most; nothing said on the console, no dialog.
    added = page.evaluate(
        "() => Object.getOwnPropertyNames(window)"
        ".filter((n) => !window.hostGlobals.includes(n) && !/^[0-9]+$/.test(n))"  # frames
    )
    assert sorted(added) == ["SyndicateEmbed", "hostGlobals"]

    # The script, included twice, rendered each element once; elements added later on demand.
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('[data-syndicate]')]
             .map((el) => el.shadowRoot ? el.shadowRoot.querySelectorAll('.sy').length : 0)"""
    )
    assert boxes == [1, 1, 1, 0]
    page.evaluate(
        """() => { const el = document.createElement('div'); el.id = 'w-later';
                   el.dataset.syndicate = 'all'; el.dataset.limit = '2';
                   document.body.append(el); window.SyndicateEmbed.render(); }"""
    )
    assert page.locator("#w-later .sy-link").nth(1).text_content() == our_site.titles(None, 2)[1]
    assert page.locator("#w-later .sy-link").count() == 2
    assert watched.problems() == []
    assert watched.dialogs == []


def test_the_script_widgets_pass_axe(
    browser: BrowserContext,
    live_server: Callable[..., LiveServer],
    our_site: Site,
    artifacts: Path,
) -> None:
    """Inside a partner's page (its CSS hostile), each rendered widget, light and dark, in its
    shadow root (axe reads open shadow roots): axe-core's WCAG 2.1 A/AA rules find nothing."""
    host = serve_host(live_server, host_page(our_site.url))
    page = browser.new_page()
    page.goto(host.url + "/")
    page.locator("#w-five .sy-link").nth(4).wait_for()
    page.locator("#w-three .sy-link").nth(2).wait_for()
    page.locator("#w-related .sy-link").first.wait_for()
    widgets = {"include": [["#w-five"], ["#w-three"], ["#w-related"]]}
    assert axe_findings(page, "embed-script", artifacts, context=widgets) == []


def test_script_under_a_strict_partner_csp(
    browser: BrowserContext,
    watch: Callable[[Page], PageWatch],
    live_server: Callable[..., LiveServer],
    our_site: Site,
) -> None:
    ours = our_site.url
    csp = (
        f"default-src 'none'; script-src 'self' {ours}; connect-src {ours}; frame-src {ours}; "
        f"img-src 'self' data: {ours}; style-src 'self'"
    )
    html = host_page(ours, css='<link rel="stylesheet" href="/hostile.css">')
    host = serve_host(live_server, html, [("Content-Security-Policy", csp)])
    page, watched = open_page(browser, watch, host.url + "/")
    page.locator("#w-five .sy-link").nth(4).wait_for()
    page.frame_locator("#frame").locator(".sy-link").nth(2).wait_for()
    settle(page)
    assert shadow_style(page, "#w-five", ".sy", "background-color") == LIGHT_BG
    assert shadow_style(page, "#w-three", ".sy", "background-color") == DARK_BG
    assert watched.problems() == []


@pytest.mark.parametrize("related", ["404", "none"])
def test_missing_related_feed_leaves_its_element_empty(
    browser: BrowserContext,
    watch: Callable[[Page], PageWatch],
    live_server: Callable[..., LiveServer],
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
    related: str,
) -> None:
    site = start_site(live_server, database_url, tmp_path, clock, related=related)
    try:
        host = serve_host(live_server, host_page(site.url, frame=False))
        page = browser.new_page()
        watched = watch(page)
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        page.goto(host.url + "/")
        page.locator("#w-five .sy-link").nth(4).wait_for()
        settle(page)
        assert not has_shadow(page, "#w-related")
        assert not has_shadow(page, "#w-unknown")
        related_url = f"{site.url}/feeds/securite/related.json"
        if related == "404":  # asked, refused: the browser logs the 404, the script says nothing
            assert watched.network_failures() == [related_url]
            assert watched.problems(lambda url: url == related_url) == []
        else:  # no related feeds on this site: not even asked
            assert related_url not in asked
            assert watched.problems() == []
    finally:
        site.server.stop()
        services(site.app).store.dispose()


def test_with_our_site_down_the_partner_page_loads_without_error(
    browser: BrowserContext,
    watch: Callable[[Page], PageWatch],
    live_server: Callable[..., LiveServer],
    our_site: Site,
    artifacts: Path,
) -> None:
    host = serve_host(live_server, host_page(our_site.url))
    our_site.server.stop()
    page, watched = open_page(browser, watch, host.url + "/")
    settle(page)
    page.screenshot(path=str(artifacts / "embeds-site-down.png"), full_page=True)
    assert page.locator("#host-title").text_content() == "Le Journal du Partenaire"
    assert page.evaluate("() => window.SyndicateEmbed === undefined")
    for widget in ("#w-five", "#w-three", "#w-related"):
        assert not has_shadow(page, widget)
        assert page.locator(widget).inner_html() == ""
    assert watched.problems(lambda url: url.startswith(our_site.url)) == []


def test_script_loaded_but_api_down_leaves_elements_empty(
    browser: BrowserContext,
    watch: Callable[[Page], PageWatch],
    live_server: Callable[..., LiveServer],
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
) -> None:
    down = free_port_without_server()
    site = start_site(live_server, database_url, tmp_path, clock, base_url=down)
    try:
        html = host_page(down, frame=False).replace(f"{down}/embed.js", f"{site.url}/embed.js")
        host = serve_host(live_server, html)
        page, watched = open_page(browser, watch, host.url + "/")
        page.wait_for_function("() => window.SyndicateEmbed !== undefined")
        settle(page)
        for widget in ("#w-five", "#w-three", "#w-related"):
            assert not has_shadow(page, widget)
        assert watched.problems(lambda url: url.startswith(down)) == []
    finally:
        site.server.stop()
        services(site.app).store.dispose()


def test_script_gives_up_on_a_stuck_site_after_its_timeout(
    browser: BrowserContext,
    watch: Callable[[Page], PageWatch],
    live_server: Callable[..., LiveServer],
    silent_server: SilentServer,
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
) -> None:
    stuck = silent_server.url
    site = start_site(live_server, database_url, tmp_path, clock, base_url=stuck)
    try:
        html = host_page(stuck, frame=False).replace(f"{stuck}/embed.js", f"{site.url}/embed.js")
        host = serve_host(live_server, html)
        page = browser.new_page()
        watched = watch(page)
        failed: list[str] = []
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.clock.install()
        with page.expect_request(lambda request: request.url.startswith(stuck)):
            page.goto(host.url + "/", wait_until="load")
        assert page.locator("#host-title").is_visible()
        assert failed == []
        page.clock.run_for(SCRIPT_TIMEOUT_MS + 1000)
        for _ in range(100):  # the aborts are reported asynchronously (real time, not the clock)
            if len(failed) == 3:
                break
            page.wait_for_timeout(20)
        assert sorted({url.split("?")[0] for url in failed}) == [
            f"{stuck}/api/v1/articles",
            f"{stuck}/feeds/securite/related.json",
        ]
        for widget in ("#w-five", "#w-three", "#w-related"):
            assert not has_shadow(page, widget)
        assert watched.problems(lambda url: url.startswith(stuck)) == []
    finally:
        site.server.stop()
        services(site.app).store.dispose()


def test_our_page_for_partners_previews_both_embeds(
    browser: BrowserContext,
    watch: Callable[[Page], PageWatch],
    our_site: Site,
    artifacts: Path,
) -> None:
    page, watched = open_page(browser, watch, our_site.url + "/embed?category=securite&limit=3")
    page.frame_locator("iframe.embed-preview").locator(".sy-link").nth(2).wait_for()
    page.locator("div.embed-preview .sy-link").nth(2).wait_for()
    settle(page)
    page.screenshot(path=str(artifacts / "embeds-page-for-partners.png"), full_page=True)
    assert page.locator("div.embed-preview .sy-link").count() == 3
    snippet = page.locator("#snippet-script").input_value()
    assert snippet == (
        '<div data-syndicate="securite" data-limit="3"></div>\n'
        f'<script src="{our_site.url}/embed.js" async></script>'
    )
    assert watched.problems() == []
