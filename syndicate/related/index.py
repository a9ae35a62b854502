"""The related-stories index: add, update, remove documents; ask what is related to one.

How a score is made (all of it in memory, no I/O):

1. Each document becomes a TF-IDF vector ``h`` (scikit-learn ``FeatureHasher`` +
   ``TfidfTransformer``, sublinear tf) over the terms of :func:`syndicate.related.french.analyse`:
   stems, word prefixes and name pairs, the title and names weighted up.
2. Each document is expanded with its ``k`` nearest neighbours in the index (pseudo-relevance
   feedback on both sides): ``e = h + b * mean(h of the neighbours)``. Short texts (a title, a
   title and a summary) borrow the words of the stories around them, so « Le ras-le-bol des
   Écureuil » meets « Caisse d'Épargne ».
3. Text score = cosine(e_query, e_candidate), computed as ``(I + b K) H e_query`` over an
   inverted index without storing the expanded vectors (``K`` = neighbour lists).
4. With the embeddings extra (``syndicate.related.semantic``), the cosine of the two titles'
   sentence embeddings, above a floor, is added to the text score, weighted by how short the
   shorter of the two texts is: a title alone leans on it, a full article hardly at all.
5. Below ``min_score`` a candidate is dropped: fewer results rather than filler. Above it, the
   score is multiplied by a category factor (shares a category) and a recency factor (older
   than the query by much: weighs less; newer follow-ups: no penalty).
6. Walking down the ranking, near-duplicates (MinHash of title + lead shingles) of the query or
   of an item already kept are folded into that item; the query itself never appears.

Incremental: ``add`` computes the new document's vector with the IDF frozen at the last
:meth:`RelatedIndex.reindex`, finds its neighbours and offers it as a neighbour to the documents
it is closest to; ``remove`` hides a document at once. :meth:`RelatedIndex.rebuild` (or
:meth:`reindex`, which reuses the stored term counts) refreshes the IDF and every neighbour list.
Small indexes reindex themselves when they have doubled since the last time.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import TfidfTransformer
from threadpoolctl import ThreadpoolController

from syndicate.related.documents import Document, Kind, Match
from syndicate.related.duplicates import Signer, similarities
from syndicate.related.french import DEFAULT_WEIGHTS, Weights, analyse
from syndicate.related.sparse import (
    RowStore,
    dot_rows,
    grouped_norms,
    prune,
    prune_rows,
    row_top_k,
    top,
    weighted_sum,
)

G = TypeVar("G", bound=np.generic)
Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int32]

DAY = 86_400.0


@dataclass(frozen=True)
class RankConfig:
    """Every knob of the ranking, with the values the benchmark was run with."""

    weights: Weights = field(default_factory=lambda: DEFAULT_WEIGHTS)
    neighbours: int = 20
    """How many nearest neighbours expand each document (pseudo-relevance feedback)."""
    expansion: float = 16.0
    """Weight of the neighbours (each weighted by its similarity, over ``neighbours``)."""
    neighbour_min: float = 0.05
    """A document closer than this (plain cosine) is not a neighbour."""
    min_score: float = 0.3
    """Text score below which a candidate is not related (fewer results rather than filler)."""
    category_boost: float = 0.2
    """Score multiplied by 1 + this when the candidate shares a category with the query."""
    recency_half_life_days: float = 180.0
    """A candidate this much older than the query loses half of what it can lose."""
    recency_floor: float = 0.5
    """The most an old candidate's score is multiplied down to."""
    semantic_weight: float = 2.0
    """Weight of the title embeddings' similarity, when documents carry embeddings (0: off)."""
    semantic_floor: float = 0.86
    """Embedding cosine counted from (e5 puts unrelated French titles around 0.75 to 0.85)."""
    semantic_words: float = 15.0
    """The embeddings weigh ``w / (w + words of the shorter text)``: fully on titles alone."""
    duplicate_threshold: float = 0.5
    """Estimated Jaccard similarity of title + lead shingles above which two are one story."""
    lead_words: int = 40
    num_perm: int = 64
    query_terms: int = 400
    """The expanded query keeps its heaviest terms only (bounds the cost of long articles)."""
    neighbour_terms: int = 40
    """When reindexing, neighbours are found with each document's heaviest terms only..."""
    neighbour_postings: int = 64
    """... looked up in each term's heaviest postings only; similarities are then exact."""
    hash_features: int = 2**22
    offer_limit: int = 20
    """A new document is offered as neighbour to at most this many of its closest documents."""
    auto_reindex_limit: int = 20_000
    """Up to this size, the index reindexes itself each time it has doubled."""


DEFAULT_CONFIG = RankConfig()


class Asked(NamedTuple):
    """A query made ready: its slot if indexed, its TF-IDF row and its neighbours."""

    slot: int | None
    vector: sp.csr_matrix
    ids: Ints
    sims: Floats
    doc: Document


class RelatedIndex:
    """Documents to relate, in memory. Not thread-safe: guard it with a lock if shared."""

    def __init__(self, config: RankConfig = DEFAULT_CONFIG) -> None:
        self.config = config
        self._hasher = FeatureHasher(
            n_features=config.hash_features,
            input_type="dict",
            alternate_sign=False,
            dtype=np.float32,
        )
        self._signer = Signer(config.num_perm, config.lead_words)
        self._clear()

    # ---- state -------------------------------------------------------------------------------

    def _clear(self) -> None:
        k = self.config.neighbours
        self._ids: list[str] = []
        self._slot: dict[str, int] = {}
        self._kinds: list[Kind] = []
        self._stories = np.zeros(0, dtype=bool)
        self._alive = np.zeros(0, dtype=bool)
        self._times = np.zeros(0, dtype=np.float64)
        self._categories = np.zeros(0, dtype=np.uint64)
        self._category_bits: dict[str, int] = {}
        self._signatures = np.zeros((0, self.config.num_perm), dtype=np.uint64)
        self._signed = np.zeros(0, dtype=bool)
        self._leads: list[str] = []
        self._neighbours = np.zeros((0, k), dtype=np.int32)
        self._neighbour_sims = np.zeros((0, k), dtype=np.float32)
        self._norms = np.zeros(0, dtype=np.float32)
        self._words = np.zeros(0, dtype=np.int32)
        self._embedded = np.zeros(0, dtype=bool)
        self._embeddings = np.zeros((0, 0), dtype=np.float32)
        """Title embeddings, one row per slot (no columns until the first one arrives)."""
        self._raw = RowStore(self.config.hash_features)
        self._vectors = RowStore(self.config.hash_features)
        self._inverted: sp.csr_matrix = sp.csr_matrix(
            (self.config.hash_features, 0), dtype=np.float32
        )
        self._tfidf: TfidfTransformer | None = None
        self._indexed_size = 0
        self._spread: sp.csr_matrix = sp.csr_matrix((0, 0), dtype=np.float32)
        """The neighbour weights of the first rows as one sparse matrix (``b K`` above)."""
        self._changed: set[int] = set()
        """Rows of ``_spread`` whose neighbours changed since it was built."""

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._slot

    @property
    def ids(self) -> list[str]:
        return list(self._slot)

    @property
    def nbytes(self) -> int:
        """Memory held by the index's arrays and matrices (Python strings not counted)."""
        arrays = [
            self._alive, self._stories, self._times, self._categories, self._signatures,
            self._signed, self._neighbours, self._neighbour_sims, self._norms, self._words,
            self._embedded, self._embeddings,
        ]  # fmt: skip
        matrices = [self._inverted, self._raw.main, self._vectors.main, *self._raw.pending]
        matrices += self._vectors.pending
        total: int = sum(a.nbytes for a in arrays)
        total += sum(int(m.data.nbytes + m.indices.nbytes + m.indptr.nbytes) for m in matrices)
        if self._tfidf is not None:
            total += int(self._tfidf.idf_.nbytes)
        return total

    def _grow(self, extra: int) -> None:
        need = len(self._ids) + extra
        if need <= len(self._alive):
            return
        size = max(need, len(self._alive) + len(self._alive) // 4, 64)
        k = self.config.neighbours

        def grown(array: npt.NDArray[G], fill: object) -> npt.NDArray[G]:
            bigger = np.full((size, *array.shape[1:]), fill, dtype=array.dtype)
            bigger[: len(array)] = array
            return bigger

        self._alive = grown(self._alive, False)
        self._stories = grown(self._stories, False)
        self._times = grown(self._times, np.nan)
        self._categories = grown(self._categories, 0)
        self._signatures = grown(self._signatures, 0)
        self._signed = grown(self._signed, False)
        self._neighbours = grown(self._neighbours, -1)
        self._neighbour_sims = grown(self._neighbour_sims, 0)
        self._norms = grown(self._norms, 1)
        self._words = grown(self._words, 0)
        self._embedded = grown(self._embedded, False)
        self._embeddings = grown(self._embeddings, 0)
        assert self._neighbours.shape[1] == k

    def _category_mask(self, categories: Iterable[str]) -> int:
        mask = 0
        for category in categories:
            bit = self._category_bits.setdefault(category, len(self._category_bits) % 64)
            mask |= 1 << bit
        return mask

    @staticmethod
    def _timestamp(moment: datetime | None) -> float:
        return moment.timestamp() if moment is not None else math.nan

    # ---- building ----------------------------------------------------------------------------

    def _counts(self, docs: Sequence[Document]) -> sp.csr_matrix:
        if not docs:
            return sp.csr_matrix((0, self.config.hash_features), dtype=np.float32)
        weights = self.config.weights
        terms = (analyse(doc.title, doc.text, weights) for doc in docs)
        return sp.csr_matrix(self._hasher.transform(terms), dtype=np.float32)

    def _transform(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        if self._tfidf is None:
            self._tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
        return sp.csr_matrix(self._tfidf.transform(counts), dtype=np.float32)

    def _append_slots(self, docs: Sequence[Document], counts: sp.csr_matrix) -> list[int]:
        self._grow(len(docs))
        start = len(self._ids)
        slots = list(range(start, start + len(docs)))
        for slot, doc in zip(slots, docs, strict=True):
            self._ids.append(doc.id)
            self._kinds.append(doc.kind)
            self._slot[doc.id] = slot
            self._alive[slot] = True
            self._stories[slot] = doc.kind == "story"
            self._times[slot] = self._timestamp(doc.published_at)
            self._categories[slot] = self._category_mask(doc.categories)
            self._leads.append(self._signer.lead_of(doc.title, doc.text))
            self._signed[slot] = False
            self._words[slot] = _words(doc)
            self._embedded[slot] = doc.embedding is not None
            if doc.embedding is not None:
                self._store_embedding(slot, doc.embedding)
        self._raw.append(counts)
        return slots

    def _store_embedding(self, slot: int, embedding: Floats) -> None:
        vector = np.asarray(embedding, dtype=np.float32).ravel()
        if self._embeddings.shape[1] == 0:
            self._embeddings = np.zeros((len(self._alive), len(vector)), dtype=np.float32)
        if len(vector) != self._embeddings.shape[1]:
            raise ValueError(
                f"embedding of {len(vector)} dimensions, the index holds "
                f"{self._embeddings.shape[1]}"
            )
        self._embeddings[slot] = vector

    def rebuild(self, docs: Iterable[Document]) -> None:
        """Forget everything and index ``docs`` (the last of two with the same id wins)."""
        unique = list({doc.id: doc for doc in docs}.values())
        self._clear()
        counts = self._counts(unique)
        self._append_slots(unique, counts)
        self._raw.compact()
        self.reindex()

    def reindex(self) -> None:
        """Drop removed documents, refresh IDF, vectors and every neighbour list."""
        self._raw.compact()
        keep = np.flatnonzero(self._alive[: len(self._ids)])
        raw = self._raw.select(keep)
        ids = [self._ids[i] for i in keep]
        kinds = [self._kinds[i] for i in keep]
        times = self._times[keep]
        categories = self._categories[keep]
        signatures, signed = self._signatures[keep], self._signed[keep]
        leads = [self._leads[i] for i in keep]
        n = len(keep)
        self._ids, self._kinds = ids, kinds
        self._slot = {doc_id: i for i, doc_id in enumerate(ids)}
        self._alive = np.ones(n, dtype=bool)
        self._stories = self._stories[keep]
        self._times, self._categories, self._leads = times, categories, leads
        self._signatures, self._signed = signatures, signed
        self._words, self._embedded = self._words[keep], self._embedded[keep]
        self._embeddings = self._embeddings[keep]
        self._raw.replace(raw)
        self._tfidf = None  # refitted on ``raw`` by ``_transform``
        vectors = self._transform(raw) if n else sp.csr_matrix((0, raw.shape[1]), dtype=np.float32)
        self._vectors.replace(vectors)
        self._inverted = sp.csr_matrix(vectors.T, dtype=np.float32)
        self._neighbours, self._neighbour_sims = self._all_neighbours(vectors)
        self._norms = np.ones(n, dtype=np.float32)
        self._refresh_norms(np.arange(n))
        self._build_spread()
        self._indexed_size = n
        self._grow(max(64, n // 8))  # room for the next additions without a copy

    def _all_neighbours(self, vectors: sp.csr_matrix) -> tuple[Ints, Floats]:
        """Each document's nearest neighbours, found with its heaviest terms, exact similarity."""
        n = vectors.shape[0]
        k = self.config.neighbours
        ids = np.full((n, k), -1, dtype=np.int32)
        sims = np.zeros((n, k), dtype=np.float32)
        if n < 2:
            return ids, sims
        pruned = prune_rows(vectors, self.config.neighbour_terms)
        champions = sp.csr_matrix(
            prune_rows(self._inverted, self.config.neighbour_postings), dtype=np.float32
        )
        chunk = max(64, min(2048, 20_000_000 // max(1, n)))
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            block = pruned[start:stop] @ champions
            found, _ = row_top_k(block, k, np.arange(start, stop))
            ids[start:stop] = found
        for j in range(k):
            column = ids[:, j]
            valid = column >= 0
            if valid.any():
                exact = vectors[np.flatnonzero(valid)].multiply(vectors[column[valid]]).sum(axis=1)
                sims[valid, j] = np.asarray(exact, dtype=np.float32).ravel()
        weak = sims < self.config.neighbour_min
        ids[weak], sims[weak] = -1, 0
        order = np.argsort(-np.where(ids >= 0, sims, -np.inf), axis=1, kind="stable")
        return np.take_along_axis(ids, order, axis=1), np.take_along_axis(sims, order, axis=1)

    def _mixing(self, ids: npt.NDArray[np.int32], sims: npt.NDArray[np.float32]) -> Floats:
        """Weight of each neighbour in the expansion: ``b * similarity / k`` (0 where none).

        Weighting by similarity (not a plain mean) keeps a document with only weak neighbours
        close to itself, so an unrelated query does not borrow a theme it does not have.
        """
        weights = np.where(ids >= 0, sims, 0) * (self.config.expansion / self.config.neighbours)
        return weights.astype(np.float32)

    def _expanded(
        self, vector: sp.csr_matrix, ids: npt.NDArray[np.int32], sims: npt.NDArray[np.float32]
    ) -> sp.csr_matrix:
        """``h + b * Σ w_n h_n`` over the neighbours, as one sparse row."""
        weights = self._mixing(ids, sims)
        valid = ids >= 0
        if not valid.any():
            return vector
        stacked = sp.vstack([vector, self._vectors.rows(ids[valid])], format="csr")
        return weighted_sum(stacked, np.concatenate([[1.0], weights[valid]]))

    def _refresh_norms(self, slots: npt.NDArray[np.intp]) -> None:
        """``|e|`` for the given slots (chunked, sparse)."""
        if len(slots) <= 256:
            neighbours = self._neighbours[slots]
            valid = neighbours >= 0
            weights = self._mixing(neighbours, self._neighbour_sims[slots])
            members = np.concatenate([slots, neighbours[valid]])
            groups = np.concatenate(
                [np.arange(len(slots)), np.repeat(np.arange(len(slots)), valid.sum(axis=1))]
            )
            factors = np.concatenate([np.ones(len(slots)), weights[valid]])
            norms = grouped_norms(self._vectors.rows(members), groups, factors, len(slots))
            self._norms[slots] = np.maximum(norms, 1e-6)
            return
        for start in range(0, len(slots), 4096):
            part = slots[start : start + 4096]
            neighbours = self._neighbours[part]
            valid = neighbours >= 0
            mixing_weights = self._mixing(neighbours, self._neighbour_sims[part])
            counts = valid.sum(axis=1)
            used, columns = np.unique(
                np.concatenate([part, neighbours[valid]]), return_inverse=True
            )
            rows = np.concatenate([np.arange(len(part)), np.repeat(np.arange(len(part)), counts)])
            weights = np.concatenate([np.ones(len(part)), mixing_weights[valid]])
            mixing = sp.csr_matrix((weights, (rows, columns)), shape=(len(part), len(used)))
            expanded = sp.csr_matrix(mixing @ self._vectors.rows(used))
            row_of = np.repeat(np.arange(len(part)), np.diff(expanded.indptr))
            squares = np.bincount(
                row_of, weights=expanded.data.astype(np.float64) ** 2, minlength=len(part)
            )
            self._norms[part] = np.maximum(np.sqrt(squares), 1e-6)

    # ---- incremental -------------------------------------------------------------------------

    def add(self, doc: Document) -> None:
        """Index ``doc``, replacing the document with the same id if there is one."""
        self.add_many([doc])

    def add_many(self, docs: Iterable[Document]) -> None:
        """Index several documents (replacing those with the same ids)."""
        batch = list({doc.id: doc for doc in docs}.values())
        if not batch:
            return
        for doc in batch:
            self.remove(doc.id)
        counts = self._counts(batch)
        slots = self._append_slots(batch, counts)
        size = len(self)
        if self._tfidf is None or (
            size >= 2 * max(self._indexed_size, 1) and size <= self.config.auto_reindex_limit
        ):
            self.reindex()
            return
        vectors = self._transform(counts)
        self._vectors.append(vectors)
        for i, slot in enumerate(slots):
            self._place(slot, vectors[[i]])
        if self._vectors.pending_rows > max(256, len(self._ids) // 50):
            self._compact()

    def _compact(self) -> None:
        self._vectors.compact()
        self._raw.compact()
        self._inverted = sp.csr_matrix(self._vectors.main.T, dtype=np.float32)
        self._build_spread()

    def _build_spread(self) -> None:
        n = len(self._ids)
        neighbours = self._neighbours[:n]
        valid = neighbours >= 0
        weights = self._mixing(neighbours, self._neighbour_sims[:n])
        indptr = np.concatenate([[0], np.cumsum(valid.sum(axis=1))])
        self._spread = sp.csr_matrix(
            (weights[valid], neighbours[valid], indptr), shape=(n, n), dtype=np.float32
        )
        self._changed = set()

    def _nearest(
        self, vector: sp.csr_matrix, skip: int | None = None
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp]]:
        """Every slot's plain similarity to ``vector``, and its neighbours among them: the
        closest living documents (``skip`` aside) above ``neighbour_min``."""
        scores = self._base_scores(vector)
        if skip is not None:
            scores[skip] = -np.inf
        scores[~self._alive[: len(scores)]] = -np.inf
        nearest = top(scores, self.config.neighbours)
        return scores, nearest[scores[nearest] >= max(self.config.neighbour_min, 1e-9)]

    def _place(self, slot: int, vector: sp.csr_matrix) -> None:
        """Give a new slot its neighbours and offer it as a neighbour to its closest documents."""
        k = self.config.neighbours
        scores, nearest = self._nearest(vector, skip=slot)
        self._neighbours[slot] = -1
        self._neighbour_sims[slot] = 0
        self._neighbours[slot, : len(nearest)] = nearest
        self._neighbour_sims[slot, : len(nearest)] = scores[nearest]
        worst = np.where(
            self._neighbours[: len(scores), -1] >= 0,
            self._neighbour_sims[: len(scores), -1],
            self.config.neighbour_min,
        )
        closer = np.flatnonzero(scores > worst)
        closer = closer[top(scores[closer], self.config.offer_limit)]
        for other in closer:
            row, sims = self._neighbours[other], self._neighbour_sims[other]
            position = int(np.searchsorted(-np.where(row >= 0, sims, -np.inf), -scores[other]))
            if position >= k:
                continue
            row[position + 1 :] = row[position:-1].copy()
            sims[position + 1 :] = sims[position:-1].copy()
            row[position] = slot
            sims[position] = scores[other]
            self._changed.add(int(other))
        self._refresh_norms(np.concatenate([[slot], closer]).astype(np.intp))

    def remove(self, doc_id: str) -> bool:
        """Hide a document from every result at once. False when it was not indexed."""
        slot = self._slot.pop(doc_id, None)
        if slot is None:
            return False
        self._alive[slot] = False
        return True

    # ---- scoring -----------------------------------------------------------------------------

    def _base_scores(self, vector: sp.csr_matrix) -> npt.NDArray[np.float64]:
        """``H · vector`` for every slot: the inverted index for the compact part, then the tail."""
        main = self._inverted[vector.indices]
        scores_main = np.asarray(main.T @ vector.data, dtype=np.float64).ravel()
        tail = self._vectors.tail()
        if tail.shape[0] == 0:
            return scores_main
        scores_tail = dot_rows(tail, vector)
        return np.concatenate([scores_main, scores_tail])

    def _query(self, query: Document | str) -> Asked:
        if isinstance(query, str):
            doc = Document(id=query, kind=self._kinds[self._slot[query]], title="")
        else:
            doc = query
        slot = self._slot.get(doc.id)
        if slot is not None:
            vector = self._vectors.rows([slot])
            return Asked(slot, vector, self._neighbours[slot], self._neighbour_sims[slot], doc)
        if self._tfidf is None:
            empty = sp.csr_matrix((1, self.config.hash_features), dtype=np.float32)
            return Asked(None, empty, np.zeros(0, np.int32), np.zeros(0, np.float32), doc)
        vector = self._transform(self._counts([doc]))
        scores, nearest = self._nearest(vector)
        return Asked(
            None, vector, nearest.astype(np.int32), scores[nearest].astype(np.float32), doc
        )

    def _text_scores(self, queries: Sequence[Asked]) -> Floats:
        """Text scores of a block of queries against every slot, one row per query.

        The neighbour step (``b K`` times the first scores) reads the spread matrix once for
        the whole block: relating the articles of a rebuild in blocks is several times faster.
        """
        n = len(self._ids)
        first = np.zeros((n, len(queries)), dtype=np.float32)  # as the matrices: no upcast copies
        norms = np.ones(len(queries))
        for column, query in enumerate(queries):
            if n == 0 or query.vector.nnz == 0:
                continue
            expanded = self._expanded(query.vector, query.ids, query.sims)
            norms[column] = max(float(np.linalg.norm(expanded.data)), 1e-6)
            first[:, column] = self._base_scores(prune(expanded, self.config.query_terms))
        built = int(self._spread.shape[0])
        second = np.zeros_like(first)
        second[:built] = self._spread @ first[:built]
        rows = np.concatenate([np.fromiter(self._changed, np.intp), np.arange(built, n)])
        if rows.size:
            around = self._neighbours[rows]
            weights = self._mixing(around, self._neighbour_sims[rows])
            second[rows] = np.einsum("rk,rkq->rq", weights, first[np.maximum(around, 0)])
        scores = (first + second) / (self._norms[:n, None] * norms[None, :]).astype(np.float32)
        return np.ascontiguousarray(scores.T)

    def _semantic_scores(self, queries: Sequence[Asked]) -> Floats:
        """The embeddings' share of the scores (one row per query): 0 where either side has no
        embedding. One product for all the queries: the embeddings matrix is read once."""
        config = self.config
        n = len(self._ids)
        scores = np.zeros((len(queries), n), dtype=np.float32)
        width = self._embeddings.shape[1]
        if config.semantic_weight <= 0 or width == 0 or n == 0:
            return scores
        rows, vectors, words = [], [], []
        for row, query in enumerate(queries):
            if query.slot is not None and self._embedded[query.slot]:
                vectors.append(self._embeddings[query.slot])
                words.append(int(self._words[query.slot]))
            elif query.slot is None and query.doc.embedding is not None:
                if len(query.doc.embedding) != width:
                    continue
                vectors.append(np.asarray(query.doc.embedding, dtype=np.float32))
                words.append(_words(query.doc))
            else:
                continue
            rows.append(row)
        if not rows:
            return scores
        # A few queries (one article being related, often right after the model embedded its
        # title): one BLAS thread. A rebuild's block: the product is worth every core.
        threads = _one_blas_thread() if len(rows) < 8 else contextlib.nullcontext()
        with threads:
            cosine = np.stack(vectors) @ self._embeddings[:n].T
        # Most pairs sit below the floor: work on the others only.
        at, columns = np.nonzero((cosine > config.semantic_floor) & self._embedded[None, :n])
        lift = (cosine[at, columns] - config.semantic_floor) / (1 - config.semantic_floor)
        shorter = np.minimum(self._words[columns], np.array(words)[at])
        share = config.semantic_words / (config.semantic_words + shorter)
        scores[np.array(rows)[at], columns] = config.semantic_weight * lift * share
        return scores

    def related(
        self,
        query: Document | str,
        limit: int = 5,
        kinds: Collection[Kind] | None = None,
        exclude: Collection[str] = (),
    ) -> list[Match]:
        """The ``limit`` documents most related to ``query``, best first; maybe fewer, maybe none.

        ``query`` is an indexed document's id, or a document (indexed or not: an unindexed one is
        analysed on the fly). The query itself, ``exclude`` and its near-duplicates never appear.
        """
        return self._related_block([query], limit, kinds, exclude)[0]

    def related_each(
        self,
        queries: Sequence[Document | str],
        limit: int = 5,
        kinds: Collection[Kind] | None = None,
        block: int = 64,
    ) -> list[list[Match]]:
        """``related`` for each query (the same lists), computed by blocks: for rebuilds."""
        found: list[list[Match]] = []
        for start in range(0, len(queries), block):
            found += self._related_block(queries[start : start + block], limit, kinds, ())
        return found

    def _related_block(
        self,
        queries: Sequence[Document | str],
        limit: int,
        kinds: Collection[Kind] | None,
        exclude: Collection[str],
        text_block: int = 16,
    ) -> list[list[Match]]:
        """The embeddings' product for all ``queries`` at once; the text scores by blocks of
        ``text_block`` (larger ones no longer fit the processor's caches)."""
        asked = [self._query(query) for query in queries]
        if not self._ids or limit <= 0:
            return [[] for _ in asked]
        semantic = self._semantic_scores(asked)
        found = []
        for start in range(0, len(asked), text_block):
            part = asked[start : start + text_block]
            scores = self._text_scores(part) + semantic[start : start + text_block]
            found += [
                self._pick(query, row, limit, kinds, exclude)
                for query, row in zip(part, scores, strict=True)
            ]
        return found

    def _pick(
        self,
        query: Asked,
        text: Floats,
        limit: int,
        kinds: Collection[Kind] | None,
        exclude: Collection[str],
    ) -> list[Match]:
        n = len(self._ids)
        slot, doc = query.slot, query.doc
        eligible = self._alive[:n] & (text >= self.config.min_score)
        if slot is not None:
            eligible[slot] = False
        for doc_id in exclude:
            other = self._slot.get(doc_id)
            if other is not None:
                eligible[other] = False
        if kinds is not None:
            if "story" not in kinds:
                eligible &= ~self._stories[:n]
            if "article" not in kinds:
                eligible &= self._stories[:n]
        candidates = np.flatnonzero(eligible)
        if candidates.size == 0:
            return []
        final = text[candidates] * self._factors(candidates, slot, doc)
        order = candidates[np.argsort(-final, kind="stable")]
        final_of = dict(zip(candidates.tolist(), final.tolist(), strict=True))
        signature = (
            self._signed_rows(np.array([slot]))[0]
            if slot is not None
            else self._signer.sign(self._signer.lead_of(doc.title, doc.text))
        )
        return self._collapse(order, final_of, signature, limit)

    def _factors(
        self, candidates: npt.NDArray[np.intp], slot: int | None, doc: Document
    ) -> npt.NDArray[np.float64]:
        config = self.config
        if slot is not None:
            mask = int(self._categories[slot])
            moment = float(self._times[slot])
        else:
            mask = self._category_mask(doc.categories)
            moment = self._timestamp(doc.published_at)
        factors = np.ones(len(candidates))
        if mask:
            shared = (self._categories[candidates] & np.uint64(mask)) != 0
            factors *= np.where(shared, 1.0 + config.category_boost, 1.0)
        if not math.isnan(moment):
            older_days = (moment - self._times[candidates]) / DAY
            older_days = np.where(np.isnan(older_days), 0.0, np.maximum(older_days, 0.0))
            decay = np.exp2(-older_days / config.recency_half_life_days)
            factors *= config.recency_floor + (1 - config.recency_floor) * decay
        return factors

    def _signed_rows(self, slots: npt.NDArray[np.intp]) -> npt.NDArray[np.uint64]:
        """Signatures of the given slots, made on first use (most documents never need one)."""
        for slot in slots[~self._signed[slots]].tolist():
            self._signatures[slot] = self._signer.sign(self._leads[slot])
            self._signed[slot] = True
        return self._signatures[slots]

    def _collapse(
        self,
        order: npt.NDArray[np.intp],
        score_of: dict[int, float],
        signature: npt.NDArray[np.uint64],
        limit: int,
    ) -> list[Match]:
        threshold = self.config.duplicate_threshold
        kept: list[int] = []
        folded: list[list[str]] = []
        # Signatures are made on first use: look at a few more than ``limit`` first, since
        # duplicates are rare, and at larger blocks only when many are folded.
        starts = [0, *range(limit + 4, len(order), 64)]
        for start, stop in zip(starts, [*starts[1:], len(order)], strict=True):
            block = order[start:stop]
            signatures = self._signed_rows(block)
            of_query = similarities(signature, signatures)
            for candidate, own, twin_of_query in zip(
                block.tolist(), signatures, of_query.tolist(), strict=True
            ):
                if twin_of_query >= threshold:
                    continue
                if kept:
                    close = similarities(own, self._signatures[kept])
                    twin = int(np.argmax(close))
                    if close[twin] >= threshold:
                        folded[twin].append(self._ids[candidate])
                        continue
                if len(kept) == limit:
                    break
                kept.append(candidate)
                folded.append([])
            if len(kept) == limit:
                break
        return [
            Match(
                id=self._ids[slot],
                kind=self._kinds[slot],
                score=round(score_of[slot], 4),
                duplicates=tuple(twins),
            )
            for slot, twins in zip(kept, folded, strict=True)
        ]


@functools.cache
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()


def _one_blas_thread() -> contextlib.AbstractContextManager[object]:
    """Right after the embedding model's OpenMP threads ran, a second BLAS thread only spins
    against them (p95 of relating went from 30 to 120 ms); one thread reads the matrix as fast."""
    return _threadpools().limit(limits=1, user_api="blas")  # type: ignore[no-any-return]


def _words(doc: Document) -> int:
    return len(doc.title.split()) + len(doc.text.split())


def rank(
    query: Document,
    candidates: Iterable[Document],
    limit: int = 5,
    config: RankConfig = DEFAULT_CONFIG,
) -> list[Match]:
    """Related items for one query among ``candidates`` (builds a throwaway index)."""
    index = RelatedIndex(config)
    index.rebuild([*candidates, query])
    return index.related(query.id, limit)
