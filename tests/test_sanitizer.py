from __future__ import annotations

import pytest

from syndicate.sanitizer import sanitize_html

BASE = "https://news.example/articles/"


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="  JaVaScRiPt:alert(1)">x</a>',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
        '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
        '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
        "<style>body{display:none}</style>",
        '<p style="background:url(javascript:alert(1))">x</p>',
        '<form action="https://evil.example"><input name="q"><button>go</button></form>',
        "<svg><script>alert(1)</script></svg>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        '<object data="x.swf"></object><embed src="x.swf">',
        '<meta http-equiv="refresh" content="0;url=https://evil.example">',
        "<!--<img src=x onerror=alert(1)>-->",
        '<a href="vbscript:msgbox(1)">x</a>',
        "<base href='https://evil.example/'>",
    ],
)
def test_hostile_fragments_are_neutralised(hostile: str) -> None:
    cleaned = sanitize_html(hostile, BASE).lower()
    for marker in ("<script", "onerror", "onload", "javascript:", "vbscript:", "data:", "<style",
                   "style=", "<form", "<input", "<iframe", "srcdoc", "<object", "<embed", "<meta",
                   "<base", "<svg"):  # fmt: skip
        assert marker not in cleaned, (hostile, cleaned)


def test_allowed_markup_survives_with_absolute_urls() -> None:
    html = (
        '<h2>Titre</h2><p>Un <strong>texte</strong> et <a href="../politique/x">un lien</a>.</p>'
        '<blockquote>« Citation »</blockquote><img src="/media/a.jpg" alt="Bamako">'
        '<ul><li>un</li></ul><a href="mailto:redaction@example.org">écrire</a>'
    )
    cleaned = sanitize_html(html, BASE)
    assert (
        '<a href="https://news.example/politique/x" rel="noopener noreferrer">un lien</a>'
        in cleaned
    )
    assert '<img src="https://news.example/media/a.jpg" alt="Bamako">' in cleaned
    assert "<blockquote>« Citation »</blockquote>" in cleaned
    assert 'href="mailto:redaction@example.org"' in cleaned


def test_control_characters_are_removed() -> None:
    assert sanitize_html("<p>a\x00b\x0bc</p>", BASE) == "<p>abc</p>"


def test_excerpt_reads_blocks_apart_and_cuts_at_a_word() -> None:
    from syndicate.sanitizer import excerpt

    assert excerpt("<p>Fin.</p><p>Début &amp; suite</p>", 100) == "Fin. Début & suite"
    assert excerpt("<p>Les armées du Sahel, réunies</p>", 22) == "Les armées du Sahel…"
