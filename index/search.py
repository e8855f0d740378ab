"""Search the index: ranked passages with the score of each signal."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.paper import Passage

from .embed import Embedder, embedder_id, make_embedder
from .errors import EmbedderMismatch
from .store import CURRENT, Snapshot, open_snapshot


@dataclass(frozen=True)
class SearchSettings:
    """How queries are answered from the index."""

    k: int = 10
    embedder: str | None = None  # None: the embedder the index was built with


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
        want = k if not doc_ids else snap.dense.ntotal
        scores, ids = snap.dense.search(q[None, :], want)
        hits: list[Hit] = []
        for s, i in zip(scores[0], ids[0]):
            if i < 0:
                continue
            p = snap.passages[int(i)]
            if doc_ids and p.doc_id not in doc_ids:
                continue
            hits.append(Hit(passage=p, rank=len(hits) + 1, scores={"dense": float(s), "fused": float(s)}))
            if len(hits) >= k:
                break
        return hits
