"""Sparse-matrix helpers for the index: growing row stores, per-row top-k, pruning, merges.

Each avoids SciPy operations whose cost grows with the width of the matrix (4 million hashed
terms): on single rows those cost milliseconds where these cost microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp


class RowStore:
    """A growing sparse matrix: a compact CSR block plus rows appended since."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.main: sp.csr_matrix = sp.csr_matrix((0, width), dtype=np.float32)
        self.pending: list[sp.csr_matrix] = []
        self._tail: sp.csr_matrix | None = None
        self.pending_rows = 0

    def __len__(self) -> int:
        return int(self.main.shape[0]) + self.pending_rows

    def append(self, rows: sp.csr_matrix) -> None:
        self.pending.append(rows)
        self.pending_rows += int(rows.shape[0])
        self._tail = None

    def tail(self) -> sp.csr_matrix:
        if self._tail is None:
            self._tail = (
                sp.vstack(self.pending, format="csr", dtype=np.float32)
                if self.pending
                else sp.csr_matrix((0, self.width), dtype=np.float32)
            )
        return self._tail

    def compact(self) -> None:
        if self.pending:
            self.main = sp.vstack([self.main, self.tail()], format="csr", dtype=np.float32)
            self.pending = []
            self.pending_rows = 0
            self._tail = None

    def rows(self, indices: Sequence[int] | npt.NDArray[np.integer]) -> sp.csr_matrix:
        """The given rows, in the given order."""
        wanted = np.asarray(indices, dtype=np.intp)
        split = int(self.main.shape[0])
        if wanted.size and wanted.max() < split:
            return sp.csr_matrix(self.main[wanted])
        in_main = wanted < split
        stacked = sp.vstack(
            [self.main[wanted[in_main]], self.tail()[wanted[~in_main] - split]],
            format="csr",
            dtype=np.float32,
        )
        positions = np.concatenate([np.flatnonzero(in_main), np.flatnonzero(~in_main)])
        return sp.csr_matrix(stacked[np.argsort(positions)])

    def select(self, indices: npt.NDArray[np.intp]) -> sp.csr_matrix:
        self.compact()
        return self.main[indices]

    def replace(self, matrix: sp.csr_matrix) -> None:
        self.main = sp.csr_matrix(matrix, dtype=np.float32)
        self.pending = []
        self.pending_rows = 0
        self._tail = None


def top(values: npt.NDArray[np.floating], count: int) -> npt.NDArray[np.intp]:
    """Indices of the ``count`` largest values, largest first."""
    if count <= 0 or len(values) == 0:
        return np.zeros(0, dtype=np.intp)
    if count < len(values):
        picked = np.argpartition(-values, count - 1)[:count]
    else:
        picked = np.arange(len(values))
    return picked[np.argsort(-values[picked], kind="stable")]


def prune(row: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    if row.nnz <= keep:
        return row
    picked = top(row.data, keep)
    return sp.csr_matrix(
        (row.data[picked], row.indices[picked], [0, keep]), shape=row.shape, dtype=np.float32
    )


def _row(
    indices: npt.NDArray[np.integer], data: npt.NDArray[np.floating], width: int
) -> sp.csr_matrix:
    return sp.csr_matrix(
        (data.astype(np.float32), indices.astype(np.int32), np.array([0, len(indices)])),
        shape=(1, width),
    )


def weighted_sum(rows: sp.csr_matrix, weights: npt.NDArray[np.floating]) -> sp.csr_matrix:
    """``weights @ rows`` as one sparse row, without a workspace as wide as the vocabulary."""
    scale = np.repeat(np.asarray(weights, dtype=np.float64), np.diff(rows.indptr))
    columns, inverse = np.unique(rows.indices, return_inverse=True)
    sums = np.asarray(np.bincount(inverse, weights=rows.data * scale), dtype=np.float64)
    return _row(columns, sums, rows.shape[1])


def dot_rows(rows: sp.csr_matrix, vector: sp.csr_matrix) -> npt.NDArray[np.float64]:
    """``rows · vector`` for each row (a sorted merge, no workspace as wide as the vocabulary)."""
    if rows.nnz == 0 or vector.nnz == 0:
        return np.zeros(rows.shape[0])
    order = np.argsort(vector.indices)
    keys, values = vector.indices[order], vector.data[order]
    at = np.minimum(np.searchsorted(keys, rows.indices), len(keys) - 1)
    hits = keys[at] == rows.indices
    products = np.where(hits, values[at] * rows.data, 0.0)
    row_of = np.repeat(np.arange(rows.shape[0]), np.diff(rows.indptr))
    return np.asarray(np.bincount(row_of, weights=products, minlength=rows.shape[0]), np.float64)


def prune_rows(matrix: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    """Each row keeps its ``keep`` largest values (vectorised over the rows that have more)."""
    counts = np.diff(matrix.indptr)
    long_rows = np.flatnonzero(counts > keep)
    if long_rows.size == 0:
        return matrix
    row_of = np.repeat(np.arange(matrix.shape[0]), counts)
    kept = [np.flatnonzero(counts[row_of] <= keep)]
    step = max(1, 8_000_000 // int(counts.max()))
    for start in range(0, long_rows.size, step):
        rows = long_rows[start : start + step]
        width = int(counts[rows].max())
        local = np.repeat(np.arange(rows.size), counts[rows])
        entries = np.concatenate(
            [np.arange(matrix.indptr[r], matrix.indptr[r + 1]) for r in rows.tolist()]
        )
        positions = entries - matrix.indptr[rows][local]
        padded = np.full((rows.size, width), -np.inf)
        padded[local, positions] = matrix.data[entries]
        chosen = np.argpartition(-padded, keep - 1, axis=1)[:, :keep]
        kept.append((matrix.indptr[rows][:, None] + chosen).ravel())
    entries = np.sort(np.concatenate(kept))
    return sp.csr_matrix(
        (matrix.data[entries], (row_of[entries], matrix.indices[entries])),
        shape=matrix.shape,
        dtype=np.float32,
    )


def row_top_k(
    block: sp.csr_matrix, k: int, exclude: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
    """The ``k`` largest entries of each row of a sparse block, ``exclude[i]`` left out of row i."""
    n = block.shape[0]
    ids = np.full((n, k), -1, dtype=np.int32)
    sims = np.zeros((n, k), dtype=np.float32)
    counts = np.diff(block.indptr)
    if block.nnz == 0:
        return ids, sims
    rows = np.repeat(np.arange(n), counts)
    data = np.where(block.indices == exclude[rows], -np.inf, block.data).astype(np.float32)
    width = max(int(counts.max()), k)
    positions = np.arange(block.nnz) - block.indptr[rows]
    padded = np.full((n, width), -np.inf, dtype=np.float32)
    padded[rows, positions] = data
    columns = np.full((n, width), -1, dtype=np.int32)
    columns[rows, positions] = block.indices
    chosen = np.argpartition(-padded, k - 1, axis=1)[:, :k]
    chosen_sims = np.take_along_axis(padded, chosen, axis=1)
    order = np.argsort(-chosen_sims, axis=1, kind="stable")
    chosen = np.take_along_axis(chosen, order, axis=1)
    chosen_sims = np.take_along_axis(chosen_sims, order, axis=1)
    found = np.take_along_axis(columns, chosen, axis=1)
    good = np.isfinite(chosen_sims) & (chosen_sims > 0)
    ids[good] = found[good]
    sims[good] = chosen_sims[good]
    return ids, sims


def grouped_norms(
    rows: sp.csr_matrix,
    groups: npt.NDArray[np.intp],
    weights: npt.NDArray[np.floating],
    count: int,
) -> npt.NDArray[np.float64]:
    """``|Σ weights[r] * rows[r]|`` over the rows of each group (no vocabulary-wide workspace)."""
    lengths = np.diff(rows.indptr)
    row_of = np.repeat(np.arange(rows.shape[0]), lengths)
    keys = groups[row_of].astype(np.int64) * rows.shape[1] + rows.indices
    unique, inverse = np.unique(keys, return_inverse=True)
    sums = np.bincount(inverse, weights=rows.data * np.asarray(weights, np.float64)[row_of])
    squares = np.bincount(unique // rows.shape[1], weights=sums**2, minlength=count)
    return np.asarray(np.sqrt(squares), dtype=np.float64)
