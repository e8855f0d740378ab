"""Search the index: ranked passages with the score of each signal."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.paper import Passage

from .embed import Embedder, embedder_id, make_embedder
from .errors import EmbedderMismatch
from .fusion import rrf, weighted
from .store import CURRENT, Snapshot, open_snapshot


@dataclass(frozen=True)
class SearchSettings:
    """How queries are answered from the index."""

    k: int = 10
    embedder: str | None = None  # None: the embedder the index was built with
    fusion: str = "weighted"  # "dense", "bm25", "rrf" or "weighted"
    alpha: float = 0.7  # weighted: share of the dense score
    rrf_k: int = 60
    candidates: int = 100  # dense candidates considered before fusion


@dataclass(frozen=True)
class Hit:
    """A retrieved passage, its rank (1 = best) and its scores by signal."""

    passage: Passage
    rank: int
    scores: dict = field(default_factory=dict)  # dense, bm25, fused

    @property
    def score(self) -> float:
        return float(self.scores.get("fused", self.scores.get("dense", 0.0)))


class Searcher:
    """Answers queries from the live index; reloads when a new index is published."""

    def __init__(self, index_root: Path, settings: SearchSettings = SearchSettings(),
                 embedder: Embedder | None = None):
        self.index_root = Path(index_root)
        self.settings = settings
        self._embedder = embedder
        self.snapshot: Snapshot = open_snapshot(self.index_root)
        self._current = self._current_name()
        self._check_embedder()

    def _current_name(self) -> str | None:
        try:
            return (self.index_root / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None

    def _check_embedder(self) -> None:
        built = self.snapshot.manifest["settings"]["embedder"]
        wanted = self.settings.embedder
        if wanted is not None and embedder_id(wanted) != built:
            raise EmbedderMismatch(built, embedder_id(wanted))
        if self._embedder is not None and self._embedder.id != built:
            raise EmbedderMismatch(built, self._embedder.id)

    def refresh(self) -> bool:
        """Load the newest index if CURRENT changed; True when it did."""
        name = self._current_name()
        if name == self._current:
            return False
        self.snapshot = open_snapshot(self.index_root)
        self._current = name
        self._check_embedder()
        return True

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.snapshot.manifest["settings"]["embedder_name"])
        return self._embedder

    def embed_query(self, query: str) -> np.ndarray:
        return self.embedder.embed_queries([query])[0]

    def search(self, query: str, k: int | None = None, doc_ids: set[str] | None = None,
               query_vec: np.ndarray | None = None) -> list[Hit]:
        """The ``k`` best passages for ``query``, best first (optionally within ``doc_ids``)."""
        k = k or self.settings.k
        snap = self.snapshot
        if not snap.passages:
            return []
        q = self.embed_query(query) if query_vec is None else query_vec
        dense, bm25 = self.signal_scores(query, q)
        fused = fuse(dense, bm25, self.settings)
        if doc_ids:
            mask = np.array([p.doc_id in doc_ids for p in snap.passages])
            fused = np.where(mask, fused, -np.inf)
        order = np.argsort(-fused, kind="stable")[:k]
        return [
            Hit(passage=snap.passages[int(i)], rank=r + 1,
                scores={"dense": float(dense[i]), "bm25": float(bm25[i]), "fused": float(fused[i])})
            for r, i in enumerate(order) if np.isfinite(fused[i])
        ]

    def signal_scores(self, query: str, query_vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Dense (cosine) and BM25 scores of every passage for one query."""
        snap = self.snapshot
        n = len(snap.passages)
        m = min(n, max(self.settings.candidates, 1))
        scores, ids = snap.dense.search(query_vec[None, :], m)
        dense = np.full(n, float(scores[0][ids[0] >= 0].min()) if m else 0.0, dtype=np.float64)
        valid = ids[0] >= 0
        dense[ids[0][valid]] = scores[0][valid]
        bm25 = snap.bm25.scores(query).astype(np.float64)
        return dense, bm25


def fuse(dense: np.ndarray, bm25: np.ndarray, settings: SearchSettings) -> np.ndarray:
    """One score per passage from the signals, as ``settings.fusion`` says."""
    if settings.fusion == "dense":
        return dense
    if settings.fusion == "bm25":
        return bm25
    if settings.fusion == "rrf":
        return rrf([dense, bm25], k=settings.rrf_k)
    if settings.fusion == "weighted":
        return weighted(dense, bm25, settings.alpha)
    raise ValueError(f"unknown fusion {settings.fusion!r}")
