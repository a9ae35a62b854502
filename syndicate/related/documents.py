"""What the ranker reads and returns: plain values, built from articles and partner stories."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Literal

import numpy as np
import numpy.typing as npt

from syndicate.types import Article, Source, Story

Kind = Literal["article", "story"]

_BLOCKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
     "figcaption", "figure", "table", "tr", "td", "th", "section", "article", "header",
     "footer", "pre", "hr", "dd", "dt"}
)  # fmt: skip
_SKIPPED = frozenset({"script", "style", "template", "noscript"})


@dataclass(frozen=True)
class Document:
    """One candidate for "More Stories": our article or a partner's story, as plain text."""

    id: str
    """Unique across kinds, e.g. ``article:12`` or ``story:345``."""
    kind: Kind
    title: str
    text: str = ""
    """Plain text after the title: summary and body, or a short summary, or nothing."""
    categories: frozenset[str] = field(default_factory=frozenset)
    published_at: datetime | None = None
    source: str = ""
    """Who published it: our site, or the partner's name."""
    embedding: npt.NDArray[np.float32] | None = field(default=None, compare=False, repr=False)
    """The title's sentence embedding (L2-normalised), when the embeddings extra is in use."""


@dataclass(frozen=True)
class Match:
    """One related item: a document id and how related it is (from 0.3, the threshold: about
    0.3 to 1.5 on words, up to about 3 for two bare titles with the embeddings)."""

    id: str
    kind: Kind
    score: float
    duplicates: tuple[str, ...] = ()
    """Ids of near-duplicates (the same story from other sources) folded into this entry."""


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment, one line per block, without scripts or styles."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def article_document(article: Article, source: str = "") -> Document:
    """The ranker's view of one of our articles: summary then body, as plain text."""
    body = html_to_text(article.content_html)
    text = "\n".join(part for part in (article.summary.strip(), body) if part)
    return Document(
        id=f"article:{article.id}",
        kind="article",
        title=article.title,
        text=text,
        categories=frozenset(article.categories),
        published_at=article.published_at,
        source=source,
    )


def story_document(story: Story, source: Source) -> Document:
    """The ranker's view of a partner's story: its content (else its summary) as plain text.

    Its category is the one its source is mapped to.
    """
    text = html_to_text(story.content_html) or html_to_text(story.summary_html)
    return Document(
        id=f"story:{story.id}",
        kind="story",
        title=story.title,
        text=text,
        categories=frozenset({source.category}),
        published_at=story.published_at,
        source=source.name,
    )
