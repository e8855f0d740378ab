"""Vector indexes behind one small interface: exact flat inner product, and the
approximate kinds (HNSW, IVF-PQ) for large corpora.

Kinds (``VectorIndex.build(vectors, kind)``):

- ``flat``: exact inner product over every vector (faiss ``IndexFlatIP``).
- ``hnsw``: graph search (``IndexHNSWFlat``, inner product), M=32,
  efConstruction=64, efSearch=128.
- ``ivfpq``: inverted lists of product-quantised codes (``IndexIVFPQ``, inner
  product) with the candidates re-scored exactly (``IndexRefineFlat``).
- ``auto``: ``flat`` up to ``AUTO_EXACT_MAX`` vectors, ``ivfpq`` above.

The search parameters (efSearch, nprobe, the refine factor) are set so that
recall@10 against exact search is at least 0.95 on the synthetic clustered
vectors of ``sisterqa bench`` (see the README's Performance section for the
measurements behind every number here). faiss stores them in the index file,
so ``save``/``load`` keep them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

KINDS = ("flat", "hnsw", "ivfpq", "auto")

# Exact search scans every vector: its single-query time grows linearly with
# the corpus (measured on 2 cores: 0.9 ms at 10k, 15 ms at 100k, 155 ms at 1M),
# while IVF-PQ stays under a millisecond at recall@10 ≥ 0.99. Up to 100k
# vectors the exact scan costs at most ~15 ms of a query and is exact; above,
# IVF-PQ, which builds in 11 s at 100k and 39 s at 1M, against 198 s for HNSW
# at 1M (HNSW needs efConstruction 64: with 40 it reached only 0.86 recall@10
# at 1M). Figures: README, Performance; eval/reports/bench.json.
AUTO_EXACT_MAX = 100_000
AUTO_ANN = "ivfpq"

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 64  # 40 gave recall@10 0.86 at 1M
HNSW_EF_SEARCH = 128  # at 1M: 64 gave 0.94, 128 gives 0.98 (0.55 ms), 256 0.99

IVF_PQ_M = 48  # sub-quantisers (bytes per vector at 8 bits); 384 / 48 = 8 dimensions each
IVF_NPROBE = 32
IVF_REFINE_FACTOR = 10  # exact re-scoring of k × this many PQ candidates
IVF_MIN_VECTORS = 1_000  # fewer cannot train the quantisers; they get an exact index


def ivf_nlist(n: int) -> int:
    """Inverted lists for ``n`` vectors: about 4·√n, with ≥ 39 training points per list."""
    return max(1, min(int(4 * math.sqrt(max(n, 1))), n // 39))


def _kind_of(index) -> str:
    import faiss

    if isinstance(index, faiss.IndexRefine):
        return "ivfpq"
    if isinstance(index, faiss.IndexHNSW):
        return "hnsw"
    if isinstance(index, faiss.IndexIVF):
        return "ivfpq"
    return "flat"


def resolve_kind(kind: str, n: int) -> str:
    """The kind ``build`` makes for ``n`` vectors when asked for ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"unknown vector index kind {kind!r}; use one of {', '.join(KINDS)}")
    if kind == "auto":
        return "flat" if n <= AUTO_EXACT_MAX else AUTO_ANN
    if kind == "ivfpq" and n < IVF_MIN_VECTORS:
        return "flat"
    return kind


class VectorIndex:
    """Inner-product search over L2-normalised vectors; ids are row numbers."""

    def __init__(self, faiss_index):
        self._index = faiss_index
        self.kind = _kind_of(faiss_index)

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "flat", train_size: int = 100_000,
              seed: int = 0) -> "VectorIndex":
        """Build an index of ``kind`` over ``vectors`` (rows are passage numbers).

        ``kind`` is ``flat``, ``hnsw``, ``ivfpq`` or ``auto``; the kind
        actually built is ``.kind`` (``auto`` and a too-small ``ivfpq`` resolve
        to a concrete kind). ``train_size``: vectors sampled to train IVF-PQ.
        """
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[1] else 384
        n = len(vectors) if vectors.ndim == 2 else 0
        kind = resolve_kind(kind, n)
        if kind == "flat":
            index = faiss.IndexFlatIP(dim)
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
        else:  # ivfpq
            nlist = ivf_nlist(n)
            m = IVF_PQ_M if dim % IVF_PQ_M == 0 else next(x for x in (32, 24, 16, 8, 4, 2, 1) if dim % x == 0)
            quantizer = faiss.IndexFlatIP(dim)
            nbits = max(4, min(8, int(math.log2(max(n, 16) / 39))))  # 2^nbits centroids, 39 points each
            ivf = faiss.IndexIVFPQ(quantizer, dim, nlist, m, nbits, faiss.METRIC_INNER_PRODUCT)
            ivf.nprobe = min(IVF_NPROBE, nlist)
            sample = vectors
            if n > train_size:
                rows = np.sort(np.random.default_rng(seed).choice(n, train_size, replace=False))
                sample = vectors[rows]
            ivf.train(sample)
            index = faiss.IndexRefineFlat(ivf)  # the wrapper keeps ivf (and its quantizer) alive
            index.k_factor = IVF_REFINE_FACTOR
        if n:
            index.add(vectors)
        return cls(index)

    @property
    def ntotal(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    @property
    def params(self) -> dict:
        """The kind and its search parameters (what the manifest and the bench report)."""
        import faiss

        out = {"kind": self.kind, "ntotal": self.ntotal}
        if self.kind == "hnsw":
            h = self._index.hnsw
            out.update(M=int(h.nb_neighbors(1)), efConstruction=int(h.efConstruction), efSearch=int(h.efSearch))
        elif self.kind == "ivfpq":
            ivf = faiss.downcast_index(faiss.extract_index_ivf(self._index))
            out.update(nlist=int(ivf.nlist), nprobe=int(ivf.nprobe), pq_m=int(ivf.pq.M), pq_nbits=int(ivf.pq.nbits),
                       refine_k_factor=float(getattr(self._index, "k_factor", 1)))
        return out

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (scores, ids) for each query row; ids are -1 past the end."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, self.ntotal)) if self.ntotal else 1
        return self._index.search(queries, k)

    def add(self, vectors: np.ndarray) -> None:
        """Append vectors (their ids continue the row numbers); the index is not rebuilt."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(vectors):
            self._index.add(vectors)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    def nbytes(self) -> int:
        """Size of the serialised index (about its memory when loaded)."""
        import faiss

        return int(faiss.serialize_index(self._index).nbytes)

    @classmethod
    def load(cls, path: Path) -> "VectorIndex":
        import faiss

        return cls(faiss.read_index(str(path)))
