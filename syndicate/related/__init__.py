"""Related stories: French-aware matching and ranking, pure functions over types, no I/O.

index = RelatedIndex()
index.rebuild(documents)              # or index.add(doc) / index.remove(doc_id)
index.related("article:12", limit=5)  # -> [Match(id, kind, score, duplicates), ...]
"""

from syndicate.related.documents import (
    Document,
    Kind,
    Match,
    article_document,
    html_to_text,
    story_document,
)
from syndicate.related.index import DEFAULT_CONFIG, RankConfig, RelatedIndex, rank

__all__ = [
    "DEFAULT_CONFIG",
    "Document",
    "Kind",
    "Match",
    "RankConfig",
    "RelatedIndex",
    "article_document",
    "html_to_text",
    "rank",
    "story_document",
]
