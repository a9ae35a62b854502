"""HTML allow-list for every fragment we store: the newsroom's and, later, partners'.

Built on nh3 (ammonia): anything not listed here is dropped, ``script``/``style`` with their
content. Relative URLs are resolved against the fragment's base so feeds carry absolute URLs.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s",
        "small", "sub", "sup", "mark", "abbr", "cite", "q", "blockquote", "code", "pre",
        "ul", "ol", "li", "dl", "dt", "dd", "a", "img", "figure", "figcaption",
        "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "span", "time",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "time": {"datetime"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
# Characters XML 1.0 forbids: they would make every feed carrying them invalid.
_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def strip_xml_invalid(text: str) -> str:
    return _XML_INVALID_RE.sub("", text)


def has_xml_invalid(text: str) -> bool:
    return _XML_INVALID_RE.search(text) is not None


def sanitize_html(fragment: str, base_url: str) -> str:
    """The fragment reduced to the allow-list, URLs made absolute against ``base_url``."""

    def absolutize(tag: str, attribute: str, value: str) -> str | None:
        if attribute not in _URL_ATTRIBUTES:
            return value
        resolved = urljoin(base_url, value.strip())
        scheme = urlsplit(resolved).scheme.lower()
        if scheme not in URL_SCHEMES or (tag == "img" and scheme == "mailto"):
            return None
        return resolved

    cleaned = nh3.clean(
        strip_xml_invalid(fragment),
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        attribute_filter=absolutize,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return cleaned.strip()


_SPACES_RE = re.compile(r"\s+")


def plain_text(fragment: str, *, is_html: bool = True) -> str:
    """Plain text of a fragment: markup (and script/style content) dropped, entities decoded,
    whitespace collapsed. For titles and names, which are escaped wherever they are shown."""
    text = strip_xml_invalid(fragment)
    if is_html:
        text = html.unescape(nh3.clean(text, tags=set(), attributes={}, strip_comments=True))
    return _SPACES_RE.sub(" ", text).strip()


# Block ends become spaces first, so "<p>Fin.</p><p>Début" does not read "Fin.Début".
_BLOCK_END_RE = re.compile(r"</(?:p|div|li|h[1-6]|blockquote|figcaption|td|th)>|<br\s*/?>", re.I)


def excerpt(content_html: str, length: int) -> str:
    """The plain text of an HTML fragment, cut at a word boundary to at most ``length``
    characters (an ellipsis marks the cut)."""
    text = plain_text(_BLOCK_END_RE.sub(r" \g<0>", content_html))
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"
