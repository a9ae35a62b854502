"""Near-duplicates: MinHash signatures of title + lead shingles (datasketch), compared directly."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from datasketch import MinHash

from syndicate.related.french import lead, shingles

Signature = npt.NDArray[np.uint64]


class Signer:
    """Turns a title and its text into a MinHash signature (one shared permutation set)."""

    def __init__(self, num_perm: int = 64, lead_words: int = 40, shingle_size: int = 3) -> None:
        self.num_perm = num_perm
        self.lead_words = lead_words
        self.shingle_size = shingle_size
        self._template = MinHash(num_perm=num_perm, seed=1, scheme="affine32")

    def lead_of(self, title: str, text: str) -> str:
        """What the signature covers: the title and the first words of the text."""
        return f"{title}\n{lead(text, self.lead_words)}"

    def sign(self, lead_text: str) -> Signature:
        """The MinHash signature of the word shingles of ``lead_text`` (see :meth:`lead_of`)."""
        found = sorted(shingles(lead_text, self.shingle_size))
        minhash = self._template.copy()
        minhash.update_batch([s.encode("utf-8") for s in found])
        return np.asarray(minhash.hashvalues, dtype=np.uint64)


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    return np.count_nonzero(a == b) / max(len(a), 1)


def similarities(one: Signature, many: npt.NDArray[np.uint64]) -> npt.NDArray[np.float64]:
    """Estimated Jaccard similarity of ``one`` with each row of ``many``."""
    if len(many) == 0:
        return np.zeros(0)
    matches = np.asarray(np.count_nonzero(many == one, axis=1), dtype=np.float64)
    result: npt.NDArray[np.float64] = matches / max(many.shape[1], 1)
    return result
