"""Search the index: ranked passages with the score of each signal."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.paper import Passage

from .embed import Embedder, embedder_id, make_embedder
from .errors import EmbedderMismatch
from .fusion import minmax, rrf, weighted
from .store import CURRENT, Snapshot, open_snapshot


@dataclass(frozen=True)
class SearchSettings:
    """How queries are answered from the index."""

    k: int = 10
    embedder: str | None = None  # None: the embedder the index was built with
    fusion: str = "weighted"  # "dense", "bm25", "rrf" or "weighted"
    alpha: float = 0.6  # weighted: share of the dense score
    rrf_k: int = 60
    candidates: int = 100  # dense candidates considered before fusion
    sentence_weight: float = 0.5  # share of the best sentence's similarity in a passage's dense score
    lang_balance: float = 0.9  # share of the score scaled within each paper language (0: off)
    reference_penalty: float = 0.5  # multiplier for passages in reference lists
    title_boost: float = 0.2  # × the share of the query's names that point at the passage's paper (routing)
    translation_weight: float = 0.5  # BM25 of the query's words translated to the other language (0: off)
    reranker: str | None = None  # a sentence-transformers CrossEncoder (name or path); off by default
    rerank_top: int = 20  # how many fused candidates the cross-encoder re-scores
    diversity: float = 0.0  # MMR: a passage loses this × its similarity to the passages ranked above it


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
        except (OSError, UnicodeDecodeError):
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
        self._current = self.snapshot.path.name  # open_snapshot may have found a newer version
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
        table = self.tables()
        if self.settings.lang_balance:
            share = self.settings.lang_balance
            fused = share * _balance(fused, table.passage_lang) + (1 - share) * minmax(fused)
        if self.settings.reference_penalty != 1.0:
            fused = np.where(table.is_reference, fused * self.settings.reference_penalty, fused)
        if self.settings.title_boost:
            fused = fused + self.settings.title_boost * table.paper_scores(self.router().scores(query))
        if doc_ids:
            mask = np.array([p.doc_id in doc_ids for p in snap.passages])
            fused = np.where(mask, fused, -np.inf)
        depth = max(k, self.settings.rerank_top) if self.settings.reranker else k
        order = np.argsort(-fused, kind="stable")[:depth]
        if self.settings.diversity:
            pool = np.argsort(-fused, kind="stable")[: max(3 * depth, 30)]
            order = mmr(pool, fused, table.passage_vectors, self.settings.diversity, depth)
        hits = [
            Hit(passage=snap.passages[int(i)], rank=r + 1,
                scores={"dense": float(dense[i]), "bm25": float(bm25[i]), "fused": float(fused[i])})
            for r, i in enumerate(order) if np.isfinite(fused[i])
        ]
        if self.settings.reranker:
            hits = self.reranker.rerank(query, hits)
        return hits[:k]

    @property
    def reranker(self):
        """The cross-encoder named in the settings, loaded on first use."""
        if getattr(self, "_reranker", None) is None:
            from .rerank import CrossEncoderReranker

            self._reranker = CrossEncoderReranker(self.settings.reranker)
        return self._reranker

    def router(self):
        """The papers' name statistics (built once per index version), for routing by the names asked."""
        if getattr(self, "_router", None) is None or self._router_path != self.snapshot.path:
            from .lexicon import lexicon
            from .routing import PaperRouter

            lex = lexicon()
            translate = (lambda w: lex.to_indonesian(w) + lex.to_english(w)) if lex else None
            snap = self.snapshot
            self._router = PaperRouter(snap.papers, {p["doc_id"]: snap.paper_text(p["doc_id"]) for p in snap.papers},
                                       translate)
            self._router_path = snap.path
        return self._router

    def tables(self) -> "PassageTables":
        """Per-passage arrays derived from the snapshot (built once per index version)."""
        if getattr(self, "_tables", None) is None or self._tables.path != self.snapshot.path:
            self._tables = PassageTables(self.snapshot)
        return self._tables

    def signal_scores(self, query: str, query_vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Dense (cosine) and BM25 scores of every passage for one query."""
        snap = self.snapshot
        n = len(snap.passages)
        m = min(n, max(self.settings.candidates, 1))
        scores, ids = snap.dense.search(query_vec[None, :], m)
        dense = np.full(n, float(scores[0][ids[0] >= 0].min()) if m else 0.0, dtype=np.float64)
        valid = ids[0] >= 0
        dense[ids[0][valid]] = scores[0][valid]
        w = self.settings.sentence_weight
        if w:
            dense = (1 - w) * dense + w * self.tables().best_sentence(query_vec)
        bm25 = snap.bm25.scores(query).astype(np.float64)
        if self.settings.translation_weight:
            other = translated_query(query)
            if other:
                bm25 = bm25 + self.settings.translation_weight * snap.bm25.scores(other)
        return dense, bm25


_REFERENCE_SECTION = ("references", "referensi", "daftar pustaka", "bibliography", "refbacks", "article metrics")


class PassageTables:
    """Arrays over all passages: language, reference flags, sentence vectors, paper of each."""

    def __init__(self, snap: Snapshot):
        self.path = snap.path
        metas = {p["doc_id"]: p for p in snap.papers}
        self.passage_lang = np.array([metas[p.doc_id].get("language", "en") for p in snap.passages])
        self.is_reference = np.array([
            any(p.section.lower().startswith(r) or f"› {r}" in p.section.lower() for r in _REFERENCE_SECTION)
            for p in snap.passages
        ])
        # Sentences of each passage, as one flat table: passage i owns rows owner == i.
        vecs, owner = [], []
        for i, p in enumerate(snap.passages):
            spans, sv = snap.sentences(p.doc_id)
            if not len(spans):
                continue
            inside = np.nonzero((spans[:, 0] < p.end) & (spans[:, 1] > p.start))[0]
            vecs.append(sv[inside])
            owner.extend([i] * len(inside))
        self.sentence_vectors = np.vstack(vecs) if vecs else np.zeros((0, snap.dense.dim), np.float32)
        self.sentence_owner = np.array(owner, dtype=np.int64)
        starts = np.r_[0, np.nonzero(np.diff(self.sentence_owner))[0] + 1] if len(owner) else np.zeros(0, int)
        self._run_starts = starts
        self._owners = self.sentence_owner[starts] if len(owner) else np.zeros(0, int)
        self.n = len(snap.passages)
        self._passage_doc = [p.doc_id for p in snap.passages]

    def best_sentence(self, query_vec: np.ndarray) -> np.ndarray:
        """Each passage's best sentence similarity to the query (0 for none)."""
        out = np.zeros(self.n, dtype=np.float64)
        if len(self.sentence_owner):
            sims = self.sentence_vectors @ query_vec
            # owners are in passage order: the best of each run of rows
            out[self._owners] = np.maximum.reduceat(sims, self._run_starts)
        return out

    @property
    def passage_vectors(self) -> np.ndarray:
        """Each passage's mean sentence vector, normalised (for diversity between passages)."""
        if getattr(self, "_pvecs", None) is None:
            dim = self.sentence_vectors.shape[1]
            out = np.zeros((self.n, dim), dtype=np.float32)
            if len(self.sentence_owner):
                out[self._owners] = np.add.reduceat(self.sentence_vectors, self._run_starts, axis=0)
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            self._pvecs = out / np.where(norms > 0, norms, 1.0)
        return self._pvecs

    def paper_scores(self, scores: dict[str, float]) -> np.ndarray:
        """A per-paper score spread over that paper's passages (0 for papers not scored)."""
        if not scores:
            return np.zeros(self.n)
        return np.array([scores.get(d, 0.0) for d in self._passage_doc])


def translated_query(query: str) -> str:
    """The query's content words in the other language (English ↔ Indonesian), by the dictionary."""
    from ingest.language import detect_language
    from ingest.normalize import normalize

    from .bm25 import STOP_EN, STOP_ID
    from .lexicon import lexicon

    lex = lexicon()
    if lex is None:
        return ""
    lang = detect_language(query)
    words = [w for w in normalize(query).split() if w not in STOP_EN and w not in STOP_ID and len(w) > 2]
    out: list[str] = []
    for w in words:
        for t in (lex.to_indonesian(w) if lang == "en" else lex.to_english(w)):
            if t not in out and t not in words:
                out.append(t)
    return " ".join(out)


def mmr(pool: np.ndarray, scores: np.ndarray, vectors: np.ndarray, weight: float, k: int) -> np.ndarray:
    """Maximal marginal relevance: best first, each next one penalised by its likeness to those above."""
    pool = [int(i) for i in pool if np.isfinite(scores[i])]
    chosen: list[int] = []
    best_sim = np.full(len(pool), -1.0)
    vecs = vectors[pool]
    while pool and len(chosen) < k:
        gain = np.array([scores[i] for i in pool]) - weight * np.maximum(best_sim, 0.0)
        j = int(np.argmax(gain))
        chosen.append(pool[j])
        sims = vecs @ vecs[j]
        best_sim = np.maximum(best_sim, sims)
        pool.pop(j)
        vecs = np.delete(vecs, j, axis=0)
        best_sim = np.delete(best_sim, j)
    return np.array(chosen, dtype=np.int64)


def _balance(scores: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Min-max scale scores within each group, so each language's best passage competes."""

    out = np.array(scores, dtype=np.float64)
    for g in np.unique(groups):
        m = groups == g
        out[m] = minmax(scores[m])
    return out


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
