"""Vector indexes behind one small interface: exact flat inner product today,
approximate kinds (HNSW, IVF-PQ) beside it for large corpora."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class VectorIndex:
    """Inner-product search over L2-normalised vectors; ids are row numbers."""

    kind = "flat"

    def __init__(self, faiss_index):
        self._index = faiss_index

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "flat") -> "VectorIndex":
        """Build an index of ``kind`` over ``vectors`` (rows are passage numbers)."""
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[1] else 384
        if kind != "flat":
            raise ValueError(f"unknown vector index kind {kind!r}")
        index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(vectors)
        return cls(index)

    @property
    def ntotal(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, ids) for each query row; ids are -1 past the end."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, self.ntotal)) if self.ntotal else 1
        return self._index.search(queries, k)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> "VectorIndex":
        import faiss

        return cls(faiss.read_index(str(path)))
